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

  // Every open state can end: a hiring waiting on the district ends when the applicant
  // withdraws or HR rejects the application. The notice is then withdrawn (no staffing with
  // this person is coming) and coordination.staffing.withdrawn tells the district, whose week
  // (seed 004) would otherwise run for a staffing that no longer exists. Idempotent: only an
  // open notice is withdrawn, once.
  auto hiring_ended = [this](pqxx::work& tx, const events::v1::EventMeta& meta,
                             const std::string& application_id,
                             const std::string& reason) -> absl::Status {
    Actor actor = Actor::System("applications", meta.tenant_id(), meta.correlation_id());
    actor.role = "applications";
    return store_->WithdrawForApplicationInTransaction(tx, actor, meta.tenant_id(), application_id,
                                                       reason);
  };
  runtime_.consumer().On<events::v1::ApplicationWithdrawn>(
      [hiring_ended](pqxx::work& tx, const events::v1::ApplicationWithdrawn& e,
                     const amqp::Delivery&) {
        return hiring_ended(tx, e.meta(), e.application_id(),
                            "the applicant withdrew the application");
      });
  runtime_.consumer().On<events::v1::ApplicationStatusChanged>(
      [hiring_ended](pqxx::work& tx, const events::v1::ApplicationStatusChanged& e,
                     const amqp::Delivery&) -> absl::Status {
        if (e.from() != "PENDING_COORDINATION" || e.to() != "REJECTED") return absl::OkStatus();
        return hiring_ended(tx, e.meta(), e.application_id(),
                            "the city rejected the application; the hiring will not happen");
      });

  // Erasure reaches coordination (GDPR Art. 17 (1), issue 16): what the city passed on about
  // the person (qualification, experience, name) leaves the notices of their applications;
  // the notice and its history stay. Idempotent: an erased notice is not written again.
  runtime_.consumer().On<events::v1::ApplicantErased>(
      [this](pqxx::work& tx, const events::v1::ApplicantErased& e,
             const amqp::Delivery&) -> absl::Status {
        if (e.meta().tenant_id().empty()) {
          return absl::InvalidArgumentError("applicant.erased without tenant");
        }
        std::vector<std::string> ids(e.application_ids().begin(), e.application_ids().end());
        return store_->EraseCandidatesInTransaction(tx, e.meta().tenant_id(), ids);
      });
  return absl::OkStatus();
}

}  // namespace stellenwerk::coordination
