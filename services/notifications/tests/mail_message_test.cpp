// RFC 2047 headers, quoted-printable, RFC 5322 dates, templates and placeholders, the Berlin
// working-day arithmetic of a MANUAL acknowledgment.
#include "services/notifications/domain/mail_message.h"

#include <algorithm>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "common/time/berlin_calendar.h"
#include "gtest/gtest.h"
#include "services/notifications/domain/audience.h"
#include "services/notifications/domain/mail_sender.h"
#include "services/notifications/domain/templates.h"

namespace stellenwerk::notifications {
namespace {

// Decodes every "=?UTF-8?B?...?=" word of a folded header value (what a reader does).
std::string DecodeWords(absl::string_view v) {
  std::string out;
  for (absl::string_view line : absl::StrSplit(v, "\r\n ")) {
    if (absl::StartsWith(line, "=?UTF-8?B?") && absl::EndsWith(line, "?=")) {
      std::string bytes;
      EXPECT_TRUE(absl::Base64Unescape(line.substr(10, line.size() - 12), &bytes));
      out += bytes;
    } else {
      out += std::string(line);
    }
  }
  return out;
}

TEST(HeaderEncoding, AsciiStaysReadable) {
  EXPECT_EQ(EncodeHeaderText("Kennziffer 25/0042", 9), "Kennziffer 25/0042");
}

TEST(HeaderEncoding, UmlautsAreEncodedWordsThatDecodeBackAndStayShort) {
  const std::string subject =
      "Eingangsbestätigung Ihrer Bewerbung – Kennziffer 25/0042 – Sachbearbeiter*in (w/m/d) "
      "Bürgerbüro Größenwahn Straße ÄÖÜäöüß €";
  const std::string enc = EncodeHeaderText(subject, 9);
  EXPECT_TRUE(absl::StartsWith(enc, "=?UTF-8?B?"));
  for (absl::string_view line : absl::StrSplit(enc, "\r\n")) EXPECT_LE(line.size(), 76u);
  EXPECT_EQ(DecodeWords(enc), subject);
}

TEST(HeaderEncoding, NeverSplitsAUtf8Sequence) {
  // Fuzz-like: every length of a run of multi-byte characters decodes word by word.
  for (int n = 1; n < 80; ++n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += (i % 3 == 0) ? "ü" : (i % 3 == 1 ? "€" : "a");
    const std::string enc = EncodeHeaderText(s, 9);
    for (absl::string_view line : absl::StrSplit(enc, "\r\n ")) {
      std::string bytes;
      ASSERT_TRUE(absl::Base64Unescape(line.substr(10, line.size() - 12), &bytes));
      // A word on its own is valid UTF-8: it does not end inside a sequence.
      const unsigned char last = static_cast<unsigned char>(bytes.back());
      EXPECT_TRUE(last < 0x80 || (last & 0xC0) == 0x80) << n;
      if ((last & 0xC0) == 0x80) {
        // the last sequence is complete: count back to its lead byte
        size_t i = bytes.size() - 1;
        while ((static_cast<unsigned char>(bytes[i]) & 0xC0) == 0x80) --i;
        const unsigned char lead = static_cast<unsigned char>(bytes[i]);
        const size_t len = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
        EXPECT_EQ(bytes.size() - i, len) << n;
      }
    }
    EXPECT_EQ(DecodeWords(enc), s);
  }
}

TEST(HeaderEncoding, HeaderInjectionIsImpossible) {
  const std::string enc = EncodeHeaderText("Hallo\r\nBcc: evil@example.org", 9);
  EXPECT_EQ(enc.find("\r\nBcc"), std::string::npos);
}

TEST(Mailbox, DisplayNamesAreQuotedOrEncoded) {
  EXPECT_EQ(FormatMailbox({"Stadt Musterstadt", "hr@example.org"}),
            "Stadt Musterstadt <hr@example.org>");
  EXPECT_EQ(FormatMailbox({"Müller, Jördis", "j@example.org"}).find("=?UTF-8?B?"), 0u);
  EXPECT_EQ(FormatMailbox({"Doe, John", "j@example.org"}), "\"Doe, John\" <j@example.org>");
  EXPECT_EQ(FormatMailbox({"", "j@example.org"}), "j@example.org");
}

TEST(Date, Rfc5322InBerlinAcrossDst) {
  // 2025-03-30 01:30 UTC is 03:30 CEST (+0200); 2025-03-29 12:00 UTC is 13:00 CET (+0100).
  EXPECT_EQ(FormatRfc5322Date(
                absl::FromCivil(absl::CivilSecond(2025, 3, 30, 1, 30, 0), absl::UTCTimeZone())),
            "Sun, 30 Mar 2025 03:30:00 +0200");
  EXPECT_EQ(FormatRfc5322Date(
                absl::FromCivil(absl::CivilSecond(2025, 3, 29, 12, 0, 0), absl::UTCTimeZone())),
            "Sat, 29 Mar 2025 13:00:00 +0100");
}

TEST(QuotedPrintable, EncodesUmlautsAndKeepsLinesShort) {
  const std::string qp = EncodeQuotedPrintable("Guten Tag Jördis Müller,\n\nvielen Dank = gern. " +
                                               std::string(200, 'x') + "\nEnde \n");
  EXPECT_NE(qp.find("J=C3=B6rdis"), std::string::npos);
  EXPECT_NE(qp.find("=3D"), std::string::npos);
  EXPECT_NE(qp.find("Ende=20\r\n"), std::string::npos);
  for (absl::string_view line : absl::StrSplit(qp, "\r\n")) EXPECT_LE(line.size(), 76u);
}

TEST(Message, MultipartWithCalendarAndStableMessageId) {
  MailMessage m;
  m.from = {"Stadt Musterstadt", "noreply@example.org"};
  m.to = {"Jördis Müller", "j@example.org"};
  m.subject = "Einladung – Kennziffer 25/0042";
  m.text = "Guten Tag";
  m.html = "<p>Guten Tag</p>";
  m.calendars.push_back({"termin.ics", "REQUEST", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"});
  m.message_id = "7f9c-1@notifications.example.org";
  m.date = absl::FromUnixSeconds(1700000000);
  const std::string a = RenderMessage(m);
  EXPECT_EQ(a, RenderMessage(m));  // the same bytes on every retry
  EXPECT_NE(a.find("Message-ID: <7f9c-1@notifications.example.org>\r\n"), std::string::npos);
  EXPECT_NE(a.find("multipart/mixed"), std::string::npos);
  EXPECT_NE(a.find("multipart/alternative"), std::string::npos);
  EXPECT_NE(a.find("text/calendar; method=REQUEST"), std::string::npos);
}

TEST(Templates, EveryKindHasADefaultInFormalGermanWithKennzifferInTheSubject) {
  for (int k = 1; k <= v1::NotificationKind_MAX; ++k) {
    const Kind kind = static_cast<Kind>(k);
    const TemplateText t = DefaultTemplate(kind);
    EXPECT_TRUE(UnknownPlaceholders(kind, t.subject).empty()) << k;
    EXPECT_TRUE(UnknownPlaceholders(kind, t.body_text).empty()) << k;
    EXPECT_TRUE(ValidateTemplate(kind, t).ok()) << k;
    // Letters about a staffing notice name it by {{bezug}} (the Kennziffer only when the
    // notice has a posting); base data concern no post at all.
    const bool notice = kind == v1::NOTICE_FILED || kind == v1::CONCERN_RAISED ||
                        kind == v1::NOTICE_CLEARED || kind == v1::NOTICE_INSTRUCTED ||
                        kind == v1::NOTICE_WITHDRAWN;
    if (notice && kind != v1::BASE_DATA_OVERDUE) {
      EXPECT_NE(t.subject.find("{{bezug}}"), std::string::npos) << k;
    } else if (kind != v1::BASE_DATA_OVERDUE) {
      EXPECT_NE(t.subject.find("{{kennziffer}}"), std::string::npos) << k;
      EXPECT_NE(t.subject.find("{{stellentitel}}"), std::string::npos) << k;
    }
    EXPECT_EQ(t.body_text.find(" du "), std::string::npos) << k;
  }
}

TEST(Templates, UnknownPlaceholdersAreNamed) {
  TemplateText t{"Ihre Bewerbung {{kennziffer}} {{vorname}}", "{{anrede}}, {{ gehalt }} {{", ""};
  auto unknown = UnknownPlaceholders(v1::APPLICATION_RECEIVED, t.body_text);
  ASSERT_EQ(unknown.size(), 2u);
  EXPECT_EQ(unknown[0], "gehalt");
  EXPECT_EQ(unknown[1], "{{");
  absl::Status s = ValidateTemplate(v1::APPLICATION_RECEIVED, t);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("vorname"), std::string::npos);
  // "grund" belongs to the rejection, not the acknowledgment.
  EXPECT_FALSE(ValidateTemplate(v1::APPLICATION_RECEIVED, {"{{grund}}", "x", ""}).ok());
  EXPECT_TRUE(ValidateTemplate(v1::APPLICATION_REJECTED, {"{{grund}}", "x", ""}).ok());
}

TEST(Templates, RenderReplacesKnownValues) {
  EXPECT_EQ(Render("{{anrede}}, {{ kennziffer }}!",
                   Values{{"anrede", "Guten Tag"}, {"kennziffer", "25/1"}}),
            "Guten Tag, 25/1!");
}

TEST(Salutation, GenderNeutralUnlessChosen) {
  EXPECT_EQ(Salutation("", "Jördis", "Müller"), "Guten Tag Jördis Müller");
  EXPECT_EQ(Salutation("Frau", "Jördis", "Müller"), "Sehr geehrte Frau Müller");
  EXPECT_EQ(Salutation("Herr", "Jörg", "Müller"), "Sehr geehrter Herr Müller");
  EXPECT_EQ(Salutation("Dr.", "Kim", "Weiß"), "Guten Tag Dr. Kim Weiß");
  EXPECT_EQ(Salutation("", "", ""), "Guten Tag");
}

TEST(Retry, FourHundredsRetryFiveHundredsFail) {
  EXPECT_EQ(ClassifyReply(250, true), SendOutcome::kAccepted);
  EXPECT_EQ(ClassifyReply(451, false), SendOutcome::kTemporary);
  EXPECT_EQ(ClassifyReply(0, false), SendOutcome::kTemporary);  // connection refused
  EXPECT_EQ(ClassifyReply(550, false), SendOutcome::kPermanent);
  EXPECT_EQ(ClassifyReply(554, true), SendOutcome::kPermanent);
}

TEST(Retry, BackoffGrowsWithJitterAndIsCapped) {
  RetryPolicy p;
  EXPECT_EQ(Backoff(p, 1, 0.0), absl::Seconds(2.5));
  EXPECT_EQ(Backoff(p, 1, 1.0), absl::Seconds(5));
  EXPECT_EQ(Backoff(p, 3, 1.0), absl::Seconds(20));
  EXPECT_EQ(Backoff(p, 40, 1.0), p.max);
  EXPECT_GE(Backoff(p, 40, 0.0), p.max / 2);
}

TEST(Acknowledgment, WorkingDaysSkipWeekendsAndNrwHolidays) {
  // Submitted Thursday 2025-04-17 (Good Friday 18th, Easter Monday 21st): 2 working days →
  // Tuesday 22nd and Wednesday 23rd → overdue at the end of Wednesday, Berlin time.
  const absl::Time t =
      absl::FromCivil(absl::CivilSecond(2025, 4, 17, 15, 0, 0), calendar::Berlin());
  EXPECT_EQ(AcknowledgmentDue(t, 2), calendar::EndOfDay(absl::CivilDay(2025, 4, 23)));
  // Year end: 2025-12-30 + 2 working days (31st, skip 1 Jan) → Friday 2 Jan 2026.
  const absl::Time y =
      absl::FromCivil(absl::CivilSecond(2025, 12, 30, 9, 0, 0), calendar::Berlin());
  EXPECT_EQ(AcknowledgmentDue(y, 2), calendar::EndOfDay(absl::CivilDay(2026, 1, 2)));
}

TEST(GermanInstant, WindowEndReadsAsTwentyFourHundred) {
  EXPECT_EQ(FormatGermanInstant(calendar::EndOfDay(absl::CivilDay(2025, 4, 22))),
            "Dienstag, 22. April 2025, 24:00 Uhr");
  EXPECT_EQ(FormatGermanInstant(
                absl::FromCivil(absl::CivilSecond(2025, 10, 26, 14, 5, 0), calendar::Berlin())),
            "Sonntag, 26. Oktober 2025, 14:05 Uhr");
}

TEST(Audience, StatusesApplicantsHearOf) {
  EXPECT_EQ(ApplicantLetterFor("REJECTED"), v1::APPLICATION_REJECTED);
  EXPECT_EQ(ApplicantLetterFor("INVITED"), v1::INVITATION);
  EXPECT_EQ(ApplicantLetterFor("OFFER_APPROVED"), v1::OFFER);
  EXPECT_FALSE(ApplicantLetterFor("SCREENING").has_value());
  EXPECT_EQ(BodiesDueAt("INTERVIEWED").size(), 3u);
  EXPECT_TRUE(BodiesDueAt("SHORTLISTED").empty());
}

TEST(Retry, DecideSentRetriedOrFailed) {
  RetryPolicy p;
  p.max_attempts = 3;
  EXPECT_EQ(Decide({SendOutcome::kAccepted, 250, ""}, 1, p), DeliveryOutcome::kSent);
  EXPECT_EQ(Decide({SendOutcome::kTemporary, 451, ""}, 2, p), DeliveryOutcome::kRetried);
  EXPECT_EQ(Decide({SendOutcome::kTemporary, 0, ""}, 3, p), DeliveryOutcome::kFailed);
  EXPECT_EQ(Decide({SendOutcome::kPermanent, 550, ""}, 1, p), DeliveryOutcome::kFailed);
  EXPECT_EQ(OutcomeName(DeliveryOutcome::kRetried), "retried");
}

// SGB IX § 178 (2), § 165: what the representative reads of each decision.
// The invitation names no appointment yet: it sends the applicant to the portal's "Meine
// Termine", linked when the tenant set its portal address.
TEST(Audience, TheInvitationLinksToMeineTermineOfTheTenantsPortal) {
  Planned p;
  p.kind = v1::INVITATION;
  p.values = {{"kennziffer", "26/0042"}, {"stellentitel", "Sachbearbeitung Bürgerbüro"}};
  p.to = {"", "bewerberin@example.org"};
  v1::TenantSettings settings = WithDefaults({});
  settings.set_portal_url("https://karriere.herne.de/");
  Composed c = Compose(p, DefaultTemplate(v1::INVITATION), settings, "noreply@example.org");
  EXPECT_NE(c.text.body_text.find("„Meine Termine“:\nhttps://karriere.herne.de/#/termine\n"),
            std::string::npos)
      << c.text.body_text;
  EXPECT_EQ(c.text.body_text.find("{{"), std::string::npos);
  EXPECT_EQ(c.text.body_text.find("Termin: \n"), std::string::npos);  // no empty appointment
  settings.clear_portal_url();
  c = Compose(p, DefaultTemplate(v1::INVITATION), settings, "noreply@example.org");
  EXPECT_NE(c.text.body_text.find("(nach der Anmeldung im Bewerbungsportal)"), std::string::npos);

  EXPECT_TRUE(PlausiblePortalUrl(""));
  EXPECT_TRUE(PlausiblePortalUrl("https://karriere.herne.de"));
  EXPECT_TRUE(PlausiblePortalUrl("http://localhost:8080"));
  EXPECT_FALSE(PlausiblePortalUrl("http://karriere.herne.de"));  // letters link over TLS only
  EXPECT_FALSE(PlausiblePortalUrl("javascript:alert(1)"));
  EXPECT_FALSE(PlausiblePortalUrl("https://a.de/\nBcc: x@y.de"));
  EXPECT_FALSE(PlausiblePortalUrl("https://" + std::string(300, 'a')));
}

// A staffing notice without a posting has no Kennziffer: its letters name the post and the
// regional office instead of "Kennziffer ohne".
TEST(Audience, ANoticeWithoutPostingIsNamedByPostAndRegionalOffice) {
  EXPECT_EQ(NoticeReference("26/0042", "Arbeitsvermittler*in", "Regionalstelle Witten"),
            "Kennziffer 26/0042 – Arbeitsvermittler*in");
  EXPECT_EQ(NoticeReference("", "Arbeitsvermittler*in", "Regionalstelle Witten"),
            "Arbeitsvermittler*in, Regionalstelle Witten");
  EXPECT_EQ(NoticeReference("", "", "Regionalstelle Witten"), "Regionalstelle Witten");
  Planned p;
  p.kind = v1::NOTICE_FILED;
  p.values = {{"bezug", NoticeReference("", "Arbeitsvermittler*in", "Regionalstelle Witten")},
              {"kennziffer", "ohne"}};
  const Composed c =
      Compose(p, DefaultTemplate(v1::NOTICE_FILED), WithDefaults({}), "noreply@example.org");
  EXPECT_EQ(c.text.subject,
            "Stellenbesetzung zur Abstimmung – Arbeitsvermittler*in, Regionalstelle Witten");
}

TEST(Audience, TheRepresentativeReadsDecisionFindingAndHearing) {
  Values rejected = RepresentativeValues(
      {"B-7K3Q", "REJECTED", "Laufbahnbefähigung fehlt.", true, true, "Keine Einwände."});
  EXPECT_EQ(rejected["entscheidung"], "Absage");
  EXPECT_NE(rejected["feststellung"].find("offensichtlich fehlt (§ 165 Satz 4 SGB IX)"),
            std::string::npos);
  EXPECT_NE(rejected["anhoerung"].find("angehört. Ihre Stellungnahme: „Keine Einwände.“"),
            std::string::npos);
  Values plain = RepresentativeValues({"B-1", "REJECTED", "", false, false, ""});
  EXPECT_NE(plain["feststellung"].find("wurde nicht festgestellt"), std::string::npos);
  EXPECT_EQ(plain["grund"], "keine angegeben");
  EXPECT_NE(plain["anhoerung"].find("nicht angehört"), std::string::npos);
  EXPECT_NE(plain["anhoerung"].find("§ 178 Abs. 2 Satz 2 SGB IX"), std::string::npos);
  Values invited = RepresentativeValues({"B-2", "INVITED", "", false, false, ""});
  EXPECT_EQ(invited["entscheidung"], "Einladung zum Vorstellungsgespräch");
  EXPECT_NE(invited["feststellung"].find("§ 178 Abs. 2 Satz 4 SGB IX"), std::string::npos);
  EXPECT_EQ(RepresentativeValues({"B-3", "HIRED", "", false, true, "ok"})["entscheidung"],
            "Einstellung");
  // Every value is a placeholder the kind knows.
  const auto known = PlaceholdersOf(v1::DISABILITY_REPRESENTATIVE_INFORMED);
  for (const auto& [k, v] : rejected) {
    EXPECT_NE(std::find(known.begin(), known.end(), k), known.end()) << k;
  }
}

}  // namespace
}  // namespace stellenwerk::notifications
