#include "services/gateway/server/rate_limit.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "services/gateway/server/sha256.h"

namespace stellenwerk::gateway {

RateLimiter::RateLimiter(Options options, cache::RedisCache* redis,
                         std::shared_ptr<const auth::TokenVerifier> verifier,
                         prometheus::Family<prometheus::Counter>* limited)
    : options_(options), redis_(redis), verifier_(std::move(verifier)), limited_(limited) {
  if (enabled()) {
    pool_ = std::make_unique<concurrency::WorkerPool>("gateway-ratelimit", options_.threads,
                                                      options_.max_queue);
  }
}

RateLimiter::~RateLimiter() { Stop(); }

void RateLimiter::Stop() {
  if (pool_) pool_->Stop();
}

bool RateLimiter::enabled() const { return redis_ != nullptr && options_.per_minute > 0; }

absl::Time RateLimiter::Now() const {
  return options_.clock != nullptr ? options_.clock->Now() : absl::Now();
}

void RateLimiter::Check(std::string client, std::string authorization, std::string route,
                        Done done) {
  if (!enabled()) return done(std::nullopt);
  const absl::Time now = Now();
  auto task = std::make_shared<std::function<void()>>(
      [this, now, client = std::move(client), authorization = std::move(authorization),
       route = std::move(route),
       done = std::move(done)] { done(Decide(now, client, authorization, route)); });
  // A full queue (or a stopping pool) waits on this thread instead: never uncounted.
  if (!pool_->TrySubmit([task] { (*task)(); })) (*task)();
}

std::optional<int> RateLimiter::CheckNow(const std::string& client,
                                         const std::string& authorization,
                                         const std::string& route) {
  if (!enabled()) return std::nullopt;
  return Decide(Now(), client, authorization, route);
}

std::string RateLimiter::VerifiedSubject(const std::string& authorization) const {
  if (!verifier_ || !absl::StartsWithIgnoreCase(authorization, "Bearer ")) return "";
  // Token lifetimes are checked against the real time, whatever clock the windows follow.
  absl::StatusOr<auth::Claims> claims = verifier_->Verify(
      std::string(absl::StripAsciiWhitespace(authorization.substr(7))), absl::Now());
  if (!claims.ok()) return "";
  return ShortSha256Hex(absl::StrCat(claims->tenant, "\n", claims->sub));
}

std::optional<int> RateLimiter::Decide(absl::Time at, const std::string& client,
                                       const std::string& authorization, const std::string& route) {
  const int64_t now = absl::ToUnixSeconds(at);
  const int64_t window = now / 60;
  auto over = [&](const std::string& who, int64_t limit) {
    std::optional<int64_t> n =
        redis_->Increment(absl::StrCat("rl:", window, ":", route, ":", who), absl::Seconds(61));
    return n.has_value() && *n > limit;  // Redis not reached: allowed (fail-open)
  };
  const int64_t limit = options_.per_minute;
  const std::string subject = VerifiedSubject(authorization);
  const char* by = "client";
  bool limited;
  if (subject.empty()) {
    limited = over(absl::StrCat("ip:", client), limit);
  } else {
    by = "subject";
    limited = over(absl::StrCat("sub:", subject), limit);
    if (over(absl::StrCat("ip:", client), limit * options_.ip_factor) && !limited) {
      limited = true;
      by = "client";
    }
  }
  if (!limited) return std::nullopt;
  limited_->Add({{"route", route}, {"by", by}}).Increment();
  return static_cast<int>(60 - now % 60);
}

}  // namespace stellenwerk::gateway
