#include "common/auth/key_set.h"

#include <sys/stat.h>

#include <fstream>
#include <set>
#include <sstream>

#include "nlohmann/json.hpp"
#include "spdlog/spdlog.h"

namespace stellenwerk::auth {
namespace {

absl::Status Invalid(std::string_view what) {
  return absl::InvalidArgumentError(std::string("JWKS: ") + std::string(what));
}

std::string Text(const nlohmann::json& key, const char* name) {
  auto it = key.find(name);
  return it != key.end() && it->is_string() ? it->get<std::string>() : std::string();
}

absl::StatusOr<JwtVerifier> KeyOf(const nlohmann::json& key) {
  const std::string kty = Text(key, "kty"), alg = Text(key, "alg"), use = Text(key, "use");
  if (!use.empty() && use != "sig") return Invalid("a key with \"use\" other than \"sig\"");
  if (kty == "RSA" && (alg.empty() || alg == "RS256")) {
    const std::optional<std::string> n = Base64UrlDecode(Text(key, "n"));
    const std::optional<std::string> e = Base64UrlDecode(Text(key, "e"));
    if (!n || !e) return Invalid("an RSA key without base64url \"n\" and \"e\"");
    return JwtVerifier::Rs256FromModulus(*n, *e);
  }
  if (kty == "oct" && alg == "HS256") {
    std::optional<std::string> k = Base64UrlDecode(Text(key, "k"));
    if (!k) return Invalid("an oct key without base64url \"k\"");
    return JwtVerifier::Hs256(*std::move(k));
  }
  return Invalid("only RSA keys for RS256 and oct keys for HS256 are supported");
}

std::string ReadFile(const std::string& path, bool& ok) {
  std::ifstream in(path, std::ios::binary);
  ok = static_cast<bool>(in);
  std::stringstream text;
  if (ok) text << in.rdbuf();
  return text.str();
}

}  // namespace

absl::StatusOr<KeySet> KeySet::FromJwks(std::string_view json) {
  const nlohmann::json doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("keys") || !doc["keys"].is_array()) {
    return Invalid("not an object with a \"keys\" array");
  }
  const nlohmann::json& keys = doc["keys"];
  if (keys.empty()) return Invalid("no keys");
  KeySet set;
  std::set<std::string> kids;
  for (const nlohmann::json& key : keys) {
    if (!key.is_object()) return Invalid("a key that is not an object");
    const std::string kid = Text(key, "kid");
    if (keys.size() > 1 && kid.empty()) return Invalid("several keys, one without \"kid\"");
    if (!kids.insert(kid).second) return Invalid("two keys with the same \"kid\"");
    absl::StatusOr<JwtVerifier> verifier = KeyOf(key);
    if (!verifier.ok()) return verifier.status();
    set.keys_.emplace_back(kid, *std::move(verifier));
  }
  return set;
}

absl::StatusOr<KeySet> KeySet::FromJwksFile(const std::string& path) {
  bool ok = false;
  const std::string text = ReadFile(path, ok);
  if (!ok) return Invalid("cannot read " + path);
  return FromJwks(text);
}

absl::StatusOr<Claims> KeySet::Verify(std::string_view token, absl::Time now) const {
  const std::optional<std::string> kid = KeyIdOf(token);
  if (!kid) {
    if (keys_.size() == 1) return keys_.front().second.Verify(token, now);
    return absl::UnauthenticatedError("invalid token: no key id");
  }
  for (const auto& [id, key] : keys_) {
    if (id == *kid) return key.Verify(token, now);
  }
  return absl::UnauthenticatedError("invalid token: unknown key id");
}

absl::StatusOr<JwksFile::Identity> JwksFile::Stat(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Invalid("cannot stat " + path);
  return Identity{static_cast<unsigned long long>(st.st_dev),
                  static_cast<unsigned long long>(st.st_ino),
                  static_cast<unsigned long long>(st.st_size),
                  static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec};
}

absl::StatusOr<std::shared_ptr<JwksFile>> JwksFile::Open(std::string path, absl::Duration recheck) {
  absl::StatusOr<Identity> identity = Stat(path);
  if (!identity.ok()) return identity.status();
  absl::StatusOr<KeySet> keys = KeySet::FromJwksFile(path);
  if (!keys.ok()) return keys.status();
  std::shared_ptr<JwksFile> file(new JwksFile(std::move(path), recheck));
  absl::MutexLock lock(&file->mu_);
  file->keys_ = std::make_shared<const KeySet>(*std::move(keys));
  file->identity_ = *identity;
  file->next_check_ = absl::Now() + recheck;
  file->loads_ = 1;
  return file;
}

std::shared_ptr<const KeySet> JwksFile::Current() const {
  // The throttle runs on the real clock: key rotation is an operational matter, not business
  // time, so a fake clock does not stop it.
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  if (now < next_check_) return keys_;
  next_check_ = now + recheck_;
  absl::StatusOr<Identity> identity = Stat(path_);
  if (!identity.ok() || *identity == identity_) return keys_;
  absl::StatusOr<KeySet> keys = KeySet::FromJwksFile(path_);
  if (!keys.ok()) {
    spdlog::warn("JWKS file changed but is unusable, keeping the {} key(s) in use: {}",
                 keys_->size(), std::string(keys.status().message()));
    // Try again once the file changes once more.
    identity_ = *identity;
    return keys_;
  }
  keys_ = std::make_shared<const KeySet>(*std::move(keys));
  identity_ = *identity;
  ++loads_;
  spdlog::info("JWKS file reloaded: {} key(s)", keys_->size());
  return keys_;
}

absl::StatusOr<Claims> JwksFile::Verify(std::string_view token, absl::Time now) const {
  return Current()->Verify(token, now);
}

int JwksFile::loads() const {
  absl::MutexLock lock(&mu_);
  return loads_;
}

}  // namespace stellenwerk::auth
