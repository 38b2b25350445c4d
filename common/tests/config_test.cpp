#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

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
          "STELLENWERK_REDIS_SENTINELS", "STELLENWERK_REDIS_USERNAME", "STELLENWERK_REDIS_PASSWORD",
          "STELLENWERK_REDIS_PASSWORD_FILE", "STELLENWERK_REDIS_SENTINEL_USERNAME",
          "STELLENWERK_REDIS_SENTINEL_PASSWORD", "STELLENWERK_REDIS_SENTINEL_PASSWORD_FILE"}) {
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

// A file in the temporary directory with `content`, named for this process; its path.
std::string WriteFile(const std::string& name, const std::string& content) {
  const auto path =
      std::filesystem::temp_directory_path() / (name + "_" + std::to_string(getpid()));
  std::ofstream(path, std::ios::binary) << content;
  return path.string();
}

TEST_F(ConfigTest, RedisCredentialsComeFromTheEnvironmentOrAFile) {
  auto none = Load();
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->redis_auth.password.empty());
  EXPECT_TRUE(none->redis_sentinel_auth.password.empty());

  setenv("STELLENWERK_REDIS_USERNAME", "stw-cache", 1);
  setenv("STELLENWERK_REDIS_PASSWORD", "from env", 1);
  // A mounted Secret: the trailing newline of `echo pw > file` is not part of the password.
  const std::string file = WriteFile("stw_config_test_sentinel_pw", "sentinel pw\n");
  setenv("STELLENWERK_REDIS_SENTINEL_PASSWORD_FILE", file.c_str(), 1);
  auto c = Load();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->redis_auth.username, "stw-cache");
  EXPECT_EQ(c->redis_auth.password, "from env");
  EXPECT_EQ(c->redis_sentinel_auth.username, "");
  EXPECT_EQ(c->redis_sentinel_auth.password, "sentinel pw");
  std::filesystem::remove(file);
}

TEST_F(ConfigTest, BadRedisCredentialsAreRefusedWithoutQuotingThePassword) {
  const std::string empty = WriteFile("stw_config_test_empty_pw", "\n");
  const std::string secret = WriteFile("stw_config_test_pw", "hunter2-secret");
  struct Case {
    std::vector<std::pair<const char*, std::string>> env;
    const char* named;  // the variable the message must name
  };
  const Case cases[] = {
      {{{"STELLENWERK_REDIS_PASSWORD_FILE", "/nonexistent/redis/password"}},
       "STELLENWERK_REDIS_PASSWORD_FILE"},
      {{{"STELLENWERK_REDIS_PASSWORD_FILE", empty}}, "STELLENWERK_REDIS_PASSWORD_FILE"},
      {{{"STELLENWERK_REDIS_PASSWORD", "hunter2-secret"},
        {"STELLENWERK_REDIS_PASSWORD_FILE", secret}},
       "STELLENWERK_REDIS_PASSWORD_FILE"},
      {{{"STELLENWERK_REDIS_USERNAME", "stw-cache"}}, "STELLENWERK_REDIS_USERNAME"},
      {{{"STELLENWERK_REDIS_SENTINEL_USERNAME", "watcher"}}, "STELLENWERK_REDIS_SENTINEL_USERNAME"},
      {{{"STELLENWERK_REDIS_SENTINEL_PASSWORD_FILE", "/nonexistent/sentinel"}},
       "STELLENWERK_REDIS_SENTINEL_PASSWORD_FILE"},
  };
  for (const Case& k : cases) {
    SetUp();
    for (const auto& [name, value] : k.env) setenv(name, value.c_str(), 1);
    auto c = Load();
    ASSERT_FALSE(c.ok()) << k.named;
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(c.status().message().find(k.named), std::string::npos) << c.status();
    EXPECT_EQ(c.status().message().find("hunter2"), std::string::npos) << c.status();
  }
  std::filesystem::remove(empty);
  std::filesystem::remove(secret);
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
