#include "common/runtime/runtime.h"

#include <pthread.h>

#include <csignal>

#include "absl/strings/str_cat.h"
#include "common/auth/jwt.h"
#include "common/auth/key_set.h"
#include "common/cache/redis_cache.h"
#include "common/clock/clock_control_service.h"
#include "common/events/catalogue.h"
#include "common/logging/log.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"

namespace stellenwerk {

Runtime::Runtime(config::RuntimeConfig config) : config_(std::move(config)) {}

Runtime::~Runtime() { Shutdown(); }

void Runtime::BlockTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

absl::Status Runtime::Init(const std::vector<pg::Migration>& service_migrations,
                           absl::Duration connect_wait) {
  // A broken event catalogue (a routing key bound twice) must stop the service at once.
  if (absl::Status s = events::Check(); !s.ok()) return s;
  // Postgres may still be starting (Kubernetes starts pods in any order): retry a while.
  absl::Status migrated;
  for (absl::Time until = absl::Now() + connect_wait;;) {
    migrated = pg::ApplyMigrations(
        config_.pg_uri, config_.service,
        {{"platform", &pg::PlatformMigrations()}, {config_.service, &service_migrations}});
    if (migrated.ok() || migrated.code() != absl::StatusCode::kUnavailable ||
        absl::Now() >= until) {
      break;
    }
    spdlog::warn("waiting for Postgres: {}", migrated.message());
    absl::SleepFor(absl::Seconds(1));
  }
  if (!migrated.ok()) return migrated;

  db_ = std::make_unique<pg::Pool>(
      pg::PoolOptions{.uri = config_.pg_uri,
                      .schema = config_.service,
                      .size = config_.pg_pool_size,
                      .statement_timeout = config_.pg_statement_timeout});
  if (config_.fake_clock) {
    const absl::Time start = ClockControlService::Load(*db_).value_or(absl::Now());
    auto fake = std::make_unique<FakeClock>(start);
    fake_clock_ = fake.get();
    clock_ = std::move(fake);
    spdlog::warn("FAKE CLOCK active (STELLENWERK_FAKE_CLOCK=1), now {}", absl::FormatTime(start));
  } else {
    clock_ = std::make_unique<SystemClock>();
  }

  // Token lifetimes are real-world security, so they are checked against the real clock even
  // when business time is faked.
  static const SystemClock kRealClock;
  if (!config_.jwt_jwks_file.empty()) {
    // Several keys by kid, following the file as it is rotated (docs/decisions/0035).
    absl::StatusOr<std::shared_ptr<auth::JwksFile>> jwks =
        auth::JwksFile::Open(config_.jwt_jwks_file);
    if (!jwks.ok()) return jwks.status();
    authn_ = std::make_unique<auth::Authenticator>(*std::move(jwks), kRealClock);
  } else {
    absl::StatusOr<auth::JwtVerifier> verifier =
        !config_.jwt_rs256_public_key_file.empty()
            ? auth::JwtVerifier::Rs256FromPemFile(config_.jwt_rs256_public_key_file)
            : auth::JwtVerifier::Hs256(config_.jwt_hs256_secret);
    if (!verifier.ok()) return verifier.status();
    authn_ = std::make_unique<auth::Authenticator>(*std::move(verifier), kRealClock);
  }

  if (config_.redis_host.empty() && config_.redis_sentinels.empty()) {
    cache_ = std::make_unique<cache::NullCache>();
  } else {
    cache::RedisOptions options;
    options.host = config_.redis_host;
    options.port = config_.redis_port;
    options.sentinels = config_.redis_sentinels;
    options.sentinel_master = config_.redis_sentinel_master;
    options.auth = config_.redis_auth;
    options.sentinel_auth = config_.redis_sentinel_auth;
    options.key_prefix = absl::StrCat("stw:", config_.service, ":");
    auto redis = std::make_unique<cache::RedisCache>(options);
    // Not needed to start (the cache is fail-open), but a wrong password should be in the log
    // at start, not only at the first cache call.
    if (absl::Status s = redis->Check(); !s.ok()) {
      spdlog::warn("{}; running without the cache until it is reachable", s.message());
    }
    cache_ = std::move(redis);
  }
  workers_ = std::make_unique<concurrency::WorkerPool>(config_.service, config_.workers,
                                                       config_.worker_queue);
  metrics_ = std::make_unique<metrics::Metrics>(config_.service);
  relay_ = std::make_unique<outbox::Relay>(outbox::RelayOptions{
      .pg_uri = config_.pg_uri,
      .schema = config_.service,
      .amqp_uri = config_.amqp_uri,
      .poll_interval = config_.outbox_poll,
  });
  timers_ = std::make_unique<timers::Scheduler>(
      timers::SchedulerOptions{.poll_interval = config_.timer_poll}, *db_, *clock_);
  if (fake_clock_ != nullptr) {
    fake_clock_->OnChange([this](absl::Time) { timers_->Wake(); });
    clock_control_ = std::make_unique<ClockControlService>(*fake_clock_, *db_, *workers_);
  }
  return absl::OkStatus();
}

amqp::Consumer& Runtime::consumer() {
  if (consumer_ == nullptr) {
    amqp::ConsumerOptions options;
    options.amqp_uri = config_.amqp_uri;
    options.name = config_.service;
    options.queue =
        amqp::QueueSpec{absl::StrCat("stellenwerk.", config_.service), {}, config_.amqp_queue_type};
    options.prefetch = config_.amqp_prefetch;
    options.max_attempts = config_.consumer_max_attempts;
    consumer_ = std::make_unique<amqp::Consumer>(std::move(options), *db_);
  }
  return *consumer_;
}

outbox::EventContext Runtime::EventContextFor(std::string tenant_id, std::string correlation_id,
                                              std::string actor) const {
  return outbox::EventContext{config_.service, std::move(tenant_id), std::move(correlation_id),
                              std::move(actor), clock_->Now()};
}

void Runtime::AddService(grpc::Service* service, std::string health_name) {
  services_.emplace_back(service, std::move(health_name));
}

void Runtime::SampleBacklogs() {
  using Kind = metrics::Sampled::Kind;
  auto& s = metrics_->sampled();
  // One statement each, at scrape time: what the outbox still holds and how long its oldest
  // row waits (the relay publishes committed rows; a growing age means it cannot), and how
  // far the most overdue timer is behind this service's clock (0 when none is due).
  auto scalar = [this](const std::string& sql,
                       const std::optional<std::string>& now) -> std::optional<double> {
    std::optional<double> out;
    absl::Status st = db_->ReadStatement([&](pqxx::nontransaction& tx) -> absl::Status {
      auto row = now.has_value() ? tx.exec_params1(sql, *now) : tx.exec1(sql);
      out = row[0].as<double>();
      return absl::OkStatus();
    });
    if (!st.ok()) return std::nullopt;
    return out;
  };
  s.Add("stellenwerk_outbox_pending_events", "events written but not yet confirmed by the broker",
        Kind::kGauge,
        [scalar] { return scalar("SELECT count(*)::float8 FROM outbox", std::nullopt); });
  s.Add("stellenwerk_outbox_oldest_pending_seconds", "age of the oldest unpublished event",
        Kind::kGauge, [scalar] {
          return scalar(
              "SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 FROM outbox",
              std::nullopt);
        });
  s.Add("stellenwerk_timers_oldest_overdue_seconds",
        "how long the most overdue durable timer is past due (service clock)", Kind::kGauge,
        [this, scalar] {
          return scalar(
              "SELECT coalesce(extract(epoch FROM $1::timestamptz - min(due_at)), 0)::float8"
              " FROM timers WHERE due_at <= $1::timestamptz",
              pg::ToPgTimestamp(clock_->Now()));
        });
  if (consumer_ != nullptr) {
    const std::map<std::string, std::string> queue = {
        {"queue", absl::StrCat("stellenwerk.", config_.service)}};
    const amqp::Consumer::Stats& stats = consumer_->stats();
    s.Add(
        "stellenwerk_consumer_redeliveries_total", "events requeued after a failed attempt",
        Kind::kCounter, [&stats] { return static_cast<double>(stats.retried.load()); }, queue);
    s.Add(
        "stellenwerk_consumer_dead_lettered_total", "events sent to the dead-letter queue",
        Kind::kCounter, [&stats] { return static_cast<double>(stats.dead_lettered.load()); },
        queue);
    s.Add(
        "stellenwerk_consumer_applied_total", "events applied (duplicates not counted)",
        Kind::kCounter, [&stats] { return static_cast<double>(stats.applied.load()); }, queue);
  }
}

absl::Status Runtime::Start() {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat(config_.bind, ":", config_.grpc_port),
                           grpc::InsecureServerCredentials(), &port_);
  for (auto& [service, name] : services_) builder.RegisterService(service);
  if (clock_control_ != nullptr) builder.RegisterService(clock_control_.get());
  builder.SetMaxReceiveMessageSize(8 * 1024 * 1024);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(metrics_->InterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", config_.bind, ":", config_.grpc_port));
  }
  try {
    metrics_->Serve(config_.bind, config_.metrics_port);
  } catch (const std::exception& e) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve metrics on port ", config_.metrics_port, ": ", e.what()));
  }
  SampleBacklogs();
  SetServing(db_->Ping());
  relay_->Start();
  if (consumer_ != nullptr) consumer_->Start();
  timers_->Start();
  health_thread_ = std::thread([this] { WatchHealth(); });
  started_ = true;
  spdlog::info("{} serving gRPC on {}:{} (metrics {})", config_.service, config_.bind, port_,
               config_.metrics_port);
  return absl::OkStatus();
}

void Runtime::SetServing(bool serving) {
  auto* health = server_->GetHealthCheckService();
  if (health == nullptr) return;
  health->SetServingStatus(serving);  // overall ""
  for (auto& [service, name] : services_) health->SetServingStatus(name, serving);
}

void Runtime::WatchHealth() {
  // NOT_SERVING while Postgres, without which no RPC can be answered, is unreachable.
  bool last = true;
  while (!stopping_) {
    const bool ok = db_->Ping();
    if (ok != last) {
      spdlog::warn("Postgres {}: health {}", ok ? "reachable again" : "unreachable",
                   ok ? "SERVING" : "NOT_SERVING");
      last = ok;
    }
    if (!stopping_) SetServing(ok);
    for (int i = 0; i < 20 && !stopping_; ++i) absl::SleepFor(absl::Milliseconds(100));
  }
}

void Runtime::Shutdown() {
  if (!started_ || shut_down_) return;
  shut_down_ = true;
  spdlog::info("{} shutting down", config_.service);
  stopping_ = true;
  if (server_ != nullptr) {
    SetServing(false);
    // Drain: in-flight RPCs get up to the grace period, then are cancelled.
    server_->Shutdown(std::chrono::system_clock::now() +
                      absl::ToChronoMilliseconds(config_.shutdown_grace));
  }
  if (health_thread_.joinable()) health_thread_.join();
  if (consumer_ != nullptr) consumer_->Stop();
  timers_->Stop();
  workers_->Stop();
  relay_->Stop(absl::Seconds(5));  // flush what the drained RPCs committed
  if (server_ != nullptr) server_->Wait();
  spdlog::info("{} stopped", config_.service);
}

int Runtime::Run() {
  if (absl::Status s = Start(); !s.ok()) {
    spdlog::critical("cannot start: {}", s.message());
    return 1;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int signal = 0;
  sigwait(&set, &signal);
  spdlog::info("received signal {}", signal);
  Shutdown();
  return 0;
}

}  // namespace stellenwerk
