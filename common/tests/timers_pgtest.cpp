#include <atomic>
#include <mutex>
#include <set>

#include "common/testing/test_env.h"
#include "common/timers/timers.h"
#include "gtest/gtest.h"

namespace stellenwerk::timers {
namespace {

using testing::UniqueName;

const std::vector<pg::Migration> kFired = {
    {1, "0001_fired", "CREATE TABLE fired (key text PRIMARY KEY)"}};

// The effect every handler applies: a row per key. A second firing would violate the key.
absl::Status Effect(pqxx::work& tx, const Timer& t) {
  tx.exec_params("INSERT INTO fired (key) VALUES ($1)", t.key);
  return absl::OkStatus();
}

int Count(pg::Pool& pool, const char* sql) {
  int n = -1;
  EXPECT_TRUE(pool.Read([&](pqxx::work& tx) {
                    n = tx.exec(sql)[0][0].as<int>();
                    return absl::OkStatus();
                  })
                  .ok());
  return n;
}

void ScheduleMany(pg::Pool& pool, int n, absl::Time due) {
  ASSERT_TRUE(pool.Transact([&](pqxx::work& tx) {
                    for (int i = 0; i < n; ++i) Schedule(tx, "test", "k" + std::to_string(i), due);
                    return absl::OkStatus();
                  })
                  .ok());
}

TEST(TimersTest, TwoReplicasFireEachOfAThousandTimersExactlyOnce) {
  STW_REQUIRE_INFRA(infra);
  const std::string schema = UniqueName("t_timers");
  auto pool_a = testing::MigratedPool(infra, schema, kFired);
  auto pool_b = testing::MigratedPool(infra, schema, kFired);
  FakeClock clock(absl::FromUnixSeconds(1'700'000'000));
  ScheduleMany(*pool_a, 1000, clock.Now() + absl::Minutes(1));

  std::atomic<int> calls{0};
  auto handler = [&](pqxx::work& tx, const Timer& t) {
    ++calls;
    return Effect(tx, t);
  };
  SchedulerOptions options{.batch_size = 50, .poll_interval = absl::Milliseconds(20)};
  Scheduler a(options, *pool_a, clock);
  Scheduler b(options, *pool_b, clock);
  a.On("test", handler);
  b.On("test", handler);
  // Both replicas fire everything due now (RunOnce, in this thread): nothing is yet.
  EXPECT_EQ(*a.RunOnce(), 0);
  EXPECT_EQ(*b.RunOnce(), 0);
  EXPECT_EQ(Count(*pool_a, "SELECT count(*) FROM fired"), 0) << "fired before it was due";

  a.Start();
  b.Start();
  clock.Advance(absl::Minutes(1));
  a.Wake();
  b.Wake();
  ASSERT_TRUE(testing::WaitFor([&] { return Count(*pool_a, "SELECT count(*) FROM fired") == 1000; },
                               absl::Seconds(30)));
  a.Stop();
  b.Stop();
  EXPECT_EQ(calls.load(), 1000);
  EXPECT_EQ(a.fired() + b.fired(), 1000u);
  EXPECT_GT(a.fired(), 0u);
  EXPECT_GT(b.fired(), 0u);
  EXPECT_EQ(Count(*pool_a, "SELECT count(*) FROM timers"), 0);
}

TEST(TimersTest, OverdueTimersFireAtOnceAfterARestart) {
  STW_REQUIRE_INFRA(infra);
  const std::string schema = UniqueName("t_timers_restart");
  auto pool = testing::MigratedPool(infra, schema, kFired);
  FakeClock clock(absl::FromUnixSeconds(1'700'000'000));
  ScheduleMany(*pool, 10, clock.Now() - absl::Hours(3));  // fell due while nobody ran
  Scheduler s({}, *pool, clock);
  s.On("test", Effect);
  auto n = s.RunOnce();
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 10);
  EXPECT_EQ(*s.RunOnce(), 0);
}

TEST(TimersTest, FailingHandlerIsRetriedLaterAndDoesNotBlockOthers) {
  STW_REQUIRE_INFRA(infra);
  const std::string schema = UniqueName("t_timers_fail");
  auto pool = testing::MigratedPool(infra, schema, kFired);
  FakeClock clock(absl::FromUnixSeconds(1'700'000'000));
  ScheduleMany(*pool, 3, clock.Now());
  Scheduler s({}, *pool, clock);
  bool broken = true;
  s.On("test", [&](pqxx::work& tx, const Timer& t) -> absl::Status {
    if (t.key == "k1" && broken) {
      tx.exec("INSERT INTO fired (key) VALUES ('half-done')");  // must be rolled back
      return absl::InternalError("downstream refused");
    }
    return Effect(tx, t);
  });
  EXPECT_EQ(*s.RunOnce(), 2);
  EXPECT_EQ(Count(*pool, "SELECT count(*) FROM fired"), 2);
  EXPECT_EQ(Count(*pool, "SELECT attempts FROM timers WHERE key = 'k1'"), 1);
  EXPECT_EQ(*s.RunOnce(), 0);  // backed off, not due yet
  broken = false;
  clock.Advance(absl::Minutes(1));
  EXPECT_EQ(*s.RunOnce(), 1);
  EXPECT_EQ(Count(*pool, "SELECT count(*) FROM fired"), 3);
}

TEST(TimersTest, RescheduleMovesTheTimerAndCancelRemovesIt) {
  STW_REQUIRE_INFRA(infra);
  const std::string schema = UniqueName("t_timers_move");
  auto pool = testing::MigratedPool(infra, schema, kFired);
  FakeClock clock(absl::FromUnixSeconds(1'700'000'000));
  ScheduleMany(*pool, 2, clock.Now());
  ASSERT_TRUE(pool->Transact([&](pqxx::work& tx) {
                    Schedule(tx, "test", "k0", clock.Now() + absl::Hours(1));
                    Cancel(tx, "test", "k1");
                    return absl::OkStatus();
                  })
                  .ok());
  Scheduler s({}, *pool, clock);
  s.On("test", Effect);
  EXPECT_EQ(*s.RunOnce(), 0);
  clock.Advance(absl::Hours(1));
  EXPECT_EQ(*s.RunOnce(), 1);
}

TEST(TimersTest, AHandlerThatReschedulesItsOwnTimerKeepsTheNewOne) {
  STW_REQUIRE_INFRA(infra);
  const std::string schema = UniqueName("t_timers_self");
  auto pool = testing::MigratedPool(infra, schema, kFired);
  FakeClock clock(absl::FromUnixSeconds(1'700'000'000));
  ScheduleMany(*pool, 1, clock.Now());
  Scheduler s({}, *pool, clock);
  int calls = 0;
  s.On("test", [&](pqxx::work& tx, const Timer& t) {
    if (++calls == 1) Schedule(tx, "test", t.key, clock.Now() + absl::Hours(1));  // not yet
    return absl::OkStatus();
  });
  EXPECT_EQ(*s.RunOnce(), 1);
  EXPECT_EQ(Count(*pool, "SELECT count(*) FROM timers"), 1);
  clock.Advance(absl::Hours(1));
  EXPECT_EQ(*s.RunOnce(), 1);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(Count(*pool, "SELECT count(*) FROM timers"), 0);
}

// Set-based effect for a batch handler: all keys in one statement.
absl::Status BatchEffect(pqxx::work& tx, const std::vector<Timer>& due) {
  std::vector<std::string> keys;
  for (const auto& t : due) keys.push_back(t.key);
  tx.exec_params("INSERT INTO fired (key) SELECT unnest($1::text[])", pg::TextArray(keys));
  return absl::OkStatus();
}

TEST(TimersTest, TwoReplicasWithABatchHandlerFireEachTimerExactlyOnce) {
  STW_REQUIRE_INFRA(infra);
  const std::string schema = UniqueName("t_timers_batch");
  auto pool_a = testing::MigratedPool(infra, schema, kFired);
  auto pool_b = testing::MigratedPool(infra, schema, kFired);
  FakeClock clock(absl::FromUnixSeconds(1'700'000'000));
  ScheduleMany(*pool_a, 2000, clock.Now() + absl::Minutes(1));
  std::atomic<int> calls{0};
  std::atomic<int> timers{0};
  auto handler = [&](pqxx::work& tx, const std::vector<Timer>& due) {
    ++calls;
    timers += static_cast<int>(due.size());
    return BatchEffect(tx, due);
  };
  SchedulerOptions options{.batch_size = 100, .poll_interval = absl::Milliseconds(20)};
  Scheduler a(options, *pool_a, clock);
  Scheduler b(options, *pool_b, clock);
  a.OnBatch("test", handler);
  b.OnBatch("test", handler);
  a.Start();
  b.Start();
  clock.Advance(absl::Minutes(1));
  a.Wake();
  b.Wake();
  ASSERT_TRUE(testing::WaitFor([&] { return Count(*pool_a, "SELECT count(*) FROM fired") == 2000; },
                               absl::Seconds(30)));
  a.Stop();
  b.Stop();
  EXPECT_EQ(timers.load(), 2000);
  EXPECT_LE(calls.load(), 40) << "batches of up to 100, not one call per timer";
  EXPECT_EQ(a.fired() + b.fired(), 2000u);
  EXPECT_EQ(Count(*pool_a, "SELECT count(*) FROM timers"), 0);
}

TEST(TimersTest, AFailingBatchIsRetriedOneByOneSoOnlyTheBrokenTimerWaits) {
  STW_REQUIRE_INFRA(infra);
  const std::string schema = UniqueName("t_timers_batch_fail");
  auto pool = testing::MigratedPool(infra, schema, kFired);
  FakeClock clock(absl::FromUnixSeconds(1'700'000'000));
  ScheduleMany(*pool, 20, clock.Now());
  ASSERT_TRUE(pool->Transact([&](pqxx::work& tx) {
                    Schedule(tx, "single", "s0", clock.Now());  // other kinds keep working
                    return absl::OkStatus();
                  })
                  .ok());
  Scheduler s({}, *pool, clock);
  std::vector<size_t> sizes;
  s.OnBatch("test", [&](pqxx::work& tx, const std::vector<Timer>& due) -> absl::Status {
    sizes.push_back(due.size());
    for (const auto& t : due) {
      if (t.key == "k7") return absl::InternalError("k7 is broken");
    }
    return BatchEffect(tx, due);
  });
  s.On("single", Effect);
  EXPECT_EQ(*s.RunOnce(), 20);  // 19 of the batch + the single one
  ASSERT_FALSE(sizes.empty());
  EXPECT_EQ(sizes.front(), 20u);
  EXPECT_EQ(sizes.size(), 21u);  // the batch, then each timer alone
  EXPECT_EQ(Count(*pool, "SELECT count(*) FROM fired"), 20);
  EXPECT_EQ(Count(*pool, "SELECT attempts FROM timers WHERE key = 'k7'"), 1);
  EXPECT_EQ(Count(*pool, "SELECT count(*) FROM timers"), 1);
}

TEST(TimersTest, AfterCommitWorkSeesTheCommittedEffectAndIsDroppedWhenTheHandlerFails) {
  STW_REQUIRE_INFRA(infra);
  const std::string schema = UniqueName("t_timers_after");
  auto pool = testing::MigratedPool(infra, schema, kFired);
  auto observer = testing::MigratedPool(infra, schema, kFired);  // another connection
  FakeClock clock(absl::FromUnixSeconds(1'700'000'000));
  ScheduleMany(*pool, 2, clock.Now());  // k0 succeeds, k1 fails
  Scheduler s({}, *pool, clock);
  std::vector<std::string> ran;
  int visible_when_run = -1;
  s.On("test", [&](pqxx::work& tx, const Timer& t) -> absl::Status {
    if (absl::Status e = Effect(tx, t); !e.ok()) return e;
    Scheduler::AfterCommit([&, key = t.key] {
      ran.push_back(key);
      // What a reader on another connection sees at this moment.
      visible_when_run = Count(*observer, "SELECT count(*) FROM fired WHERE key = 'k0'");
    });
    return t.key == "k1" ? absl::InternalError("k1 fails") : absl::OkStatus();
  });
  EXPECT_EQ(*s.RunOnce(), 1);
  EXPECT_EQ(ran, std::vector<std::string>{"k0"});
  EXPECT_EQ(visible_when_run, 1) << "after-commit work ran before the commit";

  int direct = 0;
  Scheduler::AfterCommit([&] { ++direct; });  // outside a handler: at once
  EXPECT_EQ(direct, 1);
}

}  // namespace
}  // namespace stellenwerk::timers
