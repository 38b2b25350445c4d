#pragma once
// An Internet message as the SMTP relay receives it (RFC 5322 + MIME): RFC 2047 encoded
// headers for umlauts (curl does not encode headers), an RFC 5322 date in Berlin time, a
// Message-ID given by the caller (derived from the delivery, so every retry carries the same
// one), text/plain with an optional text/html alternative and optional text/calendar
// attachments. Pure: bytes in, bytes out.

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace stellenwerk::notifications {

struct Mailbox {
  std::string display_name;  // UTF-8, may be empty
  std::string address;       // addr-spec, ASCII
};

struct CalendarPart {
  std::string filename;  // "einladung.ics"
  std::string method;    // "REQUEST" | "CANCEL"
  std::string content;   // RFC 5545 text
};

struct MailMessage {
  Mailbox from;
  Mailbox to;
  std::string reply_to;  // address, optional
  std::string subject;   // UTF-8
  std::string text;      // UTF-8, "\n" line ends
  std::string html;      // optional
  std::vector<CalendarPart> calendars;
  std::string message_id;  // without angle brackets: "<id>@<domain>"
  absl::Time date;
};

// RFC 2047 "B" encoded-words (UTF-8) when `text` is not plain printable ASCII, folded so that
// no line passes 76 characters and no UTF-8 sequence is split across words. `used` is what the
// header line already holds before the value (e.g. "Subject: ").
std::string EncodeHeaderText(absl::string_view text, size_t used = 0);
// "Name <addr>" with the name quoted or encoded as needed; just the address without a name.
std::string FormatMailbox(const Mailbox& m, size_t used = 0);
// RFC 5322 § 3.3, in Europe/Berlin: "Tue, 01 Dec 2026 23:36:03 +0100".
std::string FormatRfc5322Date(absl::Time t);
// Quoted-printable (RFC 2045 § 6.7) with CRLF line ends and soft breaks at 76.
std::string EncodeQuotedPrintable(absl::string_view utf8_text);
// The complete message, CRLF line ends, ready for DATA.
std::string RenderMessage(const MailMessage& m);
// True for an address we are willing to put into RCPT TO (no CR/LF, one @, no spaces).
bool PlausibleAddress(absl::string_view address);

}  // namespace stellenwerk::notifications
