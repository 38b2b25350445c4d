#pragma once
// The postings service's storage port. Each method is one transaction in which the state
// change, its events (outbox), its durable timer and the idempotent answer commit together.

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
#include "stellenwerk/postings/v1/postings.pb.h"

namespace stellenwerk::postings {

using store::Actor;
using store::IdempotencyRequest;

enum class DeadlineTimer { kKeep, kSchedule, kCancel };

// What a decision produces: the next state, the events to publish, and the deadline timer.
struct Change : store::Change<v1::Posting> {
  DeadlineTimer timer = DeadlineTimer::kKeep;
};

// Decides a change from the current state (called inside the transaction, row locked).
using Decide = std::function<absl::StatusOr<Change>(const v1::Posting& current)>;

struct PostingPage {
  std::vector<v1::Posting> postings;
  std::string next_page_token;
};

struct ListQuery {
  std::string tenant_id;
  std::vector<v1::PostingStatus> statuses;  // empty = all
  int page_size = 20;
  std::string page_token;
};

struct SearchQuery {
  std::string text;  // already normalised (german_text.h); empty = all
  std::string tenant_id;
  int pay_scheme = 0;
  std::optional<int> grade_min;  // GradeRank within pay_scheme
  std::optional<int> grade_max;
  std::string location;  // normalised substring
  int contract = 0;
  int posting_kind = 0;
  bool open_only = false;
  bool part_time = false;
  int page_size = 20;
  int offset = 0;
  absl::Time now;
};

// Matches are counted up to kSearchCountCap and no further: counting every match of a broad
// query costs more than finding its page. A total above the cap means "more than the cap".
inline constexpr int kSearchCountCap = 1000;

struct SearchResult {
  std::vector<std::pair<v1::Posting, double>> hits;
  int total = 0;          // min(matches, kSearchCountCap + 1)
  bool has_more = false;  // a match exists after this page
};

class PostingStore {
 public:
  virtual ~PostingStore() = default;

  // Assigns id and Kennziffer (per tenant and Berlin year of `now`; or `imported_kennziffer`
  // for a posting taken over from a legacy system — ALREADY_EXISTS if taken, and the counter
  // is raised past it), then lets `build` fill the posting and its events.
  virtual absl::StatusOr<v1::Posting> Create(
      const Actor& actor, const IdempotencyRequest& idem, absl::Time now,
      const std::optional<std::string>& imported_kennziffer,
      const std::function<absl::StatusOr<Change>(const std::string& id,
                                                 const std::string& kennziffer)>& build) = 0;

  // Locks the posting of actor.tenant (NOT_FOUND otherwise) and applies `decide`.
  virtual absl::StatusOr<v1::Posting> Update(const Actor& actor, const IdempotencyRequest& idem,
                                             const std::string& id, const Decide& decide) = 0;

  virtual absl::StatusOr<v1::Posting> Get(const std::string& id) = 0;
  virtual absl::StatusOr<v1::Posting> GetByKennziffer(const std::string& tenant_id,
                                                      const std::string& kennziffer) = 0;
  virtual absl::StatusOr<PostingPage> List(const ListQuery& query) = 0;
  // Published (and, unless open_only, closed) postings only: search is the public view.
  // Order: postings with every query term in the title first, then those matching elsewhere;
  // within each, the nearest deadline first (none last), then by id.
  virtual absl::StatusOr<SearchResult> Search(const SearchQuery& query) = 0;
};

}  // namespace stellenwerk::postings
