#pragma once
// Who is calling: verified from `authorization: Bearer <JWT>` (ARCHITECTURE.md "Security").

#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace stellenwerk::auth {

// Role names shared by the services.
namespace roles {
inline constexpr char kHrClerk[] = "hr_clerk";
inline constexpr char kAdmin[] = "admin";
inline constexpr char kApplicant[] = "applicant";
inline constexpr char kCommitteeMember[] = "committee_member";
inline constexpr char kEqualOpportunityOfficer[] = "equal_opportunity_officer";
inline constexpr char kStaffCouncil[] = "staff_council";
inline constexpr char kDisabilityRepresentative[] = "disability_representative";
inline constexpr char kCityCoordinator[] = "city_coordinator";
inline constexpr char kDistrictCoordinator[] = "district_coordinator";
inline constexpr char kJobAgencyHead[] = "job_agency_head";
}  // namespace roles

struct Principal {
  std::string sub;
  std::string tenant;
  std::vector<std::string> roles;
  std::string issuer;  // the token's `iss` ("" when it has none); subjects are unique per issuer

  // Who this is, unique across token issuers: `sub` for a token without `iss` (the local
  // issuer), else "<iss>#<sub>" — subjects are unique only per issuer. What the services store
  // as a person (an applicant's applications and documents, an actor in history and audit).
  std::string Subject() const;

  bool HasRole(std::string_view role) const;
  bool HasAnyRole(std::initializer_list<std::string_view> wanted) const;
};

// PERMISSION_DENIED unless the principal has one of the roles.
absl::Status RequireAnyRole(const Principal& p, std::initializer_list<std::string_view> wanted);

}  // namespace stellenwerk::auth
