// ApplicationService: participation of the statutory bodies and the hiring.
#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/errors/errors.h"
#include "common/ids/uuid.h"
#include "common/time/berlin_calendar.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "nlohmann/json.hpp"
#include "services/applications/domain/application_rules.h"
#include "services/applications/domain/application_service.h"
#include "services/applications/domain/service_support.h"
#include "stellenwerk/events/v1/applications.pb.h"

namespace stellenwerk::applications {

using namespace service_support;  // NOLINT(build/namespaces): this class's own helpers
using google::protobuf::util::TimeUtil;
namespace ev = events::v1;

namespace {

const char* BodyRole(v1::ParticipationBody body) {
  switch (body) {
    case v1::EQUAL_OPPORTUNITY_OFFICER:
      return auth::roles::kEqualOpportunityOfficer;
    case v1::STAFF_COUNCIL:
      return auth::roles::kStaffCouncil;
    case v1::DISABILITY_REPRESENTATIVE:
      return auth::roles::kDisabilityRepresentative;
    default:
      return "";
  }
}

}  // namespace

absl::StatusOr<v1::ParticipationVerdict> ApplicationService::RecordParticipation(
    const auth::Principal& who, const std::string& correlation_id,
    const v1::RecordParticipationRequest& r) {
  if (!v1::ParticipationBody_IsValid(r.body()) || r.body() == v1::PARTICIPATION_BODY_UNSPECIFIED) {
    return errors::InvalidField(
        "body", "EQUAL_OPPORTUNITY_OFFICER, STAFF_COUNCIL or DISABILITY_REPRESENTATIVE");
  }
  // Each body speaks for itself: the equal-opportunity officer (LGG NRW § 18), the staff
  // council (LPVG NRW § 72), the disability representative (SGB IX § 178 (2)).
  if (!who.HasRole(BodyRole(r.body()))) {
    return absl::PermissionDeniedError(
        absl::StrCat("only the role ", BodyRole(r.body()), " records this body's verdict"));
  }
  errors::Validator v;
  v.Check(!absl::StripAsciiWhitespace(r.verdict()).empty() && r.verdict().size() <= 4000, "verdict",
          "1–4000 characters");
  if (!v.ok()) return v.status();
  auto posting = OwnPosting(who, r.posting_id());
  if (!posting.ok()) return posting.status();
  // Seed 000: "Nach der Durchführung aller Vorstellungsgespräche" the equal-opportunity officer
  // and the staff council take part — a verdict is on a selection that has been made, not on
  // one still open (LPVG NRW § 72: consent to a particular hiring).
  if (TakesApplications(*posting, clock_.Now())) {
    return absl::FailedPreconditionError(
        "the posting still takes applications: verdicts follow the interviews");
  }
  auto pending = store_.List(who.tenant, r.posting_id(), {v1::INVITED}, 1, "");
  if (!pending.ok()) return pending.status();
  if (!pending->applications.empty()) {
    return absl::FailedPreconditionError(
        "interviews are still pending (INVITED): verdicts follow all interviews");
  }
  auto interviewed = store_.List(
      who.tenant, r.posting_id(),
      {v1::INTERVIEWED, v1::PROPOSED, v1::PENDING_COORDINATION, v1::OFFER_APPROVED, v1::HIRED}, 1,
      "");
  if (!interviewed.ok()) return interviewed.status();
  if (interviewed->applications.empty()) {
    return absl::FailedPreconditionError(
        "nobody has been interviewed yet: nothing to give a verdict on");
  }
  v1::ParticipationVerdict verdict;
  verdict.set_posting_id(r.posting_id());
  verdict.set_body(r.body());
  verdict.set_verdict(r.verdict());
  verdict.set_agrees(r.agrees());
  verdict.set_actor(who.Subject());
  *verdict.mutable_time() = Ts(clock_.Now());
  return store_.RecordVerdict(Actor::Of(who, correlation_id),
                              Idem("RecordParticipation", r.request_id(), r), verdict);
}

absl::StatusOr<v1::ParticipationStatus> ApplicationService::Participation(
    const std::string& posting_id) {
  auto verdicts = store_.LatestVerdicts(posting_id);
  if (!verdicts.ok()) return verdicts.status();
  auto disabled = store_.HasSeverelyDisabledApplicant(posting_id);
  if (!disabled.ok()) return disabled.status();
  // A verdict speaks to the selection as it stood: an interview recorded after it (someone
  // invited later) makes it stale, and the body is asked again (seed 000: after all interviews).
  auto last_interview = store_.LastInterview(posting_id);
  if (!last_interview.ok()) return last_interview.status();
  auto current = [&](const v1::ParticipationVerdict& v) {
    return !last_interview->has_value() ||
           absl::FromUnixSeconds(v.time().seconds()) + absl::Nanoseconds(v.time().nanos()) >=
               **last_interview;
  };
  v1::ParticipationStatus status;
  status.set_posting_id(posting_id);
  status.add_required(v1::EQUAL_OPPORTUNITY_OFFICER);
  status.add_required(v1::STAFF_COUNCIL);
  // SGB IX § 178 (2): the disability representative takes part when a severely disabled
  // person applied.
  if (*disabled) status.add_required(v1::DISABILITY_REPRESENTATIVE);
  for (const auto& v : *verdicts) *status.add_verdicts() = v;
  for (int body : status.required()) {
    const bool given = std::any_of(verdicts->begin(), verdicts->end(),
                                   [&](const auto& v) { return v.body() == body && current(v); });
    if (!given) status.add_missing(static_cast<v1::ParticipationBody>(body));
  }
  return status;
}

absl::StatusOr<v1::ParticipationStatus> ApplicationService::ListParticipation(
    const auth::Principal& who, const std::string& posting_id) {
  if (!IsStaff(who) &&
      !who.HasAnyRole({auth::roles::kEqualOpportunityOfficer, auth::roles::kStaffCouncil,
                       auth::roles::kDisabilityRepresentative})) {
    return absl::PermissionDeniedError("participation is for staff and the participating bodies");
  }
  auto posting = OwnPosting(who, posting_id);
  if (!posting.ok()) return posting.status();
  return Participation(posting_id);
}

absl::StatusOr<v1::Application> ApplicationService::ProposeHiring(
    const auth::Principal& who, const std::string& correlation_id,
    const v1::ProposeHiringRequest& r) {
  if (absl::Status s = RequireHr(who); !s.ok()) return s;
  errors::Validator v;
  v.Check(ids::IsUuid(r.id()), "id", "not an application id");
  v.Check(r.qualification_summary().size() <= 4000, "qualification_summary",
          "at most 4000 characters");
  v.Check(r.experience_summary().size() <= 4000, "experience_summary", "at most 4000 characters");
  if (!v.ok()) return v.status();
  auto current = store_.Get(r.id());
  if (!current.ok()) return current.status();
  if (current->tenant_id() != who.tenant) return NotFound(r.id());
  auto posting = OwnPosting(who, current->posting_id());
  if (!posting.ok()) return posting.status();
  const PostingSnapshot p = *posting;
  if (p.coordination_required) {
    // SGB II coordination (seed 004): the district needs meaningful data on the person's
    // qualification and professional experience.
    errors::Validator need;
    need.Check(!absl::StripAsciiWhitespace(r.qualification_summary()).empty(),
               "qualification_summary", "required when the posting needs coordination");
    need.Check(!absl::StripAsciiWhitespace(r.experience_summary()).empty(), "experience_summary",
               "required when the posting needs coordination");
    if (!need.ok()) return need.status();
    if (p.district_tenant_id.empty()) {
      return absl::FailedPreconditionError(
          "the posting needs coordination but names no district (coordination_district_tenant_id)");
    }
  }
  auto participation = Participation(p.posting_id);
  if (!participation.ok()) return participation.status();
  if (participation->missing_size() > 0) {
    std::vector<std::string> missing;
    for (int b : participation->missing()) {
      missing.push_back(v1::ParticipationBody_Name(static_cast<v1::ParticipationBody>(b)));
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "participation before the decision: verdicts missing (or given before the latest "
        "interview) from ",
        absl::StrJoin(missing, ", ")));
  }
  // LPVG NRW § 72 (1) Nr. 1, § 66 (1): a hiring needs the staff council's consent; a refusal
  // blocks it until the agreement procedure ends in consent. The equal-opportunity officer's
  // objection (LGG NRW § 19) and the disability representative's hearing (SGB IX § 178 (2))
  // are recorded with the decision but do not block it.
  for (const auto& verdict : participation->verdicts()) {
    if (verdict.body() == v1::STAFF_COUNCIL && !verdict.agrees()) {
      return absl::FailedPreconditionError(
          "the staff council refused its consent (LPVG NRW § 66 (1)); record its consent after "
          "the agreement procedure first");
    }
  }
  const v1::ApplicationStatus to =
      p.coordination_required ? v1::PENDING_COORDINATION : v1::PROPOSED;
  const v1::ApplicationStatus via =
      p.coordination_required ? v1::PROPOSED : v1::APPLICATION_STATUS_UNSPECIFIED;
  return Transition(
      who, Actor::Of(who, correlation_id), Idem("ProposeHiring", r.request_id(), r), r.id(),
      Cause::kStaffDecision, to, "hiring proposed",
      [&](const v1::Application& a) -> absl::Status {
        // Only from INTERVIEWED.
        if (a.status() == v1::PROPOSED && !p.coordination_required) {
          return absl::FailedPreconditionError("the hiring is already proposed");
        }
        // With coordination, PROPOSED is only reached back from PENDING_COORDINATION: the
        // notice was withdrawn or the district instructed against this person. That notice
        // is final; the same person is not put to the district again.
        if (a.status() == v1::PROPOSED) {
          return absl::FailedPreconditionError(
              "the district's coordination ended against this hiring (withdrawn or instructed); "
              "end this application or propose another applicant");
        }
        if (a.status() != v1::INTERVIEWED && a.status() != v1::PROPOSED) {
          return absl::FailedPreconditionError(
              absl::StrCat("a hiring is proposed for an interviewed applicant; this one is ",
                           StatusName(a.status())));
        }
        return absl::OkStatus();
      },
      [&](const v1::Application& a, AppChange& c) {
        // GDPR Art. 15 (1) c: what was passed to which recipient stays on the record.
        c.next.set_proposal_qualification_summary(r.qualification_summary());
        c.next.set_proposal_experience_summary(r.experience_summary());
        auto e = std::make_shared<ev::HiringProposed>();
        e->set_application_id(a.id());
        e->set_posting_id(a.posting_id());
        e->set_district_tenant_id(p.district_tenant_id);
        e->set_position_title(p.title);
        e->set_role_category(p.role_category);
        e->set_regional_office(p.regional_office);
        e->set_qualification_summary(r.qualification_summary());
        e->set_experience_summary(r.experience_summary());
        e->set_coordination_required(p.coordination_required);
        e->set_kennziffer(p.kennziffer);
        c.events.push_back(e);
      },
      via);
}

absl::StatusOr<v1::Application> ApplicationService::FinalizeHiring(
    const auth::Principal& who, const std::string& correlation_id,
    const v1::FinalizeHiringRequest& r) {
  if (absl::Status s = RequireHr(who); !s.ok()) return s;
  if (!ids::IsUuid(r.id())) return errors::InvalidField("id", "not an application id");
  auto current = store_.Get(r.id());
  if (!current.ok()) return current.status();
  if (current->tenant_id() != who.tenant) return NotFound(r.id());
  auto posting = OwnPosting(who, current->posting_id());
  if (!posting.ok()) return posting.status();
  const bool coordination = posting->coordination_required;
  // Without coordination the proposal is approved with the hiring; with it, only the
  // district's clearance (coordination.staffing.cleared.v1) approves the offer.
  const v1::ApplicationStatus via =
      current->status() == v1::PROPOSED ? v1::OFFER_APPROVED : v1::APPLICATION_STATUS_UNSPECIFIED;
  return Transition(
      who, Actor::Of(who, correlation_id), Idem("FinalizeHiring", r.request_id(), r), r.id(),
      Cause::kStaffDecision, v1::HIRED, "hiring finalized",
      [&](const v1::Application& a) -> absl::Status {
        if (a.status() == v1::OFFER_APPROVED) return absl::OkStatus();
        if (a.status() == v1::PROPOSED && !coordination && via == v1::OFFER_APPROVED) {
          return absl::OkStatus();
        }
        if (a.status() == v1::PENDING_COORDINATION ||
            (a.status() == v1::PROPOSED && coordination)) {
          return absl::FailedPreconditionError(
              "SGB II coordination: the district has not cleared this staffing yet");
        }
        return absl::FailedPreconditionError(
            absl::StrCat("only a proposed or approved hiring is finalized; this one is ",
                         StatusName(a.status())));
      },
      {}, via);
}

}  // namespace stellenwerk::applications
