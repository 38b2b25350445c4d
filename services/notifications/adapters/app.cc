#include "services/notifications/app.h"

#include <functional>

#include "common/logging/log.h"
#include "common/pg/migrations.h"
#include "services/notifications/api/notification_grpc_service.h"
#include "services/notifications/domain/notifier.h"

namespace stellenwerk::pg {
const std::vector<Migration>& NotificationsMigrations();
}

namespace stellenwerk::notifications {
namespace {

// One consumer use case of domain/notifier.h in the consumer's transaction, through the store's
// NotificationRecords port; the dispatchers are woken (they poll too: the wake-up may come
// just before the commit).
template <typename M>
void Hear(amqp::Consumer& consumer, PgNotificationStore& store, const Clock& clock,
          std::function<void()> wake,
          std::function<void(NotificationRecords&, const M&)> use_case) {
  consumer.On<M>([&store, &clock, wake = std::move(wake), use_case = std::move(use_case)](
                     pqxx::work& tx, const M& e, const amqp::Delivery&) -> absl::Status {
    auto records = store.In(tx, clock.Now());
    use_case(*records, e);
    wake();
    return absl::OkStatus();
  });
}

}  // namespace

NotificationsApp::NotificationsApp(config::RuntimeConfig config, SmtpConfig smtp, RetryPolicy retry)
    : runtime_(std::move(config)), smtp_(std::move(smtp)), retry_(retry) {}

NotificationsApp::~NotificationsApp() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : dispatchers_) t.join();
}

void NotificationsApp::WakeDispatchers() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

absl::Status NotificationsApp::Init() {
  if (absl::Status s = runtime_.Init(pg::NotificationsMigrations()); !s.ok()) return s;
  store_ = std::make_unique<PgNotificationStore>(
      runtime_.db(), runtime_.schema(), runtime_.clock(),
      MailIdentity{smtp_.default_sender, smtp_.message_id_domain});
  grpc_ =
      std::make_unique<NotificationGrpcService>(runtime_, *store_, [this] { WakeDispatchers(); });
  runtime_.AddService(grpc_.get(), v1::NotificationService::service_full_name());
  metrics_ = std::make_unique<DeliveryMetrics>(runtime_.metrics(), runtime_.db(), runtime_.clock());
  RegisterConsumers();
  if (FakeClock* fake = runtime_.fake_clock()) {
    fake->OnChange([this](absl::Time) { WakeDispatchers(); });
  }
  for (int i = 0; i < smtp_.senders; ++i) dispatchers_.emplace_back([this, i] { Dispatch(i); });
  return absl::OkStatus();
}

void NotificationsApp::Dispatch(int index) {
  CurlSmtpSender sender(smtp_);
  while (!stopping_) {
    auto worked = store_->SendOne(sender, retry_);
    if (worked.ok() && worked->has_value()) {
      metrics_->Observe(**worked);
      ++send_attempts_;
      continue;  // drain what is due
    }
    if (!worked.ok()) spdlog::warn("dispatcher {}: {}", index, worked.status().message());
    // Idle until a wake-up, or a poll: rows recorded by another replica, retries falling due.
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, kIdlePoll, [this] { return woken_ || stopping_.load(); });
    if (!woken_) continue;
    woken_ = false;  // one dispatcher takes a wake-up; it drains, the others keep polling
    lock.unlock();
    // The wake-up comes from inside the consumer's transaction: give its commit a moment, so
    // the claim finds the row instead of running empty (the bench counted 2.7 empty claim
    // transactions per mail with an immediate claim and a 5 ms re-poll).
    std::this_thread::sleep_for(kWakeCoalesce);
  }
}

void NotificationsApp::RegisterConsumers() {
  amqp::Consumer& consumer = runtime_.consumer();
  PgNotificationStore& store = *store_;
  const Clock& clock = runtime_.clock();
  auto wake = [this] { WakeDispatchers(); };

  Hear<ev::ApplicationSubmitted>(
      consumer, store, clock, wake,
      [&clock](NotificationRecords& r, const ev::ApplicationSubmitted& e) {
        Notifier::Submitted(r, e, clock.Now());
      });
  runtime_.timers().On(kAcknowledgmentDueTimer, [this](pqxx::work& tx, const timers::Timer& t) {
    auto records = store_->In(tx, runtime_.clock().Now());
    Notifier::AcknowledgmentOverdue(*records, t.key, t.payload);
    WakeDispatchers();
    return absl::OkStatus();
  });
  Hear<ev::ApplicationStatusChanged>(consumer, store, clock, wake, &Notifier::StatusChanged);
  Hear<ev::DisabilityRepresentativeInformed>(consumer, store, clock, wake,
                                             &Notifier::RepresentativeInformed);
  Hear<ev::ApplicationWithdrawn>(consumer, store, clock, wake, &Notifier::Withdrawn);
  Hear<ev::ApplicantErased>(consumer, store, clock, wake, &Notifier::Erased);

  auto appointment = [](Kind kind, std::string ics_method) {
    return [kind, ics_method](NotificationRecords& r, const auto& e) {
      Notifier::Appointment(r, e.booking(), e.meta(), kind, ics_method);
    };
  };
  Hear<ev::BookingConfirmed>(consumer, store, clock, wake,
                             appointment(v1::BOOKING_CONFIRMED, "REQUEST"));
  Hear<ev::BookingRescheduled>(consumer, store, clock, wake,
                               appointment(v1::BOOKING_RESCHEDULED, "REQUEST"));
  Hear<ev::BookingCancelled>(consumer, store, clock, wake,
                             appointment(v1::BOOKING_CANCELLED, "CANCEL"));
  Hear<ev::ReminderDue>(consumer, store, clock, wake, appointment(v1::BOOKING_REMINDER, ""));
  Hear<ev::SelectionDayScheduled>(consumer, store, clock, wake, &Notifier::SelectionDayScheduled);

  Hear<ev::StaffingNoticeFiled>(consumer, store, clock, wake, &Notifier::NoticeFiled);
  Hear<ev::StaffingConcernRaised>(consumer, store, clock, wake, &Notifier::ConcernRaised);
  Hear<ev::StaffingCleared>(consumer, store, clock, wake, &Notifier::Cleared);
  Hear<ev::StaffingInstructed>(consumer, store, clock, wake, &Notifier::Instructed);
  Hear<ev::StaffingWithdrawn>(consumer, store, clock, wake, &Notifier::NoticeWithdrawn);
  Hear<ev::BaseDataOverdue>(consumer, store, clock, wake, &Notifier::BaseDataOverdue);
}

}  // namespace stellenwerk::notifications
