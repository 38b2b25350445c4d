// The reference career portal end to end in headless Chromium (ADR 0030): postings,
// applications and notifications of the harness, the gateway binary in front of them (its own
// port), two postings published by a clerk (one anonymised, ADR 0033), then portal.spec.mjs
// searches, reads, applies with a PDF, follows the application, finds the acknowledgment in
// the inbox and applies to the anonymised posting with its two texts — every page scanned by
// axe-core. The service side is checked afterwards: both applications exist for the applicant
// who signed in, with the PDF the browser uploaded and the anonymised texts.
// Bookings (issue 15): the scheduling service runs too; a third posting of the clerk has an
// application of the same applicant that HR moved to INVITED and a selection day in July 2030
// (the browser is in New York, the times are shown in Berlin time). In "Meine Termine" the
// applicant opens the day by its Kennung, books a slot by keyboard, downloads the calendar
// entry, cancels and books another slot by video; scheduling holds that booking afterwards.
#include <sys/wait.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <pqxx/pqxx>
#include <string>

#include "common/testing/harness.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "services/applications/tests/applications_testing.h"
#include "services/notifications/tests/notifications_testing.h"
#include "services/postings/tests/postings_testing.h"
#include "services/scheduling/tests/scheduling_testing.h"

namespace stellenwerk {
namespace {

namespace av1 = stellenwerk::applications::v1;
namespace pv1 = stellenwerk::postings::v1;
namespace sv1 = stellenwerk::scheduling::v1;

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

class PortalBrowserTest : public testing::ServiceTest {
 protected:
  static void SetUpTestSuite() {
    // Real time: the browser compares the deadline with its own clock.
    if (testing::Harness* h = NewHarness(absl::Now())) {
      postings_ = &postings::StartPostings(*h);
      apps_ = &applications::StartApplications(*h, postings_);
      notifications_ = &notifications::StartNotifications(*h);
      scheduling_ = &scheduling::StartScheduling(*h);
    }
  }
  static void TearDownTestSuite() {
    postings_ = nullptr;
    apps_ = nullptr;
    notifications_ = nullptr;
    scheduling_ = nullptr;
    ServiceTest::TearDownTestSuite();
  }
  static inline testing::ServiceUnderTest* postings_ = nullptr;
  static inline testing::ServiceUnderTest* apps_ = nullptr;
  static inline testing::ServiceUnderTest* notifications_ = nullptr;
  static inline testing::ServiceUnderTest* scheduling_ = nullptr;
};

TEST_F(PortalBrowserTest, FindReadApplyAndFollowInTheBrowser) {
  const testing::TestInfra& infra = harness().infra();
  const std::string gateway_bin = infra.build_dir + "/services/gateway/stellenwerk-gateway";
  ASSERT_TRUE(std::filesystem::exists(gateway_bin)) << gateway_bin;
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/chromium"))
      << "Debian's chromium is missing (scripts/lib/infra.sh installs it)";
  ASSERT_TRUE(
      std::filesystem::exists(std::string(STW_BROWSER_DIR) + "/node_modules/playwright-core"))
      << "run npm ci in tests/browser (scripts/test does)";

  // A published posting of the clerk's tenant, open until 2030-06-30.
  const std::string tenant = testing::UniqueName("stadt-herne");
  const std::string clerk = harness().Token(tenant, {"hr_clerk"}, "clerk");
  pv1::Posting draft = postings::HernePosting();
  draft.set_application_deadline("2030-06-30");
  // A word no other posting has, for the browser to search by.
  std::string word = "Los";
  for (char c : testing::UniqueName("")) {
    if (std::isalnum(static_cast<unsigned char>(c))) word += c;
  }
  draft.set_title("Sachbearbeiter*in Bürgerdienste " + word);
  auto posting_stub = postings_->Stub<pv1::PostingService>();
  const pv1::Posting posting = postings::PublishedPosting(*posting_stub, clerk, draft);
  ASSERT_FALSE(posting.id().empty());
  // An anonymised posting of the same tenant (the browser opens it by its id).
  pv1::Posting anon_draft = postings::HernePosting();
  anon_draft.set_application_deadline("2030-06-30");
  anon_draft.set_anonymised(true);
  anon_draft.set_title(
      "Sachbearbeiter*in Personal (anonymisiertes Verfahren)");  // not found by `word`
  const pv1::Posting anonymised = postings::PublishedPosting(*posting_stub, clerk, anon_draft);
  ASSERT_FALSE(anonymised.id().empty());
  ASSERT_TRUE(anonymised.anonymised());
  // The search replica follows the posting events: wait until it finds the posting.
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        pv1::SearchPostingsRequest r;
        r.set_query(word);
        r.set_open_only(true);
        pv1::SearchPostingsResponse out;
        return posting_stub->SearchPostings(testing::CallContext("").get(), r, &out).ok() &&
               out.hits_size() == 1;
      },
      absl::Seconds(15)));

  // Bookings: a third posting; the applicant (the subject the browser signs in as) applied to
  // it, the application period ended and HR invited them; a selection day after the deadline.
  const std::string sub = testing::UniqueName("erika");
  const std::string applicant = harness().Token("portal", {"applicant"}, sub);
  auto app_stub = apps_->Stub<av1::ApplicationService>();
  pv1::Posting invite_draft = postings::HernePosting();
  invite_draft.set_application_deadline("2030-06-30");
  invite_draft.set_title("Sachbearbeiter*in Standesamt");
  const pv1::Posting invite_posting =
      postings::PublishedPosting(*posting_stub, clerk, invite_draft);
  ASSERT_FALSE(invite_posting.id().empty());
  av1::Application invited;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        // Submitting succeeds once applications holds the posting's snapshot.
        av1::SubmitApplicationRequest submit =
            applications::SubmissionFor(*app_stub, invite_posting.id(), applicant, absl::Now());
        return app_stub->SubmitApplication(testing::CallContext(applicant).get(), submit, &invited)
            .ok();
      },
      absl::Seconds(15)));
  {
    pv1::ClosePostingRequest close;
    close.set_id(invite_posting.id());
    pv1::Posting closed;
    grpc::Status s = posting_stub->ClosePosting(testing::CallContext(clerk).get(), close, &closed);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  // The end of the application period moves it to SCREENING (DOMAIN.md); HR goes on by hand.
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        av1::GetApplicationRequest get;
        get.set_id(invited.id());
        av1::Application a;
        return app_stub->GetApplication(testing::CallContext(clerk).get(), get, &a).ok() &&
               a.status() == av1::SCREENING;
      },
      absl::Seconds(15)));
  for (av1::ApplicationStatus target : {av1::SHORTLISTED, av1::INVITED}) {
    av1::ChangeStatusRequest change;
    change.set_id(invited.id());
    change.set_target(target);
    av1::Application out;
    grpc::Status s = app_stub->ChangeStatus(testing::CallContext(clerk).get(), change, &out);
    ASSERT_TRUE(s.ok()) << av1::ApplicationStatus_Name(target) << ": " << s.error_message();
  }
  // Scheduling learns of the invitation by applications' event: wait until its invitation row
  // says INVITED, so that the browser's booking does not race the broker.
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        pqxx::connection c(infra.pg_uri);
        pqxx::work tx(c);
        auto rows = tx.exec_params("SELECT status FROM " + tx.quote_name(scheduling_->schema()) +
                                       ".invitations WHERE application_id::text = $1",
                                   invited.id());
        return !rows.empty() && rows[0][0].as<std::string>() == "INVITED";
      },
      absl::Seconds(15)));
  // Tuesday 2 July 2030 (summer time, +02:00), three interviews from 09:00.
  auto scheduling_stub = scheduling_->Stub<sv1::SchedulingService>();
  const sv1::CreateSelectionDayRequest day_request =
      scheduling::DayRequest(invite_posting.id(), "2030-07-02", "2030-07-02T09:00:00+02:00", 3);
  sv1::SelectionDay day;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        return scheduling_stub
            ->CreateSelectionDay(testing::CallContext(clerk).get(), day_request, &day)
            .ok();
      },
      absl::Seconds(15)));
  ASSERT_EQ(day.slot_count(), 3);

  // The gateway as a process on a port of its own, serving the portal from the source tree.
  const int http_port = testing::FreePort();
  std::map<std::string, std::string> env = {
      {"PATH", "/usr/bin:/bin"},
      {"STELLENWERK_HTTP_PORT", std::to_string(http_port)},
      {"STELLENWERK_POSTINGS_ADDR", "127.0.0.1:" + std::to_string(postings_->port())},
      {"STELLENWERK_APPLICATIONS_ADDR", "127.0.0.1:" + std::to_string(apps_->port())},
      {"STELLENWERK_NOTIFICATIONS_ADDR", "127.0.0.1:" + std::to_string(notifications_->port())},
      {"STELLENWERK_SCHEDULING_ADDR", "127.0.0.1:" + std::to_string(scheduling_->port())},
      {"STELLENWERK_REDIS_ADDR", infra.redis_addr},
      {"STELLENWERK_JWT_HS256_SECRET", infra.jwt_secret},
      {"STELLENWERK_GATEWAY_DEV_SIGNIN", "1"},
      {"STELLENWERK_PORTAL_DIR", std::string(STW_PORTAL_DIR)},
      {"STELLENWERK_LOG_LEVEL", "warn"},
  };
  testing::ChildProcess gateway(gateway_bin, env, infra.build_dir + "/portal_browser_gateway.log");

  const std::string shots = infra.build_dir + "/tests/browser/screenshots";
  const std::string cmd =
      "cd " + std::string(STW_BROWSER_DIR) +
      " && PORTAL_URL=http://127.0.0.1:" + std::to_string(http_port) +
      " POSTING_ID=" + posting.id() + " POSTING_TITLE=" + Quote(posting.title()) +
      " SEARCH_QUERY=" + word + " KENNZIFFER=" + posting.kennziffer() +
      " ANON_POSTING_ID=" + anonymised.id() + " ANON_KENNZIFFER=" + Quote(anonymised.kennziffer()) +
      " DAY_ID=" + day.id() + " INVITE_KENNZIFFER=" + Quote(invite_posting.kennziffer()) +
      " DAY_ROOM=" + Quote(day_request.room()) + " VIDEO_URL=" + Quote(day_request.video_url()) +
      " APPLICANT_SUB=" + sub + " SCREENSHOT_DIR=" + shots + " node portal.spec.mjs 2>&1";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = pclose(p);
  std::printf("%s", out.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "portal.spec.mjs failed (screenshots in " << shots << ")";

  // What the browser did reached the service: one application of that applicant, with the PDF.
  const size_t at = out.rfind("RESULT ");
  ASSERT_NE(at, std::string::npos);
  nlohmann::json result = nlohmann::json::parse(out.substr(at + 7), nullptr, false);
  ASSERT_FALSE(result.is_discarded());
  ASSERT_TRUE(result.contains("applicationId"));
  av1::GetApplicationRequest get;
  get.set_id(result["applicationId"].get<std::string>());
  av1::Application a;
  grpc::Status s = app_stub->GetApplication(testing::CallContext(applicant).get(), get, &a);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(a.posting_id(), posting.id());
  EXPECT_EQ(a.applicant().family_name(), "Mustermann");
  EXPECT_TRUE(a.severely_disabled());
  EXPECT_FALSE(a.consent().version().empty());
  ASSERT_EQ(a.documents_size(), 1);
  EXPECT_EQ(a.documents(0).detected_type(), "application/pdf");
  EXPECT_EQ(a.documents(0).kind(), av1::CV);
  EXPECT_EQ(a.documents(0).size_bytes(), 2000);

  // The application to the anonymised posting carries the two texts the form asked for.
  ASSERT_TRUE(result.contains("anonymisedApplicationId"));
  get.set_id(result["anonymisedApplicationId"].get<std::string>());
  av1::Application anon;
  s = app_stub->GetApplication(testing::CallContext(applicant).get(), get, &anon);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(anon.posting_id(), anonymised.id());
  EXPECT_NE(anon.anonymised_motivation().find("Bürgerdienste"), std::string::npos)
      << anon.anonymised_motivation();
  EXPECT_NE(anon.anonymised_qualification().find("Verwaltungsfachangestellte"), std::string::npos)
      << anon.anonymised_qualification();

  // Scheduling holds what the browser booked: the first booking cancelled by the applicant,
  // the second confirmed, by video, for the invited application.
  ASSERT_TRUE(result.contains("bookingId"));
  sv1::ListBookingsRequest list;
  list.set_posting_id(invite_posting.id());
  list.set_include_cancelled(true);
  sv1::ListBookingsResponse bookings;
  s = scheduling_stub->ListBookings(testing::CallContext(clerk).get(), list, &bookings);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(bookings.bookings_size(), 2);
  int confirmed = 0;
  for (const sv1::Booking& b : bookings.bookings()) {
    EXPECT_EQ(b.application_id(), invited.id());
    EXPECT_EQ(b.booked_by(), "APPLICANT");
    if (b.status() == sv1::CONFIRMED) {
      ++confirmed;
      EXPECT_EQ(b.id(), result["bookingId"].get<std::string>());
      EXPECT_EQ(b.mode(), sv1::VIDEO);
      EXPECT_EQ(absl::FromUnixSeconds(b.start_time().seconds()),
                absl::FromCivil(absl::CivilSecond(2030, 7, 2, 9, 0, 0), calendar::Berlin()));
    } else {
      EXPECT_EQ(b.status(), sv1::CANCELLED);
      EXPECT_EQ(b.mode(), sv1::IN_PERSON);
    }
  }
  EXPECT_EQ(confirmed, 1);
  EXPECT_EQ(gateway.Terminate(10000), 0);
}

}  // namespace
}  // namespace stellenwerk
