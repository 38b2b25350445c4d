// CONTRACT.md's `GET /v1/me/bookings` and `POST /v1/me/bookings` through the gateway, in front
// of real postings, applications and scheduling services: HR plans a day over REST, the invited
// applicant sees its slots, books one (Idempotency-Key replays), lists their bookings and
// fetches the calendar text.
#include "absl/strings/str_cat.h"
#include "common/ids/uuid.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "services/applications/tests/applications_testing.h"
#include "services/gateway/tests/gateway_testing.h"
#include "services/scheduling/tests/scheduling_testing.h"

namespace stellenwerk::applications {
namespace {

using gateway::Gateway;
using gateway::HttpAnswer;
using gateway::HttpClient;
using nlohmann::json;

class GatewayBookingsTest : public ApplicationsServiceTest {
 protected:
  static void SetUpTestSuite() {
    StartServices(false);
    if (postings_ == nullptr) return;
    scheduling_ = &scheduling::StartScheduling(harness());
    auto config = gateway::TestGatewayConfig({{"postings", postings_->address()},
                                              {"applications", apps_->address()},
                                              {"scheduling", scheduling_->address()}},
                                             infra().redis_addr, infra().jwt_secret);
    gateway_ = std::make_unique<Gateway>(config);
    ASSERT_TRUE(gateway_->Start().ok());
  }
  static void TearDownTestSuite() {
    gateway_.reset();
    scheduling_ = nullptr;
    ApplicationsServiceTest::TearDownTestSuite();
  }
  void SetUp() override {
    ApplicationsServiceTest::SetUp();
    if (gateway_) http_ = std::make_unique<HttpClient>(gateway_->port());
  }
  static std::map<std::string, std::string> Bearer(const std::string& token) {
    return {{"Authorization", "Bearer " + token}};
  }
  static json Json(const HttpAnswer& a) { return json::parse(a.body, nullptr, false); }

  static inline scheduling::SchedulingUnderTest* scheduling_ = nullptr;
  static inline std::unique_ptr<Gateway> gateway_;
  std::unique_ptr<HttpClient> http_;
};

TEST_F(GatewayBookingsTest, TheInvitedApplicantBooksListsAndFetchesTheCalendarOverRest) {
  if (!gateway_) STW_SKIP("no test stack (run through scripts/test)");
  const std::string posting = OpenPosting();  // deadline 2024-10-20
  const v1::Application a = Apply(posting, applicant_);
  Move(a.id(), {v1::SCREENING, v1::SHORTLISTED, v1::INVITED});

  // HR plans the day over REST (once scheduling heard the posting closed).
  const json day_body = {{"requestId", ids::NewUuid()},
                         {"postingId", posting},
                         {"date", "2024-11-05"},
                         {"startTime", "2024-11-05T09:00:00+01:00"},
                         {"location", "Rathaus Herne"},
                         {"room", absl::StrCat("Raum ", ids::NewUuid().substr(0, 6))},
                         {"parts", {{{"kind", "INTERVIEW"}, {"length", "1800s"}, {"count", 2}}}}};
  HttpAnswer day;
  ASSERT_TRUE(stellenwerk::testing::WaitFor(
      [&] {
        day = http_->Request("POST", "/v1/selection-days", day_body.dump(), Bearer(hr_));
        return day.status == 200;
      },
      absl::Seconds(15), absl::Milliseconds(200)))
      << day.status << " " << day.body;
  // The applicant finds the day among their invitations (no id handed over), once the
  // invitation arrived.
  HttpAnswer invitations;
  ASSERT_TRUE(stellenwerk::testing::WaitFor(
      [&] {
        invitations = http_->Request("GET", "/v1/me/invitations", "", Bearer(applicant_));
        return invitations.status == 200 &&
               !Json(invitations).value("invitations", json::array()).empty();
      },
      absl::Seconds(15), absl::Milliseconds(200)))
      << invitations.status << " " << invitations.body;
  const json invitation = Json(invitations)["invitations"][0];
  EXPECT_EQ(invitation["applicationId"], a.id());
  EXPECT_EQ(invitation["postingId"], posting);
  EXPECT_EQ(invitation["selfBooking"], true);
  ASSERT_EQ(invitation["selectionDays"].size(), 1u);
  EXPECT_EQ(invitation["selectionDays"][0]["freeSlots"], 2);
  const std::string day_id = invitation["selectionDays"][0]["id"];
  EXPECT_EQ(day_id, Json(day)["id"]);

  // The applicant sees the slots and books the first one.
  HttpAnswer slots;
  HttpAnswer booked;
  const std::string key = ids::NewUuid();
  auto headers = Bearer(applicant_);
  headers["Idempotency-Key"] = key;
  json book;
  ASSERT_TRUE(stellenwerk::testing::WaitFor(
      [&] {
        slots = http_->Request("GET", "/v1/selection-days/" + day_id + "/slots", "",
                               Bearer(applicant_));
        if (slots.status != 200) return false;
        book = {{"slotId", Json(slots)["slots"][0]["id"]},
                {"applicationId", a.id()},
                {"mode", "IN_PERSON"}};
        booked = http_->Request("POST", "/v1/me/bookings", book.dump(), headers);
        return booked.status == 200;
      },
      absl::Seconds(15), absl::Milliseconds(200)))
      << booked.status << " " << booked.body;
  const json b = Json(booked);
  EXPECT_EQ(b["status"], "CONFIRMED");
  EXPECT_EQ(b["bookedBy"], "APPLICANT");
  // The same Idempotency-Key answers the same booking; the slot is then taken for others.
  HttpAnswer again = http_->Request("POST", "/v1/me/bookings", book.dump(), headers);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(Json(again)["id"], b["id"]);
  HttpAnswer taken = http_->Request("POST", "/v1/me/bookings", book.dump(), Bearer(applicant_));
  EXPECT_EQ(taken.status, 400) << taken.body;  // FAILED_PRECONDITION
  EXPECT_EQ(Json(taken).value("code", ""), "FAILED_PRECONDITION");

  HttpAnswer mine = http_->Request("GET", "/v1/me/bookings", "", Bearer(applicant_));
  ASSERT_EQ(mine.status, 200) << mine.body;
  ASSERT_EQ(Json(mine)["bookings"].size(), 1u);
  EXPECT_EQ(Json(mine)["bookings"][0]["id"], b["id"]);
  // Another applicant has none; without a token the route is refused at the edge.
  HttpAnswer others = http_->Request("GET", "/v1/me/bookings", "", Bearer(NewApplicant("andere")));
  ASSERT_EQ(others.status, 200);
  EXPECT_TRUE(Json(others).value("bookings", json::array()).empty());
  EXPECT_EQ(http_->Request("GET", "/v1/me/bookings").status, 401);

  HttpAnswer cal = http_->Request("GET", "/v1/bookings/" + std::string(b["id"]) + "/calendar", "",
                                  Bearer(applicant_));
  ASSERT_EQ(cal.status, 200) << cal.body;
  EXPECT_EQ(Json(cal)["method"], "REQUEST");
  EXPECT_NE(std::string(Json(cal)["ics"]).find("BEGIN:VCALENDAR"), std::string::npos);
  // The entry itself as text/calendar, readable by an independent parser.
  HttpAnswer ics = http_->Request("GET", "/v1/bookings/" + std::string(b["id"]) + "/calendar.ics",
                                  "", Bearer(applicant_));
  ASSERT_EQ(ics.status, 200) << ics.body;
  EXPECT_EQ(ics.header("content-type"), "text/calendar; charset=utf-8");
  std::string check;
  EXPECT_EQ(scheduling::CheckIcs(ics.body, {"method=REQUEST", "sequence=0"}, &check), 0)
      << check << ics.body;
  // HR sees the day's bookings.
  HttpAnswer day_bookings =
      http_->Request("GET", "/v1/selection-days/" + day_id + "/bookings", "", Bearer(hr_));
  ASSERT_EQ(day_bookings.status, 200) << day_bookings.body;
  EXPECT_EQ(Json(day_bookings)["bookings"].size(), 1u);
  // HR lists the posting's invitations and books for this applicant from now on.
  HttpAnswer posting_invitations =
      http_->Request("GET", "/v1/postings/" + posting + "/invitations", "", Bearer(hr_));
  ASSERT_EQ(posting_invitations.status, 200) << posting_invitations.body;
  ASSERT_EQ(Json(posting_invitations)["invitations"].size(), 1u);
  EXPECT_EQ(Json(posting_invitations)["invitations"][0]["booking"]["id"], b["id"]);
  const json hr_books = {{"requestId", ids::NewUuid()}, {"selfBooking", false}};
  HttpAnswer updated =
      http_->Request("PATCH", "/v1/invitations/" + a.id(), hr_books.dump(), Bearer(hr_));
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(Json(updated).value("selfBooking", true), false);
  EXPECT_EQ(
      http_->Request("PATCH", "/v1/invitations/" + a.id(), hr_books.dump(), Bearer(applicant_))
          .status,
      403);
}

}  // namespace
}  // namespace stellenwerk::applications
