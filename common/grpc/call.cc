#include "common/grpc/call.h"

#include "common/errors/errors.h"
#include "common/errors/grpc_status.h"
#include "common/logging/log.h"

namespace stellenwerk::rpc {
std::string CorrelationIdOf(grpc::CallbackServerContext* context) {
  const auto& md = context->client_metadata();
  auto it = md.find("x-correlation-id");
  if (it != md.end() && !it->second.empty() && it->second.size() <= 128) {
    return std::string(it->second.data(), it->second.size());
  }
  return logging::NewCorrelationId();
}

absl::StatusOr<auth::Principal> Call::Principal() const {
  return authn_.Authenticate(context_->client_metadata());
}

absl::StatusOr<std::optional<auth::Principal>> Call::OptionalPrincipal() const {
  return authn_.AuthenticateOptional(context_->client_metadata());
}

bool Call::Anonymous() const { return context_->client_metadata().count("authorization") == 0; }

namespace {

// Runs fn and maps its status; exceptions become INTERNAL. Logs server-side failures.
grpc::Status Invoke(const std::function<absl::Status()>& fn) {
  absl::Status status;
  try {
    status = fn();
  } catch (const std::exception& e) {
    status = absl::InternalError(e.what());
  }
  if (status.code() == absl::StatusCode::kInternal || status.code() == absl::StatusCode::kUnknown) {
    spdlog::error("RPC failed: {}", status.message());
  }
  return errors::ToGrpc(status);
}

grpc::ServerUnaryReactor* Offload(grpc::CallbackServerContext* context,
                                  grpc::ServerUnaryReactor* reactor, concurrency::WorkerPool& pool,
                                  const auth::Authenticator& authn, CallFn fn,
                                  std::string correlation_id) {
  const bool queued =
      pool.TrySubmit([context, reactor, &authn, fn = std::move(fn), correlation_id]() mutable {
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
        reactor->Finish(Invoke([&] { return fn(call); }));
      });
  if (!queued) {
    reactor->Finish(
        grpc::Status(grpc::StatusCode::UNAVAILABLE, "server overloaded, retry with backoff"));
  }
  return reactor;
}

}  // namespace

grpc::ServerUnaryReactor* RunUnary(grpc::CallbackServerContext* context,
                                   concurrency::WorkerPool& pool, const auth::Authenticator& authn,
                                   CallFn fn) {
  std::string correlation_id = CorrelationIdOf(context);
  context->AddInitialMetadata("x-correlation-id", correlation_id);
  return Offload(context, context->DefaultReactor(), pool, authn, std::move(fn),
                 std::move(correlation_id));
}

grpc::ServerUnaryReactor* RunUnary(grpc::CallbackServerContext* context,
                                   concurrency::WorkerPool& pool, const auth::Authenticator& authn,
                                   InlineFn try_inline, CallFn fn) {
  std::string correlation_id = CorrelationIdOf(context);
  context->AddInitialMetadata("x-correlation-id", correlation_id);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::optional<absl::Status> answered;
  {
    logging::ScopedLogContext log_context(correlation_id, "");
    const Call call(context, authn, correlation_id);
    grpc::Status status = Invoke([&] {
      answered = try_inline(call);
      return answered.value_or(absl::OkStatus());
    });
    if (answered.has_value()) {
      reactor->Finish(std::move(status));
      return reactor;
    }
  }
  return Offload(context, reactor, pool, authn, std::move(fn), std::move(correlation_id));
}

}  // namespace stellenwerk::rpc
