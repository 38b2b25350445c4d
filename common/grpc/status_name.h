#pragma once
// The canonical name of a gRPC status code ("NOT_FOUND"), as metrics labels and problem
// documents use it.

#include "grpcpp/support/status.h"

namespace stellenwerk::rpc {

// "UNKNOWN" for a number outside the 17 codes of the gRPC spec.
const char* StatusCodeName(grpc::StatusCode code);

}  // namespace stellenwerk::rpc
