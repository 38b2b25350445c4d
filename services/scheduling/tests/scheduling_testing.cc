#include "services/scheduling/tests/scheduling_testing.h"

#include <sys/wait.h>

#include <cstdio>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "common/ids/uuid.h"
#include "common/testing/events.h"
#include "stellenwerk/events/v1/applications.pb.h"
#include "stellenwerk/events/v1/postings.pb.h"

namespace stellenwerk::scheduling {

namespace ev = events::v1;
using stellenwerk::testing::CallContext;

SchedulingUnderTest& StartScheduling(stellenwerk::testing::Harness& harness,
                                     stellenwerk::testing::ServiceOptions options,
                                     SchedulingOptions scheduling) {
  return harness.Start<SchedulingApp>(kSchedulingService, std::move(options), scheduling);
}

v1::CreateSelectionDayRequest DayRequest(const std::string& posting_id, const std::string& date,
                                         const std::string& start, int interviews,
                                         const std::string& request_id) {
  v1::CreateSelectionDayRequest r;
  r.set_request_id(request_id.empty() ? ids::NewUuid() : request_id);
  r.set_posting_id(posting_id);
  r.set_date(date);
  r.set_start_time(start);
  r.set_location("Rathaus, Markt 1");
  r.set_room(absl::StrCat("Raum 2.14 ", ids::NewUuid().substr(0, 8)));
  r.set_video_available(true);
  r.set_video_url("https://video.stadt.example/r/1");
  auto* i = r.add_parts();
  i->set_kind(v1::INTERVIEW);
  i->mutable_length()->set_seconds(1800);
  i->set_count(interviews);
  r.add_committee_member_ids("m1");
  return r;
}

int CheckIcs(const std::string& ics, const std::vector<std::string>& checks, std::string* out) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/", ids::NewUuid(), ".ics");
  {
    std::ofstream f(path, std::ios::binary);
    f << ics;
  }
  std::string cmd =
      absl::StrCat("/usr/bin/python3 ", STW_SOURCE_DIR, "/tests/tools/check_ics.py '", path, "'");
  for (const auto& c : checks) absl::StrAppend(&cmd, " '", c, "'");
  absl::StrAppend(&cmd, " 2>&1");
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out->append(buf, n);
  const int rc = pclose(p);
  std::remove(path.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

void SchedulingServiceTest::SetUp() {
  ServiceTest::SetUp();
  if (IsSkipped() || HasFatalFailure()) return;
  tenant_ = stellenwerk::testing::UniqueName("stadt");
}

void SchedulingServiceTest::Deliver(const std::vector<google::protobuf::Message*>& events,
                                    const std::string& tenant) {
  std::vector<amqp::Message> messages;
  for (auto* e : events) {
    messages.push_back(stellenwerk::testing::WireMessage(*e, tenant, kSchedulingStart));
  }
  const uint64_t before = scheduling_->ConsumedEvents();
  stellenwerk::testing::PublishToExchange(harness().infra(), messages);
  ASSERT_TRUE(scheduling_->WaitForConsumed(before + messages.size()));
}

std::string SchedulingServiceTest::Posting(const std::string& status) {
  ev::PostingPublished e;
  ev::PostingSnapshot* p = e.mutable_posting();
  p->set_posting_id(ids::NewUuid());
  p->set_tenant_id(tenant_);
  p->set_kennziffer("26/0042");
  p->set_title("Sachbearbeitung Bürgerbüro (w/m/d)");
  p->set_status(status);
  p->set_application_deadline(kDeadline);
  p->set_version(3);
  Deliver({&e}, tenant_);
  return p->posting_id();
}

std::string SchedulingServiceTest::Application(const std::string& posting_id,
                                               const std::string& applicant_sub,
                                               const std::string& status) {
  const std::string id = ids::NewUuid();
  ChangeStatus(id, posting_id, applicant_sub, status);
  return id;
}

void SchedulingServiceTest::ChangeStatus(const std::string& application_id,
                                         const std::string& posting_id,
                                         const std::string& applicant_sub,
                                         const std::string& status) {
  ev::ApplicationStatusChanged e;
  e.set_application_id(application_id);
  e.set_posting_id(posting_id);
  e.set_applicant_sub(applicant_sub);
  e.set_from("SCREENING");
  e.set_to(status);
  Deliver({&e}, tenant_);
}

v1::SelectionDay SchedulingServiceTest::Day(const v1::CreateSelectionDayRequest& r) {
  v1::SelectionDay day;
  grpc::Status s = stub_->CreateSelectionDay(Ctx(Hr()).get(), r, &day);
  EXPECT_TRUE(s.ok()) << "CreateSelectionDay: " << s.error_message();
  return day;
}

std::vector<v1::Slot> SchedulingServiceTest::Slots(const std::string& day_id,
                                                   const std::string& token) {
  std::vector<v1::Slot> out;
  v1::ListSlotsRequest r;
  r.set_selection_day_id(day_id);
  r.set_page_size(200);
  v1::ListSlotsResponse page;
  grpc::Status s = stub_->ListSlots(Ctx(token.empty() ? Hr() : token).get(), r, &page);
  EXPECT_TRUE(s.ok()) << "ListSlots: " << s.error_message();
  out.assign(page.slots().begin(), page.slots().end());
  return out;
}

grpc::Status SchedulingServiceTest::Book(const std::string& token, const std::string& slot_id,
                                         const std::string& application_id, v1::Booking* out,
                                         const std::string& request_id) {
  v1::BookSlotRequest r;
  r.set_request_id(request_id.empty() ? ids::NewUuid() : request_id);
  r.set_slot_id(slot_id);
  r.set_application_id(application_id);
  r.set_mode(v1::IN_PERSON);
  return stub_->BookSlot(Ctx(token).get(), r, out);
}

}  // namespace stellenwerk::scheduling
