#include "services/applications/app.h"

#include "absl/strings/str_cat.h"
#include "common/amqp/posting_feed.h"
#include "common/logging/log.h"
#include "common/pg/migrations.h"
#include "common/timers/timers.h"
#include "google/protobuf/util/time_util.h"
#include "services/applications/adapters/grpc_posting_directory.h"
#include "services/applications/domain/application_rules.h"
#include "services/applications/domain/transitions.h"
#include "stellenwerk/events/v1/coordination.pb.h"
#include "stellenwerk/events/v1/postings.pb.h"

namespace stellenwerk::pg {
const std::vector<Migration>& ApplicationsMigrations();
}

namespace stellenwerk::applications {
namespace {

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

  // What applications needs of postings arrives as events, each with the posting's snapshot.
  namespace ev = events::v1;
  auto& consumer = runtime_.consumer();
  amqp::FollowPostings(
      consumer,
      [this](pqxx::work& tx, const ev::PostingSnapshot& p, amqp::PostingChange change,
             const amqp::Delivery& d) -> absl::Status {
        if (absl::Status s = store_->ApplyPostingSnapshot(tx, SnapshotOf(p), p.version());
            !s.ok()) {
          return s;
        }
        std::optional<Move> move;
        std::vector<v1::ApplicationStatus> from;
        const char* system = "";
        if (change == amqp::PostingChange::kWithdrawn) {
          // A withdrawn posting ends its procedure: every open application is rejected with that
          // reason (applicants are told), and from then on the retention period runs (GDPR Art. 5
          // (1) e).
          move = Move{.to = v1::REJECTED,
                      .cause = Cause::kProcedureEnded,
                      .actor = "system:posting_withdrawn",
                      .reason = "the posting was withdrawn; the selection procedure has ended",
                      .now = runtime_.clock().Now()};
          from = OpenStatuses();
          system = "posting_withdrawn";
        } else if (change == amqp::PostingChange::kClosed) {
          // At the deadline: no more applications, and RECEIVED ones go to SCREENING (DOMAIN.md).
          move = Move{.to = v1::SCREENING,
                      .cause = Cause::kDeadline,
                      .actor = "system:deadline",
                      .reason = "application deadline passed",
                      .now = runtime_.clock().Now()};
          from = {v1::RECEIVED};
          system = "deadline";
        }
        if (!move) return absl::OkStatus();
        return store_
            ->MoveAllInTransaction(tx, p.posting_id(), from,
                                   Actor::System(system, p.tenant_id(), d.message.correlation_id),
                                   [&](const v1::Application& a) { return Transition(a, *move); })
            .status();
      });

  // The coordination gate (seed 004): the district's clearance approves the offer; a
  // withdrawn notice or an instruction against the staffing sends the proposal back.
  auto outcome = [this](pqxx::work& tx, const ev::StaffingNoticeSnapshot& notice, bool cleared,
                        const std::string& reason, const amqp::Delivery& d,
                        const v1::CoordinationConditions* conditions = nullptr) -> absl::Status {
    if (notice.application_id().empty()) return absl::OkStatus();  // a notice by hand
    const absl::Time now = runtime_.clock().Now();
    auto applied = store_->ApplyInTransaction(
        tx, Actor::System("coordination", notice.city_tenant_id(), d.message.correlation_id),
        notice.application_id(), notice.city_tenant_id(), [&](const v1::Application& a) {
          return CoordinationOutcome(a, cleared, reason, now, conditions);
        });
    if (applied.status().code() == absl::StatusCode::kNotFound) {
      spdlog::warn("coordination outcome for unknown application {} of {}: ignored",
                   notice.application_id(), notice.city_tenant_id());
      return absl::OkStatus();
    }
    return applied.status();
  };
  consumer.On<ev::StaffingCleared>([outcome](pqxx::work& tx, const ev::StaffingCleared& e,
                                             const amqp::Delivery& d) {
    return outcome(tx, e.notice(), /*cleared=*/true,
                   absl::StrCat("coordination cleared (", ev::StaffingClearance_Name(e.how()), ")"),
                   d);
  });
  consumer.On<ev::StaffingWithdrawn>(
      [outcome](pqxx::work& tx, const ev::StaffingWithdrawn& e, const amqp::Delivery& d) {
        return outcome(tx, e.notice(), /*cleared=*/false,
                       absl::StrCat("coordination notice withdrawn: ", e.reason()), d);
      });
  // Weisung im Einzelfall (seed 004, Nr. 2) says what it instructs: not to fill the post with
  // this person → back to PROPOSED with the instruction as the reason; to fill it with stated
  // conditions → the offer is approved and the conditions are recorded on the application,
  // where HR sees them with the hiring. An older event without a kind meant the former.
  consumer.On<ev::StaffingInstructed>([outcome](pqxx::work& tx, const ev::StaffingInstructed& e,
                                                const amqp::Delivery& d) {
    if (e.kind() == ev::STAFFING_INSTRUCTION_FILL_WITH_CONDITIONS) {
      v1::CoordinationConditions conditions;
      conditions.set_notice_id(e.notice().notice_id());
      conditions.set_conditions(e.conditions());
      conditions.set_instruction(e.instruction());
      *conditions.mutable_time() = e.meta().occur_time();
      return outcome(tx, e.notice(), /*cleared=*/true,
                     absl::StrCat("district instruction (Weisung im Einzelfall): fill with "
                                  "conditions: ",
                                  e.conditions()),
                     d, &conditions);
    }
    return outcome(tx, e.notice(), /*cleared=*/false,
                   absl::StrCat("district instruction (Weisung im Einzelfall): not to fill with "
                                "this person: ",
                                e.instruction()),
                   d);
  });

  // Retention (GDPR Art. 5 (1) e): a durable sweep erases what has been kept long enough; it
  // re-arms itself, sooner while there is a backlog.
  runtime_.timers().On(
      kRetentionTimerKind, [this](pqxx::work& tx, const timers::Timer&) -> absl::Status {
        const absl::Time now = runtime_.clock().Now();
        auto erased = store_->EraseExpired(tx, now, kRetentionBatch);
        if (!erased.ok()) return erased.status();
        if (*erased > 0) spdlog::info("retention: erased {} applications", *erased);
        timers::Schedule(
            tx, kRetentionTimerKind, "sweep",
            *erased == kRetentionBatch ? now + absl::Seconds(1) : now + kRetentionInterval);
        return absl::OkStatus();
      });
  return runtime_.db().Transact([this](pqxx::work& tx) {
    timers::Schedule(tx, kRetentionTimerKind, "sweep", runtime_.clock().Now());
    return absl::OkStatus();
  });
}

}  // namespace stellenwerk::applications
