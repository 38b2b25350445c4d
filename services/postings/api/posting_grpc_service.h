#pragma once
// gRPC handlers of stellenwerk.postings.v1.PostingService: authenticate, call one use case,
// map the result. Each runs on the runtime's worker pool.

#include "common/runtime/runtime.h"
#include "services/postings/domain/posting_service.h"
#include "stellenwerk/postings/v1/postings.grpc.pb.h"

namespace stellenwerk::postings {

class PostingGrpcService final : public v1::PostingService::CallbackService {
 public:
  PostingGrpcService(Runtime& runtime, PostingService& service)
      : runtime_(runtime), service_(service) {}

  grpc::ServerUnaryReactor* CreatePosting(grpc::CallbackServerContext* ctx,
                                          const v1::CreatePostingRequest* request,
                                          v1::Posting* response) override;
  grpc::ServerUnaryReactor* UpdatePosting(grpc::CallbackServerContext* ctx,
                                          const v1::UpdatePostingRequest* request,
                                          v1::Posting* response) override;
  grpc::ServerUnaryReactor* PublishPosting(grpc::CallbackServerContext* ctx,
                                           const v1::PublishPostingRequest* request,
                                           v1::Posting* response) override;
  grpc::ServerUnaryReactor* ClosePosting(grpc::CallbackServerContext* ctx,
                                         const v1::ClosePostingRequest* request,
                                         v1::Posting* response) override;
  grpc::ServerUnaryReactor* WithdrawPosting(grpc::CallbackServerContext* ctx,
                                            const v1::WithdrawPostingRequest* request,
                                            v1::Posting* response) override;
  grpc::ServerUnaryReactor* GetPosting(grpc::CallbackServerContext* ctx,
                                       const v1::GetPostingRequest* request,
                                       v1::Posting* response) override;
  grpc::ServerUnaryReactor* GetPostingByKennziffer(grpc::CallbackServerContext* ctx,
                                                   const v1::GetPostingByKennzifferRequest* request,
                                                   v1::Posting* response) override;
  grpc::ServerUnaryReactor* ListPostings(grpc::CallbackServerContext* ctx,
                                         const v1::ListPostingsRequest* request,
                                         v1::ListPostingsResponse* response) override;

  grpc::ServerUnaryReactor* SearchPostings(grpc::CallbackServerContext* ctx,
                                           const v1::SearchPostingsRequest* request,
                                           v1::SearchPostingsResponse* response) override;
  grpc::ServerUnaryReactor* ExportJobPosting(grpc::CallbackServerContext* ctx,
                                             const v1::ExportJobPostingRequest* request,
                                             v1::ExportJobPostingResponse* response) override;

 private:
  // Authenticated mutation: fn(principal) -> StatusOr<Posting> into response.
  template <typename Fn>
  grpc::ServerUnaryReactor* Mutation(grpc::CallbackServerContext* ctx, v1::Posting* response,
                                     Fn fn);

  Runtime& runtime_;
  PostingService& service_;
};

}  // namespace stellenwerk::postings
