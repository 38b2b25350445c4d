#pragma once
// The applications use cases: who may do what, the rules of application_rules.h, events.

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/auth/principal.h"
#include "common/clock/clock.h"
#include "services/applications/domain/application_store.h"
#include "services/applications/domain/posting_directory.h"
#include "services/applications/domain/transitions.h"

namespace stellenwerk::applications {

class ApplicationService {
 public:
  // `postings`, if given, is asked about a posting whose snapshot has not arrived by event.
  ApplicationService(ApplicationStore& store, const Clock& clock,
                     PostingDirectory* postings = nullptr)
      : store_(store), clock_(clock), postings_(postings) {}

  // Applicants upload their own documents (role applicant).
  absl::StatusOr<v1::Document> Upload(const auth::Principal& who,
                                      const v1::DocumentMetadata& metadata,
                                      const std::string& content);
  // One document of an application with its content: the applicant's own; the tenant's HR and
  // committee (anonymised procedure: only after RevealIdentity). Staff reads are audited.
  struct DocumentContent {
    v1::Document metadata;
    std::string content;
  };
  absl::StatusOr<DocumentContent> ReadDocument(const auth::Principal& who,
                                               const std::string& correlation_id,
                                               const std::string& application_id,
                                               const std::string& document_id);
  absl::StatusOr<v1::Application> Submit(const auth::Principal& who,
                                         const std::string& correlation_id,
                                         const v1::SubmitApplicationRequest& request);
  // Applicants see their own; the employer's HR and committee see their tenant's (the
  // committee pseudonymised when the posting is anonymised); anyone else NOT_FOUND.
  absl::StatusOr<v1::Application> Get(const auth::Principal& who, const std::string& id);
  absl::StatusOr<ApplicationPage> List(const auth::Principal& who,
                                       const v1::ListApplicationsRequest& request);
  absl::StatusOr<v1::Application> Withdraw(const auth::Principal& who,
                                           const std::string& correlation_id,
                                           const v1::WithdrawApplicationRequest& request);
  absl::StatusOr<v1::Application> ChangeStatus(const auth::Principal& who,
                                               const std::string& correlation_id,
                                               const v1::ChangeStatusRequest& request);

  // Selection: HR fixes the criteria; committee members (and HR) rate; the ranking explains
  // itself (ranking.h).
  absl::StatusOr<v1::RatingCriteria> SetRatingCriteria(const auth::Principal& who,
                                                       const std::string& correlation_id,
                                                       const v1::SetRatingCriteriaRequest& r);
  absl::StatusOr<v1::Rating> Rate(const auth::Principal& who, const std::string& correlation_id,
                                  const v1::RateApplicationRequest& r);
  absl::StatusOr<v1::Ranking> GetRanking(const auth::Principal& who, const std::string& posting_id);

  // Participation before the decision: each body records its own verdict.
  absl::StatusOr<v1::ParticipationVerdict> RecordParticipation(
      const auth::Principal& who, const std::string& correlation_id,
      const v1::RecordParticipationRequest& r);
  absl::StatusOr<v1::ParticipationStatus> ListParticipation(const auth::Principal& who,
                                                            const std::string& posting_id);

  // Hiring: INTERVIEWED → PROPOSED (→ PENDING_COORDINATION until the district clears) →
  // OFFER_APPROVED → HIRED.
  absl::StatusOr<v1::Application> ProposeHiring(const auth::Principal& who,
                                                const std::string& correlation_id,
                                                const v1::ProposeHiringRequest& r);
  absl::StatusOr<v1::Application> FinalizeHiring(const auth::Principal& who,
                                                 const std::string& correlation_id,
                                                 const v1::FinalizeHiringRequest& r);

  // SGB IX § 178 (2): the disability representative's statement on a severely disabled or
  // equivalent applicant's open application, recorded and shown with the next decision.
  absl::StatusOr<v1::Application> RecordRepresentativeStatement(
      const auth::Principal& who, const std::string& correlation_id,
      const v1::RecordRepresentativeStatementRequest& r);

  // Anonymised procedures: HR reveals an identity for the invitation; audited.
  absl::StatusOr<v1::Application> RevealIdentity(const auth::Principal& who,
                                                 const std::string& correlation_id,
                                                 const v1::RevealIdentityRequest& r);
  absl::StatusOr<v1::ListAuditEntriesResponse> ListAuditEntries(const auth::Principal& who,
                                                                const std::string& application_id);

  // GDPR Art. 15/20 and 17: the applicant for themselves (all employers), HR/admin for their
  // own tenant (an HR export leaves a `data_exported` audit line on each application).
  absl::StatusOr<v1::ApplicantDataExport> ExportApplicantData(const auth::Principal& who,
                                                              const std::string& correlation_id,
                                                              const std::string& applicant_sub);
  absl::StatusOr<v1::EraseApplicantResponse> EraseApplicant(const auth::Principal& who,
                                                            const std::string& correlation_id,
                                                            const v1::EraseApplicantRequest& r);
  absl::StatusOr<v1::RetentionPolicy> SetRetentionPolicy(const auth::Principal& who,
                                                         const std::string& correlation_id,
                                                         const v1::SetRetentionPolicyRequest& r);
  absl::StatusOr<v1::ConcludeProcedureResponse> ConcludeProcedure(
      const auth::Principal& who, const std::string& correlation_id,
      const v1::ConcludeProcedureRequest& r);
  absl::StatusOr<v1::PersonnelStatistics> GetPersonnelStatistics(
      const auth::Principal& who, const v1::GetPersonnelStatisticsRequest& r);

  // The view a principal may see of an application.
  static v1::Application ViewFor(const auth::Principal& who, v1::Application application,
                                 bool anonymised);

  // Who may see and act on an application at all: the applicant on their own, the staff (HR,
  // committee) of its tenant. Everyone else gets NOT_FOUND, never a hint that it exists. Also
  // applied to a replayed answer, so a replay passes the check of a first call.
  static absl::Status CheckAccess(const auth::Principal& who, const v1::Application& application);

 private:
  // Moves the application to `to` (through `via` first, when given) for `cause`
  // (transitions.h); `check` refuses, `amend` adds to the new state and events.
  absl::StatusOr<v1::Application> Transition(
      const auth::Principal& who, const Actor& actor, const IdempotencyRequest& idem,
      const std::string& id, Cause cause, v1::ApplicationStatus to, const std::string& reason,
      const std::function<absl::Status(const v1::Application&)>& check,
      const std::function<void(const v1::Application& current, AppChange&)>& amend = {},
      v1::ApplicationStatus via = v1::APPLICATION_STATUS_UNSPECIFIED,
      bool obviously_unqualified = false);
  // The posting as this service knows it from events, else as the postings service answers
  // (published postings only), kept for next time; nullopt when neither knows it.
  absl::StatusOr<std::optional<PostingSnapshot>> KnownPosting(const std::string& posting_id);
  // The posting of the caller's tenant (NOT_FOUND otherwise, also for other tenants').
  absl::StatusOr<PostingSnapshot> OwnPosting(const auth::Principal& who,
                                             const std::string& posting_id);
  absl::StatusOr<v1::ParticipationStatus> Participation(const std::string& posting_id);

  ApplicationStore& store_;
  const Clock& clock_;
  PostingDirectory* postings_;
};

}  // namespace stellenwerk::applications
