#include "services/scheduling/adapters/pg_scheduling_errors.h"

#include <string>

namespace stellenwerk::scheduling {

absl::Status ConstraintStatus(const pqxx::sql_error& e) {
  const std::string state = e.sqlstate();
  if (state != "23505" && state != "23P01") throw;
  const std::string what = e.what();
  auto mentions = [&](const char* name) { return what.find(name) != std::string::npos; };
  if (mentions("bookings_one_per_slot")) {
    return absl::FailedPreconditionError("the slot is already booked");
  }
  if (mentions("bookings_one_per_day")) {
    return absl::FailedPreconditionError("the applicant already holds a slot on that day");
  }
  if (mentions("bookings_no_overlap")) {
    return absl::FailedPreconditionError("the booking would overlap another booking of the day");
  }
  if (mentions("selection_days_room_free")) {
    return absl::FailedPreconditionError("the room is taken by another selection day");
  }
  if (mentions("committee_member_free")) {
    return absl::FailedPreconditionError(
        "a committee member sits on another selection day at that time");
  }
  if (mentions("internship_requests_application_id_key")) {
    return absl::FailedPreconditionError("this application has already requested an internship");
  }
  throw;
}

}  // namespace stellenwerk::scheduling
