#pragma once
// Everything a Stellenwerk service process stands on, wired once: configuration, logging,
// clock (real or fake), Postgres pool and migrations, Redis cache, outbox relay, event
// consumer, durable timers, JWT authentication, worker pool, gRPC server with health,
// reflection and metrics, and graceful shutdown. A service's main.cpp builds its adapters on
// these, registers its gRPC service, handlers and timers, and calls Run().
//
// Tests construct a Runtime in-process (port 0) and use Start()/Shutdown().

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "common/amqp/consumer.h"
#include "common/auth/authenticator.h"
#include "common/cache/cache.h"
#include "common/clock/clock.h"
#include "common/concurrency/worker_pool.h"
#include "common/config/runtime_config.h"
#include "common/grpc/call.h"
#include "common/metrics/metrics.h"
#include "common/outbox/events.h"
#include "common/outbox/outbox.h"
#include "common/pg/migrations.h"
#include "common/pg/pool.h"
#include "common/timers/timers.h"
#include "grpcpp/grpcpp.h"

namespace stellenwerk {

class ClockControlService;

class Runtime {
 public:
  explicit Runtime(config::RuntimeConfig config);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Connects to Postgres (retrying for up to `connect_wait`), applies the platform and the
  // given service migrations, and builds the parts. Call before anything else.
  absl::Status Init(const std::vector<pg::Migration>& service_migrations,
                    absl::Duration connect_wait = absl::Seconds(30));

  const config::RuntimeConfig& config() const { return config_; }
  const std::string& schema() const { return config_.service; }
  pg::Pool& db() { return *db_; }
  const Clock& clock() const { return *clock_; }
  FakeClock* fake_clock() { return fake_clock_; }  // null unless STELLENWERK_FAKE_CLOCK
  cache::Cache& cache() { return *cache_; }
  timers::Scheduler& timers() { return *timers_; }
  const auth::Authenticator& authn() const { return *authn_; }
  concurrency::WorkerPool& workers() { return *workers_; }
  metrics::Metrics& metrics() { return *metrics_; }
  outbox::Relay& relay() { return *relay_; }

  // The service's consumer on queue "stellenwerk.<service>", created on first use; the queue
  // is bound to the routing keys of the events it handles.
  amqp::Consumer& consumer();

  // An EventContext for publishing from a request (or "system" for timers/consumers).
  outbox::EventContext EventContextFor(std::string tenant_id, std::string correlation_id,
                                       std::string actor) const;

  // Runs fn on the worker pool and finishes the RPC with its status.
  grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* context, rpc::CallFn fn) {
    return rpc::RunUnary(context, *workers_, *authn_, std::move(fn));
  }
  // The same, answering on gRPC's thread when try_inline can (a hot read from memory).
  grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* context, rpc::InlineFn try_inline,
                                  rpc::CallFn fn) {
    return rpc::RunUnary(context, *workers_, *authn_, std::move(try_inline), std::move(fn));
  }

  // Registers a callback service and the health name it answers to.
  void AddService(grpc::Service* service, std::string health_name);

  // Starts the gRPC server, health watcher, metrics, relay, consumer and timers.
  absl::Status Start();
  int port() const { return port_; }

  // Graceful: NOT_SERVING, stop accepting, drain in-flight RPCs (up to shutdown_grace), stop
  // the consumer and timers, flush the outbox, stop the workers.
  void Shutdown();

  // Start(), block until SIGTERM/SIGINT, Shutdown(). Returns the process exit code.
  int Run();

  // Blocks SIGTERM/SIGINT in the calling thread (and every thread it creates later) so Run()
  // can wait for them; call first thing in main().
  static void BlockTerminationSignals();

 private:
  // Outbox and timer backlogs and the consumer's counters as metrics read at scrape time.
  void SampleBacklogs();
  void WatchHealth();
  void SetServing(bool serving);

  config::RuntimeConfig config_;
  std::unique_ptr<Clock> clock_;
  FakeClock* fake_clock_ = nullptr;
  std::unique_ptr<pg::Pool> db_;
  std::unique_ptr<cache::Cache> cache_;
  std::unique_ptr<auth::Authenticator> authn_;
  std::unique_ptr<concurrency::WorkerPool> workers_;
  std::unique_ptr<metrics::Metrics> metrics_;
  std::unique_ptr<outbox::Relay> relay_;
  std::unique_ptr<timers::Scheduler> timers_;
  std::unique_ptr<amqp::Consumer> consumer_;
  std::unique_ptr<ClockControlService> clock_control_;
  std::vector<std::pair<grpc::Service*, std::string>> services_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::thread health_thread_;
  std::atomic<bool> stopping_{false};
  bool started_ = false;
  bool shut_down_ = false;
};

}  // namespace stellenwerk
