#pragma once
// Keyset pagination on (timestamp, uuid): stable under inserts, no OFFSET scans. The page
// token is opaque to clients (web-safe base64 of "<micros>|<uuid>").

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace stellenwerk::pg {

struct KeysetCursor {
  std::optional<std::string> after_time;  // as SQL timestamptz text, nullopt on the first page
  std::optional<std::string> after_id;
};

std::string EncodeKeysetToken(absl::Time time, const std::string& id);
// An empty token is the first page; anything not made by EncodeKeysetToken is
// INVALID_ARGUMENT on field page_token.
absl::StatusOr<KeysetCursor> DecodeKeysetToken(const std::string& token);

}  // namespace stellenwerk::pg
