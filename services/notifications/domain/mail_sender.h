#pragma once
// The port to an SMTP relay (adapters/curl_smtp_sender implements it) and what the
// dispatcher decides from its answer.

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace stellenwerk::notifications {

struct SendOutcome {
  enum Kind { kAccepted, kTemporary, kPermanent };
  Kind kind = kTemporary;
  int smtp_code = 0;   // last reply code, 0 when no reply (connection refused, timeout)
  std::string detail;  // reply or library error; never an address
};

class MailSender {
 public:
  virtual ~MailSender() = default;
  // Sends `data` (a complete RFC 5322 message) from `mail_from` to `rcpt_to`. One sender per
  // thread: implementations keep their connection and are not thread-safe.
  virtual SendOutcome Send(const std::string& mail_from, const std::string& rcpt_to,
                           const std::string& data) = 0;
};

// RFC 5321 § 4.2.1: 4yz is transient (try again), 5yz permanent; no reply at all (refused,
// reset, timeout) is transient too.
SendOutcome::Kind ClassifyReply(int smtp_code, bool transfer_ok);

// How our messages identify themselves.
struct MailIdentity {
  std::string default_sender = "noreply@stellenwerk.local";
  std::string message_id_domain = "notifications.stellenwerk.local";
};

struct RetryPolicy {
  absl::Duration initial = absl::Seconds(5);
  absl::Duration max = absl::Minutes(30);
  int max_attempts = 20;  // then FAILED (about 8 hours with the defaults)
};

// Exponential backoff with "full jitter": uniformly in [d/2, d] for d = initial·2^(attempts-1),
// capped at max. `unit` is a random number in [0, 1).
absl::Duration Backoff(const RetryPolicy& p, int attempts, double unit);

// What becomes of a delivery after its `attempts`-th attempt ended with `outcome`: SENT on a
// 2yz, FAILED on a 5yz or when the attempts are used up, otherwise another attempt later
// (ADR 0022).
enum class DeliveryOutcome { kSent, kRetried, kFailed };
DeliveryOutcome Decide(const SendOutcome& outcome, int attempts, const RetryPolicy& policy);
absl::string_view OutcomeName(DeliveryOutcome o);  // "sent" | "retried" | "failed"

// One dispatcher round, reported after its transaction committed (for the metrics).
struct SendReport {
  int kind = 0;  // NotificationKind
  DeliveryOutcome outcome = DeliveryOutcome::kFailed;
  absl::Duration smtp;     // the SMTP transaction (zero when none was attempted)
  absl::Duration pending;  // intent recorded → this attempt's end
};

}  // namespace stellenwerk::notifications
