#pragma once
// MailSender over libcurl's SMTP: one easy handle per sender (per thread), reused so the
// connection stays open; STARTTLS and AUTH as configured.

#include <string>

#include "absl/status/statusor.h"
#include "common/config/env.h"
#include "services/notifications/domain/mail_sender.h"

namespace stellenwerk::notifications {

struct SmtpConfig {
  std::string url = "smtp://127.0.0.1:2525";  // STELLENWERK_SMTP_URL (smtp:// or smtps://)
  std::string tls = "none";  // STELLENWERK_SMTP_TLS: none | starttls (required) | try
  std::string ca_file;       // STELLENWERK_SMTP_CA_FILE: trust this CA (self-signed sink)
  bool verify_peer = true;   // STELLENWERK_SMTP_VERIFY (0 only for a local sink)
  std::string user;          // STELLENWERK_SMTP_USER (empty: no AUTH)
  std::string password;      // STELLENWERK_SMTP_PASSWORD
  std::string helo_domain = "stellenwerk.local";  // STELLENWERK_SMTP_HELO
  std::string message_id_domain =
      "notifications.stellenwerk.local";                     // STELLENWERK_MESSAGE_ID_DOMAIN
  std::string default_sender = "noreply@stellenwerk.local";  // STELLENWERK_MAIL_FROM
  int senders = 2;  // STELLENWERK_SMTP_SENDERS: parallel SMTP connections
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration timeout = absl::Seconds(30);
};

absl::StatusOr<SmtpConfig> LoadSmtpConfig(config::EnvReader& env);
SmtpConfig LoadSmtpConfigOrExit();

class CurlSmtpSender final : public MailSender {
 public:
  explicit CurlSmtpSender(const SmtpConfig& config);
  ~CurlSmtpSender() override;
  CurlSmtpSender(const CurlSmtpSender&) = delete;
  CurlSmtpSender& operator=(const CurlSmtpSender&) = delete;

  SendOutcome Send(const std::string& mail_from, const std::string& rcpt_to,
                   const std::string& data) override;

 private:
  const SmtpConfig config_;
  void* curl_ = nullptr;  // CURL*
};

}  // namespace stellenwerk::notifications
