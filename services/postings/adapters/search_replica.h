#pragma once
// The in-memory search replica of one postings process (docs/decisions/0013-search-cold-path.md).
//
// It holds what search needs of every public (PUBLISHED or CLOSED) posting: filter columns,
// grades, the German lexemes of posting_terms (which PostgreSQL computed at write time, so
// stemming stays PostgreSQL's) and the listing. It follows posting_search by transaction id
// (migration 0006): a background refresh every `poll` for changes made by other replicas, and
// a refresh before the next search after a change committed in this process.
//
// It answers searches of plain words (AND, stop words dropped, each word one lexeme) with any
// filters, in the store's order and with its counts; anything else (quotes, "or", "-", words
// PostgreSQL splits) returns nullopt and goes to the store.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/pg/pool.h"
#include "services/postings/domain/search_index.h"

namespace stellenwerk::postings {

class SearchReplica final : public SearchIndex {
 public:
  SearchReplica(pg::Pool& db, absl::Duration poll);
  ~SearchReplica() override;
  SearchReplica(const SearchReplica&) = delete;
  SearchReplica& operator=(const SearchReplica&) = delete;

  // Loads everything in the background, then follows changes. Searches before the first
  // load completes go to the store.
  void Start();
  void Stop();

  std::optional<SearchResult> TrySearch(const SearchQuery& q) override;
  void Changed() override;
  std::shared_ptr<const v1::Posting> TryGet(const std::string& id) const override;
  std::shared_ptr<const v1::Posting> TryGetByKennziffer(
      const std::string& tenant_id, const std::string& kennziffer) const override;
  void Remember(const v1::Posting& posting) override;

  // Reads the changes since the last refresh (all, the first time). Public for tests.
  absl::Status Refresh();
  bool loaded() const { return loaded_; }
  size_t size() const;

 private:
  struct Doc {
    std::string id;
    std::string tenant_id;
    bool published = false;  // else CLOSED
    std::optional<absl::Time> deadline;
    int posting_kind = 0;
    int contract = 0;
    bool part_time = false;
    std::string location;                     // normalised
    std::vector<std::pair<int, int>> grades;  // (scheme, rank)
    std::vector<std::string> lexemes;         // as read; Put turns them into terms
    std::vector<std::string> title_lexemes;   // as read; Put turns them into title_terms
    std::vector<int> terms;                   // ids of its lexemes, sorted
    std::vector<int> title_terms;             // ids of its title lexemes, sorted
    v1::Posting listing;                      // trimmed, etag set
    std::shared_ptr<const v1::Posting> full;  // remembered whole posting of listing's etag
  };

  // The lexemes of the normalised query text: nullopt when the replica cannot evaluate it
  // like websearch_to_tsquery would; empty when every word is a stop word.
  std::optional<std::vector<std::string>> Lexemes(const std::string& text);
  void Put(Doc doc);      // under mu_ (exclusive)
  void Remove(int slot);  // under mu_ (exclusive)
  void Run();

  pg::Pool& db_;
  const absl::Duration poll_;

  int TermId(const std::string& lexeme);  // under mu_ (exclusive); interns

  mutable std::shared_mutex mu_;  // docs_, slots_, term_ids_, by_term_, free_
  std::vector<std::optional<Doc>> docs_;
  std::vector<int> free_;
  std::unordered_map<std::string, int> slots_;          // posting id → slot
  std::unordered_map<std::string, int> by_kennziffer_;  // KennzifferKey(tenant, kz) → slot
  // Lexemes are interned: a search compares integers, not strings (profiled: string binary
  // searches were 40 % of a search's CPU). The vocabulary only grows, and slowly.
  std::unordered_map<std::string, int> term_ids_;
  std::vector<std::vector<int>> by_term_;  // term id → slots of the postings that have it

  std::mutex refresh_mu_;        // one refresh at a time; guards watermark_
  std::string watermark_ = "0";  // xid8 as text

  std::mutex words_mu_;  // word → its lexeme ("" = stop word; "\n" = not evaluable)
  std::unordered_map<std::string, std::string> words_;

  // True when every change committed in this process so far is followed.
  bool Current() const { return applied_.load() >= changes_.load(); }

  std::atomic<bool> loaded_{false};
  std::atomic<uint64_t> changes_{0};   // changes committed in this process (Changed())
  std::atomic<uint64_t> applied_{0};   // changes_ as it was when the last good refresh began
  std::atomic<size_t> full_count_{0};  // docs with `full`, bounded by kMaxFull
  std::atomic<bool> stopping_{false};
  std::mutex wait_mu_;
  std::condition_variable wait_cv_;
  std::thread thread_;
};

}  // namespace stellenwerk::postings
