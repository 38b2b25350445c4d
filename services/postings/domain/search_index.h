#pragma once
// A search that may answer from memory (docs/decisions/0013-search-cold-path.md): each
// postings process keeps a replica of the public postings' search data and answers the
// searches it understands without a database round trip; the others go to the store.

#include <memory>
#include <optional>
#include <string>

#include "services/postings/domain/posting_store.h"

namespace stellenwerk::postings {

// A search hit carries the listing fields; the full text is one GetPosting away. Keeps pages
// (and their cache entries, and the in-memory replica) small.
inline void TrimToListing(v1::Posting& posting) {
  posting.clear_description();
  posting.clear_tasks();
  posting.clear_requirements();
  posting.clear_qualification_paths();
  posting.clear_contacts();
  posting.clear_benefits();
}

class SearchIndex {
 public:
  virtual ~SearchIndex() = default;
  // The result of `q` exactly as PostingStore::Search would give it, or nullopt when this
  // index cannot answer (not loaded yet, a query form it does not evaluate, a failed refresh).
  virtual std::optional<SearchResult> TrySearch(const SearchQuery& q) = 0;
  // A change was committed in this process: the next search must see it (read your writes).
  virtual void Changed() = 0;

  // Hot public reads (GetPosting without a token, ADR 0014): the whole posting `id` when this
  // index holds it as public and a read of exactly the version it follows was remembered;
  // nullptr otherwise (also while a change of this process is not yet followed). Never staler
  // than the searches this index answers. Must not block: it runs on gRPC's threads.
  virtual std::shared_ptr<const v1::Posting> TryGet(const std::string& id) const = 0;
  // The same by the employer's Kennziffer (how job boards link to a posting).
  virtual std::shared_ptr<const v1::Posting> TryGetByKennziffer(
      const std::string& tenant_id, const std::string& kennziffer) const = 0;
  // A posting just read from the cache or the store, kept for TryGet when it is public and the
  // version this index follows (an older or newer read is ignored).
  virtual void Remember(const v1::Posting& posting) = 0;
};

}  // namespace stellenwerk::postings
