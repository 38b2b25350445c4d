#include "services/notifications/domain/mail_message.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/time/berlin_calendar.h"

namespace stellenwerk::notifications {
namespace {

bool PlainAscii(absl::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  // "=?" would be read as the start of an encoded word.
  return s.find("=?") == absl::string_view::npos;
}

// Length of the UTF-8 sequence starting with lead byte c (1 for invalid bytes).
size_t SequenceLength(unsigned char c) {
  if (c >= 0xf0 && c <= 0xf4) return 4;
  if (c >= 0xe0) return 3;
  if (c >= 0xc2 && c < 0xe0) return 2;
  return 1;
}

std::string Boundary(absl::string_view message_id, absl::string_view what) {
  // Deterministic (the same bytes on every retry) and never inside base64/QP output ("=_").
  return absl::StrCat("=_stw_", what, "_", absl::BytesToHexString(message_id.substr(0, 12)));
}

std::string StripCrLf(absl::string_view s) {
  return absl::StrReplaceAll(s, {{"\r", ""}, {"\n", " "}});
}

}  // namespace

std::string EncodeHeaderText(absl::string_view text, size_t used) {
  std::string clean = StripCrLf(text);
  if (PlainAscii(clean) && used + clean.size() <= 76) return clean;
  if (PlainAscii(clean)) {
    // Fold at spaces (RFC 5322 § 2.2.3) without encoding.
    std::string out;
    size_t line = used;
    for (absl::string_view word : absl::StrSplit(clean, ' ')) {
      if (!out.empty()) {
        if (line + 1 + word.size() > 76) {
          out += "\r\n ";
          line = 1;
        } else {
          out += ' ';
          ++line;
        }
      }
      out.append(word.data(), word.size());
      line += word.size();
    }
    return out;
  }
  // "=?UTF-8?B?" + base64 + "?=" ≤ 75 characters: at most 45 bytes of text per word.
  constexpr size_t kMaxBytes = 45;
  std::string out;
  size_t line = used;
  size_t i = 0;
  while (i < clean.size()) {
    size_t end = i;
    while (end < clean.size()) {
      size_t n = SequenceLength(static_cast<unsigned char>(clean[end]));
      if (end + n > clean.size()) n = clean.size() - end;
      if (end + n - i > kMaxBytes) break;
      end += n;
    }
    std::string word =
        absl::StrCat("=?UTF-8?B?", absl::Base64Escape(clean.substr(i, end - i)), "?=");
    if (!out.empty()) {
      out += "\r\n ";
      line = 1;
    }
    if (out.empty() && line + word.size() > 76 && line > 0) {
      // First word does not fit after the field name: still start here (a field name is
      // short), the following words fold.
    }
    out += word;
    line += word.size();
    i = end;
  }
  return out;
}

std::string FormatMailbox(const Mailbox& m, size_t used) {
  const std::string address = StripCrLf(m.address);
  if (m.display_name.empty()) return address;
  const std::string name = StripCrLf(m.display_name);
  bool needs_quote = false;
  for (char c : name) {
    if (absl::string_view("()<>[]:;@\\,.\"").find(c) != absl::string_view::npos) needs_quote = true;
  }
  std::string shown;
  if (PlainAscii(name)) {
    shown =
        needs_quote
            ? absl::StrCat("\"", absl::StrReplaceAll(name, {{"\\", "\\\\"}, {"\"", "\\\""}}), "\"")
            : name;
  } else {
    shown = EncodeHeaderText(name, used);
  }
  return absl::StrCat(shown, " <", address, ">");
}

std::string FormatRfc5322Date(absl::Time t) {
  return absl::FormatTime("%a, %d %b %Y %H:%M:%S %z", t, calendar::Berlin());
}

std::string EncodeQuotedPrintable(absl::string_view text) {
  std::string out;
  size_t line = 0;
  auto put = [&](absl::string_view piece) {
    if (line + piece.size() > 75) {
      out += "=\r\n";
      line = 0;
    }
    out.append(piece.data(), piece.size());
    line += piece.size();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\r') continue;
    if (c == '\n') {
      // Trailing white space before a line break must be encoded (RFC 2045 § 6.7 (3)).
      if (!out.empty() && (out.back() == ' ' || out.back() == '\t')) {
        const char last = out.back();
        out.pop_back();
        --line;
        put(last == ' ' ? "=20" : "=09");
      }
      out += "\r\n";
      line = 0;
      continue;
    }
    // A dot at the start of a line is left to the SMTP client's dot-stuffing.
    if ((c >= 33 && c <= 126 && c != '=') || c == ' ' || c == '\t') {
      put(absl::string_view(text.data() + i, 1));
    } else {
      put(absl::StrCat("=", absl::AsciiStrToUpper(
                                absl::BytesToHexString(absl::string_view(text.data() + i, 1)))));
    }
  }
  if (!out.empty() && (out.back() == ' ' || out.back() == '\t')) {
    const char last = out.back();
    out.pop_back();
    out += last == ' ' ? "=20" : "=09";
  }
  return out;
}

bool PlausibleAddress(absl::string_view a) {
  if (a.empty() || a.size() > 254) return false;
  const size_t at = a.find('@');
  if (at == absl::string_view::npos || at == 0 || at + 1 == a.size()) return false;
  if (a.find('@', at + 1) != absl::string_view::npos) return false;
  for (unsigned char c : a) {
    if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == ',' || c == ';') return false;
  }
  return true;
}

std::string RenderMessage(const MailMessage& m) {
  std::string out;
  absl::StrAppend(&out, "Date: ", FormatRfc5322Date(m.date), "\r\n");
  absl::StrAppend(&out, "From: ", FormatMailbox(m.from, 6), "\r\n");
  absl::StrAppend(&out, "To: ", FormatMailbox(m.to, 4), "\r\n");
  if (!m.reply_to.empty()) absl::StrAppend(&out, "Reply-To: ", StripCrLf(m.reply_to), "\r\n");
  absl::StrAppend(&out, "Subject: ", EncodeHeaderText(m.subject, 9), "\r\n");
  absl::StrAppend(&out, "Message-ID: <", StripCrLf(m.message_id), ">\r\n");
  absl::StrAppend(&out, "MIME-Version: 1.0\r\n");
  // RFC 3834: machine-sent; no out-of-office replies, please.
  absl::StrAppend(&out, "Auto-Submitted: auto-generated\r\n");

  auto text_part = [&](absl::string_view subtype, absl::string_view body) {
    return absl::StrCat("Content-Type: text/", subtype,
                        "; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n",
                        EncodeQuotedPrintable(body), "\r\n");
  };
  std::string body;  // the text (and HTML) part with its own headers
  if (m.html.empty()) {
    body = text_part("plain", m.text);
  } else {
    const std::string b = Boundary(m.message_id, "alt");
    body = absl::StrCat("Content-Type: multipart/alternative; boundary=\"", b, "\"\r\n\r\n", "--",
                        b, "\r\n", text_part("plain", m.text), "--", b, "\r\n",
                        text_part("html", m.html), "--", b, "--\r\n");
  }
  if (m.calendars.empty()) {
    out += body;
    return out;
  }
  const std::string b = Boundary(m.message_id, "mix");
  absl::StrAppend(&out, "Content-Type: multipart/mixed; boundary=\"", b, "\"\r\n\r\n");
  absl::StrAppend(&out, "--", b, "\r\n", body);
  for (const CalendarPart& c : m.calendars) {
    std::string b64 = absl::Base64Escape(c.content);
    std::string folded;
    for (size_t i = 0; i < b64.size(); i += 76) absl::StrAppend(&folded, b64.substr(i, 76), "\r\n");
    absl::StrAppend(&out, "--", b, "\r\n",
                    "Content-Type: text/calendar; method=", c.method.empty() ? "REQUEST" : c.method,
                    "; charset=UTF-8; name=\"", c.filename,
                    "\"\r\nContent-Disposition: attachment; filename=\"", c.filename,
                    "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n", folded);
  }
  absl::StrAppend(&out, "--", b, "--\r\n");
  return out;
}

}  // namespace stellenwerk::notifications
