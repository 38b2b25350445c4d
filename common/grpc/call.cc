#include "common/grpc/call.h"

#include "common/errors/errors.h"
#include "common/logging/log.h"

namespace stellenwerk::rpc {
namespace {

std::string CorrelationIdOf(grpc::CallbackServerContext* context) {
  const auto& md = context->client_metadata();
  auto it = md.find("x-correlation-id");
  if (it != md.end() && !it->second.empty() && it->second.size() <= 128) {
    return std::string(it->second.data(), it->second.size());
  }
  return logging::NewCorrelationId();
}

}  // namespace

absl::StatusOr<auth::Principal> Call::Principal() const {
  return authn_.Authenticate(context_->client_metadata());
}

absl::StatusOr<std::optional<auth::Principal>> Call::OptionalPrincipal() const {
  return authn_.AuthenticateOptional(context_->client_metadata());
}

grpc::ServerUnaryReactor* RunUnary(grpc::CallbackServerContext* context,
                                   concurrency::WorkerPool& pool,
                                   const auth::Authenticator& authn, CallFn fn) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::string correlation_id = CorrelationIdOf(context);
  context->AddInitialMetadata("x-correlation-id", correlation_id);
  const bool queued = pool.TrySubmit(
      [context, reactor, &authn, fn = std::move(fn), correlation_id]() mutable {
        if (context->IsCancelled()) {
          reactor->Finish(grpc::Status(grpc::StatusCode::CANCELLED, "call cancelled"));
          return;
        }
        if (context->deadline() < std::chrono::system_clock::now()) {
          reactor->Finish(
              grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "deadline passed while queued"));
          return;
        }
        logging::ScopedLogContext log_context(correlation_id, "");
        Call call(context, authn, correlation_id);
        absl::Status status;
        try {
          status = fn(call);
        } catch (const std::exception& e) {
          status = absl::InternalError(e.what());
        }
        if (status.code() == absl::StatusCode::kInternal ||
            status.code() == absl::StatusCode::kUnknown) {
          spdlog::error("RPC failed: {}", status.message());
        }
        reactor->Finish(errors::ToGrpc(status));
      });
  if (!queued) {
    reactor->Finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                 "server overloaded, retry with backoff"));
  }
  return reactor;
}

}  // namespace stellenwerk::rpc
