#include "common/config/runtime_config.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace stellenwerk::config {

absl::StatusOr<cache::RedisCredentials> LoadRedisCredentials(EnvReader& env,
                                                             std::string_view prefix) {
  const absl::string_view p(prefix.data(), prefix.size());  // Debian's Abseil: not std's
  const std::string user_var = absl::StrCat(p, "USERNAME");
  const std::string password_var = absl::StrCat(p, "PASSWORD");
  cache::RedisCredentials credentials;
  credentials.username = env.String(user_var.c_str(), "");
  credentials.password = env.Secret(password_var.c_str());
  if (absl::Status s = env.status(); !s.ok()) return s;
  if (!credentials.username.empty() && credentials.password.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(user_var, " is set but neither ", password_var,
                                                   " nor ", password_var, "_FILE"));
  }
  return credentials;
}

absl::Status LoadSharedConfig(EnvReader& env, SharedConfig* c) {
  c->bind = env.String("STELLENWERK_BIND", c->bind);
  c->jwt_hs256_secret = env.String("STELLENWERK_JWT_HS256_SECRET", c->jwt_hs256_secret);
  c->jwt_rs256_public_key_file =
      env.String("STELLENWERK_JWT_RS256_PUBLIC_KEY_FILE", c->jwt_rs256_public_key_file);
  c->jwt_jwks_file = env.String("STELLENWERK_JWT_JWKS_FILE", c->jwt_jwks_file);
  c->log_level = env.String("STELLENWERK_LOG_LEVEL", c->log_level);
  const std::string redis = env.String("STELLENWERK_REDIS_ADDR", "");
  if (!redis.empty()) {
    auto parsed = cache::ParseRedisEndpoints(redis, "STELLENWERK_REDIS_ADDR");
    if (!parsed.ok()) return parsed.status();
    if (parsed->size() != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("STELLENWERK_REDIS_ADDR=\"", redis, "\" is not one host:port"));
    }
    c->redis_host = parsed->front().host;
    c->redis_port = parsed->front().port;
  }
  c->redis_sentinel_master =
      env.String("STELLENWERK_REDIS_SENTINEL_MASTER", c->redis_sentinel_master);
  const std::string sentinels = env.String("STELLENWERK_REDIS_SENTINELS", "");
  if (!sentinels.empty()) {
    auto parsed = cache::ParseRedisEndpoints(sentinels, "STELLENWERK_REDIS_SENTINELS");
    if (!parsed.ok()) return parsed.status();
    c->redis_sentinels = *std::move(parsed);
  }
  auto auth = LoadRedisCredentials(env, "STELLENWERK_REDIS_");
  if (!auth.ok()) return auth.status();
  c->redis_auth = *std::move(auth);
  auto sentinel_auth = LoadRedisCredentials(env, "STELLENWERK_REDIS_SENTINEL_");
  if (!sentinel_auth.ok()) return sentinel_auth.status();
  c->redis_sentinel_auth = *std::move(sentinel_auth);
  if (absl::Status s = env.status(); !s.ok()) return s;
  static constexpr std::string_view kLevels[] = {"trace", "debug", "info", "warn", "error"};
  if (std::find(std::begin(kLevels), std::end(kLevels), c->log_level) == std::end(kLevels)) {
    return absl::InvalidArgumentError(absl::StrCat("STELLENWERK_LOG_LEVEL=\"", c->log_level,
                                                   "\" is not trace|debug|info|warn|error"));
  }
  return absl::OkStatus();
}

absl::StatusOr<RuntimeConfig> LoadRuntimeConfig(std::string service, int default_grpc_port,
                                                int default_metrics_port, EnvReader& env) {
  RuntimeConfig c;
  c.service = std::move(service);
  c.grpc_port = env.Int("STELLENWERK_GRPC_PORT", default_grpc_port, 0, 65535);
  c.metrics_port = env.Int("STELLENWERK_METRICS_PORT", default_metrics_port, 0, 65535);
  c.pg_uri = env.RequiredString("STELLENWERK_PG_URI");
  c.pg_pool_size = env.Int("STELLENWERK_PG_POOL_SIZE", c.pg_pool_size, 1, 256);
  c.pg_statement_timeout = env.Duration("STELLENWERK_PG_STATEMENT_TIMEOUT", c.pg_statement_timeout);
  c.amqp_uri = env.RequiredString("STELLENWERK_AMQP_URI");
  c.amqp_queue_type = env.String("STELLENWERK_AMQP_QUEUE_TYPE", c.amqp_queue_type);
  c.amqp_prefetch = env.Int("STELLENWERK_AMQP_PREFETCH", c.amqp_prefetch, 1, 65535);
  c.consumer_max_attempts =
      env.Int("STELLENWERK_CONSUMER_MAX_ATTEMPTS", c.consumer_max_attempts, 1, 1000);
  c.fake_clock = env.Bool("STELLENWERK_FAKE_CLOCK", false);
  c.workers = env.Int("STELLENWERK_WORKERS", c.workers, 1, 1024);
  c.worker_queue = env.Int("STELLENWERK_WORKER_QUEUE", c.worker_queue, 1, 1 << 20);
  c.shutdown_grace = env.Duration("STELLENWERK_SHUTDOWN_GRACE", c.shutdown_grace);
  c.outbox_poll = env.Duration("STELLENWERK_OUTBOX_POLL", c.outbox_poll);
  c.timer_poll = env.Duration("STELLENWERK_TIMER_POLL", c.timer_poll);
  // The shared part also reports any problem recorded above (env.status()).
  if (absl::Status s = LoadSharedConfig(env, &c); !s.ok()) return s;

  if (c.amqp_queue_type != "classic" && c.amqp_queue_type != "quorum") {
    return absl::InvalidArgumentError(absl::StrCat(
        "STELLENWERK_AMQP_QUEUE_TYPE=\"", c.amqp_queue_type, "\" is not classic or quorum"));
  }
  // A service verifies every call: it needs a key (the gateway, which only picks rate-limit
  // buckets by it, does not).
  if (c.jwt_hs256_secret.empty() && c.jwt_rs256_public_key_file.empty() &&
      c.jwt_jwks_file.empty()) {
    return absl::InvalidArgumentError(
        "one of STELLENWERK_JWT_JWKS_FILE, STELLENWERK_JWT_RS256_PUBLIC_KEY_FILE or "
        "STELLENWERK_JWT_HS256_SECRET is required");
  }
  if (c.pg_uri.rfind("postgres", 0) != 0) {
    return absl::InvalidArgumentError("STELLENWERK_PG_URI must start with postgresql://");
  }
  if (c.amqp_uri.rfind("amqp://", 0) != 0) {
    return absl::InvalidArgumentError("STELLENWERK_AMQP_URI must start with amqp://");
  }
  return c;
}

RuntimeConfig LoadRuntimeConfigOrExit(std::string service, int default_grpc_port,
                                      int default_metrics_port) {
  EnvReader env;
  auto config = LoadRuntimeConfig(service, default_grpc_port, default_metrics_port, env);
  if (!config.ok()) ExitWithConfigError(service, config.status());
  return *std::move(config);
}

}  // namespace stellenwerk::config
