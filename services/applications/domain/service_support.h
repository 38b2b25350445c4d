#pragma once
// Small helpers shared by the files of ApplicationService (one class, a file per capability).
// Internal to the applications domain.

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/auth/principal.h"
#include "google/protobuf/util/time_util.h"
#include "services/applications/domain/application_store.h"

namespace stellenwerk::applications::service_support {

inline google::protobuf::Timestamp Ts(absl::Time t) {
  return google::protobuf::util::TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

inline IdempotencyRequest Idem(std::string op, const std::string& request_id,
                               const google::protobuf::Message& request) {
  return IdempotencyRequest::Of(std::move(op), request_id, request);
}

// HR acts towards applicants and the procedure: hr_clerk or admin.
inline absl::Status RequireHr(const auth::Principal& who) {
  return auth::RequireAnyRole(who, {auth::roles::kHrClerk, auth::roles::kAdmin});
}

inline bool IsStaff(const auth::Principal& who) {
  return who.HasAnyRole(
      {auth::roles::kHrClerk, auth::roles::kAdmin, auth::roles::kCommitteeMember});
}

inline absl::Status NotFound(const std::string& id) {
  return absl::NotFoundError(absl::StrCat("application ", id, " not found"));
}

inline bool IsOwn(const auth::Principal& who, const v1::Application& a) {
  return a.applicant_sub() == who.Subject() && who.HasRole(auth::roles::kApplicant);
}

// Whether people can still apply: a draft, or published before its deadline (DOMAIN.md: the
// selection — screening, verdicts, the end of the procedure — comes after).
inline bool TakesApplications(const PostingSnapshot& p, absl::Time now) {
  return p.status == "DRAFT" ||
         (p.status == "PUBLISHED" && (!p.deadline.has_value() || now < *p.deadline));
}

}  // namespace stellenwerk::applications::service_support
