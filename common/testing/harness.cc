#include "common/testing/harness.h"

#include <signal.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "stellenwerk/testing/v1/clock.grpc.pb.h"

namespace stellenwerk::testing {
namespace {

using google::protobuf::util::TimeUtil;
namespace clock_v1 = ::stellenwerk::testing::v1;

absl::Status FromGrpc(const grpc::Status& s, const std::string& what) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      absl::StrCat(what, ": ", s.error_message()));
}

absl::Time FromTimestamp(const google::protobuf::Timestamp& t) {
  return absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(t));
}

}  // namespace

std::unique_ptr<grpc::ClientContext> CallContext(const std::string& token, absl::Duration timeout) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  ctx->set_deadline(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
  return ctx;
}

// --- ServiceUnderTest -------------------------------------------------------------------------

ServiceUnderTest::ServiceUnderTest(const TestInfra& infra, ServiceDef def, std::string schema,
                                   bool fake_clock)
    : infra_(infra), def_(std::move(def)), schema_(std::move(schema)), fake_clock_(fake_clock) {}

ServiceUnderTest::~ServiceUnderTest() = default;

std::string ServiceUnderTest::address() const { return absl::StrCat("127.0.0.1:", port()); }

std::shared_ptr<grpc::Channel> ServiceUnderTest::channel() {
  if (channel_ == nullptr) {
    channel_ = grpc::CreateChannel(address(), grpc::InsecureChannelCredentials());
  }
  return channel_;
}

absl::Status ServiceUnderTest::SetTime(absl::Time t) {
  clock_v1::SetTimeRequest request;
  *request.mutable_time() = TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
  clock_v1::ClockState state;
  return FromGrpc(
      clock_v1::ClockControl::NewStub(channel())->SetTime(CallContext("").get(), request, &state),
      absl::StrCat(def_.name, " ClockControl.SetTime"));
}

absl::Status ServiceUnderTest::Advance(absl::Duration d) {
  clock_v1::AdvanceRequest request;
  *request.mutable_duration() = TimeUtil::MicrosecondsToDuration(absl::ToInt64Microseconds(d));
  clock_v1::ClockState state;
  return FromGrpc(
      clock_v1::ClockControl::NewStub(channel())->Advance(CallContext("").get(), request, &state),
      absl::StrCat(def_.name, " ClockControl.Advance"));
}

absl::StatusOr<absl::Time> ServiceUnderTest::GetTime() {
  clock_v1::ClockState state;
  grpc::Status s = clock_v1::ClockControl::NewStub(channel())->GetTime(
      CallContext("").get(), clock_v1::GetTimeRequest(), &state);
  if (!s.ok()) return FromGrpc(s, absl::StrCat(def_.name, " ClockControl.GetTime"));
  return FromTimestamp(state.time());
}

pg::Pool& ServiceUnderTest::db() {
  if (own_db_ == nullptr) {
    own_db_ = std::make_unique<pg::Pool>(
        pg::PoolOptions{.uri = infra_.pg_uri, .schema = schema_, .size = 1});
  }
  return *own_db_;
}

int ServiceUnderTest::OutboxPending() {
  int n = -1;
  absl::Status s = db().Read([&](pqxx::work& tx) {
    n = tx.exec("SELECT count(*) FROM outbox")[0][0].as<int>();
    return absl::OkStatus();
  });
  return s.ok() ? n : -1;
}

bool ServiceUnderTest::WaitForOutbox(absl::Duration timeout) {
  const bool done = WaitFor([&] { return OutboxPending() == 0; }, timeout);
  EXPECT_TRUE(done) << def_.name << ": " << OutboxPending() << " outbox rows still unpublished";
  return done;
}

// --- InProcessService -------------------------------------------------------------------------

int InProcessService::port() const { return const_cast<InProcessService*>(this)->runtime().port(); }

absl::Status InProcessService::Boot(absl::Time start, bool defer_start) {
  if (absl::Status s = InitApp(); !s.ok()) return s;
  initialised_ = true;
  // Before anything runs, so no timer or request sees the real time first.
  runtime().fake_clock()->Set(start);
  return defer_start ? absl::OkStatus() : Start();
}

absl::Status InProcessService::Start() {
  if (!initialised_) return absl::FailedPreconditionError(def_.name + " did not initialise");
  if (started_) return absl::OkStatus();
  if (absl::Status s = runtime().Start(); !s.ok()) return s;
  started_ = true;
  // Events published before a consumer has bound its queue are routed nowhere, so a started
  // service is one whose consumer listens (in production the durable queue outlives restarts).
  if (def_.consumes &&
      !WaitFor([&] { return runtime().consumer().connected(); }, absl::Seconds(20))) {
    return absl::DeadlineExceededError(def_.name + ": the consumer did not bind its queue");
  }
  return absl::OkStatus();
}

void InProcessService::Shutdown() {
  if (!started_ || shut_down_) return;
  shut_down_ = true;
  runtime().Shutdown();
}

absl::Status InProcessService::SetTime(absl::Time t) {
  if (!initialised_) return absl::FailedPreconditionError(def_.name + " did not initialise");
  if (!started_) {
    runtime().fake_clock()->Set(t);
    return absl::OkStatus();
  }
  return ServiceUnderTest::SetTime(t);
}

absl::StatusOr<int> InProcessService::RunTimers() { return runtime().timers().RunOnce(); }

uint64_t InProcessService::ConsumedEvents() {
  if (!def_.consumes) return 0;
  const auto& stats = runtime().consumer().stats();
  return stats.applied + stats.duplicates + stats.dead_lettered;
}

bool InProcessService::WaitForConsumed(uint64_t count, absl::Duration timeout) {
  const bool done = WaitFor([&] { return ConsumedEvents() >= count; }, timeout);
  EXPECT_TRUE(done) << def_.name << " consumed " << ConsumedEvents() << " events, not " << count;
  return done;
}

// --- ChildService -----------------------------------------------------------------------------

ChildService::ChildService(const TestInfra& infra, ServiceDef def, ProcessOptions options)
    // The binary reads its schema from nothing but its service name.
    : ServiceUnderTest(infra, def, def.name, options.fake_clock), options_(std::move(options)) {}

ChildService::~ChildService() = default;  // ~ChildProcess kills what still runs

absl::Status ChildService::Launch() {
  if (infra_.build_dir.empty()) return absl::FailedPreconditionError("STELLENWERK_BUILD_DIR unset");
  grpc_port_ = FreePort();
  metrics_port_ = FreePort();
  std::map<std::string, std::string> env = {
      {"STELLENWERK_PG_URI", infra_.pg_uri},
      {"STELLENWERK_AMQP_URI", infra_.amqp_uri},
      {"STELLENWERK_REDIS_ADDR", infra_.redis_addr},
      {"STELLENWERK_JWT_HS256_SECRET", infra_.jwt_secret},
      {"STELLENWERK_GRPC_PORT", std::to_string(grpc_port_)},
      {"STELLENWERK_METRICS_PORT", std::to_string(metrics_port_)},
      {"STELLENWERK_BIND", "127.0.0.1"},
      {"STELLENWERK_FAKE_CLOCK", fake_clock_ ? "1" : "0"},
      {"TZDIR", "/usr/share/zoneinfo"},
  };
  for (const auto& [k, v] : options_.env) env[k] = v;
  const std::string log_name =
      options_.log_name.empty() ? def_.name + "_process" : options_.log_name;
  process_.reset();
  process_ = std::make_unique<ChildProcess>(infra_.build_dir + "/" + def_.binary, env,
                                            infra_.build_dir + "/" + log_name + ".log");
  ResetChannel();
  auto health = grpc::health::v1::Health::NewStub(channel());
  const bool ready = WaitFor(
      [&] {
        if (!process_->Running()) return false;
        grpc::health::v1::HealthCheckRequest request;
        grpc::health::v1::HealthCheckResponse response;
        return health->Check(CallContext("", absl::Seconds(2)).get(), request, &response).ok() &&
               response.status() == grpc::health::v1::HealthCheckResponse::SERVING;
      },
      options_.ready_timeout, absl::Milliseconds(100));
  if (!ready) {
    return absl::DeadlineExceededError(
        absl::StrCat(def_.binary, " did not become SERVING; see ", log_name, ".log"));
  }
  return absl::OkStatus();
}

int ChildService::Terminate(absl::Duration timeout) {
  if (process_ == nullptr) return -1;
  return process_->Terminate(static_cast<int>(absl::ToInt64Milliseconds(timeout)));
}

void ChildService::Kill() {
  if (process_ == nullptr || !process_->Running()) return;
  ::kill(process_->pid(), SIGKILL);
  WaitFor([&] { return !process_->Running(); }, absl::Seconds(10), absl::Milliseconds(10));
}

absl::Status ChildService::Restart() {
  if (serving()) Terminate();
  return Launch();
}

// --- Harness ----------------------------------------------------------------------------------

Harness::Harness(TestInfra infra, HarnessOptions options)
    : infra_(std::move(infra)), options_(options) {}

Harness::~Harness() {
  while (!services_.empty()) services_.pop_back();
}

config::RuntimeConfig Harness::ConfigFor(const ServiceDef& def,
                                         const ServiceOptions& options) const {
  config::RuntimeConfig config =
      TestRuntimeConfig(infra_, options.schema.empty() ? UniqueName(def.name) : options.schema);
  config.fake_clock = true;
  if (options.adjust) options.adjust(config);
  return config;
}

void Harness::Boot(std::unique_ptr<InProcessService> service, const ServiceOptions& options) {
  absl::Status s = service->Boot(options.start.value_or(options_.start), options.defer_start);
  if (!s.ok()) {
    ok_ = false;
    ADD_FAILURE() << "cannot start " << service->def().name << ": " << s;
  }
  services_.push_back(std::move(service));
}

ChildService& Harness::StartProcess(const ServiceDef& def, ProcessOptions options) {
  auto service = std::make_unique<ChildService>(infra_, def, std::move(options));
  absl::Status s = service->Launch();
  if (s.ok() && service->fake_clock()) s = service->SetTime(options_.start);
  if (!s.ok()) {
    ok_ = false;
    ADD_FAILURE() << "cannot start " << def.binary << ": " << s;
  }
  services_.push_back(std::move(service));
  return static_cast<ChildService&>(*services_.back());
}

void Harness::Stop(ServiceUnderTest& service) {
  for (auto it = services_.begin(); it != services_.end(); ++it) {
    if (it->get() == &service) {
      services_.erase(it);
      return;
    }
  }
}

void Harness::SetTime(absl::Time t) {
  for (auto& s : services_) {
    if (!s->fake_clock()) continue;
    auto* in_process = dynamic_cast<InProcessService*>(s.get());
    if (in_process != nullptr ? in_process->serving() || !in_process->started() : s->serving()) {
      absl::Status set = s->SetTime(t);
      EXPECT_TRUE(set.ok()) << set;
    }
  }
}

void Harness::Advance(absl::Duration d) {
  for (auto& s : services_) {
    if (!s->fake_clock() || !s->serving()) continue;
    absl::Status moved = s->Advance(d);
    EXPECT_TRUE(moved.ok()) << moved;
  }
}

bool Harness::WaitForOutboxes(absl::Duration timeout) {
  bool all = true;
  for (auto& s : services_) all = s->WaitForOutbox(timeout) && all;
  return all;
}

void Harness::RunTimers() {
  for (auto& s : services_) {
    auto* in_process = dynamic_cast<InProcessService*>(s.get());
    if (in_process == nullptr || !in_process->serving()) continue;
    auto fired = in_process->RunTimers();
    EXPECT_TRUE(fired.ok()) << s->def().name << ": " << fired.status();
  }
}

std::string Harness::Token(const std::string& tenant, std::vector<std::string> roles,
                           std::string sub) const {
  return testing::Token(infra_, tenant, std::move(roles), std::move(sub));
}

// --- ServiceTest ------------------------------------------------------------------------------

Harness* ServiceTest::NewHarness(absl::Time start) {
  auto infra = TestInfra::FromEnv();
  if (!infra) return nullptr;
  harness_ = std::make_unique<Harness>(*std::move(infra), HarnessOptions{.start = start});
  return harness_.get();
}

void ServiceTest::SetUp() {
  if (harness_ == nullptr) {
    STW_SKIP("needs scripts/test infrastructure (STELLENWERK_TEST_*)");
  }
  ASSERT_TRUE(harness_->ok()) << "a service of this suite did not start";
  harness_->ResetClocks();
}

}  // namespace stellenwerk::testing
