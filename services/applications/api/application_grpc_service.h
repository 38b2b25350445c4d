#pragma once
// gRPC handlers of stellenwerk.applications.v1.ApplicationService. RPCs not built yet
// (ratings, participation, hiring, identity, GDPR) answer UNIMPLEMENTED.

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

 private:
  template <typename Fn>
  grpc::ServerUnaryReactor* WithPrincipal(grpc::CallbackServerContext* ctx,
                                          v1::Application* response, Fn fn);

  Runtime& runtime_;
  ApplicationService& service_;
};

}  // namespace stellenwerk::applications
