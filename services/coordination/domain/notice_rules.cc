#include "services/coordination/domain/notice_rules.h"

#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/errors/errors.h"
#include "common/time/berlin_calendar.h"
#include "google/protobuf/util/time_util.h"

namespace stellenwerk::coordination {
namespace {

using google::protobuf::util::TimeUtil;
namespace ev = events::v1;

constexpr size_t kMaxShortText = 300;
constexpr size_t kMaxText = 4000;
constexpr size_t kMaxMinutes = 20000;
constexpr int kMaxCandidates = 20;
constexpr int kMaxParticipants = 50;
constexpr int kMaxStaffLines = 500;

google::protobuf::Timestamp Ts(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}
absl::Time FromTs(const google::protobuf::Timestamp& t) {
  return absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(t));
}

bool Blank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

bool HasControl(std::string_view s, bool allow_newlines) {
  for (unsigned char c : s) {
    if (c < 0x20 && !(allow_newlines && (c == '\n' || c == '\r' || c == '\t'))) return true;
  }
  return false;
}

void CheckLine(errors::Validator& v, std::string_view field, std::string_view s, bool required,
               size_t max = kMaxShortText) {
  if (required && Blank(s)) {
    v.Add(field, "required");
    return;
  }
  v.Check(s.size() <= max, field, absl::StrCat("at most ", max, " characters"));
  v.Check(!HasControl(s, false), field, "no control characters or line breaks");
}

void CheckText(errors::Validator& v, std::string_view field, std::string_view s, bool required,
               size_t max = kMaxText) {
  if (required && Blank(s)) {
    v.Add(field, "required");
    return;
  }
  v.Check(s.size() <= max, field, absl::StrCat("at most ", max, " characters"));
  v.Check(!HasControl(s, true), field, "no control characters");
}

v1::HistoryEntry Line(const Actor& a, absl::Time now, std::string action, std::string details) {
  v1::HistoryEntry h;
  h.set_actor_sub(a.sub);
  h.set_actor_role(a.role);
  h.set_actor_tenant(a.tenant);
  h.set_action(std::move(action));
  *h.mutable_time() = Ts(now);
  h.set_details(std::move(details));
  return h;
}

Change Start(const v1::StaffingNotice& n, absl::Time now) {
  Change c;
  c.next = n;
  c.next.clear_history();
  *c.next.mutable_update_time() = Ts(now);
  return c;
}

template <typename E>
std::shared_ptr<E> EventFor(const v1::StaffingNotice& n) {
  auto e = std::make_shared<E>();
  FillSnapshot(n, e->mutable_notice());
  return e;
}

ev::StaffingClearance ToEvent(v1::Clearance c) {
  switch (c) {
    case v1::CLEARANCE_NO_OBJECTION:
      return ev::STAFFING_CLEARANCE_NO_OBJECTION;
    case v1::CLEARANCE_WINDOW_ELAPSED:
      return ev::STAFFING_CLEARANCE_WINDOW_ELAPSED;
    case v1::CLEARANCE_CONSENSUS:
      return ev::STAFFING_CLEARANCE_CONSENSUS;
    case v1::CLEARANCE_DIRECT_PARTICIPATION:
      return ev::STAFFING_CLEARANCE_DIRECT_PARTICIPATION;
    default:
      return ev::STAFFING_CLEARANCE_UNSPECIFIED;
  }
}

// The notice is decided (cleared, withdrawn, instructed) now: its outcome event, built from
// the decided state as OutcomeEvents builds it for a late re-send too.
void Decide(Change& c, v1::NoticeStatus status, absl::Time now) {
  c.next.set_status(status);
  *c.next.mutable_decision_time() = Ts(now);
  for (auto& event : OutcomeEvents(c.next)) c.events.push_back(std::move(event));
}

// Clears the notice and adds staffing.cleared (how it cleared).
void Clear(Change& c, v1::NoticeStatus status, v1::Clearance how, absl::Time now) {
  c.next.set_clearance(how);
  Decide(c, status, now);
  c.timer = WindowTimer::kCancel;
}

absl::Status RequireStatus(const v1::StaffingNotice& n, std::initializer_list<v1::NoticeStatus> ok,
                           std::string_view what) {
  for (auto s : ok) {
    if (n.status() == s) return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrCat(
      std::string(what), " is not possible: the notice is ", v1::NoticeStatus_Name(n.status())));
}

}  // namespace

absl::Time WindowEnd(absl::Time filed) { return calendar::OneWeekPeriodEnd(filed); }

absl::Status CheckWithinWindow(const v1::StaffingNotice& n, absl::Time now) {
  const absl::Time end = FromTs(n.window_end_time());
  // Seed 004: "Falls die Koordinierungsstelle nicht innerhalb einer Wochenfrist reagiert" —
  // the clock decides, not whether the timer has fired yet.
  if (now >= end) {
    return absl::FailedPreconditionError(
        absl::StrCat("the one-week window ended at ", calendar::FormatBerlin(end),
                     "; the staffing may be completed (BGB § 188 (2), § 193)"));
  }
  return RequireStatus(n, {v1::WINDOW_OPEN}, "a reaction within the window");
}

bool IsCleared(v1::NoticeStatus s) {
  return s == v1::CLEARED_NO_OBJECTION || s == v1::CLEARED_WINDOW_ELAPSED ||
         s == v1::CLEARED_BY_CONSENSUS;
}
bool IsFinal(v1::NoticeStatus s) {
  return IsCleared(s) || s == v1::INSTRUCTED || s == v1::WITHDRAWN;
}

absl::Status ValidateFiling(const v1::FileStaffingNoticeRequest& r) {
  errors::Validator v;
  CheckLine(v, "district_tenant_id", r.district_tenant_id(), true, 64);
  CheckLine(v, "position_title", r.position_title(), true);
  CheckLine(v, "regional_office", r.regional_office(), true, 200);
  CheckLine(v, "posting_id", r.posting_id(), false, 64);
  CheckLine(v, "application_id", r.application_id(), false, 64);
  CheckLine(v, "job_agency_head_sub", r.job_agency_head_sub(), false, 200);
  if (r.role_category() == v1::ROLE_CATEGORY_UNSPECIFIED ||
      !v1::RoleCategory_IsValid(r.role_category())) {
    v.Add("role_category", "LEADERSHIP or ACTIVE required");
  } else if (r.role_category() == v1::OTHER) {
    // Seed 004, 2.: only leadership posts and the active area (Arbeitsvermittlung,
    // Fachberatung) go through the procedure.
    v.Add("role_category",
          "only leadership posts and the active area (Arbeitsvermittlung, Fachberatung) need "
          "coordination");
  }
  if (r.candidates_size() == 0) {
    v.Add("candidates", "at least one intended person with qualification and experience");
  }
  v.Check(r.candidates_size() <= kMaxCandidates, "candidates", "at most 20");
  for (int i = 0; i < r.candidates_size() && i < kMaxCandidates; ++i) {
    const auto& c = r.candidates(i);
    const std::string p = absl::StrCat("candidates[", i, "]");
    CheckLine(v, p + ".name", c.name(), false, 200);
    // "aussagefähige Angaben über die Qualifikation ... und den beruflichen
    // Erfahrungshintergrund"
    CheckText(v, p + ".qualification", c.qualification(), true);
    CheckText(v, p + ".experience", c.experience(), true);
  }
  if (r.direct_participation()) {
    if (r.role_category() != v1::LEADERSHIP) {
      v.Add("direct_participation", "only for leadership posts (Führungspositionen)");
    }
    // The head is the one the district's administrator configured (SetJobAgencyHead); the
    // service fills it in when the filing leaves it empty.
  }
  return v.status();
}

absl::StatusOr<Change> NewNotice(const v1::FileStaffingNoticeRequest& r, const std::string& id,
                                 const std::string& city_tenant, const Actor& actor,
                                 absl::Time now) {
  if (absl::Status s = ValidateFiling(r); !s.ok()) return s;
  if (city_tenant == r.district_tenant_id()) {
    return errors::InvalidField("district_tenant_id", "a city cannot address itself");
  }
  if (r.direct_participation() && Blank(r.job_agency_head_sub())) {
    return absl::FailedPreconditionError(
        "direct participation needs the head of the district's JobAgentur; its administrator "
        "has not set one (SetJobAgencyHead)");
  }
  Change c;
  v1::StaffingNotice& n = c.next;
  n.set_id(id);
  n.set_city_tenant_id(city_tenant);
  n.set_district_tenant_id(r.district_tenant_id());
  n.set_position_title(r.position_title());
  n.set_role_category(r.role_category());
  n.set_regional_office(r.regional_office());
  *n.mutable_candidates() = r.candidates();
  n.set_posting_id(r.posting_id());
  n.set_application_id(r.application_id());
  n.set_direct_participation(r.direct_participation());
  if (r.direct_participation()) n.set_job_agency_head_sub(r.job_agency_head_sub());
  n.set_status(v1::WINDOW_OPEN);
  *n.mutable_file_time() = Ts(now);
  const absl::Time end = WindowEnd(now);
  *n.mutable_window_end_time() = Ts(end);
  n.set_window_end_local(calendar::FormatBerlin(end));
  n.set_filed_by(actor.sub);
  *n.mutable_update_time() = Ts(now);
  c.audit.push_back(
      Line(actor, now, "FILED",
           absl::StrCat("window ends ", calendar::FormatBerlin(end),
                        r.direct_participation()
                            ? absl::StrCat("; direct participation of ", r.job_agency_head_sub())
                            : "")));
  c.events.push_back(EventFor<ev::StaffingNoticeFiled>(n));
  c.timer = WindowTimer::kSchedule;
  return c;
}

absl::StatusOr<Change> DeclareNoObjection(const v1::StaffingNotice& n, const Actor& actor,
                                          absl::Time now, std::string_view comment) {
  errors::Validator v;
  CheckText(v, "comment", comment, false);
  if (!v.ok()) return v.status();
  if (absl::Status s = CheckWithinWindow(n, now); !s.ok()) return s;
  Change c = Start(n, now);
  c.audit.push_back(Line(actor, now, "NO_OBJECTION", std::string(comment)));
  Clear(c, v1::CLEARED_NO_OBJECTION, v1::CLEARANCE_NO_OBJECTION, now);
  return c;
}

absl::StatusOr<Change> RaiseConcern(const v1::StaffingNotice& n, const Actor& actor, absl::Time now,
                                    v1::ConcernKind kind, std::string_view text) {
  errors::Validator v;
  v.Check(kind == v1::CONCERNS || kind == v1::CLARIFICATION_NEEDED, "kind",
          "CONCERNS or CLARIFICATION_NEEDED");
  CheckText(v, "text", text, true);
  if (!v.ok()) return v.status();
  if (absl::Status s = CheckWithinWindow(n, now); !s.ok()) return s;
  Change c = Start(n, now);
  c.next.set_status(v1::IN_DISCUSSION);
  c.next.set_concern_kind(kind);
  c.next.set_concern_text(std::string(text));
  c.audit.push_back(Line(actor, now, "CONCERN_RAISED",
                         absl::StrCat(v1::ConcernKind_Name(kind), ": ", std::string(text))));
  auto e = EventFor<ev::StaffingConcernRaised>(c.next);
  e->set_concern_kind(v1::ConcernKind_Name(kind));
  e->set_text(std::string(text));
  c.events.push_back(e);
  c.timer = WindowTimer::kCancel;  // the window no longer decides
  return c;
}

absl::StatusOr<Change> RecordHeadAgreement(const v1::StaffingNotice& n, const Actor& actor,
                                           absl::Time now, std::string_view comment) {
  errors::Validator v;
  CheckText(v, "comment", comment, false);
  if (!v.ok()) return v.status();
  if (!n.direct_participation()) {
    return absl::FailedPreconditionError(
        "the notice does not provide for direct participation of the head of the JobAgentur");
  }
  if (actor.sub != n.job_agency_head_sub()) {
    return absl::PermissionDeniedError(
        "only the head of the JobAgentur named on the notice can record agreement");
  }
  if (absl::Status s = CheckWithinWindow(n, now); !s.ok()) return s;
  Change c = Start(n, now);
  c.audit.push_back(Line(actor, now, "HEAD_AGREEMENT", std::string(comment)));
  Clear(c, v1::CLEARED_NO_OBJECTION, v1::CLEARANCE_DIRECT_PARTICIPATION, now);
  return c;
}

absl::StatusOr<Change> RecordDiscussion(const v1::StaffingNotice& n, const Actor& actor,
                                        absl::Time now, const v1::RecordDiscussionRequest& r) {
  errors::Validator v;
  v.Check(r.participants_size() >= 2, "participants", "at least one person of each side");
  v.Check(r.participants_size() <= kMaxParticipants, "participants", "at most 50");
  for (int i = 0; i < r.participants_size() && i < kMaxParticipants; ++i) {
    const std::string p = absl::StrCat("participants[", i, "]");
    CheckLine(v, p + ".name", r.participants(i).name(), true, 200);
    CheckLine(v, p + ".organisation", r.participants(i).organisation(), true, 200);
    CheckLine(v, p + ".function", r.participants(i).function(), false, 200);
  }
  CheckText(v, "minutes", r.minutes(), true, kMaxMinutes);
  // Seed 004: "Kreis und Stadt … erörtern" — a discussion has both sides at the table, so a
  // consensus recorded from it is one both can be held to.
  std::set<std::string> organisations;
  for (const auto& p : r.participants()) {
    organisations.insert(absl::AsciiStrToLower(absl::StripAsciiWhitespace(p.organisation())));
  }
  organisations.erase("");
  v.Check(organisations.size() >= 2, "participants",
          "people of both sides: at least two organisations (city and district)");
  if (r.has_held_time() && FromTs(r.held_time()) > now) v.Add("held_time", "lies in the future");
  if (!v.ok()) return v.status();
  if (absl::Status s = RequireStatus(n, {v1::IN_DISCUSSION}, "recording a discussion"); !s.ok()) {
    return s;
  }
  Change c = Start(n, now);
  v1::Discussion* d = c.next.add_discussions();
  *d->mutable_held_time() = r.has_held_time() ? r.held_time() : Ts(now);
  *d->mutable_participants() = r.participants();
  d->set_minutes(r.minutes());
  d->set_recorded_by(actor.sub);
  *d->mutable_record_time() = Ts(now);
  std::string who;
  bool heads = false;
  for (const auto& p : r.participants()) {
    absl::StrAppend(&who, who.empty() ? "" : ", ", p.name(), " (", p.organisation(),
                    p.administrative_head() ? ", Verwaltungsleitung" : "", ")");
    heads = heads || p.administrative_head();
  }
  c.audit.push_back(
      Line(actor, now, "DISCUSSION_RECORDED",
           absl::StrCat("participants: ", who, heads ? "; with administrative heads" : "")));
  return c;
}

absl::StatusOr<Change> ResolveByConsensus(const v1::StaffingNotice& n, const Actor& actor,
                                          absl::Time now, v1::ConsensusOutcome outcome,
                                          std::string_view terms) {
  errors::Validator v;
  v.Check(outcome == v1::PROCEED || outcome == v1::MODIFIED_PROCEED || outcome == v1::WITHDRAW,
          "outcome", "PROCEED, MODIFIED_PROCEED or WITHDRAW");
  CheckText(v, "terms", terms, outcome == v1::MODIFIED_PROCEED);
  if (!v.ok()) return v.status();
  if (absl::Status s = RequireStatus(n, {v1::IN_DISCUSSION}, "a consensus"); !s.ok()) return s;
  if (n.discussions_size() == 0) {
    return absl::FailedPreconditionError("record the discussion before its consensus");
  }
  // Seed 004: an einvernehmliche Lösung binds both sides, so the side that gives ground
  // declares it: the district that drops its concern (PROCEED, MODIFIED_PROCEED: the hiring
  // goes ahead) or the city that drops the hiring (WITHDRAW). Neither side can settle the
  // other's position alone.
  const bool clears = outcome != v1::WITHDRAW;
  const std::string& conceding = clears ? n.district_tenant_id() : n.city_tenant_id();
  if (actor.tenant != conceding) {
    return absl::PermissionDeniedError(
        clears ? "a consensus to proceed is declared by the district, which drops its concern"
               : "a consensus to withdraw is declared by the city, which drops the hiring");
  }
  Change c = Start(n, now);
  c.next.set_consensus_outcome(outcome);
  c.next.set_consensus_terms(std::string(terms));
  c.audit.push_back(Line(actor, now, "CONSENSUS",
                         absl::StrCat(v1::ConsensusOutcome_Name(outcome), terms.empty() ? "" : ": ",
                                      std::string(terms))));
  if (outcome == v1::WITHDRAW) {
    c.next.set_withdraw_reason(std::string(terms));
    Decide(c, v1::WITHDRAWN, now);  // by consensus: consensus_outcome is WITHDRAW
  } else {
    Clear(c, v1::CLEARED_BY_CONSENSUS, v1::CLEARANCE_CONSENSUS, now);
  }
  return c;
}

absl::StatusOr<Change> IssueInstruction(const v1::StaffingNotice& n, const Actor& actor,
                                        absl::Time now, v1::InstructionKind kind,
                                        std::string_view instruction, std::string_view conditions) {
  errors::Validator v;
  CheckText(v, "instruction", instruction, true);
  // Seed 004, Nr. 2 ("Weisung im Einzelfall"): an instruction in the individual case says what
  // it instructs — not to fill the post with this person, or to fill it under conditions that
  // then bind the hiring.
  if (kind == v1::INSTRUCTION_KIND_UNSPECIFIED || !v1::InstructionKind_IsValid(kind)) {
    v.Add("kind", "NOT_TO_FILL or FILL_WITH_CONDITIONS required");
  } else if (kind == v1::FILL_WITH_CONDITIONS) {
    CheckText(v, "conditions", conditions, true);
  } else if (!conditions.empty()) {
    v.Add("conditions", "only an instruction to fill with conditions states conditions");
  }
  if (!v.ok()) return v.status();
  if (absl::Status s = RequireStatus(n, {v1::IN_DISCUSSION}, "an instruction"); !s.ok()) return s;
  // Seed 004: the Weisung im Einzelfall is reserved for when the discussion found no consensus.
  if (n.discussions_size() == 0) {
    return absl::FailedPreconditionError(
        "an instruction (Weisung im Einzelfall) needs a recorded discussion without consensus");
  }
  Change c = Start(n, now);
  c.next.set_instruction(std::string(instruction));
  c.next.set_instruction_kind(kind);
  c.next.set_instruction_conditions(std::string(conditions));
  c.audit.push_back(Line(actor, now, "INSTRUCTION",
                         kind == v1::FILL_WITH_CONDITIONS
                             ? absl::StrCat("FILL_WITH_CONDITIONS: ", std::string(instruction),
                                            "; conditions: ", std::string(conditions))
                             : absl::StrCat("NOT_TO_FILL: ", std::string(instruction))));
  Decide(c, v1::INSTRUCTED, now);
  return c;
}

absl::StatusOr<Change> RecordReduction(const v1::StaffingNotice& n, const Actor& actor,
                                       absl::Time now, int64_t amount_cents, int year,
                                       std::string_view reason) {
  errors::Validator v;
  v.Check(amount_cents > 0 && amount_cents <= 100'000'000'000LL, "amount_cents",
          "a positive amount in euro cents");
  v.Check(year >= 2000 && year <= 2200, "year", "a calendar year");
  CheckText(v, "reason", reason, true);
  if (!v.ok()) return v.status();
  if (absl::Status s =
          RequireStatus(n, {v1::IN_DISCUSSION, v1::INSTRUCTED}, "a reimbursement reduction");
      !s.ok()) {
    return s;
  }
  if (n.discussions_size() == 0) {
    return absl::FailedPreconditionError(
        "a reimbursement reduction needs a recorded discussion without consensus");
  }
  Change c = Start(n, now);
  v1::ReimbursementReduction r;
  r.set_amount_cents(amount_cents);
  r.set_year(year);
  r.set_reason(std::string(reason));
  r.set_legal_basis(kReductionLegalBasis);
  r.set_recorded_by(actor.sub);
  *r.mutable_record_time() = Ts(now);
  *c.next.add_reductions() = r;
  c.reduction = r;
  c.audit.push_back(Line(actor, now, "REIMBURSEMENT_REDUCTION",
                         absl::StrCat(amount_cents, " cents for ", year, " under ",
                                      kReductionLegalBasis, ": ", std::string(reason))));
  return c;
}

absl::StatusOr<Change> Withdraw(const v1::StaffingNotice& n, const Actor& actor, absl::Time now,
                                std::string_view reason) {
  errors::Validator v;
  CheckText(v, "reason", reason, false);
  if (!v.ok()) return v.status();
  if (n.status() == v1::WITHDRAWN) {
    return absl::FailedPreconditionError("the notice is already withdrawn");
  }
  // Seed 004: without consensus the district may instruct (Weisung im Einzelfall) and/or cut
  // the reimbursement; a city withdrawing after the instruction would take both away.
  if (n.status() == v1::INSTRUCTED) {
    return absl::FailedPreconditionError(
        "the district has issued an instruction (Weisung im Einzelfall); the notice can no "
        "longer be withdrawn");
  }
  Change c = Start(n, now);
  c.next.set_withdraw_reason(std::string(reason));
  c.audit.push_back(Line(actor, now, "WITHDRAWN", std::string(reason)));
  Decide(c, v1::WITHDRAWN, now);
  c.timer = WindowTimer::kCancel;
  return c;
}

Events OutcomeEvents(const v1::StaffingNotice& n) {
  Events out;
  switch (n.status()) {
    case v1::CLEARED_NO_OBJECTION:
    case v1::CLEARED_WINDOW_ELAPSED:
    case v1::CLEARED_BY_CONSENSUS: {
      auto e = EventFor<ev::StaffingCleared>(n);
      e->set_how(ToEvent(n.clearance()));
      *e->mutable_cleared_time() = n.decision_time();
      e->set_consensus_terms(n.consensus_terms());
      if (n.has_clearance_recorded_time())
        *e->mutable_recorded_time() = n.clearance_recorded_time();
      out.push_back(e);
      break;
    }
    case v1::WITHDRAWN: {
      auto e = EventFor<ev::StaffingWithdrawn>(n);
      e->set_reason(n.withdraw_reason());
      e->set_by_consensus(n.consensus_outcome() == v1::WITHDRAW);
      out.push_back(e);
      break;
    }
    case v1::INSTRUCTED: {
      auto e = EventFor<ev::StaffingInstructed>(n);
      e->set_instruction(n.instruction());
      e->set_kind(n.instruction_kind() == v1::FILL_WITH_CONDITIONS
                      ? ev::STAFFING_INSTRUCTION_FILL_WITH_CONDITIONS
                      : ev::STAFFING_INSTRUCTION_NOT_TO_FILL);
      e->set_conditions(n.instruction_conditions());
      out.push_back(e);
      break;
    }
    default:
      break;
  }
  return out;
}

Change EraseCandidates(const v1::StaffingNotice& n, absl::Time now) {
  Change c;
  c.next = n;
  c.next.clear_history();
  bool personal = false;
  for (const auto& cand : n.candidates()) {
    personal |= !cand.name().empty() || !cand.qualification().empty() || !cand.experience().empty();
  }
  if (!personal) return c;  // erased already: nothing to do, nothing recorded
  // GDPR Art. 17 (1): what the city passed on about the person goes with the person. The notice
  // stays as the record of the procedure (both authorities must be able to show that it was
  // coordinated and how it ended), without anyone in it.
  for (auto& cand : *c.next.mutable_candidates()) {
    cand.clear_name();
    cand.clear_qualification();
    cand.clear_experience();
  }
  *c.next.mutable_candidate_erased_time() = Ts(now);
  *c.next.mutable_update_time() = Ts(now);
  Actor system = Actor::System("applications", n.city_tenant_id(), "");
  system.sub = "system:erasure";
  system.role = "system";
  c.audit.push_back(Line(system, now, "CANDIDATE_ERASED",
                         "the applicant was erased (GDPR Art. 17): qualification and experience "
                         "of the candidate removed"));
  return c;
}

Change ElapseWindow(const v1::StaffingNotice& n, absl::Time now) {
  Change c;
  c.next = n;
  c.next.clear_history();
  const absl::Time end = FromTs(n.window_end_time());
  if (n.status() != v1::WINDOW_OPEN || now < end) return c;
  *c.next.mutable_update_time() = Ts(now);
  Actor system = Actor::System("window", n.district_tenant_id(), "");
  system.role = "system";
  c.audit.push_back(Line(
      system, now, "WINDOW_ELAPSED",
      absl::StrCat("no reaction by ", calendar::FormatBerlin(end),
                   now > end ? absl::StrCat("; recorded ", calendar::FormatBerlin(now)) : "")));
  // Seed 004 / BGB § 188 (2), § 193: the city may complete the staffing from the window's end —
  // that instant is the clearance, even when the timer fires late (the service was down); the
  // firing time is kept beside it. The staffing.cleared event carries both.
  *c.next.mutable_clearance_recorded_time() = Ts(now);
  Clear(c, v1::CLEARED_WINDOW_ELAPSED, v1::CLEARANCE_WINDOW_ELAPSED, end);
  c.timer = WindowTimer::kKeep;  // the firing timer is deleted with this effect
  return c;
}

void FillSnapshot(const v1::StaffingNotice& n, ev::StaffingNoticeSnapshot* s) {
  s->set_notice_id(n.id());
  s->set_city_tenant_id(n.city_tenant_id());
  s->set_district_tenant_id(n.district_tenant_id());
  s->set_position_title(n.position_title());
  s->set_role_category(n.role_category());
  s->set_regional_office(n.regional_office());
  s->set_posting_id(n.posting_id());
  s->set_application_id(n.application_id());
  s->set_status(v1::NoticeStatus_Name(n.status()));
  *s->mutable_window_end_time() = n.window_end_time();
  s->set_direct_participation(n.direct_participation());
}

absl::StatusOr<Quarter> ParseQuarter(std::string_view text) {
  Quarter q;
  if (text.size() != 7 || text[4] != '-' || text[5] != 'Q' ||
      !absl::SimpleAtoi(std::string(text.substr(0, 4)), &q.year) ||
      !absl::SimpleAtoi(std::string(text.substr(6)), &q.q) || q.q < 1 || q.q > 4 || q.year < 2000) {
    return errors::InvalidField("quarter",
                                absl::StrCat("\"", std::string(text), "\" is not like 2025-Q1"));
  }
  return q;
}

std::string FormatQuarter(Quarter q) { return absl::StrCat(q.year, "-Q", q.q); }

Quarter QuarterOf(absl::CivilDay day) {
  return Quarter{static_cast<int>(day.year()), (day.month() - 1) / 3 + 1};
}

Quarter NextQuarter(Quarter q) {
  return q.q == 4 ? Quarter{q.year + 1, 1} : Quarter{q.year, q.q + 1};
}

absl::Time QuarterEnd(Quarter q) {
  const Quarter next = NextQuarter(q);
  return calendar::StartOfDay(absl::CivilDay(next.year, (next.q - 1) * 3 + 1, 1));
}

absl::Status ValidateBaseData(const v1::SubmitBaseDataRequest& r) {
  errors::Validator v;
  CheckLine(v, "district_tenant_id", r.district_tenant_id(), true, 64);
  CheckLine(v, "regional_office", r.regional_office(), true, 200);
  if (auto q = ParseQuarter(r.quarter()); !q.ok()) v.Add("quarter", "expected like 2025-Q1");
  v.Check(r.lines_size() > 0, "lines", "at least one line (function, headcount, ...)");
  v.Check(r.lines_size() <= kMaxStaffLines, "lines", "at most 500");
  v.Check(r.personnel_cost_cents() >= 0 && r.personnel_cost_cents() <= 1'000'000'000'000LL,
          "personnel_cost_cents", "0 to 10 billion euro, in cents");
  for (int i = 0; i < r.lines_size() && i < kMaxStaffLines; ++i) {
    const auto& l = r.lines(i);
    const std::string p = absl::StrCat("lines[", i, "]");
    CheckLine(v, p + ".function", l.function(), true, 200);
    CheckLine(v, p + ".qualification", l.qualification(), true, 200);
    CheckLine(v, p + ".pay_group", l.pay_group(), true, 100);
    v.Check(l.headcount() >= 0 && l.headcount() <= 100000, p + ".headcount", "0–100000");
    v.Check(l.fte_milli() >= 0 && int64_t{l.fte_milli()} <= int64_t{l.headcount()} * 1000,
            p + ".fte_milli", "0 to headcount × 1000 (no more full-time equivalents than people)");
    v.Check(l.trainings() >= 0 && l.trainings() <= 100000, p + ".trainings", "0–100000");
  }
  return v.status();
}

namespace {
void AddGroup(std::map<std::string, std::pair<int64_t, int64_t>>& m, const std::string& key,
              const v1::StaffLine& l) {
  auto& g = m[key];
  g.first += l.headcount();
  g.second += l.fte_milli();
}
void Emit(const std::map<std::string, std::pair<int64_t, int64_t>>& m,
          google::protobuf::RepeatedPtrField<v1::CapacityGroup>* out) {
  for (const auto& [key, g] : m) {
    auto* c = out->Add();
    c->set_key(key);
    c->set_headcount(g.first);
    c->set_fte_milli(g.second);
  }
}
struct Groups {
  std::map<std::string, std::pair<int64_t, int64_t>> function, qualification, pay;
  void Add(const v1::StaffLine& l) {
    AddGroup(function, l.function(), l);
    AddGroup(qualification, l.qualification(), l);
    AddGroup(pay, l.pay_group(), l);
  }
  void To(v1::OfficeCapacity* o) const {
    Emit(function, o->mutable_by_function());
    Emit(qualification, o->mutable_by_qualification());
    Emit(pay, o->mutable_by_pay_group());
  }
};
}  // namespace

v1::CapacityPlan BuildCapacityPlan(const std::string& district,
                                   const std::vector<v1::BaseDataSubmission>& latest) {
  v1::CapacityPlan plan;
  plan.set_district_tenant_id(district);
  Groups total_groups;
  v1::OfficeCapacity* total = plan.mutable_total();
  for (const auto& s : latest) {
    v1::OfficeCapacity* o = plan.add_offices();
    o->set_city_tenant_id(s.city_tenant_id());
    o->set_regional_office(s.regional_office());
    o->set_quarter(s.quarter());
    Groups groups;
    for (const auto& l : s.lines()) {
      o->set_headcount(o->headcount() + l.headcount());
      o->set_fte_milli(o->fte_milli() + l.fte_milli());
      o->set_trainings(o->trainings() + l.trainings());
      groups.Add(l);
      total_groups.Add(l);
    }
    groups.To(o);
    total->set_headcount(total->headcount() + o->headcount());
    total->set_fte_milli(total->fte_milli() + o->fte_milli());
    total->set_trainings(total->trainings() + o->trainings());
  }
  total->set_regional_office("*");
  total_groups.To(total);
  return plan;
}

void ComputeReimbursement(v1::ReimbursementStatus& s) {
  if (!s.cap_set()) {  // nothing to measure against yet
    s.set_reimbursable_cents(0);
    s.set_remaining_cents(0);
    s.set_over_cap_cents(0);
    return;
  }
  const int64_t within_cap = std::min(s.claimed_cents(), s.cap_cents());
  s.set_reimbursable_cents(std::max<int64_t>(0, within_cap - s.reductions_cents()));
  s.set_remaining_cents(std::max<int64_t>(0, s.cap_cents() - s.claimed_cents()));
  s.set_over_cap_cents(std::max<int64_t>(0, s.claimed_cents() - s.cap_cents()));
}

}  // namespace stellenwerk::coordination
