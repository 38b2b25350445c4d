// LoadGatewayConfig: the shared settings through common/config (the services' names and
// parser), the gateway's own defaults and settings, and a bad value naming its variable.
#include <cstdlib>

#include "gtest/gtest.h"
#include "services/gateway/server/gateway.h"

namespace stellenwerk::gateway {
namespace {

constexpr const char* kVariables[] = {
    "STELLENWERK_BIND",
    "STELLENWERK_HTTP_PORT",
    "STELLENWERK_POSTINGS_ADDR",
    "STELLENWERK_APPLICATIONS_ADDR",
    "STELLENWERK_SCHEDULING_ADDR",
    "STELLENWERK_NOTIFICATIONS_ADDR",
    "STELLENWERK_COORDINATION_ADDR",
    "STELLENWERK_REDIS_ADDR",
    "STELLENWERK_REDIS_SENTINELS",
    "STELLENWERK_REDIS_SENTINEL_MASTER",
    "STELLENWERK_JWT_HS256_SECRET",
    "STELLENWERK_JWT_JWKS_FILE",
    "STELLENWERK_JWT_RS256_PUBLIC_KEY_FILE",
    "STELLENWERK_LOG_LEVEL",
    "STELLENWERK_PG_URI",
    "STELLENWERK_AMQP_URI",
    "STELLENWERK_GATEWAY_DEV_SIGNIN",
    "STELLENWERK_PORTAL_DIR",
    "STELLENWERK_GATEWAY_CORS_ORIGINS",
    "STELLENWERK_GATEWAY_MAX_BODY_BYTES",
    "STELLENWERK_GATEWAY_MAX_UPLOAD_BYTES",
    "STELLENWERK_GATEWAY_UPLOAD_CHUNK_BYTES",
    "STELLENWERK_GATEWAY_DEADLINE",
    "STELLENWERK_GATEWAY_STREAM_DEADLINE",
    "STELLENWERK_GATEWAY_DRAIN",
    "STELLENWERK_GATEWAY_RATE_LIMIT",
    "STELLENWERK_GATEWAY_RATE_LIMIT_IP_FACTOR",
    "STELLENWERK_GATEWAY_RATE_LIMIT_THREADS",
    "STELLENWERK_GATEWAY_TRUSTED_PROXIES",
    "STELLENWERK_GATEWAY_THREADS",
    "STELLENWERK_GATEWAY_WORKERS",
};

class GatewayConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : kVariables) unsetenv(name);
  }
  void TearDown() override { SetUp(); }
  static absl::Status Load(GatewayConfig* c) {
    config::EnvReader env;
    return LoadGatewayConfig(env, c);
  }
};

// The gateway needs no database, broker or token key, and keeps its own defaults (README).
TEST_F(GatewayConfigTest, DefaultsWithNothingSet) {
  GatewayConfig c;
  ASSERT_TRUE(Load(&c).ok());
  EXPECT_EQ(c.bind, "127.0.0.1");
  EXPECT_EQ(c.http_port, 8080);
  EXPECT_TRUE(c.upstreams.empty());
  EXPECT_TRUE(c.redis_host.empty());
  EXPECT_TRUE(c.redis_sentinels.empty());
  EXPECT_EQ(c.redis_sentinel_master, "stellenwerk");
  EXPECT_TRUE(c.jwt_hs256_secret.empty());
  EXPECT_TRUE(c.jwt_jwks_file.empty());
  EXPECT_TRUE(c.jwt_rs256_public_key_file.empty());
  EXPECT_EQ(c.log_level, "info");
  EXPECT_FALSE(c.dev_signin);
  EXPECT_FALSE(c.portal_dir.empty());
  EXPECT_TRUE(c.cors_origins.empty());
  EXPECT_EQ(c.max_body_bytes, 1u << 20);
  EXPECT_EQ(c.max_upload_bytes, 25u << 20);
  EXPECT_EQ(c.upload_chunk_bytes, 64u << 10);
  EXPECT_EQ(c.deadline, absl::Seconds(10));
  EXPECT_EQ(c.stream_deadline, absl::Minutes(5));
  EXPECT_EQ(c.drain, absl::ZeroDuration());
  EXPECT_EQ(c.rate_limit_per_minute, 600);
  EXPECT_EQ(c.rate_limit_ip_factor, 10);
  EXPECT_EQ(c.rate_limit_threads, 8);
  EXPECT_EQ(c.trusted_proxies, 0);
  EXPECT_EQ(c.threads, 2);
  EXPECT_EQ(c.workers, 8);
}

// What deploy/'s ConfigMap gives every process (bind, log level, JWKS, Sentinels) and the
// Secret's Redis address reach the gateway through the shared loader.
TEST_F(GatewayConfigTest, SharedSettingsReachTheGateway) {
  setenv("STELLENWERK_BIND", "0.0.0.0", 1);
  setenv("STELLENWERK_REDIS_ADDR", "127.0.0.1:56380", 1);
  setenv("STELLENWERK_REDIS_SENTINELS", "sentinel-a:26379,sentinel-b:26380", 1);
  setenv("STELLENWERK_REDIS_SENTINEL_MASTER", "primary", 1);
  setenv("STELLENWERK_JWT_JWKS_FILE", "/etc/stellenwerk/jwt/jwks.json", 1);
  setenv("STELLENWERK_JWT_RS256_PUBLIC_KEY_FILE", "/etc/key.pem", 1);
  setenv("STELLENWERK_JWT_HS256_SECRET", "0123456789abcdef0123456789abcdef", 1);
  setenv("STELLENWERK_LOG_LEVEL", "debug", 1);
  GatewayConfig c;
  ASSERT_TRUE(Load(&c).ok());
  EXPECT_EQ(c.bind, "0.0.0.0");
  EXPECT_EQ(c.redis_host, "127.0.0.1");
  EXPECT_EQ(c.redis_port, 56380);
  ASSERT_EQ(c.redis_sentinels.size(), 2u);
  EXPECT_EQ(c.redis_sentinels[1].host, "sentinel-b");
  EXPECT_EQ(c.redis_sentinels[1].port, 26380);
  EXPECT_EQ(c.redis_sentinel_master, "primary");
  EXPECT_EQ(c.jwt_jwks_file, "/etc/stellenwerk/jwt/jwks.json");
  EXPECT_EQ(c.jwt_rs256_public_key_file, "/etc/key.pem");
  EXPECT_EQ(c.jwt_hs256_secret, "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(c.log_level, "debug");
}

TEST_F(GatewayConfigTest, GatewaySettingsAreRead) {
  setenv("STELLENWERK_HTTP_PORT", "18080", 1);
  setenv("STELLENWERK_POSTINGS_ADDR", "postings:50051", 1);
  setenv("STELLENWERK_COORDINATION_ADDR", "coordination:50055", 1);
  setenv("STELLENWERK_GATEWAY_DEV_SIGNIN", "1", 1);
  setenv("STELLENWERK_PORTAL_DIR", "/srv/portal", 1);
  setenv("STELLENWERK_GATEWAY_CORS_ORIGINS", "https://a.example, https://b.example", 1);
  setenv("STELLENWERK_GATEWAY_MAX_BODY_BYTES", "2048", 1);
  setenv("STELLENWERK_GATEWAY_MAX_UPLOAD_BYTES", "4096", 1);
  setenv("STELLENWERK_GATEWAY_UPLOAD_CHUNK_BYTES", "512", 1);
  setenv("STELLENWERK_GATEWAY_DEADLINE", "3s", 1);
  setenv("STELLENWERK_GATEWAY_STREAM_DEADLINE", "2m", 1);
  setenv("STELLENWERK_GATEWAY_DRAIN", "5s", 1);
  setenv("STELLENWERK_GATEWAY_RATE_LIMIT", "0", 1);
  setenv("STELLENWERK_GATEWAY_RATE_LIMIT_IP_FACTOR", "4", 1);
  setenv("STELLENWERK_GATEWAY_RATE_LIMIT_THREADS", "3", 1);
  setenv("STELLENWERK_GATEWAY_TRUSTED_PROXIES", "1", 1);
  setenv("STELLENWERK_GATEWAY_THREADS", "4", 1);
  setenv("STELLENWERK_GATEWAY_WORKERS", "16", 1);
  GatewayConfig c;
  ASSERT_TRUE(Load(&c).ok());
  EXPECT_EQ(c.http_port, 18080);
  EXPECT_EQ(c.upstreams, (std::map<std::string, std::string>{{"coordination", "coordination:50055"},
                                                             {"postings", "postings:50051"}}));
  EXPECT_TRUE(c.dev_signin);
  EXPECT_EQ(c.portal_dir, "/srv/portal");
  EXPECT_EQ(c.cors_origins, (std::vector<std::string>{"https://a.example", "https://b.example"}));
  EXPECT_EQ(c.max_body_bytes, 2048u);
  EXPECT_EQ(c.max_upload_bytes, 4096u);
  EXPECT_EQ(c.upload_chunk_bytes, 512u);
  EXPECT_EQ(c.deadline, absl::Seconds(3));
  EXPECT_EQ(c.stream_deadline, absl::Minutes(2));
  EXPECT_EQ(c.drain, absl::Seconds(5));
  EXPECT_EQ(c.rate_limit_per_minute, 0);
  EXPECT_EQ(c.rate_limit_ip_factor, 4);
  EXPECT_EQ(c.rate_limit_threads, 3);
  EXPECT_EQ(c.trusted_proxies, 1);
  EXPECT_EQ(c.threads, 4);
  EXPECT_EQ(c.workers, 16);
}

struct BadValue {
  const char* name;
  const char* value;
};

class GatewayBadConfigTest : public GatewayConfigTest,
                             public ::testing::WithParamInterface<BadValue> {};

TEST_P(GatewayBadConfigTest, BadValueIsRefusedNamingTheVariable) {
  setenv(GetParam().name, GetParam().value, 1);
  GatewayConfig c;
  absl::Status s = Load(&c);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(s.message()).find(GetParam().name), std::string::npos) << s;
}

INSTANTIATE_TEST_SUITE_P(Values, GatewayBadConfigTest,
                         ::testing::Values(BadValue{"STELLENWERK_HTTP_PORT", "70000"},
                                           BadValue{"STELLENWERK_REDIS_ADDR", "localhost"},
                                           BadValue{"STELLENWERK_REDIS_ADDR", "a:1,b:2"},
                                           BadValue{"STELLENWERK_REDIS_SENTINELS", "sentinel"},
                                           BadValue{"STELLENWERK_LOG_LEVEL", "loud"},
                                           BadValue{"STELLENWERK_GATEWAY_DEV_SIGNIN", "maybe"},
                                           BadValue{"STELLENWERK_GATEWAY_RATE_LIMIT", "-1"},
                                           BadValue{"STELLENWERK_GATEWAY_RATE_LIMIT_IP_FACTOR",
                                                    "0"},
                                           BadValue{"STELLENWERK_GATEWAY_RATE_LIMIT_THREADS", "65"},
                                           BadValue{"STELLENWERK_GATEWAY_THREADS", "0"},
                                           BadValue{"STELLENWERK_GATEWAY_DEADLINE", "soon"}));

}  // namespace
}  // namespace stellenwerk::gateway
