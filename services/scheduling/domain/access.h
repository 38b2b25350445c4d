#pragma once
// Who may do what in scheduling (CONTRACT.md "Errors": a role not allowed is
// PERMISSION_DENIED). Pure: from the verified principal to the actor the store acts as.
//  - HR (hr_clerk, admin) of the tenant plans selection days, books, moves and cancels for
//    any invited application, sees every booking, and declares internship periods.
//  - An applicant books, moves and cancels only their own application's booking (the store
//    answers NOT_FOUND for another's: no existence leak), and only where the invitation
//    allows self-booking; they see their own bookings and the free slots of a day.
//  - HR lists a posting's invitations and decides per invitation whether the applicant books
//    themselves; an applicant lists their own open invitations.
//  - A committee member reads the days they sit on, their slots and bookings (to prepare the
//    structured interview); they change nothing.

#include <string>

#include "absl/status/statusor.h"
#include "common/auth/principal.h"
#include "common/store/command.h"

namespace stellenwerk::scheduling {

enum class Operation {
  kPlan,             // CreateSelectionDay
  kReadDay,          // GetSelectionDay, ListSlots
  kBook,             // BookSlot, RescheduleBooking, CancelBooking
  kReadBookings,     // ListBookings, GetBookingCalendar
  kDeclarePeriod,    // DeclareInternshipPeriod
  kRequestPeriod,    // RequestInternship
  kReadInvitations,  // ListInvitations: HR, or the applicant their own
  kInvite,           // UpdateInvitation: HR
};

// The actor `who` acts as for `op`, or PERMISSION_DENIED naming the roles that may.
absl::StatusOr<store::Actor> ActorFor(const auth::Principal& who, Operation op,
                                      std::string correlation_id);

// Whether the actor is a committee member only (reads restricted to their own days).
bool CommitteeOnly(const store::Actor& actor);

}  // namespace stellenwerk::scheduling
