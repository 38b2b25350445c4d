#pragma once
// ApplicationStore on PostgreSQL (documents as bytea, audit rows, outbox events). The store is
// SQL and row mapping: what a change is, the domain decided (transitions.h and the service).
// Split by capability: lifecycle (this file's .cc), documents, selection, participation and
// hiring, GDPR and statistics (pg_application_store_<capability>.cc).

#include <mutex>
#include <string>
#include <vector>

#include "common/clock/clock.h"
#include "common/pg/aggregate_store.h"
#include "services/applications/domain/application_store.h"

namespace stellenwerk::applications {

class PgApplicationStore final : public ApplicationStore {
 public:
  PgApplicationStore(pg::Pool& db, std::string schema, const Clock& clock);

  absl::StatusOr<v1::Document> SaveDocument(const std::string& owner_sub, const v1::Document& meta,
                                            const std::string& content) override;
  absl::StatusOr<std::optional<std::pair<v1::Document, std::string>>> AttachedDocument(
      const std::string& application_id, const std::string& document_id) override;
  absl::StatusOr<std::vector<v1::Document>> OwnDocuments(
      const std::string& owner_sub, const std::vector<std::string>& ids) override;
  absl::StatusOr<std::optional<PostingSnapshot>> Posting(const std::string& posting_id) override;
  absl::StatusOr<std::optional<v1::Application>> Replayed(const Actor& actor,
                                                          const IdempotencyRequest& idem) override;
  absl::StatusOr<v1::Application> Submit(
      const Actor& actor, const IdempotencyRequest& idem,
      const std::function<absl::StatusOr<AppChange>(const std::string&, const std::string&)>& build)
      override;
  absl::StatusOr<v1::Application> Get(const std::string& id) override;
  absl::StatusOr<v1::Application> Update(
      const Actor& actor, const IdempotencyRequest& idem, const std::string& id,
      const std::function<absl::StatusOr<AppChange>(const v1::Application&)>& decide) override;
  absl::StatusOr<ApplicationPage> List(const std::string& tenant_id, const std::string& posting_id,
                                       const std::vector<v1::ApplicationStatus>& statuses,
                                       int page_size, const std::string& page_token) override;
  absl::StatusOr<ApplicationPage> ListOwn(const std::string& applicant_sub) override;
  absl::StatusOr<v1::RatingCriteria> SetCriteria(const Actor& actor, const IdempotencyRequest& idem,
                                                 const v1::RatingCriteria& criteria) override;
  absl::StatusOr<std::vector<v1::RatingCriterion>> Criteria(const std::string& posting_id) override;
  absl::StatusOr<v1::Rating> Rate(
      const Actor& actor, const IdempotencyRequest& idem, const std::string& application_id,
      const std::function<absl::StatusOr<v1::Rating>(
          const v1::Application&, const std::vector<v1::RatingCriterion>&)>& decide) override;
  absl::StatusOr<std::vector<RankingCandidate>> RankingCandidates(
      const std::string& posting_id) override;
  absl::StatusOr<v1::ParticipationVerdict> RecordVerdict(
      const Actor& actor, const IdempotencyRequest& idem,
      const v1::ParticipationVerdict& v) override;
  absl::StatusOr<std::vector<v1::ParticipationVerdict>> LatestVerdicts(
      const std::string& posting_id) override;
  absl::StatusOr<bool> HasSeverelyDisabledApplicant(const std::string& posting_id) override;
  absl::StatusOr<std::optional<absl::Time>> LastInterview(const std::string& posting_id) override;
  absl::StatusOr<std::vector<v1::AuditEntry>> Audit(const std::string& application_id) override;
  absl::Status RecordAccess(const Actor& actor, const std::vector<std::string>& application_ids,
                            const std::string& action, const std::string& reason) override;
  absl::StatusOr<ApplicantData> Export(const std::string& applicant_sub,
                                       const std::string& tenant_id) override;
  absl::StatusOr<v1::EraseApplicantResponse> Erase(const Actor& actor,
                                                   const IdempotencyRequest& idem,
                                                   const std::string& applicant_sub,
                                                   const std::string& tenant_id) override;
  absl::StatusOr<v1::ConcludeProcedureResponse> Conclude(
      const Actor& actor, const IdempotencyRequest& idem, const std::string& posting_id,
      const std::function<absl::Status(const std::vector<v1::Application>& open)>& check,
      const std::function<absl::StatusOr<AppChange>(const v1::Application&)>& decide) override;
  absl::StatusOr<v1::RetentionPolicy> SetRetention(const Actor& actor,
                                                   const IdempotencyRequest& idem,
                                                   const v1::RetentionPolicy& policy) override;
  absl::StatusOr<StatisticsInput> Statistics(const std::string& tenant_id, int year,
                                             absl::Time from, absl::Time to) override;

  // Event handlers (in the consumer's transaction).
  // posting.published/updated/closed/withdrawn: keep the snapshot (newer versions only).
  absl::Status SavePostingSnapshot(const PostingSnapshot& snapshot, int64_t version) override;
  absl::Status ApplyPostingSnapshot(pqxx::work& tx, const PostingSnapshot& snapshot,
                                    int64_t version);
  // Locks the applications of a posting that are in one of `from` (in id order) and applies
  // `decide` to each, as `actor` (consumers: posting closed, posting withdrawn); how many moved.
  absl::StatusOr<int> MoveAllInTransaction(
      pqxx::work& tx, const std::string& posting_id, const std::vector<v1::ApplicationStatus>& from,
      const Actor& actor,
      const std::function<absl::StatusOr<AppChange>(const v1::Application&)>& decide);
  // Locks application `id` of `tenant` and applies `decide` (consumers: coordination outcomes).
  // NOT_FOUND when there is none.
  absl::StatusOr<v1::Application> ApplyInTransaction(
      pqxx::work& tx, const Actor& actor, const std::string& id, const std::string& tenant,
      const std::function<absl::StatusOr<AppChange>(const v1::Application&)>& decide);
  // Retention (timer): erases up to `limit` applications whose procedure ended longer ago
  // than their tenant's retention period and whose applicant did not join the talent pool.
  // Returns how many were erased.
  absl::StatusOr<int> EraseExpired(pqxx::work& tx, absl::Time now, int limit);

 private:
  using Decide = std::function<absl::StatusOr<AppChange>(const v1::Application&)>;
  // Serialises submissions (shared) against changes of the posting's state (exclusive), so no
  // application slips in unseen while the posting closes or is withdrawn.
  void LockPosting(pqxx::work& tx, const std::string& posting_id, bool exclusive);
  // MoveAllInTransaction, after `check` (if given) accepted the locked set.
  absl::StatusOr<int> MoveAll(
      pqxx::work& tx, const std::string& posting_id, const std::vector<v1::ApplicationStatus>& from,
      const Actor& actor, const Decide& decide,
      const std::function<absl::Status(const std::vector<v1::Application>&)>& check = {});
  // The next pseudonym number, drawn from pseudonym_seq in blocks (one round trip per block;
  // a sequence has gaps anyway, and numbers only need to be unique).
  int64_t NextPseudonym(pqxx::work& tx);
  // Deletes the applications and everything personal about them; keeps anonymous facts.
  int EraseApplications(pqxx::work& tx, const std::vector<std::string>& ids,
                        const std::string& cause, const Actor& actor);

  pg::Pool& db_;
  pg::AggregateStore<v1::Application> apps_;
  std::mutex pseudonym_mu_;
  std::vector<int64_t> pseudonyms_;  // drawn, not yet used (taken from the back)
};

}  // namespace stellenwerk::applications
