#pragma once
// gRPC handlers of stellenwerk.applications.v1.ApplicationService: authentication and
// transport only; the rules live in domain/.

#include "common/runtime/runtime.h"
#include "services/applications/domain/application_service.h"
#include "stellenwerk/applications/v1/applications.grpc.pb.h"

namespace stellenwerk::applications {

class ApplicationGrpcService final : public v1::ApplicationService::CallbackService {
 public:
  ApplicationGrpcService(Runtime& runtime, ApplicationService& service)
      : runtime_(runtime), service_(service) {}

  grpc::ServerReadReactor<v1::UploadDocumentRequest>* UploadDocument(
      grpc::CallbackServerContext* ctx, v1::Document* response) override;
  grpc::ServerWriteReactor<v1::DownloadDocumentResponse>* DownloadDocument(
      grpc::CallbackServerContext* ctx, const v1::DownloadDocumentRequest* request) override;
  grpc::ServerUnaryReactor* SubmitApplication(grpc::CallbackServerContext* ctx,
                                              const v1::SubmitApplicationRequest* request,
                                              v1::Application* response) override;
  grpc::ServerUnaryReactor* GetApplication(grpc::CallbackServerContext* ctx,
                                           const v1::GetApplicationRequest* request,
                                           v1::Application* response) override;
  grpc::ServerUnaryReactor* ListApplications(grpc::CallbackServerContext* ctx,
                                             const v1::ListApplicationsRequest* request,
                                             v1::ListApplicationsResponse* response) override;
  grpc::ServerUnaryReactor* WithdrawApplication(grpc::CallbackServerContext* ctx,
                                                const v1::WithdrawApplicationRequest* request,
                                                v1::Application* response) override;
  grpc::ServerUnaryReactor* ChangeStatus(grpc::CallbackServerContext* ctx,
                                         const v1::ChangeStatusRequest* request,
                                         v1::Application* response) override;
  grpc::ServerUnaryReactor* RateApplication(grpc::CallbackServerContext* ctx,
                                            const v1::RateApplicationRequest* request,
                                            v1::Rating* response) override;
  grpc::ServerUnaryReactor* GetRanking(grpc::CallbackServerContext* ctx,
                                       const v1::GetRankingRequest* request,
                                       v1::Ranking* response) override;
  grpc::ServerUnaryReactor* RecordParticipation(grpc::CallbackServerContext* ctx,
                                                const v1::RecordParticipationRequest* request,
                                                v1::ParticipationVerdict* response) override;
  grpc::ServerUnaryReactor* ProposeHiring(grpc::CallbackServerContext* ctx,
                                          const v1::ProposeHiringRequest* request,
                                          v1::Application* response) override;
  grpc::ServerUnaryReactor* FinalizeHiring(grpc::CallbackServerContext* ctx,
                                           const v1::FinalizeHiringRequest* request,
                                           v1::Application* response) override;
  grpc::ServerUnaryReactor* RecordRepresentativeStatement(
      grpc::CallbackServerContext* ctx, const v1::RecordRepresentativeStatementRequest* request,
      v1::Application* response) override;
  grpc::ServerUnaryReactor* RevealIdentity(grpc::CallbackServerContext* ctx,
                                           const v1::RevealIdentityRequest* request,
                                           v1::Application* response) override;
  grpc::ServerUnaryReactor* ExportApplicantData(grpc::CallbackServerContext* ctx,
                                                const v1::ExportApplicantDataRequest* request,
                                                v1::ApplicantDataExport* response) override;
  grpc::ServerUnaryReactor* EraseApplicant(grpc::CallbackServerContext* ctx,
                                           const v1::EraseApplicantRequest* request,
                                           v1::EraseApplicantResponse* response) override;
  grpc::ServerUnaryReactor* SetRatingCriteria(grpc::CallbackServerContext* ctx,
                                              const v1::SetRatingCriteriaRequest* request,
                                              v1::RatingCriteria* response) override;
  grpc::ServerUnaryReactor* ListParticipation(grpc::CallbackServerContext* ctx,
                                              const v1::ListParticipationRequest* request,
                                              v1::ParticipationStatus* response) override;
  grpc::ServerUnaryReactor* ListAuditEntries(grpc::CallbackServerContext* ctx,
                                             const v1::ListAuditEntriesRequest* request,
                                             v1::ListAuditEntriesResponse* response) override;
  grpc::ServerUnaryReactor* GetPersonnelStatistics(grpc::CallbackServerContext* ctx,
                                                   const v1::GetPersonnelStatisticsRequest* request,
                                                   v1::PersonnelStatistics* response) override;
  grpc::ServerUnaryReactor* SetRetentionPolicy(grpc::CallbackServerContext* ctx,
                                               const v1::SetRetentionPolicyRequest* request,
                                               v1::RetentionPolicy* response) override;
  grpc::ServerUnaryReactor* ConcludeProcedure(grpc::CallbackServerContext* ctx,
                                              const v1::ConcludeProcedureRequest* request,
                                              v1::ConcludeProcedureResponse* response) override;

 private:
  // Authenticates, runs fn(principal, correlation id) on the worker pool, answers.
  template <typename Response, typename Fn>
  grpc::ServerUnaryReactor* WithPrincipal(grpc::CallbackServerContext* ctx, Response* response,
                                          Fn fn);

  Runtime& runtime_;
  ApplicationService& service_;
};

}  // namespace stellenwerk::applications
