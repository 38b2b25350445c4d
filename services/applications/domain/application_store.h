#pragma once
// The applications service's storage port: each call one transaction in which the state, its
// events (outbox), the audit rows and the idempotent answer commit together.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/store/command.h"
#include "google/protobuf/message.h"
#include "services/applications/domain/ranking.h"
#include "stellenwerk/applications/v1/applications.pb.h"

namespace stellenwerk::applications {

using store::Actor;
using store::IdempotencyRequest;

struct PostingSnapshot {
  std::string posting_id;
  std::string tenant_id;
  std::string kennziffer;
  std::string title;
  std::string status;  // PUBLISHED, CLOSED, ...
  std::optional<absl::Time> deadline;
  bool anonymised = false;
  bool coordination_required = false;
  bool women_preferred = false;  // LGG NRW § 7: women under-represented in the pay group
  int role_category = 0;         // stellenwerk.postings.v1.RoleCategory
  std::string regional_office;
  std::string district_tenant_id;  // with coordination_required: whom to inform
};

// What a decision about an application produces: the next state, its events, its audit lines.
using AppChange = store::Change<v1::Application>;

// Everything stored about one applicant (GDPR Art. 15).
struct ApplicantData {
  std::vector<v1::Application> applications;
  std::vector<v1::Rating> ratings;
  std::vector<std::pair<std::string, v1::AuditEntry>> audit;  // (application id, entry)
};

// Raw counts for the personnel report of one tenant and year.
struct StatisticsInput {
  int64_t postings_with_applications = 0;
  int64_t applications = 0;
  int64_t women_applicants = 0;
  int64_t severely_disabled_applicants = 0;
  int64_t hires = 0;
  int64_t women_hires = 0;
  int64_t severely_disabled_hires = 0;
  std::vector<double> days_to_hire;
};

struct ApplicationPage {
  std::vector<v1::Application> applications;
  std::string next_page_token;
};

class ApplicationStore {
 public:
  virtual ~ApplicationStore() = default;

  virtual absl::StatusOr<v1::Document> SaveDocument(const std::string& owner_sub,
                                                    const v1::Document& meta,
                                                    const std::string& content) = 0;
  // A document attached to the application, with its content; nullopt when it is not one of
  // that application's documents.
  virtual absl::StatusOr<std::optional<std::pair<v1::Document, std::string>>> AttachedDocument(
      const std::string& application_id, const std::string& document_id) = 0;
  // The caller's own, not yet attached documents among `ids` (others are NOT_FOUND).
  virtual absl::StatusOr<std::vector<v1::Document>> OwnDocuments(
      const std::string& owner_sub, const std::vector<std::string>& ids) = 0;
  virtual absl::StatusOr<std::optional<PostingSnapshot>> Posting(const std::string& posting_id) = 0;
  // Keeps a snapshot learnt outside the event stream (PostingDirectory); like an event's, it
  // never replaces a newer version.
  virtual absl::Status SavePostingSnapshot(const PostingSnapshot& snapshot, int64_t version) = 0;

  // The stored answer to an earlier call with this request_id in the actor's idempotency scope
  // (ALREADY_EXISTS if the body differs), so a replay is not refused by later state. The
  // caller applies the access check of a first call to it.
  virtual absl::StatusOr<std::optional<v1::Application>> Replayed(
      const Actor& actor, const IdempotencyRequest& idem) = 0;
  // Inserts the application built by `build` (ALREADY_EXISTS if this applicant already
  // applied to the posting) and attaches its documents.
  virtual absl::StatusOr<v1::Application> Submit(
      const Actor& actor, const IdempotencyRequest& idem,
      const std::function<absl::StatusOr<AppChange>(const std::string& id,
                                                    const std::string& pseudonym)>& build) = 0;
  virtual absl::StatusOr<v1::Application> Get(const std::string& id) = 0;
  // Locks the application and applies `decide` to it.
  virtual absl::StatusOr<v1::Application> Update(
      const Actor& actor, const IdempotencyRequest& idem, const std::string& id,
      const std::function<absl::StatusOr<AppChange>(const v1::Application&)>& decide) = 0;
  virtual absl::StatusOr<ApplicationPage> List(const std::string& tenant_id,
                                               const std::string& posting_id,
                                               const std::vector<v1::ApplicationStatus>& statuses,
                                               int page_size, const std::string& page_token) = 0;
  virtual absl::StatusOr<ApplicationPage> ListOwn(const std::string& applicant_sub) = 0;

  // Selection. Criteria can be set until the first rating of the posting (FAILED_PRECONDITION
  // after that: the yardstick is fixed before anyone is measured).
  virtual absl::StatusOr<v1::RatingCriteria> SetCriteria(const Actor& actor,
                                                         const IdempotencyRequest& idem,
                                                         const v1::RatingCriteria& criteria) = 0;
  virtual absl::StatusOr<std::vector<v1::RatingCriterion>> Criteria(
      const std::string& posting_id) = 0;
  // Locks the application, lets `decide` check it against the posting's criteria, stores the
  // rating (replacing the rater's earlier score for that criterion).
  virtual absl::StatusOr<v1::Rating> Rate(
      const Actor& actor, const IdempotencyRequest& idem, const std::string& application_id,
      const std::function<absl::StatusOr<v1::Rating>(
          const v1::Application&, const std::vector<v1::RatingCriterion>&)>& decide) = 0;
  // Applications of the posting that reached the shortlist (not rejected or withdrawn before),
  // with their score sums.
  virtual absl::StatusOr<std::vector<RankingCandidate>> RankingCandidates(
      const std::string& posting_id) = 0;

  // Participation: verdicts are appended (with their event); the latest per body counts.
  virtual absl::StatusOr<v1::ParticipationVerdict> RecordVerdict(
      const Actor& actor, const IdempotencyRequest& idem, const v1::ParticipationVerdict& v) = 0;
  virtual absl::StatusOr<std::vector<v1::ParticipationVerdict>> LatestVerdicts(
      const std::string& posting_id) = 0;
  virtual absl::StatusOr<bool> HasSeverelyDisabledApplicant(const std::string& posting_id) = 0;
  // When the posting's latest interview was recorded (a move to INTERVIEWED), if any.
  virtual absl::StatusOr<std::optional<absl::Time>> LastInterview(
      const std::string& posting_id) = 0;

  virtual absl::StatusOr<std::vector<v1::AuditEntry>> Audit(const std::string& application_id) = 0;
  // An audit line `action` (with `reason`) on each of `application_ids`, without a change:
  // reads of personal data that must be provable (e.g. HR exporting an applicant's data).
  virtual absl::Status RecordAccess(const Actor& actor,
                                    const std::vector<std::string>& application_ids,
                                    const std::string& action, const std::string& reason) = 0;

  // GDPR. `tenant_id` empty: every tenant (the applicant's own request).
  virtual absl::StatusOr<ApplicantData> Export(const std::string& applicant_sub,
                                               const std::string& tenant_id) = 0;
  virtual absl::StatusOr<v1::EraseApplicantResponse> Erase(const Actor& actor,
                                                           const IdempotencyRequest& idem,
                                                           const std::string& applicant_sub,
                                                           const std::string& tenant_id) = 0;
  // Ends the posting's procedure in one transaction: locks its open applications, lets
  // `check` refuse, and applies `decide` (the rejection) to each.
  virtual absl::StatusOr<v1::ConcludeProcedureResponse> Conclude(
      const Actor& actor, const IdempotencyRequest& idem, const std::string& posting_id,
      const std::function<absl::Status(const std::vector<v1::Application>& open)>& check,
      const std::function<absl::StatusOr<AppChange>(const v1::Application&)>& decide) = 0;
  virtual absl::StatusOr<v1::RetentionPolicy> SetRetention(const Actor& actor,
                                                           const IdempotencyRequest& idem,
                                                           const v1::RetentionPolicy& policy) = 0;
  // The Berlin year `year` = [from, to) in absolute time: the facts of applications that
  // exist, plus the totals of erased ones kept for the year (decision 0042).
  virtual absl::StatusOr<StatisticsInput> Statistics(const std::string& tenant_id, int year,
                                                     absl::Time from, absl::Time to) = 0;
};

}  // namespace stellenwerk::applications
