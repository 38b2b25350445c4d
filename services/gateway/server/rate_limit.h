#pragma once
// The gateway's rate limit (docs/decisions/0045, 0052). Guarantee: every request is counted
// in Redis exactly as before — fixed one-minute windows per route template (method and
// template) and client; a verified token's subject gets the per-client limit and its address
// `ip_factor` times that; a request without a verifiable token is counted by its address
// alone. The count is exact across any number of gateway processes sharing the Redis (one
// INCR per bucket and request, nothing counted locally), and fail-open: when Redis is not
// reached the request is allowed.
//
// What ADR 0052 changed is where the round trip waits: Check() hands the token check and the
// INCRs to a small pool of its own threads and returns at once, so the I/O thread serves other
// connections meanwhile; `done` runs on a pool thread. When the pool's queue is full the check
// runs on the caller's thread (back-pressure, as before ADR 0052) — never skipped.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "common/auth/jwt.h"
#include "common/cache/redis_cache.h"
#include "common/clock/clock.h"
#include "common/concurrency/worker_pool.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"

namespace stellenwerk::gateway {

class RateLimiter {
 public:
  struct Options {
    int per_minute = 600;  // 0: no limit
    int ip_factor = 10;
    const Clock* clock = nullptr;  // the windows' time; null: the system's
    int threads = 8;               // the pool's threads (each needs a Redis connection)
    size_t max_queue = 1024;       // beyond this a check runs on the caller's thread
  };

  // `redis` null: no limit. `verifier` null: no token verifies (every request by address).
  // `limited` counts the refusals by route and by (subject | client).
  RateLimiter(Options options, cache::RedisCache* redis,
              std::shared_ptr<const auth::TokenVerifier> verifier,
              prometheus::Family<prometheus::Counter>* limited);
  ~RateLimiter();  // Stop()
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  bool enabled() const;

  // nullopt = allowed; otherwise the seconds until the window ends (Retry-After).
  using Done = std::function<void(std::optional<int> retry_after)>;
  // The window is the one of the call's time (taken here, not when the pool gets to it).
  // `done` runs exactly once, on a pool thread or (queue full, pool stopped) inside this call.
  void Check(std::string client, std::string authorization, std::string route, Done done);
  // The same on the caller's thread (blocking).
  std::optional<int> CheckNow(const std::string& client, const std::string& authorization,
                              const std::string& route);

  // Runs the queued checks, then joins the pool (the Redis client must outlive this).
  void Stop();

 private:
  std::optional<int> Decide(absl::Time now, const std::string& client,
                            const std::string& authorization, const std::string& route);
  // The verified subject of a bearer token, hashed ("" without a verifiable token).
  std::string VerifiedSubject(const std::string& authorization) const;
  absl::Time Now() const;

  const Options options_;
  cache::RedisCache* const redis_;
  const std::shared_ptr<const auth::TokenVerifier> verifier_;
  prometheus::Family<prometheus::Counter>* const limited_;
  std::unique_ptr<concurrency::WorkerPool> pool_;
};

}  // namespace stellenwerk::gateway
