// stellenwerk-notifications: every person hears what concerns them, exactly once, by mail
// (SMTP) and in the portal inbox.
#include "common/logging/log.h"
#include "services/notifications/app.h"

int main() {
  using namespace stellenwerk;
  Runtime::BlockTerminationSignals();
  auto config =
      config::LoadRuntimeConfigOrExit(notifications::kServiceName, notifications::kDefaultGrpcPort,
                                      notifications::kDefaultMetricsPort);
  auto smtp = notifications::LoadSmtpConfigOrExit();
  logging::Init(config.service, config.log_level);
  notifications::NotificationsApp app(std::move(config), std::move(smtp));
  if (absl::Status s = app.Init(); !s.ok()) {
    spdlog::critical("cannot start: {}", s.message());
    return 1;
  }
  return app.runtime().Run();
}
