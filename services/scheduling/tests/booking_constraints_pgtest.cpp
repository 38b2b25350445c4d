// The double-booking constraints on the real PostgreSQL (ADR 0024): concurrent bookings of
// one slot from separate connections — exactly one wins; one slot per application and day; an
// extended booking never overlaps another; a room and a committee member hold one selection
// day at a time across the tenant's days. The constraints alone decide here: no code check
// runs before the INSERTs.
#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/ids/uuid.h"
#include "common/pg/pool.h"
#include "common/testing/test_env.h"
#include "gtest/gtest.h"
#include "services/scheduling/adapters/pg_scheduling_errors.h"

namespace stellenwerk::pg {
const std::vector<Migration>& SchedulingMigrations();
}

namespace stellenwerk::scheduling {
namespace {

using testing::UniqueName;

std::string Uuid() { return ids::NewUuid(); }

struct Fixture {
  std::string tenant = UniqueName("stadt");
  std::string day = Uuid();
  std::vector<std::string> slots;
};

absl::Status Exec(pg::Pool& pool, const std::string& sql) {
  return pool.Transact([&](pqxx::work& tx) {
    return MapConstraints([&] {
      tx.exec(sql);
      return absl::OkStatus();
    });
  });
}

std::string Q(pg::Pool& pool, const std::string& s) {
  std::string q;
  EXPECT_TRUE(pool.Read([&](pqxx::work& tx) {
                    q = tx.quote(s);
                    return absl::OkStatus();
                  })
                  .ok());
  return q;
}

absl::Status InsertDay(pg::Pool& pool, const std::string& tenant, const std::string& id,
                       const std::string& room, const std::string& from, const std::string& to,
                       const std::vector<std::string>& members) {
  return pool.Transact([&](pqxx::work& tx) {
    return MapConstraints([&] {
      tx.exec_params(
          "INSERT INTO selection_days (id, tenant_id, posting_id, day, location, room, room_key,"
          " span, data, created_at) VALUES ($1, $2, $3, $4::timestamptz::date, 'Rathaus', $5,"
          " lower($5), tstzrange($4::timestamptz, $6::timestamptz), ''::bytea, now())",
          id, tenant, Uuid(), from, room, to);
      for (const auto& m : members) {
        tx.exec_params(
            "INSERT INTO committee_sittings (tenant_id, selection_day_id, member_id, span)"
            " VALUES ($1, $2, $3, tstzrange($4::timestamptz, $5::timestamptz))",
            tenant, id, m, from, to);
      }
      return absl::OkStatus();
    });
  });
}

absl::Status Book(pg::Pool& pool, const Fixture& f, int slot, const std::string& application,
                  const std::string& from, const std::string& to) {
  return pool.Transact([&](pqxx::work& tx) {
    return MapConstraints([&] {
      tx.exec_params(
          "INSERT INTO bookings (id, tenant_id, selection_day_id, slot_id, application_id,"
          " applicant_sub, occupied, data, created_at, updated_at)"
          " VALUES ($1, $2, $3, $4, $5, 'sub', tstzrange($6::timestamptz, $7::timestamptz),"
          " ''::bytea, now(), now())",
          Uuid(), f.tenant, f.day, f.slots.at(slot), application, from, to);
      return absl::OkStatus();
    });
  });
}

Fixture MakeDay(pg::Pool& pool) {
  Fixture f;
  EXPECT_TRUE(InsertDay(pool, f.tenant, f.day, "Raum 2.14", "2026-03-10T09:00:00+01:00",
                        "2026-03-10T12:00:00+01:00", {"m1"})
                  .ok());
  for (int i = 0; i < 3; ++i) {
    f.slots.push_back(Uuid());
    EXPECT_TRUE(pool.Transact([&](pqxx::work& tx) {
                      tx.exec_params(
                          "INSERT INTO slots (id, tenant_id, selection_day_id, idx, part, start_at,"
                          " end_at) VALUES ($1, $2, $3, $4, 2, now(), now() + interval '1 h')",
                          f.slots.back(), f.tenant, f.day, i);
                      return absl::OkStatus();
                    })
                    .ok());
  }
  return f;
}

TEST(BookingConstraints, ConcurrentBookingsOfOneSlotExactlyOneWins) {
  STW_REQUIRE_INFRA(infra);
  const std::string schema = UniqueName("t_sched_race");
  auto setup = testing::MigratedPool(infra, schema, pg::SchedulingMigrations());
  const Fixture f = MakeDay(*setup);
  constexpr int kRacers = 6;
  std::vector<std::unique_ptr<pg::Pool>> pools;
  for (int i = 0; i < kRacers; ++i) {
    pools.push_back(testing::MigratedPool(infra, schema, pg::SchedulingMigrations()));
  }
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<absl::Status> results(kRacers);
  std::vector<std::thread> threads;
  for (int i = 0; i < kRacers; ++i) {
    threads.emplace_back([&, i] {
      ready.fetch_add(1);
      while (!go.load()) std::this_thread::yield();
      results[i] =
          Book(*pools[i], f, 0, Uuid(), "2026-03-10T09:00:00+01:00", "2026-03-10T09:45:00+01:00");
    });
  }
  while (ready.load() < kRacers) std::this_thread::yield();
  go.store(true);
  for (auto& t : threads) t.join();
  int won = 0;
  for (const auto& s : results) {
    if (s.ok()) {
      ++won;
    } else {
      EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
    }
  }
  EXPECT_EQ(won, 1);
}

TEST(BookingConstraints, OneSlotPerApplicationAndDayAndNoOverlapOfExtendedSlots) {
  STW_REQUIRE_INFRA(infra);
  auto pool = testing::MigratedPool(infra, UniqueName("t_sched_day"), pg::SchedulingMigrations());
  const Fixture f = MakeDay(*pool);
  const std::string app = Uuid();
  ASSERT_TRUE(
      Book(*pool, f, 0, app, "2026-03-10T09:00:00+01:00", "2026-03-10T09:45:00+01:00").ok());
  auto second = Book(*pool, f, 1, app, "2026-03-10T09:45:00+01:00", "2026-03-10T10:30:00+01:00");
  EXPECT_EQ(second.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(second.message().find("on that day"), std::string::npos) << second;
  // Another applicant's booking extended into the next slot's time is refused.
  auto overlap =
      Book(*pool, f, 1, Uuid(), "2026-03-10T09:30:00+01:00", "2026-03-10T10:30:00+01:00");
  EXPECT_EQ(overlap.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(overlap.message().find("overlap"), std::string::npos) << overlap;
  // A cancelled booking frees the slot.
  ASSERT_TRUE(Exec(*pool, "UPDATE bookings SET active = false").ok());
  EXPECT_TRUE(
      Book(*pool, f, 0, Uuid(), "2026-03-10T09:00:00+01:00", "2026-03-10T09:45:00+01:00").ok());
}

TEST(BookingConstraints, RoomAndCommitteeMemberOneDayAtATimeAcrossTheTenant) {
  STW_REQUIRE_INFRA(infra);
  auto pool = testing::MigratedPool(infra, UniqueName("t_sched_room"), pg::SchedulingMigrations());
  const Fixture f = MakeDay(*pool);
  auto room = InsertDay(*pool, f.tenant, Uuid(), "raum 2.14", "2026-03-10T11:00:00+01:00",
                        "2026-03-10T13:00:00+01:00", {"m9"});
  EXPECT_EQ(room.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(room.message().find("room"), std::string::npos) << room;
  auto member = InsertDay(*pool, f.tenant, Uuid(), "Raum 3.01", "2026-03-10T11:00:00+01:00",
                          "2026-03-10T13:00:00+01:00", {"m1"});
  EXPECT_EQ(member.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(member.message().find("committee"), std::string::npos) << member;
  // Nothing half-written: the refused day left no row.
  int64_t days = 0;
  ASSERT_TRUE(pool->Read([&](pqxx::work& tx) {
                    days = tx.exec("SELECT count(*) FROM selection_days")[0][0].as<int64_t>();
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(days, 1);
  // Touching spans, and the same room in another tenant, are fine.
  EXPECT_TRUE(InsertDay(*pool, f.tenant, Uuid(), "Raum 2.14", "2026-03-10T12:00:00+01:00",
                        "2026-03-10T14:00:00+01:00", {"m1"})
                  .ok());
  EXPECT_TRUE(InsertDay(*pool, UniqueName("kreis"), Uuid(), "Raum 2.14",
                        "2026-03-10T09:00:00+01:00", "2026-03-10T12:00:00+01:00", {"m1"})
                  .ok());
}

}  // namespace
}  // namespace stellenwerk::scheduling
