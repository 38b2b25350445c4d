#pragma once
// SHA-256 as lower-case hex (64 characters): request hashes, document checksums, etags and
// rate-limit buckets — one implementation for all of them.

#include <string>

#include "absl/strings/string_view.h"

namespace stellenwerk::ids {

std::string Sha256Hex(absl::string_view data);

}  // namespace stellenwerk::ids
