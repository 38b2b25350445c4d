#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/cache/redis_cache.h"
#include "common/testing/process.h"
#include "common/testing/test_env.h"
#include "gtest/gtest.h"

namespace stellenwerk::cache {
namespace {

using namespace std::string_literals;  // "a\0b"s keeps the NUL

struct Address {
  std::string host;
  int port = 0;
};

// The test stack's Redis ("host:port" in STELLENWERK_TEST_REDIS_ADDR), if any.
std::optional<Address> TestRedis() {
  const char* env = std::getenv("STELLENWERK_TEST_REDIS_ADDR");
  if (env == nullptr || *env == '\0') return std::nullopt;
  std::string addr(env);
  const size_t colon = addr.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  return Address{addr.substr(0, colon), std::atoi(addr.c_str() + colon + 1)};
}

// Keys of one test, so parallel test processes on the same Redis never meet.
std::string UniquePrefix() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  return "stw-test:" + std::to_string(getpid()) + "-" + std::to_string(counter++) + "-" +
         std::to_string(rd() % 1000000) + ":";
}

// A plain hiredis connection to look behind the cache's back (PTTL, foreign data, cleanup).
class RawRedis {
 public:
  explicit RawRedis(const Address& a) : c_(redisConnect(a.host.c_str(), a.port)) {}
  ~RawRedis() {
    if (c_ != nullptr) redisFree(c_);
  }
  bool ok() const { return c_ != nullptr && c_->err == 0; }

  // Integer reply of a command, or nullopt.
  std::optional<long long> Integer(const std::vector<std::string>& args) {
    redisReply* r = Run(args);
    std::optional<long long> out;
    if (r != nullptr && r->type == REDIS_REPLY_INTEGER) out = r->integer;
    if (r != nullptr) freeReplyObject(r);
    return out;
  }

  // String (or status) reply of a command, or nullopt.
  std::optional<std::string> String(const std::vector<std::string>& args) {
    redisReply* r = Run(args);
    std::optional<std::string> out;
    if (r != nullptr && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)) {
      out.emplace(r->str, r->len);
    }
    if (r != nullptr) freeReplyObject(r);
    return out;
  }

  // Redis's own count of successful key lookups (INFO stats keyspace_hits).
  long long KeyspaceHits() {
    const std::optional<std::string> info = String({"INFO", "stats"});
    if (!info) return -1;
    const size_t at = info->find("keyspace_hits:");
    if (at == std::string::npos) return -1;
    return std::atoll(info->c_str() + at + std::string_view("keyspace_hits:").size());
  }

  // Deletes every key that starts with prefix.
  void DeletePrefix(const std::string& prefix) {
    std::string cursor = "0";
    do {
      redisReply* r = Run({"SCAN", cursor, "MATCH", prefix + "*", "COUNT", "1000"});
      if (r == nullptr || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
        if (r != nullptr) freeReplyObject(r);
        return;
      }
      cursor.assign(r->element[0]->str, r->element[0]->len);
      for (size_t i = 0; i < r->element[1]->elements; ++i) {
        redisReply* k = r->element[1]->element[i];
        Integer({"DEL", std::string(k->str, k->len)});
      }
      freeReplyObject(r);
    } while (cursor != "0");
  }

 private:
  redisReply* Run(const std::vector<std::string>& args) {
    std::vector<const char*> argv;
    std::vector<size_t> len;
    for (const std::string& a : args) {
      argv.push_back(a.data());
      len.push_back(a.size());
    }
    return static_cast<redisReply*>(
        redisCommandArgv(c_, static_cast<int>(args.size()), argv.data(), len.data()));
  }

  redisContext* c_;
};

// Stands still until advanced, so breaker cooldowns are stepped through, not slept through.
class FakeTime {
 public:
  absl::Time Now() {
    std::lock_guard lock(mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    std::lock_guard lock(mu_);
    now_ += d;
  }
  std::function<absl::Time()> Source() {
    return [this] { return Now(); };
  }

 private:
  std::mutex mu_;
  absl::Time now_ = absl::FromUnixSeconds(1'800'000'000);
};

int BoundLoopbackSocket(int* port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}

// A loopback port that refuses connections for the test's lifetime: bound (so nobody else
// can take it) but not listening.
class RefusingPort {
 public:
  RefusingPort() : fd_(BoundLoopbackSocket(&port_)) {}
  ~RefusingPort() { close(fd_); }
  int port() const { return port_; }

 private:
  int port_ = 0;
  int fd_;
};

// A loopback port that takes connections (the kernel completes the handshake) but never
// answers: a hung Redis. Every command runs into the command timeout.
class BlackHolePort {
 public:
  BlackHolePort() : fd_(BoundLoopbackSocket(&port_)) { listen(fd_, 64); }
  ~BlackHolePort() { close(fd_); }
  int port() const { return port_; }

 private:
  int port_ = 0;
  int fd_;
};

// A TCP forwarder to the test Redis that can be switched off and on, so the cache sees Redis
// vanish and come back at the same address. Off: live connections are cut and new ones are
// accepted and closed at once.
class SwitchableProxy {
 public:
  explicit SwitchableProxy(Address target) : target_(std::move(target)) {
    listen_fd_ = BoundLoopbackSocket(&port_);
    listen(listen_fd_, 64);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }

  ~SwitchableProxy() {
    stop_ = true;
    acceptor_.join();
    SetUp(false);  // wakes every pump
    for (std::thread& t : pumps_) t.join();
    close(listen_fd_);
  }

  int port() const { return port_; }

  void SetUp(bool up) {
    std::lock_guard lock(mu_);
    up_ = up;
    if (!up) {
      for (int fd : live_) shutdown(fd, SHUT_RDWR);
    }
  }

  // Client connections currently forwarded.
  size_t connections() {
    std::lock_guard lock(mu_);
    return live_.size() / 2;
  }

 private:
  void AcceptLoop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      const int client = accept(listen_fd_, nullptr, nullptr);
      if (client < 0) continue;
      std::lock_guard lock(mu_);
      const int server = up_ ? ConnectTarget() : -1;
      if (server < 0) {
        close(client);
        continue;
      }
      live_.insert(client);
      live_.insert(server);
      pumps_.emplace_back([this, client, server] { Pump(client, server); });
    }
  }

  int ConnectTarget() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(target_.port));
    inet_pton(AF_INET, target_.host.c_str(), &addr.sin_addr);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      close(fd);
      return -1;
    }
    return fd;
  }

  void Pump(int a, int b) {
    pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
    std::vector<char> buf(1 << 16);
    bool done = false;
    while (!done) {
      if (poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        break;
      }
      for (int i = 0; i < 2 && !done; ++i) {
        if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
        const ssize_t n = read(fds[i].fd, buf.data(), buf.size());
        if (n <= 0) {
          done = true;
          break;
        }
        for (ssize_t sent = 0; sent < n && !done;) {
          const ssize_t w = send(fds[1 - i].fd, buf.data() + sent, n - sent, MSG_NOSIGNAL);
          if (w <= 0) done = true;
          sent += std::max<ssize_t>(w, 0);
        }
      }
    }
    {
      std::lock_guard lock(mu_);
      live_.erase(a);
      live_.erase(b);
    }
    close(a);
    close(b);
  }

  const Address target_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  bool up_ = true;
  std::set<int> live_;
  std::vector<std::thread> pumps_;
  std::thread acceptor_;
};

class RedisCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::optional<Address> addr = TestRedis();
    if (!addr) STW_SKIP("needs STELLENWERK_TEST_REDIS_ADDR (host:port)");
    addr_ = *addr;
    prefix_ = UniquePrefix();
    raw_ = std::make_unique<RawRedis>(addr_);
    ASSERT_TRUE(raw_->ok()) << "cannot reach the test Redis at " << addr_.host << ":" << addr_.port;
  }

  void TearDown() override {
    if (raw_ != nullptr && raw_->ok()) raw_->DeletePrefix(prefix_);
  }

  RedisOptions Options() const {
    RedisOptions o;
    o.host = addr_.host;
    o.port = addr_.port;
    o.key_prefix = prefix_;
    // Generous: these tests prove correctness; a slow CI box must not turn them into misses.
    o.connect_timeout = absl::Seconds(2);
    o.command_timeout = absl::Seconds(2);
    return o;
  }

  Address addr_;
  std::string prefix_;
  std::unique_ptr<RawRedis> raw_;
};

TEST_F(RedisCacheTest, RoundTripsBinaryPayloadsIncludingNulBytes) {
  RedisCache cache(Options());
  const std::string binary = "\0head|v|\0\xff\xfe tail\0"s;
  std::string big(1 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131);

  cache.Put("binary", 1, binary, absl::Minutes(1));
  cache.Put("big", 1, big, absl::Minutes(1));
  cache.Put("empty", 1, "", absl::Minutes(1));

  EXPECT_EQ(cache.Get("binary"), binary);
  EXPECT_EQ(cache.Get("big"), big);
  EXPECT_EQ(cache.Get("empty"), "");
  EXPECT_EQ(cache.Get("never-put"), std::nullopt);
  const RedisCache::Stats s = cache.stats();
  EXPECT_EQ(s.hits, 3u);
  EXPECT_EQ(s.misses, 1u);
  EXPECT_EQ(s.errors, 0u);
  EXPECT_TRUE(cache.Healthy());
}

TEST_F(RedisCacheTest, OlderOrEqualVersionPutAfterNewerIsIgnored) {
  RedisCache cache(Options());
  cache.Put("k", 5, "v5", absl::Minutes(1));
  cache.Put("k", 4, "v4", absl::Minutes(1));
  EXPECT_EQ(cache.Get("k"), "v5");
  cache.Put("k", 5, "other v5", absl::Minutes(1));
  EXPECT_EQ(cache.Get("k"), "v5");
  cache.Put("k", 6, "v6", absl::Minutes(1));
  EXPECT_EQ(cache.Get("k"), "v6");
}

TEST_F(RedisCacheTest, VersionsCompareExactlyAcrossTheWholeInt64Range) {
  RedisCache cache(Options());
  // 2^60 and 2^60 + 1 are the same double: a float comparison would refuse the second put.
  const int64_t big = int64_t{1} << 60;
  cache.Put("k", big, "a", absl::Minutes(1));
  cache.Put("k", big + 1, "b", absl::Minutes(1));
  EXPECT_EQ(cache.Get("k"), "b");

  cache.Put("neg", -5, "-5", absl::Minutes(1));
  cache.Put("neg", -1, "-1", absl::Minutes(1));
  cache.Put("neg", -3, "-3", absl::Minutes(1));
  EXPECT_EQ(cache.Get("neg"), "-1");
  cache.Put("neg", 0, "0", absl::Minutes(1));
  EXPECT_EQ(cache.Get("neg"), "0");

  cache.Put("edge", std::numeric_limits<int64_t>::min(), "min", absl::Minutes(1));
  cache.Put("edge", std::numeric_limits<int64_t>::max(), "max", absl::Minutes(1));
  cache.Put("edge", std::numeric_limits<int64_t>::max() - 1, "max-1", absl::Minutes(1));
  EXPECT_EQ(cache.Get("edge"), "max");
}

// PITFALLS.md: a reader loads v1, a writer commits v2 and invalidates, the reader then puts
// v1. The tombstone must refuse that put.
TEST_F(RedisCacheTest, TombstoneRefusesTheStaleSetOfASlowReader) {
  RedisCache cache(Options());
  cache.Put("k", 1, "old", absl::Minutes(1));
  cache.Invalidate("k", 2);
  EXPECT_EQ(cache.Get("k"), std::nullopt);

  cache.Put("k", 1, "old", absl::Minutes(1));  // the slow reader arrives
  EXPECT_EQ(cache.Get("k"), std::nullopt);

  cache.Put("k", 3, "new", absl::Minutes(1));
  EXPECT_EQ(cache.Get("k"), "new");
}

TEST_F(RedisCacheTest, ReaderOfTheInvalidatedCommitMayRefillAtOnce) {
  RedisCache cache(Options());
  cache.Invalidate("k", 7);                   // writer committed version 7
  cache.Put("k", 7, "v7", absl::Minutes(1));  // a reader loaded that commit
  EXPECT_EQ(cache.Get("k"), "v7");
}

TEST_F(RedisCacheTest, TombstoneIsShortLivedAndNewerEntriesSurviveAnOlderInvalidate) {
  RedisOptions options = Options();
  options.tombstone_ttl = absl::Seconds(30);
  RedisCache cache(options);
  cache.Invalidate("gone", 1);
  const std::optional<long long> pttl = raw_->Integer({"PTTL", prefix_ + "gone"});
  ASSERT_TRUE(pttl.has_value());
  EXPECT_GT(*pttl, 0);
  EXPECT_LE(*pttl, 30'000);

  cache.Put("k", 5, "v5", absl::Minutes(1));
  cache.Invalidate("k", 3);  // a late invalidation of an older commit
  EXPECT_EQ(cache.Get("k"), "v5");

  cache.Invalidate("t", 9);
  cache.Invalidate("t", 4);  // must not lower the tombstone
  cache.Put("t", 5, "stale", absl::Minutes(1));
  EXPECT_EQ(cache.Get("t"), std::nullopt);
}

TEST_F(RedisCacheTest, ValuesExpireAfterTheirTtl) {
  RedisCache cache(Options());
  const absl::Time start = absl::Now();
  cache.Put("k", 1, "v", absl::Milliseconds(1100));
  const std::optional<long long> pttl = raw_->Integer({"PTTL", prefix_ + "k"});
  ASSERT_TRUE(pttl.has_value());
  EXPECT_GT(*pttl, 0);
  EXPECT_LE(*pttl, 1100);
  EXPECT_EQ(cache.Get("k"), "v");

  const absl::Time deadline = start + absl::Seconds(10);
  while (cache.Get("k").has_value() && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(cache.Get("k"), std::nullopt);
  // A lower bound only: it cannot fail because the machine is slow.
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(1000));

  cache.Put("zero", 1, "v", absl::ZeroDuration());  // nothing to store
  EXPECT_EQ(cache.Get("zero"), std::nullopt);
}

TEST_F(RedisCacheTest, GenerationStartsAtZeroAndCountsBumps) {
  RedisCache cache(Options());
  EXPECT_EQ(cache.Generation("search:tenant-a"), 0);
  cache.BumpGeneration("search:tenant-a");
  EXPECT_EQ(cache.Generation("search:tenant-a"), 1);
  cache.BumpGeneration("search:tenant-a");
  cache.BumpGeneration("search:tenant-a");
  EXPECT_EQ(cache.Generation("search:tenant-a"), 3);
  EXPECT_EQ(cache.Generation("search:tenant-b"), 0);
  // Generation keys have no TTL: an expired counter would restart at 0 and revive old pages.
  EXPECT_EQ(raw_->Integer({"PTTL", prefix_ + "gen:search:tenant-a"}), -1);
}

TEST_F(RedisCacheTest, GetInGenerationReadsThePageOfTheCurrentGenerationInOneStep) {
  RedisCache cache(Options());
  auto got = cache.GetInGeneration("search", "page:", ":q");
  EXPECT_EQ(got.generation, 0);
  EXPECT_EQ(got.value, std::nullopt);
  cache.Put(Cache::GenerationalKey("page:", 0, ":q"), 0, "old page", absl::Minutes(1));
  got = cache.GetInGeneration("search", "page:", ":q");
  EXPECT_EQ(got.generation, 0);
  EXPECT_EQ(got.value, "old page");
  cache.BumpGeneration("search");
  got = cache.GetInGeneration("search", "page:", ":q");
  EXPECT_EQ(got.generation, 1);
  EXPECT_EQ(got.value, std::nullopt) << "a page of an older generation came back";
  cache.Put(Cache::GenerationalKey("page:", 1, ":q"), 1, "new page", absl::Minutes(1));
  EXPECT_EQ(cache.GetInGeneration("search", "page:", ":q").value, "new page");
  cache.Invalidate(Cache::GenerationalKey("page:", 1, ":q"), 2);  // a tombstone is a miss
  EXPECT_EQ(cache.GetInGeneration("search", "page:", ":q").value, std::nullopt);
}

TEST_F(RedisCacheTest, AnErrorReplyIsAMissButDoesNotOpenTheBreaker) {
  RedisOptions options = Options();
  options.breaker_failures = 1;
  RedisCache cache(options);
  ASSERT_EQ(raw_->Integer({"HSET", prefix_ + "hash", "f", "v"}), 1);
  EXPECT_EQ(cache.Get("hash"), std::nullopt);   // WRONGTYPE
  cache.Put("hash", 1, "v", absl::Minutes(1));  // WRONGTYPE inside the script
  EXPECT_EQ(cache.stats().errors, 2u);
  EXPECT_TRUE(cache.Healthy());
  EXPECT_EQ(cache.stats().breaker_skips, 0u);
}

TEST_F(RedisCacheTest, ConcurrentCallersShareASmallPoolCorrectly) {
  RedisOptions options = Options();
  options.pool_size = 2;
  RedisCache cache(options);
  constexpr int kThreads = 8;
  constexpr int kIterations = 1000;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kIterations; ++i) {
        // Own keys: each put must be read back exactly (a mixed-up reply would show here).
        const std::string key = "own:" + std::to_string(t) + ":" + std::to_string(i % 10);
        const std::string value = "t" + std::to_string(t) + "\0i"s + std::to_string(i);
        cache.Put(key, i, value, absl::Minutes(1));
        if (cache.Get(key) != value) ++wrong;
        // One shared key: whatever the interleaving, the highest version must win.
        const int64_t version = int64_t{i} * kThreads + t;
        cache.Put("shared", version, std::to_string(version), absl::Minutes(1));
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(cache.Get("shared"), std::to_string(int64_t{kIterations - 1} * kThreads + 7));
  const RedisCache::Stats s = cache.stats();
  EXPECT_EQ(s.errors, 0u);
  EXPECT_EQ(s.breaker_skips, 0u);
  EXPECT_EQ(s.hits, static_cast<uint64_t>(kThreads * kIterations + 1));
}

// Recovery through the breaker: Redis goes away at the same address, the breaker opens,
// Redis comes back, and the one probe after the cooldown closes the breaker again.
TEST_F(RedisCacheTest, BreakerClosesWhenTheProbeReachesRedisAgain) {
  SwitchableProxy proxy(addr_);
  FakeTime time;
  RedisOptions options = Options();
  options.port = proxy.port();
  options.pool_size = 4;
  options.breaker_failures = 3;
  options.breaker_cooldown = absl::Seconds(2);
  options.now = time.Source();
  RedisCache cache(options);
  cache.Put("k", 1, "v", absl::Minutes(1));

  // Fill the pool with live connections, so stale ones are left behind when Redis goes.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (proxy.connections() < 4 && absl::Now() < deadline) {
    std::vector<std::thread> burst;
    for (int t = 0; t < 4; ++t) {
      burst.emplace_back([&] {
        for (int i = 0; i < 200; ++i) cache.Get("k");
      });
    }
    for (std::thread& t : burst) t.join();
  }
  ASSERT_EQ(proxy.connections(), 4u);
  const RedisCache::Stats before = cache.stats();
  ASSERT_EQ(before.errors, 0u);

  proxy.SetUp(false);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(cache.Get("k"), std::nullopt);
  EXPECT_EQ(cache.stats().errors, 3u);
  EXPECT_FALSE(cache.Healthy());
  EXPECT_EQ(cache.Get("k"), std::nullopt);
  EXPECT_EQ(cache.stats().breaker_skips, 1u);

  proxy.SetUp(true);
  EXPECT_EQ(cache.Get("k"), std::nullopt);  // still cooling down: the breaker answers
  EXPECT_EQ(cache.stats().breaker_skips, 2u);

  time.Advance(absl::Seconds(2));
  // The probe must not pick a connection that died with the old Redis.
  EXPECT_EQ(cache.Get("k"), "v");
  EXPECT_TRUE(cache.Healthy());
  EXPECT_EQ(cache.stats().errors, 3u);
  EXPECT_EQ(cache.Generation("g"), 0);
}

TEST_F(RedisCacheTest, AHitIsAReadServedByRedis) {
  RedisCache cache(Options());
  cache.Put("k", 1, "v", absl::Minutes(1));
  const long long redis_hits = raw_->KeyspaceHits();
  ASSERT_GE(redis_hits, 0);
  EXPECT_EQ(cache.Get("k"), "v");
  EXPECT_EQ(cache.stats().hits, 1u);
  EXPECT_GT(raw_->KeyspaceHits(), redis_hits);  // Redis itself counted the lookup
  // Gone from Redis behind the cache's back: the same read misses, so the hit came from Redis.
  ASSERT_EQ(raw_->Integer({"DEL", prefix_ + "k"}), 1);
  EXPECT_EQ(cache.Get("k"), std::nullopt);
  EXPECT_EQ(cache.stats().hits, 1u);
  EXPECT_EQ(cache.stats().misses, 1u);
}

// Redis stays up behind a proxy that is cut, so it keeps v1 while the cache cannot reach it:
// the writer's invalidation and generation bump during the outage must not be lost.
TEST_F(RedisCacheTest, AValueInvalidatedDuringAnOutageIsNeverServedOnceRedisIsBack) {
  stellenwerk::testing::TcpProxy proxy(addr_.port);
  FakeTime time;
  RedisOptions options = Options();
  options.port = proxy.port();
  options.breaker_failures = 2;
  options.breaker_cooldown = absl::Seconds(2);
  options.now = time.Source();
  RedisCache cache(options);
  RedisCache other(Options());  // another replica, never cut off
  const std::string page = Cache::GenerationalKey("page:", 0, ":q");
  cache.Put("posting", 1, "v1", absl::Minutes(10));
  cache.Put(page, 1, "page v1", absl::Minutes(10));
  ASSERT_EQ(cache.Get("posting"), "v1");
  ASSERT_EQ(cache.GetInGeneration("search", "page:", ":q").value, "page v1");

  proxy.Stop();
  // v2 is committed; its invalidation and bump fail (and open the breaker), its fill is
  // skipped.
  cache.Invalidate("posting", 2);
  cache.BumpGeneration("search");
  ASSERT_FALSE(cache.Healthy());
  cache.Put("posting", 2, "v2", absl::Minutes(10));
  EXPECT_EQ(cache.Get("posting"), std::nullopt);
  const std::optional<std::string> kept = raw_->String({"GET", prefix_ + "posting"});
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->substr(kept->size() - 2), "v1") << "Redis kept its data";

  proxy.Start();
  EXPECT_EQ(cache.Get("posting"), std::nullopt);  // still cooling down: skipped, not v1
  // The stated bound for other processes: until this one's first call after the cooldown.
  EXPECT_EQ(other.Get("posting"), "v1");

  time.Advance(absl::Seconds(2));
  // The first call after the cooldown replays the lost writes before it reads.
  EXPECT_EQ(cache.Get("posting"), std::nullopt);
  EXPECT_TRUE(cache.Healthy());
  EXPECT_EQ(cache.stats().replayed, 2u);
  EXPECT_EQ(other.Get("posting"), std::nullopt);
  const Cache::GenerationalValue search = cache.GetInGeneration("search", "page:", ":q");
  EXPECT_EQ(search.generation, 1);
  EXPECT_EQ(search.value, std::nullopt);
  // The replayed tombstone carries v2: a slow reader's v1 is refused, v2 goes in.
  cache.Put("posting", 1, "v1", absl::Minutes(10));
  EXPECT_EQ(cache.Get("posting"), std::nullopt);
  cache.Put("posting", 2, "v2", absl::Minutes(10));
  EXPECT_EQ(cache.Get("posting"), "v2");
  EXPECT_EQ(other.Get("posting"), "v2");
}

TEST_F(RedisCacheTest, MoreLostWritesThanTheListHoldsFlushThePrefixAtRecovery) {
  stellenwerk::testing::TcpProxy proxy(addr_.port);
  FakeTime time;
  RedisOptions options = Options();
  options.port = proxy.port();
  options.max_lost_writes = 2;
  options.breaker_cooldown = absl::Seconds(2);
  options.now = time.Source();
  RedisCache cache(options);
  for (const char* key : {"a", "b", "c", "untouched"}) {
    cache.Put(key, 1, "v1", absl::Minutes(10));
  }
  cache.Invalidate("tomb", 5);
  cache.BumpGeneration("g");
  ASSERT_EQ(cache.Get("untouched"), "v1");

  proxy.Stop();
  for (const char* key : {"a", "b", "c"}) cache.Invalidate(key, 2);  // one more than it holds
  ASSERT_FALSE(cache.Healthy());
  proxy.Start();
  time.Advance(absl::Seconds(2));

  for (const char* key : {"a", "b", "c", "untouched"}) {
    EXPECT_EQ(cache.Get(key), std::nullopt) << key;
  }
  EXPECT_EQ(cache.stats().flushes, 1u);
  EXPECT_EQ(cache.Generation("g"), 2);               // bumped, not reset
  cache.Put("tomb", 4, "stale", absl::Minutes(10));  // the tombstone survived the flush
  EXPECT_EQ(cache.Get("tomb"), std::nullopt);
  cache.Put("a", 2, "v2", absl::Minutes(10));
  EXPECT_EQ(cache.Get("a"), "v2");
}

// These need no Redis: the point is that there is none.
TEST(RedisCacheBreakerTest, DeadRedisIsAMissAndOpensTheBreakerAfterConsecutiveFailures) {
  RefusingPort dead;
  FakeTime time;
  RedisOptions options;
  options.port = dead.port();
  options.breaker_failures = 3;
  options.breaker_cooldown = absl::Seconds(2);
  options.now = time.Source();
  RedisCache cache(options);
  EXPECT_TRUE(cache.Healthy());

  for (int i = 0; i < 10; ++i) EXPECT_EQ(cache.Get("k"), std::nullopt);
  RedisCache::Stats s = cache.stats();
  EXPECT_EQ(s.errors, 3u);  // only the first three reached for the network
  EXPECT_EQ(s.breaker_skips, 7u);
  EXPECT_EQ(s.misses, 10u);
  EXPECT_EQ(s.hits, 0u);
  EXPECT_FALSE(cache.Healthy());

  // Writes and generations are skipped the same way, without a visible failure.
  cache.Put("k", 1, "v", absl::Minutes(1));
  cache.Invalidate("k", 2);
  cache.BumpGeneration("g");
  EXPECT_EQ(cache.Generation("g"), std::nullopt);
  s = cache.stats();
  EXPECT_EQ(s.errors, 3u);
  EXPECT_EQ(s.breaker_skips, 11u);
}

TEST(RedisCacheBreakerTest, AfterTheCooldownExactlyOneCallProbes) {
  // A hung Redis, so the probe stays in flight for a whole command timeout while the other
  // callers arrive: they must skip, not pile onto the hung server.
  BlackHolePort hung;
  FakeTime time;
  RedisOptions options;
  options.port = hung.port();
  options.connect_timeout = absl::Milliseconds(200);
  options.command_timeout = absl::Milliseconds(200);
  options.breaker_failures = 2;
  options.breaker_cooldown = absl::Seconds(5);
  options.now = time.Source();
  RedisCache cache(options);
  for (int i = 0; i < 2; ++i) EXPECT_EQ(cache.Get("k"), std::nullopt);
  ASSERT_FALSE(cache.Healthy());
  ASSERT_EQ(cache.stats().errors, 2u);

  time.Advance(absl::Seconds(4));
  cache.Get("k");
  EXPECT_EQ(cache.stats().errors, 2u);  // not yet

  time.Advance(absl::Seconds(1));
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      ++ready;
      while (ready.load() < 8) std::this_thread::yield();  // start together
      for (int i = 0; i < 10; ++i) EXPECT_EQ(cache.Get("k"), std::nullopt);
    });
  }
  for (std::thread& t : threads) t.join();
  RedisCache::Stats s = cache.stats();
  EXPECT_EQ(s.errors, 3u);  // one probe among 80 calls; it failed and re-opened the breaker
  EXPECT_EQ(s.breaker_skips, 1u + 79u);
  EXPECT_FALSE(cache.Healthy());

  // The failed probe restarted the cooldown.
  time.Advance(absl::Seconds(4));
  cache.Get("k");
  EXPECT_EQ(cache.stats().errors, 3u);
  time.Advance(absl::Seconds(1));
  cache.Get("k");
  EXPECT_EQ(cache.stats().errors, 4u);
}

// A Redis that answers every command with one error line (e.g. "LOADING ..." while a restarted
// Redis reads its data back) and records the command names it got.
class RefusingRedis {
 public:
  explicit RefusingRedis(std::string error) : error_(std::move(error)) {
    listen_fd_ = BoundLoopbackSocket(&port_);
    listen(listen_fd_, 8);
    thread_ = std::thread([this] { Serve(); });
  }
  ~RefusingRedis() {
    stop_ = true;
    thread_.join();
    close(listen_fd_);
  }
  int port() const { return port_; }
  std::vector<std::string> commands() {
    std::lock_guard lock(mu_);
    return commands_;
  }

 private:
  void Serve() {
    std::vector<int> clients;
    std::vector<char> buf(1 << 16);
    while (!stop_) {
      std::vector<pollfd> fds = {{listen_fd_, POLLIN, 0}};
      for (int c : clients) fds.push_back({c, POLLIN, 0});
      if (poll(fds.data(), fds.size(), 20) <= 0) continue;
      if (fds[0].revents & POLLIN) clients.push_back(accept(listen_fd_, nullptr, nullptr));
      for (size_t i = 1; i < fds.size(); ++i) {
        if ((fds[i].revents & POLLIN) == 0) continue;
        // hiredis sends a command and waits for its reply: one read is one command here.
        const ssize_t n = read(fds[i].fd, buf.data(), buf.size());
        if (n <= 0) continue;
        const std::string request(buf.data(), static_cast<size_t>(n));
        // "*<argc>\r\n$<len>\r\n<NAME>\r\n...": the third line is the command name.
        const size_t name_at = request.find("\r\n", request.find("\r\n") + 2) + 2;
        {
          std::lock_guard lock(mu_);
          commands_.push_back(request.substr(name_at, request.find("\r\n", name_at) - name_at));
        }
        const std::string reply = "-" + error_ + "\r\n";
        send(fds[i].fd, reply.data(), reply.size(), MSG_NOSIGNAL);
      }
    }
    for (int c : clients) close(c);
  }

  const std::string error_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::string> commands_;
  std::thread thread_;
};

TEST(RedisCacheLostWriteTest, AnInvalidationRefusedWithLoadingIsReplayedBeforeAnyRead) {
  RefusingRedis loading("LOADING Redis is loading the dataset in memory");
  RedisOptions options;
  options.port = loading.port();
  RedisCache cache(options);
  cache.Invalidate("k", 2);
  EXPECT_EQ(cache.Get("k"), std::nullopt);
  EXPECT_EQ(cache.Get("k"), std::nullopt);
  // Each Get tried the invalidation again instead of reading a value it may have kept.
  EXPECT_EQ(loading.commands(), (std::vector<std::string>{"EVAL", "EVAL", "EVAL"}));
  EXPECT_TRUE(cache.Healthy());  // a fast refusal does not open the breaker
}

TEST(RedisCacheLostWriteTest, AnInvalidationRefusedForGoodIsNotReplayed) {
  RefusingRedis wrongtype("WRONGTYPE Operation against a key holding the wrong kind of value");
  RedisOptions options;
  options.port = wrongtype.port();
  RedisCache cache(options);
  cache.Invalidate("k", 2);
  EXPECT_EQ(cache.Get("k"), std::nullopt);
  EXPECT_EQ(wrongtype.commands(), (std::vector<std::string>{"EVAL", "GET"}));
  EXPECT_EQ(cache.stats().replayed, 0u);
}

TEST(NullCacheTest, AlwaysMissesAndHasNoGeneration) {
  NullCache cache;
  cache.Put("k", 1, "v", absl::Minutes(1));
  cache.BumpGeneration("g");
  cache.Invalidate("k", 2);
  EXPECT_EQ(cache.Get("k"), std::nullopt);
  EXPECT_EQ(cache.Generation("g"), std::nullopt);
}

}  // namespace
}  // namespace stellenwerk::cache
