#pragma once
// GET /openapi.json (OpenAPI 3.1) from the same descriptors the router is built from: paths
// and parameters from the path templates and query fields, request and response schemas from
// the message descriptors (protobuf JSON mapping), errors as application/problem+json.
#include <string>

#include "services/gateway/transcode/routes.h"

namespace stellenwerk::gateway {
std::string OpenApiDocument(const Router& router, const std::string& title);
}
