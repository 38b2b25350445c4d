#include "common/auth/jwt.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <sstream>

#include "nlohmann/json.hpp"

namespace stellenwerk::auth {
namespace {

// Clock skew tolerated between the issuer and us.
constexpr absl::Duration kLeeway = absl::Seconds(60);
// Real tokens are a few hundred bytes; the cap keeps a hostile header from making us decode
// and parse megabytes before the signature check.
constexpr size_t kMaxTokenSize = 8192;
constexpr size_t kMinHs256SecretSize = 32;
constexpr int kMinRsaBits = 2048;
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

absl::Status Unauthenticated(std::string_view why) {
  return absl::UnauthenticatedError(std::string("invalid token: ") + std::string(why));
}

int Base64UrlValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // std::string_view::data() may be null for an empty view; HMAC wants a valid pointer.
  static const char kEmpty = 0;
  if (HMAC(EVP_sha256(), key.empty() ? &kEmpty : key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), out,
           &len) == nullptr) {
    ERR_clear_error();
    return std::string();
  }
  return std::string(reinterpret_cast<char*>(out), len);
}

bool VerifyRs256(EVP_PKEY* key, std::string_view data, std::string_view signature) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  bool ok = ctx != nullptr &&
            EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
            EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                             signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                             data.size()) == 1;
  // A failed verification leaves entries on this thread's OpenSSL error queue; clear them so
  // they are not misattributed to an unrelated later OpenSSL call (e.g. a TLS handshake).
  if (!ok) ERR_clear_error();
  return ok;
}

// RFC 7519 NumericDate: seconds since the epoch, possibly fractional. Absent, non-numeric and
// non-finite values are nullopt; out-of-range values saturate rather than overflowing.
std::optional<absl::Time> NumericDate(const nlohmann::json& payload, const char* name) {
  auto it = payload.find(name);
  if (it == payload.end()) return std::nullopt;
  if (it->is_number_integer() && !it->is_number_unsigned()) {
    return absl::FromUnixSeconds(it->get<int64_t>());
  }
  if (it->is_number_unsigned()) {
    const uint64_t v = it->get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return absl::InfiniteFuture();
    }
    return absl::FromUnixSeconds(static_cast<int64_t>(v));
  }
  if (it->is_number_float()) {
    const double v = it->get<double>();
    if (!std::isfinite(v)) return std::nullopt;
    // Beyond ±2^62 s the conversion to int64 would be undefined; such dates are infinite
    // for every practical purpose.
    constexpr double kLimit = 4.6e18;
    if (v >= kLimit) return absl::InfiniteFuture();
    if (v <= -kLimit) return absl::InfinitePast();
    return absl::FromUnixSeconds(static_cast<int64_t>(std::floor(v)));
  }
  return std::nullopt;
}

std::optional<std::string> StringClaim(const nlohmann::json& payload, const char* name) {
  auto it = payload.find(name);
  if (it == payload.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

}  // namespace

bool Claims::HasRole(std::string_view role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

std::string Base64UrlEncode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    const uint32_t n = (uint32_t{static_cast<uint8_t>(data[i])} << 16) |
                       (uint32_t{static_cast<uint8_t>(data[i + 1])} << 8) |
                       uint32_t{static_cast<uint8_t>(data[i + 2])};
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  const size_t rest = data.size() - i;
  if (rest == 1) {
    const uint32_t n = uint32_t{static_cast<uint8_t>(data[i])} << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
  } else if (rest == 2) {
    const uint32_t n = (uint32_t{static_cast<uint8_t>(data[i])} << 16) |
                       (uint32_t{static_cast<uint8_t>(data[i + 1])} << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
  }
  return out;
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  // Padding is optional, but if present it must be exactly what the length requires.
  size_t padding = 0;
  while (!text.empty() && text.back() == '=') {
    text.remove_suffix(1);
    ++padding;
  }
  if (padding > 0 && (padding > 2 || (text.size() + padding) % 4 != 0)) return std::nullopt;
  if (text.size() % 4 == 1) return std::nullopt;  // 6 bits cannot encode a byte

  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int v = Base64UrlValue(c);
    if (v < 0) return std::nullopt;
    buffer = ((buffer << 6) | static_cast<uint32_t>(v)) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  // Leftover bits must be zero; otherwise several strings would decode to the same bytes,
  // which would let anyone mint distinct-looking copies of a signed token.
  if (bits > 0 && (buffer & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

absl::StatusOr<JwtVerifier> JwtVerifier::Hs256(std::string secret) {
  if (secret.size() < kMinHs256SecretSize) {
    return absl::InvalidArgumentError("JWT HS256 secret must be at least 32 bytes");
  }
  return JwtVerifier(Alg::kHs256, std::move(secret), nullptr);
}

absl::StatusOr<JwtVerifier> JwtVerifier::Rs256FromPem(std::string_view pem) {
  if (pem.empty() || pem.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return absl::InvalidArgumentError("JWT RS256 key is not a PEM RSA public key");
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  std::shared_ptr<EVP_PKEY> key(
      bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr, EVP_PKEY_free);
  ERR_clear_error();  // a parse failure is reported through our status, not the queue
  if (key == nullptr || EVP_PKEY_base_id(key.get()) != EVP_PKEY_RSA) {
    return absl::InvalidArgumentError("JWT RS256 key is not a PEM RSA public key");
  }
  if (EVP_PKEY_get_bits(key.get()) < kMinRsaBits) {
    return absl::InvalidArgumentError("JWT RS256 key must have at least 2048 bits");
  }
  return JwtVerifier(Alg::kRs256, "", std::move(key));
}

absl::StatusOr<JwtVerifier> JwtVerifier::Rs256FromPemFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError("cannot read JWT public key file " + path);
  std::stringstream pem;
  pem << in.rdbuf();
  return Rs256FromPem(pem.str());
}

absl::StatusOr<JwtVerifier> JwtVerifier::Rs256FromModulus(std::string_view modulus,
                                                          std::string_view exponent) {
  const auto fail = [] { return absl::InvalidArgumentError("JWK is not a usable RSA key"); };
  if (modulus.empty() || exponent.empty() || modulus.size() > 2048 || exponent.size() > 8) {
    return fail();
  }
  using Bn = std::unique_ptr<BIGNUM, decltype(&BN_free)>;
  Bn n(BN_bin2bn(reinterpret_cast<const unsigned char*>(modulus.data()),
                 static_cast<int>(modulus.size()), nullptr),
       BN_free);
  Bn e(BN_bin2bn(reinterpret_cast<const unsigned char*>(exponent.data()),
                 static_cast<int>(exponent.size()), nullptr),
       BN_free);
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> build(OSSL_PARAM_BLD_new(),
                                                                        OSSL_PARAM_BLD_free);
  if (!n || !e || !build || OSSL_PARAM_BLD_push_BN(build.get(), "n", n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(build.get(), "e", e.get()) != 1) {
    ERR_clear_error();
    return fail();
  }
  std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(
      OSSL_PARAM_BLD_to_param(build.get()), OSSL_PARAM_free);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr), EVP_PKEY_CTX_free);
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    ERR_clear_error();
    return fail();
  }
  std::shared_ptr<EVP_PKEY> key(raw, EVP_PKEY_free);
  if (EVP_PKEY_get_bits(key.get()) < kMinRsaBits) {
    return absl::InvalidArgumentError("JWT RS256 key must have at least 2048 bits");
  }
  return JwtVerifier(Alg::kRs256, "", std::move(key));
}

std::optional<std::string> KeyIdOf(std::string_view token) {
  if (token.size() > kMaxTokenSize) return std::nullopt;
  const size_t dot = token.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  const std::optional<std::string> header_json = Base64UrlDecode(token.substr(0, dot));
  if (!header_json) return std::nullopt;
  const nlohmann::json header =
      nlohmann::json::parse(*header_json, nullptr, /*allow_exceptions=*/false);
  if (!header.is_object()) return std::nullopt;
  auto kid = header.find("kid");
  if (kid == header.end() || !kid->is_string()) return std::nullopt;
  return kid->get<std::string>();
}

absl::StatusOr<Claims> JwtVerifier::Verify(std::string_view token, absl::Time now) const {
  if (token.size() > kMaxTokenSize) return Unauthenticated("too long");
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    const size_t dot = token.find('.', start);
    parts.push_back(token.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos || parts.size() > 3) break;
    start = dot + 1;
  }
  if (parts.size() != 3) return Unauthenticated("not three parts");
  for (std::string_view part : parts) {
    if (part.empty()) return Unauthenticated("empty part");
  }
  const std::optional<std::string> header_json = Base64UrlDecode(parts[0]);
  const std::optional<std::string> payload_json = Base64UrlDecode(parts[1]);
  const std::optional<std::string> signature = Base64UrlDecode(parts[2]);
  if (!header_json || !payload_json || !signature) return Unauthenticated("bad encoding");

  const nlohmann::json header =
      nlohmann::json::parse(*header_json, nullptr, /*allow_exceptions=*/false);
  if (!header.is_object()) return Unauthenticated("bad header");
  auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string()) return Unauthenticated("bad header");
  // The verifier's algorithm decides, never the token's header: this is what rejects "none"
  // and an HS256 token "signed" with the RSA public key as HMAC secret.
  const std::string_view expected_alg = alg_ == Alg::kHs256 ? "HS256" : "RS256";
  if (alg->get_ref<const std::string&>() != expected_alg) {
    return Unauthenticated("unexpected algorithm");
  }
  if (auto typ = header.find("typ"); typ != header.end() && (!typ->is_string() || *typ != "JWT")) {
    return Unauthenticated("unexpected type");
  }
  // RFC 7515 §4.1.11: extensions we do not understand must not be ignored.
  if (header.contains("crit")) return Unauthenticated("unsupported critical header");

  // The signing input is the raw ASCII of the first two parts, exactly as received.
  const std::string_view signed_part(token.data(), parts[0].size() + 1 + parts[1].size());
  if (alg_ == Alg::kHs256) {
    const std::string expected = HmacSha256(secret_, signed_part);
    // Constant-time compare so response timing does not reveal how many bytes matched. The
    // length is public (always 32), so checking it first leaks nothing.
    if (expected.empty() || expected.size() != signature->size() ||
        CRYPTO_memcmp(expected.data(), signature->data(), expected.size()) != 0) {
      return Unauthenticated("bad signature");
    }
  } else if (!VerifyRs256(key_.get(), signed_part, *signature)) {
    return Unauthenticated("bad signature");
  }

  // Only now, with the signature verified, do the claims mean anything.
  const nlohmann::json payload =
      nlohmann::json::parse(*payload_json, nullptr, /*allow_exceptions=*/false);
  if (!payload.is_object()) return Unauthenticated("bad payload");

  const std::optional<absl::Time> exp = NumericDate(payload, "exp");
  if (!exp) return Unauthenticated("no expiry");
  if (now > *exp + kLeeway) return Unauthenticated("expired");
  if (payload.contains("nbf")) {
    const std::optional<absl::Time> nbf = NumericDate(payload, "nbf");
    if (!nbf) return Unauthenticated("bad nbf");
    if (now + kLeeway < *nbf) return Unauthenticated("not yet valid");
  }

  Claims claims;
  claims.expires = *exp;
  if (std::optional<absl::Time> iat = NumericDate(payload, "iat")) claims.issued_at = *iat;
  std::optional<std::string> sub = StringClaim(payload, "sub");
  std::optional<std::string> tenant = StringClaim(payload, "tenant");
  if (!sub || sub->empty()) return Unauthenticated("no subject");
  if (!tenant || tenant->empty()) return Unauthenticated("no tenant");
  claims.sub = *std::move(sub);
  claims.tenant = *std::move(tenant);
  claims.issuer = StringClaim(payload, "iss").value_or("");
  // A missing "roles" means no roles (e.g. a plain applicant); a wrong type is an error so a
  // malformed issuer configuration is noticed instead of silently granting nothing.
  if (auto roles = payload.find("roles"); roles != payload.end()) {
    if (roles->is_string()) {
      claims.roles.push_back(roles->get<std::string>());
    } else if (roles->is_array()) {
      for (const nlohmann::json& role : *roles) {
        if (!role.is_string()) return Unauthenticated("roles must be strings");
        claims.roles.push_back(role.get<std::string>());
      }
    } else {
      return Unauthenticated("roles must be an array of strings");
    }
  }
  return claims;
}

std::string SignHs256(const Claims& claims, std::string_view secret) {
  const absl::Time now = absl::Now();
  const absl::Time iat = claims.issued_at == absl::InfinitePast() ? now : claims.issued_at;
  const absl::Time exp =
      claims.expires == absl::InfiniteFuture() ? now + absl::Hours(8) : claims.expires;
  nlohmann::json payload = {{"sub", claims.sub},
                            {"tenant", claims.tenant},
                            {"roles", claims.roles},
                            {"iat", absl::ToUnixSeconds(iat)},
                            {"exp", absl::ToUnixSeconds(exp)}};
  if (!claims.issuer.empty()) payload["iss"] = claims.issuer;
  const std::string header = R"({"alg":"HS256","typ":"JWT"})";
  // `replace` instead of the default `strict`: invalid UTF-8 in a claim must not throw out of a
  // tool (we build without relying on exceptions); the verifier will simply see U+FFFD.
  const std::string body =
      payload.dump(-1, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
  const std::string signing_input = Base64UrlEncode(header) + "." + Base64UrlEncode(body);
  return signing_input + "." + Base64UrlEncode(HmacSha256(secret, signing_input));
}

}  // namespace stellenwerk::auth
