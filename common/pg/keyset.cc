#include "common/pg/keyset.h"

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/errors/errors.h"
#include "common/ids/uuid.h"
#include "common/pg/pool.h"

namespace stellenwerk::pg {

std::string EncodeKeysetToken(absl::Time time, const std::string& id) {
  return absl::WebSafeBase64Escape(absl::StrCat(absl::ToUnixMicros(time), "|", id));
}

absl::StatusOr<KeysetCursor> DecodeKeysetToken(const std::string& token) {
  KeysetCursor cursor;
  if (token.empty()) return cursor;
  std::string raw;
  std::vector<std::string> parts;
  int64_t micros = 0;
  if (absl::WebSafeBase64Unescape(token, &raw)) parts = absl::StrSplit(raw, '|');
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &micros) || !ids::IsUuid(parts[1])) {
    return errors::InvalidField("page_token", "not a token from a previous page");
  }
  cursor.after_time = ToPgTimestamp(absl::FromUnixMicros(micros));
  cursor.after_id = parts[1];
  return cursor;
}

}  // namespace stellenwerk::pg
