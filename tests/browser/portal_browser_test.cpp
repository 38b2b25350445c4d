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
// Moving and accommodations: the applicant moves the video booking to another slot of the day
// by keyboard (a rival applicant takes the slot first chosen meanwhile: refused in German,
// the free slots offered anew), books the written task of a second day with extra time and a
// barrier-free room (SGB IX), and a third applicant, booked by HR, is refused a move because
// HR left their invitation to HR meanwhile; their booking on a day HR books alone offers no
// move at all. "Meine Termine" lists the invitations (ListInvitations) with the posting's three
// days; the second day is chosen there, the first by its Kennung (the fallback).
#include <sys/wait.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <pqxx/pqxx>
#include <string>
#include <tuple>
#include <vector>

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
  // Two more applicants to that posting: a rival who takes a slot while the browser's
  // applicant is choosing one to move to, and one whom HR books (and, during the browser's
  // run, takes self-booking from).
  const std::string rival_sub = testing::UniqueName("rival");
  const std::string rival = harness().Token("portal", {"applicant"}, rival_sub);
  const std::string hr_booked_sub = testing::UniqueName("hrbucht");
  const std::string hr_booked = harness().Token("portal", {"applicant"}, hr_booked_sub);
  auto submit_to_invite_posting = [&](const std::string& token, av1::Application* out) {
    return testing::WaitFor(
        [&] {
          // Submitting succeeds once applications holds the posting's snapshot.
          av1::SubmitApplicationRequest submit =
              applications::SubmissionFor(*app_stub, invite_posting.id(), token, absl::Now());
          return app_stub->SubmitApplication(testing::CallContext(token).get(), submit, out).ok();
        },
        absl::Seconds(15));
  };
  av1::Application invited, rival_application, hr_booked_application;
  ASSERT_TRUE(submit_to_invite_posting(applicant, &invited));
  ASSERT_TRUE(submit_to_invite_posting(rival, &rival_application));
  ASSERT_TRUE(submit_to_invite_posting(hr_booked, &hr_booked_application));
  {
    pv1::ClosePostingRequest close;
    close.set_id(invite_posting.id());
    pv1::Posting closed;
    grpc::Status s = posting_stub->ClosePosting(testing::CallContext(clerk).get(), close, &closed);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  // The end of the application period moves it to SCREENING (DOMAIN.md); HR goes on by hand.
  for (const av1::Application* app : {&invited, &rival_application, &hr_booked_application}) {
    ASSERT_TRUE(testing::WaitFor(
        [&] {
          av1::GetApplicationRequest get;
          get.set_id(app->id());
          av1::Application a;
          return app_stub->GetApplication(testing::CallContext(clerk).get(), get, &a).ok() &&
                 a.status() == av1::SCREENING;
        },
        absl::Seconds(15)));
    for (av1::ApplicationStatus target : {av1::SHORTLISTED, av1::INVITED}) {
      av1::ChangeStatusRequest change;
      change.set_id(app->id());
      change.set_target(target);
      av1::Application out;
      grpc::Status s = app_stub->ChangeStatus(testing::CallContext(clerk).get(), change, &out);
      ASSERT_TRUE(s.ok()) << av1::ApplicationStatus_Name(target) << ": " << s.error_message();
    }
    // Scheduling learns of the invitation by applications' event: wait until its invitation
    // row says INVITED, so that the browser's booking does not race the broker.
    ASSERT_TRUE(testing::WaitFor(
        [&] {
          pqxx::connection c(infra.pg_uri);
          pqxx::work tx(c);
          auto rows = tx.exec_params("SELECT status FROM " + tx.quote_name(scheduling_->schema()) +
                                         ".invitations WHERE application_id::text = $1",
                                     app->id());
          return !rows.empty() && rows[0][0].as<std::string>() == "INVITED";
        },
        absl::Seconds(15)));
  }
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
  // Wednesday 3 July 2030 in a barrier-free room: a written task of 60 minutes at 09:00, a
  // break of 60 minutes, two interviews from 11:00 — room for at most 60 extra minutes.
  sv1::CreateSelectionDayRequest written_request =
      scheduling::DayRequest(invite_posting.id(), "2030-07-03", "2030-07-03T09:00:00+02:00", 2);
  written_request.set_barrier_free_room(true);
  written_request.clear_parts();
  for (auto [kind, minutes, count] :
       {std::tuple{sv1::WRITTEN_TASK, 60, 1}, std::tuple{sv1::BREAK, 60, 1},
        std::tuple{sv1::INTERVIEW, 30, 2}}) {
    sv1::Part* part = written_request.add_parts();
    part->set_kind(kind);
    part->mutable_length()->set_seconds(minutes * 60);
    part->set_count(count);
  }
  sv1::SelectionDay written_day;
  grpc::Status day_status = scheduling_stub->CreateSelectionDay(testing::CallContext(clerk).get(),
                                                                written_request, &written_day);
  ASSERT_TRUE(day_status.ok()) << day_status.error_message();
  ASSERT_EQ(written_day.slot_count(), 3);
  // Thursday 4 July 2030, a day HR books alone.
  sv1::CreateSelectionDayRequest hr_request =
      scheduling::DayRequest(invite_posting.id(), "2030-07-04", "2030-07-04T09:00:00+02:00", 2);
  hr_request.set_hr_books_only(true);
  sv1::SelectionDay hr_day;
  day_status =
      scheduling_stub->CreateSelectionDay(testing::CallContext(clerk).get(), hr_request, &hr_day);
  ASSERT_TRUE(day_status.ok()) << day_status.error_message();
  // HR books the third applicant: the first interview of the written-task day (11:00) and the
  // first slot of the HR day.
  auto slots_of = [&](const std::string& day_id) {
    sv1::ListSlotsRequest r;
    r.set_selection_day_id(day_id);
    sv1::ListSlotsResponse out;
    grpc::Status s = scheduling_stub->ListSlots(testing::CallContext(clerk).get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  };
  const sv1::ListSlotsResponse written_slots = slots_of(written_day.id());
  const sv1::ListSlotsResponse hr_slots = slots_of(hr_day.id());
  ASSERT_EQ(written_slots.slots_size(), 3);
  ASSERT_EQ(hr_slots.slots_size(), 2);
  std::vector<std::string> hr_booking_ids;
  for (const std::string& slot_id : {written_slots.slots(1).id(), hr_slots.slots(0).id()}) {
    sv1::BookSlotRequest book;
    book.set_request_id(testing::UniqueName("hr-book"));
    book.set_slot_id(slot_id);
    book.set_application_id(hr_booked_application.id());
    book.set_mode(sv1::IN_PERSON);
    sv1::Booking b;
    grpc::Status s = scheduling_stub->BookSlot(testing::CallContext(clerk).get(), book, &b);
    ASSERT_TRUE(s.ok()) << s.error_message();
    hr_booking_ids.push_back(b.id());
  }

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
      " WRITTEN_DAY_ID=" + written_day.id() + " RIVAL_SUB=" + rival_sub +
      " HR_BOOKED_SUB=" + hr_booked_sub +
      " HR_BOOKED_APPLICATION_ID=" + hr_booked_application.id() + " HR_TOKEN=" + clerk +
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

  // Scheduling holds what the browser did: the applicant's first booking cancelled, the
  // second (by video) moved from 09:00 to 10:00 (SEQUENCE 1), the written task of 3 July with
  // 30 extra minutes in a barrier-free room; the rival holds 09:30; the bookings HR made for
  // the applicant without self-booking are unchanged (their move was refused).
  ASSERT_TRUE(result.contains("bookingId"));
  ASSERT_TRUE(result.contains("writtenBookingId"));
  sv1::ListBookingsRequest list;
  list.set_posting_id(invite_posting.id());
  list.set_include_cancelled(true);
  sv1::ListBookingsResponse bookings;
  s = scheduling_stub->ListBookings(testing::CallContext(clerk).get(), list, &bookings);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(bookings.bookings_size(), 6);
  const auto berlin = [](int day, int hour, int minute) {
    return absl::FromCivil(absl::CivilSecond(2030, 7, day, hour, minute, 0), calendar::Berlin());
  };
  const auto start_of = [](const sv1::Booking& b) {
    return absl::FromUnixSeconds(b.start_time().seconds());
  };
  const auto end_of = [](const sv1::Booking& b) {
    return absl::FromUnixSeconds(b.end_time().seconds());
  };
  int cancelled = 0, video = 0, written = 0, rivals = 0, by_hr = 0;
  for (const sv1::Booking& b : bookings.bookings()) {
    if (b.application_id() == rival_application.id()) {
      ++rivals;
      EXPECT_EQ(b.status(), sv1::CONFIRMED);
      EXPECT_EQ(start_of(b), berlin(2, 9, 30));
      continue;
    }
    if (b.application_id() == hr_booked_application.id()) {
      ++by_hr;
      EXPECT_EQ(b.booked_by(), "HR");
      EXPECT_EQ(b.status(), sv1::CONFIRMED);
      EXPECT_EQ(b.sequence(), 0) << "the refused move changed nothing";
      EXPECT_TRUE(b.id() == hr_booking_ids[0] || b.id() == hr_booking_ids[1]) << b.id();
      if (b.id() == hr_booking_ids[0]) EXPECT_EQ(start_of(b), berlin(3, 11, 0));
      continue;
    }
    EXPECT_EQ(b.application_id(), invited.id());
    EXPECT_EQ(b.booked_by(), "APPLICANT");
    if (b.status() == sv1::CANCELLED) {
      ++cancelled;
      EXPECT_EQ(b.mode(), sv1::IN_PERSON);
    } else if (b.selection_day_id() == day.id()) {
      ++video;
      EXPECT_EQ(b.id(), result["bookingId"].get<std::string>());
      EXPECT_EQ(b.mode(), sv1::VIDEO);
      EXPECT_EQ(start_of(b), berlin(2, 10, 0));
      EXPECT_EQ(b.sequence(), 1);
    } else {
      ++written;
      EXPECT_EQ(b.id(), result["writtenBookingId"].get<std::string>());
      EXPECT_EQ(b.selection_day_id(), written_day.id());
      EXPECT_EQ(start_of(b), berlin(3, 9, 0));
      EXPECT_EQ(end_of(b), berlin(3, 10, 30));
      EXPECT_EQ(b.accommodations().extra_written_minutes(), 30);
      EXPECT_TRUE(b.accommodations().barrier_free_room());
    }
  }
  EXPECT_EQ(cancelled, 1);
  EXPECT_EQ(video, 1);
  EXPECT_EQ(written, 1);
  EXPECT_EQ(rivals, 1);
  EXPECT_EQ(by_hr, 2);
  // The browser's HR step (UpdateInvitation) left that invitation to HR; the others book
  // themselves still.
  sv1::ListInvitationsRequest invitations_request;
  invitations_request.set_posting_id(invite_posting.id());
  sv1::ListInvitationsResponse invitations;
  s = scheduling_stub->ListInvitations(testing::CallContext(clerk).get(), invitations_request,
                                       &invitations);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(invitations.invitations_size(), 3);
  for (const sv1::Invitation& i : invitations.invitations()) {
    EXPECT_EQ(i.self_booking(), i.application_id() != hr_booked_application.id())
        << i.application_id();
  }
  EXPECT_EQ(gateway.Terminate(10000), 0);
}

}  // namespace
}  // namespace stellenwerk
