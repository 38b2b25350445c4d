#pragma once
// ApplicationStore on PostgreSQL (documents as bytea, audit rows, outbox events).

#include <mutex>
#include <string>
#include <vector>

#include "common/clock/clock.h"
#include "common/pg/pool.h"
#include "services/applications/domain/application_store.h"

namespace stellenwerk::applications {

class PgApplicationStore final : public ApplicationStore {
 public:
  PgApplicationStore(pg::Pool& db, std::string schema, const Clock& clock)
      : db_(db), schema_(std::move(schema)), clock_(clock) {}

  absl::StatusOr<v1::Document> SaveDocument(const std::string& owner_sub, const v1::Document& meta,
                                            const std::string& content) override;
  absl::StatusOr<std::vector<v1::Document>> OwnDocuments(
      const std::string& owner_sub, const std::vector<std::string>& ids) override;
  absl::StatusOr<std::optional<PostingSnapshot>> Posting(const std::string& posting_id) override;
  absl::StatusOr<std::optional<v1::Application>> Replayed(
      const Actor& actor, const IdempotencyRequest& idem) override;
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

  // Event handlers (in the consumer's transaction).
  // posting.published/updated/closed/withdrawn: keep the snapshot (newer versions only).
  absl::Status ApplyPostingSnapshot(pqxx::work& tx, const PostingSnapshot& snapshot,
                                    int64_t version);
  // posting.closed: RECEIVED applications move to SCREENING (DOMAIN.md), each audited and
  // published.
  absl::Status StartScreening(pqxx::work& tx, const std::string& posting_id,
                              const std::string& correlation_id);

 private:
  v1::Application Write(pqxx::work& tx, const Actor& actor, const v1::Application& current,
                        AppChange change, bool insert);
  // The next pseudonym number, drawn from pseudonym_seq in blocks (one round trip per block;
  // a sequence has gaps anyway, and numbers only need to be unique).
  int64_t NextPseudonym(pqxx::work& tx);

  pg::Pool& db_;
  const std::string schema_;
  const Clock& clock_;
  std::mutex pseudonym_mu_;
  std::vector<int64_t> pseudonyms_;  // drawn, not yet used (taken from the back)
};

}  // namespace stellenwerk::applications
