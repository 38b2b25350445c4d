#include "common/time/berlin_calendar.h"

#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace stellenwerk::calendar {
namespace {

using absl::CivilDay;

// An instant written in UTC ("2025-04-22T22:00:00Z"), so expectations are independent of
// the code under test.
absl::Time Utc(std::string_view rfc3339) {
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(rfc3339), &t, &error)) {
    ADD_FAILURE() << "bad test instant " << rfc3339 << ": " << error;
  }
  return t;
}

// A wall-clock time in Berlin, as a notice would be stamped by a clerk.
absl::Time BerlinLocal(int y, int m, int d, int hh, int mm, int ss = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, ss), Berlin());
}

std::string Iso(CivilDay day) { return FormatIsoDate(day); }

// --- Time zone -----------------------------------------------------------------------------

TEST(BerlinTest, LoadsEuropeBerlinOnceAndReturnsTheSameZone) {
  EXPECT_EQ(Berlin().name(), "Europe/Berlin");
  EXPECT_EQ(&Berlin(), &Berlin());
}

TEST(BerlinDeathTest, AbortsNamingTheTzdataPackageWhenZoneinfoIsMissing) {
  // Threadsafe style re-executes the binary, so the child loads the zone afresh with the
  // broken TZDIR instead of reusing the parent's already loaded one.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const char* old = std::getenv("TZDIR");
  const std::optional<std::string> saved = old ? std::optional<std::string>(old) : std::nullopt;
  setenv("TZDIR", "/nonexistent/zoneinfo", /*overwrite=*/1);
  EXPECT_DEATH(Berlin(), "Europe/Berlin.*install the tzdata package");
  if (saved) {
    setenv("TZDIR", saved->c_str(), 1);
  } else {
    unsetenv("TZDIR");
  }
}

// --- Easter --------------------------------------------------------------------------------

TEST(EasterSundayTest, MatchesPublishedDatesIncludingEdgeYears) {
  const struct {
    int year;
    CivilDay easter;
  } kCases[] = {
      {2019, CivilDay(2019, 4, 21)}, {2020, CivilDay(2020, 4, 12)}, {2021, CivilDay(2021, 4, 4)},
      {2022, CivilDay(2022, 4, 17)}, {2023, CivilDay(2023, 4, 9)},  {2024, CivilDay(2024, 3, 31)},
      {2025, CivilDay(2025, 4, 20)}, {2026, CivilDay(2026, 4, 5)},  {2027, CivilDay(2027, 3, 28)},
      {2028, CivilDay(2028, 4, 16)}, {2029, CivilDay(2029, 4, 1)},  {2030, CivilDay(2030, 4, 21)},
      {2038, CivilDay(2038, 4, 25)},  // latest possible date
      {1943, CivilDay(1943, 4, 25)},  // latest possible date
      {1818, CivilDay(1818, 3, 22)},  // earliest possible date
      {2285, CivilDay(2285, 3, 22)},  // earliest possible date
      {1954, CivilDay(1954, 4, 18)},  // Gauss's formula needs an exception here
      {1981, CivilDay(1981, 4, 19)},  // Gauss's formula needs an exception here
      {2000, CivilDay(2000, 4, 23)},  // century leap year
      {2049, CivilDay(2049, 4, 18)}, {2076, CivilDay(2076, 4, 19)},
  };
  for (const auto& c : kCases) {
    EXPECT_EQ(EasterSunday(c.year), c.easter) << c.year;
  }
}

TEST(EasterSundayTest, AlwaysASundayBetweenMarch22AndApril25) {
  for (int year = 1583; year <= 4099; ++year) {
    const CivilDay easter = EasterSunday(year);
    ASSERT_EQ(absl::GetWeekday(easter), absl::Weekday::sunday) << year;
    ASSERT_GE(easter, CivilDay(year, 3, 22)) << year;
    ASSERT_LE(easter, CivilDay(year, 4, 25)) << year;
  }
}

// --- NRW public holidays -------------------------------------------------------------------

struct Holiday {
  CivilDay day;
  std::string_view name;
};

// Every day of `year` that is an NRW holiday, in order.
std::vector<Holiday> HolidaysOf(int year) {
  std::vector<Holiday> found;
  for (CivilDay d(year, 1, 1); d.year() == year; ++d) {
    if (auto name = NrwHolidayName(d)) found.push_back({d, *name});
  }
  return found;
}

void ExpectExactlyTheseHolidays(int year, const std::vector<Holiday>& expected) {
  const std::vector<Holiday> found = HolidaysOf(year);
  ASSERT_EQ(found.size(), expected.size()) << year;
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(found[i].day, expected[i].day) << Iso(expected[i].day);
    EXPECT_EQ(found[i].name, expected[i].name) << Iso(expected[i].day);
    EXPECT_TRUE(IsNrwPublicHoliday(expected[i].day)) << Iso(expected[i].day);
    EXPECT_FALSE(IsWorkingDay(expected[i].day)) << Iso(expected[i].day);
  }
}

TEST(NrwHolidayTest, Year2025HasExactlyTheElevenStatutoryHolidays) {
  ExpectExactlyTheseHolidays(2025, {
                                       {CivilDay(2025, 1, 1), "Neujahr"},
                                       {CivilDay(2025, 4, 18), "Karfreitag"},
                                       {CivilDay(2025, 4, 21), "Ostermontag"},
                                       {CivilDay(2025, 5, 1), "Tag der Arbeit"},
                                       {CivilDay(2025, 5, 29), "Christi Himmelfahrt"},
                                       {CivilDay(2025, 6, 9), "Pfingstmontag"},
                                       {CivilDay(2025, 6, 19), "Fronleichnam"},
                                       {CivilDay(2025, 10, 3), "Tag der Deutschen Einheit"},
                                       {CivilDay(2025, 11, 1), "Allerheiligen"},
                                       {CivilDay(2025, 12, 25), "1. Weihnachtstag"},
                                       {CivilDay(2025, 12, 26), "2. Weihnachtstag"},
                                   });
}

TEST(NrwHolidayTest, Year2026HasExactlyTheElevenStatutoryHolidays) {
  ExpectExactlyTheseHolidays(2026, {
                                       {CivilDay(2026, 1, 1), "Neujahr"},
                                       {CivilDay(2026, 4, 3), "Karfreitag"},
                                       {CivilDay(2026, 4, 6), "Ostermontag"},
                                       {CivilDay(2026, 5, 1), "Tag der Arbeit"},
                                       {CivilDay(2026, 5, 14), "Christi Himmelfahrt"},
                                       {CivilDay(2026, 5, 25), "Pfingstmontag"},
                                       {CivilDay(2026, 6, 4), "Fronleichnam"},
                                       {CivilDay(2026, 10, 3), "Tag der Deutschen Einheit"},
                                       {CivilDay(2026, 11, 1), "Allerheiligen"},
                                       {CivilDay(2026, 12, 25), "1. Weihnachtstag"},
                                       {CivilDay(2026, 12, 26), "2. Weihnachtstag"},
                                   });
}

TEST(NrwHolidayTest, MovableHolidaysFollowEasterEveryYear) {
  for (int year = 1900; year <= 2200; ++year) {
    const CivilDay easter = EasterSunday(year);
    const CivilDay himmelfahrt = easter + 39;
    // Christi Himmelfahrt can fall on 1 May (Easter on 22/23 March), which leaves one
    // holiday day fewer that year.
    // 2017 had one more: the one-off Reformationstag.
    const size_t expected_days =
        (himmelfahrt == CivilDay(year, 5, 1) ? 10 : 11) + (year == 2017 ? 1 : 0);
    EXPECT_EQ(HolidaysOf(year).size(), expected_days) << year;
    EXPECT_EQ(NrwHolidayName(easter - 2), "Karfreitag") << year;
    EXPECT_EQ(NrwHolidayName(easter + 1), "Ostermontag") << year;
    EXPECT_TRUE(IsNrwPublicHoliday(himmelfahrt)) << year;
    EXPECT_EQ(NrwHolidayName(easter + 50), "Pfingstmontag") << year;
    EXPECT_EQ(NrwHolidayName(easter + 60), "Fronleichnam") << year;
    EXPECT_FALSE(IsNrwPublicHoliday(easter - 3)) << year;  // Gruendonnerstag
  }
}

TEST(NrwHolidayTest, Reformationstag2017WasAOneOffHolidayOnlyThatYear) {
  ExpectExactlyTheseHolidays(2017, {
                                       {CivilDay(2017, 1, 1), "Neujahr"},
                                       {CivilDay(2017, 4, 14), "Karfreitag"},
                                       {CivilDay(2017, 4, 17), "Ostermontag"},
                                       {CivilDay(2017, 5, 1), "Tag der Arbeit"},
                                       {CivilDay(2017, 5, 25), "Christi Himmelfahrt"},
                                       {CivilDay(2017, 6, 5), "Pfingstmontag"},
                                       {CivilDay(2017, 6, 15), "Fronleichnam"},
                                       {CivilDay(2017, 10, 3), "Tag der Deutschen Einheit"},
                                       {CivilDay(2017, 10, 31), "Reformationstag (500. Jahrestag)"},
                                       {CivilDay(2017, 11, 1), "Allerheiligen"},
                                       {CivilDay(2017, 12, 25), "1. Weihnachtstag"},
                                       {CivilDay(2017, 12, 26), "2. Weihnachtstag"},
                                   });
  // The law was for that one day: the years before and after keep 31 October a working day.
  for (const CivilDay day : {CivilDay(2016, 10, 31), CivilDay(2018, 10, 31)}) {
    EXPECT_FALSE(IsNrwPublicHoliday(day)) << Iso(day);
    EXPECT_EQ(NrwHolidayName(day), std::nullopt) << Iso(day);
    EXPECT_TRUE(IsWorkingDay(day)) << Iso(day);  // Monday 2016, Wednesday 2018
  }
}

TEST(NrwHolidayTest, HimmelfahrtOnFirstOfMayIsOneHolidayNamedForTheFixedDate) {
  EXPECT_EQ(EasterSunday(2008) + 39, CivilDay(2008, 5, 1));
  EXPECT_EQ(NrwHolidayName(CivilDay(2008, 5, 1)), "Tag der Arbeit");
  EXPECT_FALSE(IsWorkingDay(CivilDay(2008, 5, 1)));
}

TEST(NrwHolidayTest, HolidaysOfOtherStatesAndCustomaryDaysOffAreNotHolidaysInNrw) {
  const struct {
    CivilDay day;
    std::string_view why;
  } kCases[] = {
      {CivilDay(2025, 1, 6), "Heilige Drei Koenige (BW, BY, ST only)"},
      {CivilDay(2025, 3, 3), "Rosenmontag (customary, not statutory)"},
      {CivilDay(2024, 3, 8), "Frauentag (Berlin, MV only)"},
      {CivilDay(2025, 4, 17), "Gruendonnerstag"},
      {CivilDay(2025, 8, 15), "Mariae Himmelfahrt (Saarland, parts of BY)"},
      {CivilDay(2024, 9, 20), "Weltkindertag (Thueringen only)"},
      {CivilDay(2025, 10, 31), "Reformationstag (not in NRW)"},
      {CivilDay(2025, 11, 19), "Buss- und Bettag (Sachsen only)"},
      {CivilDay(2025, 12, 24), "Heiligabend"},
      {CivilDay(2025, 12, 31), "Silvester"},
  };
  for (const auto& c : kCases) {
    EXPECT_FALSE(IsNrwPublicHoliday(c.day)) << Iso(c.day) << " " << c.why;
    EXPECT_EQ(NrwHolidayName(c.day), std::nullopt) << Iso(c.day) << " " << c.why;
    EXPECT_TRUE(IsWorkingDay(c.day)) << Iso(c.day) << " " << c.why;  // all are Mon-Fri
  }
}

// --- Working days --------------------------------------------------------------------------

TEST(WorkingDayTest, OnlyMondayToFridayThatIsNoHoliday) {
  const struct {
    CivilDay day;
    bool working;
  } kCases[] = {
      {CivilDay(2025, 4, 14), true},   // Monday
      {CivilDay(2025, 4, 17), true},   // Thursday before Easter
      {CivilDay(2025, 4, 18), false},  // Karfreitag
      {CivilDay(2025, 4, 19), false},  // Saturday
      {CivilDay(2025, 4, 20), false},  // Easter Sunday
      {CivilDay(2025, 4, 21), false},  // Ostermontag
      {CivilDay(2025, 4, 22), true},   // Tuesday after Easter
      {CivilDay(2025, 11, 1), false},  // Allerheiligen on a Saturday
      {CivilDay(2025, 12, 24), true},  // Heiligabend, Wednesday
  };
  for (const auto& c : kCases) {
    EXPECT_EQ(IsWorkingDay(c.day), c.working) << Iso(c.day);
  }
}

TEST(WorkingDayTest, NextWorkingDayOnOrAfterSkipsWeekendsAndHolidays) {
  const struct {
    CivilDay from;
    CivilDay expected;
  } kCases[] = {
      {CivilDay(2025, 4, 22), CivilDay(2025, 4, 22)},    // already a working day
      {CivilDay(2025, 4, 18), CivilDay(2025, 4, 22)},    // Easter: Fri, Sat, Sun, Mon off
      {CivilDay(2025, 5, 31), CivilDay(2025, 6, 2)},     // Saturday -> Monday
      {CivilDay(2025, 6, 7), CivilDay(2025, 6, 10)},     // Whitsun weekend + Pfingstmontag
      {CivilDay(2025, 12, 25), CivilDay(2025, 12, 29)},  // Christmas + weekend
      {CivilDay(2027, 12, 25), CivilDay(2027, 12, 27)},  // Christmas on the weekend
  };
  for (const auto& c : kCases) {
    EXPECT_EQ(NextWorkingDayOnOrAfter(c.from), c.expected) << Iso(c.from);
  }
}

// --- Days as instants ----------------------------------------------------------------------

TEST(DayBoundaryTest, CivilDayInBerlinUsesBerlinNotUtcDate) {
  const struct {
    std::string_view instant;
    CivilDay berlin_day;
  } kCases[] = {
      {"2025-04-10T21:59:59Z", CivilDay(2025, 4, 10)},  // 23:59:59 CEST
      {"2025-04-10T22:00:00Z", CivilDay(2025, 4, 11)},  // 00:00 CEST
      {"2025-04-10T23:30:00Z", CivilDay(2025, 4, 11)},  // UTC still says the 10th
      {"2025-01-14T23:00:00Z", CivilDay(2025, 1, 15)},  // 00:00 CET
      {"2025-01-14T22:59:59Z", CivilDay(2025, 1, 14)},
  };
  for (const auto& c : kCases) {
    EXPECT_EQ(CivilDayInBerlin(Utc(c.instant)), c.berlin_day) << c.instant;
  }
}

TEST(DayBoundaryTest, EndOfDayIsStartOfNextDayAlsoOnDstDays) {
  const struct {
    CivilDay day;
    std::string_view start_utc;
    std::string_view end_utc;
    absl::Duration length;
  } kCases[] = {
      {CivilDay(2025, 1, 15), "2025-01-14T23:00:00Z", "2025-01-15T23:00:00Z", absl::Hours(24)},
      {CivilDay(2025, 4, 22), "2025-04-21T22:00:00Z", "2025-04-22T22:00:00Z", absl::Hours(24)},
      // Spring forward 02:00 -> 03:00 CEST: a 23-hour day.
      {CivilDay(2025, 3, 30), "2025-03-29T23:00:00Z", "2025-03-30T22:00:00Z", absl::Hours(23)},
      // Fall back 03:00 -> 02:00 CET: a 25-hour day.
      {CivilDay(2025, 10, 26), "2025-10-25T22:00:00Z", "2025-10-26T23:00:00Z", absl::Hours(25)},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(Iso(c.day));
    EXPECT_EQ(StartOfDay(c.day), Utc(c.start_utc));
    EXPECT_EQ(EndOfDay(c.day), Utc(c.end_utc));
    EXPECT_EQ(EndOfDay(c.day), StartOfDay(c.day + 1));
    EXPECT_EQ(EndOfDay(c.day) - StartOfDay(c.day), c.length);
    EXPECT_EQ(CivilDayInBerlin(EndOfDay(c.day) - absl::Nanoseconds(1)), c.day);
    EXPECT_EQ(CivilDayInBerlin(EndOfDay(c.day)), c.day + 1);
  }
}

TEST(DayBoundaryTest, EndOfDayDiffersFromStartPlus24HoursOnDstDays) {
  for (const CivilDay dst_day : {CivilDay(2025, 3, 30), CivilDay(2025, 10, 26)}) {
    EXPECT_NE(EndOfDay(dst_day), StartOfDay(dst_day) + absl::Hours(24)) << Iso(dst_day);
  }
}

// --- BGB §§ 187, 188, 193 one-week window --------------------------------------------------

struct PeriodCase {
  std::string_view what;
  absl::Time event;
  std::string_view end_utc;
  std::string_view end_berlin;
};

void ExpectOneWeekPeriodEnds(const std::vector<PeriodCase>& cases) {
  for (const PeriodCase& c : cases) {
    SCOPED_TRACE(c.what);
    const absl::Time end = OneWeekPeriodEnd(c.event);
    EXPECT_EQ(end, Utc(c.end_utc)) << FormatBerlin(end);
    EXPECT_EQ(FormatBerlin(end), c.end_berlin);
    EXPECT_EQ(end, WeeksPeriodEnd(c.event, 1));
  }
}

TEST(OneWeekPeriodTest, SeedNoticeOnFriday20250411EndsAfterEasterOnTuesdayAt24h) {
  // Fri 18 Karfreitag, Sat 19, Sun 20, Mon 21 Ostermontag -> end of Tue 22 (BGB § 193),
  // whatever the time of the notice on the 11th (BGB § 187 (1)).
  const std::vector<PeriodCase> kCases = {
      {"00:00", BerlinLocal(2025, 4, 11, 0, 0), "2025-04-22T22:00:00Z",
       "2025-04-23T00:00:00+02:00"},
      {"09:30", BerlinLocal(2025, 4, 11, 9, 30), "2025-04-22T22:00:00Z",
       "2025-04-23T00:00:00+02:00"},
      {"23:59", BerlinLocal(2025, 4, 11, 23, 59), "2025-04-22T22:00:00Z",
       "2025-04-23T00:00:00+02:00"},
      {"23:59:59.999", BerlinLocal(2025, 4, 11, 23, 59, 59) + absl::Milliseconds(999),
       "2025-04-22T22:00:00Z", "2025-04-23T00:00:00+02:00"},
  };
  ExpectOneWeekPeriodEnds(kCases);
  const absl::Time end = OneWeekPeriodEnd(BerlinLocal(2025, 4, 11, 12, 0));
  EXPECT_EQ(end, EndOfDay(CivilDay(2025, 4, 22)));
  EXPECT_TRUE(end > BerlinLocal(2025, 4, 22, 23, 59, 59));  // Tuesday evening still inside
}

TEST(OneWeekPeriodTest, CountsFromTheBerlinDayOfTheEventNotTheUtcDay) {
  ExpectOneWeekPeriodEnds({
      // 23:30 UTC on Thu 10 is 01:30 CEST on Fri 11: the seed example again.
      {"2025-04-10T23:30Z is Friday in Berlin", Utc("2025-04-10T23:30:00Z"), "2025-04-22T22:00:00Z",
       "2025-04-23T00:00:00+02:00"},
      // One second before Berlin midnight it is still Thursday: Thu 17 (Gruendonnerstag)
      // is a working day in NRW.
      {"2025-04-10T21:59:59Z is Thursday in Berlin", Utc("2025-04-10T21:59:59Z"),
       "2025-04-17T22:00:00Z", "2025-04-18T00:00:00+02:00"},
  });
}

TEST(OneWeekPeriodTest, EndsOnTheSameWeekdayNextWeekOrTheNextWorkingDay) {
  ExpectOneWeekPeriodEnds({
      {"plain week: Wed -> end of next Wed", BerlinLocal(2025, 2, 5, 10, 0), "2025-02-12T23:00:00Z",
       "2025-02-13T00:00:00+01:00"},
      {"Saturday notice: Sat 05-03 -> Mon 05-05", BerlinLocal(2025, 4, 26, 11, 0),
       "2025-05-05T22:00:00Z", "2025-05-06T00:00:00+02:00"},
      {"Sunday notice: Sun 05-04 -> Mon 05-05", BerlinLocal(2025, 4, 27, 11, 0),
       "2025-05-05T22:00:00Z", "2025-05-06T00:00:00+02:00"},
      {"Thu 05-29 Christi Himmelfahrt -> Fri 05-30", BerlinLocal(2025, 5, 22, 8, 0),
       "2025-05-30T22:00:00Z", "2025-05-31T00:00:00+02:00"},
      {"Mon 06-09 Pfingstmontag -> Tue 06-10", BerlinLocal(2025, 6, 2, 8, 0),
       "2025-06-10T22:00:00Z", "2025-06-11T00:00:00+02:00"},
      {"Thu 06-19 Fronleichnam -> Fri 06-20", BerlinLocal(2025, 6, 12, 8, 0),
       "2025-06-20T22:00:00Z", "2025-06-21T00:00:00+02:00"},
      {"Fri 10-31 Reformationstag is no NRW holiday: no shift", BerlinLocal(2025, 10, 24, 8, 0),
       "2025-10-31T23:00:00Z", "2025-11-01T00:00:00+01:00"},
  });
}

TEST(OneWeekPeriodTest, Reformationstag2017ShiftsTheEndOnlyIn2017) {
  ExpectOneWeekPeriodEnds({
      // BGB § 193: Tue 31 Oct 2017 (one-off holiday) and Wed 1 Nov (Allerheiligen) are off,
      // so a week from Tue 24 Oct ends with Thu 2 Nov.
      {"Tue 2017-10-24 -> 10-31 and 11-01 holidays -> Thu 11-02", BerlinLocal(2017, 10, 24, 10, 0),
       "2017-11-02T23:00:00Z", "2017-11-03T00:00:00+01:00"},
      {"Mon 2016-10-24 -> Mon 10-31 is a working day: no shift", BerlinLocal(2016, 10, 24, 10, 0),
       "2016-10-31T23:00:00Z", "2016-11-01T00:00:00+01:00"},
      {"Wed 2018-10-24 -> Wed 10-31 is a working day: no shift", BerlinLocal(2018, 10, 24, 10, 0),
       "2018-10-31T23:00:00Z", "2018-11-01T00:00:00+01:00"},
  });
}

TEST(OneWeekPeriodTest, ChristmasAndNewYearShiftToTheNextWorkingDay) {
  ExpectOneWeekPeriodEnds({
      {"Thu 12-18: 25 + 26 holidays, 27/28 weekend -> Mon 12-29", BerlinLocal(2025, 12, 18, 14, 0),
       "2025-12-29T23:00:00Z", "2025-12-30T00:00:00+01:00"},
      {"Thu 12-25: Thu 2026-01-01 Neujahr -> Fri 2026-01-02", BerlinLocal(2025, 12, 25, 9, 0),
       "2026-01-02T23:00:00Z", "2026-01-03T00:00:00+01:00"},
      {"Thu 2026-12-31 -> Thu 2027-01-07 across the year end", BerlinLocal(2026, 12, 31, 16, 0),
       "2027-01-07T23:00:00Z", "2027-01-08T00:00:00+01:00"},
  });
}

TEST(OneWeekPeriodTest, EndsAtBerlinMidnightAcrossDstSwitches) {
  ExpectOneWeekPeriodEnds({
      {"Wed 2025-10-22 CEST -> end of Wed 10-29 in CET", BerlinLocal(2025, 10, 22, 9, 0),
       "2025-10-29T23:00:00Z", "2025-10-30T00:00:00+01:00"},
      {"Wed 2025-03-26 CET -> end of Wed 04-02 in CEST", BerlinLocal(2025, 3, 26, 9, 0),
       "2025-04-02T22:00:00Z", "2025-04-03T00:00:00+02:00"},
      {"notice in the repeated hour of Sun 2025-10-26 -> Mon 11-03", Utc("2025-10-26T00:30:00Z"),
       "2025-11-03T23:00:00Z", "2025-11-04T00:00:00+01:00"},
  });
}

TEST(WeeksPeriodTest, MultiWeekPeriodsUseTheSameRules) {
  const struct {
    std::string_view what;
    absl::Time event;
    int weeks;
    std::string_view end_utc;
  } kCases[] = {
      {"2 weeks Wed 04-09 -> Wed 04-23", BerlinLocal(2025, 4, 9, 10, 0), 2, "2025-04-23T22:00:00Z"},
      {"2 weeks Fri 04-04 -> Karfreitag 04-18 -> Tue 04-22", BerlinLocal(2025, 4, 4, 10, 0), 2,
       "2025-04-22T22:00:00Z"},
      {"4 weeks Fri 2025-12-05 -> Fri 2026-01-02", BerlinLocal(2025, 12, 5, 10, 0), 4,
       "2026-01-02T23:00:00Z"},
  };
  for (const auto& c : kCases) {
    EXPECT_EQ(WeeksPeriodEnd(c.event, c.weeks), Utc(c.end_utc)) << c.what;
  }
}

// --- Application deadlines -----------------------------------------------------------------

TEST(DeadlineTest, InTimeUntilBerlinMidnightAlsoOnDstDays) {
  const struct {
    CivilDay deadline;
    std::string_view submitted_utc;
    bool in_time;
  } kCases[] = {
      {CivilDay(2025, 4, 22), "2025-04-22T08:00:00Z", true},
      {CivilDay(2025, 4, 22), "2025-04-22T21:59:59Z", true},      // 23:59:59 CEST
      {CivilDay(2025, 4, 22), "2025-04-22T21:59:59.999Z", true},  // 23:59:59.999 CEST
      {CivilDay(2025, 4, 22), "2025-04-22T22:00:00Z", false},     // 00:00 CEST on the 23rd
      {CivilDay(2025, 4, 22), "2025-04-22T23:30:00Z", false},     // UTC date still the 22nd
      // 23-hour day: Berlin midnight is 22:00 UTC; "start + 24 h" would wrongly allow 22:30.
      {CivilDay(2025, 3, 30), "2025-03-30T21:59:59Z", true},
      {CivilDay(2025, 3, 30), "2025-03-30T22:00:00Z", false},
      {CivilDay(2025, 3, 30), "2025-03-30T22:30:00Z", false},
      // 25-hour day: Berlin midnight is 23:00 UTC; "start + 24 h" would wrongly refuse 22:30.
      {CivilDay(2025, 10, 26), "2025-10-26T22:30:00Z", true},
      {CivilDay(2025, 10, 26), "2025-10-26T22:59:59Z", true},
      {CivilDay(2025, 10, 26), "2025-10-26T23:00:00Z", false},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(Iso(c.deadline) + " submitted " + std::string(c.submitted_utc));
    EXPECT_EQ(IsBeforeDeadline(Utc(c.submitted_utc), c.deadline), c.in_time);
    EXPECT_EQ(DeadlineInstant(c.deadline), EndOfDay(c.deadline));
  }
}

TEST(DeadlineTest, BerlinWallClockJustBeforeAndAtMidnight) {
  for (const CivilDay d : {CivilDay(2025, 4, 22), CivilDay(2025, 3, 30), CivilDay(2025, 10, 26)}) {
    SCOPED_TRACE(Iso(d));
    const absl::CivilDay next = d + 1;
    EXPECT_TRUE(IsBeforeDeadline(
        BerlinLocal(static_cast<int>(d.year()), d.month(), d.day(), 23, 59, 59), d));
    EXPECT_FALSE(IsBeforeDeadline(
        BerlinLocal(static_cast<int>(next.year()), next.month(), next.day(), 0, 0, 0), d));
  }
}

TEST(DeadlineTest, DeadlineOnAHolidayIsNotShiftedLikeABgbPeriod) {
  const CivilDay christmas(2025, 12, 25);
  EXPECT_EQ(DeadlineInstant(christmas), Utc("2025-12-25T23:00:00Z"));
  EXPECT_FALSE(IsBeforeDeadline(Utc("2025-12-26T09:00:00Z"), christmas));
}

// --- ISO dates and formatting --------------------------------------------------------------

TEST(IsoDateTest, ParsesAndRoundTripsValidDates) {
  const struct {
    std::string_view text;
    CivilDay day;
  } kCases[] = {
      {"2025-04-22", CivilDay(2025, 4, 22)}, {"2024-02-29", CivilDay(2024, 2, 29)},
      {"2000-02-29", CivilDay(2000, 2, 29)}, {"1999-12-31", CivilDay(1999, 12, 31)},
      {"2026-01-01", CivilDay(2026, 1, 1)},  {"0999-01-01", CivilDay(999, 1, 1)},
  };
  for (const auto& c : kCases) {
    const absl::StatusOr<CivilDay> parsed = ParseIsoDate(c.text);
    ASSERT_TRUE(parsed.ok()) << c.text << ": " << parsed.status();
    EXPECT_EQ(*parsed, c.day) << c.text;
    EXPECT_EQ(FormatIsoDate(*parsed), c.text);
  }
}

TEST(IsoDateTest, EveryDayOfALeapYearRoundTrips) {
  for (CivilDay d(2024, 1, 1); d.year() == 2024; ++d) {
    const absl::StatusOr<CivilDay> parsed = ParseIsoDate(FormatIsoDate(d));
    ASSERT_TRUE(parsed.ok()) << FormatIsoDate(d) << ": " << parsed.status();
    EXPECT_EQ(*parsed, d);
  }
}

TEST(IsoDateTest, RejectsMalformedAndNonExistentDatesNamingTheText) {
  const std::string_view kCases[] = {
      "2025-02-30",        // no such day
      "2023-02-29",        // not a leap year
      "1900-02-29",        // century, not a leap year
      "2025-13-01",        // no such month
      "2025-00-10",        // month zero
      "2025-04-00",        // day zero
      "2025-4-1",          // unpadded
      "",                  // empty
      "abc",               // not a date
      "2025/04/22",        // wrong separator
      " 2025-04-22",       // leading space
      "2025-04-22 ",       // trailing space
      "2025-04-22T00:00",  // a time is not a date
      "+025-04-22",        // sign
      "2025-04-2a",        // letter
      "20250422",          // basic format
  };
  for (const std::string_view text : kCases) {
    const absl::StatusOr<CivilDay> parsed = ParseIsoDate(text);
    ASSERT_FALSE(parsed.ok()) << "accepted \"" << text << "\" as " << *parsed;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << text;
    const std::string quoted = "\"" + std::string(text) + "\"";
    EXPECT_NE(std::string(parsed.status().message()).find(quoted), std::string::npos)
        << parsed.status();
  }
}

TEST(IsoDateTest, ErrorMessageShortensHugeInput) {
  const std::string huge(10000, 'x');
  const absl::StatusOr<CivilDay> parsed = ParseIsoDate(huge);
  ASSERT_FALSE(parsed.ok());
  EXPECT_LT(parsed.status().message().size(), 100u) << parsed.status();
}

TEST(FormatBerlinTest, ShowsBerlinWallClockWithOffset) {
  const struct {
    absl::Time t;
    std::string_view expected;
  } kCases[] = {
      {EndOfDay(CivilDay(2025, 4, 22)), "2025-04-23T00:00:00+02:00"},
      {Utc("2025-01-15T12:00:00Z"), "2025-01-15T13:00:00+01:00"},
      // The repeated hour on the fall-back day is told apart by the offset.
      {Utc("2025-10-26T00:30:00Z"), "2025-10-26T02:30:00+02:00"},
      {Utc("2025-10-26T01:30:00Z"), "2025-10-26T02:30:00+01:00"},
  };
  for (const auto& c : kCases) {
    EXPECT_EQ(FormatBerlin(c.t), c.expected);
  }
}

}  // namespace
}  // namespace stellenwerk::calendar
