#pragma once
// Wiring of the applications service, shared by main.cpp and in-process tests.

#include <memory>

#include "common/config/env.h"
#include "common/runtime/runtime.h"
#include "services/applications/adapters/pg_application_store.h"
#include "services/applications/api/application_grpc_service.h"
#include "services/applications/domain/application_service.h"

namespace stellenwerk::applications {

inline constexpr char kServiceName[] = "applications";
inline constexpr int kDefaultGrpcPort = 50052;
inline constexpr int kDefaultMetricsPort = 9102;

struct ApplicationsOptions {
  // STELLENWERK_POSTINGS_ADDR: host:port of the postings service, asked about a posting whose
  // events have not arrived (docs/decisions/0015); empty = events only.
  std::string postings_addr;
};

// Reads ApplicationsOptions from the environment (problems recorded in `env`).
ApplicationsOptions LoadApplicationsOptions(config::EnvReader& env);

class ApplicationsApp {
 public:
  explicit ApplicationsApp(config::RuntimeConfig config, ApplicationsOptions options = {});
  absl::Status Init();
  Runtime& runtime() { return runtime_; }
  ApplicationService& service() { return *service_; }
  PgApplicationStore& store() { return *store_; }

 private:
  Runtime runtime_;
  ApplicationsOptions options_;
  std::unique_ptr<PgApplicationStore> store_;
  std::unique_ptr<PostingDirectory> postings_;
  std::unique_ptr<ApplicationService> service_;
  std::unique_ptr<ApplicationGrpcService> grpc_;
};

}  // namespace stellenwerk::applications
