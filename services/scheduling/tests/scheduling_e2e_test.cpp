// End to end through gRPC against an in-process scheduling service on the real PostgreSQL and
// RabbitMQ of scripts/test, with the fake clock: every RPC with its nasty cases, the booking
// race, the calendar text through an independent parser, reminders on the fake clock, and the
// consumers (idempotent, erasure).
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/events/catalogue.h"
#include "common/ids/uuid.h"
#include "common/testing/events.h"
#include "common/testing/harness.h"
#include "gtest/gtest.h"
#include "services/scheduling/tests/scheduling_testing.h"
#include "stellenwerk/events/v1/applications.pb.h"
#include "stellenwerk/events/v1/scheduling.pb.h"

namespace stellenwerk::scheduling {
namespace {

using stellenwerk::testing::EventTap;
using stellenwerk::testing::UniqueName;
namespace ev = events::v1;

absl::Time Berlin(int y, int m, int d, int hh, int mm = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, 0), calendar::Berlin());
}

// Tuesday 10 March 2026, 09:00 Berlin (CET, +01:00): after the deadline, a working day.
constexpr char kDate[] = "2026-03-10";
constexpr char kNine[] = "2026-03-10T09:00:00+01:00";

class SchedulingE2eTest : public SchedulingServiceTest {
 protected:
  // Every event the service committed so far, once they are all at the broker.
  static std::vector<amqp::Delivery> Published(EventTap& tap) {
    EXPECT_TRUE(scheduling_->WaitForOutbox());
    return tap.TakeQueued();
  }
  template <typename E>
  static std::vector<E> Parsed(const std::vector<amqp::Delivery>& all) {
    std::vector<E> out;
    for (const auto& d : all) {
      if (d.message.type != events::RoutingKey<E>()) continue;
      E e;
      if (e.ParseFromString(d.message.body)) out.push_back(e);
    }
    return out;
  }
  // Fires every reminder due now. The service's own scheduler may have claimed one at the
  // same moment: once no due timer row is left, every firing has committed (the row goes in
  // the transaction that writes the event to the outbox).
  static void RunTimers() {
    auto fired = scheduling_->RunTimers();
    ASSERT_TRUE(fired.ok()) << fired.status();
    auto now = scheduling_->GetTime();
    ASSERT_TRUE(now.ok());
    ASSERT_TRUE(stellenwerk::testing::WaitFor(
        [&] {
          int64_t due = -1;
          EXPECT_TRUE(scheduling_->runtime()
                          .db()
                          .Read([&](pqxx::work& tx) {
                            due = tx.exec_params1(
                                        "SELECT count(*) FROM timers WHERE kind = $1"
                                        " AND due_at <= $2::timestamptz",
                                        std::string(kReminderTimer), pg::ToPgTimestamp(*now))[0]
                                      .as<int64_t>();
                            return absl::OkStatus();
                          })
                          .ok());
          return due == 0;
        },
        absl::Seconds(15)));
  }
  static void SetClock(absl::Time t) {
    absl::Status s = scheduling_->SetTime(t);
    ASSERT_TRUE(s.ok()) << s;
  }
  v1::Booking BookOk(const std::string& token, const std::string& slot, const std::string& app) {
    v1::Booking b;
    grpc::Status s = Book(token, slot, app, &b);
    EXPECT_TRUE(s.ok()) << "BookSlot: " << s.error_message();
    return b;
  }
  grpc::Status Reschedule(const std::string& token, const std::string& booking,
                          const std::string& slot, v1::Booking* out) {
    v1::RescheduleBookingRequest r;
    r.set_request_id(ids::NewUuid());
    r.set_booking_id(booking);
    r.set_slot_id(slot);
    return stub_->RescheduleBooking(Ctx(token).get(), r, out);
  }
  grpc::Status Cancel(const std::string& token, const std::string& booking, v1::Booking* out) {
    v1::CancelBookingRequest r;
    r.set_request_id(ids::NewUuid());
    r.set_booking_id(booking);
    r.set_reason("verhindert");
    return stub_->CancelBooking(Ctx(token).get(), r, out);
  }
  v1::BookingCalendar Calendar(const std::string& token, const std::string& booking) {
    v1::GetBookingCalendarRequest r;
    r.set_booking_id(booking);
    v1::BookingCalendar c;
    grpc::Status s = stub_->GetBookingCalendar(Ctx(token).get(), r, &c);
    EXPECT_TRUE(s.ok()) << "GetBookingCalendar: " << s.error_message();
    return c;
  }
  std::vector<v1::Booking> Bookings(const std::string& token, const std::string& day_id,
                                    bool include_cancelled = false) {
    v1::ListBookingsRequest r;
    r.set_selection_day_id(day_id);
    r.set_include_cancelled(include_cancelled);
    r.set_page_size(200);
    v1::ListBookingsResponse page;
    grpc::Status s = stub_->ListBookings(Ctx(token).get(), r, &page);
    EXPECT_TRUE(s.ok()) << "ListBookings: " << s.error_message();
    return {page.bookings().begin(), page.bookings().end()};
  }
};

TEST_F(SchedulingE2eTest, CreateSelectionDayRefusesBadDatesZonesPostingsRolesAndConflicts) {
  const std::string posting = Posting("CLOSED");
  auto refused = [&](v1::CreateSelectionDayRequest r, const std::string& token = "") {
    v1::SelectionDay out;
    return stub_->CreateSelectionDay(Ctx(token.empty() ? Hr() : token).get(), r, &out).error_code();
  };
  // Saturday, Good Friday (FTG NW § 2), the deadline itself: refused.
  EXPECT_EQ(refused(DayRequest(posting, "2026-03-07", "2026-03-07T09:00:00+01:00", 2)),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(refused(DayRequest(posting, "2026-04-03", "2026-04-03T09:00:00+02:00", 2)),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(refused(DayRequest(posting, kDeadline, "2026-02-20T09:00:00+01:00", 2)),
            grpc::StatusCode::FAILED_PRECONDITION);
  // A time without a zone, in UTC, or with summer's offset in winter.
  EXPECT_EQ(refused(DayRequest(posting, kDate, "2026-03-10T09:00:00", 2)),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(refused(DayRequest(posting, kDate, "2026-03-10T08:00:00Z", 2)),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(refused(DayRequest(posting, kDate, "2026-03-10T09:00:00+02:00", 2)),
            grpc::StatusCode::INVALID_ARGUMENT);
  // A draft posting; another tenant's posting (NOT_FOUND, no leak).
  EXPECT_EQ(refused(DayRequest(Posting("DRAFT"), kDate, kNine, 2)),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(refused(DayRequest(posting, kDate, kNine, 2),
                    harness().Token(UniqueName("kreis"), {"hr_clerk"}, "hr-1")),
            grpc::StatusCode::NOT_FOUND);
  // Wrong role, no token.
  EXPECT_EQ(refused(DayRequest(posting, kDate, kNine, 2), ApplicantToken("a-1")),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(refused(DayRequest(posting, kDate, kNine, 2),
                    harness().Token(tenant_, {"committee_member"}, "m1")),
            grpc::StatusCode::PERMISSION_DENIED);
  {
    v1::SelectionDay out;
    auto ctx = stellenwerk::testing::CallContext("");
    EXPECT_EQ(stub_->CreateSelectionDay(ctx.get(), DayRequest(posting, kDate, kNine, 2), &out)
                  .error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }

  // A day; the replay answers the same; the same id with another body is ALREADY_EXISTS.
  v1::CreateSelectionDayRequest r = DayRequest(posting, kDate, kNine, 4, "day-1");
  const v1::SelectionDay day = Day(r);
  ASSERT_FALSE(day.id().empty());
  EXPECT_EQ(day.slot_count(), 4);
  EXPECT_EQ(Day(r).id(), day.id());
  v1::CreateSelectionDayRequest other = r;
  other.set_room("Raum 3.01");
  EXPECT_EQ(refused(other), grpc::StatusCode::ALREADY_EXISTS);

  // The same room overlapping (another posting too), and committee member m1 elsewhere then.
  v1::CreateSelectionDayRequest same_room =
      DayRequest(Posting("CLOSED"), kDate, "2026-03-10T10:00:00+01:00", 2);
  same_room.set_room(r.room());
  same_room.clear_committee_member_ids();
  EXPECT_EQ(refused(same_room), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(refused(DayRequest(posting, kDate, "2026-03-10T10:30:00+01:00", 2)),
            grpc::StatusCode::FAILED_PRECONDITION);
  // Touching is fine: the day ends 11:00, a day from 11:00 in that room with m1 is accepted.
  v1::CreateSelectionDayRequest after = DayRequest(posting, kDate, "2026-03-10T11:00:00+01:00", 2);
  after.set_room(r.room());
  EXPECT_EQ(refused(after), grpc::StatusCode::OK);

  // Reading it: HR and the sitting committee member; another member and tenant get NOT_FOUND.
  v1::GetSelectionDayRequest get;
  get.set_id(day.id());
  v1::SelectionDay read;
  ASSERT_TRUE(stub_->GetSelectionDay(Ctx(Hr()).get(), get, &read).ok());
  EXPECT_EQ(read.id(), day.id());
  EXPECT_TRUE(stub_
                  ->GetSelectionDay(Ctx(harness().Token(tenant_, {"committee_member"}, "m1")).get(),
                                    get, &read)
                  .ok());
  EXPECT_EQ(stub_
                ->GetSelectionDay(Ctx(harness().Token(tenant_, {"committee_member"}, "m9")).get(),
                                  get, &read)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(stub_
                ->GetSelectionDay(Ctx(harness().Token(UniqueName("kreis"), {"hr_clerk"})).get(),
                                  get, &read)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(SchedulingE2eTest, BookingRescheduleAndCancelKeepEveryRule) {
  const std::string posting = Posting("CLOSED");
  const std::string a = Application(posting, "sub-a");
  const std::string b = Application(posting, "sub-b");
  const std::string withdrawn = Application(posting, "sub-w", "WITHDRAWN");
  const std::string screening = Application(posting, "sub-s", "SCREENING");
  const v1::SelectionDay day = Day(DayRequest(posting, kDate, kNine, 4));
  const auto slots = Slots(day.id());
  ASSERT_EQ(slots.size(), 4u);

  // The applicant books their own; HR books for another; replays answer the same.
  v1::Booking mine;
  ASSERT_TRUE(Book(ApplicantToken("sub-a"), slots[0].id(), a, &mine, "book-a").ok());
  EXPECT_EQ(mine.status(), v1::CONFIRMED);
  EXPECT_EQ(mine.booked_by(), "APPLICANT");
  EXPECT_EQ(mine.sequence(), 0);
  v1::Booking again;
  ASSERT_TRUE(Book(ApplicantToken("sub-a"), slots[0].id(), a, &again, "book-a").ok());
  EXPECT_EQ(again.id(), mine.id());
  EXPECT_EQ(Book(ApplicantToken("sub-a"), slots[1].id(), a, &again, "book-a").error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  const v1::Booking hers = BookOk(Hr(), slots[1].id(), b);
  EXPECT_EQ(hers.booked_by(), "HR");

  v1::Booking out;
  // The slot is taken; one applicant does not get two slots of one day.
  EXPECT_EQ(Book(Hr(), slots[0].id(), b, &out).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Book(Hr(), slots[2].id(), a, &out).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  // Not INVITED (withdrawn, still screening): refused; someone else's application: NOT_FOUND.
  EXPECT_EQ(Book(Hr(), slots[2].id(), withdrawn, &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Book(Hr(), slots[2].id(), screening, &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Book(ApplicantToken("sub-a"), slots[2].id(), b, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // Another tenant's slot and booking are NOT_FOUND; a committee member may not book.
  const std::string kreis = harness().Token(UniqueName("kreis"), {"hr_clerk"}, "hr-1");
  EXPECT_EQ(Book(kreis, slots[2].id(), a, &out).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Cancel(kreis, mine.id(), &out).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Book(harness().Token(tenant_, {"committee_member"}, "m1"), slots[2].id(), a, &out)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  {
    v1::ListSlotsRequest r;
    r.set_selection_day_id(day.id());
    v1::ListSlotsResponse page;
    EXPECT_EQ(stub_->ListSlots(Ctx(kreis).get(), r, &page).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  // Another applicant cannot move or cancel it, nor read its calendar.
  EXPECT_EQ(Cancel(ApplicantToken("sub-b"), mine.id(), &out).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // Into an occupied slot: refused, nothing changed. Into a free one: same UID, SEQUENCE 1.
  EXPECT_EQ(Reschedule(ApplicantToken("sub-a"), mine.id(), slots[1].id(), &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Calendar(Hr(), mine.id()).sequence(), 0);
  // Into its own slot: nothing to move, said so.
  grpc::Status same = Reschedule(ApplicantToken("sub-a"), mine.id(), mine.slot_id(), &out);
  EXPECT_EQ(same.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(same.error_message(), "the booking is already in this slot");
  v1::Booking moved;
  ASSERT_TRUE(Reschedule(ApplicantToken("sub-a"), mine.id(), slots[3].id(), &moved).ok());
  EXPECT_EQ(moved.id(), mine.id());
  EXPECT_EQ(moved.slot_id(), slots[3].id());
  EXPECT_EQ(moved.sequence(), 1);
  EXPECT_EQ(moved.ics_uid(), mine.ics_uid());
  // The old slot is free again.
  auto free_now = Slots(day.id(), ApplicantToken("sub-a"));
  EXPECT_FALSE(free_now[0].booked());
  EXPECT_TRUE(free_now[3].booked());

  // Cancelled: METHOD:CANCEL with SEQUENCE 2; cancelling again is FAILED_PRECONDITION.
  v1::Booking cancelled;
  ASSERT_TRUE(Cancel(ApplicantToken("sub-a"), mine.id(), &cancelled).ok());
  EXPECT_EQ(cancelled.status(), v1::CANCELLED);
  const v1::BookingCalendar c = Calendar(ApplicantToken("sub-a"), mine.id());
  EXPECT_EQ(c.method(), "CANCEL");
  EXPECT_EQ(c.sequence(), 2);
  EXPECT_EQ(Cancel(Hr(), mine.id(), &out).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  // What each sees: HR all live bookings of the day, the applicant their own, the sitting
  // committee member the day's, another member nothing.
  EXPECT_EQ(Bookings(Hr(), day.id()).size(), 1u);
  EXPECT_EQ(Bookings(Hr(), day.id(), true).size(), 2u);
  EXPECT_EQ(Bookings(ApplicantToken("sub-b"), "").size(), 1u);
  EXPECT_EQ(Bookings(ApplicantToken("sub-a"), "", true).size(), 1u);
  EXPECT_EQ(Bookings(harness().Token(tenant_, {"committee_member"}, "m1"), day.id()).size(), 1u);
  {
    v1::ListBookingsRequest r;
    r.set_selection_day_id(day.id());
    v1::ListBookingsResponse page;
    EXPECT_EQ(stub_
                  ->ListBookings(Ctx(harness().Token(tenant_, {"committee_member"}, "m9")).get(), r,
                                 &page)
                  .error_code(),
              grpc::StatusCode::NOT_FOUND);
  }

  // A slot that has begun is not bookable (the clock at 09:01 on the day).
  SetClock(Berlin(2026, 3, 10, 9, 1));
  EXPECT_EQ(Book(Hr(), slots[0].id(), a, &out).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(Book(Hr(), slots[2].id(), a, &out).ok());  // 10:00 is still ahead
}

TEST_F(SchedulingE2eTest, AnInvitationThatHrBooksRefusesTheApplicantButNotHr) {
  const std::string posting = Posting("CLOSED");
  const std::string a = Application(posting, "sub-a");
  v1::CreateSelectionDayRequest r = DayRequest(posting, kDate, kNine, 2);
  r.set_hr_books_only(true);
  const v1::SelectionDay day = Day(r);
  EXPECT_TRUE(day.hr_books_only());
  const auto slots = Slots(day.id());
  v1::Booking out;
  EXPECT_EQ(Book(ApplicantToken("sub-a"), slots[0].id(), a, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  const v1::Booking booked = BookOk(Hr(), slots[0].id(), a);
  EXPECT_EQ(Cancel(ApplicantToken("sub-a"), booked.id(), &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Reschedule(ApplicantToken("sub-a"), booked.id(), slots[1].id(), &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(Reschedule(Hr(), booked.id(), slots[1].id(), &out).ok());
}

// An applicant finds their selection day without knowing any id (the portal's "Meine
// Termine"): the open invitations with the posting's days, free slots and the booking held.
// HR sees a posting's invitations and decides per invitation whether the applicant books.
TEST_F(SchedulingE2eTest, AnApplicantFindsTheirInvitationsAndHrDecidesWhoBooks) {
  const std::string posting = Posting("CLOSED");
  const std::string sub = UniqueName("bewerberin");
  const std::string other_sub = UniqueName("bewerber");
  const std::string a = Application(posting, sub);
  const std::string b = Application(posting, other_sub);
  Application(posting, UniqueName("noch-nicht"), "SHORTLISTED");  // not invited: not listed
  auto list = [&](const std::string& token, const std::string& posting_id,
                  v1::ListInvitationsResponse* out, int page_size = 0) {
    v1::ListInvitationsRequest r;
    r.set_posting_id(posting_id);
    r.set_page_size(page_size);
    return stub_->ListInvitations(Ctx(token).get(), r, out);
  };
  v1::ListInvitationsResponse mine;
  ASSERT_TRUE(list(ApplicantToken(sub), "", &mine).ok());
  ASSERT_EQ(mine.invitations_size(), 1);
  EXPECT_EQ(mine.invitations(0).application_id(), a);
  EXPECT_EQ(mine.invitations(0).tenant_id(), tenant_);
  EXPECT_EQ(mine.invitations(0).posting_title(), "Sachbearbeitung Bürgerbüro (w/m/d)");
  EXPECT_EQ(mine.invitations(0).kennziffer(), "26/0042");
  EXPECT_TRUE(mine.invitations(0).self_booking());
  EXPECT_EQ(mine.invitations(0).selection_days_size(), 0);  // no day planned yet
  EXPECT_FALSE(mine.invitations(0).has_booking());

  const v1::SelectionDay day = Day(DayRequest(posting, kDate, kNine, 3));
  ASSERT_TRUE(list(ApplicantToken(sub), "", &mine).ok());
  ASSERT_EQ(mine.invitations(0).selection_days_size(), 1);
  const v1::InvitedDay& offered = mine.invitations(0).selection_days(0);
  EXPECT_EQ(offered.id(), day.id());
  EXPECT_EQ(offered.date(), kDate);
  EXPECT_EQ(offered.start_local(), kNine);
  EXPECT_EQ(offered.free_slots(), 3);
  EXPECT_TRUE(offered.video_available());
  // The applicant learns where and when, not who sits on the committee.
  v1::GetSelectionDayRequest get;
  get.set_id(day.id());
  v1::SelectionDay seen;
  ASSERT_TRUE(stub_->GetSelectionDay(Ctx(ApplicantToken(sub)).get(), get, &seen).ok());
  EXPECT_EQ(seen.committee_member_ids_size(), 0);
  ASSERT_TRUE(stub_->GetSelectionDay(Ctx(Hr()).get(), get, &seen).ok());
  EXPECT_EQ(seen.committee_member_ids_size(), 1);

  const auto slots = Slots(day.id(), ApplicantToken(sub));
  const v1::Booking booked = BookOk(ApplicantToken(sub), slots[0].id(), a);
  ASSERT_TRUE(list(ApplicantToken(sub), posting, &mine).ok());
  ASSERT_EQ(mine.invitations_size(), 1);
  EXPECT_EQ(mine.invitations(0).booking().id(), booked.id());
  EXPECT_EQ(mine.invitations(0).selection_days(0).free_slots(), 2);
  // Another applicant sees only their own invitation.
  v1::ListInvitationsResponse theirs;
  ASSERT_TRUE(list(ApplicantToken(other_sub), "", &theirs).ok());
  ASSERT_EQ(theirs.invitations_size(), 1);
  EXPECT_EQ(theirs.invitations(0).application_id(), b);
  EXPECT_FALSE(theirs.invitations(0).has_booking());

  // HR: one posting's invitations, paged; without a posting INVALID_ARGUMENT; another
  // tenant's HR sees none of them.
  v1::ListInvitationsResponse page;
  EXPECT_EQ(list(Hr(), "", &page).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  std::set<std::string> listed;
  v1::ListInvitationsRequest paged;
  paged.set_posting_id(posting);
  paged.set_page_size(1);
  int pages = 0;
  do {
    ASSERT_TRUE(stub_->ListInvitations(Ctx(Hr()).get(), paged, &page).ok());
    for (const auto& inv : page.invitations()) listed.insert(inv.application_id());
    paged.set_page_token(page.next_page_token());
    ++pages;
  } while (!paged.page_token().empty() && pages < 5);
  EXPECT_EQ(listed, (std::set<std::string>{a, b}));
  EXPECT_EQ(pages, 2);
  const std::string stranger = harness().Token(UniqueName("kreis"), {"hr_clerk"}, "hr-9");
  ASSERT_TRUE(list(stranger, posting, &page).ok());
  EXPECT_EQ(page.invitations_size(), 0);

  // HR books for this applicant from now on: stale etag ABORTED, the applicant and another
  // tenant may not decide it, a replay answers the same, the applicant can no longer cancel.
  v1::UpdateInvitationRequest update;
  update.set_request_id(ids::NewUuid());
  update.set_application_id(a);
  update.set_self_booking(false);
  update.set_etag("999");
  v1::Invitation updated;
  EXPECT_EQ(stub_->UpdateInvitation(Ctx(Hr()).get(), update, &updated).error_code(),
            grpc::StatusCode::ABORTED);
  update.set_etag(mine.invitations(0).etag());
  EXPECT_EQ(stub_->UpdateInvitation(Ctx(ApplicantToken(sub)).get(), update, &updated).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub_->UpdateInvitation(Ctx(stranger).get(), update, &updated).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(stub_->UpdateInvitation(Ctx(Hr()).get(), update, &updated).ok());
  EXPECT_FALSE(updated.self_booking());
  EXPECT_NE(updated.etag(), mine.invitations(0).etag());
  EXPECT_EQ(updated.booking().id(), booked.id());  // the booking held stays
  v1::Invitation replayed;
  ASSERT_TRUE(stub_->UpdateInvitation(Ctx(Hr()).get(), update, &replayed).ok());
  EXPECT_EQ(replayed.etag(), updated.etag());
  v1::Booking out;
  EXPECT_EQ(Cancel(ApplicantToken(sub), booked.id(), &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(list(ApplicantToken(sub), "", &mine).ok());
  EXPECT_FALSE(mine.invitations(0).self_booking());
  EXPECT_TRUE(Cancel(Hr(), booked.id(), &out).ok());

  // A withdrawn application is no open invitation.
  ChangeStatus(a, posting, sub, "WITHDRAWN");
  ASSERT_TRUE(list(ApplicantToken(sub), "", &mine).ok());
  EXPECT_EQ(mine.invitations_size(), 0);
  update.set_request_id(ids::NewUuid());
  update.clear_etag();
  EXPECT_EQ(stub_->UpdateInvitation(Ctx(Hr()).get(), update, &updated).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

// The postings feed (common/amqp/posting_feed.h): an older version arriving late changes
// nothing; a posting event without a version is refused and dead-lettered, storing nothing.
TEST_F(SchedulingE2eTest, PostingChangesAreFollowedByVersionAndAMalformedOneIsDeadLettered) {
  const std::string posting = Posting("CLOSED");  // version 3
  ev::PostingUpdated stale;
  stale.mutable_posting()->set_posting_id(posting);
  stale.mutable_posting()->set_tenant_id(tenant_);
  stale.mutable_posting()->set_kennziffer("26/0042");
  stale.mutable_posting()->set_title("Entwurf");
  stale.mutable_posting()->set_status("DRAFT");
  stale.mutable_posting()->set_version(2);
  Deliver({&stale}, tenant_);
  v1::SelectionDay day;
  EXPECT_TRUE(
      stub_->CreateSelectionDay(Ctx(Hr()).get(), DayRequest(posting, kDate, kNine, 1), &day).ok())
      << "a late DRAFT must not undo CLOSED";

  const uint64_t dead_before = scheduling_->runtime().consumer().stats().dead_lettered.load();
  ev::PostingPublished unversioned;
  unversioned.mutable_posting()->set_posting_id(ids::NewUuid());
  unversioned.mutable_posting()->set_tenant_id(tenant_);
  unversioned.mutable_posting()->set_status("PUBLISHED");
  stellenwerk::testing::PublishToExchange(
      harness().infra(),
      {stellenwerk::testing::WireMessage(unversioned, tenant_, kSchedulingStart)});
  ASSERT_TRUE(stellenwerk::testing::WaitFor(
      [&] { return scheduling_->runtime().consumer().stats().dead_lettered.load() > dead_before; },
      absl::Seconds(30)));
  v1::CreateSelectionDayRequest r =
      DayRequest(unversioned.posting().posting_id(), kDate, "2026-03-10T14:00:00+01:00", 1);
  EXPECT_EQ(stub_->CreateSelectionDay(Ctx(Hr()).get(), r, &day).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(SchedulingE2eTest, SlotsAndBookingsArePaged) {
  const std::string posting = Posting("CLOSED");
  const v1::SelectionDay day = Day(DayRequest(posting, kDate, kNine, 7));
  std::vector<std::string> apps;
  for (int i = 0; i < 5; ++i) apps.push_back(Application(posting, absl::StrCat("sub-", i)));
  const auto slots = Slots(day.id());
  ASSERT_EQ(slots.size(), 7u);
  for (int i = 0; i < 5; ++i) BookOk(Hr(), slots[i].id(), apps[i]);

  auto all_slots = [&](bool free_only) {
    std::vector<std::string> ids;
    v1::ListSlotsRequest r;
    r.set_selection_day_id(day.id());
    r.set_page_size(3);
    r.set_free_only(free_only);
    int pages = 0;
    do {
      v1::ListSlotsResponse page;
      EXPECT_TRUE(stub_->ListSlots(Ctx(Hr()).get(), r, &page).ok());
      for (const auto& s : page.slots()) ids.push_back(s.id());
      r.set_page_token(page.next_page_token());
      ++pages;
    } while (!r.page_token().empty() && pages < 10);
    return std::make_pair(ids, pages);
  };
  auto [ids, pages] = all_slots(false);
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(ids.size(), 7u);
  for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(ids[i], slots[i].id());
  EXPECT_EQ(all_slots(true).first, (std::vector<std::string>{slots[5].id(), slots[6].id()}));

  std::vector<std::string> booked;
  v1::ListBookingsRequest r;
  r.set_selection_day_id(day.id());
  r.set_page_size(2);
  int n = 0;
  do {
    v1::ListBookingsResponse page;
    ASSERT_TRUE(stub_->ListBookings(Ctx(Hr()).get(), r, &page).ok());
    for (const auto& b : page.bookings()) booked.push_back(b.slot_id());
    r.set_page_token(page.next_page_token());
  } while (!r.page_token().empty() && ++n < 10);
  ASSERT_EQ(booked.size(), 5u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(booked[i], slots[i].id());
  r.set_page_token("not-a-token");
  v1::ListBookingsResponse page;
  EXPECT_EQ(stub_->ListBookings(Ctx(Hr()).get(), r, &page).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

// Issue 14: 200 concurrent bookings over 20 slots → exactly 20 bookings, no applicant twice.
// 180 applicants try one slot each (nine per slot); ten more try two slots each at once.
TEST_F(SchedulingE2eTest, TwoHundredConcurrentBookingsOverTwentySlotsBookTwentyOnce) {
  const std::string posting = Posting("CLOSED");
  const v1::SelectionDay day = Day(DayRequest(posting, kDate, "2026-03-10T08:00:00+01:00", 20));
  const auto slots = Slots(day.id());
  ASSERT_EQ(slots.size(), 20u);
  struct Attempt {
    std::string sub, application, slot;
  };
  std::vector<Attempt> attempts;
  std::vector<google::protobuf::Message*> invitations;
  std::vector<ev::ApplicationStatusChanged> events(190);
  for (int i = 0; i < 190; ++i) {
    events[i].set_application_id(ids::NewUuid());
    events[i].set_posting_id(posting);
    events[i].set_applicant_sub(absl::StrCat("sub-", i));
    events[i].set_to("INVITED");
    invitations.push_back(&events[i]);
  }
  Deliver(invitations, tenant_);
  for (int i = 0; i < 180; ++i) {
    attempts.push_back({events[i].applicant_sub(), events[i].application_id(), slots[i % 20].id()});
  }
  for (int j = 0; j < 10; ++j) {
    const auto& e = events[180 + j];
    attempts.push_back({e.applicant_sub(), e.application_id(), slots[2 * j].id()});
    attempts.push_back({e.applicant_sub(), e.application_id(), slots[2 * j + 1].id()});
  }
  ASSERT_EQ(attempts.size(), 200u);

  std::atomic<int> ok{0}, refused{0}, other{0};
  std::atomic<size_t> next{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 40; ++c) {
    clients.emplace_back([&] {
      auto stub = scheduling_->Stub<v1::SchedulingService>();
      for (size_t i = next++; i < attempts.size(); i = next++) {
        v1::BookSlotRequest r;
        r.set_request_id(ids::NewUuid());
        r.set_slot_id(attempts[i].slot);
        r.set_application_id(attempts[i].application);
        r.set_mode(v1::IN_PERSON);
        v1::Booking b;
        grpc::Status s = stub->BookSlot(
            stellenwerk::testing::CallContext(ApplicantToken(attempts[i].sub), absl::Seconds(60))
                .get(),
            r, &b);
        if (s.ok()) {
          ++ok;
        } else if (s.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
          ++refused;
        } else {
          ++other;
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(ok.load(), 20);
  EXPECT_EQ(refused.load(), 180);

  const auto booked = Bookings(Hr(), day.id());
  EXPECT_EQ(booked.size(), 20u);
  std::set<std::string> slot_ids, applications;
  for (const auto& b : booked) {
    slot_ids.insert(b.slot_id());
    applications.insert(b.application_id());
  }
  EXPECT_EQ(slot_ids.size(), 20u);      // every slot once
  EXPECT_EQ(applications.size(), 20u);  // no applicant twice
}

TEST_F(SchedulingE2eTest, TheCalendarParsesIndependentlyAndSurvivesARescheduleAndACancel) {
  const std::string posting = Posting("CLOSED");
  const std::string a = Application(posting, "sub-a");
  v1::CreateSelectionDayRequest r = DayRequest(posting, kDate, kNine, 3);
  r.set_location("Bürgerhaus Gießen-Süd; Eingang Hofstraße, Öffnung über Pförtner");
  const v1::SelectionDay day = Day(r);
  const auto slots = Slots(day.id());
  const v1::Booking b = BookOk(ApplicantToken("sub-a"), slots[0].id(), a);
  std::string out;

  v1::BookingCalendar c = Calendar(ApplicantToken("sub-a"), b.id());
  EXPECT_EQ(CheckIcs(c.ics(),
                     {"method=REQUEST", "sequence=0", absl::StrCat("uid=", b.ics_uid()),
                      "dtstart=2026-03-10T09:00:00+01:00", "location~Bürgerhaus Gießen-Süd;",
                      "text~Sachbearbeitung Bürgerbüro"},
                     &out),
            0)
      << out << c.ics();

  v1::Booking moved;
  ASSERT_TRUE(Reschedule(ApplicantToken("sub-a"), b.id(), slots[2].id(), &moved).ok());
  c = Calendar(ApplicantToken("sub-a"), b.id());
  out.clear();
  EXPECT_EQ(CheckIcs(c.ics(),
                     {"method=REQUEST", "sequence=1", absl::StrCat("uid=", b.ics_uid()),
                      "dtstart=2026-03-10T10:00:00+01:00"},
                     &out),
            0)
      << out << c.ics();

  v1::Booking cancelled;
  ASSERT_TRUE(Cancel(Hr(), b.id(), &cancelled).ok());
  c = Calendar(ApplicantToken("sub-a"), b.id());
  out.clear();
  EXPECT_EQ(CheckIcs(c.ics(),
                     {"method=CANCEL", "sequence=2", absl::StrCat("uid=", b.ics_uid()),
                      "status=CANCELLED"},
                     &out),
            0)
      << out << c.ics();
}

// scheduling.reminder.due.v1 48 h before: not a minute early, once, moved by a reschedule,
// dropped by a cancellation.
TEST_F(SchedulingE2eTest, AReminderFiresOnceMovesWithARescheduleAndGoesWithACancel) {
  EventTap tap(infra(), {events::RoutingKey<ev::ReminderDue>()});
  const std::string posting = Posting("CLOSED");
  const std::string a = Application(posting, "sub-a");
  const std::string b = Application(posting, "sub-b");
  const v1::SelectionDay day = Day(DayRequest(posting, kDate, kNine, 4));
  const auto slots = Slots(day.id());
  const v1::Booking kept = BookOk(Hr(), slots[0].id(), a);   // 09:00
  const v1::Booking moved = BookOk(Hr(), slots[1].id(), b);  // 09:30 → 10:30
  v1::Booking out;
  ASSERT_TRUE(Reschedule(Hr(), moved.id(), slots[3].id(), &out).ok());
  const std::string c_app = Application(posting, "sub-c");
  const v1::Booking dropped = BookOk(Hr(), slots[2].id(), c_app);  // 10:00, cancelled
  ASSERT_TRUE(Cancel(Hr(), dropped.id(), &out).ok());

  // Only this test's bookings (timers of earlier tests' days fall due on these days too).
  const std::set<std::string> mine = {kept.id(), moved.id(), dropped.id()};
  auto reminded = [&]() {
    std::map<std::string, int> n;
    for (const auto& e : Parsed<ev::ReminderDue>(Published(tap))) {
      if (mine.count(e.booking().booking_id())) ++n[e.booking().booking_id()];
    }
    return n;
  };
  SetClock(Berlin(2026, 3, 8, 8, 59));
  RunTimers();
  EXPECT_TRUE(reminded().empty());
  SetClock(Berlin(2026, 3, 8, 9, 0));
  RunTimers();
  RunTimers();
  auto n = reminded();
  EXPECT_EQ(n, (std::map<std::string, int>{{kept.id(), 1}}));
  // The moved one: not at its old time (09:30), at its new one (10:30).
  SetClock(Berlin(2026, 3, 8, 10, 29));
  RunTimers();
  EXPECT_TRUE(reminded().empty());
  SetClock(Berlin(2026, 3, 8, 12, 0));
  RunTimers();
  n = reminded();
  EXPECT_EQ(n, (std::map<std::string, int>{{moved.id(), 1}}));
  // Nothing more, ever: the cancelled one never fires.
  SetClock(Berlin(2026, 3, 11, 12, 0));
  RunTimers();
  EXPECT_TRUE(reminded().empty());
}

// The service was down while reminders fell due; two replicas come back at once: each
// booking's reminder is published exactly once.
TEST(SchedulingRestartTest, RemindersDueWhileDownFireOnceWithTwoReplicas) {
  auto infra = stellenwerk::testing::TestInfra::FromEnv();
  if (!infra) {
    STW_SKIP("needs scripts/test infrastructure");
  }
  stellenwerk::testing::Harness harness(*infra, {.start = kSchedulingStart});
  EventTap tap(*infra, {events::RoutingKey<ev::ReminderDue>()});
  const std::string schema = UniqueName("scheduling_restart");
  const std::string tenant = UniqueName("stadt");
  constexpr int kBookings = 20;  // 08:00–18:00 in 30-minute interviews
  std::set<std::string> booked;
  {
    auto& before = StartScheduling(harness, {.schema = schema});
    ASSERT_TRUE(harness.ok());
    PgSchedulingStore& store = before.app().store();
    const std::string posting = ids::NewUuid();
    std::vector<std::string> apps;
    ASSERT_TRUE(before.runtime()
                    .db()
                    .Transact([&](pqxx::work& tx) {
                      ev::PostingSnapshot p;
                      p.set_posting_id(posting);
                      p.set_tenant_id(tenant);
                      p.set_kennziffer("26/0042");
                      p.set_title("Sachbearbeitung");
                      p.set_status("CLOSED");
                      p.set_application_deadline(kDeadline);
                      p.set_version(1);
                      store.ApplyPosting(tx, p);
                      for (int i = 0; i < kBookings; ++i) {
                        apps.push_back(ids::NewUuid());
                        if (absl::Status st =
                                store.ApplyApplicationStatus(tx, tenant, apps.back(), posting,
                                                             absl::StrCat("sub-", i), "INVITED");
                            !st.ok()) {
                          return st;
                        }
                      }
                      return absl::OkStatus();
                    })
                    .ok());
    store::Actor hr;
    hr.sub = "hr-1";
    hr.tenant = tenant;
    hr.role = "hr_clerk";
    auto day = store.CreateSelectionDay(
        hr, DayRequest(posting, kDate, "2026-03-10T08:00:00+01:00", kBookings));
    ASSERT_TRUE(day.ok()) << day.status();
    v1::ListSlotsRequest list;
    list.set_selection_day_id(day->id());
    list.set_page_size(200);
    auto slots = store.ListSlots(hr, list);
    ASSERT_TRUE(slots.ok());
    for (int i = 0; i < kBookings; ++i) {
      v1::BookSlotRequest r;
      r.set_slot_id(slots->slots(i).id());
      r.set_application_id(apps[i]);
      r.set_mode(v1::IN_PERSON);
      auto b = store.BookSlot(hr, r);
      ASSERT_TRUE(b.ok()) << b.status();
      booked.insert(b->id());
    }
    harness.Stop(before);
  }
  // Both come back on the day itself, after every reminder fell due.
  const absl::Time back = Berlin(2026, 3, 9, 12, 0);
  auto& a = StartScheduling(harness, {.schema = schema, .start = back, .defer_start = true});
  auto& b = StartScheduling(harness, {.schema = schema, .start = back, .defer_start = true});
  ASSERT_TRUE(harness.ok());
  ASSERT_TRUE(a.Start().ok());
  ASSERT_TRUE(b.Start().ok());
  ASSERT_TRUE(stellenwerk::testing::WaitFor(
      [&] { return a.runtime().timers().fired() + b.runtime().timers().fired() >= booked.size(); },
      absl::Seconds(60)));
  ASSERT_TRUE(a.WaitForOutbox(absl::Seconds(60)));
  std::map<std::string, int> n;
  for (const auto& d : tap.TakeQueued()) {
    ev::ReminderDue e;
    if (e.ParseFromString(d.message.body) && booked.count(e.booking().booking_id())) {
      ++n[e.booking().booking_id()];
    }
  }
  EXPECT_EQ(n.size(), booked.size());
  for (const auto& [id, count] : n) EXPECT_EQ(count, 1) << id;
  EXPECT_EQ(a.runtime().timers().fired() + b.runtime().timers().fired(), booked.size());
}

// The binary as scripts/up starts it: it migrates, serves, consumes, reads
// STELLENWERK_SCHEDULING_REMINDER_LEAD and fires the reminder on its fake clock; SIGTERM ends it
// cleanly.
TEST(SchedulingProcessTest, TheBinaryServesConsumesAndRemindsWithItsConfiguredLead) {
  auto infra = stellenwerk::testing::TestInfra::FromEnv();
  if (!infra) {
    STW_SKIP("needs scripts/test infrastructure");
  }
  stellenwerk::testing::Harness harness(*infra, {.start = kSchedulingStart});
  EventTap tap(*infra, {events::RoutingKey<ev::ReminderDue>()});
  stellenwerk::testing::ProcessOptions options;
  options.env = {{"STELLENWERK_SCHEDULING_REMINDER_LEAD", "1h"}, {"STELLENWERK_LOG_LEVEL", "warn"}};
  auto& child = harness.StartProcess(kSchedulingService, options);
  ASSERT_TRUE(harness.ok());
  const std::string tenant = UniqueName("stadt");
  ev::PostingPublished posting;
  posting.mutable_posting()->set_posting_id(ids::NewUuid());
  posting.mutable_posting()->set_tenant_id(tenant);
  posting.mutable_posting()->set_kennziffer("26/0042");
  posting.mutable_posting()->set_title("Sachbearbeitung");
  posting.mutable_posting()->set_status("CLOSED");
  posting.mutable_posting()->set_application_deadline(kDeadline);
  posting.mutable_posting()->set_version(1);
  ev::ApplicationStatusChanged invited;
  invited.set_application_id(ids::NewUuid());
  invited.set_posting_id(posting.posting().posting_id());
  invited.set_applicant_sub("sub-a");
  invited.set_to("INVITED");
  stellenwerk::testing::PublishToExchange(
      *infra, {stellenwerk::testing::WireMessage(posting, tenant, kSchedulingStart),
               stellenwerk::testing::WireMessage(invited, tenant, kSchedulingStart)});

  auto stub = child.Stub<v1::SchedulingService>();
  const std::string hr = harness.Token(tenant, {"hr_clerk"}, "hr-1");
  const v1::CreateSelectionDayRequest day_request =
      DayRequest(posting.posting().posting_id(), kDate, kNine, 2, ids::NewUuid());
  v1::SelectionDay day;
  ASSERT_TRUE(stellenwerk::testing::WaitFor(
      [&] {
        return stub
            ->CreateSelectionDay(stellenwerk::testing::CallContext(hr).get(), day_request, &day)
            .ok();
      },
      absl::Seconds(15)));
  v1::ListSlotsRequest list;
  list.set_selection_day_id(day.id());
  v1::ListSlotsResponse slots;
  ASSERT_TRUE(stub->ListSlots(stellenwerk::testing::CallContext(hr).get(), list, &slots).ok());
  v1::BookSlotRequest book;
  book.set_request_id(ids::NewUuid());
  book.set_slot_id(slots.slots(0).id());
  book.set_application_id(invited.application_id());
  book.set_mode(v1::VIDEO);
  v1::Booking booking;
  const std::string applicant = harness.Token("portal", {"applicant"}, "sub-a");
  ASSERT_TRUE(stellenwerk::testing::WaitFor(
      [&] {
        return stub->BookSlot(stellenwerk::testing::CallContext(applicant).get(), book, &booking)
            .ok();
      },
      absl::Seconds(15)));

  // One hour before 09:00, as configured (the default would have been two days).
  ASSERT_TRUE(child.SetTime(Berlin(2026, 3, 10, 8, 0)).ok());
  std::vector<ev::ReminderDue> got;
  ASSERT_TRUE(stellenwerk::testing::WaitFor(
      [&] {
        for (const auto& d : tap.Collect(1, absl::Milliseconds(200))) {
          ev::ReminderDue e;
          if (e.ParseFromString(d.message.body) && e.booking().booking_id() == booking.id()) {
            got.push_back(e);
          }
        }
        return !got.empty();
      },
      absl::Seconds(15)));
  EXPECT_EQ(got[0].lead().seconds(), 3600);
  EXPECT_EQ(got[0].due_time().seconds(), absl::ToUnixSeconds(Berlin(2026, 3, 10, 8, 0)));
  EXPECT_EQ(got[0].booking().video_url(), "https://video.stadt.example/r/1");
  EXPECT_EQ(child.Terminate(), 0);
}

TEST_F(SchedulingE2eTest, AWithdrawalDeliveredTwiceCancelsOnceAndAnErasureRemovesTheBookings) {
  EventTap tap(infra(), {events::RoutingKey<ev::BookingCancelled>()});
  const std::string posting = Posting("CLOSED");
  const std::string a = Application(posting, "sub-a");
  const std::string b = Application(posting, "sub-b");
  const v1::SelectionDay day = Day(DayRequest(posting, kDate, kNine, 3));
  const auto slots = Slots(day.id());
  const v1::Booking ba = BookOk(Hr(), slots[0].id(), a);
  const v1::Booking bb = BookOk(Hr(), slots[1].id(), b);

  // The same withdrawal twice (one event id: a redelivery), and once more under a new id (a
  // re-emission), and the status change it also causes: one cancellation.
  ev::ApplicationWithdrawn w;
  w.set_application_id(a);
  w.set_posting_id(posting);
  w.set_applicant_sub("sub-a");
  const amqp::Message m = stellenwerk::testing::WireMessage(w, tenant_, kSchedulingStart);
  const amqp::Message reemitted = stellenwerk::testing::WireMessage(w, tenant_, kSchedulingStart);
  ev::ApplicationStatusChanged s;
  s.set_application_id(a);
  s.set_posting_id(posting);
  s.set_applicant_sub("sub-a");
  s.set_from("INVITED");
  s.set_to("WITHDRAWN");
  const amqp::Message status = stellenwerk::testing::WireMessage(s, tenant_, kSchedulingStart);
  const uint64_t before = scheduling_->ConsumedEvents();
  stellenwerk::testing::PublishToExchange(infra(), {m, m, reemitted, status});
  ASSERT_TRUE(scheduling_->WaitForConsumed(before + 4));
  // This test's cancellations only (an earlier test's may still be on the way).
  auto ours = [&] {
    std::vector<ev::BookingCancelled> out;
    for (auto& e : Parsed<ev::BookingCancelled>(Published(tap))) {
      if (e.booking().booking_id() == ba.id() || e.booking().booking_id() == bb.id()) {
        out.push_back(e);
      }
    }
    return out;
  };
  auto cancelled = ours();
  ASSERT_EQ(cancelled.size(), 1u);
  EXPECT_EQ(cancelled[0].booking().booking_id(), ba.id());
  EXPECT_EQ(cancelled[0].cause(), "APPLICATION_WITHDRAWN");
  EXPECT_NE(cancelled[0].booking().ics().find("METHOD:CANCEL"), std::string::npos);
  // The slot is free again, and the withdrawn application cannot book.
  v1::Booking out;
  EXPECT_EQ(Book(Hr(), slots[0].id(), a, &out).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_FALSE(Slots(day.id())[0].booked());
  // An INVITED event of before the withdrawal arriving late does not reopen the invitation.
  ChangeStatus(a, posting, "sub-a", "INVITED");
  EXPECT_EQ(Book(Hr(), slots[0].id(), a, &out).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  // A rejection cancels too.
  ChangeStatus(b, posting, "sub-b", "REJECTED");
  cancelled = ours();
  ASSERT_EQ(cancelled.size(), 1u);
  EXPECT_EQ(cancelled[0].booking().booking_id(), bb.id());
  EXPECT_EQ(cancelled[0].cause(), "APPLICATION_REJECTED");

  // Erasure (GDPR Art. 17): the bookings go, cancelled ones too; no event about the person.
  ev::ApplicantErased erased;
  erased.set_applicant_sub("sub-a");
  erased.add_application_ids(a);
  erased.add_application_ids(b);
  erased.set_cause("ERASURE_REQUEST");
  Deliver({&erased}, tenant_);
  EXPECT_TRUE(Bookings(Hr(), day.id(), true).empty());
  EXPECT_TRUE(ours().empty());
  v1::GetBookingCalendarRequest r;
  r.set_booking_id(ba.id());
  v1::BookingCalendar c;
  EXPECT_EQ(stub_->GetBookingCalendar(Ctx(Hr()).get(), r, &c).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(SchedulingE2eTest, InternshipRequestsRespectCapacityLengthAndLeadTime) {
  const std::string posting = Posting("PUBLISHED");
  v1::DeclareInternshipPeriodRequest d;
  d.set_request_id(ids::NewUuid());
  d.set_posting_id(posting);
  d.set_department("Amt für Digitalisierung");
  d.set_first_day("2026-09-01");
  d.set_last_day("2026-12-31");
  d.set_capacity(1);
  v1::InternshipPeriod period;
  EXPECT_EQ(
      stub_->DeclareInternshipPeriod(Ctx(ApplicantToken("sub-a")).get(), d, &period).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(stub_->DeclareInternshipPeriod(Ctx(Hr()).get(), d, &period).ok());
  EXPECT_EQ(period.capacity(), 1);

  const std::string a = Application(posting, "sub-a", "SCREENING");
  const std::string b = Application(posting, "sub-b", "SCREENING");
  auto request = [&](const std::string& token, const std::string& app, const std::string& first,
                     const std::string& last, v1::InternshipRequest* out) {
    v1::RequestInternshipRequest r;
    r.set_request_id(ids::NewUuid());
    r.set_period_id(period.id());
    r.set_application_id(app);
    r.set_first_day(first);
    r.set_last_day(last);
    return stub_->RequestInternship(Ctx(token).get(), r, out).error_code();
  };
  v1::InternshipRequest out;
  // Three weeks is too short, four months too long, outside the period refused.
  EXPECT_EQ(request(ApplicantToken("sub-a"), a, "2026-09-01", "2026-09-21", &out),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(request(ApplicantToken("sub-a"), a, "2026-09-01", "2026-12-31", &out),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(request(ApplicantToken("sub-a"), a, "2027-01-04", "2027-02-28", &out),
            grpc::StatusCode::FAILED_PRECONDITION);
  // Another's application: NOT_FOUND.
  EXPECT_EQ(request(ApplicantToken("sub-a"), b, "2026-09-01", "2026-10-31", &out),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(request(ApplicantToken("sub-a"), a, "2026-09-01", "2026-10-31", &out),
            grpc::StatusCode::OK);
  EXPECT_TRUE(out.accepted());
  // The one place is taken for that time.
  EXPECT_EQ(request(Hr(), b, "2026-10-01", "2026-11-30", &out),
            grpc::StatusCode::FAILED_PRECONDITION);
}

}  // namespace
}  // namespace stellenwerk::scheduling
