#include "common/events/catalogue.h"

#include <regex>
#include <stdexcept>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/dynamic_message.h"
#include "stellenwerk/events/v1/applications.pb.h"
#include "stellenwerk/events/v1/coordination.pb.h"
#include "stellenwerk/events/v1/meta.pb.h"
#include "stellenwerk/events/v1/notifications.pb.h"
#include "stellenwerk/events/v1/postings.pb.h"
#include "stellenwerk/events/v1/scheduling.pb.h"

namespace stellenwerk::events {
namespace {

namespace pb = google::protobuf;

// The event files of the contract, one message of each (which also links the file in). A
// service's new event file is added here, once.
std::vector<const pb::FileDescriptor*> EventFiles() {
  return {
      v1::PostingPublished::descriptor()->file(), v1::ApplicationSubmitted::descriptor()->file(),
      v1::StaffingNoticeFiled::descriptor()->file(),
      v1::NotificationDelivered::descriptor()->file(), v1::BookingConfirmed::descriptor()->file()};
}

struct Built {
  std::map<std::string, const pb::Descriptor*, std::less<>> by_key;
  std::vector<std::string> problems;
};

const Built& Build() {
  static const Built built = [] {
    Built b;
    for (const pb::FileDescriptor* file : EventFiles()) {
      for (int i = 0; i < file->message_type_count(); ++i) {
        const pb::Descriptor* m = file->message_type(i);
        const std::string& key = RoutingKeyOf(m);
        if (key.empty()) continue;  // a part of events (a snapshot), not an event
        auto [it, inserted] = b.by_key.emplace(key, m);
        if (!inserted) {
          b.problems.push_back(absl::StrCat("routing key ", key, " is bound to both ",
                                            it->second->full_name(), " and ", m->full_name()));
        }
      }
    }
    return b;
  }();
  return built;
}

}  // namespace

const std::string& RoutingKeyOf(const pb::Descriptor* descriptor) {
  return descriptor->options().GetExtension(v1::routing_key);
}

const std::string& RoutingKeyOfEvent(const pb::Descriptor* descriptor) {
  const std::string& key = RoutingKeyOf(descriptor);
  if (key.empty()) {
    throw std::logic_error(
        absl::StrCat(descriptor->full_name(), " is not an event: it declares no routing_key"));
  }
  return key;
}

const std::map<std::string, const pb::Descriptor*, std::less<>>& Catalogue() {
  return Build().by_key;
}

const pb::Descriptor* MessageFor(std::string_view routing_key) {
  const auto& catalogue = Catalogue();
  auto it = catalogue.find(routing_key);
  return it == catalogue.end() ? nullptr : it->second;
}

absl::StatusOr<std::unique_ptr<pb::Message>> Decode(std::string_view routing_key,
                                                    std::string_view body) {
  const pb::Descriptor* d = MessageFor(routing_key);
  if (d == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("no event ", std::string(routing_key), " in the catalogue"));
  }
  const pb::Message* prototype = pb::MessageFactory::generated_factory()->GetPrototype(d);
  std::unique_ptr<pb::Message> m(prototype->New());
  if (!m->ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return absl::InvalidArgumentError(
        absl::StrCat("undecodable ", std::string(routing_key), " event"));
  }
  return m;
}

absl::Status Check() {
  const Built& b = Build();
  std::vector<std::string> problems = b.problems;
  static const std::regex kKey(R"([a-z]+\.[a-z_]+\.[a-z_]+\.v[1-9][0-9]*)");
  for (const auto& [key, m] : b.by_key) {
    if (!std::regex_match(key, kKey)) {
      problems.push_back(absl::StrCat(m->full_name(), ": routing key '", key,
                                      "' is not <service>.<aggregate>.<what>.v<N>"));
    }
    const pb::FieldDescriptor* meta = m->FindFieldByNumber(1);
    if (meta == nullptr || meta->name() != "meta" ||
        meta->message_type() != v1::EventMeta::descriptor()) {
      problems.push_back(absl::StrCat(m->full_name(), " has no EventMeta meta = 1"));
    }
  }
  if (b.by_key.empty()) problems.push_back("the event catalogue is empty");
  if (problems.empty()) return absl::OkStatus();
  std::string all;
  for (const auto& p : problems) absl::StrAppend(&all, all.empty() ? "" : "; ", p);
  return absl::FailedPreconditionError(absl::StrCat("event catalogue: ", all));
}

}  // namespace stellenwerk::events
