// A booking made in scheduling reaches the applicant as a mail with the calendar entry
// attached: scheduling and notifications in process, talking only through RabbitMQ, the mail
// read from the SMTP sink and parsed with Python's email package (tests/tools/check_mail.py).
#include "absl/strings/str_cat.h"
#include "common/ids/uuid.h"
#include "common/testing/events.h"
#include "gtest/gtest.h"
#include "services/notifications/tests/notifications_testing.h"
#include "services/scheduling/tests/scheduling_testing.h"

namespace stellenwerk::scheduling {
namespace {

class BookingMailE2eTest : public SchedulingServiceTest {
 protected:
  static void SetUpTestSuite() {
    if (stellenwerk::testing::Harness* h = NewHarness(kSchedulingStart)) {
      scheduling_ = &StartScheduling(*h);
      stub_ = scheduling_->Stub<v1::SchedulingService>();
      notifications_ = &notifications::StartNotifications(*h);
    }
  }
  static void TearDownTestSuite() {
    notifications_ = nullptr;
    SchedulingServiceTest::TearDownTestSuite();
  }
  static inline notifications::NotificationsUnderTest* notifications_ = nullptr;
};

TEST_F(BookingMailE2eTest, ABookingMailsTheApplicantTheCalendarEntrySchedulingMade) {
  const std::string posting = Posting("CLOSED");
  const std::string email = absl::StrCat("termin-", ids::NewUuid().substr(0, 8), "@example.de");
  // What notifications knows of the applicant comes with the submission.
  events::v1::ApplicationSubmitted submitted = notifications::SubmittedEvent(email, "26/0042");
  submitted.set_posting_id(posting);
  submitted.set_applicant_sub("sub-mail");
  stellenwerk::testing::PublishToExchange(
      harness().infra(), {stellenwerk::testing::WireMessage(submitted, tenant_, kSchedulingStart)});
  ChangeStatus(submitted.application_id(), posting, "sub-mail", "INVITED");
  const v1::SelectionDay day =
      Day(DayRequest(posting, "2026-03-10", "2026-03-10T09:00:00+01:00", 2));
  const auto slots = Slots(day.id());
  v1::Booking booking;
  ASSERT_TRUE(
      Book(ApplicantToken("sub-mail"), slots[0].id(), submitted.application_id(), &booking).ok());

  // Among the applicant's mails (acknowledgment, invitation, …) the booking's, with the ICS.
  std::string out;
  ASSERT_TRUE(stellenwerk::testing::WaitFor(
      [&] {
        for (const auto& m : notifications::MessagesTo(harness().infra().smtp_dir, email)) {
          out.clear();
          if (notifications::CheckMail(
                  m.eml_path,
                  {"calendar", absl::StrCat("ics~UID:", booking.ics_uid()), "ics~SEQUENCE:0",
                   "ics~TZID=Europe/Berlin", "subject~Kennziffer 26/0042",
                   "body~Dienstag, 10. März 2026, 09:00 Uhr"},
                  &out) == 0) {
            return true;
          }
        }
        return false;
      },
      absl::Seconds(30), absl::Milliseconds(500)))
      << "no booking mail with the calendar entry; last check: " << out;
  // The day was planned after the invitation: the applicant was told it is there, where and
  // when, and where to choose the appointment (no calendar entry yet).
  ASSERT_TRUE(stellenwerk::testing::WaitFor(
      [&] {
        for (const auto& m : notifications::MessagesTo(harness().infra().smtp_dir, email)) {
          out.clear();
          if (notifications::CheckMail(
                  m.eml_path,
                  {"subject~Auswahltermin geplant – Kennziffer 26/0042",
                   "body~Beginn: Dienstag, 10. März 2026, 09:00 Uhr", "body~Meine Termine"},
                  &out) == 0) {
            return true;
          }
        }
        return false;
      },
      absl::Seconds(30), absl::Milliseconds(500)))
      << "no mail offering the planned day; last check: " << out;
}

}  // namespace
}  // namespace stellenwerk::scheduling
