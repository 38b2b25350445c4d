#include "services/coordination/api/coordination_grpc_service.h"

#include "common/logging/log.h"

namespace stellenwerk::coordination {

template <typename Response, typename Fn>
grpc::ServerUnaryReactor* CoordinationGrpcService::Handle(grpc::CallbackServerContext* ctx,
                                                          Response* response, Fn fn) {
  return runtime_.Unary(ctx, [fn = std::move(fn), response](const rpc::Call& call) {
    auto who = call.Principal();
    if (!who.ok()) return who.status();
    logging::ScopedLogContext log_context("", who->tenant);
    absl::StatusOr<Response> result = fn(*who, call.correlation_id());
    if (!result.ok()) return result.status();
    *response = *std::move(result);
    return absl::OkStatus();
  });
}

// Each handler: one use case, the caller's principal and correlation id.
#define STW_COORDINATION_HANDLER(Name, Request, Response, Call)                         \
  grpc::ServerUnaryReactor* CoordinationGrpcService::Name(                              \
      grpc::CallbackServerContext* ctx, const Request* request, Response* response) {   \
    return Handle(ctx, response,                                                        \
                  [this, request](const auth::Principal& who,                           \
                                  const std::string& cid) -> absl::StatusOr<Response> { \
                    (void)cid;                                                          \
                    return Call;                                                        \
                  });                                                                   \
  }

STW_COORDINATION_HANDLER(FileStaffingNotice, v1::FileStaffingNoticeRequest, v1::StaffingNotice,
                         service_.File(who, cid, *request))
STW_COORDINATION_HANDLER(GetStaffingNotice, v1::GetStaffingNoticeRequest, v1::StaffingNotice,
                         service_.Get(who, request->id()))
STW_COORDINATION_HANDLER(DeclareNoObjection, v1::DeclareNoObjectionRequest, v1::StaffingNotice,
                         service_.DeclareNoObjection(who, cid, *request))
STW_COORDINATION_HANDLER(RaiseConcern, v1::RaiseConcernRequest, v1::StaffingNotice,
                         service_.RaiseConcern(who, cid, *request))
STW_COORDINATION_HANDLER(RecordDiscussion, v1::RecordDiscussionRequest, v1::StaffingNotice,
                         service_.RecordDiscussion(who, cid, *request))
STW_COORDINATION_HANDLER(ResolveByConsensus, v1::ResolveByConsensusRequest, v1::StaffingNotice,
                         service_.ResolveByConsensus(who, cid, *request))
STW_COORDINATION_HANDLER(IssueInstruction, v1::IssueInstructionRequest, v1::StaffingNotice,
                         service_.IssueInstruction(who, cid, *request))
STW_COORDINATION_HANDLER(RecordReimbursementReduction, v1::RecordReimbursementReductionRequest,
                         v1::StaffingNotice,
                         service_.RecordReimbursementReduction(who, cid, *request))
STW_COORDINATION_HANDLER(WithdrawNotice, v1::WithdrawNoticeRequest, v1::StaffingNotice,
                         service_.WithdrawNotice(who, cid, *request))
STW_COORDINATION_HANDLER(RecordHeadAgreement, v1::RecordHeadAgreementRequest, v1::StaffingNotice,
                         service_.RecordHeadAgreement(who, cid, *request))
STW_COORDINATION_HANDLER(SubmitBaseData, v1::SubmitBaseDataRequest, v1::BaseDataSubmission,
                         service_.SubmitBaseData(who, cid, *request))
STW_COORDINATION_HANDLER(ListOverdueBaseData, v1::ListOverdueBaseDataRequest,
                         v1::ListOverdueBaseDataResponse,
                         service_.ListOverdueBaseData(who, *request))
STW_COORDINATION_HANDLER(GetCapacityPlan, v1::GetCapacityPlanRequest, v1::CapacityPlan,
                         service_.GetCapacityPlan(who, *request))
STW_COORDINATION_HANDLER(SetReimbursementCap, v1::SetReimbursementCapRequest,
                         v1::ReimbursementStatus, service_.SetReimbursementCap(who, cid, *request))
STW_COORDINATION_HANDLER(GetReimbursementStatus, v1::GetReimbursementStatusRequest,
                         v1::ReimbursementStatus, service_.GetReimbursementStatus(who, *request))
STW_COORDINATION_HANDLER(DeclareCoordinationPair, v1::DeclareCoordinationPairRequest,
                         v1::CoordinationPair, service_.DeclarePair(who, cid, *request))
STW_COORDINATION_HANDLER(EndCoordinationPair, v1::EndCoordinationPairRequest, v1::CoordinationPair,
                         service_.EndPair(who, cid, *request))
STW_COORDINATION_HANDLER(ListCoordinationPairs, v1::ListCoordinationPairsRequest,
                         v1::ListCoordinationPairsResponse, service_.ListPairs(who, *request))
STW_COORDINATION_HANDLER(SetJobAgencyHead, v1::SetJobAgencyHeadRequest, v1::JobAgency,
                         service_.SetJobAgencyHead(who, cid, *request))
#undef STW_COORDINATION_HANDLER

grpc::ServerUnaryReactor* CoordinationGrpcService::ListStaffingNotices(
    grpc::CallbackServerContext* ctx, const v1::ListStaffingNoticesRequest* request,
    v1::ListStaffingNoticesResponse* response) {
  return Handle(
      ctx, response,
      [this, request](const auth::Principal& who,
                      const std::string&) -> absl::StatusOr<v1::ListStaffingNoticesResponse> {
        auto page = service_.List(who, *request);
        if (!page.ok()) return page.status();
        v1::ListStaffingNoticesResponse out;
        for (auto& n : page->notices) *out.add_notices() = std::move(n);
        out.set_next_page_token(page->next_page_token);
        return out;
      });
}

}  // namespace stellenwerk::coordination
