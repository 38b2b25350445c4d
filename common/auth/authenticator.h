#pragma once
// Verifies `authorization: Bearer <JWT>` from gRPC metadata into a Principal.

#include <map>
#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "common/auth/jwt.h"
#include "common/auth/principal.h"
#include "common/clock/clock.h"
#include "grpcpp/support/string_ref.h"

namespace stellenwerk::auth {

class Authenticator {
 public:
  // One key, or any TokenVerifier (e.g. a JwksFile that follows key rotation).
  Authenticator(JwtVerifier verifier, const Clock& clock)
      : verifier_(std::make_shared<JwtVerifier>(std::move(verifier))), clock_(clock) {}
  Authenticator(std::shared_ptr<const TokenVerifier> verifier, const Clock& clock)
      : verifier_(std::move(verifier)), clock_(clock) {}

  using Metadata = std::multimap<grpc::string_ref, grpc::string_ref>;

  // UNAUTHENTICATED if the header is missing or the token invalid.
  absl::StatusOr<Principal> Authenticate(const Metadata& metadata) const;
  // nullopt when there is no authorization header at all (public reads); an invalid token
  // is still UNAUTHENTICATED.
  absl::StatusOr<std::optional<Principal>> AuthenticateOptional(const Metadata& metadata) const;

 private:
  std::shared_ptr<const TokenVerifier> verifier_;
  const Clock& clock_;
};

}  // namespace stellenwerk::auth
