#include "services/coordination/app.h"

#include "common/logging/log.h"
#include "common/pg/migrations.h"
#include "stellenwerk/events/v1/applications.pb.h"

namespace stellenwerk::pg {
const std::vector<Migration>& CoordinationMigrations();
}

namespace stellenwerk::coordination {

CoordinationApp::CoordinationApp(config::RuntimeConfig config) : runtime_(std::move(config)) {}

absl::Status CoordinationApp::Init() {
  if (absl::Status s = runtime_.Init(pg::CoordinationMigrations()); !s.ok()) return s;
  store_ =
      std::make_unique<PgCoordinationStore>(runtime_.db(), runtime_.schema(), runtime_.clock());
  service_ = std::make_unique<CoordinationService>(*store_, runtime_.clock());
  grpc_ = std::make_unique<CoordinationGrpcService>(runtime_, *service_);
  runtime_.AddService(grpc_.get(), v1::CoordinationService::service_full_name());

  // Seed 004: no reaction within the week → the staffing may be completed. Exactly once, also
  // across restarts and replicas (the clearance is conditional on WINDOW_OPEN).
  // Set-based: 100,000 windows falling due within a minute clear within seconds (issue 6).
  runtime_.timers().OnBatch(kWindowTimerKind,
                            [this](pqxx::work& tx, const std::vector<timers::Timer>& due) {
                              std::vector<std::string> ids;
                              ids.reserve(due.size());
                              for (const auto& t : due) ids.push_back(t.key);
                              return store_->ElapseWindowsInTransaction(tx, ids);
                            });
  runtime_.timers().On(kBaseDataTimerKind, [this](pqxx::work& tx, const timers::Timer& timer) {
    return store_->CheckBaseDataInTransaction(tx, timer);
  });

  // A proposed hiring for a post that needs coordination files the notice by itself. The
  // runtime skips redelivered event ids; the unique (city, application) index makes a
  // re-emitted event with a new id harmless too.
  runtime_.consumer().On<events::v1::HiringProposed>([this](pqxx::work& tx,
                                                            const events::v1::HiringProposed& e,
                                                            const amqp::Delivery&) -> absl::Status {
    auto filing = CoordinationService::FilingFor(e);
    if (!filing.ok()) return filing.status();
    if (!filing->has_value()) return absl::OkStatus();  // needs no coordination
    const std::string city = e.meta().tenant_id();
    // The clerk who proposed the hiring files the notice, through applications.
    Actor actor = Actor::System("applications", city, e.meta().correlation_id());
    if (!e.meta().actor().empty()) actor.sub = e.meta().actor();
    actor.role = "applications";
    const absl::Time now = runtime_.clock().Now();
    auto filed = store_->FileInTransaction(tx, actor, [&](const std::string& id) {
      return NewNotice(**filing, id, city, actor, now);
    });
    if (!filed.ok()) return filed.status();
    spdlog::info("staffing notice {} for application {}", filed->id(), e.application_id());
    return absl::OkStatus();
  });
  return absl::OkStatus();
}

}  // namespace stellenwerk::coordination
