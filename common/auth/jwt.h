#pragma once
// JSON Web Tokens as Stellenwerk uses them (ARCHITECTURE.md "Security"): HS256 with a shared
// secret on local stacks, RS256 with a public key in production. Claims: sub, tenant, roles,
// iat, exp, optional nbf and iss. Every verification failure is UNAUTHENTICATED
// (CONTRACT.md "Errors").

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

// Forward declaration (identical to OpenSSL's own typedef) so that includers of this header
// do not pull in the OpenSSL headers.
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

// Anything that turns a compact-serialised JWT into verified claims: one key (JwtVerifier),
// a set of keys chosen by `kid` (KeySet) or a key file that is re-read when it changes
// (JwksFile, common/auth/key_set.h).
class TokenVerifier {
 public:
  virtual ~TokenVerifier() = default;
  virtual absl::StatusOr<Claims> Verify(std::string_view token, absl::Time now) const = 0;
};

// Verifies compact-serialised JWTs with one fixed algorithm. The algorithm is chosen when the
// verifier is built, never taken from the token, which rules out "none" and HS256/RS256
// confusion. Cheap to copy (the key is shared) and safe to use from many threads.
class JwtVerifier final : public TokenVerifier {
 public:
  // InvalidArgument if `secret` is shorter than 32 bytes: shorter HMAC keys are guessable
  // offline from any captured token.
  static absl::StatusOr<JwtVerifier> Hs256(std::string secret);
  // `public_key_pem` is a "-----BEGIN PUBLIC KEY-----" (SubjectPublicKeyInfo) RSA key of at
  // least 2048 bits. InvalidArgument otherwise.
  static absl::StatusOr<JwtVerifier> Rs256FromPem(std::string_view public_key_pem);
  static absl::StatusOr<JwtVerifier> Rs256FromPemFile(const std::string& path);
  // The RSA key of a JWK (RFC 7518 §6.3.1): modulus and exponent as unsigned big-endian bytes
  // (already base64url-decoded). Same minimum size as above.
  static absl::StatusOr<JwtVerifier> Rs256FromModulus(std::string_view modulus,
                                                      std::string_view exponent);

  // Checks structure, header (alg, typ, crit), signature, exp (required) and nbf with 60 s
  // leeway against `now`, and the sub/tenant/roles claims. UNAUTHENTICATED on any failure,
  // with a short reason that never contains the token itself.
  absl::StatusOr<Claims> Verify(std::string_view token, absl::Time now) const override;

  bool is_hs256() const { return alg_ == Alg::kHs256; }

 private:
  enum class Alg { kHs256, kRs256 };
  JwtVerifier(Alg alg, std::string secret, std::shared_ptr<EVP_PKEY> key)
      : alg_(alg), secret_(std::move(secret)), key_(std::move(key)) {}

  Alg alg_;
  std::string secret_;             // HS256 only
  std::shared_ptr<EVP_PKEY> key_;  // RS256 only; freed with EVP_PKEY_free
};

// The "kid" of a token's header, nullopt when the token has none or its header does not
// decode (the verifier then reports what is wrong). Nothing here is trusted before Verify.
std::optional<std::string> KeyIdOf(std::string_view token);

// HS256 token with sub, tenant, roles, iat, exp (and iss if set), for scripts, tests and
// tools. An unset issued_at defaults to now, an unset expires to now + 8 h.
std::string SignHs256(const Claims& claims, std::string_view secret);

// RFC 4648 §5 alphabet. Encode emits no padding (as JWT requires); Decode accepts input with
// or without correct padding and returns nullopt for any other character, an impossible length
// or non-zero trailing bits (so each byte string has exactly one accepted encoding).
std::string Base64UrlEncode(std::string_view data);
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace stellenwerk::auth
