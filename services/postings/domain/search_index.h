#pragma once
// A search that may answer from memory (docs/decisions/0013-search-cold-path.md): each
// postings process keeps a replica of the public postings' search data and answers the
// searches it understands without a database round trip; the others go to the store.

#include <optional>

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
};

}  // namespace stellenwerk::postings
