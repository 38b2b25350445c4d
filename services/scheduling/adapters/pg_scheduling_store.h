#pragma once
// Scheduling's PostgreSQL store: each command one transaction with its idempotency record and
// its outbox events (pg::Command, outbox::Publish); the double-booking constraints of
// migrations/0001 hold under races (ADR 0024). Tenant scoping: another tenant's day, slot or
// booking is NOT_FOUND.

#include <string>

#include "absl/status/statusor.h"
#include "common/clock/clock.h"
#include "common/pg/pool.h"
#include "common/store/command.h"
#include "services/scheduling/domain/schedule_rules.h"
#include "stellenwerk/events/v1/postings.pb.h"
#include "stellenwerk/scheduling/v1/scheduling.pb.h"

namespace stellenwerk::scheduling {

class PgSchedulingStore {
 public:
  PgSchedulingStore(pg::Pool& db, std::string schema, const Clock& clock)
      : db_(db), schema_(std::move(schema)), clock_(clock) {}

  // postings.posting.* (version-guarded: events may arrive out of order).
  void ApplyPosting(pqxx::work& tx, const events::v1::PostingSnapshot& posting);
  // applications.application.status_changed.v1: INVITED opens an invitation; the status is
  // kept for BookSlot's check.
  void ApplyApplicationStatus(pqxx::work& tx, const std::string& tenant,
                              const std::string& application_id, const std::string& posting_id,
                              const std::string& applicant_sub, const std::string& status);

  absl::StatusOr<v1::SelectionDay> CreateSelectionDay(const store::Actor& actor,
                                                      const v1::CreateSelectionDayRequest& r);
  absl::StatusOr<v1::Booking> BookSlot(const store::Actor& actor, const v1::BookSlotRequest& r);
  absl::StatusOr<v1::Booking> CancelBooking(const store::Actor& actor,
                                            const v1::CancelBookingRequest& r);

 private:
  pg::Pool& db_;
  std::string schema_;
  const Clock& clock_;
};

}  // namespace stellenwerk::scheduling
