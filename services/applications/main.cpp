// stellenwerk-applications: applications from submission to hiring.
#include "common/logging/log.h"
#include "services/applications/app.h"

int main() {
  using namespace stellenwerk;
  Runtime::BlockTerminationSignals();
  auto config =
      config::LoadRuntimeConfigOrExit(applications::kServiceName, applications::kDefaultGrpcPort,
                                      applications::kDefaultMetricsPort);
  config::EnvReader env;
  applications::ApplicationsOptions options = applications::LoadApplicationsOptions(env);
  if (!env.status().ok()) config::ExitWithConfigError(config.service, env.status());
  logging::Init(config.service, config.log_level);
  applications::ApplicationsApp app(std::move(config), std::move(options));
  if (absl::Status s = app.Init(); !s.ok()) {
    spdlog::critical("cannot start: {}", s.message());
    return 1;
  }
  return app.runtime().Run();
}
