#include "services/applications/domain/application_service.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/errors/errors.h"
#include "common/idempotency/idempotency.h"
#include "common/ids/uuid.h"
#include "google/protobuf/util/time_util.h"
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

bool IsStaff(const auth::Principal& who) {
  return who.HasAnyRole({auth::roles::kHrClerk, auth::roles::kAdmin, auth::roles::kCommitteeMember});
}

absl::Status NotFound(const std::string& id) {
  return absl::NotFoundError(absl::StrCat("application ", id, " not found"));
}

}  // namespace

v1::Application ApplicationService::ViewFor(const auth::Principal& who, v1::Application a,
                                            bool anonymised) {
  const bool hr = who.HasAnyRole({auth::roles::kHrClerk, auth::roles::kAdmin});
  if (anonymised && !hr && who.sub != a.applicant_sub()) {
    // Anonymised procedure (seed 003): the committee sees a pseudonym, no name, birth date,
    // sex, address or photo-bearing documents.
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
  // A PDF must also end like one: a truncated upload is refused.
  if (*detected == "application/pdf" && content.rfind("%%EOF") == std::string::npos) {
    return errors::InvalidField("chunk", "the PDF is truncated (no %%EOF)");
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
  auto replayed = store_.Replayed(Actor{who.sub, "", correlation_id}, idem);
  if (!replayed.ok()) return replayed.status();
  if (replayed->has_value()) return **replayed;
  std::vector<std::string> doc_ids(r.document_ids().begin(), r.document_ids().end());
  auto docs = store_.OwnDocuments(who.sub, doc_ids);
  if (!docs.ok()) return docs.status();
  bool has_cv = false, has_letter = false;
  int64_t total = 0;
  for (const auto& d : *docs) {
    has_cv |= d.kind() == v1::CV;
    has_letter |= d.kind() == v1::COVER_LETTER;
    total += d.size_bytes();
  }
  if (absl::Status s = ValidateSubmission(r, has_cv, has_letter); !s.ok()) return s;
  if (total > kMaxApplicationBytes) {
    return absl::ResourceExhaustedError("an application may have at most 50 MB of documents");
  }
  auto posting = store_.Posting(r.posting_id());
  if (!posting.ok()) return posting.status();
  const absl::Time now = clock_.Now();
  if (!posting->has_value() || (*posting)->status != "PUBLISHED") {
    return absl::FailedPreconditionError("the posting is not open for applications");
  }
  // The deadline is a date; applications count until 24:00 Europe/Berlin (DOMAIN.md).
  if ((*posting)->deadline.has_value() && now >= *(*posting)->deadline) {
    return absl::FailedPreconditionError("the application deadline has passed");
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
    const std::function<void(v1::Application&)>& amend) {
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
    if (amend) amend(c.next);
    auto* h = c.next.add_history();
    h->set_from(current.status());
    h->set_to(to);
    h->set_actor(who.sub);
    h->set_reason(reason);
    *h->mutable_time() = Ts(now);
    auto e = std::make_shared<ev::ApplicationStatusChanged>();
    e->set_application_id(current.id());
    e->set_posting_id(current.posting_id());
    e->set_applicant_sub(current.applicant_sub());
    e->set_from(StatusName(current.status()));
    e->set_to(StatusName(to));
    e->set_reason(reason);
    c.events.emplace_back(kStatusChangedEvent, e);
    if (to == v1::WITHDRAWN) {
      auto w = std::make_shared<ev::ApplicationWithdrawn>();
      w->set_application_id(current.id());
      w->set_posting_id(current.posting_id());
      w->set_applicant_sub(current.applicant_sub());
      c.events.emplace_back(kWithdrawnEvent, w);
    }
    c.audit.push_back({"status_changed", StatusName(current.status()), StatusName(to), reason});
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
                    [&](v1::Application& next) {
                      // SGB IX § 165: the finding is part of the record.
                      if (r.obviously_unqualified()) next.set_obviously_unqualified(true);
                    });
}

}  // namespace stellenwerk::applications
