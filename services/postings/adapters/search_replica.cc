#include "services/postings/adapters/search_replica.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "common/logging/log.h"

namespace stellenwerk::postings {
namespace {

constexpr char kNotEvaluable[] = "\n";
constexpr size_t kMaxCachedWords = 100000;
// Whole postings kept for hot public reads; beyond this, reads go to Redis as before.
constexpr size_t kMaxFull = 5000;

std::vector<std::string> SortedWords(const pqxx::field& f) {
  std::vector<std::string> out;
  if (f.is_null()) return out;
  out = absl::StrSplit(f.as<std::string>(), ' ', absl::SkipEmpty());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string KennzifferKey(const std::string& tenant_id, const std::string& kennziffer) {
  return tenant_id + '\n' + kennziffer;
}

bool Has(const std::vector<int>& sorted, int term) {
  return std::binary_search(sorted.begin(), sorted.end(), term);
}

// A word websearch_to_tsquery reads as a plain word: ASCII letters and digits and the bytes of
// UTF-8 letters (the text is normalised: lower case, no gender markers), and not the OR
// operator. Quotes, "-" and any other sign send the query to the store.
bool PlainWord(const std::string& w) {
  if (w == "or") return false;
  return std::all_of(w.begin(), w.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || u >= 0x80;
  });
}

}  // namespace

SearchReplica::SearchReplica(pg::Pool& db, absl::Duration poll) : db_(db), poll_(poll) {}

SearchReplica::~SearchReplica() { Stop(); }

void SearchReplica::Start() {
  stopping_ = false;
  thread_ = std::thread([this] { Run(); });
}

void SearchReplica::Stop() {
  stopping_ = true;
  wait_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SearchReplica::Run() {
  while (!stopping_) {
    absl::Status s = Refresh();
    if (!s.ok()) spdlog::warn("search replica: refresh failed: {}", s.message());
    std::unique_lock lock(wait_mu_);
    wait_cv_.wait_for(lock, absl::ToChronoMilliseconds(loaded_ ? poll_ : absl::Seconds(1)),
                      [this] { return stopping_.load() || !Current(); });
  }
}

size_t SearchReplica::size() const {
  std::shared_lock lock(mu_);
  return slots_.size();
}

void SearchReplica::Changed() {
  ++changes_;
  // Wake the follower: hot reads resume once it has followed this change.
  { std::lock_guard lock(wait_mu_); }
  wait_cv_.notify_all();
}

absl::Status SearchReplica::Refresh() {
  std::lock_guard refreshing(refresh_mu_);
  // Every change counted so far committed before this refresh reads (Changed() is called after
  // the commit), so this refresh follows all of them.
  const uint64_t covers = changes_.load();
  std::string next_watermark;
  std::vector<Doc> changed;
  std::vector<std::string> gone;
  absl::Status s = db_.Read([&](pqxx::work& tx) -> absl::Status {
    changed.clear();
    gone.clear();
    // First the horizon, then the rows: every transaction below it has ended before the rows
    // are read, so the next refresh may start there (changes of transactions still running
    // now have ids at or above it).
    next_watermark =
        tx.exec("SELECT pg_snapshot_xmin(pg_current_snapshot())::text")[0][0].as<std::string>();
    const auto rows = tx.exec_params(
        "SELECT s.posting_id::text, s.tenant_id, s.status, micros(s.deadline_at), s.posting_kind,"
        " s.contract, s.part_time, s.location_norm, p.data, p.version,"
        " (SELECT string_agg(t.lexeme, ' ') FROM posting_terms t WHERE t.posting_id = "
        "s.posting_id),"
        " (SELECT string_agg(t.lexeme, ' ') FROM posting_terms t"
        "   WHERE t.posting_id = s.posting_id AND t.in_title),"
        " (SELECT string_agg(g.scheme || ':' || g.rank, ' ') FROM posting_grades g"
        "   WHERE g.posting_id = s.posting_id)"
        " FROM posting_search s JOIN postings p ON p.id = s.posting_id"
        " WHERE s.changed_xid >= $1::xid8",
        watermark_);
    for (const auto& r : rows) {
      const std::string status = r[2].as<std::string>();
      if (status != "PUBLISHED" && status != "CLOSED") {
        gone.push_back(r[0].as<std::string>());
        continue;
      }
      Doc d;
      d.id = r[0].as<std::string>();
      d.tenant_id = r[1].as<std::string>();
      d.published = status == "PUBLISHED";
      if (!r[3].is_null()) d.deadline = pg::FromMicros(r[3]);
      d.posting_kind = r[4].as<int>();
      d.contract = r[5].as<int>();
      d.part_time = r[6].as<bool>();
      d.location = r[7].is_null() ? "" : r[7].as<std::string>();
      if (!d.listing.ParseFromString(pg::BytesOf(r[8]))) {
        return absl::DataLossError("search replica: undecodable posting " + d.id);
      }
      TrimToListing(d.listing);
      d.listing.set_etag(std::to_string(r[9].as<int64_t>()));
      d.lexemes = SortedWords(r[10]);
      d.title_lexemes = SortedWords(r[11]);
      for (const auto& g : SortedWords(r[12])) {
        std::pair<std::string, std::string> parts = absl::StrSplit(g, ':');
        int scheme = 0, rank = 0;
        if (absl::SimpleAtoi(parts.first, &scheme) && absl::SimpleAtoi(parts.second, &rank)) {
          d.grades.emplace_back(scheme, rank);
        }
      }
      changed.push_back(std::move(d));
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  {
    std::unique_lock lock(mu_);
    for (const auto& id : gone) {
      if (auto it = slots_.find(id); it != slots_.end()) Remove(it->second);
    }
    for (auto& d : changed) Put(std::move(d));
  }
  watermark_ = next_watermark;
  if (applied_.load() < covers) applied_ = covers;
  if (!loaded_) {
    loaded_ = true;
    spdlog::info("search replica loaded: {} public postings", size());
  }
  return absl::OkStatus();
}

void SearchReplica::Remove(int slot) {
  Doc& d = *docs_[slot];
  for (int term : d.terms) {
    auto& list = by_term_[term];
    if (auto pos = std::find(list.begin(), list.end(), slot); pos != list.end()) {
      *pos = list.back();
      list.pop_back();
    }
  }
  if (d.full != nullptr) --full_count_;
  if (auto it = by_kennziffer_.find(KennzifferKey(d.tenant_id, d.listing.kennziffer()));
      it != by_kennziffer_.end() && it->second == slot) {
    by_kennziffer_.erase(it);
  }
  slots_.erase(d.id);
  docs_[slot].reset();
  free_.push_back(slot);
}

void SearchReplica::Put(Doc doc) {
  if (auto it = slots_.find(doc.id); it != slots_.end()) Remove(it->second);
  int slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = static_cast<int>(docs_.size());
    docs_.emplace_back();
  }
  auto intern = [this](std::vector<std::string>& lexemes) {
    std::vector<int> ids;
    ids.reserve(lexemes.size());
    for (const auto& l : lexemes) ids.push_back(TermId(l));
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    std::vector<std::string>().swap(lexemes);
    return ids;
  };
  doc.terms = intern(doc.lexemes);
  doc.title_terms = intern(doc.title_lexemes);
  for (int term : doc.terms) by_term_[term].push_back(slot);
  slots_[doc.id] = slot;
  if (!doc.listing.kennziffer().empty()) {
    by_kennziffer_[KennzifferKey(doc.tenant_id, doc.listing.kennziffer())] = slot;
  }
  docs_[slot] = std::move(doc);
}

std::shared_ptr<const v1::Posting> SearchReplica::TryGet(const std::string& id) const {
  if (!loaded_ || !Current()) return nullptr;
  std::shared_lock lock(mu_);
  auto it = slots_.find(id);
  if (it == slots_.end()) return nullptr;
  return docs_[it->second]->full;
}

std::shared_ptr<const v1::Posting> SearchReplica::TryGetByKennziffer(
    const std::string& tenant_id, const std::string& kennziffer) const {
  if (!loaded_ || !Current()) return nullptr;
  std::shared_lock lock(mu_);
  auto it = by_kennziffer_.find(KennzifferKey(tenant_id, kennziffer));
  if (it == by_kennziffer_.end()) return nullptr;
  return docs_[it->second]->full;
}

void SearchReplica::Remember(const v1::Posting& posting) {
  if (!loaded_ || full_count_.load() >= kMaxFull) return;
  auto wanted = [&] {
    auto it = slots_.find(posting.id());
    return it != slots_.end() && docs_[it->second]->full == nullptr &&
           docs_[it->second]->listing.etag() == posting.etag();
  };
  {
    std::shared_lock lock(mu_);
    if (!wanted()) return;  // the common case for an already hot posting: no copy, no lock
  }
  auto full = std::make_shared<const v1::Posting>(posting);
  std::unique_lock lock(mu_);
  auto it = slots_.find(posting.id());
  if (it == slots_.end()) return;  // not public, or not followed yet
  Doc& d = *docs_[it->second];
  // Only the version the replica follows: an older read (a change raced it) or a newer one
  // (the replica lags) would make TryGet disagree with the searches.
  if (d.listing.etag() != posting.etag() || d.full != nullptr) return;
  d.full = std::move(full);
  ++full_count_;
}

int SearchReplica::TermId(const std::string& lexeme) {
  auto [it, added] = term_ids_.try_emplace(lexeme, static_cast<int>(by_term_.size()));
  if (added) by_term_.emplace_back();
  return it->second;
}

std::optional<std::vector<std::string>> SearchReplica::Lexemes(const std::string& text) {
  std::vector<std::string> words = absl::StrSplit(text, ' ', absl::SkipEmpty());
  std::vector<std::string> unknown;
  {
    std::lock_guard lock(words_mu_);
    for (const auto& w : words) {
      if (!PlainWord(w)) return std::nullopt;
      if (words_.count(w) == 0) unknown.push_back(w);
    }
  }
  if (!unknown.empty()) {
    // PostgreSQL's own german configuration, so the lexemes are those of posting_terms.
    std::vector<std::pair<std::string, std::string>> stemmed;
    absl::Status s = db_.ReadStatement([&](pqxx::nontransaction& tx) -> absl::Status {
      tx.conn().prepare(
          "postings_replica_stem",
          "SELECT w, coalesce(array_to_string(tsvector_to_array(to_tsvector('german', w)), ' '),"
          " '') FROM unnest($1::text[]) AS w");
      stemmed.clear();
      for (const auto& r : tx.exec_prepared("postings_replica_stem", pg::TextArray(unknown))) {
        std::string lexeme = r[1].as<std::string>();
        if (lexeme.find(' ') != std::string::npos) lexeme = kNotEvaluable;  // split in two
        stemmed.emplace_back(r[0].as<std::string>(), std::move(lexeme));
      }
      return absl::OkStatus();
    });
    if (!s.ok()) return std::nullopt;
    std::lock_guard lock(words_mu_);
    if (words_.size() > kMaxCachedWords) words_.clear();
    for (auto& [w, l] : stemmed) words_[w] = std::move(l);
  }
  std::vector<std::string> lexemes;
  std::lock_guard lock(words_mu_);
  for (const auto& w : words) {
    auto it = words_.find(w);
    if (it == words_.end() || it->second == kNotEvaluable) return std::nullopt;
    if (it->second.empty()) continue;  // a stop word, as websearch_to_tsquery drops it
    lexemes.push_back(it->second);
  }
  std::sort(lexemes.begin(), lexemes.end());
  lexemes.erase(std::unique(lexemes.begin(), lexemes.end()), lexemes.end());
  return lexemes;
}

std::optional<SearchResult> SearchReplica::TrySearch(const SearchQuery& q) {
  if (!loaded_) return std::nullopt;
  if (!Current()) {
    if (absl::Status s = Refresh(); !s.ok()) return std::nullopt;
  }
  std::vector<std::string> lexemes;
  if (!q.text.empty()) {
    auto l = Lexemes(q.text);
    if (!l.has_value()) return std::nullopt;
    if (l->empty()) return SearchResult{};  // only stop words: PostgreSQL matches nothing
    lexemes = *std::move(l);
  }

  std::shared_lock lock(mu_);
  auto passes = [&](const Doc& d) {
    if (!q.tenant_id.empty() && d.tenant_id != q.tenant_id) return false;
    if (q.pay_scheme != 0 &&
        std::none_of(d.grades.begin(), d.grades.end(), [&](const std::pair<int, int>& g) {
          return g.first == q.pay_scheme && (!q.grade_min || g.second >= *q.grade_min) &&
                 (!q.grade_max || g.second <= *q.grade_max);
        })) {
      return false;
    }
    if (!q.location.empty() && d.location.find(q.location) == std::string::npos) return false;
    if (q.contract != 0 && d.contract != q.contract) return false;
    if (q.posting_kind != 0 && d.posting_kind != q.posting_kind) return false;
    if (q.open_only && !(d.published && d.deadline.has_value() && *d.deadline > q.now)) {
      return false;
    }
    if (q.part_time && !d.part_time) return false;
    return true;
  };

  struct Match {
    const Doc* doc;
    double rank;
  };
  std::vector<Match> matches;
  if (lexemes.empty()) {
    for (const auto& slot : docs_) {
      if (slot.has_value() && passes(*slot)) matches.push_back({&*slot, 0.0});
    }
  } else {
    // The shortest list drives; every other lexeme must be in the document too.
    std::vector<int> terms;
    int driver = -1;
    for (const auto& l : lexemes) {
      auto it = term_ids_.find(l);
      if (it == term_ids_.end() || by_term_[it->second].empty()) return SearchResult{};
      terms.push_back(it->second);
      if (driver < 0 || by_term_[it->second].size() < by_term_[driver].size()) {
        driver = it->second;
      }
    }
    for (int slot : by_term_[driver]) {
      const Doc& d = *docs_[slot];
      if (!std::all_of(terms.begin(), terms.end(),
                       [&](int t) { return t == driver || Has(d.terms, t); })) {
        continue;
      }
      if (!passes(d)) continue;
      // The store's tiers: every word in the title first (1.0), else 0.5.
      const bool in_title =
          std::all_of(terms.begin(), terms.end(), [&](int t) { return Has(d.title_terms, t); });
      matches.push_back({&d, in_title ? 1.0 : 0.5});
    }
  }

  // The store's order: rank, then deadline (none last), then id.
  auto before = [](const Match& a, const Match& b) {
    if (a.rank != b.rank) return a.rank > b.rank;
    const auto& da = a.doc->deadline;
    const auto& db = b.doc->deadline;
    if (da.has_value() != db.has_value()) return da.has_value();
    if (da.has_value() && *da != *db) return *da < *db;
    return a.doc->id < b.doc->id;
  };
  const size_t end = std::min(matches.size(), static_cast<size_t>(q.offset) + q.page_size + 1);
  std::partial_sort(matches.begin(), matches.begin() + end, matches.end(), before);

  SearchResult result;
  result.total =
      static_cast<int>(std::min(matches.size(), static_cast<size_t>(kSearchCountCap) + 1));
  for (size_t i = q.offset; i < end; ++i) {
    if (static_cast<int>(result.hits.size()) == q.page_size) {
      result.has_more = true;
      break;
    }
    result.hits.emplace_back(matches[i].doc->listing, matches[i].rank);
  }
  return result;
}

}  // namespace stellenwerk::postings
