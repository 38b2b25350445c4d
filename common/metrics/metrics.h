#pragma once
// Prometheus metrics: one registry per process, served on STELLENWERK_METRICS_PORT, and a
// gRPC server interceptor that counts and times every RPC by method and status code.

#include <memory>
#include <string>

#include "grpcpp/support/server_interceptor.h"
#include "prometheus/counter.h"
#include "prometheus/exposer.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace stellenwerk::metrics {

class Metrics {
 public:
  explicit Metrics(std::string service);
  // Starts the HTTP endpoint (/metrics) on bind:port; port 0 means none.
  void Serve(const std::string& bind, int port);

  prometheus::Registry& registry() { return *registry_; }
  prometheus::Family<prometheus::Counter>& rpc_handled() { return *rpc_handled_; }
  prometheus::Family<prometheus::Histogram>& rpc_seconds() { return *rpc_seconds_; }

  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> InterceptorFactory();

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  prometheus::Family<prometheus::Counter>* rpc_handled_;
  prometheus::Family<prometheus::Histogram>* rpc_seconds_;
};

}  // namespace stellenwerk::metrics
