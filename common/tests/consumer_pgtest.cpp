#include <atomic>

#include "common/amqp/consumer.h"
#include "common/ids/uuid.h"
#include "common/testing/test_env.h"
#include "gtest/gtest.h"
#include "stellenwerk/events/v1/postings.pb.h"

namespace stellenwerk::amqp {
namespace {

using testing::UniqueName;

const std::vector<pg::Migration> kEffects = {
    {1, "0001_effects", "CREATE TABLE effects (event_id text PRIMARY KEY, body text NOT NULL)"}};

class ConsumerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    infra_ = testing::TestInfra::FromEnv();
    if (!infra_) STW_SKIP("needs scripts/test infrastructure");
    schema_ = UniqueName("t_consumer");
    type_ = "test." + schema_ + ".thing.v1";
    pool_ = testing::MigratedPool(*infra_, schema_, kEffects);
    auto conn = Connection::Open(infra_->amqp_uri, absl::Seconds(5));
    ASSERT_TRUE(conn.ok()) << conn.status();
    publisher_ = *std::move(conn);
    ASSERT_TRUE(publisher_->DeclareTopology().ok());
    ASSERT_TRUE(publisher_->EnableConfirms().ok());
  }

  std::unique_ptr<Consumer> MakeConsumer(int max_attempts = 3) {
    ConsumerOptions o;
    o.amqp_uri = infra_->amqp_uri;
    o.name = "test";
    o.queue = QueueSpec{"stellenwerk." + schema_, {type_}, "classic"};
    o.max_attempts = max_attempts;
    o.retry_delay = absl::Milliseconds(10);
    auto c = std::make_unique<Consumer>(o, *pool_);
    c->OnRaw(type_, [this](pqxx::work& tx, const Delivery& d) -> absl::Status {
      ++calls_;
      if (d.message.body == "poison") return absl::InternalError("cannot apply this one");
      if (d.message.body == "garbage") return absl::InvalidArgumentError("undecodable body");
      if (d.message.body == "held") {
        // Stays in flight (unacked) until the test lets it go.
        held_.store(true);
        testing::WaitFor([this] { return release_.load(); }, absl::Seconds(60));
      }
      tx.exec_params("INSERT INTO effects (event_id, body) VALUES ($1, $2)", d.message.message_id,
                     d.message.body);
      return absl::OkStatus();
    });
    return c;
  }

  // The queue exists once the consumer is connected; publishing earlier would route nowhere.
  void StartAndWait(Consumer& c) {
    c.Start();
    ASSERT_TRUE(testing::WaitFor([&] { return c.connected(); }, absl::Seconds(10)));
  }

  Message Make(std::string body, std::string id = ids::NewUuid()) {
    Message m;
    m.message_id = std::move(id);
    m.type = type_;
    m.tenant_id = "t";
    m.timestamp = absl::Now();
    m.body = std::move(body);
    return m;
  }

  void Publish(std::vector<Message> batch) {
    ASSERT_TRUE(publisher_->PublishConfirmed(batch, absl::Seconds(5)).ok());
  }

  int Effects() {
    int n = -1;
    EXPECT_TRUE(pool_
                    ->Read([&](pqxx::work& tx) {
                      n = tx.exec("SELECT count(*) FROM effects")[0][0].as<int>();
                      return absl::OkStatus();
                    })
                    .ok());
    return n;
  }

  std::vector<Delivery> DeadLettered(size_t want) {
    std::vector<Delivery> out;
    testing::WaitFor(
        [&] {
          auto d = publisher_->Get("stellenwerk." + schema_ + ".dead", true);
          if (d.ok() && d->has_value()) out.push_back(**d);
          return out.size() >= want;
        },
        absl::Seconds(10));
    return out;
  }

  std::optional<testing::TestInfra> infra_;
  std::string schema_;
  std::string type_;
  std::unique_ptr<pg::Pool> pool_;
  std::unique_ptr<Connection> publisher_;
  std::atomic<int> calls_{0};
  std::atomic<bool> held_{false};
  std::atomic<bool> release_{false};
};

TEST_F(ConsumerTest, DuplicateDeliveryIsAppliedOnce) {
  auto consumer = MakeConsumer();
  StartAndWait(*consumer);
  const Message m = Make("hello");
  Publish({m, m, m});  // the same event id three times (e.g. a relay retry)
  ASSERT_TRUE(testing::WaitFor(
      [&] { return consumer->stats().applied + consumer->stats().duplicates == 3; },
      absl::Seconds(10)));
  EXPECT_EQ(consumer->stats().applied, 1u);
  EXPECT_EQ(consumer->stats().duplicates, 2u);
  EXPECT_EQ(Effects(), 1);
  consumer->Stop();
}

TEST_F(ConsumerTest, PoisonMessageIsDeadLetteredWhileTheNextIsProcessed) {
  auto consumer = MakeConsumer(/*max_attempts=*/3);
  StartAndWait(*consumer);
  const Message poison = Make("poison");
  const Message good = Make("good");
  Publish({poison, good});
  ASSERT_TRUE(testing::WaitFor([&] { return Effects() == 1; }, absl::Seconds(10)));
  auto dead = DeadLettered(1);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].message.message_id, poison.message_id);
  EXPECT_EQ(dead[0].message.body, "poison");
  EXPECT_EQ(consumer->stats().dead_lettered, 1u);
  EXPECT_EQ(consumer->stats().retried, 2u);  // attempts 1 and 2 retried, 3rd dead-lettered
  consumer->Stop();
}

TEST_F(ConsumerTest, PermanentFailuresAndNewerSchemaVersionsGoStraightToTheDeadLetterQueue) {
  auto consumer = MakeConsumer(/*max_attempts=*/5);
  StartAndWait(*consumer);
  Message future = Make("from the future");
  future.schema_version = 2;
  Publish({Make("garbage"), future, Make("fine")});
  auto dead = DeadLettered(2);
  EXPECT_EQ(dead.size(), 2u);
  EXPECT_TRUE(testing::WaitFor([&] { return Effects() == 1; }, absl::Seconds(10)));
  EXPECT_EQ(consumer->stats().retried, 0u);
  consumer->Stop();
}

TEST_F(ConsumerTest, ATypedHandlerGetsItsMessageDecodedAndAnUndecodableBodyIsDeadLettered) {
  // Registered by message: the key comes from the event catalogue, and the queue is bound to
  // exactly the keys handled (no binding given here).
  ConsumerOptions o;
  o.amqp_uri = infra_->amqp_uri;
  o.name = "test";
  o.queue = QueueSpec{"stellenwerk." + schema_, {}, "classic"};
  o.retry_delay = absl::Milliseconds(10);
  Consumer consumer(o, *pool_);
  consumer.On<events::v1::PostingClosed>(
      [this](pqxx::work& tx, const events::v1::PostingClosed& e, const Delivery& d) {
        ++calls_;
        tx.exec_params("INSERT INTO effects (event_id, body) VALUES ($1, $2)", d.message.message_id,
                       e.posting().posting_id());
        return absl::OkStatus();
      });
  StartAndWait(consumer);
  const std::string key = events::RoutingKey<events::v1::PostingClosed>();
  Message garbage = Make("\xff\xff\xff not a PostingClosed");
  garbage.type = key;
  events::v1::PostingClosed closed;
  closed.mutable_posting()->set_posting_id(schema_);
  Message good = Make(closed.SerializeAsString());
  good.type = key;
  Publish({garbage, good});
  auto dead = DeadLettered(1);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].message.message_id, garbage.message_id);
  EXPECT_TRUE(testing::WaitFor([&] { return Effects() == 1; }, absl::Seconds(10)));
  EXPECT_EQ(calls_.load(), 1) << "the handler never sees an undecodable body";
  int found = 0;
  EXPECT_TRUE(pool_
                  ->Read([&](pqxx::work& tx) {
                    found = tx.exec_params("SELECT count(*) FROM effects WHERE body = $1",
                                           schema_)[0][0]
                                .as<int>();
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(found, 1) << "the handler got the decoded message";
  consumer.Stop();
}

TEST_F(ConsumerTest, FailedEffectLeavesNoTraceSoTheRetryCanSucceed) {
  // The handler's insert and the dedup row commit together: a failed attempt must not mark
  // the event as processed.
  auto consumer = MakeConsumer(/*max_attempts=*/3);
  StartAndWait(*consumer);
  Publish({Make("poison")});
  ASSERT_EQ(DeadLettered(1).size(), 1u);
  int processed = -1;
  ASSERT_TRUE(pool_
                  ->Read([&](pqxx::work& tx) {
                    processed = tx.exec("SELECT count(*) FROM processed_events")[0][0].as<int>();
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(processed, 0);
  consumer->Stop();
}

// A real broker restart, not a cut connection: the node stops (closing every connection) and
// boots again from its data directory. The durable queue must come back with what was in it,
// and the same consumer must reconnect by itself and go on consuming.
TEST_F(ConsumerTest, KeepsConsumingAcrossARabbitMqRestartAndGetsTheInFlightEventAgain) {
  if (infra_->infra_script.empty()) STW_SKIP("needs STELLENWERK_TEST_INFRA to restart RabbitMQ");
  auto consumer = MakeConsumer();
  StartAndWait(*consumer);
  Publish({Make("before")});
  ASSERT_TRUE(testing::WaitFor([&] { return Effects() == 1; }, absl::Seconds(10)));

  // One event in flight while the broker goes: applied and committed, but never acked.
  const Message held = Make("held");
  Publish({held});
  ASSERT_TRUE(testing::WaitFor([&] { return held_.load(); }, absl::Seconds(10)));
  publisher_.reset();
  ASSERT_EQ(infra_->Run("stop-rabbitmq"), 0);
  release_.store(true);
  ASSERT_TRUE(testing::WaitFor([&] { return Effects() == 2; }, absl::Seconds(10)));
  ASSERT_TRUE(testing::WaitFor([&] { return !consumer->connected(); }, absl::Seconds(10)))
      << "the consumer did not notice that the broker went away";
  ASSERT_EQ(infra_->Run("start-rabbitmq"), 0);

  ASSERT_TRUE(testing::WaitFor([&] { return consumer->connected(); }, absl::Seconds(30)))
      << "the consumer did not reconnect after the restart";
  // The unacked event survived the restart in the durable queue and comes again: skipped as
  // a duplicate, not applied twice.
  EXPECT_TRUE(
      testing::WaitFor([&] { return consumer->stats().duplicates == 1; }, absl::Seconds(30)))
      << "the in-flight event did not survive the restart";

  ASSERT_TRUE(testing::WaitFor(
      [&] {
        auto conn = Connection::Open(infra_->amqp_uri, absl::Seconds(5));
        if (!conn.ok() || !(*conn)->DeclareTopology().ok() || !(*conn)->EnableConfirms().ok()) {
          return false;
        }
        publisher_ = *std::move(conn);
        return true;
      },
      absl::Seconds(30)));
  Publish({Make("after")});
  ASSERT_TRUE(testing::WaitFor([&] { return Effects() == 3; }, absl::Seconds(30)))
      << "the event published after the restart was not applied";
  EXPECT_EQ(consumer->stats().applied, 3u);  // before, held (once), after
  EXPECT_EQ(consumer->stats().duplicates, 1u);
  EXPECT_EQ(consumer->stats().dead_lettered, 0u);
  consumer->Stop();
}

}  // namespace
}  // namespace stellenwerk::amqp
