// Pure rules of selection days, slots, bookings and internships: holidays, weekends, DST,
// year end, conflicts across days, accommodations, zone checks.
#include "services/scheduling/domain/schedule_rules.h"

#include "common/errors/errors.h"
#include "common/time/berlin_calendar.h"
#include "gtest/gtest.h"

namespace stellenwerk::scheduling {
namespace {
namespace cal = stellenwerk::calendar;

absl::Time Berlin(int y, int m, int d, int hh, int mm) {
  return absl::FromCivil(absl::CivilMinute(y, m, d, hh, mm), cal::Berlin());
}

PostingView Published(std::optional<absl::CivilDay> deadline = absl::CivilDay(2026, 3, 1)) {
  return {"p1", "t1", "PUBLISHED", deadline, 1};
}

const absl::Time kNow = Berlin(2026, 2, 2, 10, 0);

TEST(SelectionDayDate, AWorkingDayAfterTheDeadlineIsFine) {
  EXPECT_TRUE(ValidateSelectionDayDate(absl::CivilDay(2026, 3, 10), Published(), kNow).ok());
  PostingView closed = Published();
  closed.status = "CLOSED";
  EXPECT_TRUE(ValidateSelectionDayDate(absl::CivilDay(2026, 3, 10), closed, kNow).ok());
}

TEST(SelectionDayDate, WeekendsAndTheDstSundaysAreRefused) {
  // 29 March 2026 and 25 October 2026: the last Sundays of March and October (DST changes)
  // are Sundays and so never a selection day.
  for (absl::CivilDay d :
       {absl::CivilDay(2026, 3, 28), absl::CivilDay(2026, 3, 29), absl::CivilDay(2026, 10, 25)}) {
    auto s = ValidateSelectionDayDate(d, Published(), kNow);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << d;
    EXPECT_EQ(errors::FieldViolationsOf(s).at(0).field, "date");
  }
}

TEST(SelectionDayDate, NrwHolidaysAreRefusedTheDayAfterIsFine) {
  // Karfreitag 3 April 2026, Ostermontag 6 April, Fronleichnam 4 June, Allerheiligen (a
  // Sunday in 2026: Monday 2 November is a working day), 1 and 2 Weihnachtstag.
  for (absl::CivilDay d : {absl::CivilDay(2026, 4, 3), absl::CivilDay(2026, 4, 6),
                           absl::CivilDay(2026, 6, 4), absl::CivilDay(2026, 12, 25)}) {
    auto s = ValidateSelectionDayDate(d, Published(), kNow);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << d;
    EXPECT_NE(s.message().find("FTG NW"), std::string::npos);
  }
  EXPECT_TRUE(ValidateSelectionDayDate(absl::CivilDay(2026, 4, 7), Published(), kNow).ok());
  EXPECT_TRUE(ValidateSelectionDayDate(absl::CivilDay(2026, 11, 2), Published(), kNow).ok());
}

TEST(SelectionDayDate, YearEnd) {
  const absl::Time dec = Berlin(2026, 12, 20, 10, 0);
  // 31 December 2026 is a Thursday and no NRW holiday; 1 January is Neujahr.
  EXPECT_TRUE(ValidateSelectionDayDate(absl::CivilDay(2026, 12, 31),
                                       Published(absl::CivilDay(2026, 12, 30)), dec)
                  .ok());
  EXPECT_EQ(ValidateSelectionDayDate(absl::CivilDay(2027, 1, 1), Published(), dec).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(ValidateSelectionDayDate(absl::CivilDay(2027, 1, 4),
                                       Published(absl::CivilDay(2026, 12, 31)), dec)
                  .ok());
}

TEST(SelectionDayDate, NotOnOrBeforeTheDeadlineNotForDraftOrWithdrawnPostings) {
  EXPECT_EQ(ValidateSelectionDayDate(absl::CivilDay(2026, 3, 2),
                                     Published(absl::CivilDay(2026, 3, 2)), kNow)
                .code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(ValidateSelectionDayDate(absl::CivilDay(2026, 3, 3),
                                       Published(absl::CivilDay(2026, 3, 2)), kNow)
                  .ok());
  for (const char* status : {"DRAFT", "WITHDRAWN", ""}) {
    PostingView p = Published();
    p.status = status;
    EXPECT_EQ(ValidateSelectionDayDate(absl::CivilDay(2026, 3, 10), p, kNow).code(),
              absl::StatusCode::kFailedPrecondition)
        << status;
  }
  EXPECT_EQ(
      ValidateSelectionDayDate(absl::CivilDay(2026, 2, 2), Published(std::nullopt), kNow).code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(Slots, WrittenTaskBreakAndInterviews) {
  auto slots = GenerateSlots(absl::CivilDay(2026, 3, 10), absl::CivilMinute(2026, 3, 10, 9, 0),
                             {{PartKind::kWrittenTask, absl::Minutes(90), 1},
                              {PartKind::kBreak, absl::Minutes(30), 1},
                              {PartKind::kInterview, absl::Minutes(45), 4}});
  ASSERT_TRUE(slots.ok()) << slots.status();
  ASSERT_EQ(slots->size(), 5u);
  EXPECT_EQ((*slots)[0].kind, PartKind::kWrittenTask);
  EXPECT_EQ((*slots)[0].start, Berlin(2026, 3, 10, 9, 0));
  EXPECT_EQ((*slots)[0].end, Berlin(2026, 3, 10, 10, 30));
  EXPECT_EQ((*slots)[1].start, Berlin(2026, 3, 10, 11, 0));
  EXPECT_EQ((*slots)[4].end, Berlin(2026, 3, 10, 14, 0));
  for (int i = 0; i < 5; ++i) EXPECT_EQ((*slots)[i].index, i);
}

TEST(Slots, BadPartsAreInvalidArgumentNamingTheField) {
  const absl::CivilDay d(2026, 3, 10);
  const absl::CivilMinute nine(2026, 3, 10, 9, 0);
  auto zero = GenerateSlots(d, nine, {{PartKind::kInterview, absl::Minutes(0), 3}});
  EXPECT_EQ(errors::FieldViolationsOf(zero.status()).at(0).field, "parts[0].length");
  auto none = GenerateSlots(d, nine, {{PartKind::kInterview, absl::Minutes(30), 0}});
  EXPECT_EQ(errors::FieldViolationsOf(none.status()).at(0).field, "parts[0].count");
  EXPECT_FALSE(GenerateSlots(d, nine, {}).ok());
  EXPECT_FALSE(GenerateSlots(d, nine, {{PartKind::kBreak, absl::Minutes(30), 1}}).ok());
  EXPECT_FALSE(GenerateSlots(d, nine, {{PartKind::kInterview, absl::Minutes(30), 500}}).ok());
  // 22:00 + 3 × 1 h runs past midnight.
  EXPECT_FALSE(GenerateSlots(d, absl::CivilMinute(2026, 3, 10, 22, 0),
                             {{PartKind::kInterview, absl::Hours(1), 3}})
                   .ok());
  EXPECT_FALSE(GenerateSlots(d, absl::CivilMinute(2026, 3, 11, 9, 0),
                             {{PartKind::kInterview, absl::Hours(1), 1}})
                   .ok());
}

TEST(Slots, TheDstGapIsNoUniqueStart) {
  // 29 March 2026 02:30 does not exist in Berlin.
  EXPECT_FALSE(GenerateSlots(absl::CivilDay(2026, 3, 29), absl::CivilMinute(2026, 3, 29, 2, 30),
                             {{PartKind::kInterview, absl::Minutes(30), 1}})
                   .ok());
}

Occupancy Day(std::string id, std::string room, std::vector<std::string> members, absl::Time s,
              absl::Time e) {
  return {std::move(id), "Rathaus, Markt 1", std::move(room), std::move(members), s, e};
}

TEST(Conflicts, RoomAndCommitteeAcrossDays) {
  const std::vector<Occupancy> existing = {
      Day("d1", "Raum 2.14", {"m1", "m2"}, Berlin(2026, 3, 10, 9, 0), Berlin(2026, 3, 10, 12, 0))};
  // Same room, overlapping, different spelling.
  auto room = CheckConflicts(
      Day("d2", " raum 2.14", {"m3"}, Berlin(2026, 3, 10, 11, 0), Berlin(2026, 3, 10, 13, 0)),
      existing);
  EXPECT_EQ(room.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(room.message().find("room"), std::string::npos);
  // Other room, shared member.
  auto member = CheckConflicts(
      Day("d2", "Raum 3.01", {"m2"}, Berlin(2026, 3, 10, 11, 0), Berlin(2026, 3, 10, 13, 0)),
      existing);
  EXPECT_EQ(member.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(member.message().find("m2"), std::string::npos);
  // Touching intervals, other days, own day: fine.
  EXPECT_TRUE(CheckConflicts(Day("d2", "Raum 2.14", {"m1"}, Berlin(2026, 3, 10, 12, 0),
                                 Berlin(2026, 3, 10, 14, 0)),
                             existing)
                  .ok());
  EXPECT_TRUE(CheckConflicts(Day("d1", "Raum 2.14", {"m1"}, Berlin(2026, 3, 10, 9, 0),
                                 Berlin(2026, 3, 10, 12, 0)),
                             existing)
                  .ok());
}

TEST(Accommodations, ExtraTimeNeverOverlapsAnotherSlot) {
  auto slots = *GenerateSlots(absl::CivilDay(2026, 3, 10), absl::CivilMinute(2026, 3, 10, 9, 0),
                              {{PartKind::kWrittenTask, absl::Minutes(90), 1},
                               {PartKind::kBreak, absl::Minutes(30), 1},
                               {PartKind::kInterview, absl::Minutes(45), 2}});
  auto fits = AccommodatedEnd(slots[0], {false, 30}, false, slots);
  ASSERT_TRUE(fits.ok());
  EXPECT_EQ(*fits, Berlin(2026, 3, 10, 11, 0));  // touches the first interview: fine
  EXPECT_EQ(AccommodatedEnd(slots[0], {false, 31}, false, slots).status().code(),
            absl::StatusCode::kFailedPrecondition);
  // An interview keeps its end; a written task without extra minutes too.
  EXPECT_EQ(*AccommodatedEnd(slots[1], {false, 60}, false, slots), slots[1].end);
  EXPECT_EQ(AccommodatedEnd(slots[0], {true, 0}, false, slots).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(AccommodatedEnd(slots[0], {true, 0}, true, slots).ok());
  EXPECT_EQ(AccommodatedEnd(slots[0], {false, -5}, true, slots).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ZonedTimes, OnlyBerlinsOffsetAtThatInstant) {
  EXPECT_EQ(*ParseBerlinTime("2026-04-14T09:30:00+02:00", "start_time"),
            Berlin(2026, 4, 14, 9, 30));
  EXPECT_EQ(*ParseBerlinTime("2026-01-14T09:30:00+01:00", "start_time"),
            Berlin(2026, 1, 14, 9, 30));
  for (const char* bad :
       {"2026-04-14T09:30:00", "2026-04-14T07:30:00Z", "2026-04-14T09:30:00+01:00",
        "2026-01-14T09:30:00+02:00", "2026-04-14 09:30", "", "gestern"}) {
    auto t = ParseBerlinTime(bad, "start_time");
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    if (!t.ok()) EXPECT_EQ(errors::FieldViolationsOf(t.status()).at(0).field, "start_time");
  }
  // The autumn change: 02:30 happens twice, each with its own offset.
  EXPECT_EQ(*ParseBerlinTime("2026-10-25T02:30:00+02:00", "t") + absl::Hours(1),
            *ParseBerlinTime("2026-10-25T02:30:00+01:00", "t"));
}

TEST(Booking, OnlyFutureSlotsInvitedApplicationsOneSlotPerDay) {
  const absl::Time start = Berlin(2026, 3, 10, 9, 0);
  EXPECT_TRUE(CheckBookable({start, kNow, "INVITED", false, false}).ok());
  EXPECT_EQ(CheckBookable({start, start, "INVITED", false, false}).code(),
            absl::StatusCode::kFailedPrecondition);
  for (const char* s : {"RECEIVED", "SHORTLISTED", "REJECTED", "WITHDRAWN", ""}) {
    EXPECT_EQ(CheckBookable({start, kNow, s, false, false}).code(),
              absl::StatusCode::kFailedPrecondition)
        << s;
  }
  EXPECT_EQ(CheckBookable({start, kNow, "INVITED", true, false}).code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CheckBookable({start, kNow, "INVITED", false, true}).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(Reminder, LeadBeforeTheStartAcrossTheDstWeek) {
  // A booking on Tuesday 31 March 2026 10:00 (CEST); 48 h before is Sunday 29 March 10:00
  // CEST, i.e. 08:00 UTC — the night in between lost an hour, the instant arithmetic does not.
  const absl::Time start = Berlin(2026, 3, 31, 10, 0);
  auto due = ReminderDueTime(start, absl::Hours(48), Berlin(2026, 3, 20, 9, 0));
  ASSERT_TRUE(due.has_value());
  EXPECT_EQ(*due, Berlin(2026, 3, 29, 10, 0));
  EXPECT_EQ(cal::FormatBerlin(*due), "2026-03-29T10:00:00+02:00");
  // Booking on Monday 26 October 09:00 CET: 48 elapsed hours before is Saturday 24 October
  // 10:00 CEST (the night to Sunday 25 October has 25 hours), not 09:00.
  EXPECT_EQ(cal::FormatBerlin(*ReminderDueTime(Berlin(2026, 10, 26, 9, 0), absl::Hours(48), kNow)),
            "2026-10-24T10:00:00+02:00");
  // Booked late: fires now; start past: none.
  const absl::Time late = start - absl::Hours(3);
  EXPECT_EQ(*ReminderDueTime(start, absl::Hours(48), late), late);
  EXPECT_FALSE(ReminderDueTime(start, absl::Hours(48), start).has_value());
}

TEST(LocalText, GermanWithUmlautsAndDst) {
  EXPECT_EQ(GermanLocalText(Berlin(2026, 3, 31, 9, 5)), "Dienstag, 31. März 2026, 09:05 Uhr");
  EXPECT_EQ(GermanLocalText(Berlin(2026, 12, 31, 14, 0)),
            "Donnerstag, 31. Dezember 2026, 14:00 Uhr");
}

TEST(Internship, DurationLeadTimeAndCapacity) {
  const absl::CivilDay today(2026, 1, 5);
  const InternshipPeriod period{absl::CivilDay(2026, 9, 1), absl::CivilDay(2026, 12, 31), 2, 0};
  EXPECT_TRUE(CheckInternshipRequest({absl::CivilDay(2026, 9, 1), absl::CivilDay(2026, 9, 28)},
                                     period, today, 180)
                  .ok());
  EXPECT_EQ(CheckInternshipRequest({absl::CivilDay(2026, 9, 1), absl::CivilDay(2026, 9, 27)},
                                   period, today, 180)
                .code(),
            absl::StatusCode::kInvalidArgument);  // 27 days < four weeks
  EXPECT_TRUE(CheckInternshipRequest({absl::CivilDay(2026, 9, 1), absl::CivilDay(2026, 11, 30)},
                                     period, today, 180)
                  .ok());
  EXPECT_EQ(CheckInternshipRequest({absl::CivilDay(2026, 9, 1), absl::CivilDay(2026, 12, 1)},
                                   period, today, 180)
                .code(),
            absl::StatusCode::kInvalidArgument);  // more than three months
  EXPECT_EQ(CheckInternshipRequest({absl::CivilDay(2026, 9, 1), absl::CivilDay(2026, 10, 1)},
                                   period, today, 270)
                .code(),
            absl::StatusCode::kFailedPrecondition);  // less than the lead time
  EXPECT_EQ(CheckInternshipRequest({absl::CivilDay(2026, 8, 1), absl::CivilDay(2026, 9, 1)}, period,
                                   today, 180)
                .code(),
            absl::StatusCode::kFailedPrecondition);  // outside the period
  const InternshipPeriod full{absl::CivilDay(2026, 9, 1), absl::CivilDay(2026, 12, 31), 2, 2};
  EXPECT_EQ(CheckInternshipRequest({absl::CivilDay(2026, 9, 1), absl::CivilDay(2026, 10, 1)}, full,
                                   today, 180)
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace stellenwerk::scheduling
