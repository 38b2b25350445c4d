#include "common/testing/events.h"

#include <algorithm>

#include "common/events/catalogue.h"
#include "common/ids/uuid.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"
#include "stellenwerk/events/v1/meta.pb.h"

namespace stellenwerk::testing {

amqp::Message WireMessage(google::protobuf::Message& event, const std::string& tenant,
                          absl::Time now, const std::string& event_id) {
  const auto* field = event.GetDescriptor()->FindFieldByName("meta");
  auto* meta =
      static_cast<events::v1::EventMeta*>(event.GetReflection()->MutableMessage(&event, field));
  meta->set_event_id(event_id.empty() ? ids::NewUuid() : event_id);
  meta->set_tenant_id(tenant);
  meta->set_correlation_id(ids::NewUuid());
  meta->set_actor("test");
  *meta->mutable_occur_time() =
      google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(now));
  amqp::Message m;
  m.message_id = meta->event_id();
  m.type = events::RoutingKeyOf(event.GetDescriptor());
  m.tenant_id = tenant;
  m.correlation_id = meta->correlation_id();
  m.timestamp = now;
  m.body = event.SerializeAsString();
  return m;
}

void PublishToExchange(const TestInfra& infra, const std::vector<amqp::Message>& messages) {
  auto conn = amqp::Connection::Open(infra.amqp_uri, absl::Seconds(5));
  ASSERT_TRUE(conn.ok()) << conn.status();
  ASSERT_TRUE((*conn)->DeclareTopology().ok());
  ASSERT_TRUE((*conn)->EnableConfirms().ok());
  for (size_t i = 0; i < messages.size(); i += 100) {
    std::vector<amqp::Message> batch(messages.begin() + i,
                                     messages.begin() + std::min(messages.size(), i + 100));
    absl::Status s = (*conn)->PublishConfirmed(batch, absl::Seconds(10));
    ASSERT_TRUE(s.ok()) << s;
  }
}

}  // namespace stellenwerk::testing
