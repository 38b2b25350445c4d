#pragma once
// stellenwerk-gateway: the REST/JSON edge (CONTRACT.md "REST", docs/decisions/0027-0029).
// An asynchronous Boost.Beast HTTP/1.1 server (keep-alive) that transcodes every route
// declared with google.api.http on the services' RPCs into a generic gRPC call, streams
// multipart uploads into UploadDocument, streams downloads out of server-streaming RPCs,
// limits rates in Redis, and serves the portal, /openapi.json, /healthz (deep), /livez and
// /readyz (shallow, for probes) and /metrics.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/cache/redis_cache.h"
#include "common/clock/clock.h"
#include "common/config/env.h"
#include "common/config/runtime_config.h"

namespace stellenwerk::gateway {

inline constexpr char kServiceName[] = "gateway";
inline constexpr int kDefaultHttpPort = 8080;

// Every upstream the gateway knows, by the short name of its proto package.
inline const std::vector<std::string> kUpstreams = {"postings", "applications", "scheduling",
                                                    "notifications", "coordination"};

// The shared settings (STELLENWERK_BIND, the Redis and token-key settings, STELLENWERK_LOG_LEVEL:
// common/config's SharedConfig, read by the same LoadSharedConfig as the services') and the
// gateway's own. The gateway verifies a bearer token only to choose its rate-limit bucket
// (docs/decisions/0045; the services still verify every call), so no key is required; Redis
// ("" = no rate limiting) holds the rate-limit counters under redis_prefix.
struct GatewayConfig : config::SharedConfig {
  GatewayConfig() { bind = "127.0.0.1"; }  // STELLENWERK_BIND's default for the gateway

  int http_port = kDefaultHttpPort;  // STELLENWERK_HTTP_PORT (0 = pick a free port)
  // STELLENWERK_<NAME>_ADDR per upstream, e.g. STELLENWERK_POSTINGS_ADDR=127.0.0.1:50051.
  // An upstream without an address is "not there": its routes answer 503.
  std::map<std::string, std::string> upstreams;
  std::string redis_prefix = "stw:gateway:";    // rate-limit keys (shared by every replica)
  bool dev_signin = false;                      // STELLENWERK_GATEWAY_DEV_SIGNIN=1
  std::string portal_dir;                       // STELLENWERK_PORTAL_DIR
  std::vector<std::string> cors_origins;        // STELLENWERK_GATEWAY_CORS_ORIGINS ("*" or a list)
  size_t max_body_bytes = 1 << 20;              // STELLENWERK_GATEWAY_MAX_BODY_BYTES
  size_t max_upload_bytes = 25 << 20;           // STELLENWERK_GATEWAY_MAX_UPLOAD_BYTES
  size_t upload_chunk_bytes = 64 << 10;         // STELLENWERK_GATEWAY_UPLOAD_CHUNK_BYTES
  absl::Duration deadline = absl::Seconds(10);  // STELLENWERK_GATEWAY_DEADLINE, per gRPC call
  // A streamed download as a whole: STELLENWERK_GATEWAY_STREAM_DEADLINE
  absl::Duration stream_deadline = absl::Minutes(5);
  // After SIGTERM: /readyz answers 503 for this long before the gateway stops accepting
  // (STELLENWERK_GATEWAY_DRAIN; the pod's preStop sleep does the same in a cluster).
  absl::Duration drain = absl::ZeroDuration();
  int rate_limit_per_minute = 600;  // STELLENWERK_GATEWAY_RATE_LIMIT, per client and route
  // A client address's limit per route when its callers carry verified tokens: this many
  // times the per-client limit (people behind one NAT). STELLENWERK_GATEWAY_RATE_LIMIT_IP_FACTOR
  int rate_limit_ip_factor = 10;
  // Proxies in front of the gateway that append to X-Forwarded-For (the Ingress: 1). The
  // client is the address the outermost of them saw; 0: the peer address.
  int trusted_proxies = 0;  // STELLENWERK_GATEWAY_TRUSTED_PROXIES
  int threads = 2;          // STELLENWERK_GATEWAY_THREADS (I/O threads)
  int workers = 8;          // STELLENWERK_GATEWAY_WORKERS (blocking upload calls)
  // The rate limit's own threads (STELLENWERK_GATEWAY_RATE_LIMIT_THREADS): the token check and
  // the Redis INCRs run there, off the I/O threads (docs/decisions/0052); past
  // rate_limit_queue waiting checks one runs on the I/O thread instead (never skipped).
  int rate_limit_threads = 8;
  size_t rate_limit_queue = 1024;
  absl::Duration idle_timeout = absl::Seconds(30);  // keep-alive idle limit
  // The rate limit's windows follow this clock (tests: a FakeClock); null = the system's.
  // Token lifetimes are always checked against the real time.
  const Clock* clock = nullptr;
};

// The shared part through config::LoadSharedConfig, then the gateway's own settings. Errors
// name the variable.
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
  // The most bytes a multipart parser held back between two pieces of an upload (tests: the
  // upload is streamed, not buffered).
  int64_t upload_buffered_max() const;
  // /readyz answers 503 from now on (the first step of stopping); /livez stays 200.
  void Drain();
  // Blocks until SIGINT/SIGTERM (signals blocked by the caller), then drains for
  // config.drain and stops.
  void WaitForTermination();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace stellenwerk::gateway
