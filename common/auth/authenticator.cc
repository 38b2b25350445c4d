#include "common/auth/authenticator.h"

#include <algorithm>
#include <cctype>

namespace stellenwerk::auth {

absl::StatusOr<std::optional<Principal>> Authenticator::AuthenticateOptional(
    const Metadata& metadata) const {
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return std::optional<Principal>();
  const std::string_view value(it->second.data(), it->second.size());
  constexpr std::string_view kBearer = "Bearer ";
  if (value.size() <= kBearer.size() ||
      !std::equal(kBearer.begin(), kBearer.end(), value.begin(),
                  [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
    return absl::UnauthenticatedError("authorization header must be 'Bearer <token>'");
  }
  auto claims = verifier_->Verify(value.substr(kBearer.size()), clock_.Now());
  if (!claims.ok()) return claims.status();
  return std::optional<Principal>(
      Principal{claims->sub, claims->tenant, claims->roles, claims->issuer});
}

absl::StatusOr<Principal> Authenticator::Authenticate(const Metadata& metadata) const {
  auto p = AuthenticateOptional(metadata);
  if (!p.ok()) return p.status();
  if (!p->has_value()) return absl::UnauthenticatedError("missing authorization: Bearer token");
  return **p;
}

}  // namespace stellenwerk::auth
