#include "services/applications/app.h"

#include "services/applications/adapters/grpc_posting_directory.h"
#include "common/pg/migrations.h"
#include "google/protobuf/util/time_util.h"
#include "absl/strings/str_cat.h"
#include "common/logging/log.h"
#include "common/timers/timers.h"
#include "stellenwerk/events/v1/coordination.pb.h"
#include "stellenwerk/events/v1/postings.pb.h"

namespace stellenwerk::pg {
const std::vector<Migration>& ApplicationsMigrations();
}

namespace stellenwerk::applications {
namespace {

constexpr char kStaffingClearedEvent[] = "coordination.staffing.cleared.v1";
constexpr char kStaffingWithdrawnEvent[] = "coordination.staffing.withdrawn.v1";
constexpr char kStaffingInstructedEvent[] = "coordination.staffing.instructed.v1";
constexpr char kRetentionTimerKind[] = "applications.retention";
constexpr int kRetentionBatch = 500;
constexpr absl::Duration kRetentionInterval = absl::Hours(1);

PostingSnapshot SnapshotOf(const events::v1::PostingSnapshot& s) {
  PostingSnapshot p;
  p.posting_id = s.posting_id();
  p.tenant_id = s.tenant_id();
  p.kennziffer = s.kennziffer();
  p.title = s.title();
  p.status = s.status();
  if (s.has_deadline_time()) {
    p.deadline = absl::FromUnixMicros(
        google::protobuf::util::TimeUtil::TimestampToMicroseconds(s.deadline_time()));
  }
  p.anonymised = s.anonymised();
  p.coordination_required = s.coordination_required();
  p.women_preferred = s.women_preferred_if_underrepresented();
  p.role_category = s.role_category();
  p.regional_office = s.regional_office();
  p.district_tenant_id = s.coordination_district_tenant_id();
  return p;
}

}  // namespace

ApplicationsOptions LoadApplicationsOptions(config::EnvReader& env) {
  ApplicationsOptions o;
  o.postings_addr = env.String("STELLENWERK_POSTINGS_ADDR", "");
  return o;
}

ApplicationsApp::ApplicationsApp(config::RuntimeConfig config, ApplicationsOptions options)
    : runtime_(std::move(config)), options_(std::move(options)) {}

absl::Status ApplicationsApp::Init() {
  if (absl::Status s = runtime_.Init(pg::ApplicationsMigrations()); !s.ok()) return s;
  store_ = std::make_unique<PgApplicationStore>(runtime_.db(), runtime_.schema(), runtime_.clock());
  if (!options_.postings_addr.empty()) {
    postings_ = std::make_unique<GrpcPostingDirectory>(options_.postings_addr);
  }
  service_ = std::make_unique<ApplicationService>(*store_, runtime_.clock(), postings_.get());
  grpc_ = std::make_unique<ApplicationGrpcService>(runtime_, *service_);
  runtime_.AddService(grpc_.get(), v1::ApplicationService::service_full_name());

  // What applications needs of postings arrives as events; every posting event carries the
  // snapshot as field 2, so one message type reads them all.
  auto& consumer = runtime_.consumer({"postings.posting.*.v1", kStaffingClearedEvent,
                                      kStaffingWithdrawnEvent, kStaffingInstructedEvent});
  for (const char* type : {"postings.posting.published.v1", "postings.posting.updated.v1"}) {
    consumer.On(type, [this](pqxx::work& tx, const amqp::Delivery& d) -> absl::Status {
      events::v1::PostingUpdated e;
      if (!e.ParseFromString(d.message.body) || e.posting().posting_id().empty()) {
        return absl::InvalidArgumentError("undecodable posting event");
      }
      return store_->ApplyPostingSnapshot(tx, SnapshotOf(e.posting()), e.posting().version());
    });
  }
  consumer.On("postings.posting.withdrawn.v1", [this](pqxx::work& tx, const amqp::Delivery& d) {
    events::v1::PostingUpdated e;  // same layout: the snapshot is field 2
    if (!e.ParseFromString(d.message.body) || e.posting().posting_id().empty()) {
      return absl::InvalidArgumentError("undecodable posting.withdrawn event");
    }
    if (absl::Status s = store_->ApplyPostingSnapshot(tx, SnapshotOf(e.posting()),
                                                      e.posting().version());
        !s.ok()) {
      return s;
    }
    return store_->EndWithdrawnProcedure(tx, e.posting().posting_id(), d.message.correlation_id);
  });
  // At the deadline: no more applications, and RECEIVED ones go to SCREENING (DOMAIN.md).
  consumer.On("postings.posting.closed.v1", [this](pqxx::work& tx, const amqp::Delivery& d) {
    events::v1::PostingClosed e;
    if (!e.ParseFromString(d.message.body) || e.posting().posting_id().empty()) {
      return absl::InvalidArgumentError("undecodable posting.closed event");
    }
    if (absl::Status s = store_->ApplyPostingSnapshot(tx, SnapshotOf(e.posting()),
                                                      e.posting().version());
        !s.ok()) {
      return s;
    }
    return store_->StartScreening(tx, e.posting().posting_id(), d.message.correlation_id);
  });

  // The coordination gate (seed 004): the district's clearance approves the offer; a
  // withdrawn notice or an instruction against the staffing sends the proposal back.
  consumer.On(kStaffingClearedEvent, [this](pqxx::work& tx, const amqp::Delivery& d) {
    events::v1::StaffingCleared e;
    if (!e.ParseFromString(d.message.body)) {
      return absl::InvalidArgumentError("undecodable staffing.cleared event");
    }
    if (e.notice().application_id().empty()) return absl::OkStatus();  // a notice by hand
    return store_->ApplyCoordinationOutcome(
        tx, e.notice().application_id(), e.notice().city_tenant_id(), /*cleared=*/true,
        absl::StrCat("coordination cleared (", events::v1::StaffingClearance_Name(e.how()), ")"),
        d.message.correlation_id);
  });
  consumer.On(kStaffingWithdrawnEvent, [this](pqxx::work& tx, const amqp::Delivery& d) {
    events::v1::StaffingWithdrawn e;
    if (!e.ParseFromString(d.message.body)) {
      return absl::InvalidArgumentError("undecodable staffing.withdrawn event");
    }
    if (e.notice().application_id().empty()) return absl::OkStatus();
    return store_->ApplyCoordinationOutcome(
        tx, e.notice().application_id(), e.notice().city_tenant_id(), /*cleared=*/false,
        absl::StrCat("coordination notice withdrawn: ", e.reason()), d.message.correlation_id);
  });
  consumer.On(kStaffingInstructedEvent, [this](pqxx::work& tx, const amqp::Delivery& d) {
    events::v1::StaffingInstructed e;
    if (!e.ParseFromString(d.message.body)) {
      return absl::InvalidArgumentError("undecodable staffing.instructed event");
    }
    if (e.notice().application_id().empty()) return absl::OkStatus();
    return store_->ApplyCoordinationOutcome(
        tx, e.notice().application_id(), e.notice().city_tenant_id(), /*cleared=*/false,
        absl::StrCat("district instruction (Weisung im Einzelfall): ", e.instruction()),
        d.message.correlation_id);
  });

  // Retention (GDPR Art. 5 (1) e): a durable sweep erases what has been kept long enough; it
  // re-arms itself, sooner while there is a backlog.
  runtime_.timers().On(kRetentionTimerKind, [this](pqxx::work& tx, const timers::Timer&) -> absl::Status {
    const absl::Time now = runtime_.clock().Now();
    auto erased = store_->EraseExpired(tx, now, kRetentionBatch);
    if (!erased.ok()) return erased.status();
    if (*erased > 0) spdlog::info("retention: erased {} applications", *erased);
    timers::Schedule(tx, kRetentionTimerKind, "sweep",
                     *erased == kRetentionBatch ? now + absl::Seconds(1) : now + kRetentionInterval);
    return absl::OkStatus();
  });
  return runtime_.db().Transact([this](pqxx::work& tx) {
    timers::Schedule(tx, kRetentionTimerKind, "sweep", runtime_.clock().Now());
    return absl::OkStatus();
  });
}

}  // namespace stellenwerk::applications
