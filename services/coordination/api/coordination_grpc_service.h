#pragma once
// gRPC handlers of stellenwerk.coordination.v1.CoordinationService: authenticate, call one use
// case, map the result. Each runs on the runtime's worker pool.

#include "common/runtime/runtime.h"
#include "services/coordination/domain/coordination_service.h"
#include "stellenwerk/coordination/v1/coordination.grpc.pb.h"

namespace stellenwerk::coordination {

class CoordinationGrpcService final : public v1::CoordinationService::CallbackService {
 public:
  CoordinationGrpcService(Runtime& runtime, CoordinationService& service)
      : runtime_(runtime), service_(service) {}

#define STW_COORDINATION_RPC(Name, Request, Response)                                      \
  grpc::ServerUnaryReactor* Name(grpc::CallbackServerContext* ctx, const Request* request, \
                                 Response* response) override;
  STW_COORDINATION_RPC(FileStaffingNotice, v1::FileStaffingNoticeRequest, v1::StaffingNotice)
  STW_COORDINATION_RPC(GetStaffingNotice, v1::GetStaffingNoticeRequest, v1::StaffingNotice)
  STW_COORDINATION_RPC(ListStaffingNotices, v1::ListStaffingNoticesRequest,
                       v1::ListStaffingNoticesResponse)
  STW_COORDINATION_RPC(DeclareNoObjection, v1::DeclareNoObjectionRequest, v1::StaffingNotice)
  STW_COORDINATION_RPC(RaiseConcern, v1::RaiseConcernRequest, v1::StaffingNotice)
  STW_COORDINATION_RPC(RecordDiscussion, v1::RecordDiscussionRequest, v1::StaffingNotice)
  STW_COORDINATION_RPC(ResolveByConsensus, v1::ResolveByConsensusRequest, v1::StaffingNotice)
  STW_COORDINATION_RPC(IssueInstruction, v1::IssueInstructionRequest, v1::StaffingNotice)
  STW_COORDINATION_RPC(RecordReimbursementReduction, v1::RecordReimbursementReductionRequest,
                       v1::StaffingNotice)
  STW_COORDINATION_RPC(WithdrawNotice, v1::WithdrawNoticeRequest, v1::StaffingNotice)
  STW_COORDINATION_RPC(RecordHeadAgreement, v1::RecordHeadAgreementRequest, v1::StaffingNotice)
  STW_COORDINATION_RPC(SubmitBaseData, v1::SubmitBaseDataRequest, v1::BaseDataSubmission)
  STW_COORDINATION_RPC(ListOverdueBaseData, v1::ListOverdueBaseDataRequest,
                       v1::ListOverdueBaseDataResponse)
  STW_COORDINATION_RPC(GetCapacityPlan, v1::GetCapacityPlanRequest, v1::CapacityPlan)
  STW_COORDINATION_RPC(SetReimbursementCap, v1::SetReimbursementCapRequest, v1::ReimbursementStatus)
  STW_COORDINATION_RPC(GetReimbursementStatus, v1::GetReimbursementStatusRequest,
                       v1::ReimbursementStatus)
  STW_COORDINATION_RPC(DeclareCoordinationPair, v1::DeclareCoordinationPairRequest,
                       v1::CoordinationPair)
  STW_COORDINATION_RPC(EndCoordinationPair, v1::EndCoordinationPairRequest, v1::CoordinationPair)
  STW_COORDINATION_RPC(ListCoordinationPairs, v1::ListCoordinationPairsRequest,
                       v1::ListCoordinationPairsResponse)
  STW_COORDINATION_RPC(SetJobAgencyHead, v1::SetJobAgencyHeadRequest, v1::JobAgency)
#undef STW_COORDINATION_RPC

 private:
  // Authenticated call: fn(principal, correlation id) -> StatusOr<Response> into response.
  template <typename Response, typename Fn>
  grpc::ServerUnaryReactor* Handle(grpc::CallbackServerContext* ctx, Response* response, Fn fn);

  Runtime& runtime_;
  CoordinationService& service_;
};

}  // namespace stellenwerk::coordination
