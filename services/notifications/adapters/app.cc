#include "services/notifications/app.h"

#include "absl/strings/str_cat.h"
#include "common/logging/log.h"
#include "common/pg/migrations.h"
#include "google/protobuf/util/time_util.h"
#include "services/notifications/api/notification_grpc_service.h"
#include "services/notifications/domain/audience.h"
#include "stellenwerk/events/v1/applications.pb.h"
#include "stellenwerk/events/v1/coordination.pb.h"
#include "stellenwerk/events/v1/scheduling.pb.h"

namespace stellenwerk::pg {
const std::vector<Migration>& NotificationsMigrations();
}

namespace stellenwerk::notifications {
namespace {

namespace ev = stellenwerk::events::v1;

absl::Time TimeOf(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixMicros(google::protobuf::util::TimeUtil::TimestampToMicroseconds(ts));
}

std::string ClearanceName(ev::StaffingClearance how) {
  switch (how) {
    case ev::STAFFING_CLEARANCE_NO_OBJECTION:
      return "kein Widerspruch";
    case ev::STAFFING_CLEARANCE_WINDOW_ELAPSED:
      return "Frist ohne Widerspruch abgelaufen";
    case ev::STAFFING_CLEARANCE_CONSENSUS:
      return "Einvernehmen erzielt";
    case ev::STAFFING_CLEARANCE_DIRECT_PARTICIPATION:
      return "unmittelbare Beteiligung";
    default:
      return "abgestimmt";
  }
}

// "Rathaus, Raum 2.14" or the video link: where the applicant goes.
std::string PlaceOf(const ev::AppointmentSnapshot& b) {
  if (b.mode() == ev::APPOINTMENT_MODE_VIDEO && !b.video_url().empty()) {
    return absl::StrCat("Videokonferenz: ", b.video_url());
  }
  std::string place = b.location();
  if (!b.room().empty()) absl::StrAppend(&place, place.empty() ? "" : ", ", "Raum ", b.room());
  if (b.accommodations().barrier_free_room()) absl::StrAppend(&place, " (barrierefrei)");
  return place;
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
  int idle_rounds = 0;
  while (!stopping_) {
    auto worked = store_->SendOne(sender, retry_);
    if (worked.ok() && worked->has_value()) {
      metrics_->Observe(**worked);
      ++send_attempts_;
      idle_rounds = 0;
      continue;
    }
    if (!worked.ok()) spdlog::warn("dispatcher {}: {}", index, worked.status().message());
    // Idle: a short poll (a wake-up from a consumer may come just before its commit).
    const auto wait = std::chrono::milliseconds(idle_rounds < 4 ? 5 : 50);
    ++idle_rounds;
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, wait, [this] { return woken_ || stopping_.load(); });
    if (woken_) idle_rounds = 0;
    woken_ = false;
  }
}

void NotificationsApp::RegisterConsumers() {
  amqp::Consumer& consumer = runtime_.consumer();

  // What every message about an application carries.
  auto about = [](Planned& p, const ApplicationFacts& f, const std::string& application_id) {
    p.tenant_id = f.tenant_id;
    p.application_id = application_id;
    p.posting_id = f.posting_id;
    p.values["kennziffer"] = f.kennziffer;
    p.values["stellentitel"] = f.posting_title;
  };
  auto to_applicant = [this](pqxx::work& tx, Planned& p, const std::string& sub) {
    p.recipient_role = "applicant";
    p.recipient_sub = sub;
    if (auto c = store_->ContactOf(tx, p.tenant_id, sub)) {
      p.to = {absl::StrCat(c->given_name, " ", c->family_name), c->email};
      p.values["anrede"] = Salutation(c->salutation, c->given_name, c->family_name);
    } else {
      p.values["anrede"] = "Guten Tag";
    }
  };
  auto to_role = [this](pqxx::work& tx, Planned& p, const std::string& role) {
    p.recipient_role = role;
    p.recipient_sub.clear();
    p.to = {"", MailboxOf(store_->Settings(tx, p.tenant_id), role)};
    p.values["anrede"] = "Guten Tag";
  };

  consumer.On<ev::ApplicationSubmitted>([this, about](pqxx::work& tx,
                                                      const ev::ApplicationSubmitted& e,
                                                      const amqp::Delivery&) -> absl::Status {
    const std::string tenant = e.meta().tenant_id();
    const ApplicationFacts facts{tenant, e.posting_id(), e.applicant_sub(), e.kennziffer(),
                                 e.posting_title()};
    store_->RememberApplication(tx, e.application_id(), facts);
    if (!e.contact().email().empty()) {
      store_->RememberContact(tx, tenant, e.applicant_sub(),
                              {e.contact().email(), e.contact().given_name(),
                               e.contact().family_name(), e.contact().salutation()});
    }
    const v1::TenantSettings settings = store_->Settings(tx, tenant);
    const absl::Time now = runtime_.clock().Now();
    const bool manual = settings.acknowledgment() == v1::MANUAL;
    // Settings and contact are at hand: no second read of either.
    auto to_mailbox = [&settings](Planned& p, const std::string& role) {
      p.recipient_role = role;
      p.to = {"", MailboxOf(settings, role)};
      p.values["anrede"] = "Guten Tag";
    };
    Planned ack;
    about(ack, facts, e.application_id());
    ack.event_id = e.meta().event_id();
    ack.kind = v1::APPLICATION_RECEIVED;
    ack.held = manual;  // seed 000: a personal acknowledgment, released by HR
    ack.recipient_role = "applicant";
    ack.recipient_sub = e.applicant_sub();
    const auto& c = e.contact();
    ack.to = {absl::StrCat(c.given_name(), " ", c.family_name()), c.email()};
    ack.values["anrede"] = Salutation(c.salutation(), c.given_name(), c.family_name());
    const std::string ack_id = store_->Record(tx, ack, now, &settings);
    if (manual) {
      Planned task;
      about(task, facts, e.application_id());
      task.event_id = e.meta().event_id();
      task.kind = v1::ACKNOWLEDGMENT_TASK;
      to_mailbox(task, "hr_clerk");
      store_->Record(tx, task, now, &settings);
      if (!ack_id.empty()) {
        timers::Schedule(tx, kAcknowledgmentDueTimer, ack_id,
                         AcknowledgmentDue(now, settings.acknowledgment_due_working_days()),
                         e.application_id());
      }
    }
    if (e.severely_disabled()) {
      // SGB IX § 178 (2): the disability representative is informed of the application.
      Planned sbv;
      about(sbv, facts, e.application_id());
      sbv.event_id = e.meta().event_id();
      sbv.kind = v1::SEVERELY_DISABLED_APPLICATION;
      to_mailbox(sbv, "disability_representative");
      store_->Record(tx, sbv, now, &settings);
    }
    if (settings.notify_procedure_contact()) {
      Planned hr;
      about(hr, facts, e.application_id());
      hr.event_id = e.meta().event_id();
      hr.kind = v1::NEW_APPLICATION;
      to_mailbox(hr, "hr_clerk");
      store_->Record(tx, hr, now, &settings);
    }
    WakeDispatchers();
    return absl::OkStatus();
  });

  runtime_.timers().On(
      kAcknowledgmentDueTimer, [this, about, to_role](pqxx::work& tx, const timers::Timer& t) {
        if (!store_->StillHeld(tx, t.key)) return absl::OkStatus();  // sent meanwhile
        auto facts = store_->Application(tx, t.payload);
        if (!facts) return absl::OkStatus();  // erased meanwhile
        Planned p;
        about(p, *facts, t.payload);
        p.event_id = absl::StrCat("acknowledgment-overdue:", t.key);
        p.kind = v1::ACKNOWLEDGMENT_OVERDUE;
        to_role(tx, p, "hr_clerk");
        p.values["arbeitstage"] =
            absl::StrCat(store_->Settings(tx, facts->tenant_id).acknowledgment_due_working_days());
        store_->Record(tx, p, runtime_.clock().Now());
        WakeDispatchers();
        return absl::OkStatus();
      });

  consumer.On<ev::ApplicationStatusChanged>(
      [this, about, to_applicant, to_role](pqxx::work& tx, const ev::ApplicationStatusChanged& e,
                                           const amqp::Delivery&) -> absl::Status {
        auto facts = store_->Application(tx, e.application_id());
        if (!facts) return absl::OkStatus();  // submitted before this service, or erased
        const absl::Time now = runtime_.clock().Now();
        if (auto kind = ApplicantLetterFor(e.to())) {
          Planned p;
          about(p, *facts, e.application_id());
          p.event_id = e.meta().event_id();
          p.kind = *kind;
          if (*kind == v1::APPLICATION_REJECTED) p.values["grund"] = e.reason();
          to_applicant(tx, p, facts->applicant_sub);
          store_->Record(tx, p, now);
        }
        for (const Body& body : BodiesDueAt(e.to())) {
          Planned p;
          about(p, *facts, e.application_id());
          p.event_id = e.meta().event_id();
          p.kind = v1::PARTICIPATION_DUE;
          p.values["gremium"] = body.name;
          to_role(tx, p, body.role);
          store_->Record(tx, p, now);
        }
        WakeDispatchers();
        return absl::OkStatus();
      });

  // SGB IX § 178 (2) S. 1: every decision about a severely disabled or equivalent applicant
  // goes to the tenant's representative, by pseudonym, with the § 165 finding (ADR 0032).
  consumer.On<ev::DisabilityRepresentativeInformed>(
      [this, about, to_role](pqxx::work& tx, const ev::DisabilityRepresentativeInformed& e,
                             const amqp::Delivery&) -> absl::Status {
        Planned p;
        if (auto facts = store_->Application(tx, e.application_id())) {
          about(p, *facts, e.application_id());
        } else {
          p.tenant_id = e.meta().tenant_id();
          p.application_id = e.application_id();
          p.posting_id = e.posting_id();
          p.values["stellentitel"] = store_->PostingRef(tx, e.posting_id()).second;
        }
        if (!e.kennziffer().empty()) p.values["kennziffer"] = e.kennziffer();
        p.event_id = e.meta().event_id();
        p.kind = v1::DISABILITY_REPRESENTATIVE_INFORMED;
        for (auto& [k, v] : RepresentativeValues(
                 {e.pseudonym(), e.decision(), e.reason(), e.obviously_unqualified(),
                  e.representative_heard(), e.representative_statement()})) {
          p.values[k] = v;
        }
        to_role(tx, p, "disability_representative");
        store_->Record(tx, p, runtime_.clock().Now());
        WakeDispatchers();
        return absl::OkStatus();
      });

  consumer.On<ev::ApplicationWithdrawn>(
      [this, about, to_applicant](pqxx::work& tx, const ev::ApplicationWithdrawn& e,
                                  const amqp::Delivery&) -> absl::Status {
        auto facts = store_->Application(tx, e.application_id());
        if (!facts) return absl::OkStatus();
        Planned p;
        about(p, *facts, e.application_id());
        p.event_id = e.meta().event_id();
        p.kind = v1::WITHDRAWAL_CONFIRMED;
        to_applicant(tx, p, facts->applicant_sub);
        store_->Record(tx, p, runtime_.clock().Now());
        WakeDispatchers();
        return absl::OkStatus();
      });

  consumer.On<ev::ApplicantErased>(
      [this, about, to_applicant](pqxx::work& tx, const ev::ApplicantErased& e,
                                  const amqp::Delivery&) -> absl::Status {
        const std::string tenant = e.meta().tenant_id();
        // The confirmation is recorded first, while the address is still known; it forgets the
        // address itself once sent (GDPR Art. 12 (3), Art. 17). One per erased application.
        for (const std::string& id : e.application_ids()) {
          auto facts = store_->Application(tx, id);
          if (!facts) continue;
          Planned p;
          about(p, *facts, id);
          p.event_id = e.meta().event_id();
          p.kind = v1::ERASURE_CONFIRMED;
          p.inbox = false;  // the inbox is erased too
          p.forget_after_send = true;
          to_applicant(tx, p, e.applicant_sub());
          // The key must differ per application: the recipient is the same person.
          p.event_id = absl::StrCat(e.meta().event_id(), ":", id);
          store_->Record(tx, p, runtime_.clock().Now());
        }
        std::vector<std::string> ids(e.application_ids().begin(), e.application_ids().end());
        store_->Forget(tx, tenant, e.applicant_sub(), ids);
        WakeDispatchers();
        return absl::OkStatus();
      });

  // Scheduling: the applicant's appointment, with the calendar entry (RFC 5545, made by
  // scheduling: same UID across reschedules, higher SEQUENCE, METHOD:CANCEL when cancelled).
  auto appointment = [this, about, to_applicant](pqxx::work& tx, const ev::AppointmentSnapshot& b,
                                                 const ev::EventMeta& meta, Kind kind,
                                                 const std::string& ics_method) {
    Planned p;
    if (auto facts = store_->Application(tx, b.application_id())) {
      about(p, *facts, b.application_id());
    } else {
      p.tenant_id = b.tenant_id().empty() ? meta.tenant_id() : b.tenant_id();
      p.application_id = b.application_id();
      p.posting_id = b.posting_id();
    }
    if (!b.kennziffer().empty()) p.values["kennziffer"] = b.kennziffer();
    if (!b.posting_title().empty()) p.values["stellentitel"] = b.posting_title();
    p.event_id = meta.event_id();
    p.kind = kind;
    p.values["termin"] = b.start_local_text();
    p.values["ort"] = PlaceOf(b);
    if (!ics_method.empty() && !b.ics().empty()) {
      p.ics = b.ics();
      p.ics_method = ics_method;
    }
    to_applicant(tx, p, b.applicant_sub());
    store_->Record(tx, p, runtime_.clock().Now());
    WakeDispatchers();
    return absl::OkStatus();
  };
  consumer.On<ev::BookingConfirmed>(
      [appointment](pqxx::work& tx, const ev::BookingConfirmed& e, const amqp::Delivery&) {
        return appointment(tx, e.booking(), e.meta(), v1::BOOKING_CONFIRMED, "REQUEST");
      });
  consumer.On<ev::BookingRescheduled>(
      [appointment](pqxx::work& tx, const ev::BookingRescheduled& e, const amqp::Delivery&) {
        return appointment(tx, e.booking(), e.meta(), v1::BOOKING_RESCHEDULED, "REQUEST");
      });
  consumer.On<ev::BookingCancelled>(
      [appointment](pqxx::work& tx, const ev::BookingCancelled& e, const amqp::Delivery&) {
        return appointment(tx, e.booking(), e.meta(), v1::BOOKING_CANCELLED, "CANCEL");
      });
  consumer.On<ev::ReminderDue>(
      [appointment](pqxx::work& tx, const ev::ReminderDue& e, const amqp::Delivery&) {
        return appointment(tx, e.booking(), e.meta(), v1::BOOKING_REMINDER, "");
      });

  // Coordination (seed 004): each side's Koordinierungsstelle mailbox.
  auto notice = [this](pqxx::work& tx, Planned& p, const ev::StaffingNoticeSnapshot& n,
                       const std::string& event_id) {
    p.event_id = event_id;
    p.notice_id = n.notice_id();
    p.posting_id = n.posting_id();
    p.application_id = n.application_id();
    auto [kennziffer, title] = store_->PostingRef(tx, n.posting_id());
    p.values["kennziffer"] = kennziffer.empty() ? "ohne" : kennziffer;
    p.values["stellentitel"] = n.position_title().empty() ? title : n.position_title();
    p.values["regionalstelle"] = n.regional_office();
  };
  auto record_for = [this, to_role](pqxx::work& tx, Planned p, const std::string& tenant,
                                    const std::string& role) {
    p.tenant_id = tenant;
    to_role(tx, p, role);
    store_->Record(tx, p, runtime_.clock().Now());
  };

  consumer.On<ev::StaffingNoticeFiled>(
      [this, notice, record_for](pqxx::work& tx, const ev::StaffingNoticeFiled& e,
                                 const amqp::Delivery&) -> absl::Status {
        Planned p;
        notice(tx, p, e.notice(), e.meta().event_id());
        p.kind = v1::NOTICE_FILED;
        p.values["fristende"] = FormatGermanInstant(TimeOf(e.notice().window_end_time()));
        record_for(tx, p, e.notice().district_tenant_id(), "district_coordinator");
        WakeDispatchers();
        return absl::OkStatus();
      });
  consumer.On<ev::StaffingConcernRaised>([this, notice, record_for](
                                             pqxx::work& tx, const ev::StaffingConcernRaised& e,
                                             const amqp::Delivery&) -> absl::Status {
    Planned p;
    notice(tx, p, e.notice(), e.meta().event_id());
    p.kind = v1::CONCERN_RAISED;
    p.values["anliegen"] = e.text();
    p.values["art"] = e.concern_kind() == "CLARIFICATION_NEEDED" ? "Klärungsbedarf" : "Bedenken";
    record_for(tx, p, e.notice().city_tenant_id(), "city_coordinator");
    WakeDispatchers();
    return absl::OkStatus();
  });
  auto both = [record_for](pqxx::work& tx, const Planned& p, const ev::StaffingNoticeSnapshot& n) {
    record_for(tx, p, n.city_tenant_id(), "city_coordinator");
    record_for(tx, p, n.district_tenant_id(), "district_coordinator");
  };
  consumer.On<ev::StaffingCleared>([this, notice, both](pqxx::work& tx,
                                                        const ev::StaffingCleared& e,
                                                        const amqp::Delivery&) -> absl::Status {
    Planned p;
    notice(tx, p, e.notice(), e.meta().event_id());
    p.kind = v1::NOTICE_CLEARED;
    p.values["freigabe"] = ClearanceName(e.how());
    both(tx, p, e.notice());
    WakeDispatchers();
    return absl::OkStatus();
  });
  consumer.On<ev::StaffingInstructed>([this, notice, both](pqxx::work& tx,
                                                           const ev::StaffingInstructed& e,
                                                           const amqp::Delivery&) -> absl::Status {
    Planned p;
    notice(tx, p, e.notice(), e.meta().event_id());
    p.kind = v1::NOTICE_INSTRUCTED;
    p.values["weisung"] = e.instruction();
    both(tx, p, e.notice());
    WakeDispatchers();
    return absl::OkStatus();
  });
  consumer.On<ev::StaffingWithdrawn>([this, notice, both](pqxx::work& tx,
                                                          const ev::StaffingWithdrawn& e,
                                                          const amqp::Delivery&) -> absl::Status {
    Planned p;
    notice(tx, p, e.notice(), e.meta().event_id());
    p.kind = v1::NOTICE_WITHDRAWN;
    p.values["grund"] = e.reason();
    both(tx, p, e.notice());
    WakeDispatchers();
    return absl::OkStatus();
  });
  consumer.On<ev::BaseDataOverdue>([this, record_for](pqxx::work& tx, const ev::BaseDataOverdue& e,
                                                      const amqp::Delivery&) -> absl::Status {
    Planned p;
    p.event_id = e.meta().event_id();
    p.kind = v1::BASE_DATA_OVERDUE;
    p.values["kennziffer"] = "ohne";
    p.values["stellentitel"] = "";
    p.values["regionalstelle"] = e.regional_office();
    p.values["quartal"] = e.quarter();
    p.values["faellig"] = FormatGermanInstant(TimeOf(e.due_time()));
    record_for(tx, p, e.city_tenant_id(), "city_coordinator");
    WakeDispatchers();
    return absl::OkStatus();
  });
}

}  // namespace stellenwerk::notifications
