// The set-based window clearance (issue 6) on the real PostgreSQL: two schedulers, as two
// replicas would run them, clear a batch of due windows — each notice exactly once, stale
// timers of notices no longer open skipped.
#include <atomic>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/testing/test_env.h"
#include "common/time/berlin_calendar.h"
#include "gtest/gtest.h"
#include "services/coordination/adapters/pg_coordination_store.h"
#include "services/coordination/tests/coordination_testing.h"
#include "stellenwerk/events/v1/coordination.pb.h"

namespace stellenwerk::pg {
const std::vector<Migration>& CoordinationMigrations();
}

namespace stellenwerk::coordination {
namespace {

using testing::UniqueName;

absl::Time Berlin(int y, int m, int d, int hh = 10) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, 0, 0), calendar::Berlin());
}
// Friday before Easter 2025: the window ends Tuesday 2025-04-22 24:00 Europe/Berlin.
const absl::Time kStart = Berlin(2025, 4, 11, 10);
const absl::Time kWindowEnd = Berlin(2025, 4, 23, 0);

// The shared filing, with a qualification that SQL string building would get wrong.
v1::FileStaffingNoticeRequest Filing(const std::string& district) {
  v1::FileStaffingNoticeRequest r = StaffingFiling(district);
  r.mutable_candidates(0)->set_qualification(
      "Diplom-Sozialpädagogin (FH) \"mit Anführungszeichen\" \\ und Backslash");
  return r;
}

int64_t Count(pg::Pool& pool, const std::string& sql) {
  int64_t n = -1;
  EXPECT_TRUE(pool.Read([&](pqxx::work& tx) {
                    n = tx.exec(sql)[0][0].as<int64_t>();
                    return absl::OkStatus();
                  })
                  .ok());
  return n;
}

TEST(WindowBatchTest, TwoSchedulersClearEveryDueWindowExactlyOnceInBatches) {
  STW_REQUIRE_INFRA(infra);
  const std::string schema = UniqueName("t_coord_batch");
  auto pool_a = testing::MigratedPool(infra, schema, pg::CoordinationMigrations());
  auto pool_b = testing::MigratedPool(infra, schema, pg::CoordinationMigrations());
  FakeClock clock(kStart);
  PgCoordinationStore store_a(*pool_a, schema, clock);
  PgCoordinationStore store_b(*pool_b, schema, clock);

  const std::string city = UniqueName("stadt");
  const std::string district = UniqueName("kreis");
  const Actor hr = Actor::Of(auth::Principal{"hr-witten", city, {"city_coordinator"}}, "corr",
                             "city_coordinator");
  // Only a pair in force coordinates (decision 0040): both administrators declare it.
  for (const std::string& side : {city, district}) {
    const Actor admin = Actor::Of(auth::Principal{"admin", side, {"admin"}}, "corr", "admin");
    ASSERT_TRUE(store_a.DeclarePair(admin, {}, city, district).ok());
  }
  constexpr int kNotices = 600;
  constexpr int kWithdrawn = 20;
  std::vector<std::string> ids;
  for (int i = 0; i < kNotices; ++i) {
    auto n = store_a.File(hr, {}, [&](const std::string& id) {
      return NewNotice(Filing(district), id, city, hr, kStart);
    });
    ASSERT_TRUE(n.ok()) << n.status();
    ids.push_back(n->id());
  }
  // Withdrawn notices whose timers are still there (as if the cancel raced the firing): the
  // batch must skip them.
  std::set<std::string> withdrawn(ids.begin(), ids.begin() + kWithdrawn);
  for (const auto& id : withdrawn) {
    auto n = store_a.Update(hr, {}, id, Side::kCity, [&](const v1::StaffingNotice& cur) {
      return Withdraw(cur, hr, kStart + absl::Hours(1), "Stelle entfällt");
    });
    ASSERT_TRUE(n.ok()) << n.status();
    ASSERT_EQ(n->status(), v1::WITHDRAWN);
    ASSERT_TRUE(pool_a
                    ->Transact([&](pqxx::work& tx) {
                      timers::Schedule(tx, kWindowTimerKind, id, kWindowEnd);
                      return absl::OkStatus();
                    })
                    .ok());
  }

  std::atomic<int> batches{0};
  std::atomic<int> largest{0};
  auto handler_for = [&](PgCoordinationStore& store) {
    return [&](pqxx::work& tx, const std::vector<timers::Timer>& due) {
      ++batches;
      for (int seen = largest.load(); static_cast<int>(due.size()) > seen;) {
        if (largest.compare_exchange_weak(seen, static_cast<int>(due.size()))) break;
      }
      std::vector<std::string> keys;
      for (const auto& t : due) keys.push_back(t.key);
      return store.ElapseWindowsInTransaction(tx, keys);
    };
  };
  timers::SchedulerOptions options{.batch_size = 50, .poll_interval = absl::Milliseconds(20)};
  timers::Scheduler a(options, *pool_a, clock);
  timers::Scheduler b(options, *pool_b, clock);
  a.OnBatch(kWindowTimerKind, handler_for(store_a));
  b.OnBatch(kWindowTimerKind, handler_for(store_b));
  // A second before the end both replicas fire everything due (RunOnce, in this thread):
  // nothing is, so nothing clears.
  clock.Set(kWindowEnd - absl::Seconds(1));
  ASSERT_EQ(*a.RunOnce(), 0);
  ASSERT_EQ(*b.RunOnce(), 0);
  EXPECT_EQ(Count(*pool_a, "SELECT count(*) FROM notice_history WHERE action = 'WINDOW_ELAPSED'"),
            0)
      << "cleared before the window ended";
  ASSERT_EQ(a.fired() + b.fired(), 0u);

  a.Start();
  b.Start();
  clock.Set(kWindowEnd);
  a.Wake();
  b.Wake();
  // (The quarterly base-data timer of the office stays: it is due at the quarter's end.)
  const std::string open_windows =
      absl::StrCat("SELECT count(*) FROM timers WHERE kind = '", kWindowTimerKind, "'");
  ASSERT_TRUE(
      testing::WaitFor([&] { return Count(*pool_a, open_windows) == 0; }, absl::Seconds(30)));
  a.Stop();
  b.Stop();

  EXPECT_EQ(a.fired() + b.fired(), static_cast<uint64_t>(kNotices));
  EXPECT_GT(a.fired(), 0u);
  EXPECT_GT(b.fired(), 0u);
  EXPECT_GT(largest.load(), 1) << "never applied more than one window at once";
  EXPECT_LT(batches.load(), kNotices / 2);

  // Per notice: one history line, one cleared event, the right state.
  std::map<std::string, int> lines;
  std::map<std::string, int> events;
  std::map<std::string, std::string> status;
  ASSERT_TRUE(pool_a
                  ->Read([&](pqxx::work& tx) {
                    for (const auto& r : tx.exec("SELECT notice_id::text FROM notice_history"
                                                 " WHERE action = 'WINDOW_ELAPSED'")) {
                      ++lines[r[0].as<std::string>()];
                    }
                    for (const auto& r : tx.exec("SELECT payload FROM outbox WHERE routing_key"
                                                 " = 'coordination.staffing.cleared.v1'")) {
                      events::v1::StaffingCleared e;
                      EXPECT_TRUE(e.ParseFromString(pg::BytesOf(r[0])));
                      EXPECT_EQ(e.meta().tenant_id(), city);
                      EXPECT_FALSE(e.meta().event_id().empty());
                      ++events[e.notice().notice_id()];
                    }
                    for (const auto& r : tx.exec("SELECT id::text, status FROM staffing_notices")) {
                      status[r[0].as<std::string>()] = r[1].as<std::string>();
                    }
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(lines.size(), static_cast<size_t>(kNotices - kWithdrawn));
  EXPECT_EQ(events.size(), static_cast<size_t>(kNotices - kWithdrawn));
  for (const auto& id : ids) {
    if (withdrawn.count(id)) {
      EXPECT_EQ(lines.count(id), 0u) << id;
      EXPECT_EQ(events.count(id), 0u) << id;
      EXPECT_EQ(status[id], "WITHDRAWN") << id;
      continue;
    }
    EXPECT_EQ(lines[id], 1) << id;
    EXPECT_EQ(events[id], 1) << id;
    EXPECT_EQ(status[id], "CLEARED_WINDOW_ELAPSED") << id;
  }

  // The stored notice carries the clearance as before (history read back, etag moved on).
  auto n = store_a.Get(ids.back());
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->status(), v1::CLEARED_WINDOW_ELAPSED);
  EXPECT_EQ(n->clearance(), v1::CLEARANCE_WINDOW_ELAPSED);
  EXPECT_EQ(n->etag(), "2");
  EXPECT_EQ(n->candidates(0).qualification(), Filing(district).candidates(0).qualification());
  ASSERT_GE(n->history_size(), 2);
  EXPECT_EQ(n->history(n->history_size() - 1).action(), "WINDOW_ELAPSED");
}

}  // namespace
}  // namespace stellenwerk::coordination
