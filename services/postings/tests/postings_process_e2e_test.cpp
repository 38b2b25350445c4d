// The postings binary as operators run it: health per service name (NOT_SERVING while
// Postgres is unreachable), metrics over HTTP, the clock-control service only in fake-clock
// mode, and a graceful exit on SIGTERM.
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/testing/harness.h"
#include "common/testing/process.h"
#include "google/protobuf/util/time_util.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/postings/tests/postings_testing.h"
#include "stellenwerk/testing/v1/clock.grpc.pb.h"

namespace stellenwerk::testing {
namespace {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

// Any fixed instant: these tests set the clock themselves where it matters.
const absl::Time kStart = absl::FromUnixSeconds(1'700'000'000);

class PostingsProcessTest : public ServiceTest {
 protected:
  static void SetUpTestSuite() { NewHarness(kStart); }
  void SetUp() override {
    ServiceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (infra().build_dir.empty()) {
      STW_SKIP("needs STELLENWERK_BUILD_DIR");
    }
    const std::string& uri = infra().pg_uri;
    const auto at = uri.rfind(':');
    const auto slash = uri.find('/', at);
    pg_port_ = std::atoi(uri.substr(at + 1, slash - at - 1).c_str());
  }

  // The binary, reaching Postgres through `pg` (which the test can cut off).
  ChildService& Start(TcpProxy& pg, bool fake_clock) {
    ChildService& service = postings::StartPostingsProcess(
        harness(),
        {.fake_clock = fake_clock,
         .env = {{"STELLENWERK_PG_URI",
                  absl::StrCat("postgresql://stellenwerk@127.0.0.1:", pg.port(), "/stellenwerk")},
                 {"STELLENWERK_SHUTDOWN_GRACE", "3s"},
                 {"STELLENWERK_PG_STATEMENT_TIMEOUT", "2s"}},
         .log_name = "postings_process_test"});
    Use(service);
    return service;
  }
  void Use(ChildService& service) {
    channel_ = service.channel();
    health_ = grpc::health::v1::Health::NewStub(channel_);
  }

  HealthCheckResponse::ServingStatus Health(const std::string& service, grpc::Status* status) {
    HealthCheckRequest req;
    req.set_service(service);
    HealthCheckResponse resp;
    *status = health_->Check(CallContext("", absl::Seconds(2)).get(), req, &resp);
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

  int pg_port_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_;
};

TEST_F(PostingsProcessTest, HealthFollowsPostgresMetricsAreServedAndSigtermExitsCleanly) {
  TcpProxy pg(pg_port_);
  ChildService& service = Start(pg, /*fake_clock=*/false);
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
  const std::string metrics = HttpGet(service.metrics_port(), "/metrics");
  EXPECT_NE(metrics.find("grpc_server_handled_total"), std::string::npos) << metrics.substr(0, 300);
  EXPECT_NE(metrics.find("/grpc.health.v1.Health/Check"), std::string::npos);
  // Backlogs read at scrape time (what the alerts of deploy/k8s/observability watch).
  EXPECT_NE(metrics.find("stellenwerk_outbox_pending_events{service=\"postings\"}"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("stellenwerk_outbox_oldest_pending_seconds"), std::string::npos);
  EXPECT_NE(metrics.find("stellenwerk_timers_oldest_overdue_seconds"), std::string::npos);

  // Postgres goes away: NOT_SERVING; it comes back: SERVING again.
  pg.Stop();
  EXPECT_TRUE(Becomes("stellenwerk.postings.v1.PostingService", HealthCheckResponse::NOT_SERVING));
  pg.Start();
  EXPECT_TRUE(Becomes("stellenwerk.postings.v1.PostingService", HealthCheckResponse::SERVING));

  EXPECT_EQ(service.Terminate(), 0);
}

TEST_F(PostingsProcessTest, FakeClockModeOffersClockControlAndKeepsItsTimeAcrossRestarts) {
  TcpProxy pg(pg_port_);
  ChildService& service = Start(pg, /*fake_clock=*/true);
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
  ASSERT_EQ(service.Terminate(), 0);

  ASSERT_TRUE(service.Restart().ok());  // the harness leaves a restarted clock alone
  Use(service);
  ASSERT_TRUE(Becomes("", HealthCheckResponse::SERVING));
  clock = stellenwerk::testing::v1::ClockControl::NewStub(channel_);
  grpc::ClientContext ctx;
  stellenwerk::testing::v1::ClockState state;
  ASSERT_TRUE(clock->GetTime(&ctx, {}, &state).ok());
  EXPECT_EQ(state.time().seconds(), 1'800'003'600);
  EXPECT_EQ(service.Terminate(), 0);
}

}  // namespace
}  // namespace stellenwerk::testing
