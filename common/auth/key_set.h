#pragma once
// Several verification keys at once, so that an issuer can rotate its signing key without
// downtime (docs/decisions/0035): a JSON Web Key Set (RFC 7517 §5) whose keys carry a `kid`,
// and a JWKS file (mounted from a Kubernetes Secret) that is re-read when it changes.

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/auth/jwt.h"

namespace stellenwerk::auth {

class KeySet final : public TokenVerifier {
 public:
  // Accepts signing keys of kty "RSA" (alg RS256 or none given) and "oct" (alg HS256, for the
  // local stack). A key with `use` other than "sig", or another alg or kty, is refused rather
  // than skipped: a key set the services cannot fully use is a configuration error to notice.
  // With more than one key every key needs a distinct `kid`. InvalidArgument on any problem.
  static absl::StatusOr<KeySet> FromJwks(std::string_view json);
  static absl::StatusOr<KeySet> FromJwksFile(const std::string& path);

  // Picks the key by the token's `kid`; a token without `kid` is accepted only when the set
  // holds exactly one key. An unknown kid is UNAUTHENTICATED like any other bad token.
  absl::StatusOr<Claims> Verify(std::string_view token, absl::Time now) const override;

  size_t size() const { return keys_.size(); }

 private:
  std::vector<std::pair<std::string, JwtVerifier>> keys_;  // (kid, key); few, so a vector
};

// A JWKS file that follows rotation: before a verification, at most once per `recheck`, the
// file's identity (device, inode, size, mtime — a Kubernetes Secret update swaps a symlink, so
// the inode changes) is compared and the file re-read when it changed. A file that no longer
// parses keeps the keys in use (and logs a warning), so a botched edit cannot lock everyone out.
class JwksFile final : public TokenVerifier {
 public:
  static absl::StatusOr<std::shared_ptr<JwksFile>> Open(std::string path,
                                                        absl::Duration recheck = absl::Seconds(5));

  absl::StatusOr<Claims> Verify(std::string_view token, absl::Time now) const override;

  // How many times the keys were (re)loaded successfully, the first load included.
  int loads() const;

 private:
  struct Identity {
    unsigned long long device = 0, inode = 0, size = 0;
    long long mtime_ns = 0;
    bool operator==(const Identity&) const = default;
  };
  JwksFile(std::string path, absl::Duration recheck) : path_(std::move(path)), recheck_(recheck) {}
  static absl::StatusOr<Identity> Stat(const std::string& path);
  std::shared_ptr<const KeySet> Current() const;

  const std::string path_;
  const absl::Duration recheck_;
  mutable absl::Mutex mu_;
  mutable std::shared_ptr<const KeySet> keys_ ABSL_GUARDED_BY(mu_);
  mutable Identity identity_ ABSL_GUARDED_BY(mu_);
  mutable absl::Time next_check_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  mutable int loads_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace stellenwerk::auth
