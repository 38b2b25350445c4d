#pragma once
// Scheduling's PostgreSQL store: each command one transaction with its idempotency record, its
// audit line and its outbox events (pg::Command of common/pg/aggregate_store.h,
// outbox::Publish); the double-booking constraints of migrations/0001 hold under races (ADR
// 0024). Tenant scoping: another tenant's day, slot or booking is NOT_FOUND. Roles are checked
// before (domain/access.h); here the actor's scope: an applicant reaches only their own
// application's booking, a committee member only the days they sit on.

#include <string>

#include "absl/status/statusor.h"
#include "common/clock/clock.h"
#include "common/pg/aggregate_store.h"
#include "common/pg/pool.h"
#include "common/store/command.h"
#include "common/timers/timers.h"
#include "services/scheduling/domain/schedule_rules.h"
#include "stellenwerk/events/v1/postings.pb.h"
#include "stellenwerk/scheduling/v1/scheduling.pb.h"

namespace stellenwerk::scheduling {

class PgSchedulingStore {
 public:
  // `reminder_lead`: how long before a booking scheduling.reminder.due.v1 fires
  // (STELLENWERK_SCHEDULING_REMINDER_LEAD, default 48 h).
  // `internship_min_lead_days`: the tenant's hard floor between a request and the start
  // (STELLENWERK_SCHEDULING_INTERNSHIP_MIN_LEAD_DAYS; seed 000 advises nine months).
  PgSchedulingStore(pg::Pool& db, std::string schema, const Clock& clock,
                    absl::Duration reminder_lead = absl::Hours(48),
                    int internship_min_lead_days = 28);

  absl::Duration reminder_lead() const { return reminder_lead_; }

  // postings.posting.* (version-guarded: events may arrive out of order).
  void ApplyPosting(pqxx::work& tx, const events::v1::PostingSnapshot& posting);
  // applications.application.status_changed.v1: INVITED opens an invitation; the status is
  // kept for BookSlot's check.
  // WITHDRAWN / REJECTED cancel the application's live bookings (BookingCancelled with
  // METHOD:CANCEL, reminder dropped).
  absl::Status ApplyApplicationStatus(pqxx::work& tx, const std::string& tenant,
                                      const std::string& application_id,
                                      const std::string& posting_id,
                                      const std::string& applicant_sub, const std::string& status,
                                      const std::string& correlation_id = "");
  // applications.application.submitted.v1: who owns the application (for an applicant's
  // internship request); never overwrites a status heard later.
  void ApplyApplicationSubmitted(pqxx::work& tx, const std::string& tenant,
                                 const std::string& application_id, const std::string& posting_id,
                                 const std::string& applicant_sub);
  // applications.applicant.erased.v1 (GDPR Art. 17 / retention): the applications' bookings,
  // invitations and reminders are deleted, no event about the person follows.
  void EraseApplications(pqxx::work& tx, const std::vector<std::string>& application_ids);

  absl::StatusOr<v1::SelectionDay> CreateSelectionDay(const store::Actor& actor,
                                                      const v1::CreateSelectionDayRequest& r);
  absl::StatusOr<v1::Booking> BookSlot(const store::Actor& actor, const v1::BookSlotRequest& r);
  absl::StatusOr<v1::Booking> CancelBooking(const store::Actor& actor,
                                            const v1::CancelBookingRequest& r);
  // Into a free slot of the same posting; an occupied one is FAILED_PRECONDITION (the
  // constraints decide). Same UID, SEQUENCE + 1, the reminder moves.
  absl::StatusOr<v1::Booking> RescheduleBooking(const store::Actor& actor,
                                                const v1::RescheduleBookingRequest& r);
  absl::StatusOr<v1::SelectionDay> GetSelectionDay(const store::Actor& actor,
                                                   const std::string& id);
  // The slots of a day in order, paged (page_size 1–200, default 50); `booked` says only
  // whether a slot is taken, never by whom.
  absl::StatusOr<v1::ListSlotsResponse> ListSlots(const store::Actor& actor,
                                                  const v1::ListSlotsRequest& r);
  // HR: the bookings of a day or posting; an applicant: their own; a committee member: those
  // of a day they sit on. Paged by (start, id), page_size 1–200, default 50.
  absl::StatusOr<v1::ListBookingsResponse> ListBookings(const store::Actor& actor,
                                                        const v1::ListBookingsRequest& r);
  absl::StatusOr<v1::BookingCalendar> GetBookingCalendar(const store::Actor& actor,
                                                         const std::string& booking_id);

  // The open invitations (application INVITED), oldest first, paged (1–200, default 50): an
  // applicant's own (optionally of one posting); HR's of one posting (posting_id required).
  // Each with the posting's upcoming days (free slots counted) and the live booking.
  absl::StatusOr<v1::ListInvitationsResponse> ListInvitations(const store::Actor& actor,
                                                              const v1::ListInvitationsRequest& r);
  // HR: whether the applicant books themselves; etag-conditioned, audited.
  absl::StatusOr<v1::Invitation> UpdateInvitation(const store::Actor& actor,
                                                  const v1::UpdateInvitationRequest& r);

  // Internship periods (seed 000): HR declares a department's capacity for a period of a
  // posting; a request for an application is accepted while places are left, it lasts four
  // weeks to three months and starts at least the minimum lead time ahead.
  absl::StatusOr<v1::InternshipPeriod> DeclareInternshipPeriod(
      const store::Actor& actor, const v1::DeclareInternshipPeriodRequest& r);
  absl::StatusOr<v1::InternshipRequest> RequestInternship(const store::Actor& actor,
                                                          const v1::RequestInternshipRequest& r);

  // The durable reminder timer (kind kReminderTimer, key the booking id, payload the start in
  // Unix microseconds): publishes scheduling.reminder.due.v1 once, if the booking is still
  // live and still starts then.
  void RegisterTimers(timers::Scheduler& scheduler);
  absl::Status FireReminder(pqxx::work& tx, const timers::Timer& timer);

 private:
  // The reminder of booking `b` at its start minus the lead (none once that has passed); an
  // earlier one is dropped.
  absl::Status MoveReminder(pqxx::work& tx, const v1::Booking& b, absl::Time now) const;

  pg::Pool& db_;
  std::string schema_;
  const Clock& clock_;
  absl::Duration reminder_lead_;
  int internship_min_lead_days_;
  // Selection days and bookings are aggregates of the shared store: state, events and audit
  // lines in one transaction, the version the etag.
  pg::AggregateStore<v1::SelectionDay> days_;
  pg::AggregateStore<v1::Booking> bookings_;
};

inline constexpr char kReminderTimer[] = "scheduling.reminder";

}  // namespace stellenwerk::scheduling
