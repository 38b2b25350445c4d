#include "common/auth/jwt.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "nlohmann/json.hpp"

namespace stellenwerk::auth {
namespace {

constexpr absl::Duration kLeeway = absl::Seconds(60);
constexpr char kAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

absl::Status Unauthenticated(std::string_view why) {
  return absl::UnauthenticatedError(std::string("invalid token: ") + std::string(why));
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

bool VerifyRs256(EVP_PKEY* key, std::string_view data, std::string_view signature) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (ctx == nullptr) return false;
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                          data.size()) == 1;
}

std::optional<absl::Time> NumericDate(const nlohmann::json& payload, const char* name) {
  auto it = payload.find(name);
  if (it == payload.end() || !it->is_number()) return std::nullopt;
  return absl::FromUnixSeconds(it->get<int64_t>());
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
    const uint32_t n = (uint8_t(data[i]) << 16) | (uint8_t(data[i + 1]) << 8) | uint8_t(data[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i + 1 == data.size()) {
    const uint32_t n = uint8_t(data[i]) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
  } else if (i + 2 == data.size()) {
    const uint32_t n = (uint8_t(data[i]) << 16) | (uint8_t(data[i + 1]) << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
  }
  return out;
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '-') v = 62;
    else if (c == '_') v = 63;
    else return std::nullopt;
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return out;
}

absl::StatusOr<JwtVerifier> JwtVerifier::Hs256(std::string secret) {
  if (secret.size() < 32) {
    return absl::InvalidArgumentError("JWT HS256 secret must be at least 32 bytes");
  }
  return JwtVerifier(Alg::kHs256, std::move(secret), nullptr);
}

absl::StatusOr<JwtVerifier> JwtVerifier::Rs256FromPem(std::string_view pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  EVP_PKEY* key = bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr;
  if (key == nullptr || EVP_PKEY_base_id(key) != EVP_PKEY_RSA) {
    if (key != nullptr) EVP_PKEY_free(key);
    return absl::InvalidArgumentError("JWT RS256 key is not a PEM RSA public key");
  }
  return JwtVerifier(Alg::kRs256, "", std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free));
}

absl::StatusOr<JwtVerifier> JwtVerifier::Rs256FromPemFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError("cannot read JWT public key file " + path);
  std::stringstream pem;
  pem << in.rdbuf();
  return Rs256FromPem(pem.str());
}

absl::StatusOr<Claims> JwtVerifier::Verify(std::string_view token, absl::Time now) const {
  if (token.size() > 8192) return Unauthenticated("too long");
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    const size_t dot = token.find('.', start);
    parts.push_back(token.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (parts.size() != 3) return Unauthenticated("not three parts");
  auto header_json = Base64UrlDecode(parts[0]);
  auto payload_json = Base64UrlDecode(parts[1]);
  auto signature = Base64UrlDecode(parts[2]);
  if (!header_json || !payload_json || !signature) return Unauthenticated("bad encoding");

  nlohmann::json header = nlohmann::json::parse(*header_json, nullptr, /*exceptions=*/false);
  if (!header.is_object() || !header.contains("alg") || !header["alg"].is_string()) {
    return Unauthenticated("bad header");
  }
  const std::string alg = header["alg"].get<std::string>();
  // The verifier's algorithm decides, never the token's header (no "none", no confusion).
  if ((alg_ == Alg::kHs256 && alg != "HS256") || (alg_ == Alg::kRs256 && alg != "RS256")) {
    return Unauthenticated("unexpected algorithm");
  }
  if (header.contains("typ") && (!header["typ"].is_string() || header["typ"] != "JWT")) {
    return Unauthenticated("unexpected type");
  }
  const std::string_view signed_part(token.data(), parts[0].size() + 1 + parts[1].size());
  if (alg_ == Alg::kHs256) {
    const std::string expected = HmacSha256(secret_, signed_part);
    if (expected.size() != signature->size() ||
        CRYPTO_memcmp(expected.data(), signature->data(), expected.size()) != 0) {
      return Unauthenticated("bad signature");
    }
  } else if (!VerifyRs256(key_.get(), signed_part, *signature)) {
    return Unauthenticated("bad signature");
  }

  nlohmann::json payload = nlohmann::json::parse(*payload_json, nullptr, false);
  if (!payload.is_object()) return Unauthenticated("bad payload");
  Claims claims;
  auto exp = NumericDate(payload, "exp");
  if (!exp) return Unauthenticated("no expiry");
  if (now > *exp + kLeeway) return Unauthenticated("expired");
  if (auto nbf = NumericDate(payload, "nbf"); nbf && now + kLeeway < *nbf) {
    return Unauthenticated("not yet valid");
  }
  claims.expires = *exp;
  if (auto iat = NumericDate(payload, "iat")) claims.issued_at = *iat;
  auto text = [&](const char* name) -> std::optional<std::string> {
    auto it = payload.find(name);
    if (it == payload.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  auto sub = text("sub");
  auto tenant = text("tenant");
  if (!sub || sub->empty()) return Unauthenticated("no subject");
  if (!tenant || tenant->empty()) return Unauthenticated("no tenant");
  claims.sub = *sub;
  claims.tenant = *tenant;
  claims.issuer = text("iss").value_or("");
  if (auto it = payload.find("roles"); it != payload.end()) {
    if (it->is_string()) {
      claims.roles.push_back(it->get<std::string>());
    } else if (it->is_array()) {
      for (const auto& r : *it) {
        if (!r.is_string()) return Unauthenticated("roles must be strings");
        claims.roles.push_back(r.get<std::string>());
      }
    } else {
      return Unauthenticated("roles must be an array");
    }
  }
  return claims;
}

std::string SignHs256(const Claims& claims, std::string_view secret) {
  const std::string header = R"({"alg":"HS256","typ":"JWT"})";
  nlohmann::json payload = {{"sub", claims.sub},
                            {"tenant", claims.tenant},
                            {"roles", claims.roles},
                            {"iat", absl::ToUnixSeconds(claims.issued_at == absl::InfinitePast()
                                                            ? absl::Now()
                                                            : claims.issued_at)},
                            {"exp", absl::ToUnixSeconds(claims.expires == absl::InfiniteFuture()
                                                            ? absl::Now() + absl::Hours(8)
                                                            : claims.expires)}};
  if (!claims.issuer.empty()) payload["iss"] = claims.issuer;
  const std::string signing_input =
      Base64UrlEncode(header) + "." + Base64UrlEncode(payload.dump());
  return signing_input + "." + Base64UrlEncode(HmacSha256(secret, signing_input));
}

}  // namespace stellenwerk::auth
