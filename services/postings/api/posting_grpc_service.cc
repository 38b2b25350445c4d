#include "services/postings/api/posting_grpc_service.h"

#include "common/logging/log.h"

namespace stellenwerk::postings {

template <typename Fn>
grpc::ServerUnaryReactor* PostingGrpcService::Mutation(grpc::CallbackServerContext* ctx,
                                                       v1::Posting* response, Fn fn) {
  return runtime_.Unary(ctx, [fn = std::move(fn), response](const rpc::Call& call) {
    auto who = call.Principal();
    if (!who.ok()) return who.status();
    logging::ScopedLogContext log_context("", who->tenant);
    absl::StatusOr<v1::Posting> result = fn(*who, call.correlation_id());
    if (!result.ok()) return result.status();
    *response = *std::move(result);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* PostingGrpcService::CreatePosting(grpc::CallbackServerContext* ctx,
                                                            const v1::CreatePostingRequest* request,
                                                            v1::Posting* response) {
  return Mutation(ctx, response,
                  [this, request](const auth::Principal& who, const std::string& cid) {
                    return service_.Create(who, cid, *request);
                  });
}

grpc::ServerUnaryReactor* PostingGrpcService::UpdatePosting(grpc::CallbackServerContext* ctx,
                                                            const v1::UpdatePostingRequest* request,
                                                            v1::Posting* response) {
  return Mutation(ctx, response,
                  [this, request](const auth::Principal& who, const std::string& cid) {
                    return service_.Update(who, cid, *request);
                  });
}

grpc::ServerUnaryReactor* PostingGrpcService::PublishPosting(
    grpc::CallbackServerContext* ctx, const v1::PublishPostingRequest* request,
    v1::Posting* response) {
  return Mutation(ctx, response,
                  [this, request](const auth::Principal& who, const std::string& cid) {
                    return service_.Publish(who, cid, *request);
                  });
}

grpc::ServerUnaryReactor* PostingGrpcService::ClosePosting(grpc::CallbackServerContext* ctx,
                                                           const v1::ClosePostingRequest* request,
                                                           v1::Posting* response) {
  return Mutation(ctx, response,
                  [this, request](const auth::Principal& who, const std::string& cid) {
                    return service_.Close(who, cid, *request);
                  });
}

grpc::ServerUnaryReactor* PostingGrpcService::WithdrawPosting(
    grpc::CallbackServerContext* ctx, const v1::WithdrawPostingRequest* request,
    v1::Posting* response) {
  return Mutation(ctx, response,
                  [this, request](const auth::Principal& who, const std::string& cid) {
                    return service_.Withdraw(who, cid, *request);
                  });
}

grpc::ServerUnaryReactor* PostingGrpcService::GetPosting(grpc::CallbackServerContext* ctx,
                                                         const v1::GetPostingRequest* request,
                                                         v1::Posting* response) {
  // Anonymous readers of a hot public posting are answered from memory on gRPC's thread
  // (ADR 0014); everyone else through the pool, the cache and the store.
  auto from_memory = [this, request,
                      response](const rpc::Call& call) -> std::optional<absl::Status> {
    if (!call.Anonymous()) return std::nullopt;
    auto posting = service_.TryGetPublic(request->id());
    if (posting == nullptr) return std::nullopt;
    *response = *posting;
    return absl::OkStatus();
  };
  return runtime_.Unary(ctx, std::move(from_memory),
                        [this, request, response](const rpc::Call& call) {
                          auto who = call.OptionalPrincipal();
                          if (!who.ok()) return who.status();
                          auto posting = service_.Get(*who, request->id());
                          if (!posting.ok()) return posting.status();
                          *response = *std::move(posting);
                          return absl::OkStatus();
                        });
}

grpc::ServerUnaryReactor* PostingGrpcService::GetPostingByKennziffer(
    grpc::CallbackServerContext* ctx, const v1::GetPostingByKennzifferRequest* request,
    v1::Posting* response) {
  auto from_memory = [this, request,
                      response](const rpc::Call& call) -> std::optional<absl::Status> {
    if (!call.Anonymous()) return std::nullopt;
    auto posting = service_.TryGetPublicByKennziffer(request->tenant_id(), request->kennziffer());
    if (posting == nullptr) return std::nullopt;
    *response = *posting;
    return absl::OkStatus();
  };
  return runtime_.Unary(
      ctx, std::move(from_memory), [this, request, response](const rpc::Call& call) {
        auto who = call.OptionalPrincipal();
        if (!who.ok()) return who.status();
        auto posting = service_.GetByKennziffer(*who, request->tenant_id(), request->kennziffer());
        if (!posting.ok()) return posting.status();
        *response = *std::move(posting);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* PostingGrpcService::ListPostings(grpc::CallbackServerContext* ctx,
                                                           const v1::ListPostingsRequest* request,
                                                           v1::ListPostingsResponse* response) {
  return runtime_.Unary(ctx, [this, request, response](const rpc::Call& call) {
    auto who = call.Principal();
    if (!who.ok()) return who.status();
    auto page = service_.List(*who, *request);
    if (!page.ok()) return page.status();
    for (auto& p : page->postings) *response->add_postings() = std::move(p);
    response->set_next_page_token(page->next_page_token);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* PostingGrpcService::SearchPostings(
    grpc::CallbackServerContext* ctx, const v1::SearchPostingsRequest* request,
    v1::SearchPostingsResponse* response) {
  return runtime_.Unary(ctx, [this, request, response](const rpc::Call& call) {
    auto who = call.OptionalPrincipal();  // public; a bad token is still refused
    if (!who.ok()) return who.status();
    auto result = service_.Search(*request);
    if (!result.ok()) return result.status();
    *response = *std::move(result);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* PostingGrpcService::ExportJobPosting(
    grpc::CallbackServerContext* ctx, const v1::ExportJobPostingRequest* request,
    v1::ExportJobPostingResponse* response) {
  return runtime_.Unary(ctx, [this, request, response](const rpc::Call& call) {
    auto who = call.OptionalPrincipal();
    if (!who.ok()) return who.status();
    auto json = service_.ExportJobPosting(*who, request->id());
    if (!json.ok()) return json.status();
    response->set_json_ld(*std::move(json));
    return absl::OkStatus();
  });
}

}  // namespace stellenwerk::postings
