// stellenwerk-scheduling: selection days (written task and structured interview), their
// slots and the applicants' bookings, with calendar entries and reminders.
#include "common/logging/log.h"
#include "services/scheduling/app.h"

int main() {
  using namespace stellenwerk;
  Runtime::BlockTerminationSignals();
  auto config = config::LoadRuntimeConfigOrExit(
      scheduling::kServiceName, scheduling::kDefaultGrpcPort, scheduling::kDefaultMetricsPort);
  config::EnvReader env;
  scheduling::SchedulingOptions options = scheduling::LoadSchedulingOptions(env);
  if (!env.status().ok()) config::ExitWithConfigError(config.service, env.status());
  logging::Init(config.service, config.log_level);
  scheduling::SchedulingApp app(std::move(config), options);
  if (absl::Status s = app.Init(); !s.ok()) {
    spdlog::critical("cannot start: {}", s.message());
    return 1;
  }
  return app.runtime().Run();
}
