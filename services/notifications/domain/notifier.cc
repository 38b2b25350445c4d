#include "services/notifications/domain/notifier.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "services/notifications/domain/audience.h"

namespace stellenwerk::notifications {
namespace {

absl::Time TimeOf(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
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

// What every message about an application carries.
void About(Planned& p, const ApplicationFacts& f, const std::string& application_id) {
  p.tenant_id = f.tenant_id;
  p.application_id = application_id;
  p.posting_id = f.posting_id;
  p.values["kennziffer"] = f.kennziffer;
  p.values["stellentitel"] = f.posting_title;
}

// To the applicant's address as this service knows it (none: the inbox only).
void ToApplicant(NotificationRecords& r, Planned& p, const std::string& sub) {
  p.recipient_role = "applicant";
  p.recipient_sub = sub;
  if (auto c = r.ContactOf(p.tenant_id, sub)) {
    p.to = {absl::StrCat(c->given_name, " ", c->family_name), c->email};
    p.values["anrede"] = Salutation(c->salutation, c->given_name, c->family_name);
  } else {
    p.values["anrede"] = "Guten Tag";
  }
}

// To a role's functional mailbox: staff mails name no applicant.
void ToMailbox(const v1::TenantSettings& settings, Planned& p, const std::string& role) {
  p.recipient_role = role;
  p.recipient_sub.clear();
  p.to = {"", MailboxOf(settings, role)};
  p.values["anrede"] = "Guten Tag";
}
void ToRole(NotificationRecords& r, Planned& p, const std::string& role) {
  ToMailbox(r.Settings(p.tenant_id), p, role);
}

// A staffing notice's references (Kennziffer from an application to its posting, if any).
Planned AboutNotice(NotificationRecords& r, const ev::StaffingNoticeSnapshot& n,
                    const std::string& event_id) {
  Planned p;
  p.event_id = event_id;
  p.notice_id = n.notice_id();
  p.posting_id = n.posting_id();
  p.application_id = n.application_id();
  auto [kennziffer, title] = r.PostingRef(n.posting_id());
  p.values["kennziffer"] = kennziffer.empty() ? "ohne" : kennziffer;
  p.values["stellentitel"] = n.position_title().empty() ? title : n.position_title();
  p.values["regionalstelle"] = n.regional_office();
  p.values["bezug"] = NoticeReference(kennziffer, p.values["stellentitel"], n.regional_office());
  return p;
}
void RecordFor(NotificationRecords& r, Planned p, const std::string& tenant,
               const std::string& role) {
  p.tenant_id = tenant;
  ToRole(r, p, role);
  r.Record(p);
}
// Clearance, instruction and withdrawal concern both sides.
void RecordForBoth(NotificationRecords& r, const Planned& p, const ev::StaffingNoticeSnapshot& n) {
  RecordFor(r, p, n.city_tenant_id(), "city_coordinator");
  RecordFor(r, p, n.district_tenant_id(), "district_coordinator");
}

}  // namespace

void Notifier::Submitted(NotificationRecords& r, const ev::ApplicationSubmitted& e,
                         absl::Time now) {
  const std::string tenant = e.meta().tenant_id();
  const ApplicationFacts facts{tenant, e.posting_id(), e.applicant_sub(), e.kennziffer(),
                               e.posting_title()};
  const Contact contact{e.contact().email(), e.contact().given_name(), e.contact().family_name(),
                        e.contact().salutation()};
  r.Remember(e.application_id(), facts, contact.email.empty() ? nullptr : &contact);
  const v1::TenantSettings settings = r.Settings(tenant);
  const bool manual = settings.acknowledgment() == v1::MANUAL;
  Planned ack;
  About(ack, facts, e.application_id());
  ack.event_id = e.meta().event_id();
  ack.kind = v1::APPLICATION_RECEIVED;
  ack.held = manual;  // seed 000: a personal acknowledgment, released by HR
  ack.recipient_role = "applicant";
  ack.recipient_sub = e.applicant_sub();
  const auto& c = e.contact();
  ack.to = {absl::StrCat(c.given_name(), " ", c.family_name()), c.email()};
  ack.values["anrede"] = Salutation(c.salutation(), c.given_name(), c.family_name());
  const std::string ack_id = r.Record(ack, &settings);
  if (manual) {
    Planned task;
    About(task, facts, e.application_id());
    task.event_id = e.meta().event_id();
    task.kind = v1::ACKNOWLEDGMENT_TASK;
    ToMailbox(settings, task, "hr_clerk");
    r.Record(task, &settings);
    if (!ack_id.empty()) {
      r.ScheduleAcknowledgmentDue(
          ack_id, e.application_id(),
          AcknowledgmentDue(now, settings.acknowledgment_due_working_days()));
    }
  }
  if (e.severely_disabled()) {
    // SGB IX § 178 (2): the disability representative is informed of the application.
    Planned sbv;
    About(sbv, facts, e.application_id());
    sbv.event_id = e.meta().event_id();
    sbv.kind = v1::SEVERELY_DISABLED_APPLICATION;
    ToMailbox(settings, sbv, "disability_representative");
    r.Record(sbv, &settings);
  }
  if (settings.notify_procedure_contact()) {
    Planned hr;
    About(hr, facts, e.application_id());
    hr.event_id = e.meta().event_id();
    hr.kind = v1::NEW_APPLICATION;
    ToMailbox(settings, hr, "hr_clerk");
    r.Record(hr, &settings);
  }
}

void Notifier::AcknowledgmentOverdue(NotificationRecords& r, const std::string& delivery_id,
                                     const std::string& application_id) {
  if (!r.StillHeld(delivery_id)) return;  // sent meanwhile
  auto facts = r.Application(application_id);
  if (!facts) return;  // erased meanwhile
  Planned p;
  About(p, *facts, application_id);
  p.event_id = absl::StrCat("acknowledgment-overdue:", delivery_id);
  p.kind = v1::ACKNOWLEDGMENT_OVERDUE;
  ToRole(r, p, "hr_clerk");
  p.values["arbeitstage"] =
      absl::StrCat(r.Settings(facts->tenant_id).acknowledgment_due_working_days());
  r.Record(p);
}

void Notifier::StatusChanged(NotificationRecords& r, const ev::ApplicationStatusChanged& e) {
  auto facts = r.Application(e.application_id());
  if (!facts) return;  // submitted before this service, or erased
  r.NoteStatus(e.application_id(), e.to());
  if (auto kind = ApplicantLetterFor(e.to())) {
    Planned p;
    About(p, *facts, e.application_id());
    p.event_id = e.meta().event_id();
    p.kind = *kind;
    if (*kind == v1::APPLICATION_REJECTED) p.values["grund"] = e.reason();
    ToApplicant(r, p, facts->applicant_sub);
    r.Record(p);
  }
  for (const Body& body : BodiesDueAt(e.to())) {
    Planned p;
    About(p, *facts, e.application_id());
    p.event_id = e.meta().event_id();
    p.kind = v1::PARTICIPATION_DUE;
    p.values["gremium"] = body.name;
    ToRole(r, p, body.role);
    r.Record(p);
  }
}

// SGB IX § 178 (2) S. 1: every decision about a severely disabled or equivalent applicant goes
// to the tenant's representative, by pseudonym, with the § 165 finding (ADR 0032).
void Notifier::RepresentativeInformed(NotificationRecords& r,
                                      const ev::DisabilityRepresentativeInformed& e) {
  Planned p;
  if (auto facts = r.Application(e.application_id())) {
    About(p, *facts, e.application_id());
  } else {
    p.tenant_id = e.meta().tenant_id();
    p.application_id = e.application_id();
    p.posting_id = e.posting_id();
    p.values["stellentitel"] = r.PostingRef(e.posting_id()).second;
  }
  if (!e.kennziffer().empty()) p.values["kennziffer"] = e.kennziffer();
  p.event_id = e.meta().event_id();
  p.kind = v1::DISABILITY_REPRESENTATIVE_INFORMED;
  for (auto& [k, v] :
       RepresentativeValues({e.pseudonym(), e.decision(), e.reason(), e.obviously_unqualified(),
                             e.representative_heard(), e.representative_statement()})) {
    p.values[k] = v;
  }
  ToRole(r, p, "disability_representative");
  r.Record(p);
}

void Notifier::Withdrawn(NotificationRecords& r, const ev::ApplicationWithdrawn& e) {
  auto facts = r.Application(e.application_id());
  if (!facts) return;
  Planned p;
  About(p, *facts, e.application_id());
  p.event_id = e.meta().event_id();
  p.kind = v1::WITHDRAWAL_CONFIRMED;
  ToApplicant(r, p, facts->applicant_sub);
  r.Record(p);
}

void Notifier::Erased(NotificationRecords& r, const ev::ApplicantErased& e) {
  // The confirmation is recorded first, while the address is still known; it forgets the
  // address itself once sent (GDPR Art. 12 (3), Art. 17). One per erased application.
  for (const std::string& id : e.application_ids()) {
    auto facts = r.Application(id);
    if (!facts) continue;
    Planned p;
    About(p, *facts, id);
    p.kind = v1::ERASURE_CONFIRMED;
    p.inbox = false;  // the inbox is erased too
    p.forget_after_send = true;
    ToApplicant(r, p, e.applicant_sub());
    // The key must differ per application: the recipient is the same person.
    p.event_id = absl::StrCat(e.meta().event_id(), ":", id);
    r.Record(p);
  }
  const std::vector<std::string> ids(e.application_ids().begin(), e.application_ids().end());
  r.Forget(e.meta().tenant_id(), e.applicant_sub(), ids);
}

// Scheduling's calendar entry is RFC 5545 text made there: same UID across reschedules, higher
// SEQUENCE, METHOD:CANCEL when cancelled.
void Notifier::SelectionDayScheduled(NotificationRecords& r, const ev::SelectionDayScheduled& e) {
  std::string place = e.location();
  if (!e.room().empty()) absl::StrAppend(&place, place.empty() ? "" : ", ", "Raum ", e.room());
  if (e.barrier_free_room()) absl::StrAppend(&place, " (barrierefrei)");
  if (e.video_available()) {
    absl::StrAppend(&place, place.empty() ? "per Videokonferenz" : "; auch per Videokonferenz");
  }
  for (const auto& [application_id, facts] : r.Invited(e.posting_id())) {
    Planned p;
    About(p, facts, application_id);
    if (!e.kennziffer().empty()) p.values["kennziffer"] = e.kennziffer();
    if (!e.posting_title().empty()) p.values["stellentitel"] = e.posting_title();
    p.event_id = e.meta().event_id();  // one per applicant: the recipient is part of the key
    p.kind = v1::SELECTION_DAY_OFFERED;
    p.values["termin"] = e.start_local_text();
    p.values["ort"] = place;
    ToApplicant(r, p, facts.applicant_sub);
    r.Record(p);
  }
}

void Notifier::Appointment(NotificationRecords& r, const ev::AppointmentSnapshot& b,
                           const ev::EventMeta& meta, Kind kind, const std::string& ics_method) {
  Planned p;
  if (auto facts = r.Application(b.application_id())) {
    About(p, *facts, b.application_id());
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
  ToApplicant(r, p, b.applicant_sub());
  r.Record(p);
}

void Notifier::NoticeFiled(NotificationRecords& r, const ev::StaffingNoticeFiled& e) {
  Planned p = AboutNotice(r, e.notice(), e.meta().event_id());
  p.kind = v1::NOTICE_FILED;
  p.values["fristende"] = FormatGermanInstant(TimeOf(e.notice().window_end_time()));
  RecordFor(r, p, e.notice().district_tenant_id(), "district_coordinator");
}

void Notifier::ConcernRaised(NotificationRecords& r, const ev::StaffingConcernRaised& e) {
  Planned p = AboutNotice(r, e.notice(), e.meta().event_id());
  p.kind = v1::CONCERN_RAISED;
  p.values["anliegen"] = e.text();
  p.values["art"] = e.concern_kind() == "CLARIFICATION_NEEDED" ? "Klärungsbedarf" : "Bedenken";
  RecordFor(r, p, e.notice().city_tenant_id(), "city_coordinator");
}

void Notifier::Cleared(NotificationRecords& r, const ev::StaffingCleared& e) {
  Planned p = AboutNotice(r, e.notice(), e.meta().event_id());
  p.kind = v1::NOTICE_CLEARED;
  p.values["freigabe"] = ClearanceName(e.how());
  RecordForBoth(r, p, e.notice());
}

void Notifier::Instructed(NotificationRecords& r, const ev::StaffingInstructed& e) {
  Planned p = AboutNotice(r, e.notice(), e.meta().event_id());
  p.kind = v1::NOTICE_INSTRUCTED;
  p.values["weisung"] = e.instruction();
  // What the Weisung im Einzelfall instructs (ADR 0041; seed 004 Nr. 2). An event of before
  // the kind existed counts as NOT_TO_FILL, as in applications.
  p.values["weisungsinhalt"] =
      e.kind() == ev::STAFFING_INSTRUCTION_FILL_WITH_CONDITIONS
          ? absl::StrCat(
                "Die Stelle darf mit der vorgeschlagenen Person besetzt werden, unter "
                "diesen Auflagen: ",
                e.conditions())
          : std::string("Die Stelle ist nicht mit der vorgeschlagenen Person zu besetzen.");
  RecordForBoth(r, p, e.notice());
}

void Notifier::NoticeWithdrawn(NotificationRecords& r, const ev::StaffingWithdrawn& e) {
  Planned p = AboutNotice(r, e.notice(), e.meta().event_id());
  p.kind = v1::NOTICE_WITHDRAWN;
  p.values["grund"] = e.reason();
  RecordForBoth(r, p, e.notice());
}

void Notifier::BaseDataOverdue(NotificationRecords& r, const ev::BaseDataOverdue& e) {
  Planned p;
  p.event_id = e.meta().event_id();
  p.kind = v1::BASE_DATA_OVERDUE;
  p.values["kennziffer"] = "ohne";
  p.values["stellentitel"] = "";
  p.values["regionalstelle"] = e.regional_office();
  p.values["quartal"] = e.quarter();
  p.values["faellig"] = FormatGermanInstant(TimeOf(e.due_time()));
  RecordFor(r, p, e.city_tenant_id(), "city_coordinator");
}

}  // namespace stellenwerk::notifications
