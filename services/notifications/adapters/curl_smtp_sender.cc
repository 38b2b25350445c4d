#include "services/notifications/adapters/curl_smtp_sender.h"

#include <curl/curl.h>

#include <cstring>
#include <mutex>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace stellenwerk::notifications {
namespace {

struct Reader {
  const std::string* data;
  size_t offset = 0;
};

size_t ReadBody(char* buffer, size_t size, size_t nitems, void* user) {
  auto* r = static_cast<Reader*>(user);
  const size_t n = std::min(size * nitems, r->data->size() - r->offset);
  std::memcpy(buffer, r->data->data() + r->offset, n);
  r->offset += n;
  return n;
}

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

absl::StatusOr<SmtpConfig> LoadSmtpConfig(config::EnvReader& env) {
  SmtpConfig c;
  c.url = env.String("STELLENWERK_SMTP_URL", c.url);
  c.tls = env.String("STELLENWERK_SMTP_TLS", c.tls);
  c.ca_file = env.String("STELLENWERK_SMTP_CA_FILE", "");
  c.verify_peer = env.Bool("STELLENWERK_SMTP_VERIFY", true);
  c.user = env.String("STELLENWERK_SMTP_USER", "");
  c.password = env.String("STELLENWERK_SMTP_PASSWORD", "");
  c.helo_domain = env.String("STELLENWERK_SMTP_HELO", c.helo_domain);
  c.message_id_domain = env.String("STELLENWERK_MESSAGE_ID_DOMAIN", c.message_id_domain);
  c.default_sender = env.String("STELLENWERK_MAIL_FROM", c.default_sender);
  c.senders = env.Int("STELLENWERK_SMTP_SENDERS", c.senders, 1, 64);
  c.connect_timeout = env.Duration("STELLENWERK_SMTP_CONNECT_TIMEOUT", c.connect_timeout);
  c.timeout = env.Duration("STELLENWERK_SMTP_TIMEOUT", c.timeout);
  if (absl::Status s = env.status(); !s.ok()) return s;
  if (c.tls != "none" && c.tls != "starttls" && c.tls != "try") {
    return absl::InvalidArgumentError("STELLENWERK_SMTP_TLS must be none, starttls or try");
  }
  if (!absl::StartsWith(c.url, "smtp://") && !absl::StartsWith(c.url, "smtps://")) {
    return absl::InvalidArgumentError("STELLENWERK_SMTP_URL must start with smtp:// or smtps://");
  }
  return c;
}

SmtpConfig LoadSmtpConfigOrExit() {
  config::EnvReader env;
  auto c = LoadSmtpConfig(env);
  if (!c.ok()) config::ExitWithConfigError("notifications", c.status());
  return *c;
}

CurlSmtpSender::CurlSmtpSender(const SmtpConfig& config) : config_(config) {
  GlobalInit();
  curl_ = curl_easy_init();
}

CurlSmtpSender::~CurlSmtpSender() {
  if (curl_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

SendOutcome CurlSmtpSender::Send(const std::string& mail_from, const std::string& rcpt_to,
                                 const std::string& data) {
  CURL* curl = static_cast<CURL*>(curl_);
  if (curl == nullptr) return {SendOutcome::kTemporary, 0, "curl_easy_init failed"};
  curl_easy_reset(curl);  // keeps the connection cache, forgets the last options
  const std::string url = absl::StrCat(config_.url, "/", config_.helo_domain);
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  if (config_.tls == "starttls") curl_easy_setopt(curl, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
  if (config_.tls == "try") curl_easy_setopt(curl, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
  if (!config_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, config_.ca_file.c_str());
  if (!config_.verify_peer) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!config_.user.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, config_.user.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, config_.password.c_str());
  }
  const std::string from = absl::StrCat("<", mail_from, ">");
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.c_str());
  curl_slist* rcpt = curl_slist_append(nullptr, absl::StrCat("<", rcpt_to, ">").c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
  Reader reader{&data};
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, ReadBody);
  curl_easy_setopt(curl, CURLOPT_READDATA, &reader);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(data.size()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(config_.connect_timeout)));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(config_.timeout)));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  const CURLcode rc = curl_easy_perform(curl);
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(rcpt);
  SendOutcome out;
  out.smtp_code = static_cast<int>(code);
  out.kind = ClassifyReply(out.smtp_code, rc == CURLE_OK);
  // curl's messages name hosts and codes, not the envelope.
  out.detail = rc == CURLE_OK ? absl::StrCat(code)
                              : absl::StrCat(code, " ", curl_easy_strerror(rc),
                                             error[0] != 0 ? absl::StrCat(": ", error) : "");
  return out;
}

}  // namespace stellenwerk::notifications
