#include "common/time/berlin_calendar.h"

#include <cassert>
#include <cstdio>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace stellenwerk::calendar {
namespace {

constexpr char kBerlinZoneName[] = "Europe/Berlin";

absl::TimeZone LoadBerlinOrDie() {
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(kBerlinZoneName, &tz)) {
    // absl falls back to UTC on failure; deadlines would then be off by 1-2 h, so stop.
    std::fprintf(stderr,
                 "stellenwerk: cannot load time zone %s from the system zoneinfo "
                 "(/usr/share/zoneinfo or $TZDIR); install the tzdata package\n",
                 kBerlinZoneName);
    std::abort();
  }
  return tz;
}

// Debian's Abseil has its own absl::string_view (ABSL_OPTION_USE_STD_STRING_VIEW 0), which
// does not convert implicitly from std::string_view.
absl::string_view AsAbsl(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// Day offsets of the movable NRW holidays relative to Easter Sunday.
constexpr int kKarfreitag = -2;
constexpr int kOstermontag = 1;
constexpr int kChristiHimmelfahrt = 39;
constexpr int kPfingstmontag = 50;
constexpr int kFronleichnam = 60;

}  // namespace

const absl::TimeZone& Berlin() {
  static const absl::TimeZone kBerlin = LoadBerlinOrDie();
  return kBerlin;
}

absl::CivilDay EasterSunday(int year) {
  // Anonymous Gregorian algorithm (Meeus/Jones/Butcher), exact for every Gregorian year.
  const int a = year % 19;
  const int b = year / 100;
  const int c = year % 100;
  const int d = b / 4;
  const int e = b % 4;
  const int f = (b + 8) / 25;
  const int g = (b - f + 1) / 3;
  const int h = (19 * a + b - d - g + 15) % 30;
  const int i = c / 4;
  const int k = c % 4;
  const int l = (32 + 2 * e + 2 * i - h - k) % 7;
  const int m = (a + 11 * h + 22 * l) / 451;
  const int month = (h + l - 7 * m + 114) / 31;
  const int day = (h + l - 7 * m + 114) % 31 + 1;
  return absl::CivilDay(year, month, day);
}

std::optional<std::string_view> NrwHolidayName(absl::CivilDay day) {
  // One-off: "Gesetz über die Bestimmung des 31. Oktober 2017 als 500. Jahrestag der
  // Reformation zum gesetzlichen Feiertag in Nordrhein-Westfalen" (GV. NRW. 2015 S. 496, in
  // force until 1 November 2017). Every other Land made the same day a holiday.
  if (day == absl::CivilDay(2017, 10, 31)) return "Reformationstag (500. Jahrestag)";
  // FTG NW § 2 Abs. 1: the statutory holidays of Nordrhein-Westfalen. Heiligabend,
  // Silvester, Reformationstag (except 2017) etc. are not among them.
  switch (day.month() * 100 + day.day()) {
    case 101:
      return "Neujahr";
    case 501:
      return "Tag der Arbeit";
    case 1003:
      return "Tag der Deutschen Einheit";
    case 1101:
      return "Allerheiligen";
    case 1225:
      return "1. Weihnachtstag";
    case 1226:
      return "2. Weihnachtstag";
    default:
      break;
  }
  const absl::CivilDay easter = EasterSunday(static_cast<int>(day.year()));
  switch (day - easter) {
    case kKarfreitag:
      return "Karfreitag";
    case kOstermontag:
      return "Ostermontag";
    case kChristiHimmelfahrt:
      return "Christi Himmelfahrt";
    case kPfingstmontag:
      return "Pfingstmontag";
    case kFronleichnam:
      return "Fronleichnam";
    default:
      return std::nullopt;
  }
}

bool IsNrwPublicHoliday(absl::CivilDay day) { return NrwHolidayName(day).has_value(); }

bool IsWorkingDay(absl::CivilDay day) {
  const absl::Weekday weekday = absl::GetWeekday(day);
  if (weekday == absl::Weekday::saturday || weekday == absl::Weekday::sunday) return false;
  return !IsNrwPublicHoliday(day);
}

absl::CivilDay NextWorkingDayOnOrAfter(absl::CivilDay day) {
  // Terminates within a few days: at most a weekend plus two adjacent holidays.
  while (!IsWorkingDay(day)) ++day;
  return day;
}

absl::CivilDay CivilDayInBerlin(absl::Time t) { return absl::ToCivilDay(t, Berlin()); }

absl::Time StartOfDay(absl::CivilDay day) {
  // FromCivil maps a skipped local time to the transition instant, which is exactly the
  // first instant of the day should midnight ever be skipped.
  return absl::FromCivil(day, Berlin());
}

absl::Time EndOfDay(absl::CivilDay day) { return StartOfDay(day + 1); }

absl::Time OneWeekPeriodEnd(absl::Time event_time) { return WeeksPeriodEnd(event_time, 1); }

absl::Time WeeksPeriodEnd(absl::Time event_time, int weeks) {
  assert(weeks >= 1);
  // BGB § 187 (1): the day of the event is not counted, so the period is counted in Berlin
  // civil days from the event's Berlin date, whatever the time of day.
  const absl::CivilDay event_day = CivilDayInBerlin(event_time);
  // BGB § 188 (2): it ends with the day of the last week whose weekday name matches the
  // event day.
  const absl::CivilDay last_day = event_day + 7 * weeks;
  // BGB § 193: a last day on a Saturday, Sunday or NRW public holiday moves to the next
  // working day.
  return EndOfDay(NextWorkingDayOnOrAfter(last_day));
}

absl::Time DeadlineInstant(absl::CivilDay deadline_date) { return EndOfDay(deadline_date); }

bool IsBeforeDeadline(absl::Time t, absl::CivilDay deadline_date) {
  return t < DeadlineInstant(deadline_date);
}

absl::StatusOr<absl::CivilDay> ParseIsoDate(std::string_view text) {
  const auto invalid = [text](std::string_view why) {
    // Quote the input escaped and shortened: it may come straight from a request.
    constexpr size_t kMaxQuoted = 40;
    const std::string_view shown = text.substr(0, kMaxQuoted);
    return absl::InvalidArgumentError(
        absl::StrCat("invalid date \"", absl::CHexEscape(AsAbsl(shown)),
                     text.size() > kMaxQuoted ? "...\": " : "\": ", AsAbsl(why)));
  };
  // Checked by hand: absl::ParseCivilTime also accepts unpadded fields like "2025-4-1".
  constexpr std::string_view kShape = "YYYY-MM-DD";
  if (text.size() != kShape.size()) return invalid("expected YYYY-MM-DD");
  int fields[3] = {0, 0, 0};
  int field = 0;
  for (size_t pos = 0; pos < text.size(); ++pos) {
    if (kShape[pos] == '-') {
      if (text[pos] != '-') return invalid("expected YYYY-MM-DD");
      ++field;
      continue;
    }
    if (!absl::ascii_isdigit(static_cast<unsigned char>(text[pos]))) {
      return invalid("expected YYYY-MM-DD");
    }
    fields[field] = fields[field] * 10 + (text[pos] - '0');
  }
  // CivilDay normalises out-of-range fields (02-30 becomes 03-02); a changed field means
  // the day does not exist.
  const absl::CivilDay day(fields[0], fields[1], fields[2]);
  if (day.year() != fields[0] || day.month() != fields[1] || day.day() != fields[2]) {
    return invalid("no such day");
  }
  return day;
}

std::string FormatIsoDate(absl::CivilDay day) {
  // Zero-padded so that the output always parses back with ParseIsoDate.
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

std::string FormatBerlin(absl::Time t) { return absl::FormatTime(absl::RFC3339_sec, t, Berlin()); }

}  // namespace stellenwerk::calendar
