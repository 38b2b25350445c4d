#pragma once
// The gRPC services compiled into the gateway, whose google.api.http options become routes.
#include <vector>

#include "google/protobuf/descriptor.h"

namespace stellenwerk::gateway {
std::vector<const google::protobuf::ServiceDescriptor*> LinkedServices();
}
