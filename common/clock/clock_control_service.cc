#include "common/clock/clock_control_service.h"

#include "common/errors/errors.h"
#include "common/errors/grpc_status.h"
#include "google/protobuf/util/time_util.h"

namespace stellenwerk {
namespace {

using google::protobuf::util::TimeUtil;

void Fill(absl::Time t, testing::v1::ClockState* state) {
  *state->mutable_time() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

}  // namespace

std::optional<absl::Time> ClockControlService::Load(pg::Pool& db) {
  std::optional<absl::Time> out;
  absl::Status s = db.Read([&](pqxx::work& tx) {
    auto rows = tx.exec("SELECT now_micros FROM fake_clock");
    if (!rows.empty()) out = absl::FromUnixMicros(rows[0][0].as<int64_t>());
    return absl::OkStatus();
  });
  return s.ok() ? out : std::nullopt;
}

grpc::ServerUnaryReactor* ClockControlService::Change(grpc::CallbackServerContext* context,
                                                      std::function<void()> change,
                                                      testing::v1::ClockState* response) {
  auto* reactor = context->DefaultReactor();
  const bool queued = pool_.TrySubmit([this, reactor, change = std::move(change), response] {
    change();
    const absl::Time now = clock_.Now();
    absl::Status s = db_.Transact([&](pqxx::work& tx) {
      tx.exec_params(
          "INSERT INTO fake_clock (singleton, now_micros) VALUES (true, $1)"
          " ON CONFLICT (singleton) DO UPDATE SET now_micros = EXCLUDED.now_micros",
          absl::ToUnixMicros(now));
      return absl::OkStatus();
    });
    Fill(now, response);
    reactor->Finish(errors::ToGrpc(s));
  });
  if (!queued) reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE, "overloaded"));
  return reactor;
}

grpc::ServerUnaryReactor* ClockControlService::SetTime(grpc::CallbackServerContext* context,
                                                       const testing::v1::SetTimeRequest* request,
                                                       testing::v1::ClockState* response) {
  const absl::Time t = absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(request->time()));
  return Change(
      context, [this, t] { clock_.Set(t); }, response);
}

grpc::ServerUnaryReactor* ClockControlService::Advance(grpc::CallbackServerContext* context,
                                                       const testing::v1::AdvanceRequest* request,
                                                       testing::v1::ClockState* response) {
  const absl::Duration d =
      absl::Microseconds(TimeUtil::DurationToMicroseconds(request->duration()));
  if (d < absl::ZeroDuration()) {
    auto* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                 "duration: time only moves forward with Advance"));
    return reactor;
  }
  return Change(
      context, [this, d] { clock_.Advance(d); }, response);
}

grpc::ServerUnaryReactor* ClockControlService::GetTime(grpc::CallbackServerContext* context,
                                                       const testing::v1::GetTimeRequest*,
                                                       testing::v1::ClockState* response) {
  Fill(clock_.Now(), response);
  auto* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace stellenwerk
