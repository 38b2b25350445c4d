#pragma once
// Cache on Redis (hiredis 0.14, blocking API). Fail-open by design (PITFALLS.md "Redis"):
//  - a small pool of connections, because a hiredis context is not thread-safe; a context
//    that errored is freed and reconnected lazily by the next caller that takes its slot;
//  - connect and command timeouts, so a hung Redis costs a caller at most about
//    connect_timeout + command_timeout (plus up to command_timeout waiting for a free
//    connection when all are busy);
//  - a circuit breaker, so a dead Redis does not add its timeout to every call: after
//    `breaker_failures` consecutive transport failures every call is skipped (a miss or a
//    no-op) until `breaker_cooldown` passed, then exactly one call probes.
//
// Lost writes. An Invalidate or BumpGeneration that does not reach Redis (breaker open,
// timeout, reset) would leave the old value in a Redis that kept its data while unreachable,
// to be served until its TTL ran out. So this process remembers them (key and version; the
// family) and replays them before it sends anything else: while any are pending, every call
// is a miss or a no-op, and the first call once Redis answers (the breaker's probe) replays
// them, each tombstone with a fresh tombstone_ttl. Bound: after Redis is reachable again, no
// value written during the outage is served stale by this process at all, and by the other
// processes sharing the Redis for no longer than breaker_cooldown plus the time to this
// process's next cache call (it replays first). Past max_lost_writes distinct keys the list
// gives way to one flush of the prefix at recovery (values deleted, every generation bumped,
// tombstones kept). Should the process die before replaying, the value TTL is the bound.
//
// Authentication (docs/decisions/0053). Every new connection, to a Redis server or to a
// Sentinel, sends AUTH before any other command when a password is set. A refusal (wrong
// password, unknown user, or NOAUTH/NOPERM answers to commands) counts as a failure of that
// connection, so the breaker opens and the cache is bypassed as when Redis is down; it is
// logged at error level once per outage, naming the server and the user, never the password.
//
// Entries are "<version>|<kind>|<payload>": version is 20 decimal digits (the int64 with its
// sign bit flipped, so the digits order like the signed number), kind is 'v' (value) or 't'
// (tombstone), payload is opaque bytes (serialized protobuf). Put and Invalidate compare and
// write in one Lua script, so the version check and the write are atomic.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/cache/cache.h"

// hiredis stays out of this header: users of the cache need not see it.
struct redisContext;
struct redisReply;

namespace stellenwerk::cache {

struct RedisEndpoint {
  std::string host;
  int port = 0;
};

// "host:port[,host:port...]" (STELLENWERK_REDIS_SENTINELS); INVALID_ARGUMENT naming `setting`.
absl::StatusOr<std::vector<RedisEndpoint>> ParseRedisEndpoints(std::string_view list,
                                                               std::string_view setting);

// Redis AUTH. No password: no AUTH is sent. No username: `AUTH password` (the default user,
// requirepass); else `AUTH username password` (a Redis 6+ ACL user).
struct RedisCredentials {
  std::string username;
  std::string password;
};

struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  // Redis Sentinel (docs/decisions/0048): when set, host/port are ignored and every new
  // connection asks these Sentinels, in order, for the primary of `sentinel_master`, and
  // checks with ROLE that it is one. A READONLY answer (the primary we talk to was demoted by
  // a failover) drops every pooled connection, so the next call asks the Sentinels again.
  std::vector<RedisEndpoint> sentinels;
  std::string sentinel_master = "stellenwerk";
  // Sent on every new connection to the primary (host/port or the one a Sentinel names)...
  RedisCredentials auth;
  // ... and to each Sentinel (its own requirepass; Sentinels do not share the primary's).
  RedisCredentials sentinel_auth;
  absl::Duration connect_timeout = absl::Milliseconds(100);
  absl::Duration command_timeout = absl::Milliseconds(100);
  int pool_size = 8;
  int breaker_failures = 3;                            // consecutive failures that open it
  absl::Duration breaker_cooldown = absl::Seconds(2);  // open time before one probe is allowed
  // Must outlast the slowest reader between its database read and its Put; after that a
  // stale fill is possible again (bounded by the fill's TTL).
  absl::Duration tombstone_ttl = absl::Seconds(30);
  std::string key_prefix = "stw:";
  // Lost invalidations/bumps remembered one by one (see "Lost writes"); beyond this many
  // keys the prefix is flushed at recovery instead.
  size_t max_lost_writes = 10000;
  // Time source of the breaker. Empty: a monotonic clock (wall-clock jumps must not keep the
  // breaker open). Tests inject a fake to step through the cooldown without sleeping.
  std::function<absl::Time()> now;
};

class RedisCache final : public Cache {
 public:
  // Does not connect; the first call does (so a service starts even when Redis is down).
  explicit RedisCache(RedisOptions options);
  ~RedisCache() override;  // callers must have returned
  RedisCache(const RedisCache&) = delete;
  RedisCache& operator=(const RedisCache&) = delete;

  std::optional<std::string> Get(std::string_view key) override;
  void Put(std::string_view key, int64_t version, std::string_view value,
           absl::Duration ttl) override;
  void Invalidate(std::string_view key, int64_t version) override;
  std::optional<int64_t> Generation(std::string_view family) override;
  void BumpGeneration(std::string_view family) override;
  // One Lua script. It reads a key it derives (not declared in KEYS): fine on a single Redis,
  // not on Redis Cluster.
  GenerationalValue GetInGeneration(std::string_view family, std::string_view prefix,
                                    std::string_view suffix) override;

  // A counter for rate limiting (the gateway): INCR of `key`, which expires `ttl` after its
  // first increment. nullopt when Redis is not reached (callers fail open). Not part of the
  // cache interface: counters are not versioned values.
  std::optional<int64_t> Increment(std::string_view key, absl::Duration ttl);

  // Breaker closed (a probe in flight still counts as open).
  bool Healthy() const;

  // Opens one connection now (through the Sentinels when configured, with AUTH) and keeps it
  // in the pool; the error names what refused. For a startup log line: the cache works the
  // same without it (the first call connects), and it does not touch the breaker.
  absl::Status Check();

  struct Stats {
    uint64_t hits = 0;
    uint64_t misses = 0;         // Get returned nullopt, for whatever reason
    uint64_t errors = 0;         // calls that reached for Redis and failed (incl. error replies)
    uint64_t breaker_skips = 0;  // calls not sent: breaker open, or lost writes pending
    uint64_t replayed = 0;       // lost invalidations/bumps sent again after an outage
    uint64_t flushes = 0;        // prefix flushes after the lost-write list overflowed
    uint64_t auth_failures = 0;  // AUTH refused, or NOAUTH/NOPERM answered (also Sentinels)
  };
  Stats stats() const;

 private:
  struct ReplyDeleter {
    void operator()(redisReply* reply) const;
  };
  using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;
  enum class Admission { kAllow, kProbe, kSkip };

  enum class Replay { kDone, kBlocked, kBusy };

  // Replays the lost writes first (see "Lost writes"), then Send. `taken` (optional) says
  // whether Redis executed the command: true also when it refused it for good (WRONGTYPE),
  // false when it was skipped, failed in transit or refused for now (LOADING, READONLY, ...).
  ReplyPtr Execute(std::initializer_list<std::string_view> args, bool* taken = nullptr);
  // Sends one command (binary-safe arguments) through the breaker and the pool. nullptr when
  // skipped or failed, including error replies; stats and breaker are updated here.
  ReplyPtr Send(std::span<const std::string_view> args, bool* taken);
  // The payload of a value entry (hit); nullopt for anything else (miss). Counts either.
  std::optional<std::string> ValueOf(const redisReply* reply);

  redisContext* Connect(std::string* error);
  // Connects and authenticates with `credentials`; `sentinel` says which they are (for the
  // log line and its hint).
  redisContext* ConnectTo(const std::string& host, int port, const RedisCredentials& credentials,
                          bool sentinel, std::string* error);
  // Counts an authentication problem and logs it at error level, once until the next success.
  void OnAuthRefused(bool sentinel, const std::string& what);
  void OnAuthAccepted(bool sentinel, const std::string& where);
  // A NOPERM answer (an ACL user without a command or key): counted, logged once.
  void OnAclRefused(const std::string& what);
  // The primary the Sentinels name, checked with ROLE; nullptr (and `error`) if none.
  redisContext* ConnectViaSentinels(std::string* error);
  // Takes an idle slot (nullptr inside means "not connected"); false if none freed up in time.
  bool Acquire(redisContext** context);
  void Release(redisContext* context);
  // Once the breaker opens, the idle connections are most likely dead too (Redis restarted,
  // failed over); were they kept, each later probe could pick a stale one and fail although
  // Redis is back, holding the breaker open for another cooldown.
  void DropIdleConnections();

  // `full_key` is prefixed; kind 'i' an invalidation of `version`, 'g' a generation bump.
  void RememberLost(char kind, std::string full_key, int64_t version);
  // kDone: nothing (left) to replay; kBlocked: Redis did not take one (counted by Send);
  // kBusy: another caller is replaying.
  Replay ReplayLostWrites();
  // After an overflow: deletes every value under the prefix and bumps every generation.
  bool FlushPrefix();

  Admission Admit();
  void OnSuccess();
  // True when this failure opened the breaker.
  bool OnFailure(bool probe, std::string_view reason);
  void OnAbandon(bool probe);
  absl::Time Now() const;

  std::string Key(std::string_view key) const;  // prefix + key
  std::string Key(std::string_view infix, std::string_view key) const;

  const RedisOptions options_;

  // std::mutex rather than absl::Mutex: Debian's Abseil is not built with ThreadSanitizer,
  // so absl::Mutex hides real races behind false reports in TSan builds.
  std::mutex pool_mu_;
  std::condition_variable pool_cv_;  // an idle slot was returned
  std::vector<redisContext*> idle_ ABSL_GUARDED_BY(pool_mu_);

  mutable std::mutex breaker_mu_;
  int consecutive_failures_ ABSL_GUARDED_BY(breaker_mu_) = 0;
  bool open_ ABSL_GUARDED_BY(breaker_mu_) = false;
  bool probing_ ABSL_GUARDED_BY(breaker_mu_) = false;
  absl::Time retry_at_ ABSL_GUARDED_BY(breaker_mu_);

  struct LostWrite {
    char kind;        // 'i' or 'g'
    int64_t version;  // of an invalidation: the highest lost one
    uint64_t seq;     // changes whenever the entry is lost again
  };
  std::mutex lost_mu_;
  std::map<std::string, LostWrite> lost_ ABSL_GUARDED_BY(lost_mu_);  // by full key
  bool lost_overflow_ ABSL_GUARDED_BY(lost_mu_) = false;
  bool replaying_ ABSL_GUARDED_BY(lost_mu_) = false;
  uint64_t lost_seq_ ABSL_GUARDED_BY(lost_mu_) = 0;
  std::atomic<bool> has_lost_{false};  // lost_ non-empty or lost_overflow_ (fast path)

  std::mutex primary_mu_;
  std::string primary_ ABSL_GUARDED_BY(primary_mu_);  // "host:port" last found via Sentinel

  std::atomic<uint64_t> hits_{0};
  std::atomic<uint64_t> misses_{0};
  std::atomic<uint64_t> errors_{0};
  std::atomic<uint64_t> breaker_skips_{0};
  std::atomic<uint64_t> replayed_{0};
  std::atomic<uint64_t> flushes_{0};
  std::atomic<uint64_t> auth_failures_{0};
  // An authentication problem was logged and no AUTH has succeeded since (primary, Sentinel).
  std::atomic<bool> auth_refused_{false};
  std::atomic<bool> sentinel_auth_refused_{false};
  std::atomic<bool> acl_refused_{false};
  std::atomic<bool> warned_needless_auth_{false};
};

}  // namespace stellenwerk::cache
