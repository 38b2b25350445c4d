// The invitation path end to end, as in production: postings publishes and closes a posting,
// applications invites an application (its status event), scheduling opens the invitation the
// applicant books from the portal; the applicant withdraws and the booking is cancelled. Four
// services in process, talking only through RabbitMQ.
#include "absl/strings/str_cat.h"
#include "common/ids/uuid.h"
#include "gtest/gtest.h"
#include "services/applications/tests/applications_testing.h"
#include "services/scheduling/tests/scheduling_testing.h"

namespace stellenwerk::scheduling {
namespace {

namespace av1 = ::stellenwerk::applications::v1;

class InvitationE2eTest : public applications::ApplicationsServiceTest {
 protected:
  static void SetUpTestSuite() {
    StartServices(false);
    if (postings_ == nullptr) return;
    scheduling_ = &StartScheduling(harness());
    scheduling_stub_ = scheduling_->Stub<v1::SchedulingService>();
  }
  static void TearDownTestSuite() {
    scheduling_stub_.reset();
    scheduling_ = nullptr;
    ApplicationsServiceTest::TearDownTestSuite();
  }

  static inline SchedulingUnderTest* scheduling_ = nullptr;
  static inline std::unique_ptr<v1::SchedulingService::Stub> scheduling_stub_;
};

TEST_F(InvitationE2eTest, AnInvitedApplicantBooksFromThePortalAndAWithdrawalCancels) {
  const std::string posting = OpenPosting();  // deadline 2024-10-20
  const av1::Application a = Apply(posting, applicant_);
  Move(a.id(), {av1::SCREENING, av1::SHORTLISTED, av1::INVITED});

  // Tuesday 5 November 2024 (after Allerheiligen), once scheduling heard of the closed posting.
  v1::CreateSelectionDayRequest day_request =
      DayRequest(posting, "2024-11-05", "2024-11-05T09:00:00+01:00", 3, ids::NewUuid());
  v1::SelectionDay day;
  ASSERT_TRUE(stellenwerk::testing::WaitFor(
      [&] { return scheduling_stub_->CreateSelectionDay(Ctx(hr_).get(), day_request, &day).ok(); },
      absl::Seconds(15)));
  v1::ListSlotsRequest list;
  list.set_selection_day_id(day.id());
  v1::ListSlotsResponse slots;

  // The applicant (a portal token, no employer) sees the day's slots and books one once the
  // INVITED status has arrived.
  v1::BookSlotRequest book;
  book.set_request_id(ids::NewUuid());
  book.set_application_id(a.id());
  book.set_mode(v1::IN_PERSON);
  v1::Booking booking;
  grpc::Status last;
  ASSERT_TRUE(stellenwerk::testing::WaitFor(
      [&] {
        if (!scheduling_stub_->ListSlots(Ctx(applicant_).get(), list, &slots).ok()) return false;
        book.set_slot_id(slots.slots(0).id());
        last = scheduling_stub_->BookSlot(Ctx(applicant_).get(), book, &booking);
        return last.ok();
      },
      absl::Seconds(15)))
      << last.error_message();
  EXPECT_EQ(booking.tenant_id(), tenant_);
  EXPECT_EQ(booking.booked_by(), "APPLICANT");
  // Another applicant does not see this one's day.
  EXPECT_EQ(
      scheduling_stub_->ListSlots(Ctx(NewApplicant("andere")).get(), list, &slots).error_code(),
      grpc::StatusCode::NOT_FOUND);

  // The applicant withdraws at applications; scheduling cancels the booking by itself.
  av1::WithdrawApplicationRequest withdraw;
  withdraw.set_id(a.id());
  withdraw.set_request_id(ids::NewUuid());
  withdraw.set_reason("andere Stelle angetreten");
  av1::Application withdrawn;
  ASSERT_TRUE(stub_->WithdrawApplication(Ctx(applicant_).get(), withdraw, &withdrawn).ok());
  v1::ListBookingsRequest mine;
  mine.set_include_cancelled(true);
  v1::ListBookingsResponse page;
  EXPECT_TRUE(stellenwerk::testing::WaitFor(
      [&] {
        return scheduling_stub_->ListBookings(Ctx(applicant_).get(), mine, &page).ok() &&
               page.bookings_size() == 1 && page.bookings(0).status() == v1::CANCELLED;
      },
      absl::Seconds(15)));
  EXPECT_EQ(page.bookings(0).cancel_reason(), "Bewerbung zurückgezogen");
}

}  // namespace
}  // namespace stellenwerk::scheduling
