#include <set>
#include <thread>

#include "common/ids/uuid.h"
#include "common/outbox/events.h"
#include "common/outbox/outbox.h"
#include "common/testing/test_env.h"
#include "gtest/gtest.h"
#include "stellenwerk/events/v1/postings.pb.h"

namespace stellenwerk::outbox {
namespace {

using testing::UniqueName;

OutgoingEvent MakeEvent(const std::string& type, int n) {
  OutgoingEvent e;
  e.event_id = ids::NewUuid();
  e.type = type;
  e.tenant_id = "t-outbox";
  e.correlation_id = "corr-" + std::to_string(n);
  e.occur_time = absl::Now();
  e.payload = "payload-" + std::to_string(n);
  return e;
}

TEST(PrepareTest, AnEventTheSystemStartsGetsItsOwnCorrelationId) {
  events::v1::PostingClosed closed;
  const OutgoingEvent by_timer =
      Prepare(EventContext{"s", "stadt-herne", "", "system:deadline", absl::Now()}, closed);
  EXPECT_EQ(by_timer.type, "postings.posting.closed.v1");
  EXPECT_FALSE(by_timer.correlation_id.empty());
  EXPECT_EQ(by_timer.correlation_id, by_timer.event_id);
  EXPECT_EQ(closed.meta().correlation_id(), by_timer.event_id);

  events::v1::PostingClosed asked;
  const OutgoingEvent by_call =
      Prepare(EventContext{"s", "stadt-herne", "corr-7", "hr-1", absl::Now()}, asked);
  EXPECT_EQ(by_call.correlation_id, "corr-7");
  EXPECT_EQ(asked.meta().correlation_id(), "corr-7");
}

int Pending(pg::Pool& pool) {
  int n = -1;
  EXPECT_TRUE(pool.Read([&](pqxx::work& tx) {
                    n = tx.exec("SELECT count(*) FROM outbox")[0][0].as<int>();
                    return absl::OkStatus();
                  })
                  .ok());
  return n;
}

RelayOptions Options(const testing::TestInfra& infra, const std::string& schema) {
  RelayOptions o;
  o.pg_uri = infra.pg_uri;
  o.schema = schema;
  o.amqp_uri = infra.amqp_uri;
  o.poll_interval = absl::Milliseconds(200);
  o.max_backoff = absl::Seconds(1);
  return o;
}

TEST(OutboxTest, CommittedEventsArePublishedWithHeadersAndRolledBackOnesNever) {
  STW_REQUIRE_INFRA(infra);
  const std::string schema = UniqueName("t_outbox");
  const std::string type = "test." + schema + ".happened.v1";
  testing::EventTap tap(infra, {type});
  auto pool = testing::MigratedPool(infra, schema);
  Relay relay(Options(infra, schema));
  relay.Start();

  const OutgoingEvent kept = MakeEvent(type, 1);
  ASSERT_TRUE(pool->Transact([&](pqxx::work& tx) {
                    Enqueue(tx, schema, kept);
                    return absl::OkStatus();
                  })
                  .ok());
  const OutgoingEvent dropped = MakeEvent(type, 2);
  ASSERT_FALSE(pool->Transact([&](pqxx::work& tx) {
                     Enqueue(tx, schema, dropped);
                     return absl::AbortedError("business rule failed after the write");
                   })
                   .ok());

  // Rows leave the outbox only once the broker confirmed them, and a confirmed message is in
  // the tap's queue: with the outbox empty the queue holds all there will ever be.
  ASSERT_TRUE(testing::WaitFor([&] { return Pending(*pool) == 0; }, absl::Seconds(10)));
  auto got = tap.TakeQueued();
  ASSERT_EQ(got.size(), 1u) << "the rolled-back one never comes";
  EXPECT_EQ(got[0].message.message_id, kept.event_id);
  EXPECT_EQ(got[0].message.type, type);
  EXPECT_EQ(got[0].message.tenant_id, "t-outbox");
  EXPECT_EQ(got[0].message.correlation_id, "corr-1");
  EXPECT_EQ(got[0].message.schema_version, 1);
  EXPECT_EQ(got[0].message.body, "payload-1");
  relay.Stop(absl::Seconds(1));
}

TEST(OutboxTest, EveryEventArrivesAcrossARabbitMqRestartInTheMiddleOf500Publishes) {
  STW_REQUIRE_INFRA(infra);
  if (infra.infra_script.empty()) STW_SKIP("needs STELLENWERK_TEST_INFRA to restart RabbitMQ");
  const std::string schema = UniqueName("t_outbox_restart");
  const std::string type = "test." + schema + ".happened.v1";
  testing::EventTap tap(infra, {type});
  auto pool = testing::MigratedPool(infra, schema);
  Relay relay(Options(infra, schema));
  relay.Start();

  constexpr int kEvents = 500;
  std::set<std::string> sent;
  std::thread producer([&] {
    for (int i = 0; i < kEvents; ++i) {
      const OutgoingEvent e = MakeEvent(type, i);
      sent.insert(e.event_id);
      absl::Status s = pool->Transact([&](pqxx::work& tx) {
        Enqueue(tx, schema, e);
        return absl::OkStatus();
      });
      ASSERT_TRUE(s.ok()) << s;
      absl::SleepFor(absl::Milliseconds(4));
    }
  });
  // Let some go through, then take the broker away in the middle of the stream.
  ASSERT_TRUE(testing::WaitFor([&] { return relay.published() >= 100; }, absl::Seconds(20)));
  ASSERT_EQ(infra.Run("stop-rabbitmq"), 0);
  // The broker comes back only once the relay has lost it, so the outage falls mid-stream.
  ASSERT_TRUE(testing::WaitFor([&] { return !relay.connected(); }, absl::Seconds(20)));
  ASSERT_EQ(infra.Run("start-rabbitmq"), 0);
  producer.join();

  std::set<std::string> received;
  int deliveries = 0;
  const absl::Time until = absl::Now() + absl::Seconds(60);
  while (received.size() < sent.size() && absl::Now() < until) {
    for (auto& d : tap.Collect(kEvents, absl::Seconds(2))) {
      ++deliveries;
      received.insert(d.message.message_id);
    }
  }
  EXPECT_EQ(received, sent) << "missing " << sent.size() - received.size() << " events";
  // Duplicates at the broker are allowed (confirm lost in the restart), never losses.
  EXPECT_GE(deliveries, kEvents);
  EXPECT_TRUE(testing::WaitFor([&] { return Pending(*pool) == 0; }, absl::Seconds(10)));
  relay.Stop(absl::Seconds(1));
}

}  // namespace
}  // namespace stellenwerk::outbox
