// The appointment the scheduling events carry: Berlin texts across DST, place or video link,
// accommodations, the ICS with its stable UID and METHOD; and the reaction to application
// status changes.
#include "services/scheduling/domain/appointment.h"

#include "common/time/berlin_calendar.h"
#include "gtest/gtest.h"

namespace stellenwerk::scheduling {
namespace {
namespace cal = stellenwerk::calendar;
namespace ev = events::v1;

AppointmentFacts Facts() {
  AppointmentFacts f;
  f.booking_id = "6f1c2b3a-0000-4000-8000-000000000001";
  f.selection_day_id = "d1";
  f.slot_id = "s1";
  f.application_id = "a1";
  f.posting_id = "p1";
  f.applicant_sub = "https://idp.example|u1";
  f.tenant_id = "stadt-koeln";
  f.start = absl::FromCivil(absl::CivilMinute(2026, 3, 30, 9, 30), cal::Berlin());  // CEST
  f.end = f.start + absl::Minutes(45);
  f.location = "Rathaus Köln, Rathausplatz 2";
  f.room = "Raum 2.14";
  f.posting_title = "Sachbearbeitung Bürgerbüro";
  f.kennziffer = "26/0042";
  f.booked_by = "HR";
  return f;
}

TEST(Appointment, SnapshotCarriesIdsBerlinTextsAndTheIcs) {
  const ev::AppointmentSnapshot s = SnapshotOf(Facts(), absl::UnixEpoch());
  EXPECT_EQ(s.booking_id(), "6f1c2b3a-0000-4000-8000-000000000001");
  EXPECT_EQ(s.application_id(), "a1");
  EXPECT_EQ(s.posting_id(), "p1");
  EXPECT_EQ(s.start_local_text(), "Montag, 30. März 2026, 09:30 Uhr");
  EXPECT_EQ(s.start_local(), "2026-03-30T09:30:00+02:00");
  EXPECT_EQ(s.date(), "2026-03-30");
  EXPECT_EQ(s.start_time().seconds(), absl::ToUnixSeconds(Facts().start));
  EXPECT_EQ(s.mode(), ev::APPOINTMENT_MODE_IN_PERSON);
  EXPECT_EQ(s.room(), "Raum 2.14");
  EXPECT_EQ(s.ics_uid(), "6f1c2b3a-0000-4000-8000-000000000001@scheduling.stellenwerk");
  EXPECT_NE(s.ics().find("METHOD:REQUEST\r\n"), std::string::npos);
  EXPECT_NE(s.ics().find("UID:6f1c2b3a-0000-4000-8000-000000000001@scheduling.stellenwe"),
            std::string::npos);
}

TEST(Appointment, RescheduleKeepsTheUidCancelSaysCancel) {
  AppointmentFacts f = Facts();
  const std::string uid = SnapshotOf(f, absl::UnixEpoch()).ics_uid();
  f.slot_id = "s2";
  f.start += absl::Hours(1);
  f.end += absl::Hours(1);
  f.sequence = 1;
  const auto moved = SnapshotOf(f, absl::UnixEpoch());
  EXPECT_EQ(moved.ics_uid(), uid);
  EXPECT_NE(moved.ics().find("SEQUENCE:1\r\n"), std::string::npos);
  f.cancelled = true;
  f.sequence = 2;
  const auto gone = SnapshotOf(f, absl::UnixEpoch());
  EXPECT_NE(gone.ics().find("METHOD:CANCEL\r\n"), std::string::npos);
  EXPECT_NE(gone.ics().find("SEQUENCE:2\r\n"), std::string::npos);
  EXPECT_EQ(gone.ics_uid(), uid);
}

TEST(Appointment, VideoHasTheLinkAndNoAddress) {
  AppointmentFacts f = Facts();
  f.video = true;
  f.video_url = "https://video.stadt.example/r/abc";
  const auto s = SnapshotOf(f, absl::UnixEpoch());
  EXPECT_EQ(s.mode(), ev::APPOINTMENT_MODE_VIDEO);
  EXPECT_EQ(s.video_url(), "https://video.stadt.example/r/abc");
  EXPECT_TRUE(s.location().empty());
  EXPECT_NE(s.ics().find("URL:https://video.stadt.example/r/abc"), std::string::npos);
}

TEST(Appointment, AccommodationsAreNamedInTheEntry) {
  AppointmentFacts f = Facts();
  f.part = PartKind::kWrittenTask;
  f.accommodations = {true, 30};
  const auto s = SnapshotOf(f, absl::UnixEpoch());
  EXPECT_TRUE(s.accommodations().barrier_free_room());
  EXPECT_EQ(s.accommodations().extra_written_minutes(), 30);
  const CalendarEntry e = CalendarEntryOf(f, absl::UnixEpoch());
  EXPECT_NE(e.description.find("30 Minuten Zeitverlängerung"), std::string::npos);
  EXPECT_NE(e.summary.find("Schriftliche Aufgabe 26/0042"), std::string::npos);
}

TEST(Invitation, StatusChangesMapToActions) {
  EXPECT_EQ(ActionFor("INVITED"), InvitationAction::kOpen);
  EXPECT_EQ(ActionFor("WITHDRAWN"), InvitationAction::kCancel);
  EXPECT_EQ(ActionFor("REJECTED"), InvitationAction::kCancel);
  EXPECT_EQ(ActionFor("INTERVIEWED"), InvitationAction::kClose);
  EXPECT_EQ(ActionFor(""), InvitationAction::kNone);
}

}  // namespace
}  // namespace stellenwerk::scheduling
