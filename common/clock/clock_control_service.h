#pragma once
// stellenwerk.testing.v1.ClockControl: registered only with STELLENWERK_FAKE_CLOCK=1. Each
// change is stored in the service's schema, so a restarted service keeps its last fake time.

#include <optional>

#include "common/clock/clock.h"
#include "common/concurrency/worker_pool.h"
#include "common/pg/pool.h"
#include "stellenwerk/testing/v1/clock.grpc.pb.h"

namespace stellenwerk {

class ClockControlService final : public testing::v1::ClockControl::CallbackService {
 public:
  ClockControlService(FakeClock& clock, pg::Pool& db, concurrency::WorkerPool& pool)
      : clock_(clock), db_(db), pool_(pool) {}

  grpc::ServerUnaryReactor* SetTime(grpc::CallbackServerContext* context,
                                    const testing::v1::SetTimeRequest* request,
                                    testing::v1::ClockState* response) override;
  grpc::ServerUnaryReactor* Advance(grpc::CallbackServerContext* context,
                                    const testing::v1::AdvanceRequest* request,
                                    testing::v1::ClockState* response) override;
  grpc::ServerUnaryReactor* GetTime(grpc::CallbackServerContext* context,
                                    const testing::v1::GetTimeRequest* request,
                                    testing::v1::ClockState* response) override;

  // The stored fake time, if any (used at start-up).
  static std::optional<absl::Time> Load(pg::Pool& db);

 private:
  grpc::ServerUnaryReactor* Change(grpc::CallbackServerContext* context,
                                   std::function<void()> change, testing::v1::ClockState* response);

  FakeClock& clock_;
  pg::Pool& db_;
  concurrency::WorkerPool& pool_;
};

}  // namespace stellenwerk
