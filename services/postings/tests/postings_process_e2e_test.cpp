// The postings binary as operators run it: health per service name (NOT_SERVING while
// Postgres is unreachable), metrics over HTTP, the clock-control service only in fake-clock
// mode, and a graceful exit on SIGTERM.
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/testing/process.h"
#include "common/testing/test_env.h"
#include "google/protobuf/util/time_util.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "stellenwerk/testing/v1/clock.grpc.pb.h"

namespace stellenwerk::testing {
namespace {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

class PostingsProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    infra_ = TestInfra::FromEnv();
    if (!infra_ || infra_->build_dir.empty()) GTEST_SKIP() << "needs scripts/test infrastructure";
    const auto at = infra_->pg_uri.rfind(':');
    const auto slash = infra_->pg_uri.find('/', at);
    pg_port_ = std::atoi(infra_->pg_uri.substr(at + 1, slash - at - 1).c_str());
  }

  std::unique_ptr<ChildProcess> Start(TcpProxy& pg, bool fake_clock) {
    grpc_port_ = FreePort();
    metrics_port_ = FreePort();
    std::map<std::string, std::string> env = {
        {"STELLENWERK_PG_URI",
         absl::StrCat("postgresql://stellenwerk@127.0.0.1:", pg.port(), "/stellenwerk")},
        {"STELLENWERK_AMQP_URI", infra_->amqp_uri},
        {"STELLENWERK_REDIS_ADDR", infra_->redis_addr},
        {"STELLENWERK_JWT_HS256_SECRET", infra_->jwt_secret},
        {"STELLENWERK_GRPC_PORT", std::to_string(grpc_port_)},
        {"STELLENWERK_METRICS_PORT", std::to_string(metrics_port_)},
        {"STELLENWERK_BIND", "127.0.0.1"},
        {"STELLENWERK_FAKE_CLOCK", fake_clock ? "1" : "0"},
        {"STELLENWERK_SHUTDOWN_GRACE", "3s"},
        {"STELLENWERK_PG_STATEMENT_TIMEOUT", "2s"},
        {"TZDIR", "/usr/share/zoneinfo"},
    };
    auto child = std::make_unique<ChildProcess>(
        infra_->build_dir + "/services/postings/stellenwerk-postings", env,
        infra_->build_dir + "/postings_process_test.log");
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", grpc_port_),
                                   grpc::InsecureChannelCredentials());
    health_ = grpc::health::v1::Health::NewStub(channel_);
    return child;
  }

  HealthCheckResponse::ServingStatus Health(const std::string& service, grpc::Status* status) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    HealthCheckRequest req;
    req.set_service(service);
    HealthCheckResponse resp;
    *status = health_->Check(&ctx, req, &resp);
    return resp.status();
  }

  bool Becomes(const std::string& service, HealthCheckResponse::ServingStatus want) {
    return WaitFor(
        [&] {
          grpc::Status s;
          return Health(service, &s) == want && s.ok();
        },
        absl::Seconds(30), absl::Milliseconds(100));
  }

  std::optional<TestInfra> infra_;
  int pg_port_ = 0;
  int grpc_port_ = 0;
  int metrics_port_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
};

TEST_F(PostingsProcessTest, HealthFollowsPostgresMetricsAreServedAndSigtermExitsCleanly) {
  TcpProxy pg(pg_port_);
  auto service = Start(pg, /*fake_clock=*/false);
  ASSERT_TRUE(Becomes("", HealthCheckResponse::SERVING));
  ASSERT_TRUE(Becomes("stellenwerk.postings.v1.PostingService", HealthCheckResponse::SERVING));
  grpc::Status unknown;
  Health("no.such.Service", &unknown);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);

  // Without STELLENWERK_FAKE_CLOCK the clock cannot be touched.
  auto clock = stellenwerk::testing::v1::ClockControl::NewStub(channel_);
  grpc::ClientContext ctx;
  stellenwerk::testing::v1::ClockState state;
  EXPECT_EQ(clock->GetTime(&ctx, {}, &state).error_code(), grpc::StatusCode::UNIMPLEMENTED);

  // Per-RPC metrics (the health checks above are RPCs too).
  const std::string metrics = HttpGet(metrics_port_, "/metrics");
  EXPECT_NE(metrics.find("grpc_server_handled_total"), std::string::npos) << metrics.substr(0, 300);
  EXPECT_NE(metrics.find("/grpc.health.v1.Health/Check"), std::string::npos);

  // Postgres goes away: NOT_SERVING; it comes back: SERVING again.
  pg.Stop();
  EXPECT_TRUE(Becomes("stellenwerk.postings.v1.PostingService", HealthCheckResponse::NOT_SERVING));
  pg.Start();
  EXPECT_TRUE(Becomes("stellenwerk.postings.v1.PostingService", HealthCheckResponse::SERVING));

  EXPECT_EQ(service->Terminate(15'000), 0);
}

TEST_F(PostingsProcessTest, FakeClockModeOffersClockControlAndKeepsItsTimeAcrossRestarts) {
  TcpProxy pg(pg_port_);
  auto service = Start(pg, /*fake_clock=*/true);
  ASSERT_TRUE(Becomes("", HealthCheckResponse::SERVING));
  auto clock = stellenwerk::testing::v1::ClockControl::NewStub(channel_);
  const auto t = google::protobuf::util::TimeUtil::SecondsToTimestamp(1'800'000'000);
  {
    grpc::ClientContext ctx;
    stellenwerk::testing::v1::SetTimeRequest req;
    *req.mutable_time() = t;
    stellenwerk::testing::v1::ClockState state;
    ASSERT_TRUE(clock->SetTime(&ctx, req, &state).ok());
    EXPECT_EQ(state.time().seconds(), 1'800'000'000);
  }
  {
    grpc::ClientContext ctx;
    stellenwerk::testing::v1::AdvanceRequest req;
    req.mutable_duration()->set_seconds(3600);
    stellenwerk::testing::v1::ClockState state;
    ASSERT_TRUE(clock->Advance(&ctx, req, &state).ok());
    EXPECT_EQ(state.time().seconds(), 1'800'003'600);
  }
  ASSERT_EQ(service->Terminate(15'000), 0);

  service = Start(pg, /*fake_clock=*/true);
  ASSERT_TRUE(Becomes("", HealthCheckResponse::SERVING));
  clock = stellenwerk::testing::v1::ClockControl::NewStub(channel_);
  grpc::ClientContext ctx;
  stellenwerk::testing::v1::ClockState state;
  ASSERT_TRUE(clock->GetTime(&ctx, {}, &state).ok());
  EXPECT_EQ(state.time().seconds(), 1'800'003'600);
  EXPECT_EQ(service->Terminate(15'000), 0);
}

}  // namespace
}  // namespace stellenwerk::testing
