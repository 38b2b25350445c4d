#pragma once
// The gateway's etags and rate-limit buckets: the first 16 bytes of SHA-256 (32 hex
// characters) of common/ids/digest.h.

#include <string>

#include "absl/strings/string_view.h"
#include "common/ids/digest.h"

namespace stellenwerk::gateway {

inline std::string ShortSha256Hex(absl::string_view data) {
  return ids::Sha256Hex(data).substr(0, 32);
}

}  // namespace stellenwerk::gateway
