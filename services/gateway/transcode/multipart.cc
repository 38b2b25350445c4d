#include "services/gateway/transcode/multipart.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace stellenwerk::gateway {
namespace {

// The value of `param` in a header like `form-data; name="cv"; filename="a.pdf"`.
std::string Param(absl::string_view header, absl::string_view param) {
  for (absl::string_view piece : absl::StrSplit(header, ';')) {
    piece = absl::StripAsciiWhitespace(piece);
    size_t eq = piece.find('=');
    if (eq == piece.npos) continue;
    if (!absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(piece.substr(0, eq)), param)) continue;
    absl::string_view v = absl::StripAsciiWhitespace(piece.substr(eq + 1));
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    return std::string(v);
  }
  return "";
}

}  // namespace

MultipartParser::MultipartParser(std::string boundary, size_t max_header_bytes)
    : delimiter_("\r\n--" + boundary), max_header_bytes_(max_header_bytes) {
  // The first boundary may open the body without a preceding CRLF: pretend there was one.
  buf_ = "\r\n";
}

std::optional<std::string> MultipartParser::BoundaryOf(absl::string_view content_type) {
  absl::string_view type = content_type.substr(0, content_type.find(';'));
  if (!absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(type), "multipart/form-data")) {
    return std::nullopt;
  }
  std::string b = Param(content_type, "boundary");
  // RFC 2046 §5.1.1: 1–70 characters.
  if (b.empty() || b.size() > 70) return std::nullopt;
  return b;
}

absl::Status MultipartParser::Feed(absl::string_view data, MultipartHandler& handler) {
  if (state_ == State::kDone) return absl::OkStatus();  // the epilogue is ignored
  buf_.append(data.data(), data.size());
  bool progressed = true;
  while (progressed && state_ != State::kDone) {
    progressed = false;
    if (absl::Status s = Step(handler, &progressed); !s.ok()) return s;
  }
  if (state_ == State::kDone) buf_.clear();
  return absl::OkStatus();
}

absl::Status MultipartParser::Step(MultipartHandler& handler, bool* progressed) {
  switch (state_) {
    case State::kBody: {
      size_t at = buf_.find(delimiter_);
      if (at == std::string::npos) {
        // Everything but a tail that could be the start of the delimiter is data.
        size_t keep = std::min(buf_.size(), delimiter_.size() - 1);
        size_t emit = buf_.size() - keep;
        if (emit > 0) {
          if (in_part_) {
            if (absl::Status s = handler.OnPartData(absl::string_view(buf_).substr(0, emit));
                !s.ok()) {
              return s;
            }
          }
          buf_.erase(0, emit);
        }
        return absl::OkStatus();
      }
      if (in_part_) {
        if (at > 0) {
          if (absl::Status s = handler.OnPartData(absl::string_view(buf_).substr(0, at)); !s.ok()) {
            return s;
          }
        }
        if (absl::Status s = handler.OnPartEnd(); !s.ok()) return s;
        in_part_ = false;
      }
      buf_.erase(0, at + delimiter_.size());
      state_ = State::kAfterBoundary;
      *progressed = true;
      return absl::OkStatus();
    }
    case State::kAfterBoundary: {
      // Transport padding (spaces, tabs) may follow the boundary before its CRLF.
      size_t i = 0;
      while (i < buf_.size() && (buf_[i] == ' ' || buf_[i] == '\t')) ++i;
      if (i > 0) buf_.erase(0, i);
      if (buf_.size() < 2) {
        if (buf_.size() > 0 && buf_[0] != '-' && buf_[0] != '\r') {
          return absl::InvalidArgumentError("multipart: bad boundary line");
        }
        return absl::OkStatus();
      }
      if (buf_.compare(0, 2, "--") == 0) {
        state_ = State::kDone;
      } else if (buf_.compare(0, 2, "\r\n") == 0) {
        buf_.erase(0, 2);
        state_ = State::kHeaders;
      } else {
        return absl::InvalidArgumentError("multipart: bad boundary line");
      }
      *progressed = true;
      return absl::OkStatus();
    }
    case State::kHeaders: {
      size_t end = buf_.find("\r\n\r\n");
      // A part without headers starts with the blank line right away.
      bool empty_headers = buf_.compare(0, 2, "\r\n") == 0;
      if (end == std::string::npos && !empty_headers) {
        if (buf_.size() > max_header_bytes_) {
          return absl::InvalidArgumentError("multipart: part headers too large");
        }
        return absl::OkStatus();
      }
      PartHeaders headers;
      size_t consumed = 2;
      if (!empty_headers) {
        consumed = end + 4;
        if (end > max_header_bytes_) {
          return absl::InvalidArgumentError("multipart: part headers too large");
        }
        for (absl::string_view line :
             absl::StrSplit(absl::string_view(buf_).substr(0, end), "\r\n")) {
          size_t colon = line.find(':');
          if (colon == line.npos) return absl::InvalidArgumentError("multipart: bad part header");
          absl::string_view name = absl::StripAsciiWhitespace(line.substr(0, colon));
          absl::string_view value = absl::StripAsciiWhitespace(line.substr(colon + 1));
          if (absl::EqualsIgnoreCase(name, "content-disposition")) {
            headers.name = Param(value, "name");
            headers.filename = Param(value, "filename");
          } else if (absl::EqualsIgnoreCase(name, "content-type")) {
            headers.content_type = std::string(value);
          }
        }
      }
      buf_.erase(0, consumed);
      if (absl::Status s = handler.OnPartBegin(headers); !s.ok()) return s;
      in_part_ = true;
      // Data starts here; the next delimiter search includes its leading CRLF.
      buf_.insert(0, "");
      state_ = State::kBody;
      *progressed = true;
      return absl::OkStatus();
    }
    case State::kDone:
      return absl::OkStatus();
  }
  return absl::OkStatus();
}

}  // namespace stellenwerk::gateway
