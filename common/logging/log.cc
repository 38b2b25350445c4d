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

void Init(std::string_view service, std::string_view level) {
  auto logger = spdlog::stderr_logger_mt("stellenwerk");
  spdlog::set_default_logger(logger);
  spdlog::set_formatter(std::make_unique<JsonFormatter>(std::string(service)));
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
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\\u00";
          out += kHex[(c >> 4) & 0xf];
          out += kHex[c & 0xf];
        } else {
          out += c;
        }
    }
  }
}

}  // namespace stellenwerk::logging
