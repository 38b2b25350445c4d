#pragma once
// Wiring of the coordination service, shared by main.cpp and in-process tests.

#include <memory>

#include "common/runtime/runtime.h"
#include "services/coordination/adapters/pg_coordination_store.h"
#include "services/coordination/api/coordination_grpc_service.h"
#include "services/coordination/domain/coordination_service.h"

namespace stellenwerk::coordination {

inline constexpr char kServiceName[] = "coordination";
inline constexpr int kDefaultGrpcPort = 50055;
inline constexpr int kDefaultMetricsPort = 9105;

class CoordinationApp {
 public:
  explicit CoordinationApp(config::RuntimeConfig config);
  // Migrates and wires everything; then runtime().Start() or Run().
  absl::Status Init();
  Runtime& runtime() { return runtime_; }
  CoordinationService& service() { return *service_; }
  PgCoordinationStore& store() { return *store_; }

 private:
  Runtime runtime_;
  std::unique_ptr<PgCoordinationStore> store_;
  std::unique_ptr<CoordinationService> service_;
  std::unique_ptr<CoordinationGrpcService> grpc_;
};

}  // namespace stellenwerk::coordination
