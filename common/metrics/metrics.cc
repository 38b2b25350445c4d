#include "common/metrics/metrics.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/grpc/status_name.h"

namespace stellenwerk::metrics {
namespace {

class RpcInterceptor final : public grpc::experimental::Interceptor {
 public:
  RpcInterceptor(Metrics& metrics, std::string method)
      : metrics_(metrics), method_(std::move(method)), start_(std::chrono::steady_clock::now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
      metrics_.rpc_handled()
          .Add({{"method", method_}, {"code", rpc::StatusCodeName(status.error_code())}})
          .Increment();
      metrics_.rpc_seconds()
          .Add({{"method", method_}},
               prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                       0.05, 0.1, 0.25, 0.5, 1, 2.5, 5})
          .Observe(seconds);
    }
    methods->Proceed();
  }

 private:
  Metrics& metrics_;
  std::string method_;
  std::chrono::steady_clock::time_point start_;
};

class RpcInterceptorFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit RpcInterceptorFactory(Metrics& metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new RpcInterceptor(metrics_, info->method());
  }

 private:
  Metrics& metrics_;
};

}  // namespace

Metrics::Metrics(std::string service)
    : registry_(std::make_shared<prometheus::Registry>()),
      sampled_(std::make_shared<Sampled>(service)) {
  rpc_handled_ = &prometheus::BuildCounter()
                      .Name("grpc_server_handled_total")
                      .Help("RPCs completed, by method and status code")
                      .Labels({{"service", service}})
                      .Register(*registry_);
  rpc_seconds_ = &prometheus::BuildHistogram()
                      .Name("grpc_server_handling_seconds")
                      .Help("RPC latency from arrival to status")
                      .Labels({{"service", service}})
                      .Register(*registry_);
}

void Sampled::Add(std::string name, std::string help, Kind kind, Read read,
                  std::map<std::string, std::string> labels) {
  std::lock_guard lock(mu_);
  entries_.push_back({std::move(name), std::move(help), kind, std::move(read), std::move(labels)});
}

std::vector<prometheus::MetricFamily> Sampled::Collect() const {
  std::vector<Entry> entries;
  {
    std::lock_guard lock(mu_);
    entries = entries_;
  }
  std::vector<prometheus::MetricFamily> out;
  for (const Entry& e : entries) {
    const std::optional<double> value = e.read();
    if (!value.has_value()) continue;
    prometheus::ClientMetric m;
    m.label.push_back({"service", service_});
    for (const auto& [k, v] : e.labels) m.label.push_back({k, v});
    if (e.kind == Kind::kGauge) {
      m.gauge.value = *value;
    } else {
      m.counter.value = *value;
    }
    out.push_back(prometheus::MetricFamily{
        e.name,
        e.help,
        e.kind == Kind::kGauge ? prometheus::MetricType::Gauge : prometheus::MetricType::Counter,
        {std::move(m)}});
  }
  return out;
}

void Metrics::Serve(const std::string& bind, int port) {
  if (port == 0) return;
  exposer_ = std::make_unique<prometheus::Exposer>(absl::StrCat(bind, ":", port));
  exposer_->RegisterCollectable(registry_);
  exposer_->RegisterCollectable(sampled_);
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
Metrics::InterceptorFactory() {
  return std::make_unique<RpcInterceptorFactory>(*this);
}

}  // namespace stellenwerk::metrics
