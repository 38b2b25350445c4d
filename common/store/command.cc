#include "common/store/command.h"

#include "absl/strings/str_cat.h"
#include "common/ids/digest.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace stellenwerk::store {

Actor Actor::Of(const auth::Principal& who, std::string correlation_id, std::string role) {
  Actor a;
  a.sub = who.Subject();
  a.issuer = who.issuer;
  a.tenant = who.tenant;
  a.correlation_id = std::move(correlation_id);
  a.role = std::move(role);
  // Staff roles decide: a token with any staff role acts for its tenant.
  a.applicant =
      who.HasRole(auth::roles::kApplicant) &&
      !who.HasAnyRole({auth::roles::kHrClerk, auth::roles::kAdmin, auth::roles::kCommitteeMember,
                       auth::roles::kEqualOpportunityOfficer, auth::roles::kStaffCouncil,
                       auth::roles::kDisabilityRepresentative, auth::roles::kCityCoordinator,
                       auth::roles::kDistrictCoordinator, auth::roles::kJobAgencyHead});
  return a;
}

Actor Actor::System(std::string what, std::string tenant, std::string correlation_id) {
  Actor a;
  a.sub = absl::StrCat("system:", what);
  a.tenant = std::move(tenant);
  a.correlation_id = std::move(correlation_id);
  return a;
}

IdempotencyRequest IdempotencyRequest::Of(std::string operation, const std::string& request_id,
                                          const google::protobuf::Message& request) {
  return {std::move(operation), request_id, request_id.empty() ? "" : RequestHash(request)};
}

std::string RequestHash(const google::protobuf::Message& request) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream raw(&bytes);
    google::protobuf::io::CodedOutputStream out(&raw);
    out.SetSerializationDeterministic(true);
    request.SerializeToCodedStream(&out);
  }
  return ids::Sha256Hex(bytes);
}

std::string IdempotencyScope(const Actor& actor) {
  // Unit separators keep "a"+"bc" and "ab"+"c" apart.
  if (actor.applicant) {
    return absl::StrCat("applicant\x1f", actor.issuer, "\x1f", actor.tenant, "\x1f", actor.sub);
  }
  return absl::StrCat("staff\x1f", actor.issuer, "\x1f", actor.tenant);
}

absl::Status CheckEtag(const std::string& current, const std::string& given) {
  if (given.empty() || given == current) return absl::OkStatus();
  return absl::AbortedError(
      absl::StrCat("etag \"", given, "\" is stale (current \"", current, "\"); re-read and retry"));
}

}  // namespace stellenwerk::store
