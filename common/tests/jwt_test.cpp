// Tests for common/auth/jwt: the verifier is the only thing between a network caller and
// tenant data, so each test pins down one way a forged or broken token must be refused.

#include "common/auth/jwt.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/auth/key_set.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace stellenwerk::auth {
namespace {

using nlohmann::json;

constexpr char kSecret[] = "0123456789abcdef0123456789abcdef-test";
// A fixed "now" keeps the expiry tests independent of the wall clock.
const absl::Time kNow = absl::FromUnixSeconds(1'750'000'000);

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

// Builds an HS256-signed token from arbitrary header and payload JSON, so tests can produce
// tokens that SignHs256 would never emit (alg none, missing claims, odd types).
std::string HsToken(const json& header, const json& payload, std::string_view secret = kSecret) {
  const std::string input = Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(payload.dump());
  return input + "." + Base64UrlEncode(Hmac(secret, input));
}

json HsHeader() { return {{"alg", "HS256"}, {"typ", "JWT"}}; }

json GoodPayload() {
  return {{"sub", "user-1"},
          {"tenant", "stadt-koeln"},
          {"roles", {"hr_clerk", "committee"}},
          {"iat", absl::ToUnixSeconds(kNow - absl::Minutes(1))},
          {"exp", absl::ToUnixSeconds(kNow + absl::Hours(1))}};
}

Claims GoodClaims() {
  Claims c;
  c.sub = "user-1";
  c.tenant = "stadt-koeln";
  c.roles = {"hr_clerk", "admin"};
  c.issued_at = kNow - absl::Minutes(1);
  c.expires = kNow + absl::Hours(1);
  return c;
}

JwtVerifier HsVerifier() {
  absl::StatusOr<JwtVerifier> v = JwtVerifier::Hs256(kSecret);
  EXPECT_TRUE(v.ok()) << v.status();
  return *std::move(v);
}

void ExpectUnauthenticated(const absl::StatusOr<Claims>& result) {
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnauthenticated) << result.status();
}

// ---- RSA helpers (OpenSSL 3 EVP APIs only) ----

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

PkeyPtr GenerateRsaKey(size_t bits = 2048) {
  return PkeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", bits), EVP_PKEY_free);
}

std::string PublicKeyPem(EVP_PKEY* key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  EXPECT_EQ(PEM_write_bio_PUBKEY(bio.get(), key), 1);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string RsSign(EVP_PKEY* key, std::string_view input) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EXPECT_EQ(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key), 1);
  size_t len = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(input.data());
  EXPECT_EQ(EVP_DigestSign(ctx.get(), nullptr, &len, in, input.size()), 1);
  std::string sig(len, '\0');
  EXPECT_EQ(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                           input.size()),
            1);
  sig.resize(len);
  return sig;
}

std::string RsToken(EVP_PKEY* key, const json& payload, std::string_view kid = "") {
  json header = {{"alg", "RS256"}, {"typ", "JWT"}};
  if (!kid.empty()) header["kid"] = kid;
  const std::string input = Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(payload.dump());
  return input + "." + Base64UrlEncode(RsSign(key, input));
}

// Key generation takes tens of milliseconds; one key pair serves the whole suite.
class Rs256Test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    key_ = GenerateRsaKey().release();
    ASSERT_NE(key_, nullptr);
    pem_ = new std::string(PublicKeyPem(key_));
  }
  static void TearDownTestSuite() {
    EVP_PKEY_free(key_);
    delete pem_;
  }
  static JwtVerifier RsVerifier() {
    absl::StatusOr<JwtVerifier> v = JwtVerifier::Rs256FromPem(*pem_);
    EXPECT_TRUE(v.ok()) << v.status();
    return *std::move(v);
  }
  static EVP_PKEY* key_;
  static std::string* pem_;
};
EVP_PKEY* Rs256Test::key_ = nullptr;
std::string* Rs256Test::pem_ = nullptr;

// ---- Base64url ----

TEST(Base64UrlTest, RoundTripsEveryLengthAndByteValue) {
  std::string data;
  for (int i = 0; i < 300; ++i) {
    data.push_back(static_cast<char>(i * 37));
    const std::string encoded = Base64UrlEncode(data);
    EXPECT_EQ(encoded.find_first_of("+/="), std::string::npos);
    ASSERT_EQ(Base64UrlDecode(encoded), data) << "length " << data.size();
  }
}

TEST(Base64UrlTest, AcceptsMissingOrCorrectPadding) {
  EXPECT_EQ(Base64UrlDecode("QQ"), "A");
  EXPECT_EQ(Base64UrlDecode("QQ=="), "A");
  EXPECT_EQ(Base64UrlDecode("QUI"), "AB");
  EXPECT_EQ(Base64UrlDecode("QUI="), "AB");
  EXPECT_EQ(Base64UrlDecode(""), "");
  EXPECT_EQ(Base64UrlDecode("-_-_"), std::string("\xfb\xff\xbf", 3));
}

TEST(Base64UrlTest, RejectsInvalidCharactersLengthsAndPadding) {
  EXPECT_EQ(Base64UrlDecode("ab+/"), std::nullopt);  // standard, not url-safe, alphabet
  EXPECT_EQ(Base64UrlDecode("ab cd"), std::nullopt);
  EXPECT_EQ(Base64UrlDecode("ab.c"), std::nullopt);
  EXPECT_EQ(Base64UrlDecode("abcde"), std::nullopt);  // 4n+1 characters encode no byte
  EXPECT_EQ(Base64UrlDecode("QQ="), std::nullopt);    // wrong amount of padding
  EXPECT_EQ(Base64UrlDecode("QQ==="), std::nullopt);
  EXPECT_EQ(Base64UrlDecode("Q=Q="), std::nullopt);
  EXPECT_EQ(Base64UrlDecode(std::string_view("QQ\0=", 4)), std::nullopt);
}

TEST(Base64UrlTest, RejectsNonZeroTrailingBitsSoEncodingsAreUnique) {
  EXPECT_EQ(Base64UrlDecode("QQ"), "A");
  EXPECT_EQ(Base64UrlDecode("QR"), std::nullopt);
  EXPECT_EQ(Base64UrlDecode("QUJ"), std::nullopt);
}

// ---- HS256 ----

TEST(JwtHs256Test, SignedTokenRoundTripsAllClaims) {
  Claims in = GoodClaims();
  in.issuer = "stellenwerk-dev";
  absl::StatusOr<Claims> out = HsVerifier().Verify(SignHs256(in, kSecret), kNow);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->sub, "user-1");
  EXPECT_EQ(out->tenant, "stadt-koeln");
  EXPECT_EQ(out->roles, (std::vector<std::string>{"hr_clerk", "admin"}));
  EXPECT_EQ(out->issued_at, kNow - absl::Minutes(1));
  EXPECT_EQ(out->expires, kNow + absl::Hours(1));
  EXPECT_EQ(out->issuer, "stellenwerk-dev");
  EXPECT_TRUE(out->HasRole("admin"));
  EXPECT_FALSE(out->HasRole("committee"));
}

TEST(JwtHs256Test, SignedTokenWithoutIssuerHasNoIssClaim) {
  const std::string token = SignHs256(GoodClaims(), kSecret);
  const size_t dot = token.find('.');
  const std::string payload = *Base64UrlDecode(token.substr(dot + 1, token.rfind('.') - dot - 1));
  EXPECT_FALSE(json::parse(payload).contains("iss"));
  absl::StatusOr<Claims> out = HsVerifier().Verify(token, kNow);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->issuer, "");
}

TEST(JwtHs256Test, VerifierIsCopyableAndCopiesVerify) {
  const JwtVerifier original = HsVerifier();
  JwtVerifier copy = original;
  JwtVerifier moved = std::move(copy);
  EXPECT_TRUE(moved.Verify(SignHs256(GoodClaims(), kSecret), kNow).ok());
  EXPECT_TRUE(original.Verify(SignHs256(GoodClaims(), kSecret), kNow).ok());
}

TEST(JwtHs256Test, TokenSignedWithOtherSecretIsRejected) {
  const std::string token = SignHs256(GoodClaims(), "another-secret-another-secret-another-secret");
  ExpectUnauthenticated(HsVerifier().Verify(token, kNow));
}

TEST(JwtHs256Test, TamperedPayloadIsRejected) {
  const std::string token = SignHs256(GoodClaims(), kSecret);
  json payload = GoodPayload();
  payload["tenant"] = "other-tenant";
  const size_t first = token.find('.');
  const size_t last = token.rfind('.');
  const std::string forged =
      token.substr(0, first + 1) + Base64UrlEncode(payload.dump()) + token.substr(last);
  ExpectUnauthenticated(HsVerifier().Verify(forged, kNow));
}

TEST(JwtHs256Test, TamperedSignatureIsRejected) {
  std::string token = SignHs256(GoodClaims(), kSecret);
  token[token.size() - 5] = token[token.size() - 5] == 'A' ? 'B' : 'A';
  ExpectUnauthenticated(HsVerifier().Verify(token, kNow));
  // A truncated signature must not pass a prefix comparison.
  const std::string good = SignHs256(GoodClaims(), kSecret);
  ExpectUnauthenticated(HsVerifier().Verify(good.substr(0, good.size() - 4), kNow));
}

TEST(JwtHs256Test, AlgNoneIsRejectedWithOrWithoutSignature) {
  const json none = {{"alg", "none"}, {"typ", "JWT"}};
  const std::string unsigned_token =
      Base64UrlEncode(none.dump()) + "." + Base64UrlEncode(GoodPayload().dump()) + ".";
  ExpectUnauthenticated(HsVerifier().Verify(unsigned_token, kNow));
  // Even with a valid HMAC attached, the header's "none" is refused.
  ExpectUnauthenticated(HsVerifier().Verify(HsToken(none, GoodPayload()), kNow));
  const json none_upper = {{"alg", "None"}};
  ExpectUnauthenticated(HsVerifier().Verify(HsToken(none_upper, GoodPayload()), kNow));
}

TEST(JwtHs256Test, MissingOrNonStringAlgIsRejected) {
  ExpectUnauthenticated(HsVerifier().Verify(HsToken(json{{"typ", "JWT"}}, GoodPayload()), kNow));
  ExpectUnauthenticated(HsVerifier().Verify(HsToken(json{{"alg", 256}}, GoodPayload()), kNow));
  ExpectUnauthenticated(HsVerifier().Verify(HsToken(json::array(), GoodPayload()), kNow));
}

TEST(JwtHs256Test, TypOtherThanJwtIsRejectedAndAbsentTypIsAccepted) {
  ExpectUnauthenticated(
      HsVerifier().Verify(HsToken({{"alg", "HS256"}, {"typ", "at+jwt"}}, GoodPayload()), kNow));
  ExpectUnauthenticated(
      HsVerifier().Verify(HsToken({{"alg", "HS256"}, {"typ", 1}}, GoodPayload()), kNow));
  EXPECT_TRUE(HsVerifier().Verify(HsToken({{"alg", "HS256"}}, GoodPayload()), kNow).ok());
}

TEST(JwtHs256Test, UnknownCriticalHeaderIsRejected) {
  const json header = {{"alg", "HS256"}, {"crit", {"exp-v2"}}, {"exp-v2", true}};
  ExpectUnauthenticated(HsVerifier().Verify(HsToken(header, GoodPayload()), kNow));
}

TEST(JwtHs256Test, ExpiredTokenIsRejected) {
  json payload = GoodPayload();
  payload["exp"] = absl::ToUnixSeconds(kNow - absl::Seconds(61));
  ExpectUnauthenticated(HsVerifier().Verify(HsToken(HsHeader(), payload), kNow));
}

TEST(JwtHs256Test, ExpiryWithinSixtySecondLeewayIsAccepted) {
  json payload = GoodPayload();
  payload["exp"] = absl::ToUnixSeconds(kNow - absl::Seconds(60));
  absl::StatusOr<Claims> out = HsVerifier().Verify(HsToken(HsHeader(), payload), kNow);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->expires, kNow - absl::Seconds(60));
}

TEST(JwtHs256Test, MissingOrNonNumericExpIsRejected) {
  json payload = GoodPayload();
  payload.erase("exp");
  ExpectUnauthenticated(HsVerifier().Verify(HsToken(HsHeader(), payload), kNow));
  payload["exp"] = std::to_string(absl::ToUnixSeconds(kNow + absl::Hours(1)));
  ExpectUnauthenticated(HsVerifier().Verify(HsToken(HsHeader(), payload), kNow));
}

TEST(JwtHs256Test, FractionalAndHugeExpAreHandledWithoutOverflow) {
  json payload = GoodPayload();
  payload["exp"] = static_cast<double>(absl::ToUnixSeconds(kNow + absl::Hours(1))) + 0.5;
  EXPECT_TRUE(HsVerifier().Verify(HsToken(HsHeader(), payload), kNow).ok());
  payload["exp"] = 1e300;
  EXPECT_TRUE(HsVerifier().Verify(HsToken(HsHeader(), payload), kNow).ok());
  payload["exp"] = -1e300;
  ExpectUnauthenticated(HsVerifier().Verify(HsToken(HsHeader(), payload), kNow));
  payload["exp"] = std::numeric_limits<uint64_t>::max();
  EXPECT_TRUE(HsVerifier().Verify(HsToken(HsHeader(), payload), kNow).ok());
}

TEST(JwtHs256Test, NotBeforeInFutureIsRejectedButWithinLeewayIsAccepted) {
  json payload = GoodPayload();
  payload["nbf"] = absl::ToUnixSeconds(kNow + absl::Seconds(61));
  ExpectUnauthenticated(HsVerifier().Verify(HsToken(HsHeader(), payload), kNow));
  payload["nbf"] = absl::ToUnixSeconds(kNow + absl::Seconds(60));
  EXPECT_TRUE(HsVerifier().Verify(HsToken(HsHeader(), payload), kNow).ok());
  payload["nbf"] = "tomorrow";
  ExpectUnauthenticated(HsVerifier().Verify(HsToken(HsHeader(), payload), kNow));
}

TEST(JwtHs256Test, MissingOrEmptyTenantIsRejected) {
  json payload = GoodPayload();
  payload.erase("tenant");
  ExpectUnauthenticated(HsVerifier().Verify(HsToken(HsHeader(), payload), kNow));
  payload["tenant"] = "";
  ExpectUnauthenticated(HsVerifier().Verify(HsToken(HsHeader(), payload), kNow));
  payload["tenant"] = 42;
  ExpectUnauthenticated(HsVerifier().Verify(HsToken(HsHeader(), payload), kNow));
}

TEST(JwtHs256Test, MissingOrEmptySubjectIsRejected) {
  json payload = GoodPayload();
  payload.erase("sub");
  ExpectUnauthenticated(HsVerifier().Verify(HsToken(HsHeader(), payload), kNow));
  payload["sub"] = "";
  ExpectUnauthenticated(HsVerifier().Verify(HsToken(HsHeader(), payload), kNow));
}

TEST(JwtHs256Test, RolesAsSingleStringIsAccepted) {
  json payload = GoodPayload();
  payload["roles"] = "admin";
  absl::StatusOr<Claims> out = HsVerifier().Verify(HsToken(HsHeader(), payload), kNow);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->roles, std::vector<std::string>{"admin"});
}

TEST(JwtHs256Test, RolesAsArrayIsAccepted) {
  absl::StatusOr<Claims> out = HsVerifier().Verify(HsToken(HsHeader(), GoodPayload()), kNow);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->roles, (std::vector<std::string>{"hr_clerk", "committee"}));
  EXPECT_TRUE(out->HasRole("committee"));
}

TEST(JwtHs256Test, MissingRolesMeansNoRoles) {
  json payload = GoodPayload();
  payload.erase("roles");
  absl::StatusOr<Claims> out = HsVerifier().Verify(HsToken(HsHeader(), payload), kNow);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE(out->roles.empty());
}

TEST(JwtHs256Test, RolesOfWrongTypeAreRejected) {
  json payload = GoodPayload();
  payload["roles"] = {"admin", 7};
  ExpectUnauthenticated(HsVerifier().Verify(HsToken(HsHeader(), payload), kNow));
  payload["roles"] = {{"admin", true}};
  ExpectUnauthenticated(HsVerifier().Verify(HsToken(HsHeader(), payload), kNow));
  payload["roles"] = 1;
  ExpectUnauthenticated(HsVerifier().Verify(HsToken(HsHeader(), payload), kNow));
}

TEST(JwtHs256Test, MalformedTokensAreRejected) {
  const JwtVerifier v = HsVerifier();
  const std::string good = SignHs256(GoodClaims(), kSecret);
  ExpectUnauthenticated(v.Verify("", kNow));
  ExpectUnauthenticated(v.Verify("a.b", kNow));
  ExpectUnauthenticated(v.Verify("a.b.c.d", kNow));
  ExpectUnauthenticated(v.Verify("..", kNow));
  ExpectUnauthenticated(v.Verify(good + ".", kNow));
  ExpectUnauthenticated(v.Verify("!!!.@@@.###", kNow));  // invalid base64url
  ExpectUnauthenticated(v.Verify("e30.e30.e30", kNow));  // "{}" everywhere, no valid signature
  // Header and payload that are valid base64url but not JSON objects.
  ExpectUnauthenticated(v.Verify(
      Base64UrlEncode("not json") + "." + Base64UrlEncode(GoodPayload().dump()) + ".c2ln", kNow));
  const std::string input = Base64UrlEncode(HsHeader().dump()) + "." + Base64UrlEncode("[1]");
  ExpectUnauthenticated(v.Verify(input + "." + Base64UrlEncode(Hmac(kSecret, input)), kNow));
  ExpectUnauthenticated(v.Verify(std::string(10000, 'a'), kNow));
}

TEST(JwtHs256Test, ErrorMessageDoesNotEchoTheToken) {
  json payload = GoodPayload();
  payload["exp"] = absl::ToUnixSeconds(kNow - absl::Hours(1));
  const std::string token = HsToken(HsHeader(), payload);
  absl::StatusOr<Claims> out = HsVerifier().Verify(token, kNow);
  ASSERT_FALSE(out.ok());
  const std::string message(out.status().message());
  EXPECT_EQ(message.find(token.substr(token.rfind('.') + 1)), std::string::npos);
  EXPECT_EQ(message.find(token.substr(0, token.find('.'))), std::string::npos);
  EXPECT_LT(message.size(), 64u);
}

TEST(JwtHs256Test, SecretShorterThan32BytesIsRejected) {
  absl::StatusOr<JwtVerifier> v = JwtVerifier::Hs256(std::string(31, 'x'));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(JwtVerifier::Hs256("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(JwtVerifier::Hs256(std::string(32, 'x')).ok());
}

// ---- RS256 ----

TEST_F(Rs256Test, SignedWithPrivateKeyRoundTripsThroughPemPublicKey) {
  json payload = GoodPayload();
  payload["iss"] = "https://idp.example";
  absl::StatusOr<Claims> out = RsVerifier().Verify(RsToken(key_, payload), kNow);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->sub, "user-1");
  EXPECT_EQ(out->tenant, "stadt-koeln");
  EXPECT_EQ(out->roles, (std::vector<std::string>{"hr_clerk", "committee"}));
  EXPECT_EQ(out->issuer, "https://idp.example");
  EXPECT_EQ(out->expires, kNow + absl::Hours(1));
}

TEST_F(Rs256Test, PemFileIsLoaded) {
  const std::string path = ::testing::TempDir() + "/jwt_test_pubkey.pem";
  {
    std::ofstream out(path, std::ios::binary);
    out << *pem_;
  }
  absl::StatusOr<JwtVerifier> v = JwtVerifier::Rs256FromPemFile(path);
  std::remove(path.c_str());
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_TRUE(v->Verify(RsToken(key_, GoodPayload()), kNow).ok());
  EXPECT_EQ(JwtVerifier::Rs256FromPemFile(path + ".missing").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(Rs256Test, TokenFromOtherKeyIsRejected) {
  PkeyPtr other = GenerateRsaKey();
  ASSERT_NE(other, nullptr);
  ExpectUnauthenticated(RsVerifier().Verify(RsToken(other.get(), GoodPayload()), kNow));
}

TEST_F(Rs256Test, TamperedPayloadIsRejected) {
  const std::string token = RsToken(key_, GoodPayload());
  json payload = GoodPayload();
  payload["roles"] = {"admin"};
  const std::string forged = token.substr(0, token.find('.') + 1) +
                             Base64UrlEncode(payload.dump()) + token.substr(token.rfind('.'));
  ExpectUnauthenticated(RsVerifier().Verify(forged, kNow));
}

TEST_F(Rs256Test, Hs256TokenUsingPublicKeyPemAsSecretIsRejected) {
  // The classic algorithm-confusion attack: the public key is public, so an attacker can
  // HMAC with it. A verifier that trusted the header's "alg" would accept this token.
  const std::string forged = HsToken(HsHeader(), GoodPayload(), *pem_);
  ExpectUnauthenticated(RsVerifier().Verify(forged, kNow));
  // Same attack written through the library's own signer.
  ExpectUnauthenticated(RsVerifier().Verify(SignHs256(GoodClaims(), *pem_), kNow));
}

TEST_F(Rs256Test, Rs256TokenIsRejectedByHs256Verifier) {
  ExpectUnauthenticated(HsVerifier().Verify(RsToken(key_, GoodPayload()), kNow));
}

TEST_F(Rs256Test, AlgNoneIsRejected) {
  const std::string token = Base64UrlEncode(json{{"alg", "none"}}.dump()) + "." +
                            Base64UrlEncode(GoodPayload().dump()) + ".";
  ExpectUnauthenticated(RsVerifier().Verify(token, kNow));
}

TEST_F(Rs256Test, ExpiredTokenIsRejected) {
  json payload = GoodPayload();
  payload["exp"] = absl::ToUnixSeconds(kNow - absl::Minutes(5));
  ExpectUnauthenticated(RsVerifier().Verify(RsToken(key_, payload), kNow));
}

TEST(JwtRs256KeyTest, InvalidPemIsRejected) {
  EXPECT_EQ(JwtVerifier::Rs256FromPem("").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      JwtVerifier::Rs256FromPem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(JwtVerifier::Rs256FromPem(kSecret).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(JwtRs256KeyTest, NonRsaAndShortRsaKeysAreRejected) {
  PkeyPtr ec(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), EVP_PKEY_free);
  ASSERT_NE(ec, nullptr);
  EXPECT_EQ(JwtVerifier::Rs256FromPem(PublicKeyPem(ec.get())).status().code(),
            absl::StatusCode::kInvalidArgument);
  PkeyPtr weak = GenerateRsaKey(1024);
  ASSERT_NE(weak, nullptr);
  EXPECT_EQ(JwtVerifier::Rs256FromPem(PublicKeyPem(weak.get())).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// ---- JWKS: several keys by kid, and a key file that follows rotation (ADR 0035) ----

std::string BigEndian(EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  EXPECT_EQ(EVP_PKEY_get_bn_param(key, name, &bn), 1);
  std::string bytes(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(bytes.data()));
  BN_free(bn);
  return bytes;
}

json RsaJwk(EVP_PKEY* key, std::string_view kid) {
  return {{"kty", "RSA"},
          {"alg", "RS256"},
          {"use", "sig"},
          {"kid", kid},
          {"n", Base64UrlEncode(BigEndian(key, "n"))},
          {"e", Base64UrlEncode(BigEndian(key, "e"))}};
}

std::string Jwks(std::initializer_list<json> keys) { return json{{"keys", keys}}.dump(); }

// Two issuer keys: the one in use ("2026-11") and its successor ("2026-12").
class JwksTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    old_ = GenerateRsaKey().release();
    new_ = GenerateRsaKey().release();
    ASSERT_NE(old_, nullptr);
    ASSERT_NE(new_, nullptr);
  }
  static void TearDownTestSuite() {
    EVP_PKEY_free(old_);
    EVP_PKEY_free(new_);
  }
  static EVP_PKEY* old_;
  static EVP_PKEY* new_;

  // Replaces the file the way a Secret update does: a new file renamed over the old path.
  void WriteFile(const std::string& text) {
    const std::string tmp = path_ + ".tmp";
    std::ofstream(tmp, std::ios::binary | std::ios::trunc) << text;
    ASSERT_EQ(std::rename(tmp.c_str(), path_.c_str()), 0);
  }
  void TearDown() override { std::remove(path_.c_str()); }

  std::string path_ = ::testing::TempDir() + "/stw-jwks-" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".json";
};
EVP_PKEY* JwksTest::old_ = nullptr;
EVP_PKEY* JwksTest::new_ = nullptr;

TEST_F(JwksTest, EachKeyVerifiesTheTokensOfItsKid) {
  absl::StatusOr<KeySet> set =
      KeySet::FromJwks(Jwks({RsaJwk(old_, "2026-11"), RsaJwk(new_, "2026-12")}));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->size(), 2u);
  absl::StatusOr<Claims> a = set->Verify(RsToken(old_, GoodPayload(), "2026-11"), kNow);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->sub, "user-1");
  EXPECT_TRUE(set->Verify(RsToken(new_, GoodPayload(), "2026-12"), kNow).ok());
}

TEST_F(JwksTest, AWrongUnknownOrMissingKidIsRefused) {
  absl::StatusOr<KeySet> set =
      KeySet::FromJwks(Jwks({RsaJwk(old_, "2026-11"), RsaJwk(new_, "2026-12")}));
  ASSERT_TRUE(set.ok()) << set.status();
  // Signed by one key but naming the other: the named key decides, so the signature fails.
  ExpectUnauthenticated(set->Verify(RsToken(old_, GoodPayload(), "2026-12"), kNow));
  ExpectUnauthenticated(set->Verify(RsToken(old_, GoodPayload(), "2025-01"), kNow));
  // With two keys a token must say which one it is signed with.
  ExpectUnauthenticated(set->Verify(RsToken(old_, GoodPayload()), kNow));
  // An HS256 token naming an RSA key's kid is not verified with that key as an HMAC secret.
  ExpectUnauthenticated(set->Verify(
      HsToken({{"alg", "HS256"}, {"kid", "2026-11"}}, GoodPayload(), "any-secret"), kNow));
}

TEST_F(JwksTest, ASingleKeyAlsoVerifiesTokensWithoutKid) {
  absl::StatusOr<KeySet> set = KeySet::FromJwks(Jwks({RsaJwk(old_, "only")}));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_TRUE(set->Verify(RsToken(old_, GoodPayload()), kNow).ok());
  ExpectUnauthenticated(set->Verify(RsToken(new_, GoodPayload()), kNow));
}

TEST_F(JwksTest, AnOctKeyVerifiesHs256) {
  const json oct = {
      {"kty", "oct"}, {"alg", "HS256"}, {"kid", "local"}, {"k", Base64UrlEncode(kSecret)}};
  absl::StatusOr<KeySet> set = KeySet::FromJwks(Jwks({oct, RsaJwk(new_, "2026-12")}));
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_TRUE(set->Verify(HsToken({{"alg", "HS256"}, {"kid", "local"}}, GoodPayload()), kNow).ok());
  // The same secret cannot verify an RS256 header.
  ExpectUnauthenticated(set->Verify(RsToken(old_, GoodPayload(), "local"), kNow));
}

TEST_F(JwksTest, KeySetsTheServicesCannotFullyUseAreRefused) {
  const json rsa = RsaJwk(old_, "a");
  json enc = rsa;
  enc["use"] = "enc";
  json es = rsa;
  es["alg"] = "ES256";
  json no_n = rsa;
  no_n.erase("n");
  json bad_n = rsa;
  bad_n["n"] = "not+base64url";
  json no_kid = RsaJwk(new_, "");
  no_kid.erase("kid");
  PkeyPtr small = GenerateRsaKey(1024);
  const json short_oct = {{"kty", "oct"}, {"alg", "HS256"}, {"k", Base64UrlEncode("short")}};
  for (const std::string& text :
       {std::string("not json"), std::string(R"({"keys": []})"), std::string(R"({"keys": {}})"),
        std::string(R"([])"), Jwks({enc}), Jwks({es}), Jwks({no_n}), Jwks({bad_n}),
        Jwks({rsa, no_kid}), Jwks({rsa, RsaJwk(new_, "a")}), Jwks({RsaJwk(small.get(), "s")}),
        Jwks({short_oct}), Jwks({json{{"kty", "EC"}, {"kid", "e"}}})}) {
    absl::StatusOr<KeySet> set = KeySet::FromJwks(text);
    EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument) << text;
  }
}

TEST_F(JwksTest, TheFileFollowsARotationWithoutRestart) {
  WriteFile(Jwks({RsaJwk(old_, "2026-11")}));
  absl::StatusOr<std::shared_ptr<JwksFile>> file = JwksFile::Open(path_, absl::ZeroDuration());
  ASSERT_TRUE(file.ok()) << file.status();
  const std::string by_old = RsToken(old_, GoodPayload(), "2026-11");
  const std::string by_new = RsToken(new_, GoodPayload(), "2026-12");
  EXPECT_TRUE((*file)->Verify(by_old, kNow).ok());
  ExpectUnauthenticated((*file)->Verify(by_new, kNow));

  // Step 1 of a rotation: publish the successor beside the key in use. Both verify.
  WriteFile(Jwks({RsaJwk(old_, "2026-11"), RsaJwk(new_, "2026-12")}));
  EXPECT_TRUE((*file)->Verify(by_new, kNow).ok());
  EXPECT_TRUE((*file)->Verify(by_old, kNow).ok());
  // Step 2, once every old token has expired: retire the old key.
  WriteFile(Jwks({RsaJwk(new_, "2026-12")}));
  ExpectUnauthenticated((*file)->Verify(by_old, kNow));
  EXPECT_TRUE((*file)->Verify(by_new, kNow).ok());
  EXPECT_EQ((*file)->loads(), 3);
}

TEST_F(JwksTest, ABotchedEditKeepsTheKeysInUse) {
  WriteFile(Jwks({RsaJwk(old_, "2026-11")}));
  absl::StatusOr<std::shared_ptr<JwksFile>> file = JwksFile::Open(path_, absl::ZeroDuration());
  ASSERT_TRUE(file.ok()) << file.status();
  WriteFile("{\"keys\": [");  // truncated
  const std::string by_old = RsToken(old_, GoodPayload(), "2026-11");
  EXPECT_TRUE((*file)->Verify(by_old, kNow).ok());
  std::remove(path_.c_str());  // even a vanished file does not lock everyone out
  EXPECT_TRUE((*file)->Verify(by_old, kNow).ok());
  EXPECT_EQ((*file)->loads(), 1);
  // A good file again is picked up.
  WriteFile(Jwks({RsaJwk(new_, "2026-12")}));
  EXPECT_TRUE((*file)->Verify(RsToken(new_, GoodPayload(), "2026-12"), kNow).ok());
  EXPECT_EQ((*file)->loads(), 2);
}

TEST_F(JwksTest, AFileThatCannotBeUsedAtStartIsAnError) {
  EXPECT_FALSE(JwksFile::Open(path_ + ".missing").ok());
  WriteFile("[]");
  EXPECT_EQ(JwksFile::Open(path_).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(JwksTest, BetweenRechecksTheFileIsNotReread) {
  WriteFile(Jwks({RsaJwk(old_, "2026-11")}));
  absl::StatusOr<std::shared_ptr<JwksFile>> file = JwksFile::Open(path_, absl::Hours(1));
  ASSERT_TRUE(file.ok()) << file.status();
  WriteFile(Jwks({RsaJwk(new_, "2026-12")}));
  // Within the recheck interval the keys in memory answer (no stat per token).
  EXPECT_TRUE((*file)->Verify(RsToken(old_, GoodPayload(), "2026-11"), kNow).ok());
  EXPECT_EQ((*file)->loads(), 1);
}

}  // namespace
}  // namespace stellenwerk::auth
