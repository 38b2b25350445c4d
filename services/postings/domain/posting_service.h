#pragma once
// The postings use cases: authorisation by role and tenant, the rules of posting_rules.h,
// events, the deadline timer and the read cache. No transport, no SQL.

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/auth/principal.h"
#include "common/cache/cache.h"
#include "common/clock/clock.h"
#include "services/postings/domain/posting_store.h"
#include "services/postings/domain/search_index.h"
#include "stellenwerk/events/v1/postings.pb.h"
#include "stellenwerk/postings/v1/postings.pb.h"

namespace stellenwerk::postings {

inline constexpr char kDeadlineTimerKind[] = "posting.deadline";

class PostingService {
 public:
  // `index`, if given, answers the searches it can from memory (SearchIndex).
  PostingService(PostingStore& store, cache::Cache& cache, const Clock& clock,
                 SearchIndex* index = nullptr)
      : store_(store), cache_(cache), clock_(clock), index_(index) {}

  // Mutations need the tenant's hr_clerk or admin.
  absl::StatusOr<v1::Posting> Create(const auth::Principal& who, const std::string& correlation_id,
                                     const v1::CreatePostingRequest& request);
  absl::StatusOr<v1::Posting> Update(const auth::Principal& who, const std::string& correlation_id,
                                     const v1::UpdatePostingRequest& request);
  absl::StatusOr<v1::Posting> Publish(const auth::Principal& who, const std::string& correlation_id,
                                      const v1::PublishPostingRequest& request);
  absl::StatusOr<v1::Posting> Close(const auth::Principal& who, const std::string& correlation_id,
                                    const v1::ClosePostingRequest& request);
  absl::StatusOr<v1::Posting> Withdraw(const auth::Principal& who,
                                       const std::string& correlation_id,
                                       const v1::WithdrawPostingRequest& request);

  // Reads: published (and closed) postings are public; drafts and withdrawn ones only for
  // the tenant's HR. Another tenant's hidden posting is NOT_FOUND (no existence leak).
  absl::StatusOr<v1::Posting> Get(const std::optional<auth::Principal>& who, const std::string& id);
  // A hot public posting from memory for an anonymous reader (never blocks; runs on gRPC's
  // thread), or nullptr: then Get. Same answer as Get, at most as stale as search results.
  std::shared_ptr<const v1::Posting> TryGetPublic(const std::string& id) const;
  std::shared_ptr<const v1::Posting> TryGetPublicByKennziffer(const std::string& tenant_id,
                                                              const std::string& kennziffer) const;
  absl::StatusOr<v1::Posting> GetByKennziffer(const std::optional<auth::Principal>& who,
                                              const std::string& tenant_id,
                                              const std::string& kennziffer);
  absl::StatusOr<PostingPage> List(const auth::Principal& who,
                                   const v1::ListPostingsRequest& request);

  // German full-text search over published postings (public), ranked, filtered, paged;
  // hot pages come from the cache.
  absl::StatusOr<v1::SearchPostingsResponse> Search(const v1::SearchPostingsRequest& request);

  // schema.org JobPosting JSON-LD of a published posting.
  absl::StatusOr<std::string> ExportJobPosting(const std::optional<auth::Principal>& who,
                                               const std::string& id);

  // The deadline timer's decision: PUBLISHED and due → CLOSED with posting.closed
  // (by_deadline). Anything else (withdrawn, already closed, deadline extended) → no change.
  static absl::StatusOr<Change> CloseByDeadline(const v1::Posting& current, absl::Time now);

  // After a change to `posting` committed (never before: a reader in between would cache
  // the old state again): drops its cached copy and, unless it is a draft, every cached
  // search page.
  void Committed(const v1::Posting& posting);

  static std::string CacheKey(const std::string& id) { return "posting:" + id; }
  // Generation family of all search pages; bumped by every change visible in search.
  static constexpr char kSearchFamily[] = "search";

 private:
  static v1::SearchPostingsResponse Response(SearchResult result, const SearchQuery& q);
  absl::StatusOr<v1::Posting> Mutate(const auth::Principal& who, const std::string& correlation_id,
                                     const IdempotencyRequest& idem, const std::string& id,
                                     const Decide& decide);
  bool CanSeeHidden(const std::optional<auth::Principal>& who, const v1::Posting& p) const;

  PostingStore& store_;
  cache::Cache& cache_;
  const Clock& clock_;
  SearchIndex* index_ = nullptr;
};

// Snapshot for events (what consumers need without calling back).
void FillSnapshot(const v1::Posting& p, events::v1::PostingSnapshot* snapshot);

}  // namespace stellenwerk::postings
