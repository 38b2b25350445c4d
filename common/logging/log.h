#pragma once
// Structured JSON logging on spdlog. Each line carries the service, and the correlation id,
// tenant and event id of the work the current thread is doing (set with ScopedLogContext).
//
//   {"ts":"2026-11-25T10:00:00.123Z","level":"info","service":"postings",
//    "correlation_id":"…","tenant":"stadt-herne","msg":"posting published"}

#include <memory>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"
#include "spdlog/spdlog.h"

// Debian's Abseil is built without std::string_view aliasing: absl::string_view (e.g.
// absl::Status::message()) is its own type, so teach fmt to print it.
template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<fmt::string_view> {
  template <typename FormatContext>
  auto format(absl::string_view s, FormatContext& ctx) const {
    return fmt::formatter<fmt::string_view>::format(fmt::string_view(s.data(), s.size()), ctx);
  }
};

namespace stellenwerk::logging {

struct LogContext {
  std::string correlation_id;
  std::string tenant;
  std::string event_id;
};

// The JSON line formatter Init installs (for sinks of one's own, e.g. in tests).
std::unique_ptr<spdlog::formatter> NewJsonFormatter(std::string_view service);

// Installs the JSON formatter on the default logger (stderr). Safe to call again.
void Init(std::string_view service, std::string_view level);

// The calling thread's context.
const LogContext& Current();

// Sets fields of the calling thread's context for the lifetime of the object; empty
// arguments keep the outer value.
class ScopedLogContext {
 public:
  ScopedLogContext(std::string_view correlation_id, std::string_view tenant,
                   std::string_view event_id = {});
  ~ScopedLogContext();
  ScopedLogContext(const ScopedLogContext&) = delete;
  ScopedLogContext& operator=(const ScopedLogContext&) = delete;

 private:
  LogContext saved_;
};

// A fresh random correlation id (UUID v4 text).
std::string NewCorrelationId();

// Appends `text` to `out` as JSON string content (without quotes). Control characters are
// escaped and ill-formed UTF-8 becomes U+FFFD, so the result is valid JSON whatever the bytes.
void AppendJsonEscaped(std::string_view text, std::string& out);

}  // namespace stellenwerk::logging
