#pragma once
// A streaming multipart/form-data parser (RFC 7578 on RFC 2046 framing). Beast has none
// (PITFALLS.md "Boost.Beast"): bytes are fed in whatever pieces the socket delivers and part
// data comes out as it arrives, holding back only the few bytes that might start a boundary,
// so memory stays bounded by the piece size plus the boundary — never a whole file.

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace stellenwerk::gateway {

struct PartHeaders {
  std::string name;          // Content-Disposition name
  std::string filename;      // empty for a plain field
  std::string content_type;  // empty when the part declares none
};

class MultipartHandler {
 public:
  virtual ~MultipartHandler() = default;
  // A non-OK status stops the parse (and is what Feed returns).
  virtual absl::Status OnPartBegin(const PartHeaders& headers) = 0;
  virtual absl::Status OnPartData(absl::string_view data) = 0;
  virtual absl::Status OnPartEnd() = 0;
};

class MultipartParser {
 public:
  explicit MultipartParser(std::string boundary, size_t max_header_bytes = 16 * 1024);

  // InvalidArgument on malformed framing; or the handler's status.
  absl::Status Feed(absl::string_view data, MultipartHandler& handler);
  // The closing boundary was seen.
  bool done() const { return state_ == State::kDone; }
  size_t buffered() const { return buf_.size(); }  // what is held back between Feeds

  // The boundary parameter of a multipart/form-data Content-Type; nullopt if it is another
  // type or has none.
  static std::optional<std::string> BoundaryOf(absl::string_view content_type);

 private:
  enum class State { kBody, kAfterBoundary, kHeaders, kDone };
  absl::Status Step(MultipartHandler& handler, bool* progressed);

  const std::string delimiter_;  // "\r\n--" + boundary
  const size_t max_header_bytes_;
  State state_ = State::kBody;
  bool in_part_ = false;  // data before the first boundary is preamble, not a part
  std::string buf_;
};

}  // namespace stellenwerk::gateway
