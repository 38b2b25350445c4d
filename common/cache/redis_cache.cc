#include "common/cache/redis_cache.h"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "spdlog/spdlog.h"

namespace stellenwerk::cache {
namespace {

// "<20 digits>|<kind>|" in front of every payload.
constexpr size_t kHeaderSize = 23;
constexpr char kValue = 'v';
constexpr char kTombstone = 't';

// Redis refuses expiries that overflow; nobody caches for longer than this anyway.
constexpr int64_t kMaxTtlMillis = int64_t{365} * 24 * 3600 * 1000;

// The two scripts share this prelude. Lua numbers are doubles (exact only to 2^53), so the
// 20-digit versions are compared as two 10-digit halves, each exact. An entry that does not
// look like ours is treated as absent and overwritten.
constexpr char kLuaPrelude[] = R"lua(
local function cmp(a, b)
  local ah, bh = tonumber(string.sub(a, 1, 10)), tonumber(string.sub(b, 1, 10))
  if ah ~= bh then return ah < bh and -1 or 1 end
  local al, bl = tonumber(string.sub(a, 11, 20)), tonumber(string.sub(b, 11, 20))
  if al ~= bl then return al < bl and -1 or 1 end
  return 0
end
local function ours(e)
  return #e >= 23 and string.find(string.sub(e, 1, 20), '^%d+$') ~= nil
     and string.sub(e, 21, 21) == '|' and string.sub(e, 23, 23) == '|'
end
local new = ARGV[1]
local cur = redis.call('GET', KEYS[1])
)lua";

// KEYS[1] key, ARGV[1] the encoded value, ARGV[2] TTL in ms. A fill may replace an older
// value, or a tombstone of the same or an older version: the tombstone carries the committed
// version, and a reader that loaded that very commit holds current data.
constexpr char kPutBody[] = R"lua(
if cur and ours(cur) then
  local c = cmp(new, cur)
  if c < 0 or (c == 0 and string.sub(cur, 22, 22) ~= 't') then return 0 end
end
redis.call('SET', KEYS[1], new, 'PX', ARGV[2])
return 1
)lua";

// KEYS[1] key, ARGV[1] the encoded tombstone, ARGV[2] its TTL in ms. Anything newer than the
// invalidated commit already reflects a later write and stays.
constexpr char kInvalidateBody[] = R"lua(
if cur and ours(cur) and cmp(new, cur) < 0 then return 0 end
redis.call('SET', KEYS[1], new, 'PX', ARGV[2])
return 1
)lua";

const std::string& PutScript() {
  static const std::string* script = new std::string(absl::StrCat(kLuaPrelude, kPutBody));
  return *script;
}

const std::string& InvalidateScript() {
  static const std::string* script = new std::string(absl::StrCat(kLuaPrelude, kInvalidateBody));
  return *script;
}

std::string Header(int64_t version, char kind) {
  // Flipping the sign bit maps int64 order onto uint64 order; fixed width makes the digit
  // strings compare like the numbers.
  const uint64_t biased = static_cast<uint64_t>(version) ^ (uint64_t{1} << 63);
  return absl::StrFormat("%020u|%c|", biased, kind);
}

std::string TtlMillis(absl::Duration ttl) {
  const int64_t ms = absl::ToInt64Milliseconds(ttl);
  return absl::StrCat(std::clamp<int64_t>(ms, 1, kMaxTtlMillis));
}

// Refusals that say "not now" rather than "never" (a restarted Redis loading its data, a
// replica during a failover, a busy script): a write refused so is lost and must be replayed.
bool IsTransientError(const redisReply* reply) {
  if (reply->type != REDIS_REPLY_ERROR) return false;
  const std::string_view error(reply->str, reply->len);
  for (std::string_view code : {"LOADING", "READONLY", "BUSY", "MASTERDOWN", "TRYAGAIN"}) {
    if (error.substr(0, code.size()) == code) return true;
  }
  return false;
}

// Answers that say "this connection may not do that" rather than anything about Redis:
// NOAUTH (no or a lost AUTH), NOPERM (an ACL user without the command or key; inside a script
// Redis 7.0 words it as below). The cache is misconfigured, not Redis down: bypass it and say
// so loudly, and count a write refused so as lost (it is replayed once the ACL allows it).
bool IsAuthError(const redisReply* reply) {
  if (reply->type != REDIS_REPLY_ERROR) return false;
  const std::string_view error(reply->str, reply->len);
  return error.substr(0, 6) == "NOAUTH" || error.substr(0, 6) == "NOPERM" ||
         error.find("The user executing the script can't run") != std::string_view::npos;
}

// Redis >= 6 answers AUTH with a password to a server that has none with this error. Not a
// refusal: a client rolled out with the password before the server's requirepass works on.
bool IsNeedlessAuth(std::string_view error) {
  return error.find("called without any password configured") != std::string_view::npos;
}

absl::Time MonotonicNow() {
  return absl::UnixEpoch() + absl::FromChrono(std::chrono::steady_clock::now().time_since_epoch());
}

// hiredis 0.14 writes with write(2), not send(MSG_NOSIGNAL): writing to a connection the
// server has already reset raises SIGPIPE, whose default action kills the whole service.
// Rather than changing the process-wide disposition behind the owner's back, block SIGPIPE on
// this thread for the duration of a command and swallow one we caused (SIGPIPE from a write
// is directed at the writing thread). If one is already pending, it is someone else's and
// blocked already; leave everything as it is.
class ScopedSigpipeBlock {
 public:
  ScopedSigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) return;
    active_ = pthread_sigmask(SIG_BLOCK, &pipe_, &old_) == 0;
  }
  ~ScopedSigpipeBlock() {
    if (!active_) return;
    sigset_t pending;
    sigemptyset(&pending);
    if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
      const timespec zero{0, 0};
      while (sigtimedwait(&pipe_, nullptr, &zero) == -1 && errno == EINTR) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  ScopedSigpipeBlock(const ScopedSigpipeBlock&) = delete;
  ScopedSigpipeBlock& operator=(const ScopedSigpipeBlock&) = delete;

 private:
  sigset_t pipe_;
  sigset_t old_;
  bool active_ = false;
};

}  // namespace

void RedisCache::ReplyDeleter::operator()(redisReply* reply) const { freeReplyObject(reply); }

RedisCache::RedisCache(RedisOptions options) : options_(std::move(options)) {
  std::lock_guard lock(pool_mu_);
  idle_.assign(static_cast<size_t>(std::max(1, options_.pool_size)), nullptr);
}

RedisCache::~RedisCache() {
  std::lock_guard lock(pool_mu_);
  for (redisContext* c : idle_) {
    if (c != nullptr) redisFree(c);
  }
}

// Debian's Abseil does not alias absl::string_view to std::string_view, so absl::StrCat
// does not take the std::string_view keys; concatenate by hand.
std::string RedisCache::Key(std::string_view key) const { return Key("", key); }

std::string RedisCache::Key(std::string_view infix, std::string_view key) const {
  std::string full;
  full.reserve(options_.key_prefix.size() + infix.size() + key.size());
  full.append(options_.key_prefix).append(infix).append(key);
  return full;
}

std::optional<std::string> RedisCache::Get(std::string_view key) {
  ReplyPtr reply = Execute({"GET", Key(key)});
  return ValueOf(reply.get());
}

std::optional<std::string> RedisCache::ValueOf(const redisReply* reply) {
  if (reply != nullptr && reply->type == REDIS_REPLY_STRING) {
    std::string_view entry(reply->str, reply->len);
    if (entry.size() >= kHeaderSize && entry[20] == '|' && entry[22] == '|' &&
        entry[21] == kValue) {
      hits_.fetch_add(1, std::memory_order_relaxed);
      return std::string(entry.substr(kHeaderSize));
    }
  }
  // Nil, tombstone, foreign data, or Redis trouble: all the same to the caller.
  misses_.fetch_add(1, std::memory_order_relaxed);
  return std::nullopt;
}

void RedisCache::Put(std::string_view key, int64_t version, std::string_view value,
                     absl::Duration ttl) {
  if (ttl <= absl::ZeroDuration()) return;
  std::string entry = Header(version, kValue);
  entry.append(value);
  Execute({"EVAL", PutScript(), "1", Key(key), entry, TtlMillis(ttl)});
}

void RedisCache::Invalidate(std::string_view key, int64_t version) {
  std::string full_key = Key(key);
  bool taken = false;
  Execute({"EVAL", InvalidateScript(), "1", full_key, Header(version, kTombstone),
           TtlMillis(options_.tombstone_ttl)},
          &taken);
  if (!taken) RememberLost('i', std::move(full_key), version);
}

std::optional<int64_t> RedisCache::Generation(std::string_view family) {
  // No TTL on generation keys: if one expired, the counter would restart at 0 and pages
  // cached under an old generation could come back.
  ReplyPtr reply = Execute({"GET", Key("gen:", family)});
  if (reply == nullptr) return std::nullopt;
  if (reply->type == REDIS_REPLY_NIL) return 0;
  int64_t generation = 0;
  if (reply->type == REDIS_REPLY_STRING &&
      absl::SimpleAtoi(absl::string_view(reply->str, reply->len), &generation)) {
    return generation;
  }
  errors_.fetch_add(1, std::memory_order_relaxed);
  return std::nullopt;
}

void RedisCache::BumpGeneration(std::string_view family) {
  std::string full_key = Key("gen:", family);
  bool taken = false;
  Execute({"INCR", full_key}, &taken);
  if (!taken) RememberLost('g', std::move(full_key), 0);
}

std::optional<int64_t> RedisCache::Increment(std::string_view key, absl::Duration ttl) {
  static constexpr char kScript[] =
      "local n = redis.call('INCR', KEYS[1]) "
      "if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end "
      "return n";
  std::string millis = TtlMillis(ttl);
  ReplyPtr reply = Execute({"EVAL", kScript, "1", Key(key), millis});
  if (reply == nullptr || reply->type != REDIS_REPLY_INTEGER) return std::nullopt;
  return reply->integer;
}

Cache::GenerationalValue RedisCache::GetInGeneration(std::string_view family,
                                                     std::string_view prefix,
                                                     std::string_view suffix) {
  // KEYS[1] the generation key; ARGV[1], ARGV[2] the value key around the generation.
  static constexpr char kScript[] = R"lua(
local g = redis.call('GET', KEYS[1]) or '0'
return {g, redis.call('GET', ARGV[1] .. g .. ARGV[2])}
)lua";
  GenerationalValue result;
  ReplyPtr reply = Execute({"EVAL", kScript, "1", Key("gen:", family), Key(prefix), suffix});
  if (reply == nullptr) return result;
  int64_t generation = 0;
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
      reply->element[0]->type != REDIS_REPLY_STRING ||
      !absl::SimpleAtoi(absl::string_view(reply->element[0]->str, reply->element[0]->len),
                        &generation)) {
    errors_.fetch_add(1, std::memory_order_relaxed);
    return result;
  }
  result.generation = generation;
  result.value = ValueOf(reply->element[1]);
  return result;
}

bool RedisCache::Healthy() const {
  std::lock_guard lock(breaker_mu_);
  return !open_;
}

RedisCache::Stats RedisCache::stats() const {
  return Stats{
      .hits = hits_.load(std::memory_order_relaxed),
      .misses = misses_.load(std::memory_order_relaxed),
      .errors = errors_.load(std::memory_order_relaxed),
      .breaker_skips = breaker_skips_.load(std::memory_order_relaxed),
      .replayed = replayed_.load(std::memory_order_relaxed),
      .flushes = flushes_.load(std::memory_order_relaxed),
      .auth_failures = auth_failures_.load(std::memory_order_relaxed),
  };
}

RedisCache::ReplyPtr RedisCache::Execute(std::initializer_list<std::string_view> args,
                                         bool* taken) {
  if (taken != nullptr) *taken = false;
  // While lost writes are pending, Redis may still hold what they were to remove: nothing is
  // read (or written) until they are through.
  if (has_lost_.load(std::memory_order_acquire)) {
    const Replay replay = ReplayLostWrites();
    if (replay == Replay::kBusy) breaker_skips_.fetch_add(1, std::memory_order_relaxed);
    if (replay != Replay::kDone) return nullptr;
  }
  return Send(std::span<const std::string_view>(args.begin(), args.size()), taken);
}

void RedisCache::RememberLost(char kind, std::string full_key, int64_t version) {
  std::lock_guard lock(lost_mu_);
  has_lost_.store(true, std::memory_order_release);
  if (lost_overflow_) return;  // the flush at recovery covers it
  auto it = lost_.find(full_key);
  if (it == lost_.end()) {
    if (lost_.size() >= options_.max_lost_writes) {
      lost_.clear();
      lost_overflow_ = true;
      spdlog::warn("redis cache {}:{}: more than {} lost invalidations; will flush {}* instead",
                   options_.host, options_.port, options_.max_lost_writes, options_.key_prefix);
      return;
    }
    lost_.emplace(std::move(full_key), LostWrite{kind, version, ++lost_seq_});
    return;
  }
  it->second.version = std::max(it->second.version, version);
  it->second.seq = ++lost_seq_;
}

RedisCache::Replay RedisCache::ReplayLostWrites() {
  {
    std::lock_guard lock(lost_mu_);
    if (replaying_) return Replay::kBusy;
    replaying_ = true;
  }
  // One write at a time, dropped from the list only once Redis took it, so a failure leaves
  // it for the next attempt. Callers meanwhile skip (kBusy), and what they lose is appended.
  for (;;) {
    bool flush = false;
    std::string key;
    LostWrite write{};
    {
      std::lock_guard lock(lost_mu_);
      if (lost_overflow_) {
        // The flush covers everything lost so far; what is lost during it is kept.
        flush = true;
        lost_overflow_ = false;
      } else if (!lost_.empty()) {
        key = lost_.begin()->first;
        write = lost_.begin()->second;
      } else {
        has_lost_.store(false, std::memory_order_release);
        replaying_ = false;
        return Replay::kDone;
      }
    }
    bool taken = false;
    if (flush) {
      taken = FlushPrefix();
    } else if (write.kind == 'i') {
      const std::string tombstone = Header(write.version, kTombstone);
      const std::string ttl = TtlMillis(options_.tombstone_ttl);
      const std::string_view args[] = {"EVAL", InvalidateScript(), "1", key, tombstone, ttl};
      Send(args, &taken);
    } else {
      const std::string_view args[] = {"INCR", key};
      Send(args, &taken);
    }
    std::lock_guard lock(lost_mu_);
    if (!taken) {
      if (flush) lost_overflow_ = true;
      replaying_ = false;
      return Replay::kBlocked;
    }
    if (flush) {
      flushes_.fetch_add(1, std::memory_order_relaxed);
      spdlog::info("redis cache {}:{}: flushed {}* after lost writes", options_.host, options_.port,
                   options_.key_prefix);
      continue;
    }
    replayed_.fetch_add(1, std::memory_order_relaxed);
    auto it = lost_.find(key);
    if (it != lost_.end() && it->second.seq == write.seq) lost_.erase(it);
  }
}

bool RedisCache::FlushPrefix() {
  // Values go (any of them may be stale), tombstones stay (they still refuse slow readers),
  // generations are bumped rather than deleted (a counter restarting at 0 would revive pages
  // cached under its old numbers).
  static constexpr char kScript[] = R"lua(
for _, k in ipairs(KEYS) do
  if string.sub(k, 1, #ARGV[1]) == ARGV[1] then
    redis.pcall('INCR', k)
  else
    local v = redis.pcall('GET', k)
    if type(v) ~= 'string' or string.sub(v, 22, 22) ~= 't' then redis.call('DEL', k) end
  end
end
return #KEYS
)lua";
  std::string pattern;  // the prefix as a glob, then "*"
  for (const char c : options_.key_prefix) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') pattern += '\\';
    pattern += c;
  }
  pattern += '*';
  const std::string gen_prefix = Key("gen:", "");
  std::string cursor = "0";
  do {
    bool taken = false;
    const std::string_view scan[] = {"SCAN", cursor, "MATCH", pattern, "COUNT", "500"};
    ReplyPtr page = Send(scan, &taken);
    if (page == nullptr || page->type != REDIS_REPLY_ARRAY || page->elements != 2 ||
        page->element[0]->type != REDIS_REPLY_STRING ||
        page->element[1]->type != REDIS_REPLY_ARRAY) {
      return false;
    }
    cursor.assign(page->element[0]->str, page->element[0]->len);
    const redisReply* keys = page->element[1];
    if (keys->elements == 0) continue;
    const std::string count = absl::StrCat(keys->elements);
    std::vector<std::string_view> args = {"EVAL", kScript, count};
    for (size_t i = 0; i < keys->elements; ++i) {
      args.emplace_back(keys->element[i]->str, keys->element[i]->len);
    }
    args.emplace_back(gen_prefix);
    if (Send(args, &taken) == nullptr) return false;
  } while (cursor != "0");
  return true;
}

RedisCache::ReplyPtr RedisCache::Send(std::span<const std::string_view> args, bool* taken) {
  if (taken != nullptr) *taken = false;
  const Admission admission = Admit();
  if (admission == Admission::kSkip) {
    breaker_skips_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  const bool probe = admission == Admission::kProbe;

  redisContext* context = nullptr;
  if (!Acquire(&context)) {
    // Every connection busy for a whole command timeout: Redis is slow or we are overloaded.
    // Skip this call; the callers holding the connections will tell the breaker about Redis.
    errors_.fetch_add(1, std::memory_order_relaxed);
    OnAbandon(probe);
    return nullptr;
  }

  if (context == nullptr) {
    std::string error;
    context = Connect(&error);
    if (context == nullptr) {
      Release(nullptr);
      errors_.fetch_add(1, std::memory_order_relaxed);
      if (OnFailure(probe, error)) DropIdleConnections();
      return nullptr;
    }
  }

  std::vector<const char*> argv;
  std::vector<size_t> argvlen;
  argv.reserve(args.size());
  argvlen.reserve(args.size());
  for (std::string_view a : args) {
    argv.push_back(a.data());
    argvlen.push_back(a.size());
  }
  ReplyPtr reply;
  {
    ScopedSigpipeBlock no_sigpipe;
    reply.reset(static_cast<redisReply*>(
        redisCommandArgv(context, static_cast<int>(argv.size()), argv.data(), argvlen.data())));
  }
  if (reply == nullptr) {
    // Timeout, reset or protocol error: hiredis leaves the context unusable.
    std::string error = context->errstr;
    redisFree(context);
    Release(nullptr);
    errors_.fetch_add(1, std::memory_order_relaxed);
    if (OnFailure(probe, error)) DropIdleConnections();
    return nullptr;
  }
  if (!options_.sentinels.empty() && reply->type == REDIS_REPLY_ERROR &&
      std::string_view(reply->str, reply->len).substr(0, 8) == "READONLY") {
    // A failover demoted the server this pool talks to; its other connections point there
    // too. Drop them all: the next caller asks the Sentinels for the new primary.
    redisFree(context);
    Release(nullptr);
    DropIdleConnections();
    errors_.fetch_add(1, std::memory_order_relaxed);
    OnSuccess();  // Redis answered; no reason to open the breaker
    return nullptr;
  }
  if (IsAuthError(reply.get())) {
    const std::string_view text(reply->str, reply->len);
    const std::string where = absl::StrCat(context->tcp.host, ":", context->tcp.port);
    // Without AUTH the connection is of no use; an ACL refusal leaves it as good as it was.
    const bool noauth = text.substr(0, 6) == "NOAUTH";
    if (noauth) redisFree(context);
    Release(noauth ? nullptr : context);
    errors_.fetch_add(1, std::memory_order_relaxed);
    const std::string what = absl::StrCat(
        where, " answered ", absl::string_view(args.front().data(), args.front().size()), " with ",
        absl::string_view(text.data(), text.size()));
    if (noauth) {
      OnAuthRefused(false, what);
    } else {
      OnAclRefused(what);
    }
    if (OnFailure(probe, text)) DropIdleConnections();
    return nullptr;
  }
  Release(context);
  if (taken != nullptr) *taken = !IsTransientError(reply.get());
  // Redis answered, so it is reachable even if it refused this command (WRONGTYPE, OOM,
  // LOADING ...): those answers are fast and must not open the breaker.
  OnSuccess();
  if (reply->type == REDIS_REPLY_ERROR) {
    errors_.fetch_add(1, std::memory_order_relaxed);
    SPDLOG_DEBUG("redis cache: {} answered {}", args.front(),
                 std::string_view(reply->str, reply->len));
    return nullptr;
  }
  return reply;
}

redisContext* RedisCache::Connect(std::string* error) {
  if (!options_.sentinels.empty()) return ConnectViaSentinels(error);
  return ConnectTo(options_.host, options_.port, options_.auth, false, error);
}

redisContext* RedisCache::ConnectTo(const std::string& host, int port,
                                    const RedisCredentials& credentials, bool sentinel,
                                    std::string* error) {
  redisContext* c =
      redisConnectWithTimeout(host.c_str(), port, absl::ToTimeval(options_.connect_timeout));
  if (c == nullptr) {
    *error = "cannot allocate redis context";
    return nullptr;
  }
  if (c->err == 0) redisSetTimeout(c, absl::ToTimeval(options_.command_timeout));
  // Keepalive finds half-dead connections (e.g. after a failover) while they sit idle.
  if (c->err == 0) redisEnableKeepAlive(c);
  if (c->err != 0) {
    *error = c->errstr;
    redisFree(c);
    return nullptr;
  }
  if (credentials.password.empty()) return c;

  // AUTH before anything else. The password is an argument only: never formatted into text.
  std::vector<const char*> argv = {"AUTH"};
  std::vector<size_t> argvlen = {4};
  if (!credentials.username.empty()) {
    argv.push_back(credentials.username.data());
    argvlen.push_back(credentials.username.size());
  }
  argv.push_back(credentials.password.data());
  argvlen.push_back(credentials.password.size());
  ReplyPtr reply;
  {
    ScopedSigpipeBlock no_sigpipe;
    reply.reset(static_cast<redisReply*>(
        redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), argvlen.data())));
  }
  const std::string where = absl::StrCat(sentinel ? "sentinel " : "", host, ":", port);
  if (reply == nullptr) {
    *error = absl::StrCat("AUTH: ", c->errstr);
    redisFree(c);
    return nullptr;
  }
  if (reply->type == REDIS_REPLY_ERROR) {
    const std::string_view text(reply->str, reply->len);
    if (IsNeedlessAuth(text)) {
      if (!warned_needless_auth_.exchange(true)) {
        spdlog::warn(
            "redis cache: {} has no password set but this process has one; using it "
            "without AUTH (set requirepass there)",
            where);
      }
      return c;
    }
    *error = absl::StrCat("refused AUTH", credentials.username.empty() ? "" : " as user ",
                          credentials.username, ": ", absl::string_view(text.data(), text.size()));
    redisFree(c);
    OnAuthRefused(sentinel, absl::StrCat(where, " ", *error));
    return nullptr;
  }
  OnAuthAccepted(sentinel, where);
  return c;
}

void RedisCache::OnAuthRefused(bool sentinel, const std::string& what) {
  auth_failures_.fetch_add(1, std::memory_order_relaxed);
  std::atomic<bool>& refused = sentinel ? sentinel_auth_refused_ : auth_refused_;
  if (refused.exchange(true)) return;  // said already; a wrong password must not flood the log
  spdlog::error("redis cache: {} (check {}); bypassing the cache until it accepts", what,
                sentinel ? "STELLENWERK_REDIS_SENTINEL_USERNAME/_PASSWORD"
                         : "STELLENWERK_REDIS_USERNAME/_PASSWORD and the user's ACL");
}

void RedisCache::OnAclRefused(const std::string& what) {
  auth_failures_.fetch_add(1, std::memory_order_relaxed);
  // Once per process: AUTH succeeds on every reconnect, so "accepted again" says nothing here.
  if (acl_refused_.exchange(true)) return;
  spdlog::error(
      "redis cache: {} (the ACL of STELLENWERK_REDIS_USERNAME lacks a command or key the cache "
      "uses, docs/operations.md); bypassing the cache",
      what);
}

void RedisCache::OnAuthAccepted(bool sentinel, const std::string& where) {
  std::atomic<bool>& refused = sentinel ? sentinel_auth_refused_ : auth_refused_;
  if (refused.exchange(false)) spdlog::info("redis cache: {} accepts AUTH again", where);
}

absl::Status RedisCache::Check() {
  redisContext* context = nullptr;
  if (!Acquire(&context)) return absl::UnavailableError("redis cache: every connection is busy");
  std::string error;
  if (context == nullptr) context = Connect(&error);
  if (context == nullptr) {
    Release(nullptr);
    return absl::UnavailableError(
        options_.sentinels.empty()
            ? absl::StrCat("redis cache ", options_.host, ":", options_.port, ": ", error)
            : absl::StrCat("redis cache (primary of ", options_.sentinel_master,
                           " via Sentinel): ", error));
  }
  // A server that wants a password we do not have says so only to a command.
  ReplyPtr pong;
  {
    ScopedSigpipeBlock no_sigpipe;
    pong.reset(static_cast<redisReply*>(redisCommand(context, "PING")));
  }
  if (pong == nullptr || pong->type == REDIS_REPLY_ERROR) {
    error = pong == nullptr ? std::string(context->errstr) : std::string(pong->str, pong->len);
    error = absl::StrCat(context->tcp.host, ":", context->tcp.port, " answered PING with ", error);
    if (pong != nullptr && IsAuthError(pong.get())) OnAuthRefused(false, error);
    redisFree(context);
    Release(nullptr);
    return absl::UnavailableError(absl::StrCat("redis cache: ", error));
  }
  Release(context);
  return absl::OkStatus();
}

redisContext* RedisCache::ConnectViaSentinels(std::string* error) {
  std::string errors;
  for (const RedisEndpoint& sentinel : options_.sentinels) {
    const std::string where = absl::StrCat(sentinel.host, ":", sentinel.port);
    std::string e;
    redisContext* s = ConnectTo(sentinel.host, sentinel.port, options_.sentinel_auth, true, &e);
    if (s == nullptr) {
      absl::StrAppend(&errors, errors.empty() ? "" : "; ", "sentinel ", where, ": ", e);
      continue;
    }
    ReplyPtr addr;
    {
      ScopedSigpipeBlock no_sigpipe;
      addr.reset(static_cast<redisReply*>(redisCommand(s, "SENTINEL get-master-addr-by-name %s",
                                                       options_.sentinel_master.c_str())));
    }
    redisFree(s);
    if (addr != nullptr && IsAuthError(addr.get())) {
      absl::StrAppend(&errors, errors.empty() ? "" : "; ", "sentinel ", where, " answered ",
                      absl::string_view(addr->str, addr->len));
      OnAuthRefused(true, absl::StrCat("sentinel ", where, " answered ",
                                       absl::string_view(addr->str, addr->len)));
      continue;
    }
    if (addr == nullptr || addr->type != REDIS_REPLY_ARRAY || addr->elements != 2 ||
        addr->element[0]->type != REDIS_REPLY_STRING ||
        addr->element[1]->type != REDIS_REPLY_STRING) {
      absl::StrAppend(&errors, errors.empty() ? "" : "; ", "sentinel ", where,
                      " knows no primary of ", options_.sentinel_master);
      continue;
    }
    const std::string host(addr->element[0]->str, addr->element[0]->len);
    int port = 0;
    if (!absl::SimpleAtoi(absl::string_view(addr->element[1]->str, addr->element[1]->len), &port)) {
      continue;
    }
    redisContext* c = ConnectTo(host, port, options_.auth, false, &e);
    if (c == nullptr) {
      absl::StrAppend(&errors, errors.empty() ? "" : "; ", "primary ", host, ":", port, ": ", e);
      continue;
    }
    // A Sentinel that has not yet seen a failover names the old primary: ask the server itself.
    ReplyPtr role;
    {
      ScopedSigpipeBlock no_sigpipe;
      role.reset(static_cast<redisReply*>(redisCommand(c, "ROLE")));
    }
    if (role != nullptr && IsAuthError(role.get())) {
      const std::string what = absl::StrCat(host, ":", port, " answered ROLE with ",
                                            absl::string_view(role->str, role->len));
      redisFree(c);
      absl::StrAppend(&errors, errors.empty() ? "" : "; ", what);
      OnAuthRefused(false, what);
      continue;
    }
    if (role == nullptr || role->type != REDIS_REPLY_ARRAY || role->elements == 0 ||
        role->element[0]->type != REDIS_REPLY_STRING ||
        std::string_view(role->element[0]->str, role->element[0]->len) != "master") {
      redisFree(c);
      absl::StrAppend(&errors, errors.empty() ? "" : "; ", host, ":", port,
                      " is not a primary (yet)");
      continue;
    }
    const std::string primary = absl::StrCat(host, ":", port);
    {
      std::lock_guard lock(primary_mu_);
      if (primary_ != primary) {
        spdlog::info("redis cache: primary of {} is {} (from sentinel {})",
                     options_.sentinel_master, primary, where);
        primary_ = primary;
      }
    }
    return c;
  }
  *error = errors.empty() ? "no sentinel configured" : errors;
  return nullptr;
}

absl::StatusOr<std::vector<RedisEndpoint>> ParseRedisEndpoints(std::string_view list,
                                                               std::string_view setting) {
  const absl::string_view text(list.data(), list.size());  // Debian's Abseil: not std's
  std::vector<RedisEndpoint> out;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    item = absl::StripAsciiWhitespace(item);
    const size_t colon = item.rfind(':');
    int port = 0;
    if (colon == absl::string_view::npos || colon == 0 ||
        !absl::SimpleAtoi(item.substr(colon + 1), &port) || port <= 0 || port > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat(absl::string_view(setting.data(), setting.size()), "=\"", text, "\": \"",
                       item, "\" is not host:port"));
    }
    out.push_back({std::string(item.substr(0, colon)), port});
  }
  return out;
}

bool RedisCache::Acquire(redisContext** context) {
  std::unique_lock lock(pool_mu_);
  if (!pool_cv_.wait_for(lock, absl::ToChronoNanoseconds(options_.command_timeout),
                         [this] { return !idle_.empty(); })) {
    return false;
  }
  *context = idle_.back();
  idle_.pop_back();
  return true;
}

void RedisCache::Release(redisContext* context) {
  {
    std::lock_guard lock(pool_mu_);
    // Connected contexts go to the back, where Acquire takes from: reuse beats reconnecting.
    if (context == nullptr) {
      idle_.insert(idle_.begin(), nullptr);
    } else {
      idle_.push_back(context);
    }
  }
  pool_cv_.notify_one();
}

void RedisCache::DropIdleConnections() {
  std::vector<redisContext*> dropped;
  {
    std::lock_guard lock(pool_mu_);
    for (redisContext*& c : idle_) {
      if (c != nullptr) dropped.push_back(std::exchange(c, nullptr));
    }
  }
  for (redisContext* c : dropped) redisFree(c);
}

absl::Time RedisCache::Now() const { return options_.now ? options_.now() : MonotonicNow(); }

RedisCache::Admission RedisCache::Admit() {
  std::lock_guard lock(breaker_mu_);
  if (!open_) return Admission::kAllow;
  if (probing_ || Now() < retry_at_) return Admission::kSkip;
  probing_ = true;  // exactly one caller tries; the rest keep skipping until it reports
  return Admission::kProbe;
}

void RedisCache::OnSuccess() {
  std::lock_guard lock(breaker_mu_);
  consecutive_failures_ = 0;
  probing_ = false;
  if (open_) {
    open_ = false;
    spdlog::info("redis cache {}:{} reachable again, using it", options_.host, options_.port);
  }
}

bool RedisCache::OnFailure(bool probe, std::string_view reason) {
  std::lock_guard lock(breaker_mu_);
  if (probe) probing_ = false;
  ++consecutive_failures_;
  if (open_) {
    if (probe) retry_at_ = Now() + options_.breaker_cooldown;
    return false;
  }
  if (consecutive_failures_ >= options_.breaker_failures) {
    open_ = true;
    retry_at_ = Now() + options_.breaker_cooldown;
    // Logged on the transition only: a dead Redis must not flood the log.
    spdlog::warn("redis cache {}:{} failing ({}), bypassing it; retry in {}", options_.host,
                 options_.port, reason, absl::FormatDuration(options_.breaker_cooldown));
    return true;
  }
  return false;
}

void RedisCache::OnAbandon(bool probe) {
  if (!probe) return;
  std::lock_guard lock(breaker_mu_);
  probing_ = false;  // no verdict; the next caller after retry_at_ probes instead
}

}  // namespace stellenwerk::cache
