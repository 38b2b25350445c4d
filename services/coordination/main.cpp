// stellenwerk-coordination: the city–district staffing procedure (SGB II JobAgentur) with its
// one-week objection window, base data and reimbursement.
#include "common/logging/log.h"
#include "services/coordination/app.h"

int main() {
  using namespace stellenwerk;
  Runtime::BlockTerminationSignals();
  auto config =
      config::LoadRuntimeConfigOrExit(coordination::kServiceName, coordination::kDefaultGrpcPort,
                                      coordination::kDefaultMetricsPort);
  logging::Init(config.service, config.log_level);
  coordination::CoordinationApp app(std::move(config));
  if (absl::Status s = app.Init(); !s.ok()) {
    spdlog::critical("cannot start: {}", s.message());
    return 1;
  }
  return app.runtime().Run();
}
