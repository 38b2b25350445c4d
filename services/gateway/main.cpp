// stellenwerk-gateway: the REST/JSON edge in front of the Stellenwerk services.
#include <csignal>

#include "common/logging/log.h"
#include "services/gateway/server/gateway.h"
#include "spdlog/spdlog.h"

int main() {
  using namespace stellenwerk;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  config::EnvReader env;
  gateway::GatewayConfig config;
  if (absl::Status s = gateway::LoadGatewayConfig(env, &config); !s.ok()) {
    config::ExitWithConfigError(gateway::kServiceName, s);
  }
  logging::Init(gateway::kServiceName, config.log_level);
  gateway::Gateway gw(std::move(config));
  if (absl::Status s = gw.Start(); !s.ok()) {
    spdlog::critical("cannot start: {}", s.message());
    return 1;
  }
  gw.WaitForTermination();
  return 0;
}
