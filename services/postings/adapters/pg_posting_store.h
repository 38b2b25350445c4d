#pragma once
// PostingStore on PostgreSQL: rows in <schema>.postings, events through the outbox, the
// deadline as a durable timer, idempotent answers — each use case one transaction.

#include <string>

#include "common/clock/clock.h"
#include "common/pg/aggregate_store.h"
#include "services/postings/domain/posting_store.h"

namespace stellenwerk::postings {

class PgPostingStore final : public PostingStore {
 public:
  PgPostingStore(pg::Pool& db, std::string schema, const Clock& clock);

  absl::StatusOr<v1::Posting> Create(
      const Actor& actor, const IdempotencyRequest& idem, absl::Time now,
      const std::optional<std::string>& imported_kennziffer,
      const std::function<absl::StatusOr<Change>(const std::string&, const std::string&)>& build)
      override;
  absl::StatusOr<v1::Posting> Update(const Actor& actor, const IdempotencyRequest& idem,
                                     const std::string& id, const Decide& decide) override;
  absl::StatusOr<v1::Posting> Get(const std::string& id) override;
  absl::StatusOr<v1::Posting> GetByKennziffer(const std::string& tenant_id,
                                              const std::string& kennziffer) override;
  absl::StatusOr<PostingPage> List(const ListQuery& query) override;
  absl::StatusOr<SearchResult> Search(const SearchQuery& query) override;

  // Applies `decide` to posting `id` (any tenant) inside an existing transaction — for the
  // deadline timer. Returns the resulting posting.
  absl::StatusOr<v1::Posting> ApplyInTransaction(pqxx::work& tx, const Actor& actor,
                                                 const std::string& id, const Decide& decide);

  // The search tables of a posting, rewritten with every write of its row.
  void WriteSearchIndex(pqxx::work& tx, const v1::Posting& posting);

 private:
  pg::AggregateStore<v1::Posting> postings_;
};

}  // namespace stellenwerk::postings
