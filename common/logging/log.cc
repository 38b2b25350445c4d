#include "common/logging/log.h"

#include <chrono>
#include <memory>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/ids/uuid.h"
#include "spdlog/pattern_formatter.h"
#include "spdlog/sinks/stdout_sinks.h"

namespace stellenwerk::logging {
namespace {

thread_local LogContext tls_context;

class JsonFormatter final : public spdlog::formatter {
 public:
  explicit JsonFormatter(std::string service) : service_(std::move(service)) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string line;
    line.reserve(192 + msg.payload.size());
    const absl::Time ts = absl::FromChrono(msg.time);
    line += "{\"ts\":\"";
    line += absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", ts, absl::UTCTimeZone());
    line += "\",\"level\":\"";
    line += spdlog::level::to_string_view(msg.level).data();
    line += "\",\"service\":\"";
    AppendJsonEscaped(service_, line);
    line += '"';
    const LogContext& ctx = tls_context;
    AppendField("correlation_id", ctx.correlation_id, line);
    AppendField("tenant", ctx.tenant, line);
    AppendField("event_id", ctx.event_id, line);
    line += ",\"msg\":\"";
    AppendJsonEscaped(std::string_view(msg.payload.data(), msg.payload.size()), line);
    line += "\"}\n";
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>(service_);
  }

 private:
  static void AppendField(std::string_view key, const std::string& value, std::string& out) {
    if (value.empty()) return;
    out += ",\"";
    out += key;
    out += "\":\"";
    AppendJsonEscaped(value, out);
    out += '"';
  }

  std::string service_;
};

}  // namespace

std::unique_ptr<spdlog::formatter> NewJsonFormatter(std::string_view service) {
  return std::make_unique<JsonFormatter>(std::string(service));
}

void Init(std::string_view service, std::string_view level) {
  auto logger = spdlog::stderr_logger_mt("stellenwerk");
  spdlog::set_default_logger(logger);
  spdlog::set_formatter(NewJsonFormatter(service));
  spdlog::set_level(spdlog::level::from_str(std::string(level)));
  spdlog::flush_on(spdlog::level::info);
}

const LogContext& Current() { return tls_context; }

ScopedLogContext::ScopedLogContext(std::string_view correlation_id, std::string_view tenant,
                                   std::string_view event_id)
    : saved_(tls_context) {
  if (!correlation_id.empty()) tls_context.correlation_id = correlation_id;
  if (!tenant.empty()) tls_context.tenant = tenant;
  if (!event_id.empty()) tls_context.event_id = event_id;
}

ScopedLogContext::~ScopedLogContext() { tls_context = std::move(saved_); }

std::string NewCorrelationId() { return ids::NewUuid(); }

void AppendJsonEscaped(std::string_view text, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  // Payloads carry user input (names, file names, bytes from a request): a line with invalid
  // UTF-8 is invalid JSON (RFC 8259 § 8.1) and log shippers drop or mangle it. Each
  // ill-formed subsequence becomes U+FFFD, one per maximal subpart (Unicode § 3.9, U+FFFD
  // substitution of maximal subparts), as browsers and ICU do.
  static constexpr std::string_view kReplacement = "\xef\xbf\xbd";
  const auto byte = [&](size_t at) { return static_cast<unsigned char>(text[at]); };
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = byte(i);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          if (c < 0x20 || c == 0x7f) {
            out += "\\u00";
            out += kHex[c >> 4];
            out += kHex[c & 0xf];
          } else {
            out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    // Well-formed sequences (Unicode Table 3-7): the lead byte fixes the length and the
    // range of the second byte, which excludes overlong forms, surrogates and > U+10FFFF.
    size_t length = 0;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      length = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      length = 3;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      length = 4;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    }
    if (length == 0) {  // continuation byte without a lead, C0, C1, F5..FF
      out += kReplacement;
      ++i;
      continue;
    }
    size_t n = 1;  // bytes of the sequence that are valid so far
    while (n < length && i + n < text.size()) {
      const unsigned char next = byte(i + n);
      if (n == 1 ? (next < lo || next > hi) : (next < 0x80 || next > 0xbf)) break;
      ++n;
    }
    if (n == length) {
      out.append(text.substr(i, n));
    } else {
      out += kReplacement;  // truncated or broken: the valid prefix is one maximal subpart
    }
    i += n;
  }
}

}  // namespace stellenwerk::logging
