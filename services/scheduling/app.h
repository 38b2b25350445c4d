#pragma once
// Wiring of the scheduling service, shared by main.cpp and in-process tests.

#include <memory>

#include "common/config/env.h"
#include "common/runtime/runtime.h"
#include "services/scheduling/adapters/pg_scheduling_store.h"
#include "services/scheduling/api/scheduling_grpc_service.h"

namespace stellenwerk::scheduling {

inline constexpr char kServiceName[] = "scheduling";
inline constexpr int kDefaultGrpcPort = 50053;
inline constexpr int kDefaultMetricsPort = 9103;

struct SchedulingOptions {
  // STELLENWERK_SCHEDULING_REMINDER_LEAD: how long before a booking its reminder fires.
  absl::Duration reminder_lead = absl::Hours(48);
  // STELLENWERK_SCHEDULING_INTERNSHIP_MIN_LEAD_DAYS: the hard floor between an internship
  // request and its start (seed 000 advises nine months; the floor is the department's).
  int internship_min_lead_days = 28;
};
SchedulingOptions LoadSchedulingOptions(config::EnvReader& env);

class SchedulingApp {
 public:
  explicit SchedulingApp(config::RuntimeConfig config, SchedulingOptions options = {});
  // Migrates and wires everything; then runtime().Start() or Run().
  absl::Status Init();
  Runtime& runtime() { return runtime_; }
  PgSchedulingStore& store() { return *store_; }

 private:
  void RegisterConsumers();

  Runtime runtime_;
  const SchedulingOptions options_;
  std::unique_ptr<PgSchedulingStore> store_;
  std::unique_ptr<SchedulingGrpcService> grpc_;
};

}  // namespace stellenwerk::scheduling
