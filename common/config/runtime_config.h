#pragma once
// The settings every Stellenwerk process shares. SharedConfig is what the gRPC services and
// the REST gateway both read (where to listen, Redis, the token keys, the log level);
// RuntimeConfig adds what every gRPC service reads. A process's own settings are read by the
// process with the same EnvReader.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/cache/redis_cache.h"
#include "common/config/env.h"

namespace stellenwerk::config {

struct SharedConfig {
  std::string bind = "0.0.0.0";  // STELLENWERK_BIND (the gateway's default: 127.0.0.1)
  std::string redis_host;        // from STELLENWERK_REDIS_ADDR host:port ("" = no Redis)
  int redis_port = 6379;
  // STELLENWERK_REDIS_SENTINELS "host:port,..." (ADR 0048): find the primary through Redis
  // Sentinel instead (STELLENWERK_REDIS_ADDR is then not needed); master name from
  // STELLENWERK_REDIS_SENTINEL_MASTER.
  std::vector<cache::RedisEndpoint> redis_sentinels;
  std::string redis_sentinel_master = "stellenwerk";
  // Redis AUTH (ADR 0053), see LoadRedisCredentials: STELLENWERK_REDIS_USERNAME/_PASSWORD for
  // the primary, STELLENWERK_REDIS_SENTINEL_USERNAME/_PASSWORD for the Sentinels.
  cache::RedisCredentials redis_auth;
  cache::RedisCredentials redis_sentinel_auth;
  // Token verification keys; precedence when several are set: JWKS file, RS256 key, HS256.
  std::string jwt_hs256_secret;           // STELLENWERK_JWT_HS256_SECRET
  std::string jwt_rs256_public_key_file;  // STELLENWERK_JWT_RS256_PUBLIC_KEY_FILE
  std::string jwt_jwks_file;  // STELLENWERK_JWT_JWKS_FILE: several keys by kid, re-read on change
  std::string log_level = "info";  // STELLENWERK_LOG_LEVEL: trace|debug|info|warn|error
};

// Reads the shared settings into `out`, whose current values are the defaults (so a process
// keeps its own, e.g. the bind address). Errors name the variable; none of them is required.
absl::Status LoadSharedConfig(EnvReader& env, SharedConfig* out);

struct RuntimeConfig : SharedConfig {
  std::string service;   // "postings", also the Postgres schema and queue prefix
  int grpc_port = 0;     // STELLENWERK_GRPC_PORT (0 = pick a free port)
  int metrics_port = 0;  // STELLENWERK_METRICS_PORT (0 = no metrics endpoint)
  std::string pg_uri;    // STELLENWERK_PG_URI
  int pg_pool_size = 8;  // STELLENWERK_PG_POOL_SIZE
  absl::Duration pg_statement_timeout = absl::Seconds(10);  // STELLENWERK_PG_STATEMENT_TIMEOUT
  std::string amqp_uri;                                     // STELLENWERK_AMQP_URI
  std::string amqp_queue_type = "classic";  // STELLENWERK_AMQP_QUEUE_TYPE: classic | quorum
  int amqp_prefetch = 100;                  // STELLENWERK_AMQP_PREFETCH
  int consumer_max_attempts = 5;            // STELLENWERK_CONSUMER_MAX_ATTEMPTS
  bool fake_clock = false;                  // STELLENWERK_FAKE_CLOCK
  int workers = 16;                         // STELLENWERK_WORKERS: threads for blocking I/O
  int worker_queue = 2048;                  // STELLENWERK_WORKER_QUEUE: bounded backlog
  absl::Duration shutdown_grace = absl::Seconds(10);    // STELLENWERK_SHUTDOWN_GRACE
  absl::Duration outbox_poll = absl::Seconds(1);        // STELLENWERK_OUTBOX_POLL
  absl::Duration timer_poll = absl::Milliseconds(500);  // STELLENWERK_TIMER_POLL
};

// Redis credentials from <prefix>USERNAME and <prefix>PASSWORD or <prefix>PASSWORD_FILE
// (EnvReader::Secret); `prefix` is "STELLENWERK_REDIS_" (the primary) or
// "STELLENWERK_REDIS_SENTINEL_" (the Sentinels). A username without a password is refused.
// LoadSharedConfig reads them with this (the services and the gateway).
absl::StatusOr<cache::RedisCredentials> LoadRedisCredentials(EnvReader& env,
                                                             std::string_view prefix);

// Reads a gRPC service's settings (SharedConfig's among them); one token key is required.
// Errors name the variable.
absl::StatusOr<RuntimeConfig> LoadRuntimeConfig(std::string service, int default_grpc_port,
                                                int default_metrics_port, EnvReader& env);

// LoadRuntimeConfig, exiting with one clear line and status 2 on a bad value.
RuntimeConfig LoadRuntimeConfigOrExit(std::string service, int default_grpc_port,
                                      int default_metrics_port);

}  // namespace stellenwerk::config
