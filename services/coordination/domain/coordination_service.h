#pragma once
// The coordination use cases: roles and tenants (a city sees its notices, a district those
// addressed to it, nobody else any), the rules of notice_rules.h, idempotency keys. No
// transport, no SQL.

#include <string>

#include "absl/status/statusor.h"
#include "common/auth/principal.h"
#include "common/clock/clock.h"
#include "services/coordination/domain/coordination_store.h"
#include "stellenwerk/coordination/v1/coordination.pb.h"
#include "stellenwerk/events/v1/applications.pb.h"

namespace stellenwerk::coordination {

class CoordinationService {
 public:
  CoordinationService(CoordinationStore& store, const Clock& clock)
      : store_(store), clock_(clock) {}

  using Notice = absl::StatusOr<v1::StaffingNotice>;

  Notice File(const auth::Principal& who, const std::string& cid,
              const v1::FileStaffingNoticeRequest& r);
  Notice Get(const auth::Principal& who, const std::string& id);
  absl::StatusOr<NoticePage> List(const auth::Principal& who,
                                  const v1::ListStaffingNoticesRequest& r);
  Notice DeclareNoObjection(const auth::Principal& who, const std::string& cid,
                            const v1::DeclareNoObjectionRequest& r);
  Notice RaiseConcern(const auth::Principal& who, const std::string& cid,
                      const v1::RaiseConcernRequest& r);
  Notice RecordDiscussion(const auth::Principal& who, const std::string& cid,
                          const v1::RecordDiscussionRequest& r);
  Notice ResolveByConsensus(const auth::Principal& who, const std::string& cid,
                            const v1::ResolveByConsensusRequest& r);
  Notice IssueInstruction(const auth::Principal& who, const std::string& cid,
                          const v1::IssueInstructionRequest& r);
  Notice RecordReimbursementReduction(const auth::Principal& who, const std::string& cid,
                                      const v1::RecordReimbursementReductionRequest& r);
  Notice WithdrawNotice(const auth::Principal& who, const std::string& cid,
                        const v1::WithdrawNoticeRequest& r);
  Notice RecordHeadAgreement(const auth::Principal& who, const std::string& cid,
                             const v1::RecordHeadAgreementRequest& r);

  absl::StatusOr<v1::BaseDataSubmission> SubmitBaseData(const auth::Principal& who,
                                                        const std::string& cid,
                                                        const v1::SubmitBaseDataRequest& r);
  absl::StatusOr<v1::ListOverdueBaseDataResponse> ListOverdueBaseData(
      const auth::Principal& who, const v1::ListOverdueBaseDataRequest& r);
  absl::StatusOr<v1::CapacityPlan> GetCapacityPlan(const auth::Principal& who,
                                                   const v1::GetCapacityPlanRequest& r);
  absl::StatusOr<v1::ReimbursementStatus> SetReimbursementCap(
      const auth::Principal& who, const std::string& cid, const v1::SetReimbursementCapRequest& r);
  absl::StatusOr<v1::ReimbursementStatus> GetReimbursementStatus(
      const auth::Principal& who, const v1::GetReimbursementStatusRequest& r);

  // --- Pairs and the head of the JobAgentur (administrators; decision 0040) ---
  absl::StatusOr<v1::CoordinationPair> DeclarePair(const auth::Principal& who,
                                                   const std::string& cid,
                                                   const v1::DeclareCoordinationPairRequest& r);
  absl::StatusOr<v1::CoordinationPair> EndPair(const auth::Principal& who, const std::string& cid,
                                               const v1::EndCoordinationPairRequest& r);
  absl::StatusOr<v1::ListCoordinationPairsResponse> ListPairs(
      const auth::Principal& who, const v1::ListCoordinationPairsRequest& r);
  absl::StatusOr<v1::JobAgency> SetJobAgencyHead(const auth::Principal& who, const std::string& cid,
                                                 const v1::SetJobAgencyHeadRequest& r);

  // applications.hiring.proposed.v1 → the filing it implies, or nullopt when the post needs no
  // coordination (no district, or neither leadership nor active area). INVALID_ARGUMENT when
  // the event lacks what a notice needs (it is dead-lettered, never silently dropped).
  static absl::StatusOr<std::optional<v1::FileStaffingNoticeRequest>> FilingFor(
      const events::v1::HiringProposed& e);

 private:
  Notice Mutate(const auth::Principal& who, const std::string& cid, const IdempotencyRequest& idem,
                const std::string& id, Side side, const char* role, const Decide& decide);
  // Either side (discussion, consensus): the district if the caller acts as its coordinator,
  // else the city.
  Notice MutateEitherSide(const auth::Principal& who, const std::string& cid,
                          const IdempotencyRequest& idem, const std::string& id,
                          const std::function<Decide(const Actor&)>& decide);

  CoordinationStore& store_;
  const Clock& clock_;
};

}  // namespace stellenwerk::coordination
