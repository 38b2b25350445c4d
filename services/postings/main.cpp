// stellenwerk-postings: job postings of public employers.
#include "common/logging/log.h"
#include "services/postings/app.h"

int main() {
  using namespace stellenwerk;
  Runtime::BlockTerminationSignals();
  auto config = config::LoadRuntimeConfigOrExit(postings::kServiceName, postings::kDefaultGrpcPort,
                                                postings::kDefaultMetricsPort);
  logging::Init(config.service, config.log_level);
  postings::PostingsApp app(std::move(config));
  if (absl::Status s = app.Init(); !s.ok()) {
    spdlog::critical("cannot start: {}", s.message());
    return 1;
  }
  return app.runtime().Run();
}
