#include "services/scheduling/domain/access.h"

namespace stellenwerk::scheduling {
namespace {
namespace roles = auth::roles;
}  // namespace

absl::StatusOr<store::Actor> ActorFor(const auth::Principal& who, Operation op,
                                      std::string correlation_id) {
  const bool hr = who.HasAnyRole({roles::kHrClerk, roles::kAdmin});
  const bool committee = who.HasRole(roles::kCommitteeMember);
  const bool applicant = who.HasRole(roles::kApplicant);
  const char* role = nullptr;
  switch (op) {
    case Operation::kPlan:
    case Operation::kDeclarePeriod:
    case Operation::kInvite:
      if (hr) role = who.HasRole(roles::kAdmin) ? roles::kAdmin : roles::kHrClerk;
      break;
    case Operation::kBook:
    case Operation::kRequestPeriod:
    case Operation::kReadInvitations:
      if (hr) {
        role = who.HasRole(roles::kAdmin) ? roles::kAdmin : roles::kHrClerk;
      } else if (applicant && !committee) {
        role = roles::kApplicant;
      }
      break;
    case Operation::kReadDay:
    case Operation::kReadBookings:
      if (hr) {
        role = who.HasRole(roles::kAdmin) ? roles::kAdmin : roles::kHrClerk;
      } else if (committee) {
        role = roles::kCommitteeMember;
      } else if (applicant) {
        role = roles::kApplicant;
      }
      break;
  }
  if (role == nullptr) {
    switch (op) {
      case Operation::kPlan:
      case Operation::kDeclarePeriod:
      case Operation::kInvite:
        return absl::PermissionDeniedError("only hr_clerk or admin may do this");
      case Operation::kBook:
      case Operation::kRequestPeriod:
      case Operation::kReadInvitations:
        return absl::PermissionDeniedError("only hr_clerk, admin or the applicant may do this");
      default:
        return absl::PermissionDeniedError(
            "only hr_clerk, admin, committee_member or the applicant may read this");
    }
  }
  store::Actor actor = store::Actor::Of(who, std::move(correlation_id), role);
  // Acting as an applicant means applicant scope, whatever else the token carries.
  actor.applicant = actor.role == roles::kApplicant;
  return actor;
}

bool CommitteeOnly(const store::Actor& actor) {
  return actor.role == auth::roles::kCommitteeMember;
}

}  // namespace stellenwerk::scheduling
