#pragma once
// Wiring of the applications service, shared by main.cpp and in-process tests.

#include <memory>

#include "common/runtime/runtime.h"
#include "services/applications/adapters/pg_application_store.h"
#include "services/applications/api/application_grpc_service.h"
#include "services/applications/domain/application_service.h"

namespace stellenwerk::applications {

inline constexpr char kServiceName[] = "applications";
inline constexpr int kDefaultGrpcPort = 50052;
inline constexpr int kDefaultMetricsPort = 9102;

class ApplicationsApp {
 public:
  explicit ApplicationsApp(config::RuntimeConfig config);
  absl::Status Init();
  Runtime& runtime() { return runtime_; }
  ApplicationService& service() { return *service_; }
  PgApplicationStore& store() { return *store_; }

 private:
  Runtime runtime_;
  std::unique_ptr<PgApplicationStore> store_;
  std::unique_ptr<ApplicationService> service_;
  std::unique_ptr<ApplicationGrpcService> grpc_;
};

}  // namespace stellenwerk::applications
