#pragma once
// Calendar arithmetic in Europe/Berlin: NRW public holidays, working days, BGB period ends
// and application deadlines. All legal periods are counted in Berlin civil days; an instant
// is only formed at the very end (start of the following civil day), so DST days (23 h /
// 25 h) come out right. See DOMAIN.md "City–district coordination", "NRW public holidays"
// and PITFALLS.md "Time zones and calendars".

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace stellenwerk::calendar {

// Europe/Berlin, loaded once from the system zoneinfo (absl::LoadTimeZone). If the zone
// cannot be loaded the process aborts with one line on stderr naming the tzdata package:
// silently falling back to UTC would shift every deadline by one or two hours.
const absl::TimeZone& Berlin();

// Easter Sunday by the Gregorian computus (anonymous Gregorian algorithm, Meeus/Jones/
// Butcher). Valid for Gregorian years, i.e. year >= 1583.
absl::CivilDay EasterSunday(int year);

// NRW public holidays (FTG NW § 2 Abs. 1): Neujahr, Karfreitag, Ostermontag, 1. Mai,
// Christi Himmelfahrt, Pfingstmontag, Fronleichnam, Tag der Deutschen Einheit (3.10.),
// Allerheiligen (1.11.), 1. und 2. Weihnachtstag; once, 31 October 2017 (500 years of the
// Reformation, by a one-off NRW law). Returns the German name or nullopt.
// When Christi Himmelfahrt falls on 1 May (e.g. 2008) the fixed date's name is returned.
std::optional<std::string_view> NrwHolidayName(absl::CivilDay day);
bool IsNrwPublicHoliday(absl::CivilDay day);

// Monday to Friday and not an NRW public holiday.
bool IsWorkingDay(absl::CivilDay day);
absl::CivilDay NextWorkingDayOnOrAfter(absl::CivilDay day);

// The Berlin civil day that contains `t`.
absl::CivilDay CivilDayInBerlin(absl::Time t);
// 00:00 Europe/Berlin of `day` as an instant.
absl::Time StartOfDay(absl::CivilDay day);
// 24:00 Europe/Berlin of `day`, i.e. the start of the next civil day. Not StartOfDay + 24 h:
// the DST days are 23 h and 25 h long.
absl::Time EndOfDay(absl::CivilDay day);

// BGB § 187 (1), § 188 (2), § 193: a period of one week triggered by an event at
// `event_time` ends at the end of the day of the following week that has the same weekday
// name as the (Berlin) event day; if that day is a Saturday, Sunday or NRW public holiday,
// at the end of the next working day. Returns the first instant after the period.
absl::Time OneWeekPeriodEnd(absl::Time event_time);
// The same for a period of `weeks` weeks (weeks >= 1).
absl::Time WeeksPeriodEnd(absl::Time event_time, int weeks);

// An application deadline given as a date is met by submissions up to 23:59:59.999...
// Europe/Berlin of that date: the deadline instant is EndOfDay(date) and a submission at
// `t` is in time iff t < EndOfDay(date). No BGB § 193 shift: the employer chose the date.
absl::Time DeadlineInstant(absl::CivilDay deadline_date);
bool IsBeforeDeadline(absl::Time t, absl::CivilDay deadline_date);

// Strict ISO 8601 calendar date "YYYY-MM-DD" (e.g. "2025-04-22"). Anything else, including
// unpadded fields and non-existent days like "2025-02-30", is InvalidArgumentError naming
// the bad text.
absl::StatusOr<absl::CivilDay> ParseIsoDate(std::string_view text);
std::string FormatIsoDate(absl::CivilDay day);

// RFC 3339 in Berlin local time with offset, e.g. EndOfDay(2025-04-22) is shown as
// "2025-04-23T00:00:00+02:00".
std::string FormatBerlin(absl::Time t);

}  // namespace stellenwerk::calendar
