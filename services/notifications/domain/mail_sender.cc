#include "services/notifications/domain/mail_sender.h"

#include <algorithm>

namespace stellenwerk::notifications {

SendOutcome::Kind ClassifyReply(int smtp_code, bool transfer_ok) {
  if (transfer_ok && smtp_code >= 200 && smtp_code < 300) return SendOutcome::kAccepted;
  if (smtp_code >= 500 && smtp_code < 600) return SendOutcome::kPermanent;
  return SendOutcome::kTemporary;
}

absl::Duration Backoff(const RetryPolicy& p, int attempts, double unit) {
  const int shift = std::clamp(attempts - 1, 0, 20);
  absl::Duration d = std::min(p.initial * (int64_t{1} << shift), p.max);
  unit = std::clamp(unit, 0.0, 1.0);
  return d / 2 + (d / 2) * unit;
}

DeliveryOutcome Decide(const SendOutcome& outcome, int attempts, const RetryPolicy& policy) {
  if (outcome.kind == SendOutcome::kAccepted) return DeliveryOutcome::kSent;
  if (outcome.kind == SendOutcome::kPermanent || attempts >= policy.max_attempts) {
    return DeliveryOutcome::kFailed;
  }
  return DeliveryOutcome::kRetried;
}

absl::string_view OutcomeName(DeliveryOutcome o) {
  switch (o) {
    case DeliveryOutcome::kSent:
      return "sent";
    case DeliveryOutcome::kRetried:
      return "retried";
    case DeliveryOutcome::kFailed:
      return "failed";
  }
  return "failed";
}

}  // namespace stellenwerk::notifications
