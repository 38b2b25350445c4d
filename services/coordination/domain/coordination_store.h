#pragma once
// The coordination service's storage port. Each method is one transaction in which the state
// change, its history lines, its events (outbox), its window timer and the idempotent answer
// commit together.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/coordination/domain/notice_rules.h"
#include "stellenwerk/coordination/v1/coordination.pb.h"

namespace stellenwerk::coordination {

using store::IdempotencyRequest;

// Which of the notice's tenants must be the actor's tenant (otherwise NOT_FOUND).
enum class Side { kCity, kDistrict };

using Decide = std::function<absl::StatusOr<Change>(const v1::StaffingNotice& current)>;
using Build = std::function<absl::StatusOr<Change>(const std::string& id)>;

struct NoticeQuery {
  std::string tenant;
  Side side = Side::kCity;
  std::vector<v1::NoticeStatus> statuses;  // empty = all
  std::string regional_office;
  int page_size = 20;
  std::string page_token;
};

struct NoticePage {
  std::vector<v1::StaffingNotice> notices;
  std::string next_page_token;
};

class CoordinationStore {
 public:
  virtual ~CoordinationStore() = default;

  // Inserts the notice `build` makes. A notice for the same (city, application_id) is not
  // filed twice: the existing one is returned unchanged.
  virtual absl::StatusOr<v1::StaffingNotice> File(const Actor& actor,
                                                  const IdempotencyRequest& idem,
                                                  const Build& build) = 0;
  // Locks the notice whose `side` tenant is actor.tenant (NOT_FOUND otherwise) and applies
  // `decide`.
  virtual absl::StatusOr<v1::StaffingNotice> Update(const Actor& actor,
                                                    const IdempotencyRequest& idem,
                                                    const std::string& id, Side side,
                                                    const Decide& decide) = 0;
  // With history.
  virtual absl::StatusOr<v1::StaffingNotice> Get(const std::string& id) = 0;
  virtual absl::StatusOr<NoticePage> List(const NoticeQuery& query) = 0;

  // Stores a revision of the quarter's base data; resolves an overdue flag of that quarter;
  // starts the quarterly check for a new (city, office).
  virtual absl::StatusOr<v1::BaseDataSubmission> SubmitBaseData(const Actor& actor,
                                                                const IdempotencyRequest& idem,
                                                                v1::BaseDataSubmission submission,
                                                                Quarter quarter) = 0;
  // Unresolved overdue quarters of a city or of every city reporting to a district.
  virtual absl::StatusOr<std::vector<v1::OverdueBaseData>> ListOverdue(
      const std::string& city, const std::string& district) = 0;
  // The latest submission per (city, office) reporting to `district` (and of `city`, if set).
  virtual absl::StatusOr<std::vector<v1::BaseDataSubmission>> LatestBaseData(
      const std::string& city, const std::string& district) = 0;

  virtual absl::StatusOr<v1::ReimbursementStatus> SetCap(const Actor& actor,
                                                         const IdempotencyRequest& idem,
                                                         const std::string& city, int year,
                                                         int64_t cap_cents) = 0;
  // Cap (district_tenant_id empty if none), claimed and reductions of a city's year.
  virtual absl::StatusOr<v1::ReimbursementStatus> Reimbursement(const std::string& city,
                                                                int year) = 0;
  // Whether city and district are or were a coordination pair in force (reads of the past:
  // a district still sees the reimbursement of a city it coordinated with).
  virtual absl::StatusOr<bool> Linked(const std::string& city, const std::string& district) = 0;

  // --- Pairs (decision 0040) ---
  // The actor's side (city or district, the actor's tenant) declares the pair; in force once
  // both sides have. FAILED_PRECONDITION when the city is in force with another district.
  virtual absl::StatusOr<v1::CoordinationPair> DeclarePair(const Actor& actor,
                                                           const IdempotencyRequest& idem,
                                                           const std::string& city,
                                                           const std::string& district) = 0;
  // Ends the open pair (NOT_FOUND if none); the city's base-data obligations to that district
  // end with it.
  virtual absl::StatusOr<v1::CoordinationPair> EndPair(const Actor& actor,
                                                       const IdempotencyRequest& idem,
                                                       const std::string& city,
                                                       const std::string& district,
                                                       const std::string& reason) = 0;
  // The pairs `tenant` is a side of (newest first).
  virtual absl::StatusOr<std::vector<v1::CoordinationPair>> ListPairs(const std::string& tenant,
                                                                      bool include_ended) = 0;
  // The pair in force between city and district, with the district's head of the JobAgentur.
  virtual absl::StatusOr<std::optional<v1::CoordinationPair>> PairInForce(
      const std::string& city, const std::string& district) = 0;
  virtual absl::StatusOr<v1::JobAgency> SetJobAgencyHead(const Actor& actor,
                                                         const IdempotencyRequest& idem,
                                                         const std::string& head_sub) = 0;
};

}  // namespace stellenwerk::coordination
