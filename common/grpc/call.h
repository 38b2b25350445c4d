#pragma once
// Running a unary callback RPC on the worker pool: handlers stay thin and never block gRPC's
// threads (STYLE.md 5). The correlation id comes from `x-correlation-id` (or is made here),
// is echoed back, and is in every log line of the call.

#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/auth/authenticator.h"
#include "common/concurrency/worker_pool.h"
#include "grpcpp/grpcpp.h"

namespace stellenwerk::rpc {

class Call {
 public:
  Call(grpc::CallbackServerContext* context, const auth::Authenticator& authn,
       std::string correlation_id)
      : context_(context), authn_(authn), correlation_id_(std::move(correlation_id)) {}

  // UNAUTHENTICATED without a valid token.
  absl::StatusOr<auth::Principal> Principal() const;
  // Token optional (public reads); an invalid token still fails.
  absl::StatusOr<std::optional<auth::Principal>> OptionalPrincipal() const;
  // No `authorization` header at all: an anonymous (public) caller. Cheap; verifies nothing.
  bool Anonymous() const;

  const std::string& correlation_id() const { return correlation_id_; }
  grpc::CallbackServerContext* context() const { return context_; }

 private:
  grpc::CallbackServerContext* context_;
  const auth::Authenticator& authn_;
  std::string correlation_id_;
};

// The caller's `x-correlation-id` (at most 128 characters), or a new one: for handlers that
// are not unary (streams) and log or record under the same id.
std::string CorrelationIdOf(grpc::CallbackServerContext* context);

using CallFn = std::function<absl::Status(const Call&)>;
// An answer from memory on gRPC's own thread, or nullopt to hand the call to the worker pool.
// It must not block (no database, no Redis, no locks held long): a map lookup and a copy.
using InlineFn = std::function<std::optional<absl::Status>(const Call&)>;

// Returns the reactor to hand back from the service method. The worker runs fn and
// finishes the RPC with its status (mapped by errors::ToGrpc). A full pool answers
// UNAVAILABLE at once.
grpc::ServerUnaryReactor* RunUnary(grpc::CallbackServerContext* context,
                                   concurrency::WorkerPool& pool, const auth::Authenticator& authn,
                                   CallFn fn);

// The same, but tries `try_inline` first on the calling (gRPC) thread and finishes the RPC
// there when it answers — for hot reads served from memory, which then skip the pool hop.
grpc::ServerUnaryReactor* RunUnary(grpc::CallbackServerContext* context,
                                   concurrency::WorkerPool& pool, const auth::Authenticator& authn,
                                   InlineFn try_inline, CallFn fn);

}  // namespace stellenwerk::rpc
