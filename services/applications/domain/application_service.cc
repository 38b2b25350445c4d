// ApplicationService: access, views, submission and the lifecycle of an application.
#include "services/applications/domain/application_service.h"

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
#include "services/applications/domain/service_support.h"
#include "stellenwerk/events/v1/applications.pb.h"

namespace stellenwerk::applications {

using namespace service_support;  // NOLINT(build/namespaces): this class's own helpers
using google::protobuf::util::TimeUtil;
namespace ev = events::v1;

absl::Status ApplicationService::CheckAccess(const auth::Principal& who, const v1::Application& a) {
  const bool staff = IsStaff(who) && who.tenant == a.tenant_id();
  if (!IsOwn(who, a) && !staff) return NotFound(a.id());
  return absl::OkStatus();
}

v1::Application ApplicationService::ViewFor(const auth::Principal& who, v1::Application a,
                                            bool anonymised) {
  if (anonymised && !a.identity_revealed() && who.Subject() != a.applicant_sub()) {
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
    // Free text carries identity too (a signature, "my name is ..."): the cover letter is
    // withheld; the committee reads the anonymised motivation and qualification instead.
    a.clear_cover_letter_text();
    // Withdrawal reasons and other free text of the applicant's in the history: withheld.
    for (auto& h : *a.mutable_history()) {
      if (h.actor().rfind("applicant ", 0) == 0) h.clear_reason();
    }
  }
  return a;
}

absl::StatusOr<v1::Application> ApplicationService::Submit(const auth::Principal& who,
                                                           const std::string& correlation_id,
                                                           const v1::SubmitApplicationRequest& r) {
  if (absl::Status s = auth::RequireAnyRole(who, {auth::roles::kApplicant}); !s.ok()) return s;
  if (!ids::IsUuid(r.posting_id())) return errors::InvalidField("posting_id", "not a posting id");
  const IdempotencyRequest idem = Idem("SubmitApplication", r.request_id(), r);
  // A replay gets the first answer even where the checks below would fail now (its documents
  // are attached, the posting has closed). The stored answer is looked up only then, so the
  // common first call pays no extra read; the transaction checks it again under its lock.
  auto refuse = [&](absl::Status refusal) -> absl::StatusOr<v1::Application> {
    if (r.request_id().empty()) return refusal;
    auto replayed = store_.Replayed(Actor::Of(who, correlation_id), idem);
    if (!replayed.ok()) return replayed.status();
    if (!replayed->has_value()) return refusal;
    if (absl::Status s = CheckAccess(who, **replayed); !s.ok()) return s;
    return **replayed;
  };
  std::vector<std::string> doc_ids(r.document_ids().begin(), r.document_ids().end());
  auto docs = store_.OwnDocuments(who.Subject(), doc_ids);
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
  if (snapshot.anonymised) {
    // Seed 003: the committee reads these texts instead of the cover letter.
    if (absl::Status s = CheckAnonymisedTexts(r); !s.ok()) return refuse(s);
  }
  const Actor actor = Actor::Of(who, correlation_id);
  return store_.Submit(
      actor, idem,
      [&](const std::string& id, const std::string& pseudonym) -> absl::StatusOr<AppChange> {
        AppChange c;
        v1::Application& a = c.next;
        a.set_id(id);
        a.set_tenant_id(snapshot.tenant_id);
        a.set_posting_id(snapshot.posting_id);
        a.set_kennziffer(snapshot.kennziffer);
        a.set_applicant_sub(who.Subject());
        *a.mutable_applicant() = r.applicant();
        a.set_pseudonym(pseudonym);
        for (const auto& d : *docs) *a.add_documents() = d;
        a.set_cover_letter_text(r.cover_letter_text());
        a.set_anonymised_motivation(r.anonymised_motivation());
        a.set_anonymised_qualification(r.anonymised_qualification());
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
        e->set_applicant_sub(who.Subject());
        e->set_severely_disabled(r.severely_disabled() || r.equivalent_status());
        e->set_kennziffer(snapshot.kennziffer);
        e->set_posting_title(snapshot.title);
        // The acknowledgment and later letters go to this address (ADR 0021).
        e->mutable_contact()->set_email(r.applicant().email());
        e->mutable_contact()->set_given_name(r.applicant().given_name());
        e->mutable_contact()->set_family_name(r.applicant().family_name());
        e->mutable_contact()->set_salutation(r.applicant().salutation());
        c.events.push_back(e);
        c.audit.push_back({"submitted", "", "RECEIVED", ""});
        return c;
      });
}

absl::StatusOr<v1::Application> ApplicationService::Get(const auth::Principal& who,
                                                        const std::string& id) {
  if (!ids::IsUuid(id)) return errors::InvalidField("id", "not an application id");
  auto a = store_.Get(id);
  if (!a.ok()) return a.status();
  if (absl::Status s = CheckAccess(who, *a); !s.ok()) return s;
  auto posting = store_.Posting(a->posting_id());
  const bool anonymised = posting.ok() && posting->has_value() && (*posting)->anonymised;
  return ViewFor(who, *std::move(a), anonymised);
}

absl::StatusOr<ApplicationPage> ApplicationService::List(const auth::Principal& who,
                                                         const v1::ListApplicationsRequest& r) {
  if (r.posting_id().empty() && who.HasRole(auth::roles::kApplicant)) {
    return store_.ListOwn(who.Subject());
  }
  if (!IsStaff(who)) {
    return absl::PermissionDeniedError(
        "listing a posting's applications needs an HR or committee role");
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
    const std::string& id, Cause cause, v1::ApplicationStatus to, const std::string& reason,
    const std::function<absl::Status(const v1::Application&)>& check,
    const std::function<void(const v1::Application&, AppChange&)>& amend, v1::ApplicationStatus via,
    bool obviously_unqualified) {
  if (!ids::IsUuid(id)) return errors::InvalidField("id", "not an application id");
  const absl::Time now = clock_.Now();
  auto result = store_.Update(
      actor, idem, id, [&](const v1::Application& current) -> absl::StatusOr<AppChange> {
        if (absl::Status s = CheckAccess(who, current); !s.ok()) return s;
        if (absl::Status s = check(current); !s.ok()) return s;
        auto c =
            applications::Transition(current, Move{.to = to,
                                                   .cause = cause,
                                                   .actor = who.Subject(),
                                                   .reason = reason,
                                                   .now = now,
                                                   .via = via,
                                                   .obviously_unqualified = obviously_unqualified});
        if (!c.ok()) return c.status();
        if (amend) amend(current, *c);
        return c;
      });
  if (!result.ok()) return result;
  // A replayed answer passes the access check of a first call.
  if (absl::Status s = CheckAccess(who, *result); !s.ok()) return s;
  auto posting = store_.Posting(result->posting_id());
  return ViewFor(who, *std::move(result),
                 posting.ok() && posting->has_value() && (*posting)->anonymised);
}

absl::StatusOr<v1::Application> ApplicationService::Withdraw(
    const auth::Principal& who, const std::string& correlation_id,
    const v1::WithdrawApplicationRequest& r) {
  if (absl::Status s = auth::RequireAnyRole(who, {auth::roles::kApplicant}); !s.ok()) return s;
  if (r.reason().size() > 2000) return errors::InvalidField("reason", "at most 2000 characters");
  return Transition(
      who, Actor::Of(who, correlation_id), Idem("WithdrawApplication", r.request_id(), r), r.id(),
      Cause::kWithdrawal, v1::WITHDRAWN, r.reason(),
      [&](const v1::Application& current) -> absl::Status {
        if (current.applicant_sub() != who.Subject()) return NotFound(r.id());
        if (!IsOpen(current.status())) {
          return absl::FailedPreconditionError(absl::StrCat(
              "an application in ", StatusName(current.status()), " cannot be withdrawn"));
        }
        return absl::OkStatus();
      });
}

absl::StatusOr<v1::Application> ApplicationService::ChangeStatus(const auth::Principal& who,
                                                                 const std::string& correlation_id,
                                                                 const v1::ChangeStatusRequest& r) {
  if (!IsStaff(who))
    return absl::PermissionDeniedError("ChangeStatus needs an HR or committee role");
  if (!v1::ApplicationStatus_IsValid(r.target()))
    return errors::InvalidField("target", "unknown status");
  if (r.reason().size() > 2000) return errors::InvalidField("reason", "at most 2000 characters");
  return Transition(
      who, Actor::Of(who, correlation_id), Idem("ChangeStatus", r.request_id(), r), r.id(),
      Cause::kStaffDecision, r.target(), r.reason(),
      [&](const v1::Application& current) -> absl::Status {
        if (absl::Status s = store::CheckEtag(current.etag(), r.etag()); !s.ok()) return s;
        return CheckStatusChange(current, r, who);
      },
      {}, v1::APPLICATION_STATUS_UNSPECIFIED,
      // SGB IX § 165: the finding is part of the record (and of the representative's event).
      r.obviously_unqualified());
}

absl::StatusOr<v1::Application> ApplicationService::RecordRepresentativeStatement(
    const auth::Principal& who, const std::string& correlation_id,
    const v1::RecordRepresentativeStatementRequest& r) {
  // SGB IX § 178 (2) S. 1: the Schwerbehindertenvertretung is heard before the decision; it
  // speaks for itself only (no other role records its statement).
  if (absl::Status s = auth::RequireAnyRole(who, {auth::roles::kDisabilityRepresentative});
      !s.ok()) {
    return s;
  }
  if (!ids::IsUuid(r.id())) return errors::InvalidField("id", "not an application id");
  const std::string text(absl::StripAsciiWhitespace(r.statement()));
  if (text.empty() || r.statement().size() > 4000) {
    return errors::InvalidField("statement", "the representative's statement (1–4000 characters)");
  }
  const absl::Time now = clock_.Now();
  auto result = store_.Update(
      Actor::Of(who, correlation_id), Idem("RecordRepresentativeStatement", r.request_id(), r),
      r.id(), [&](const v1::Application& a) -> absl::StatusOr<AppChange> {
        if (a.tenant_id() != who.tenant) return NotFound(r.id());
        // § 178 (2) concerns severely disabled and equivalent people only (§ 151 (1), (3)).
        if (!a.severely_disabled() && !a.equivalent_status()) {
          return absl::FailedPreconditionError(
              "the disability representative is heard on severely disabled or equivalent "
              "applicants only (SGB IX § 178 (2))");
        }
        if (!IsOpen(a.status())) {
          return absl::FailedPreconditionError(absl::StrCat(
              "the procedure has ended for this application (", StatusName(a.status()), ")"));
        }
        AppChange c;
        c.next = a;
        auto* st = c.next.add_representative_statements();
        st->set_text(text);
        st->set_by(who.Subject());
        *st->mutable_time() = Ts(now);
        st->set_status(a.status());
        *c.next.mutable_update_time() = Ts(now);
        c.audit.push_back({"representative_heard", StatusName(a.status()), "", ""});
        return c;
      });
  if (!result.ok()) return result.status();
  auto posting = store_.Posting(result->posting_id());
  return ViewFor(who, *std::move(result),
                 posting.ok() && posting->has_value() && (*posting)->anonymised);
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
      Actor::Of(who, correlation_id), IdempotencyRequest{"RevealIdentity", "", ""}, r.id(),
      [&](const v1::Application& a) -> absl::StatusOr<AppChange> {
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
  const Move rejection{.to = v1::REJECTED,
                       .cause = Cause::kProcedureEnded,
                       .actor = who.Subject(),
                       .reason = reason,
                       .now = clock_.Now()};
  return store_.Conclude(
      Actor::Of(who, correlation_id), Idem("ConcludeProcedure", r.request_id(), r), r.posting_id(),
      CheckConclusion,
      [&](const v1::Application& a) { return applications::Transition(a, rejection); });
}

}  // namespace stellenwerk::applications
