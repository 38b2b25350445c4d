#include "services/applications/domain/application_service.h"

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "common/errors/errors.h"
#include "common/idempotency/idempotency.h"
#include "common/ids/uuid.h"
#include "common/time/berlin_calendar.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/time_util.h"
#include "nlohmann/json.hpp"
#include "services/applications/domain/application_rules.h"
#include "stellenwerk/events/v1/applications.pb.h"

namespace stellenwerk::applications {
namespace {

using google::protobuf::util::TimeUtil;
namespace ev = events::v1;

google::protobuf::Timestamp Ts(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

IdempotencyRequest Idem(std::string op, const std::string& request_id,
                        const google::protobuf::Message& request) {
  return {std::move(op), request_id, request_id.empty() ? "" : idempotency::RequestHash(request)};
}

// HR acts towards applicants and the procedure: hr_clerk or admin.
absl::Status RequireHr(const auth::Principal& who) {
  return auth::RequireAnyRole(who, {auth::roles::kHrClerk, auth::roles::kAdmin});
}

bool IsStaff(const auth::Principal& who) {
  return who.HasAnyRole({auth::roles::kHrClerk, auth::roles::kAdmin, auth::roles::kCommitteeMember});
}

absl::Status NotFound(const std::string& id) {
  return absl::NotFoundError(absl::StrCat("application ", id, " not found"));
}

// Whether people can still apply: a draft, or published before its deadline (DOMAIN.md: the
// selection — screening, verdicts, the end of the procedure — comes after).
bool TakesApplications(const PostingSnapshot& p, absl::Time now) {
  return p.status == "DRAFT" ||
         (p.status == "PUBLISHED" && (!p.deadline.has_value() || now < *p.deadline));
}

}  // namespace

v1::Application ApplicationService::ViewFor(const auth::Principal& who, v1::Application a,
                                            bool anonymised) {
  if (anonymised && !a.identity_revealed() && who.sub != a.applicant_sub()) {
    // Anonymised procedure (seed 003): staff — HR included — see a pseudonym, no name, birth
    // date, sex, address or photo-bearing documents, until HR reveals the identity for the
    // invitation (RevealIdentity, audited).
    // The applicant's own acts (withdrawal) name them by pseudonym, as ListAuditEntries does.
    for (auto& h : *a.mutable_history()) {
      if (h.actor() == a.applicant_sub()) h.set_actor(absl::StrCat("applicant ", a.pseudonym()));
    }
    a.clear_applicant();
    a.clear_documents();
    a.clear_applicant_sub();
  }
  return a;
}

absl::StatusOr<v1::Document> ApplicationService::Upload(const auth::Principal& who,
                                                        const v1::DocumentMetadata& metadata,
                                                        const std::string& content) {
  if (absl::Status s = auth::RequireAnyRole(who, {auth::roles::kApplicant}); !s.ok()) return s;
  errors::Validator v;
  v.Check(!metadata.file_name().empty() && metadata.file_name().size() <= 255,
          "metadata.file_name", "1–255 characters");
  v.Check(v1::DocumentKind_IsValid(metadata.kind()) &&
              metadata.kind() != v1::DOCUMENT_KIND_UNSPECIFIED,
          "metadata.kind", "CV, COVER_LETTER, CERTIFICATE or OTHER_DOCUMENT");
  v.Check(!content.empty(), "chunk", "the document is empty");
  if (!v.ok()) return v.status();
  if (static_cast<int64_t>(content.size()) > kMaxDocumentBytes) {
    return absl::ResourceExhaustedError("a document may have at most 20 MB");
  }
  auto detected = SniffType(content);
  if (!detected.has_value()) {
    return errors::InvalidField("chunk", "only PDF, PNG and JPEG documents are accepted");
  }
  // A document must also end like one: a truncated upload is refused.
  if (!IsComplete(content, *detected)) {
    return errors::InvalidField("chunk", absl::StrCat("the ", *detected, " document is truncated"));
  }
  if (absl::Status s = CheckDeclaredType(metadata, *detected); !s.ok()) return s;
  v1::Document doc;
  doc.set_id(ids::NewUuid());
  doc.set_file_name(metadata.file_name());
  doc.set_kind(metadata.kind());
  doc.set_detected_type(*detected);
  doc.set_size_bytes(static_cast<int64_t>(content.size()));
  *doc.mutable_upload_time() = Ts(clock_.Now());
  return store_.SaveDocument(who.sub, doc, content);
}

absl::StatusOr<v1::Application> ApplicationService::Submit(
    const auth::Principal& who, const std::string& correlation_id,
    const v1::SubmitApplicationRequest& r) {
  if (absl::Status s = auth::RequireAnyRole(who, {auth::roles::kApplicant}); !s.ok()) return s;
  if (!ids::IsUuid(r.posting_id())) return errors::InvalidField("posting_id", "not a posting id");
  const IdempotencyRequest idem = Idem("SubmitApplication", r.request_id(), r);
  // A replay gets the first answer even where the checks below would fail now (its documents
  // are attached, the posting has closed). The stored answer is looked up only then, so the
  // common first call pays no extra read; the transaction checks it again under its lock.
  auto refuse = [&](absl::Status refusal) -> absl::StatusOr<v1::Application> {
    if (r.request_id().empty()) return refusal;
    auto replayed = store_.Replayed(Actor{who.sub, "", correlation_id}, idem);
    if (!replayed.ok()) return replayed.status();
    if (replayed->has_value()) return **replayed;
    return refusal;
  };
  std::vector<std::string> doc_ids(r.document_ids().begin(), r.document_ids().end());
  auto docs = store_.OwnDocuments(who.sub, doc_ids);
  if (!docs.ok()) return refuse(docs.status());
  bool has_cv = false, has_letter = false;
  int64_t total = 0;
  for (const auto& d : *docs) {
    has_cv |= d.kind() == v1::CV;
    has_letter |= d.kind() == v1::COVER_LETTER;
    total += d.size_bytes();
  }
  if (absl::Status s = ValidateSubmission(r, has_cv, has_letter); !s.ok()) return refuse(s);
  // Consent is recorded as given (GDPR Art. 7 (1): the controller must prove it); a time
  // still to come proves nothing. Five minutes allow for a client clock running ahead.
  if (absl::FromUnixSeconds(r.consent().given_time().seconds()) > clock_.Now() + absl::Minutes(5)) {
    return refuse(errors::InvalidField("consent.given_time", "lies in the future"));
  }
  if (total > kMaxApplicationBytes) {
    return refuse(
        absl::ResourceExhaustedError("an application may have at most 50 MB of documents"));
  }
  auto posting = KnownPosting(r.posting_id());
  if (!posting.ok()) return posting.status();
  const absl::Time now = clock_.Now();
  if (!posting->has_value() || (*posting)->status != "PUBLISHED") {
    return refuse(absl::FailedPreconditionError("the posting is not open for applications"));
  }
  // The deadline is a date; applications count until 24:00 Europe/Berlin (DOMAIN.md).
  if ((*posting)->deadline.has_value() && now >= *(*posting)->deadline) {
    return refuse(absl::FailedPreconditionError("the application deadline has passed"));
  }
  const PostingSnapshot snapshot = **posting;
  const Actor actor{who.sub, snapshot.tenant_id, correlation_id};
  return store_.Submit(
      actor, idem,
      [&](const std::string& id, const std::string& pseudonym) -> absl::StatusOr<AppChange> {
        AppChange c;
        v1::Application& a = c.next;
        a.set_id(id);
        a.set_tenant_id(snapshot.tenant_id);
        a.set_posting_id(snapshot.posting_id);
        a.set_kennziffer(snapshot.kennziffer);
        a.set_applicant_sub(who.sub);
        *a.mutable_applicant() = r.applicant();
        a.set_pseudonym(pseudonym);
        for (const auto& d : *docs) *a.add_documents() = d;
        a.set_cover_letter_text(r.cover_letter_text());
        *a.mutable_consent() = r.consent();
        a.set_severely_disabled(r.severely_disabled());
        a.set_equivalent_status(r.equivalent_status());
        a.set_talent_pool_consent(r.talent_pool_consent());
        a.set_status(v1::RECEIVED);
        *a.mutable_submit_time() = Ts(now);
        *a.mutable_update_time() = Ts(now);
        auto e = std::make_shared<ev::ApplicationSubmitted>();
        e->set_application_id(id);
        e->set_posting_id(snapshot.posting_id);
        e->set_applicant_sub(who.sub);
        e->set_severely_disabled(r.severely_disabled() || r.equivalent_status());
        e->set_kennziffer(snapshot.kennziffer);
        c.events.emplace_back(kSubmittedEvent, e);
        c.audit.push_back({"submitted", "", "RECEIVED", ""});
        return c;
      });
}

absl::StatusOr<v1::Application> ApplicationService::Get(const auth::Principal& who,
                                                        const std::string& id) {
  if (!ids::IsUuid(id)) return errors::InvalidField("id", "not an application id");
  auto a = store_.Get(id);
  if (!a.ok()) return a.status();
  const bool own = a->applicant_sub() == who.sub && who.HasRole(auth::roles::kApplicant);
  const bool staff = IsStaff(who) && who.tenant == a->tenant_id();
  if (!own && !staff) return NotFound(id);
  auto posting = store_.Posting(a->posting_id());
  const bool anonymised = posting.ok() && posting->has_value() && (*posting)->anonymised;
  return ViewFor(who, *std::move(a), anonymised);
}

absl::StatusOr<ApplicationService::DocumentContent> ApplicationService::ReadDocument(
    const auth::Principal& who, const std::string& correlation_id,
    const std::string& application_id, const std::string& document_id) {
  errors::Validator v;
  v.Check(ids::IsUuid(application_id), "application_id", "not an application id");
  v.Check(ids::IsUuid(document_id), "document_id", "not a document id");
  if (!v.ok()) return v.status();
  auto a = store_.Get(application_id);
  if (!a.ok()) return a.status();
  const bool own = a->applicant_sub() == who.sub && who.HasRole(auth::roles::kApplicant);
  const bool staff = IsStaff(who) && who.tenant == a->tenant_id();
  if (!own && !staff) return NotFound(application_id);
  if (!own) {
    // Seed 003: CVs and letters carry name, age, sex and photo — in an anonymised procedure
    // they stay closed to the committee and HR until the identity is revealed (audited).
    auto posting = store_.Posting(a->posting_id());
    if (!posting.ok()) return posting.status();
    if (posting->has_value() && (*posting)->anonymised && !a->identity_revealed()) {
      return absl::FailedPreconditionError(
          "anonymised procedure: documents are shown after RevealIdentity");
    }
  }
  auto doc = store_.AttachedDocument(application_id, document_id);
  if (!doc.ok()) return doc.status();
  if (!doc->has_value()) {
    return absl::NotFoundError(absl::StrCat("document ", document_id, " not found"));
  }
  if (!own) {
    // Who read which applicant's documents stays provable (GDPR Art. 5 (2)).
    if (absl::Status s = store_.RecordAccess(Actor{who.sub, who.tenant, correlation_id},
                                             {application_id}, "document_viewed",
                                             (*doc)->first.file_name());
        !s.ok()) {
      return s;
    }
  }
  return DocumentContent{std::move((*doc)->first), std::move((*doc)->second)};
}

absl::StatusOr<ApplicationPage> ApplicationService::List(const auth::Principal& who,
                                                         const v1::ListApplicationsRequest& r) {
  if (r.posting_id().empty() && who.HasRole(auth::roles::kApplicant)) {
    return store_.ListOwn(who.sub);
  }
  if (!IsStaff(who)) {
    return absl::PermissionDeniedError("listing a posting's applications needs an HR or committee role");
  }
  if (!ids::IsUuid(r.posting_id())) return errors::InvalidField("posting_id", "not a posting id");
  if (r.page_size() < 0 || r.page_size() > 100) return errors::InvalidField("page_size", "0–100");
  auto posting = store_.Posting(r.posting_id());
  if (!posting.ok()) return posting.status();
  if (!posting->has_value() || (*posting)->tenant_id != who.tenant) {
    return absl::NotFoundError("posting not found");
  }
  std::vector<v1::ApplicationStatus> statuses;
  for (int s : r.status()) statuses.push_back(static_cast<v1::ApplicationStatus>(s));
  auto page = store_.List(who.tenant, r.posting_id(), statuses,
                          r.page_size() == 0 ? 20 : r.page_size(), r.page_token());
  if (!page.ok()) return page.status();
  for (auto& a : page->applications) a = ViewFor(who, std::move(a), (*posting)->anonymised);
  return page;
}

absl::StatusOr<v1::Application> ApplicationService::Transition(
    const auth::Principal& who, const Actor& actor, const IdempotencyRequest& idem,
    const std::string& id, v1::ApplicationStatus to, const std::string& reason,
    const std::function<absl::Status(const v1::Application&)>& check,
    const std::function<void(const v1::Application&, AppChange&)>& amend,
    v1::ApplicationStatus via) {
  if (!ids::IsUuid(id)) return errors::InvalidField("id", "not an application id");
  const absl::Time now = clock_.Now();
  auto result = store_.Update(actor, idem, id, [&](const v1::Application& current) -> absl::StatusOr<AppChange> {
    const bool own = current.applicant_sub() == who.sub && who.HasRole(auth::roles::kApplicant);
    const bool staff = IsStaff(who) && who.tenant == current.tenant_id();
    if (!own && !staff) return NotFound(id);
    if (absl::Status s = check(current); !s.ok()) return s;
    AppChange c;
    c.next = current;
    c.next.set_status(to);
    *c.next.mutable_update_time() = Ts(now);
    // The procedure ends for this applicant: retention counts from here.
    if (IsOpen(current.status()) && !IsOpen(to)) *c.next.mutable_end_time() = Ts(now);
    std::vector<std::pair<v1::ApplicationStatus, v1::ApplicationStatus>> steps;
    if (via != v1::APPLICATION_STATUS_UNSPECIFIED && via != current.status()) {
      steps = {{current.status(), via}, {via, to}};
    } else {
      steps = {{current.status(), to}};
    }
    for (const auto& [from, step_to] : steps) {
      auto* h = c.next.add_history();
      h->set_from(from);
      h->set_to(step_to);
      h->set_actor(who.sub);
      h->set_reason(reason);
      *h->mutable_time() = Ts(now);
      auto e = std::make_shared<ev::ApplicationStatusChanged>();
      e->set_application_id(current.id());
      e->set_posting_id(current.posting_id());
      e->set_applicant_sub(current.applicant_sub());
      e->set_from(StatusName(from));
      e->set_to(StatusName(step_to));
      e->set_reason(reason);
      c.events.emplace_back(kStatusChangedEvent, e);
      c.audit.push_back({"status_changed", StatusName(from), StatusName(step_to), reason});
    }
    if (to == v1::WITHDRAWN) {
      auto w = std::make_shared<ev::ApplicationWithdrawn>();
      w->set_application_id(current.id());
      w->set_posting_id(current.posting_id());
      w->set_applicant_sub(current.applicant_sub());
      c.events.emplace_back(kWithdrawnEvent, w);
    }
    if (amend) amend(current, c);
    return c;
  });
  if (!result.ok()) return result;
  auto posting = store_.Posting(result->posting_id());
  return ViewFor(who, *std::move(result), posting.ok() && posting->has_value() && (*posting)->anonymised);
}

absl::StatusOr<v1::Application> ApplicationService::Withdraw(
    const auth::Principal& who, const std::string& correlation_id,
    const v1::WithdrawApplicationRequest& r) {
  if (absl::Status s = auth::RequireAnyRole(who, {auth::roles::kApplicant}); !s.ok()) return s;
  if (r.reason().size() > 2000) return errors::InvalidField("reason", "at most 2000 characters");
  return Transition(who, Actor{who.sub, "", correlation_id},
                    Idem("WithdrawApplication", r.request_id(), r), r.id(), v1::WITHDRAWN,
                    r.reason(), [&](const v1::Application& current) -> absl::Status {
                      if (current.applicant_sub() != who.sub) return NotFound(r.id());
                      if (!IsOpen(current.status())) {
                        return absl::FailedPreconditionError(absl::StrCat(
                            "an application in ", StatusName(current.status()),
                            " cannot be withdrawn"));
                      }
                      return absl::OkStatus();
                    });
}

absl::StatusOr<v1::Application> ApplicationService::ChangeStatus(
    const auth::Principal& who, const std::string& correlation_id,
    const v1::ChangeStatusRequest& r) {
  if (!IsStaff(who)) return absl::PermissionDeniedError("ChangeStatus needs an HR or committee role");
  if (!v1::ApplicationStatus_IsValid(r.target())) return errors::InvalidField("target", "unknown status");
  if (r.reason().size() > 2000) return errors::InvalidField("reason", "at most 2000 characters");
  return Transition(who, Actor{who.sub, who.tenant, correlation_id},
                    Idem("ChangeStatus", r.request_id(), r), r.id(), r.target(), r.reason(),
                    [&](const v1::Application& current) -> absl::Status {
                      if (!r.etag().empty() && r.etag() != current.etag()) {
                        return absl::AbortedError("etag is stale; re-read and retry");
                      }
                      return CheckStatusChange(current, r, who);
                    },
                    [&](const v1::Application&, AppChange& c) {
                      // SGB IX § 165: the finding is part of the record.
                      if (r.obviously_unqualified()) c.next.set_obviously_unqualified(true);
                    });
}

absl::StatusOr<std::optional<PostingSnapshot>> ApplicationService::KnownPosting(
    const std::string& posting_id) {
  auto posting = store_.Posting(posting_id);
  if (!posting.ok() || posting->has_value() || postings_ == nullptr || !ids::IsUuid(posting_id)) {
    return posting;
  }
  // Its events have not arrived (yet): ask the postings service and keep the answer (ADR 0015).
  auto fetched = postings_->Fetch(posting_id);
  if (!fetched.ok()) return fetched.status();
  if (!fetched->has_value()) return std::optional<PostingSnapshot>();
  if (absl::Status s = store_.SavePostingSnapshot((*fetched)->snapshot, (*fetched)->version);
      !s.ok()) {
    return s;
  }
  return std::optional<PostingSnapshot>((*fetched)->snapshot);
}

absl::StatusOr<PostingSnapshot> ApplicationService::OwnPosting(const auth::Principal& who,
                                                               const std::string& posting_id) {
  if (!ids::IsUuid(posting_id)) return errors::InvalidField("posting_id", "not a posting id");
  auto posting = KnownPosting(posting_id);
  if (!posting.ok()) return posting.status();
  if (!posting->has_value() || (*posting)->tenant_id != who.tenant) {
    return absl::NotFoundError(absl::StrCat("posting ", posting_id, " not found"));
  }
  return **posting;
}

absl::StatusOr<v1::RatingCriteria> ApplicationService::SetRatingCriteria(
    const auth::Principal& who, const std::string& correlation_id,
    const v1::SetRatingCriteriaRequest& r) {
  if (absl::Status s = RequireHr(who); !s.ok()) return s;
  errors::Validator v;
  v.Check(r.criteria_size() >= 1 && r.criteria_size() <= 20, "criteria", "1–20 criteria");
  std::set<std::string> names;
  for (int i = 0; i < r.criteria_size(); ++i) {
    const auto& c = r.criteria(i);
    const std::string field = absl::StrCat("criteria[", i, "].name");
    v.Check(!absl::StripAsciiWhitespace(c.name()).empty() && c.name().size() <= 200, field,
            "1–200 characters");
    v.Check(names.insert(c.name()).second, field, "each criterion once");
    v.Check(c.description().size() <= 2000, absl::StrCat("criteria[", i, "].description"),
            "at most 2000 characters");
  }
  if (!v.ok()) return v.status();
  auto posting = OwnPosting(who, r.posting_id());
  if (!posting.ok()) return posting.status();
  v1::RatingCriteria criteria;
  criteria.set_posting_id(r.posting_id());
  *criteria.mutable_criteria() = r.criteria();
  return store_.SetCriteria(Actor{who.sub, who.tenant, correlation_id},
                            Idem("SetRatingCriteria", r.request_id(), r), criteria);
}

absl::StatusOr<v1::Rating> ApplicationService::Rate(const auth::Principal& who,
                                                    const std::string& correlation_id,
                                                    const v1::RateApplicationRequest& r) {
  if (absl::Status s = auth::RequireAnyRole(
          who, {auth::roles::kCommitteeMember, auth::roles::kHrClerk, auth::roles::kAdmin});
      !s.ok()) {
    return s;
  }
  errors::Validator v;
  v.Check(ids::IsUuid(r.id()), "id", "not an application id");
  v.Check(r.score() >= kMinScore && r.score() <= kMaxScore, "score",
          absl::StrCat(kMinScore, "–", kMaxScore));
  v.Check(!r.criterion().empty(), "criterion", "required");
  v.Check(r.comment().size() <= 4000, "comment", "at most 4000 characters");
  if (!v.ok()) return v.status();
  const absl::Time now = clock_.Now();
  return store_.Rate(
      Actor{who.sub, who.tenant, correlation_id}, Idem("RateApplication", r.request_id(), r),
      r.id(),
      [&](const v1::Application& a,
          const std::vector<v1::RatingCriterion>& criteria) -> absl::StatusOr<v1::Rating> {
        if (a.tenant_id() != who.tenant) return NotFound(r.id());
        if (!IsRateable(a.status())) {
          return absl::FailedPreconditionError(absl::StrCat(
              "only shortlisted, invited or interviewed applications are rated; this one is ",
              StatusName(a.status())));
        }
        if (criteria.empty()) {
          return absl::FailedPreconditionError(
              "the posting has no rating criteria yet (SetRatingCriteria)");
        }
        const bool known = std::any_of(criteria.begin(), criteria.end(),
                                       [&](const auto& c) { return c.name() == r.criterion(); });
        if (!known) {
          return errors::InvalidField("criterion", "not one of the posting's rating criteria");
        }
        v1::Rating rating;
        rating.set_application_id(a.id());
        rating.set_rater(who.sub);
        rating.set_criterion(r.criterion());
        rating.set_score(r.score());
        rating.set_comment(r.comment());
        *rating.mutable_time() = Ts(now);
        return rating;
      });
}

absl::StatusOr<v1::Ranking> ApplicationService::GetRanking(const auth::Principal& who,
                                                          const std::string& posting_id) {
  if (!IsStaff(who)) return absl::PermissionDeniedError("the ranking needs an HR or committee role");
  auto posting = OwnPosting(who, posting_id);
  if (!posting.ok()) return posting.status();
  auto candidates = store_.RankingCandidates(posting_id);
  if (!candidates.ok()) return candidates.status();
  auto criteria = store_.Criteria(posting_id);
  if (!criteria.ok()) return criteria.status();
  for (auto& c : *candidates) {
    c.expected_ratings = c.procedure_raters * static_cast<int>(criteria->size());
  }
  std::set<std::string> withheld;
  if (posting->anonymised) {
    for (const auto& c : *candidates) {
      if (!c.identity_revealed) withheld.insert(c.application_id);
    }
    WithholdPreferencesOfHidden(*candidates);
  }
  v1::Ranking ranking = Rank(*std::move(candidates), posting->women_preferred);
  for (auto& e : *ranking.mutable_entries()) {
    if (withheld.count(e.application_id()) > 0) {
      e.set_explanation(absl::StrCat(e.explanation(), "; ", kPreferencesWithheld));
    }
  }
  for (const auto& c : *criteria) ranking.add_criteria(c.name());
  return ranking;
}

namespace {

const char* BodyRole(v1::ParticipationBody body) {
  switch (body) {
    case v1::EQUAL_OPPORTUNITY_OFFICER: return auth::roles::kEqualOpportunityOfficer;
    case v1::STAFF_COUNCIL: return auth::roles::kStaffCouncil;
    case v1::DISABILITY_REPRESENTATIVE: return auth::roles::kDisabilityRepresentative;
    default: return "";
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
  v.Check(!absl::StripAsciiWhitespace(r.verdict()).empty() && r.verdict().size() <= 4000,
          "verdict", "1–4000 characters");
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
    return absl::FailedPreconditionError("nobody has been interviewed yet: nothing to give a verdict on");
  }
  v1::ParticipationVerdict verdict;
  verdict.set_posting_id(r.posting_id());
  verdict.set_body(r.body());
  verdict.set_verdict(r.verdict());
  verdict.set_agrees(r.agrees());
  verdict.set_actor(who.sub);
  *verdict.mutable_time() = Ts(clock_.Now());
  return store_.RecordVerdict(Actor{who.sub, who.tenant, correlation_id},
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
    const bool given = std::any_of(verdicts->begin(), verdicts->end(), [&](const auto& v) {
      return v.body() == body && current(v);
    });
    if (!given) status.add_missing(static_cast<v1::ParticipationBody>(body));
  }
  return status;
}

absl::StatusOr<v1::ParticipationStatus> ApplicationService::ListParticipation(
    const auth::Principal& who, const std::string& posting_id) {
  if (!IsStaff(who) && !who.HasAnyRole({auth::roles::kEqualOpportunityOfficer,
                                        auth::roles::kStaffCouncil,
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
  v.Check(r.qualification_summary().size() <= 4000, "qualification_summary", "at most 4000 characters");
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
  const v1::ApplicationStatus to = p.coordination_required ? v1::PENDING_COORDINATION : v1::PROPOSED;
  const v1::ApplicationStatus via = p.coordination_required ? v1::PROPOSED : v1::APPLICATION_STATUS_UNSPECIFIED;
  return Transition(
      who, Actor{who.sub, who.tenant, correlation_id}, Idem("ProposeHiring", r.request_id(), r),
      r.id(), to, "hiring proposed",
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
          return absl::FailedPreconditionError(absl::StrCat(
              "a hiring is proposed for an interviewed applicant; this one is ",
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
        c.events.emplace_back(kHiringProposedEvent, e);
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
      who, Actor{who.sub, who.tenant, correlation_id}, Idem("FinalizeHiring", r.request_id(), r),
      r.id(), v1::HIRED, "hiring finalized",
      [&](const v1::Application& a) -> absl::Status {
        if (a.status() == v1::OFFER_APPROVED) return absl::OkStatus();
        if (a.status() == v1::PROPOSED && !coordination && via == v1::OFFER_APPROVED) {
          return absl::OkStatus();
        }
        if (a.status() == v1::PENDING_COORDINATION || (a.status() == v1::PROPOSED && coordination)) {
          return absl::FailedPreconditionError(
              "SGB II coordination: the district has not cleared this staffing yet");
        }
        return absl::FailedPreconditionError(absl::StrCat(
            "only a proposed or approved hiring is finalized; this one is ", StatusName(a.status())));
      },
      {}, via);
}

absl::StatusOr<v1::Application> ApplicationService::RevealIdentity(
    const auth::Principal& who, const std::string& correlation_id,
    const v1::RevealIdentityRequest& r) {
  if (absl::Status s = RequireHr(who); !s.ok()) return s;
  if (!ids::IsUuid(r.id())) return errors::InvalidField("id", "not an application id");
  if (absl::StripAsciiWhitespace(r.reason()).empty() || r.reason().size() > 2000) {
    return errors::InvalidField("reason", "why the identity is needed (1–2000 characters)");
  }
  const absl::Time now = clock_.Now();
  auto result = store_.Update(
      Actor{who.sub, who.tenant, correlation_id}, IdempotencyRequest{"RevealIdentity", "", ""},
      r.id(), [&](const v1::Application& a) -> absl::StatusOr<AppChange> {
        if (a.tenant_id() != who.tenant) return NotFound(r.id());
        auto posting = store_.Posting(a.posting_id());
        if (!posting.ok()) return posting.status();
        if (!posting->has_value() || !(*posting)->anonymised) {
          return absl::FailedPreconditionError("the procedure is not anonymised");
        }
        // Seed 003: the identity is revealed for the invitation, not before the shortlist.
        if (a.status() != v1::SHORTLISTED && a.status() != v1::INVITED &&
            a.status() != v1::INTERVIEWED && a.status() != v1::PROPOSED &&
            a.status() != v1::PENDING_COORDINATION && a.status() != v1::OFFER_APPROVED &&
            a.status() != v1::HIRED) {
          return absl::FailedPreconditionError(absl::StrCat(
              "identities are revealed for the invitation of shortlisted applicants; this one is ",
              StatusName(a.status())));
        }
        AppChange c;
        c.next = a;
        c.next.set_identity_revealed(true);
        *c.next.mutable_update_time() = Ts(now);
        // Every reveal is recorded, also a repeated one.
        c.audit.push_back({"identity_revealed", "", "", r.reason()});
        return c;
      });
  if (!result.ok()) return result.status();
  return *std::move(result);
}

absl::StatusOr<v1::ListAuditEntriesResponse> ApplicationService::ListAuditEntries(
    const auth::Principal& who, const std::string& application_id) {
  if (absl::Status s = RequireHr(who); !s.ok()) return s;
  if (!ids::IsUuid(application_id)) {
    return errors::InvalidField("application_id", "not an application id");
  }
  auto a = store_.Get(application_id);
  if (!a.ok()) return a.status();
  if (a->tenant_id() != who.tenant) return NotFound(application_id);
  auto entries = store_.Audit(application_id);
  if (!entries.ok()) return entries.status();
  v1::ListAuditEntriesResponse out;
  for (auto& e : *entries) {
    // The applicant's own acts (submission, withdrawal) name them by pseudonym: their account
    // id would identify them in an anonymised procedure.
    if (e.actor() == a->applicant_sub()) e.set_actor(absl::StrCat("applicant ", a->pseudonym()));
    *out.add_entries() = std::move(e);
  }
  return out;
}

namespace {

// Who may act on an applicant's data: the applicant for all of it, HR/admin for their tenant's
// part. Returns the tenant filter ("" = all) or PERMISSION_DENIED.
absl::StatusOr<std::string> GdprScope(const auth::Principal& who, const std::string& applicant_sub) {
  if (who.HasRole(auth::roles::kApplicant) && who.sub == applicant_sub) return std::string();
  if (who.HasAnyRole({auth::roles::kHrClerk, auth::roles::kAdmin})) return who.tenant;
  return absl::PermissionDeniedError("only the applicant, or HR for their employer, may do this");
}

}  // namespace

absl::StatusOr<v1::ApplicantDataExport> ApplicationService::ExportApplicantData(
    const auth::Principal& who, const std::string& correlation_id,
    const std::string& applicant_sub) {
  if (applicant_sub.empty() || applicant_sub.size() > 256) {
    return errors::InvalidField("applicant_sub", "the applicant's account id");
  }
  auto scope = GdprScope(who, applicant_sub);
  if (!scope.ok()) return scope.status();
  auto data = store_.Export(applicant_sub, *scope);
  if (!data.ok()) return data.status();
  // HR reading everything about one person is itself provable (GDPR Art. 5 (2)
  // accountability): one audit line per exported application, before the data leaves.
  if (who.sub != applicant_sub && !data->applications.empty()) {
    std::vector<std::string> ids;
    for (const auto& a : data->applications) ids.push_back(a.id());
    if (absl::Status s = store_.RecordAccess(Actor{who.sub, who.tenant, correlation_id}, ids,
                                             "data_exported", "GDPR export by the employer");
        !s.ok()) {
      return s;
    }
  }
  // GDPR Art. 15 (access) and Art. 20 (portability): structured, machine-readable.
  nlohmann::json doc;
  doc["applicant_sub"] = applicant_sub;
  doc["export_time"] = TimeUtil::ToString(Ts(clock_.Now()));
  doc["applications"] = nlohmann::json::array();
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  v1::ApplicantDataExport out;
  out.set_applicant_sub(applicant_sub);
  std::map<std::string, bool> anonymised;  // by posting: one read each
  for (v1::Application& a : data->applications) {
    if (who.sub != applicant_sub) {
      // The employer's export follows the anonymised view like every other staff read: it
      // must not reveal what RevealIdentity has not (seed 003).
      if (!anonymised.count(a.posting_id())) {
        auto posting = store_.Posting(a.posting_id());
        if (!posting.ok()) return posting.status();
        anonymised[a.posting_id()] = posting->has_value() && (*posting)->anonymised;
      }
      const std::string id = a.id();
      const bool hidden = anonymised[a.posting_id()];
      a = ViewFor(who, std::move(a), hidden);
      a.set_applicant_sub(applicant_sub);  // the key HR asked by; not a name
      for (auto& [app_id, e] : data->audit) {
        if (app_id == id && !a.has_applicant() && e.actor() == applicant_sub) {
          e.set_actor(absl::StrCat("applicant ", a.pseudonym()));
        }
      }
    }
    std::string json;
    if (!google::protobuf::util::MessageToJsonString(a, &json, options).ok()) {
      return absl::InternalError("export: an application could not be rendered");
    }
    nlohmann::json entry = nlohmann::json::parse(json);
    entry["ratings"] = nlohmann::json::array();
    for (const auto& rating : data->ratings) {
      if (rating.application_id() != a.id()) continue;
      std::string rj;
      if (!google::protobuf::util::MessageToJsonString(rating, &rj, options).ok()) {
        return absl::InternalError("export: a rating could not be rendered");
      }
      entry["ratings"].push_back(nlohmann::json::parse(rj));
    }
    entry["audit"] = nlohmann::json::array();
    for (const auto& [app_id, e] : data->audit) {
      if (app_id != a.id()) continue;
      std::string ej;
      if (!google::protobuf::util::MessageToJsonString(e, &ej, options).ok()) {
        return absl::InternalError("export: an audit entry could not be rendered");
      }
      entry["audit"].push_back(nlohmann::json::parse(ej));
    }
    doc["applications"].push_back(std::move(entry));
    *out.add_applications() = a;
  }
  out.set_json(doc.dump(2));
  return out;
}

absl::StatusOr<v1::EraseApplicantResponse> ApplicationService::EraseApplicant(
    const auth::Principal& who, const std::string& correlation_id,
    const v1::EraseApplicantRequest& r) {
  if (r.applicant_sub().empty() || r.applicant_sub().size() > 256) {
    return errors::InvalidField("applicant_sub", "the applicant's account id");
  }
  auto scope = GdprScope(who, r.applicant_sub());
  if (!scope.ok()) return scope.status();
  Actor actor{who.sub, who.tenant, correlation_id};
  // The applicant's own erasure keeps its stored answer (for replays) under a hash of the
  // request, never under the account id it erased (GDPR Art. 17).
  if (scope->empty()) actor.sub = absl::StrCat("erasure:", idempotency::RequestHash(r));
  return store_.Erase(actor,
                      Idem("EraseApplicant", r.request_id(), r), r.applicant_sub(), *scope);
}

absl::StatusOr<v1::RetentionPolicy> ApplicationService::SetRetentionPolicy(
    const auth::Principal& who, const std::string& correlation_id,
    const v1::SetRetentionPolicyRequest& r) {
  if (absl::Status s = auth::RequireAnyRole(who, {auth::roles::kAdmin}); !s.ok()) return s;
  if (r.tenant_id() != who.tenant) {
    return absl::NotFoundError(absl::StrCat("tenant ", r.tenant_id(), " not found"));
  }
  if (r.months() < 1 || r.months() > 24) return errors::InvalidField("months", "1–24");
  v1::RetentionPolicy policy;
  policy.set_tenant_id(r.tenant_id());
  policy.set_months(r.months());
  return store_.SetRetention(Actor{who.sub, who.tenant, correlation_id},
                             Idem("SetRetentionPolicy", r.request_id(), r), policy);
}

absl::StatusOr<v1::ConcludeProcedureResponse> ApplicationService::ConcludeProcedure(
    const auth::Principal& who, const std::string& correlation_id,
    const v1::ConcludeProcedureRequest& r) {
  if (absl::Status s = RequireHr(who); !s.ok()) return s;
  errors::Validator v;
  const std::string reason(absl::StripAsciiWhitespace(r.reason()));
  v.Check(!reason.empty(), "reason", "the applicants are told why the procedure ended");
  v.Check(r.reason().size() <= 2000, "reason", "at most 2000 characters");
  if (!v.ok()) return v.status();
  auto posting = OwnPosting(who, r.posting_id());
  if (!posting.ok()) return posting.status();
  if (TakesApplications(*posting, clock_.Now())) {
    return absl::FailedPreconditionError(
        "the posting still takes applications: close it (or wait for the deadline) first");
  }
  return store_.Conclude(Actor{who.sub, who.tenant, correlation_id},
                         Idem("ConcludeProcedure", r.request_id(), r), r.posting_id(),
                         reason, CheckConclusion);
}

absl::StatusOr<v1::PersonnelStatistics> ApplicationService::GetPersonnelStatistics(
    const auth::Principal& who, const v1::GetPersonnelStatisticsRequest& r) {
  if (absl::Status s = RequireHr(who); !s.ok()) return s;
  if (r.tenant_id() != who.tenant) {
    return absl::NotFoundError(absl::StrCat("tenant ", r.tenant_id(), " not found"));
  }
  if (r.year() < 2000 || r.year() > 2100) return errors::InvalidField("year", "2000–2100");
  // The personnel report's year (seed 002: as of 31 December) in Europe/Berlin.
  const absl::Time from = calendar::StartOfDay(absl::CivilDay(r.year(), 1, 1));
  const absl::Time to = calendar::StartOfDay(absl::CivilDay(r.year() + 1, 1, 1));
  auto in = store_.Statistics(r.tenant_id(), from, to);
  if (!in.ok()) return in.status();
  v1::PersonnelStatistics out;
  out.set_tenant_id(r.tenant_id());
  out.set_year(r.year());
  out.set_min_group_size(kMinGroupSize);
  out.set_postings_with_applications(in->postings_with_applications);
  *out.mutable_applications() = Total(in->applications);
  *out.mutable_hires() = Total(in->hires);
  *out.mutable_women_applicants() = Group(in->women_applicants, in->applications);
  *out.mutable_women_hires() = Group(in->women_hires, in->hires);
  *out.mutable_severely_disabled_applicants() =
      Group(in->severely_disabled_applicants, in->applications);
  *out.mutable_severely_disabled_hires() = Group(in->severely_disabled_hires, in->hires);
  if (in->hires < kMinGroupSize) {
    out.set_time_to_hire_suppressed(true);
  } else {
    std::vector<double> days = in->days_to_hire;
    std::sort(days.begin(), days.end());
    double sum = 0;
    for (double d : days) sum += d;
    out.set_mean_days_to_hire(sum / days.size());
    const size_t n = days.size();
    out.set_median_days_to_hire(n % 2 == 1 ? days[n / 2] : (days[n / 2 - 1] + days[n / 2]) / 2);
  }
  return out;
}

}  // namespace stellenwerk::applications
