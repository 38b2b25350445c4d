#pragma once
// PostingStore on PostgreSQL: rows in <schema>.postings, events through the outbox, the
// deadline as a durable timer, idempotent answers — each use case one transaction.

#include <string>

#include "common/clock/clock.h"
#include "common/pg/pool.h"
#include "services/postings/domain/posting_store.h"

namespace stellenwerk::postings {

class PgPostingStore final : public PostingStore {
 public:
  PgPostingStore(pg::Pool& db, std::string schema, const Clock& clock)
      : db_(db), schema_(std::move(schema)), clock_(clock) {}

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

 private:
  absl::StatusOr<v1::Posting> Lock(pqxx::work& tx, const std::string& id,
                                   const std::string* tenant);
  // Writes `change` (row, events, timer) when it changes anything; returns the new state.
  void WriteSearchIndex(pqxx::work& tx, const v1::Posting& posting);
  v1::Posting Write(pqxx::work& tx, const Actor& actor, const v1::Posting& current,
                    Change change, bool insert);

  pg::Pool& db_;
  const std::string schema_;
  const Clock& clock_;
};

}  // namespace stellenwerk::postings
