#pragma once
// Prometheus metrics: one registry per process, served on STELLENWERK_METRICS_PORT, and a
// gRPC server interceptor that counts and times every RPC by method and status code.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "grpcpp/support/server_interceptor.h"
#include "prometheus/counter.h"
#include "prometheus/exposer.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace stellenwerk::metrics {

// Values read when Prometheus scrapes, for state held elsewhere (a table's backlog, a
// component's own counters): each a gauge or counter with the service label and its own
// labels. A reader that returns nullopt (e.g. the database is down) leaves its sample out.
class Sampled final : public prometheus::Collectable {
 public:
  enum class Kind { kGauge, kCounter };
  using Read = std::function<std::optional<double>()>;

  explicit Sampled(std::string service) : service_(std::move(service)) {}
  void Add(std::string name, std::string help, Kind kind, Read read,
           std::map<std::string, std::string> labels = {});
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  struct Entry {
    std::string name, help;
    Kind kind;
    Read read;
    std::map<std::string, std::string> labels;
  };
  const std::string service_;
  mutable std::mutex mu_;
  std::vector<Entry> entries_;  // guarded by mu_ (std::mutex: see redis_cache.h)
};

class Metrics {
 public:
  explicit Metrics(std::string service);
  // Starts the HTTP endpoint (/metrics) on bind:port; port 0 means none.
  void Serve(const std::string& bind, int port);

  prometheus::Registry& registry() { return *registry_; }
  prometheus::Family<prometheus::Counter>& rpc_handled() { return *rpc_handled_; }
  prometheus::Family<prometheus::Histogram>& rpc_seconds() { return *rpc_seconds_; }
  // Metrics sampled at scrape time (outbox and timer lag, consumer redeliveries, ...).
  Sampled& sampled() { return *sampled_; }

  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> InterceptorFactory();

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<Sampled> sampled_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  prometheus::Family<prometheus::Counter>* rpc_handled_;
  prometheus::Family<prometheus::Histogram>* rpc_seconds_;
};

}  // namespace stellenwerk::metrics
