// Redis AUTH in the cache client (docs/decisions/0053), against real redis-server and Sentinel
// processes started by the test (common/testing/redis_processes.h): requirepass on the primary
// and on the Sentinel, an ACL user with only the cache's commands, a failover with auth, and
// the password rotation docs/operations.md describes. A wrong or missing password makes the
// cache a miss/no-op (fail-open, as with Redis down), logged once, never with the password.

#include <unistd.h>

#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/cache/redis_cache.h"
#include "common/testing/redis_processes.h"
#include "common/testing/test_env.h"
#include "gtest/gtest.h"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/spdlog.h"

namespace stellenwerk::cache {
namespace {

using testing::kRedisServer;
using testing::RedisAsk;
using testing::RedisProcesses;
using testing::WaitFor;

// Spaces and quotes: the password travels as one binary-safe argument, never as text.
const RedisCredentials kAdmin{"", "pass word \"one\""};
const RedisCredentials kSentinelAdmin{"", "sentinel-secret"};

// The default logger's lines while it lives (the cache logs through spdlog's default).
class LogCapture {
 public:
  LogCapture() : saved_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>(
        "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(stream_));
    logger->set_level(spdlog::level::info);
    logger->set_pattern("%l %v");
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(saved_); }
  std::string text() {
    spdlog::default_logger()->flush();
    return stream_.str();
  }
  int Count(const std::string& needle) {
    const std::string t = text();
    int n = 0;
    for (size_t at = t.find(needle); at != std::string::npos; at = t.find(needle, at + 1)) ++n;
    return n;
  }

 private:
  std::ostringstream stream_;
  std::shared_ptr<spdlog::logger> saved_;
};

class RedisAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kRedisServer, X_OK) != 0) STW_SKIP("needs /usr/bin/redis-server");
    redis_ = std::make_unique<RedisProcesses>();
  }

  RedisOptions Options(int port, RedisCredentials auth) {
    RedisOptions o;
    o.host = "127.0.0.1";
    o.port = port;
    o.auth = std::move(auth);
    o.connect_timeout = absl::Seconds(2);
    o.command_timeout = absl::Seconds(2);
    o.pool_size = 2;
    o.key_prefix = "stw:auth:";
    o.now = [this] { return now_; };  // the breaker's cooldown is stepped, not waited for
    return o;
  }

  std::unique_ptr<RedisProcesses> redis_;
  absl::Time now_ = absl::UnixEpoch() + absl::Hours(1);
};

TEST_F(RedisAuthTest, TheRightPasswordWorksAndAWrongOneIsBypassedAndLoggedOnce) {
  const int port = redis_->StartServer("primary", {"--requirepass", kAdmin.password}, kAdmin);
  ASSERT_NE(port, 0) << "see " << redis_->dir();

  RedisCache good(Options(port, kAdmin));
  EXPECT_TRUE(good.Check().ok()) << good.Check();
  good.Put("k", 1, "v1", absl::Minutes(5));
  EXPECT_EQ(good.Get("k"), std::optional<std::string>("v1"));
  EXPECT_EQ(good.stats().auth_failures, 0u);
  EXPECT_TRUE(good.Healthy());

  LogCapture log;
  RedisCache wrong(Options(port, {"", "not the password"}));
  const absl::Status check = wrong.Check();
  EXPECT_EQ(check.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(check.message().find("refused AUTH"), std::string::npos) << check;
  EXPECT_NE(check.message().find("WRONGPASS"), std::string::npos) << check;
  for (int i = 0; i < 10; ++i) {
    EXPECT_FALSE(wrong.Get("k").has_value()) << "a wrong password must read nothing";
    wrong.Put("k", 2, "from the wrong one", absl::Minutes(5));
  }
  EXPECT_FALSE(wrong.Healthy()) << "the breaker bypasses a Redis that refuses us";
  EXPECT_GT(wrong.stats().auth_failures, 0u);
  EXPECT_GT(wrong.stats().breaker_skips, 0u);
  EXPECT_EQ(good.Get("k"), std::optional<std::string>("v1")) << "nothing written by it";

  const std::string text = log.text();
  EXPECT_EQ(log.Count("error redis cache: "), 1) << "one error line, not one per call:\n" << text;
  EXPECT_NE(text.find(absl::StrCat("127.0.0.1:", port, " refused AUTH: WRONGPASS")),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("STELLENWERK_REDIS_USERNAME/_PASSWORD"), std::string::npos) << text;
  EXPECT_EQ(text.find("not the password"), std::string::npos) << "the password was logged";
  EXPECT_EQ(text.find(kAdmin.password), std::string::npos);
}

TEST_F(RedisAuthTest, WithoutAPasswordTheCacheIsBypassedAndItsInvalidationsAreReplayed) {
  const int port = redis_->StartServer("primary", {"--requirepass", kAdmin.password}, kAdmin);
  ASSERT_NE(port, 0);
  RedisCache good(Options(port, kAdmin));
  good.Put("k", 1, "v1", absl::Minutes(5));
  ASSERT_EQ(good.Get("k"), std::optional<std::string>("v1"));

  LogCapture log;
  RedisCache none(Options(port, {}));
  const absl::Status check = none.Check();
  EXPECT_NE(check.message().find("NOAUTH"), std::string::npos) << check;
  // NOAUTH refuses the invalidation: it is remembered, not dropped ...
  none.Invalidate("k", 2);
  EXPECT_FALSE(none.Get("k").has_value());
  EXPECT_GT(none.stats().auth_failures, 0u);
  EXPECT_EQ(good.Get("k"), std::optional<std::string>("v1"));
  EXPECT_NE(log.text().find("NOAUTH"), std::string::npos) << log.text();

  // ... and replayed once Redis lets it in (here: the operator drops the password).
  ASSERT_EQ(RedisAsk(port, {"CONFIG", "SET", "requirepass", ""}, kAdmin), "OK");
  now_ += absl::Minutes(1);  // past the breaker's cooldown
  ASSERT_TRUE(WaitFor(
      [&] {
        none.Get("other");
        return none.stats().replayed > 0;
      },
      absl::Seconds(10)));
  EXPECT_FALSE(good.Get("k").has_value()) << "the lost invalidation reached Redis";
  EXPECT_TRUE(none.Healthy());
}

TEST_F(RedisAuthTest, APasswordForAServerWithoutOneWorksWithAWarning) {
  const int port = redis_->StartServer("primary");
  ASSERT_NE(port, 0);
  LogCapture log;
  RedisCache cache(Options(port, kAdmin));
  EXPECT_TRUE(cache.Check().ok()) << cache.Check();
  cache.Put("k", 1, "v1", absl::Minutes(5));
  EXPECT_EQ(cache.Get("k"), std::optional<std::string>("v1"));
  EXPECT_EQ(cache.stats().auth_failures, 0u);
  EXPECT_EQ(log.Count("has no password set"), 1) << log.text();
}

// The ACL docs/operations.md gives for a user of its own: the commands the cache sends
// (scripts included) on its own keys, nothing else. The default user is off, so only
// `AUTH user password` gets in.
TEST_F(RedisAuthTest, AnAclUserWithOnlyTheCacheCommandsRunsEveryOperation) {
  const RedisCredentials user{"stw-cache", "cache-pw"};
  const std::vector<std::string> acl = {
      "--user",        "default", "off",  // nobody without a user name
      "--user",        "admin",   "on",         ">admin-pw",   "~*",        "&*",
      "+@all",         "--user",  "stw-cache",  "on",          ">cache-pw", "~stw:auth:*",
      "resetchannels", "-@all",   "+get",       "+set",        "+incr",     "+pexpire",
      "+del",          "+eval",   "+scan",      "+ping",       "+role",     "--user",
      "stw-reader",    "on",      ">reader-pw", "~stw:auth:*", "-@all",     "+get",
      "+ping"};
  const RedisCredentials admin{"admin", "admin-pw"};
  const int port = redis_->StartServer("primary", acl, admin);
  ASSERT_NE(port, 0) << "see " << redis_->dir();

  RedisCache cache(Options(port, user));
  EXPECT_TRUE(cache.Check().ok()) << cache.Check();
  cache.Put("k", 1, "v1", absl::Minutes(5));
  EXPECT_EQ(cache.Get("k"), std::optional<std::string>("v1"));
  cache.Invalidate("k", 2);
  EXPECT_FALSE(cache.Get("k").has_value());
  EXPECT_EQ(cache.Generation("fam"), std::optional<int64_t>(0));
  cache.BumpGeneration("fam");
  cache.Put(Cache::GenerationalKey("page:", 1, ":x"), 1, "page", absl::Minutes(5));
  const Cache::GenerationalValue g = cache.GetInGeneration("fam", "page:", ":x");
  EXPECT_EQ(g.generation, std::optional<int64_t>(1));
  EXPECT_EQ(g.value, std::optional<std::string>("page"));
  EXPECT_EQ(cache.Increment("rl:1", absl::Minutes(1)), std::optional<int64_t>(1));
  EXPECT_EQ(cache.stats().errors, 0u);
  EXPECT_EQ(cache.stats().auth_failures, 0u);

  // The same password without the user name is the (disabled) default user's.
  RedisCache anonymous(Options(port, {"", user.password}));
  EXPECT_FALSE(anonymous.Check().ok());
  EXPECT_FALSE(anonymous.Get("page:1:x").has_value());

  // A user that may read but not run the scripts: its refused invalidation is remembered, so
  // it serves nothing it could not invalidate (the value is there, GET is allowed).
  cache.Put("k2", 1, "v1", absl::Minutes(5));
  LogCapture log;
  RedisCache reader(Options(port, {"stw-reader", "reader-pw"}));
  EXPECT_TRUE(reader.Check().ok()) << reader.Check();
  reader.Invalidate("k2", 2);
  EXPECT_FALSE(reader.Get("k2").has_value());
  EXPECT_GT(reader.stats().auth_failures, 0u);
  EXPECT_EQ(cache.Get("k2"), std::optional<std::string>("v1"));
  EXPECT_NE(log.text().find("NOPERM"), std::string::npos) << log.text();
  EXPECT_NE(log.text().find("ACL"), std::string::npos) << log.text();
}

// docs/operations.md "Rotate", Redis password: a second password is added at run time
// (ACL SETUSER default >new), the clients move over, then the old one is removed.
TEST_F(RedisAuthTest, APasswordRotatesWithoutRefusingEitherClientInBetween) {
  const RedisCredentials old_pw{"", "old-password"};
  const RedisCredentials new_pw{"", "new-password"};
  const int port = redis_->StartServer("primary", {"--requirepass", old_pw.password}, old_pw);
  ASSERT_NE(port, 0);
  RedisCache before(Options(port, old_pw));
  before.Put("k", 1, "v1", absl::Minutes(5));
  ASSERT_EQ(before.Get("k"), std::optional<std::string>("v1"));

  ASSERT_EQ(RedisAsk(port, {"ACL", "SETUSER", "default", "on", ">new-password"}, old_pw), "OK");
  RedisCache after(Options(port, new_pw));
  EXPECT_EQ(after.Get("k"), std::optional<std::string>("v1"));
  EXPECT_TRUE(RedisCache(Options(port, old_pw)).Check().ok()) << "the old one still works";

  ASSERT_EQ(RedisAsk(port, {"ACL", "SETUSER", "default", "<old-password"}, new_pw), "OK");
  EXPECT_FALSE(RedisCache(Options(port, old_pw)).Check().ok()) << "the old one is gone";
  EXPECT_TRUE(RedisCache(Options(port, new_pw)).Check().ok());
  EXPECT_EQ(after.stats().auth_failures, 0u);
}

class RedisSentinelAuthTest : public RedisAuthTest {
 protected:
  void SetUp() override {
    RedisAuthTest::SetUp();
    if (IsSkipped() || HasFailure()) return;
    const std::vector<std::string> auth = {"--requirepass", kAdmin.password, "--masterauth",
                                           kAdmin.password};
    primary_port_ = redis_->StartServer("primary", auth, kAdmin);
    ASSERT_NE(primary_port_, 0) << "see " << redis_->dir();
    std::vector<std::string> replica = auth;
    replica.insert(replica.end(), {"--replicaof", "127.0.0.1", absl::StrCat(primary_port_)});
    replica_port_ = redis_->StartServer("replica", replica, kAdmin);
    ASSERT_NE(replica_port_, 0);
    ASSERT_TRUE(WaitFor(
        [&] {
          return RedisAsk(replica_port_, {"INFO", "replication"}, kAdmin)
                     .find("master_link_status:up") != std::string::npos;
        },
        absl::Seconds(20)))
        << "the replica did not authenticate to the primary (masterauth)";
    // The Sentinel's own password, and the one it uses towards the instances. Quoted in the
    // file: Redis reads the config's strings like a shell would.
    sentinel_port_ = redis_->StartSentinel(
        "sentinel", primary_port_, replica_port_,
        absl::StrCat("requirepass ", kSentinelAdmin.password, "\n",
                     "sentinel auth-pass stellenwerk \"pass word \\\"one\\\"\"\n"),
        kSentinelAdmin);
    ASSERT_NE(sentinel_port_, 0) << "see " << redis_->dir();
  }

  RedisOptions SentinelOptions(RedisCredentials auth, RedisCredentials sentinel_auth) {
    RedisOptions o = Options(1, std::move(auth));  // port ignored with Sentinels
    o.sentinels = {{"127.0.0.1", sentinel_port_}};
    o.sentinel_auth = std::move(sentinel_auth);
    return o;
  }

  int primary_port_ = 0, replica_port_ = 0, sentinel_port_ = 0;
};

TEST_F(RedisSentinelAuthTest, TheCacheAuthenticatesToSentinelAndPrimaryAndFollowsAFailover) {
  RedisCache cache(SentinelOptions(kAdmin, kSentinelAdmin));
  EXPECT_TRUE(cache.Check().ok()) << cache.Check();
  cache.Put("k1", 1, "before", absl::Minutes(5));
  ASSERT_EQ(cache.Get("k1"), std::optional<std::string>("before"));
  EXPECT_NE(RedisAsk(primary_port_, {"GET", "stw:auth:k1"}, kAdmin), "");

  ASSERT_TRUE(WaitFor(
      [&] {
        return RedisAsk(sentinel_port_, {"SENTINEL", "failover", "stellenwerk"}, kSentinelAdmin) ==
               "OK";
      },
      absl::Seconds(20)));
  ASSERT_TRUE(WaitFor(
      [&] {
        return RedisAsk(sentinel_port_, {"SENTINEL", "get-master-addr-by-name", "stellenwerk"},
                        kSentinelAdmin) == absl::StrCat("127.0.0.1 ", replica_port_) &&
               RedisAsk(replica_port_, {"ROLE"}, kAdmin).rfind("master", 0) == 0;
      },
      absl::Seconds(30)))
      << "no failover: does the Sentinel authenticate to the instances (auth-pass)?";
  ASSERT_TRUE(
      WaitFor([&] { return RedisAsk(primary_port_, {"ROLE"}, kAdmin).rfind("slave", 0) == 0; },
              absl::Seconds(30)))
      << "the old primary was not turned into a replica";

  // New connections (after READONLY, or the Sentinel's CLIENT KILL) authenticate again.
  ASSERT_TRUE(WaitFor(
      [&] {
        cache.Put("k2", 1, "after", absl::Minutes(5));
        return cache.Get("k2") == std::optional<std::string>("after");
      },
      absl::Seconds(20)));
  EXPECT_NE(RedisAsk(replica_port_, {"GET", "stw:auth:k2"}, kAdmin), "")
      << "written to the new primary";
  EXPECT_EQ(cache.stats().auth_failures, 0u);
  EXPECT_TRUE(cache.Healthy());
}

TEST_F(RedisSentinelAuthTest, AWrongSentinelOrPrimaryPasswordIsBypassedAndNamed) {
  LogCapture log;
  RedisCache wrong_sentinel(SentinelOptions(kAdmin, {"", "wrong-sentinel-pw"}));
  const absl::Status s = wrong_sentinel.Check();
  EXPECT_NE(s.message().find(absl::StrCat("sentinel 127.0.0.1:", sentinel_port_)),
            std::string::npos)
      << s;
  EXPECT_NE(s.message().find("refused AUTH"), std::string::npos) << s;
  wrong_sentinel.Put("k", 1, "v", absl::Minutes(5));
  EXPECT_FALSE(wrong_sentinel.Get("k").has_value());
  EXPECT_GT(wrong_sentinel.stats().auth_failures, 0u);
  EXPECT_NE(log.text().find("STELLENWERK_REDIS_SENTINEL_USERNAME/_PASSWORD"), std::string::npos)
      << log.text();

  RedisCache no_sentinel_pw(SentinelOptions(kAdmin, {}));
  EXPECT_NE(no_sentinel_pw.Check().message().find("NOAUTH"), std::string::npos)
      << no_sentinel_pw.Check();

  RedisCache wrong_primary(SentinelOptions({"", "wrong-primary-pw"}, kSentinelAdmin));
  const absl::Status p = wrong_primary.Check();
  EXPECT_NE(p.message().find(absl::StrCat("127.0.0.1:", primary_port_, ": refused AUTH")),
            std::string::npos)
      << p;
  wrong_primary.Put("k", 1, "v", absl::Minutes(5));
  EXPECT_FALSE(wrong_primary.Get("k").has_value());
  EXPECT_EQ(RedisAsk(primary_port_, {"GET", "stw:auth:k"}, kAdmin), "");

  const std::string text = log.text();
  for (const char* secret : {"wrong-sentinel-pw", "wrong-primary-pw", "sentinel-secret"}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << secret << " logged:\n" << text;
  }
}

}  // namespace
}  // namespace stellenwerk::cache
