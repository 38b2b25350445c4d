// RFC 5545 text of a booking: METHOD, UID, SEQUENCE, TZID and VTIMEZONE, escaping, and the
// folding of long umlaut lines at octet boundaries.
#include "services/scheduling/domain/ics.h"

#include <vector>

#include "absl/strings/str_split.h"
#include "common/time/berlin_calendar.h"
#include "gtest/gtest.h"

namespace stellenwerk::scheduling {
namespace {
namespace cal = stellenwerk::calendar;

CalendarEntry Entry() {
  CalendarEntry e;
  e.uid = "b-123@scheduling.stellenwerk";
  e.sequence = 2;
  e.start = absl::FromCivil(absl::CivilMinute(2026, 3, 31, 9, 30), cal::Berlin());
  e.end = e.start + absl::Minutes(45);
  e.stamp = absl::FromUnixSeconds(1767225600);
  e.summary = "Vorstellungsgespräch 26/0042, Sachbearbeitung; Bürgerbüro";
  e.location = "Rathaus Köln, Raum 2.14";
  return e;
}

std::vector<std::string> Unfolded(const std::string& ics) {
  std::string u;
  for (size_t i = 0; i < ics.size(); ++i) {
    if (ics.compare(i, 3, "\r\n ") == 0) {
      i += 2;
      continue;
    }
    u.push_back(ics[i]);
  }
  return absl::StrSplit(u, "\r\n", absl::SkipEmpty());
}

bool Has(const std::vector<std::string>& lines, std::string_view line) {
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

TEST(Ics, RequestCarriesUidSequenceTzidAndTheZone) {
  const std::string ics = BuildIcs(Entry());
  const auto lines = Unfolded(ics);
  EXPECT_TRUE(Has(lines, "BEGIN:VCALENDAR"));
  EXPECT_TRUE(Has(lines, "METHOD:REQUEST"));
  EXPECT_TRUE(Has(lines, "UID:b-123@scheduling.stellenwerk"));
  EXPECT_TRUE(Has(lines, "SEQUENCE:2"));
  EXPECT_TRUE(Has(lines, "DTSTART;TZID=Europe/Berlin:20260331T093000")) << ics;
  EXPECT_TRUE(Has(lines, "DTEND;TZID=Europe/Berlin:20260331T101500"));
  EXPECT_TRUE(Has(lines, "BEGIN:VTIMEZONE"));
  EXPECT_TRUE(Has(lines, "TZID:Europe/Berlin"));
  EXPECT_TRUE(Has(lines, "STATUS:CONFIRMED"));
  EXPECT_TRUE(Has(lines, "DTSTAMP:20260101T000000Z"));
  // RFC 5545 § 3.3.11: comma and semicolon in TEXT are escaped.
  EXPECT_TRUE(Has(lines, "SUMMARY:Vorstellungsgespräch 26/0042\\, Sachbearbeitung\\; Bürgerbüro"))
      << ics;
  EXPECT_TRUE(Has(lines, "LOCATION:Rathaus Köln\\, Raum 2.14"));
  // Exactly one TZID parameter on DTSTART.
  for (const auto& l : lines) {
    if (l.rfind("DTSTART;", 0) == 0 && l.find("TZID", 0) != std::string::npos) {
      EXPECT_EQ(l.find("TZID", l.find("TZID") + 1), std::string::npos) << l;
    }
  }
  EXPECT_EQ(ics.substr(ics.size() - 2), "\r\n");
}

TEST(Ics, CancelKeepsTheUidAndSaysCancelled) {
  CalendarEntry e = Entry();
  e.method = IcsMethod::kCancel;
  e.sequence = 3;
  const auto lines = Unfolded(BuildIcs(e));
  EXPECT_TRUE(Has(lines, "METHOD:CANCEL"));
  EXPECT_TRUE(Has(lines, "STATUS:CANCELLED"));
  EXPECT_TRUE(Has(lines, "UID:b-123@scheduling.stellenwerk"));
  EXPECT_TRUE(Has(lines, "SEQUENCE:3"));
}

TEST(Ics, VideoAppointmentHasTheUrl) {
  CalendarEntry e = Entry();
  e.location.clear();
  e.video_url = "https://video.stadt.example/r/abc";
  const auto lines = Unfolded(BuildIcs(e));
  EXPECT_TRUE(Has(lines, "URL:https://video.stadt.example/r/abc"));
  EXPECT_TRUE(Has(lines, "LOCATION:https://video.stadt.example/r/abc"));
}

TEST(Ics, LongUmlautLinesFoldAtOctetsNeverInsideACharacter) {
  CalendarEntry e = Entry();
  // Each "ä" is two octets; at every offset a fold point falls on a different byte.
  for (int shift = 0; shift < 4; ++shift) {
    e.description = std::string(shift, 'x');
    for (int i = 0; i < 120; ++i) e.description += "äöü€";
    const std::string ics = BuildIcs(e);
    for (absl::string_view physical : absl::StrSplit(ics, "\r\n", absl::SkipEmpty())) {
      EXPECT_LE(physical.size(), 75u) << physical;
      // A continuation never starts with a UTF-8 continuation byte (after its space).
      if (!physical.empty() && physical[0] == ' ' && physical.size() > 1) {
        EXPECT_NE(static_cast<unsigned char>(physical[1]) & 0xC0, 0x80) << shift;
      }
      // Nor does a line end in the middle of a multi-byte sequence.
      size_t i = physical.size();
      while (i > 0 && (static_cast<unsigned char>(physical[i - 1]) & 0xC0) == 0x80) --i;
      if (i > 0) {
        const unsigned char lead = static_cast<unsigned char>(physical[i - 1]);
        const size_t need = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : 4;
        EXPECT_EQ(physical.size() - (i - 1), need) << shift;
      }
    }
    const auto lines = Unfolded(ics);
    EXPECT_TRUE(Has(lines, "DESCRIPTION:" + e.description)) << shift;
  }
}

TEST(Ics, FoldLineExactBoundaries) {
  EXPECT_EQ(FoldLine(std::string(75, 'a')), std::string(75, 'a'));
  EXPECT_EQ(FoldLine(std::string(76, 'a')), std::string(75, 'a') + "\r\n a");
  // 74 ASCII + "ä" (2 octets) would be 76: the ä moves to the next line whole.
  EXPECT_EQ(FoldLine(std::string(74, 'a') + "ä"), std::string(74, 'a') + "\r\n ä");
}

}  // namespace
}  // namespace stellenwerk::scheduling
