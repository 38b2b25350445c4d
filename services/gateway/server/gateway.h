#pragma once
// stellenwerk-gateway: the REST/JSON edge (CONTRACT.md "REST", docs/decisions/0027-0029).
// An asynchronous Boost.Beast HTTP/1.1 server (keep-alive) that transcodes every route
// declared with google.api.http on the services' RPCs into a generic gRPC call, streams
// multipart uploads into UploadDocument, limits rates in Redis, and serves the portal,
// /openapi.json, /healthz and /metrics.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/config/env.h"

namespace stellenwerk::gateway {

inline constexpr char kServiceName[] = "gateway";
inline constexpr int kDefaultHttpPort = 8080;

// Every upstream the gateway knows, by the short name of its proto package.
inline const std::vector<std::string> kUpstreams = {"postings", "applications", "scheduling",
                                                    "notifications", "coordination"};

struct GatewayConfig {
  std::string bind = "127.0.0.1";    // STELLENWERK_BIND
  int http_port = kDefaultHttpPort;  // STELLENWERK_HTTP_PORT (0 = pick a free port)
  // STELLENWERK_<NAME>_ADDR per upstream, e.g. STELLENWERK_POSTINGS_ADDR=127.0.0.1:50051.
  // An upstream without an address is "not there": its routes answer 503.
  std::map<std::string, std::string> upstreams;
  std::string redis_host;  // STELLENWERK_REDIS_ADDR host:port ("" = no rate limiting)
  int redis_port = 6379;
  std::string jwt_hs256_secret;  // STELLENWERK_JWT_HS256_SECRET (the dev sign-in signs with it)
  bool dev_signin = false;       // STELLENWERK_GATEWAY_DEV_SIGNIN=1
  std::string portal_dir;        // STELLENWERK_PORTAL_DIR
  std::vector<std::string> cors_origins;        // STELLENWERK_GATEWAY_CORS_ORIGINS ("*" or a list)
  size_t max_body_bytes = 1 << 20;              // STELLENWERK_GATEWAY_MAX_BODY_BYTES
  size_t max_upload_bytes = 25 << 20;           // STELLENWERK_GATEWAY_MAX_UPLOAD_BYTES
  size_t upload_chunk_bytes = 64 << 10;         // STELLENWERK_GATEWAY_UPLOAD_CHUNK_BYTES
  absl::Duration deadline = absl::Seconds(10);  // STELLENWERK_GATEWAY_DEADLINE, per gRPC call
  int rate_limit_per_minute = 600;  // STELLENWERK_GATEWAY_RATE_LIMIT, per client and route
  int threads = 2;                  // STELLENWERK_GATEWAY_THREADS (I/O threads)
  int workers = 8;                  // STELLENWERK_GATEWAY_WORKERS (blocking upload calls)
  absl::Duration idle_timeout = absl::Seconds(30);  // keep-alive idle limit
  std::string log_level = "info";                   // STELLENWERK_LOG_LEVEL
};

absl::Status LoadGatewayConfig(config::EnvReader& env, GatewayConfig* out);

class Gateway {
 public:
  explicit Gateway(GatewayConfig config);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Builds the routes from the descriptors, binds and starts the I/O threads.
  absl::Status Start();
  int port() const;
  // Stops accepting, closes connections and joins the threads.
  void Stop();
  // Blocks until SIGINT/SIGTERM (signals blocked by the caller), then stops.
  void WaitForTermination();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace stellenwerk::gateway
