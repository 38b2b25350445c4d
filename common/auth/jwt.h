#pragma once
// JSON Web Tokens as Stellenwerk uses them: HS256 with a shared secret (local stacks) or
// RS256 with a public key (production). Claims: sub, tenant, roles, iat, exp (and iss).

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace stellenwerk::auth {

struct Claims {
  std::string sub;
  std::string tenant;
  std::vector<std::string> roles;
  absl::Time issued_at = absl::InfinitePast();
  absl::Time expires = absl::InfiniteFuture();
  std::string issuer;  // optional "iss"
  bool HasRole(std::string_view role) const;
};

class JwtVerifier {
 public:
  static absl::StatusOr<JwtVerifier> Hs256(std::string secret);
  static absl::StatusOr<JwtVerifier> Rs256FromPem(std::string_view public_key_pem);
  static absl::StatusOr<JwtVerifier> Rs256FromPemFile(const std::string& path);

  // UNAUTHENTICATED on any failure, with a short reason (never the token itself).
  absl::StatusOr<Claims> Verify(std::string_view token, absl::Time now) const;

 private:
  enum class Alg { kHs256, kRs256 };
  JwtVerifier(Alg alg, std::string secret, std::shared_ptr<EVP_PKEY> key)
      : alg_(alg), secret_(std::move(secret)), key_(std::move(key)) {}

  Alg alg_;
  std::string secret_;
  std::shared_ptr<EVP_PKEY> key_;
};

// HS256 token with sub, tenant, roles, iat, exp (and iss if set) — for scripts and tests.
std::string SignHs256(const Claims& claims, std::string_view secret);

std::string Base64UrlEncode(std::string_view data);
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace stellenwerk::auth
