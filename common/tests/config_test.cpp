#include <cstdlib>

#include "common/config/runtime_config.h"
#include "gtest/gtest.h"

namespace stellenwerk::config {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name :
         {"STELLENWERK_GRPC_PORT", "STELLENWERK_REDIS_ADDR", "STELLENWERK_AMQP_QUEUE_TYPE",
          "STELLENWERK_FAKE_CLOCK", "STELLENWERK_SHUTDOWN_GRACE", "STELLENWERK_LOG_LEVEL",
          "STELLENWERK_JWT_RS256_PUBLIC_KEY_FILE", "STELLENWERK_BIND", "STELLENWERK_JWT_JWKS_FILE",
          "STELLENWERK_REDIS_SENTINELS"}) {
      unsetenv(name);
    }
    setenv("STELLENWERK_PG_URI", "postgresql://u@127.0.0.1:1/db", 1);
    setenv("STELLENWERK_AMQP_URI", "amqp://guest:guest@127.0.0.1:1/", 1);
    setenv("STELLENWERK_JWT_HS256_SECRET", "0123456789abcdef0123456789abcdef", 1);
  }
  absl::StatusOr<RuntimeConfig> Load() {
    EnvReader env;
    return LoadRuntimeConfig("postings", 50051, 9101, env);
  }
};

TEST_F(ConfigTest, DefaultsApplyWhenOnlyRequiredValuesAreSet) {
  auto c = Load();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->grpc_port, 50051);
  EXPECT_EQ(c->metrics_port, 9101);
  EXPECT_EQ(c->amqp_queue_type, "classic");
  EXPECT_FALSE(c->fake_clock);
  EXPECT_TRUE(c->redis_host.empty());
  EXPECT_EQ(c->bind, "0.0.0.0");
  EXPECT_EQ(c->log_level, "info");
}

TEST_F(ConfigTest, ParsesTypedValues) {
  setenv("STELLENWERK_GRPC_PORT", "6000", 1);
  setenv("STELLENWERK_REDIS_ADDR", "127.0.0.1:56379", 1);
  setenv("STELLENWERK_FAKE_CLOCK", "1", 1);
  setenv("STELLENWERK_SHUTDOWN_GRACE", "1500ms", 1);
  auto c = Load();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->grpc_port, 6000);
  EXPECT_EQ(c->redis_host, "127.0.0.1");
  EXPECT_EQ(c->redis_port, 56379);
  EXPECT_TRUE(c->fake_clock);
  EXPECT_EQ(c->shutdown_grace, absl::Milliseconds(1500));
}

struct BadValue {
  const char* name;
  const char* value;
};

class BadConfigTest : public ConfigTest, public ::testing::WithParamInterface<BadValue> {};

TEST_P(BadConfigTest, BadValueIsRefusedNamingTheVariable) {
  setenv(GetParam().name, GetParam().value, 1);
  auto c = Load();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(c.status().message()).find(GetParam().name), std::string::npos)
      << c.status();
}

INSTANTIATE_TEST_SUITE_P(Values, BadConfigTest,
                         ::testing::Values(BadValue{"STELLENWERK_GRPC_PORT", "70000"},
                                           BadValue{"STELLENWERK_GRPC_PORT", "abc"},
                                           BadValue{"STELLENWERK_REDIS_ADDR", "localhost"},
                                           BadValue{"STELLENWERK_AMQP_QUEUE_TYPE", "stream"},
                                           BadValue{"STELLENWERK_FAKE_CLOCK", "maybe"},
                                           BadValue{"STELLENWERK_SHUTDOWN_GRACE", "soon"},
                                           BadValue{"STELLENWERK_LOG_LEVEL", "loud"},
                                           BadValue{"STELLENWERK_PG_URI", "mysql://x"}));

TEST_F(ConfigTest, MissingRequiredValueIsRefused) {
  unsetenv("STELLENWERK_PG_URI");
  auto c = Load();
  ASSERT_FALSE(c.ok());
  EXPECT_NE(std::string(c.status().message()).find("STELLENWERK_PG_URI"), std::string::npos);
}

TEST_F(ConfigTest, AServiceNeedsATokenKey) {
  unsetenv("STELLENWERK_JWT_HS256_SECRET");
  auto c = Load();
  ASSERT_FALSE(c.ok());
  EXPECT_NE(std::string(c.status().message()).find("STELLENWERK_JWT_HS256_SECRET"),
            std::string::npos);
}

// The part the gateway reads too: the caller's defaults stay unless a variable is set, and
// nothing in it is required.
TEST_F(ConfigTest, SharedPartKeepsTheCallersDefaultsAndReadsTheSameNames) {
  for (const char* name : {"STELLENWERK_BIND", "STELLENWERK_REDIS_SENTINELS",
                           "STELLENWERK_REDIS_SENTINEL_MASTER", "STELLENWERK_JWT_JWKS_FILE"}) {
    unsetenv(name);
  }
  unsetenv("STELLENWERK_JWT_HS256_SECRET");
  unsetenv("STELLENWERK_PG_URI");
  SharedConfig shared;
  shared.bind = "127.0.0.1";
  EnvReader env;
  ASSERT_TRUE(LoadSharedConfig(env, &shared).ok());
  EXPECT_EQ(shared.bind, "127.0.0.1");
  EXPECT_EQ(shared.log_level, "info");
  EXPECT_TRUE(shared.jwt_hs256_secret.empty());

  setenv("STELLENWERK_BIND", "0.0.0.0", 1);
  setenv("STELLENWERK_REDIS_SENTINELS", "s1:26379,s2:26379", 1);
  setenv("STELLENWERK_JWT_JWKS_FILE", "/keys.json", 1);
  setenv("STELLENWERK_LOG_LEVEL", "warn", 1);
  EnvReader again;
  ASSERT_TRUE(LoadSharedConfig(again, &shared).ok());
  EXPECT_EQ(shared.bind, "0.0.0.0");
  ASSERT_EQ(shared.redis_sentinels.size(), 2u);
  EXPECT_EQ(shared.redis_sentinels[0].host, "s1");
  EXPECT_EQ(shared.redis_sentinel_master, "stellenwerk");
  EXPECT_EQ(shared.jwt_jwks_file, "/keys.json");
  EXPECT_EQ(shared.log_level, "warn");
  for (const char* name : {"STELLENWERK_BIND", "STELLENWERK_REDIS_SENTINELS",
                           "STELLENWERK_JWT_JWKS_FILE", "STELLENWERK_LOG_LEVEL"}) {
    unsetenv(name);
  }
}

TEST_F(ConfigTest, ExitWithConfigErrorExitsWithStatusTwoAndOneLine) {
  EXPECT_EXIT(ExitWithConfigError("postings", absl::InvalidArgumentError("X=\"y\" is bad")),
              ::testing::ExitedWithCode(2), "^postings: configuration error: X=\"y\" is bad\n$");
}

}  // namespace
}  // namespace stellenwerk::config
