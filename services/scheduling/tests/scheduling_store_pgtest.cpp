// The store on the real PostgreSQL: a selection day with its event in the same transaction,
// request_id replays, tenant scoping, concurrent bookings through the store (exactly one
// wins), the booking rules, cancellation with METHOD:CANCEL and a freed slot.
#include <atomic>
#include <thread>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "common/ids/uuid.h"
#include "common/testing/test_env.h"
#include "common/time/berlin_calendar.h"
#include "gtest/gtest.h"
#include "services/scheduling/adapters/pg_scheduling_store.h"
#include "stellenwerk/events/v1/scheduling.pb.h"

namespace stellenwerk::pg {
const std::vector<Migration>& SchedulingMigrations();
}

namespace stellenwerk::scheduling {
namespace {

using testing::UniqueName;
namespace ev = events::v1;

const absl::Time kNow = absl::FromCivil(absl::CivilMinute(2026, 2, 2, 10, 0), calendar::Berlin());

store::Actor Hr(const std::string& tenant) {
  store::Actor a;
  a.sub = "hr-1";
  a.tenant = tenant;
  a.correlation_id = "c-1";
  a.role = "hr_clerk";
  return a;
}
store::Actor Applicant(const std::string& tenant, const std::string& sub) {
  store::Actor a = Hr(tenant);
  a.sub = sub;
  a.role = "";
  a.applicant = true;
  return a;
}

struct World {
  std::string schema = UniqueName("t_sched_store");
  std::string tenant = UniqueName("stadt");
  std::string posting = ids::NewUuid();
  std::string app_a = ids::NewUuid();
  std::string app_b = ids::NewUuid();
  std::string app_new = ids::NewUuid();
};

v1::CreateSelectionDayRequest DayRequest(const World& s, const std::string& request_id) {
  v1::CreateSelectionDayRequest r;
  r.set_request_id(request_id);
  r.set_posting_id(s.posting);
  r.set_date("2026-03-10");
  r.set_start_time("2026-03-10T09:00:00+01:00");
  r.set_location("Rathaus, Markt 1");
  r.set_room("Raum 2.14");
  r.set_video_available(true);
  r.set_video_url("https://video.stadt.example/r/1");
  auto* i = r.add_parts();
  i->set_kind(v1::INTERVIEW);
  i->mutable_length()->set_seconds(1800);
  i->set_count(4);
  r.add_committee_member_ids("m1");
  return r;
}

std::vector<std::pair<std::string, std::string>> Outbox(pg::Pool& pool) {
  std::vector<std::pair<std::string, std::string>> out;
  EXPECT_TRUE(pool.Read([&](pqxx::work& tx) {
                    for (const auto& row :
                         tx.exec("SELECT routing_key, payload FROM outbox ORDER BY id")) {
                      out.emplace_back(row[0].as<std::string>(), pg::BytesOf(row[1]));
                    }
                    return absl::OkStatus();
                  })
                  .ok());
  return out;
}

std::vector<std::string> SlotIds(pg::Pool& pool, const std::string& day) {
  std::vector<std::string> out;
  EXPECT_TRUE(
      pool.Read([&](pqxx::work& tx) {
            for (const auto& row : tx.exec_params(
                     "SELECT id::text FROM slots WHERE selection_day_id = $1 ORDER BY idx", day)) {
              out.push_back(row[0].as<std::string>());
            }
            return absl::OkStatus();
          })
          .ok());
  return out;
}

v1::BookSlotRequest Book(const std::string& request_id, const std::string& slot,
                         const std::string& application) {
  v1::BookSlotRequest r;
  r.set_request_id(request_id);
  r.set_slot_id(slot);
  r.set_application_id(application);
  r.set_mode(v1::IN_PERSON);
  return r;
}

TEST(SchedulingStore, DaysBookingsRacesAndCancellation) {
  STW_REQUIRE_INFRA(infra);
  World s;
  auto pool = testing::MigratedPool(infra, s.schema, pg::SchedulingMigrations());
  FakeClock clock(kNow);
  PgSchedulingStore store(*pool, s.schema, clock);
  ASSERT_TRUE(pool->Transact([&](pqxx::work& tx) {
                    ev::PostingSnapshot p;
                    p.set_posting_id(s.posting);
                    p.set_tenant_id(s.tenant);
                    p.set_kennziffer("26/0042");
                    p.set_title("Sachbearbeitung Bürgerbüro");
                    p.set_status("CLOSED");
                    p.set_application_deadline("2026-03-01");
                    p.set_version(3);
                    store.ApplyPosting(tx, p);
                    p.set_status("DRAFT");  // an older version arriving late changes nothing
                    p.set_version(2);
                    store.ApplyPosting(tx, p);
                    for (auto [app, sub, status] : {std::tuple{s.app_a, "sub-a", "INVITED"},
                                                    std::tuple{s.app_b, "sub-b", "INVITED"},
                                                    std::tuple{s.app_new, "sub-c", "SCREENING"}}) {
                      if (absl::Status st = store.ApplyApplicationStatus(tx, s.tenant, app,
                                                                         s.posting, sub, status);
                          !st.ok()) {
                        return st;
                      }
                    }
                    return absl::OkStatus();
                  })
                  .ok());

  // A day, its event in the same transaction; a replay answers the same and writes nothing.
  auto day = store.CreateSelectionDay(Hr(s.tenant), DayRequest(s, "r-day"));
  ASSERT_TRUE(day.ok()) << day.status();
  EXPECT_EQ(day->slot_count(), 4);
  auto again = store.CreateSelectionDay(Hr(s.tenant), DayRequest(s, "r-day"));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->id(), day->id());
  auto events = Outbox(*pool);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].first, "scheduling.selection_day.scheduled.v1");
  // The same request id with another body, another tenant, the same room again.
  v1::CreateSelectionDayRequest other = DayRequest(s, "r-day");
  other.set_room("Raum 9");
  EXPECT_EQ(store.CreateSelectionDay(Hr(s.tenant), other).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store.CreateSelectionDay(Hr(UniqueName("kreis")), DayRequest(s, "r-x")).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store.CreateSelectionDay(Hr(s.tenant), DayRequest(s, "r-2")).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Outbox(*pool).size(), 1u);

  const auto slots = SlotIds(*pool, day->id());
  ASSERT_EQ(slots.size(), 4u);

  // Two applicants race for slot 0 from two connections: exactly one wins.
  auto pool_b = testing::MigratedPool(infra, s.schema, pg::SchedulingMigrations());
  PgSchedulingStore store_b(*pool_b, s.schema, clock);
  std::atomic<bool> go{false};
  absl::StatusOr<v1::Booking> ra, rb;
  std::thread ta([&] {
    while (!go.load()) std::this_thread::yield();
    ra = store.BookSlot(Applicant(s.tenant, "sub-a"), Book("ba", slots[0], s.app_a));
  });
  std::thread tb([&] {
    while (!go.load()) std::this_thread::yield();
    rb = store_b.BookSlot(Applicant(s.tenant, "sub-b"), Book("bb", slots[0], s.app_b));
  });
  go.store(true);
  ta.join();
  tb.join();
  ASSERT_NE(ra.ok(), rb.ok()) << ra.status() << " / " << rb.status();
  const absl::Status& lost = ra.ok() ? rb.status() : ra.status();
  EXPECT_EQ(lost.code(), absl::StatusCode::kFailedPrecondition) << lost;
  const v1::Booking won = ra.ok() ? *ra : *rb;
  const std::string winner_app = won.application_id();
  const std::string winner_sub = ra.ok() ? "sub-a" : "sub-b";
  EXPECT_EQ(won.booked_by(), "APPLICANT");

  // The winner holds a slot that day: a second one is refused. Someone else's application is
  // NOT_FOUND for an applicant; a non-INVITED one is FAILED_PRECONDITION even for HR.
  EXPECT_EQ(store.BookSlot(Applicant(s.tenant, winner_sub), Book("w2", slots[1], winner_app))
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(
      store.BookSlot(Applicant(s.tenant, "sub-c"), Book("c1", slots[2], s.app_a)).status().code(),
      absl::StatusCode::kNotFound);
  EXPECT_EQ(store.BookSlot(Hr(s.tenant), Book("c2", slots[2], s.app_new)).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store.BookSlot(Hr(UniqueName("kreis")), Book("c3", slots[2], s.app_a)).status().code(),
            absl::StatusCode::kNotFound);

  // Cancel: METHOD:CANCEL with the same UID and a higher SEQUENCE; the slot is free again.
  v1::CancelBookingRequest cancel;
  cancel.set_request_id("cx");
  cancel.set_booking_id(won.id());
  cancel.set_reason("Terminkollision");
  auto cancelled = store.CancelBooking(Hr(s.tenant), cancel);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->status(), v1::CANCELLED);
  EXPECT_EQ(cancelled->sequence(), 1);
  events = Outbox(*pool);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1].first, "scheduling.booking.confirmed.v1");
  ev::BookingConfirmed confirmed;
  ASSERT_TRUE(confirmed.ParseFromString(events[1].second));
  EXPECT_EQ(confirmed.booking().booking_id(), won.id());
  EXPECT_EQ(confirmed.booking().start_local(), "2026-03-10T09:00:00+01:00");
  EXPECT_EQ(confirmed.booking().posting_id(), s.posting);
  EXPECT_NE(confirmed.booking().ics().find("METHOD:REQUEST"), std::string::npos);
  EXPECT_EQ(events[2].first, "scheduling.booking.cancelled.v1");
  ev::BookingCancelled gone;
  ASSERT_TRUE(gone.ParseFromString(events[2].second));
  EXPECT_EQ(gone.booking().ics_uid(), confirmed.booking().ics_uid());
  EXPECT_EQ(gone.booking().sequence(), 1);
  EXPECT_NE(gone.booking().ics().find("METHOD:CANCEL"), std::string::npos);
  const std::string loser_app = winner_app == s.app_a ? s.app_b : s.app_a;
  EXPECT_TRUE(store.BookSlot(Hr(s.tenant), Book("again", slots[0], loser_app)).ok());

  // Reads: the day, its slots (free_only hides the taken one), bookings per role.
  auto read = store.GetSelectionDay(Hr(s.tenant), day->id());
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->slot_count(), 4);
  EXPECT_EQ(store.GetSelectionDay(Hr(UniqueName("kreis")), day->id()).status().code(),
            absl::StatusCode::kNotFound);
  v1::ListSlotsRequest list;
  list.set_selection_day_id(day->id());
  auto all = store.ListSlots(Hr(s.tenant), list);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->slots_size(), 4);
  EXPECT_TRUE(all->slots(0).booked());
  EXPECT_EQ(all->slots(1).start_local(), "2026-03-10T09:30:00+01:00");
  list.set_free_only(true);
  EXPECT_EQ(store.ListSlots(Hr(s.tenant), list)->slots_size(), 3);
  v1::ListBookingsRequest lb;
  lb.set_selection_day_id(day->id());
  EXPECT_EQ(store.ListBookings(Hr(s.tenant), lb)->bookings_size(), 1);
  lb.set_include_cancelled(true);
  EXPECT_EQ(store.ListBookings(Hr(s.tenant), lb)->bookings_size(), 2);
  EXPECT_EQ(store.ListBookings(Applicant(s.tenant, winner_sub), lb)->bookings_size(), 1);
  lb.clear_selection_day_id();
  lb.set_posting_id(s.posting);
  EXPECT_EQ(store.ListBookings(Hr(s.tenant), lb)->bookings_size(), 2);
  EXPECT_EQ(store.ListBookings(Hr(UniqueName("kreis")), lb)->bookings_size(), 0);

  // A past slot is not bookable.
  clock.Set(kNow + absl::Hours(24 * 60));
  EXPECT_EQ(store.BookSlot(Hr(s.tenant), Book("late", slots[3], winner_app)).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

int CountKey(pg::Pool& pool, const std::string& key) {
  int n = 0;
  for (const auto& [k, body] : Outbox(pool)) n += k == key ? 1 : 0;
  return n;
}

// Reminders on the durable timer with the fake clock: 48 h before a booking in the week after
// the spring DST change fires once (not an hour early), moves with a reschedule, drops with a
// cancellation. The calendar keeps its UID and counts SEQUENCE up.
TEST(SchedulingStore, RemindersRescheduleAndCalendar) {
  STW_REQUIRE_INFRA(infra);
  World s;
  auto pool = testing::MigratedPool(infra, s.schema, pg::SchedulingMigrations());
  FakeClock clock(kNow);
  PgSchedulingStore store(*pool, s.schema, clock);
  timers::Scheduler scheduler({}, *pool, clock);
  store.RegisterTimers(scheduler);
  ASSERT_TRUE(pool->Transact([&](pqxx::work& tx) {
                    ev::PostingSnapshot p;
                    p.set_posting_id(s.posting);
                    p.set_tenant_id(s.tenant);
                    p.set_kennziffer("26/0042");
                    p.set_title("Sachbearbeitung");
                    p.set_status("PUBLISHED");
                    p.set_application_deadline("2026-03-01");
                    p.set_version(1);
                    store.ApplyPosting(tx, p);
                    if (absl::Status st = store.ApplyApplicationStatus(
                            tx, s.tenant, s.app_a, s.posting, "sub-a", "INVITED");
                        !st.ok()) {
                      return st;
                    }
                    return store.ApplyApplicationStatus(tx, s.tenant, s.app_b, s.posting, "sub-b",
                                                        "INVITED");
                  })
                  .ok());
  v1::CreateSelectionDayRequest day_request = DayRequest(s, "r-day");
  day_request.set_date("2026-03-31");  // Tuesday after the change on Sunday 29 March
  day_request.set_start_time("2026-03-31T10:00:00+02:00");
  auto day = store.CreateSelectionDay(Hr(s.tenant), day_request);
  ASSERT_TRUE(day.ok()) << day.status();
  const auto slots = SlotIds(*pool, day->id());
  auto a = store.BookSlot(Hr(s.tenant), Book("ba", slots[0], s.app_a));
  ASSERT_TRUE(a.ok()) << a.status();
  auto b = store.BookSlot(Hr(s.tenant), Book("bb", slots[1], s.app_b));
  ASSERT_TRUE(b.ok()) << b.status();

  // Into an occupied slot: FAILED_PRECONDITION; into a free one: SEQUENCE 1, same UID.
  v1::RescheduleBookingRequest move;
  move.set_request_id("m1");
  move.set_booking_id(a->id());
  move.set_slot_id(slots[1]);
  EXPECT_EQ(store.RescheduleBooking(Hr(s.tenant), move).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store.RescheduleBooking(Hr(UniqueName("kreis")), move).status().code(),
            absl::StatusCode::kNotFound);
  move.set_request_id("m2");
  move.set_slot_id(slots[2]);  // 11:00
  auto moved = store.RescheduleBooking(Hr(s.tenant), move);
  ASSERT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(moved->sequence(), 1);
  EXPECT_EQ(moved->ics_uid(), a->ics_uid());
  auto cal = store.GetBookingCalendar(Hr(s.tenant), a->id());
  ASSERT_TRUE(cal.ok()) << cal.status();
  EXPECT_NE(cal->ics().find("SEQUENCE:1\r\n"), std::string::npos);
  EXPECT_NE(cal->ics().find("DTSTART;TZID=Europe/Berlin:20260331T110000"), std::string::npos)
      << cal->ics();
  EXPECT_EQ(cal->method(), "REQUEST");
  EXPECT_EQ(store.GetBookingCalendar(Applicant(s.tenant, "sub-b"), a->id()).status().code(),
            absl::StatusCode::kNotFound);

  // B is cancelled: its reminder is dropped.
  v1::CancelBookingRequest cancel;
  cancel.set_request_id("c1");
  cancel.set_booking_id(b->id());
  ASSERT_TRUE(store.CancelBooking(Hr(s.tenant), cancel).ok());

  // The reminder of A (now 11:00 CEST) is due Sunday 29 March 11:00 CEST = 09:00 UTC.
  const absl::Time due = *ParseBerlinTime("2026-03-29T11:00:00+02:00", "t");
  clock.Set(due - absl::Seconds(1));
  ASSERT_TRUE(scheduler.RunOnce().ok());
  EXPECT_EQ(CountKey(*pool, "scheduling.reminder.due.v1"), 0);
  clock.Set(due);
  auto fired = scheduler.RunOnce();
  ASSERT_TRUE(fired.ok());
  EXPECT_EQ(CountKey(*pool, "scheduling.reminder.due.v1"), 1);
  clock.Set(due + absl::Hours(30));
  ASSERT_TRUE(scheduler.RunOnce().ok());
  EXPECT_EQ(CountKey(*pool, "scheduling.reminder.due.v1"), 1);  // exactly once, B dropped
  for (const auto& [key, body] : Outbox(*pool)) {
    if (key != "scheduling.reminder.due.v1") continue;
    ev::ReminderDue r;
    ASSERT_TRUE(r.ParseFromString(body));
    EXPECT_EQ(r.booking().booking_id(), a->id());
    EXPECT_EQ(r.booking().start_local(), "2026-03-31T11:00:00+02:00");
    EXPECT_EQ(r.lead().seconds(), 48 * 3600);
    EXPECT_EQ(r.due_time().seconds(), absl::ToUnixSeconds(due));
  }
}

// applications.application.status_changed.v1 to WITHDRAWN cancels the booking (METHOD:CANCEL,
// the slot is free, no reminder); applications.applicant.erased.v1 deletes what is left.
TEST(SchedulingStore, WithdrawalCancelsErasureDeletes) {
  STW_REQUIRE_INFRA(infra);
  World s;
  auto pool = testing::MigratedPool(infra, s.schema, pg::SchedulingMigrations());
  FakeClock clock(kNow);
  PgSchedulingStore store(*pool, s.schema, clock);
  timers::Scheduler scheduler({}, *pool, clock);
  store.RegisterTimers(scheduler);
  auto apply = [&](const std::string& app, const std::string& sub, const std::string& status) {
    ASSERT_TRUE(pool->Transact([&](pqxx::work& tx) {
                      return store.ApplyApplicationStatus(tx, s.tenant, app, s.posting, sub, status,
                                                          "cid-1");
                    })
                    .ok());
  };
  ASSERT_TRUE(pool->Transact([&](pqxx::work& tx) {
                    ev::PostingSnapshot p;
                    p.set_posting_id(s.posting);
                    p.set_tenant_id(s.tenant);
                    p.set_status("CLOSED");
                    p.set_application_deadline("2026-03-01");
                    p.set_version(1);
                    store.ApplyPosting(tx, p);
                    return absl::OkStatus();
                  })
                  .ok());
  apply(s.app_a, "sub-a", "INVITED");
  apply(s.app_b, "sub-b", "INVITED");
  auto day = store.CreateSelectionDay(Hr(s.tenant), DayRequest(s, "r-day"));
  ASSERT_TRUE(day.ok()) << day.status();
  const auto slots = SlotIds(*pool, day->id());
  auto a = store.BookSlot(Hr(s.tenant), Book("ba", slots[0], s.app_a));
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(store.BookSlot(Hr(s.tenant), Book("bb", slots[1], s.app_b)).ok());

  apply(s.app_a, "sub-a", "WITHDRAWN");
  EXPECT_EQ(CountKey(*pool, "scheduling.booking.cancelled.v1"), 1);
  for (const auto& [key, body] : Outbox(*pool)) {
    if (key != "scheduling.booking.cancelled.v1") continue;
    ev::BookingCancelled c;
    ASSERT_TRUE(c.ParseFromString(body));
    EXPECT_EQ(c.cause(), "APPLICATION_WITHDRAWN");
    EXPECT_EQ(c.booking().booking_id(), a->id());
    EXPECT_EQ(c.booking().sequence(), 1);
    EXPECT_NE(c.booking().ics().find("METHOD:CANCEL"), std::string::npos);
  }
  auto cal = store.GetBookingCalendar(Hr(s.tenant), a->id());
  ASSERT_TRUE(cal.ok());
  EXPECT_EQ(cal->method(), "CANCEL");
  // Withdrawn: no new booking; the freed slot goes to someone INVITED.
  EXPECT_EQ(store.BookSlot(Hr(s.tenant), Book("ba2", slots[2], s.app_a)).status().code(),
            absl::StatusCode::kFailedPrecondition);

  // B is erased: booking, invitation and reminder are gone; no reminder for anyone fires.
  ASSERT_TRUE(pool->Transact([&](pqxx::work& tx) {
                    store.EraseApplications(tx, {s.app_a, s.app_b});
                    return absl::OkStatus();
                  })
                  .ok());
  int64_t left = -1;
  ASSERT_TRUE(pool->Read([&](pqxx::work& tx) {
                    left = tx.exec(
                                 "SELECT (SELECT count(*) FROM bookings) +"
                                 " (SELECT count(*) FROM invitations)")[0][0]
                               .as<int64_t>();
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(left, 0);
  clock.Set(kNow + absl::Hours(24 * 40));
  ASSERT_TRUE(scheduler.RunOnce().ok());
  EXPECT_EQ(CountKey(*pool, "scheduling.reminder.due.v1"), 0);
}

}  // namespace
}  // namespace stellenwerk::scheduling
