#pragma once
// The one mapping of errors (absl::Status values, common/errors/errors.h) to gRPC and back,
// with CONTRACT.md's codes; BadRequest details travel in the grpc-status-details-bin trailer
// as google.rpc.Status. Kept apart from errors.h so domain code never sees gRPC.

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace stellenwerk::errors {

// absl::Status -> grpc::Status with the same code and the details.
grpc::Status ToGrpc(const absl::Status& status);

// grpc::Status -> absl::Status (for clients inside the fleet).
absl::Status FromGrpc(const grpc::Status& status);

}  // namespace stellenwerk::errors
