// RedisCache behind Redis Sentinel (ADR 0048), against real processes: a primary, a replica
// and a Sentinel started by this test (common/testing/redis_processes.h). A forced failover
// promotes the replica; the cache follows it without a restart.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/cache/redis_cache.h"
#include "common/testing/process.h"
#include "common/testing/redis_processes.h"
#include "common/testing/test_env.h"
#include "gtest/gtest.h"

namespace stellenwerk::cache {
namespace {

using testing::FreePort;
using testing::kRedisServer;
using testing::RedisProcesses;
using testing::WaitFor;

std::string Ask(int port, const std::vector<std::string>& args) {
  return testing::RedisAsk(port, args);
}

// A stand-in Sentinel that names whichever primary the test says (RESP over TCP): it lets a
// test move the roles by hand, without Sentinel's own CLIENT KILL of the demoted server.
class FakeSentinel {
 public:
  FakeSentinel() {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    listen(listener_, 16);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeSentinel() {
    stop_ = true;
    shutdown(listener_, SHUT_RDWR);
    close(listener_);
    thread_.join();
  }
  int port() const { return port_; }
  void Name(int primary_port) { primary_port_ = primary_port; }
  int asked() const { return asked_; }

 private:
  void Serve() {
    while (!stop_) {
      const int c = accept(listener_, nullptr, nullptr);
      if (c < 0) return;
      char buf[512];
      // One command per connection (the cache opens one per question).
      if (read(c, buf, sizeof buf) > 0) {
        ++asked_;
        const std::string p = absl::StrCat(primary_port_.load());
        const std::string reply =
            absl::StrCat("*2\r\n$9\r\n127.0.0.1\r\n$", p.size(), "\r\n", p, "\r\n");
        (void)!write(c, reply.data(), reply.size());
      }
      close(c);
    }
  }
  int listener_ = -1;
  int port_ = 0;
  std::atomic<int> primary_port_{0};
  std::atomic<int> asked_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class RedisSentinelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kRedisServer, X_OK) != 0) STW_SKIP("needs /usr/bin/redis-server");
    redis_ = std::make_unique<RedisProcesses>();
    primary_port_ = redis_->StartServer("primary");
    ASSERT_NE(primary_port_, 0) << "see " << redis_->dir();
    replica_port_ =
        redis_->StartServer("replica", {"--replicaof", "127.0.0.1", absl::StrCat(primary_port_)});
    ASSERT_NE(replica_port_, 0);
    ASSERT_TRUE(WaitFor(
        [&] {
          return Ask(replica_port_, {"INFO", "replication"}).find("master_link_status:up") !=
                 std::string::npos;
        },
        absl::Seconds(20)));
  }

  void StartSentinel() {
    sentinel_port_ = redis_->StartSentinel("sentinel", primary_port_, replica_port_);
    ASSERT_NE(sentinel_port_, 0) << "see " << redis_->dir();
  }

  void TearDown() override { redis_.reset(); }

  RedisOptions Options(std::vector<RedisEndpoint> sentinels) {
    RedisOptions o;
    o.host = "127.0.0.1";
    o.port = 1;  // ignored with sentinels: nothing listens here
    o.sentinels = std::move(sentinels);
    o.connect_timeout = absl::Milliseconds(500);
    o.command_timeout = absl::Milliseconds(500);
    o.pool_size = 2;
    o.breaker_cooldown = absl::Milliseconds(200);
    o.key_prefix = "stw:sentinel:";
    return o;
  }

  std::unique_ptr<RedisProcesses> redis_;
  int primary_port_ = 0, replica_port_ = 0, sentinel_port_ = 0;
};

TEST_F(RedisSentinelTest, TheCacheFindsThePrimaryAndFollowsAFailover) {
  StartSentinel();
  if (HasFatalFailure()) return;
  // A dead Sentinel first: the next one in the list answers.
  RedisCache cache(Options({{"127.0.0.1", FreePort()}, {"127.0.0.1", sentinel_port_}}));
  cache.Put("k1", 1, "before", absl::Minutes(5));
  EXPECT_EQ(cache.Get("k1"), std::optional<std::string>("before"));
  EXPECT_NE(Ask(primary_port_, {"GET", "stw:sentinel:k1"}), "") << "written to the primary";

  // Forced failover: the replica becomes primary, the old primary its replica.
  ASSERT_TRUE(WaitFor(
      [&] {
        return Ask(sentinel_port_, {"SENTINEL", "failover", "stellenwerk"}) == "OK";
      },
      absl::Seconds(20)));
  ASSERT_TRUE(WaitFor(
      [&] {
        return Ask(sentinel_port_, {"SENTINEL", "get-master-addr-by-name", "stellenwerk"}) ==
                   absl::StrCat("127.0.0.1 ", replica_port_) &&
               Ask(replica_port_, {"ROLE"}).rfind("master", 0) == 0;
      },
      absl::Seconds(30)));
  ASSERT_TRUE(WaitFor([&] { return Ask(primary_port_, {"ROLE"}).rfind("slave", 0) == 0; },
                      absl::Seconds(30)))
      << "the old primary was not turned into a replica";

  // The pooled connections still point at the old primary; its READONLY answer sends the
  // cache back to the Sentinel, and the writes land on the new primary.
  ASSERT_TRUE(WaitFor(
      [&] {
        cache.Put("k2", 1, "after", absl::Minutes(5));
        return cache.Get("k2") == std::optional<std::string>("after");
      },
      absl::Seconds(20)));
  EXPECT_NE(Ask(replica_port_, {"GET", "stw:sentinel:k2"}), "") << "written to the new primary";
  // An invalidation during the switch is not lost: it reaches the new primary.
  cache.Invalidate("k1", 2);
  ASSERT_TRUE(WaitFor([&] { return !cache.Get("k1").has_value(); }, absl::Seconds(10)));
  EXPECT_TRUE(cache.Healthy());
}

TEST_F(RedisSentinelTest, AReadOnlyAnswerSendsTheCacheBackToTheSentinels) {
  FakeSentinel sentinel;
  sentinel.Name(primary_port_);
  RedisCache cache(Options({{"127.0.0.1", sentinel.port()}}));
  cache.Put("k1", 1, "before", absl::Minutes(5));
  ASSERT_EQ(cache.Get("k1"), std::optional<std::string>("before"));
  const int asked_before = sentinel.asked();

  // Swap the roles by hand; the cache's pooled connections to the old primary stay open.
  ASSERT_EQ(Ask(replica_port_, {"REPLICAOF", "NO", "ONE"}), "OK");
  ASSERT_EQ(Ask(primary_port_, {"REPLICAOF", "127.0.0.1", absl::StrCat(replica_port_)}), "OK");
  sentinel.Name(replica_port_);
  ASSERT_TRUE(WaitFor([&] { return Ask(primary_port_, {"ROLE"}).rfind("slave", 0) == 0; },
                      absl::Seconds(10)));

  ASSERT_TRUE(WaitFor(
      [&] {
        cache.Put("k2", 1, "after", absl::Minutes(5));
        return Ask(replica_port_, {"GET", "stw:sentinel:k2"}) != "";
      },
      absl::Seconds(10)))
      << "the cache kept writing to the demoted server";
  EXPECT_GT(sentinel.asked(), asked_before) << "the Sentinel was not asked again";
  EXPECT_EQ(cache.Get("k2"), std::optional<std::string>("after"));
}

TEST(RedisSentinelOptionsTest, WithoutAReachableSentinelTheCacheFailsOpen) {
  RedisOptions o;
  o.sentinels = {{"127.0.0.1", FreePort()}};
  o.connect_timeout = absl::Milliseconds(200);
  RedisCache cache(o);
  cache.Put("k", 1, "v", absl::Minutes(5));
  EXPECT_FALSE(cache.Get("k").has_value());
  EXPECT_GT(cache.stats().errors, 0u);
}

TEST(RedisEndpointsTest, ParsesAListAndNamesTheSettingOnError) {
  auto ok = ParseRedisEndpoints("a:26379, b.example:26380", "STELLENWERK_REDIS_SENTINELS");
  ASSERT_TRUE(ok.ok()) << ok.status();
  ASSERT_EQ(ok->size(), 2u);
  EXPECT_EQ((*ok)[1].host, "b.example");
  EXPECT_EQ((*ok)[1].port, 26380);
  for (const char* bad : {"a", "a:", ":1", "a:0", "a:70000", "a:1,b"}) {
    auto r = ParseRedisEndpoints(bad, "STELLENWERK_REDIS_SENTINELS");
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("STELLENWERK_REDIS_SENTINELS"), std::string::npos);
  }
}

}  // namespace
}  // namespace stellenwerk::cache
