#pragma once
// CoordinationStore on PostgreSQL: notices in <schema>.staffing_notices with an append-only
// history, events through the outbox, the one-week window and the quarterly base-data check
// as durable timers, idempotent answers — each use case one transaction.

#include <string>
#include <vector>

#include "common/clock/clock.h"
#include "common/pg/aggregate_store.h"
#include "common/timers/timers.h"
#include "services/coordination/domain/coordination_store.h"

namespace stellenwerk::coordination {

class PgCoordinationStore final : public CoordinationStore {
 public:
  PgCoordinationStore(pg::Pool& db, std::string schema, const Clock& clock);

  absl::StatusOr<v1::StaffingNotice> File(const Actor& actor, const IdempotencyRequest& idem,
                                          const Build& build) override;
  absl::StatusOr<v1::StaffingNotice> Update(const Actor& actor, const IdempotencyRequest& idem,
                                            const std::string& id, Side side,
                                            const Decide& decide) override;
  absl::StatusOr<v1::StaffingNotice> Get(const std::string& id) override;
  absl::StatusOr<NoticePage> List(const NoticeQuery& query) override;
  absl::StatusOr<v1::BaseDataSubmission> SubmitBaseData(const Actor& actor,
                                                        const IdempotencyRequest& idem,
                                                        v1::BaseDataSubmission submission,
                                                        Quarter quarter) override;
  absl::StatusOr<std::vector<v1::OverdueBaseData>> ListOverdue(
      const std::string& city, const std::string& district) override;
  absl::StatusOr<std::vector<v1::BaseDataSubmission>> LatestBaseData(
      const std::string& city, const std::string& district) override;
  absl::StatusOr<v1::ReimbursementStatus> SetCap(const Actor& actor, const IdempotencyRequest& idem,
                                                 const std::string& city, int year,
                                                 int64_t cap_cents) override;
  absl::StatusOr<v1::ReimbursementStatus> Reimbursement(const std::string& city, int year) override;
  absl::StatusOr<bool> Linked(const std::string& city, const std::string& district) override;
  absl::StatusOr<v1::CoordinationPair> DeclarePair(const Actor& actor,
                                                   const IdempotencyRequest& idem,
                                                   const std::string& city,
                                                   const std::string& district) override;
  absl::StatusOr<v1::CoordinationPair> EndPair(const Actor& actor, const IdempotencyRequest& idem,
                                               const std::string& city, const std::string& district,
                                               const std::string& reason) override;
  absl::StatusOr<std::vector<v1::CoordinationPair>> ListPairs(const std::string& tenant,
                                                              bool include_ended) override;
  absl::StatusOr<std::optional<v1::CoordinationPair>> PairInForce(
      const std::string& city, const std::string& district) override;
  absl::StatusOr<v1::JobAgency> SetJobAgencyHead(const Actor& actor, const IdempotencyRequest& idem,
                                                 const std::string& head_sub) override;

  // applications.applicant.erased.v1 (GDPR Art. 17): the candidates of the city's notices
  // for these applications lose qualification, experience and name; each notice stays with
  // its history and a CANDIDATE_ERASED line. Idempotent: an erased notice is not written again.
  absl::Status EraseCandidatesInTransaction(pqxx::work& tx, const std::string& city,
                                            const std::vector<std::string>& application_ids);

  // Inside an existing transaction (the consumer's): files the notice unless one exists for
  // the same (city, application_id).
  absl::StatusOr<v1::StaffingNotice> FileInTransaction(pqxx::work& tx, const Actor& actor,
                                                       const Build& build);
  // The city's hiring ended while its notice was still open (the applicant withdrew, or HR
  // rejected the application in PENDING_COORDINATION): the notice of (city, application_id) is
  // withdrawn with `reason`, its window timer cancelled, and coordination.staffing.withdrawn
  // tells the district. Nothing to do (OK) when there is no such notice or it has an outcome
  // already — so a redelivered or re-emitted event changes nothing.
  absl::Status WithdrawForApplicationInTransaction(pqxx::work& tx, const Actor& actor,
                                                   const std::string& city,
                                                   const std::string& application_id,
                                                   const std::string& reason);
  // The window timers' effect, set-based for a batch of due windows: locks the notices still
  // WINDOW_OPEN (cleared, withdrawn or reacted ones are skipped), clears those due, and writes
  // their new state, history lines and staffing.cleared events with one statement each.
  absl::Status ElapseWindowsInTransaction(pqxx::work& tx, const std::vector<std::string>& ids);
  // The quarterly base-data timer: flags (once) and publishes a quarter that ended without a
  // submission, then arms the next quarter's check.
  absl::Status CheckBaseDataInTransaction(pqxx::work& tx, const timers::Timer& timer);

 private:
  // The generic write of the notice, then its reimbursement reduction and window timer.
  v1::StaffingNotice Write(pqxx::work& tx, const Actor& actor, const v1::StaffingNotice& current,
                           Change change, bool insert);
  absl::Status AfterWrite(pqxx::work& tx, const v1::StaffingNotice& current, Change& change,
                          const v1::StaffingNotice& next);
  void EnsureObligation(pqxx::work& tx, const std::string& city, const std::string& office,
                        const std::string& district, absl::Time now);

  pg::AggregateStore<v1::StaffingNotice, v1::HistoryEntry> notices_;
};

}  // namespace stellenwerk::coordination
