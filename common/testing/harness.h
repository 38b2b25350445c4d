#pragma once
// The test harness: starts any set of services against the test stack of scripts/test (in
// process, or as the binaries operators run), sets their fake clocks, makes gRPC channels and
// tokens, and shuts everything down in reverse order. One harness instead of a hand-written
// fixture per test file (the idea of userver's ugrpc::tests::ServiceFixtureBase).
//
// common/ knows no service: a service's tests/<name>_testing.h holds its ServiceDef and a
// Start<Name>() that hands its App class to Harness::Start.
//
//   class PostingsE2eTest : public testing::ServiceTest {
//     static void SetUpTestSuite() {
//       if (auto* h = NewHarness(kStart)) postings_ = &StartPostings(*h);
//     }
//   };
//   TEST_F(PostingsE2eTest, ...) {            // every service's clock reads kStart here
//     auto stub = postings_->Stub<v1::PostingService>();
//     stub->GetPosting(CallContext(harness().Token(tenant, {"hr_clerk"})).get(), ...);
//   }

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/config/runtime_config.h"
#include "common/pg/pool.h"
#include "common/runtime/runtime.h"
#include "common/testing/process.h"
#include "common/testing/test_env.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"

namespace stellenwerk::testing {

// A client context carrying "authorization: Bearer <token>" (none if empty) and a deadline.
std::unique_ptr<grpc::ClientContext> CallContext(const std::string& token,
                                                 absl::Duration timeout = absl::Seconds(10));

// What the harness needs to know of a service (each service's <name>_testing.h has one).
struct ServiceDef {
  std::string name;    // "postings": prefix of its test schemas, name in logs
  std::string binary;  // relative to the build dir, e.g. "services/postings/stellenwerk-postings"
  bool consumes = false;  // it has an event consumer; started means its queue is bound
};

// How one service is started in process.
struct ServiceOptions {
  std::string schema;               // "" = a fresh one; the same one = another replica
  std::optional<absl::Time> start;  // its clock at start; default: the harness's start
  bool defer_start = false;         // Init only; the test calls Start() (e.g. to seed first)
  std::function<void(config::RuntimeConfig&)> adjust;  // e.g. another AMQP port
};

// How one service is started as a child process (STELLENWERK_* from the test stack).
struct ProcessOptions {
  bool fake_clock = true;
  std::map<std::string, std::string> env;  // added to / overriding the defaults
  std::string log_name;                    // "<build dir>/<log_name>.log"; default "<name>_process"
  absl::Duration ready_timeout = absl::Seconds(30);
};

// One started service.
class ServiceUnderTest {
 public:
  ServiceUnderTest(const TestInfra& infra, ServiceDef def, std::string schema, bool fake_clock);
  virtual ~ServiceUnderTest();
  ServiceUnderTest(const ServiceUnderTest&) = delete;
  ServiceUnderTest& operator=(const ServiceUnderTest&) = delete;

  const ServiceDef& def() const { return def_; }
  const std::string& schema() const { return schema_; }
  virtual int port() const = 0;
  std::string address() const;
  std::shared_ptr<grpc::Channel> channel();
  template <typename GrpcService>
  std::unique_ptr<typename GrpcService::Stub> Stub() {
    return GrpcService::NewStub(channel());
  }

  // ClockControl (CONTRACT.md) of this service; fails unless it runs with the fake clock.
  virtual absl::Status SetTime(absl::Time t);
  absl::Status Advance(absl::Duration d);
  absl::StatusOr<absl::Time> GetTime();
  bool fake_clock() const { return fake_clock_; }
  // Up and answering (started and not shut down / the process runs).
  virtual bool serving() = 0;

  // Outbox rows not yet confirmed by the broker. A row is deleted only after its publisher
  // confirm, and a confirmed message is in every bound queue: at 0 every event this service
  // committed so far sits in the queues, so a tap can count them without waiting for quiet.
  int OutboxPending();
  // Waits (polling, with a deadline) until OutboxPending() is 0.
  bool WaitForOutbox(absl::Duration timeout = absl::Seconds(15));

 protected:
  virtual pg::Pool& db();
  void ResetChannel() { channel_.reset(); }

  const TestInfra& infra_;
  const ServiceDef def_;
  const std::string schema_;
  const bool fake_clock_;

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pg::Pool> own_db_;  // for child processes
};

// A service running in this process (its App class), with its Runtime at hand.
class InProcessService : public ServiceUnderTest {
 public:
  using ServiceUnderTest::ServiceUnderTest;
  virtual Runtime& runtime() = 0;
  int port() const override;
  bool serving() override { return started_ && !shut_down_; }
  // Before Start() the clock is set directly (no server yet), afterwards by ClockControl.
  absl::Status SetTime(absl::Time t) override;

  // Starts what ServiceOptions::defer_start held back: the server, relay, consumer, timers;
  // returns once the consumer (if any) listens.
  absl::Status Start();
  // Graceful shutdown (as on SIGTERM); the object stays until the harness goes.
  void Shutdown();
  bool started() const { return started_; }

  // Fires every durable timer due now, in the calling thread (timers::Scheduler::RunOnce):
  // after it, "not due yet" means "did not fire", without waiting to see.
  absl::StatusOr<int> RunTimers();
  // Events this service's consumer took so far (applied or skipped as duplicates).
  uint64_t ConsumedEvents();
  // Waits until ConsumedEvents() reaches `count`.
  bool WaitForConsumed(uint64_t count, absl::Duration timeout = absl::Seconds(15));

 protected:
  friend class Harness;
  virtual absl::Status InitApp() = 0;
  pg::Pool& db() override { return runtime().db(); }
  absl::Status Boot(absl::Time start, bool defer_start);

 private:
  bool initialised_ = false;
  bool started_ = false;
  bool shut_down_ = false;
};

template <typename App>
class InProcess final : public InProcessService {
 public:
  InProcess(const TestInfra& infra, ServiceDef def, std::string schema, std::unique_ptr<App> app)
      : InProcessService(infra, std::move(def), std::move(schema), /*fake_clock=*/true),
        app_(std::move(app)) {}
  ~InProcess() override {
    Shutdown();
    app_.reset();
  }
  App& app() { return *app_; }
  Runtime& runtime() override { return app_->runtime(); }

 private:
  absl::Status InitApp() override { return app_->Init(); }
  std::unique_ptr<App> app_;
};

// A service binary started as a child process, on ports of its own.
class ChildService final : public ServiceUnderTest {
 public:
  ChildService(const TestInfra& infra, ServiceDef def, ProcessOptions options);
  ~ChildService() override;
  int port() const override { return grpc_port_; }
  int metrics_port() const { return metrics_port_; }
  bool serving() override { return process_ != nullptr && process_->Running(); }
  // SIGTERM; the exit status, or -1 if it did not exit within the timeout.
  int Terminate(absl::Duration timeout = absl::Seconds(15));
  // SIGKILL, as a crash (no shutdown at all); returns once the process is gone.
  void Kill();
  // Starts the binary again with the same environment (new ports); its fake time stays.
  absl::Status Restart();
  // Starts the binary and waits until its health check answers SERVING.
  absl::Status Launch();

 private:
  const ProcessOptions options_;
  int grpc_port_ = 0;
  int metrics_port_ = 0;
  std::unique_ptr<ChildProcess> process_;
};

struct HarnessOptions {
  absl::Time start;  // every service's clock at start and at ResetClocks()
};

class Harness {
 public:
  Harness(TestInfra infra, HarnessOptions options);
  ~Harness();  // shuts the services down, the last started first
  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;

  const TestInfra& infra() const { return infra_; }
  absl::Time start() const { return options_.start; }
  // False once a service failed to start (recorded as a test failure too).
  bool ok() const { return ok_; }

  // Builds App(config, args...) on a test RuntimeConfig with the fake clock, Init()s it, sets
  // its clock to the start instant and starts it (unless deferred); the consumer is bound
  // when this returns.
  template <typename App, typename... Args>
  InProcess<App>& Start(const ServiceDef& def, ServiceOptions options, Args&&... args) {
    config::RuntimeConfig config = ConfigFor(def, options);
    auto service = std::make_unique<InProcess<App>>(
        infra_, def, config.service, std::make_unique<App>(config, std::forward<Args>(args)...));
    auto& ref = *service;
    Boot(std::move(service), options);
    return ref;
  }

  // Starts def.binary from the build dir; returns once it answers health checks.
  ChildService& StartProcess(const ServiceDef& def, ProcessOptions options = {});

  // Shuts one service down and forgets it (a replica going away); `service` is gone after.
  void Stop(ServiceUnderTest& service);

  // ClockControl SetTime / Advance on every service started with the fake clock.
  void SetTime(absl::Time t);
  void Advance(absl::Duration d);
  // SetTime(start()): every test begins at the same instant, whatever the last one left.
  void ResetClocks() { SetTime(options_.start); }

  // Waits until every service's outbox is published (ServiceUnderTest::WaitForOutbox).
  bool WaitForOutboxes(absl::Duration timeout = absl::Seconds(15));
  // Runs every in-process service's due timers once (InProcessService::RunTimers).
  void RunTimers();

  std::string Token(const std::string& tenant, std::vector<std::string> roles,
                    std::string sub = "test-user") const;

 private:
  config::RuntimeConfig ConfigFor(const ServiceDef& def, const ServiceOptions& options) const;
  void Boot(std::unique_ptr<InProcessService> service, const ServiceOptions& options);

  const TestInfra infra_;
  const HarnessOptions options_;
  bool ok_ = true;
  std::vector<std::unique_ptr<ServiceUnderTest>> services_;  // in start order
};

// The base of a suite whose services start once (in its SetUpTestSuite, on NewHarness) and
// stop after its last test; every test's SetUp resets every clock to the suite's start.
class ServiceTest : public ::testing::Test {
 protected:
  // Null (and every test of the suite skips) without the test stack of scripts/test.
  static Harness* NewHarness(absl::Time start);
  static void TearDownTestSuite() { harness_.reset(); }
  void SetUp() override;

  static Harness& harness() { return *harness_; }
  static const TestInfra& infra() { return harness_->infra(); }

 private:
  static inline std::unique_ptr<Harness> harness_;
};

}  // namespace stellenwerk::testing
