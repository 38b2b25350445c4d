#include "services/scheduling/app.h"

#include "common/amqp/posting_feed.h"
#include "common/logging/log.h"
#include "common/pg/migrations.h"
#include "stellenwerk/events/v1/applications.pb.h"
#include "stellenwerk/events/v1/postings.pb.h"

namespace stellenwerk::pg {
const std::vector<Migration>& SchedulingMigrations();
}

namespace stellenwerk::scheduling {

SchedulingOptions LoadSchedulingOptions(config::EnvReader& env) {
  SchedulingOptions o;
  o.reminder_lead = env.Duration("STELLENWERK_SCHEDULING_REMINDER_LEAD", o.reminder_lead);
  o.internship_min_lead_days = env.Int("STELLENWERK_SCHEDULING_INTERNSHIP_MIN_LEAD_DAYS",
                                       o.internship_min_lead_days, 0, 3660);
  return o;
}

SchedulingApp::SchedulingApp(config::RuntimeConfig config, SchedulingOptions options)
    : runtime_(std::move(config)), options_(options) {}

absl::Status SchedulingApp::Init() {
  if (absl::Status s = runtime_.Init(pg::SchedulingMigrations()); !s.ok()) return s;
  store_ = std::make_unique<PgSchedulingStore>(runtime_.db(), runtime_.schema(), runtime_.clock(),
                                               options_.reminder_lead,
                                               options_.internship_min_lead_days);
  grpc_ = std::make_unique<SchedulingGrpcService>(runtime_, *store_);
  runtime_.AddService(grpc_.get(), v1::SchedulingService::service_full_name());
  // scheduling.reminder.due.v1 a lead time before each booking: a durable timer written with
  // the booking, moved by a reschedule, dropped by a cancellation; fires once, also across
  // restarts and replicas (the scheduler claims each timer in the transaction that fires it).
  store_->RegisterTimers(runtime_.timers());
  RegisterConsumers();
  return absl::OkStatus();
}

void SchedulingApp::RegisterConsumers() {
  namespace ev = events::v1;
  amqp::Consumer& consumer = runtime_.consumer();
  // Every consumer runs in the transaction that records the event id (a redelivery is
  // skipped) and is acked after commit; each one is also idempotent by itself (upserts
  // guarded by version or status, cancellations only of live bookings).

  // What scheduling knows of postings (state, deadline, title): CreateSelectionDay's checks.
  // A withdrawn posting's applications are rejected by applications; their status events
  // cancel the bookings below.
  amqp::FollowPostings(consumer, [this](pqxx::work& tx, const ev::PostingSnapshot& p,
                                        amqp::PostingChange, const amqp::Delivery&) {
    store_->ApplyPosting(tx, p);
    return absl::OkStatus();
  });

  // Whose application it is (an applicant requests an internship for their own).
  consumer.On<ev::ApplicationSubmitted>([this](pqxx::work& tx, const ev::ApplicationSubmitted& e,
                                               const amqp::Delivery&) -> absl::Status {
    if (e.application_id().empty() || e.meta().tenant_id().empty()) {
      return absl::InvalidArgumentError("application event without application or tenant");
    }
    store_->ApplyApplicationSubmitted(tx, e.meta().tenant_id(), e.application_id(), e.posting_id(),
                                      e.applicant_sub());
    return absl::OkStatus();
  });
  // INVITED opens an invitation that HR or the applicant can book; WITHDRAWN / REJECTED
  // cancel the live bookings (scheduling.booking.cancelled.v1, METHOD:CANCEL).
  auto status = [this](pqxx::work& tx, const ev::EventMeta& meta, const std::string& application,
                       const std::string& posting, const std::string& applicant,
                       const std::string& to) -> absl::Status {
    if (application.empty() || meta.tenant_id().empty()) {
      return absl::InvalidArgumentError("application event without application or tenant");
    }
    return store_->ApplyApplicationStatus(tx, meta.tenant_id(), application, posting, applicant, to,
                                          meta.correlation_id());
  };
  consumer.On<ev::ApplicationStatusChanged>(
      [status](pqxx::work& tx, const ev::ApplicationStatusChanged& e, const amqp::Delivery&) {
        return status(tx, e.meta(), e.application_id(), e.posting_id(), e.applicant_sub(), e.to());
      });
  consumer.On<ev::ApplicationWithdrawn>([status](pqxx::work& tx, const ev::ApplicationWithdrawn& e,
                                                 const amqp::Delivery&) {
    return status(tx, e.meta(), e.application_id(), e.posting_id(), e.applicant_sub(), "WITHDRAWN");
  });
  // GDPR Art. 17 / retention: the bookings, invitations and internship requests go.
  consumer.On<ev::ApplicantErased>(
      [this](pqxx::work& tx, const ev::ApplicantErased& e, const amqp::Delivery&) -> absl::Status {
        std::vector<std::string> ids(e.application_ids().begin(), e.application_ids().end());
        if (!ids.empty()) store_->EraseApplications(tx, ids);
        spdlog::info("erased the bookings of {} applications", ids.size());
        return absl::OkStatus();
      });
}

}  // namespace stellenwerk::scheduling
