// Notifications end to end: postings, applications, coordination and notifications in
// process, talking through RabbitMQ; mail goes over SMTP (STARTTLS, AUTH) to the test stack's
// sink and is read back from its .eml files and parsed by Python's `email` package.
#include <map>
#include <string>

#include "common/ids/uuid.h"
#include "common/outbox/events.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "services/applications/tests/applications_testing.h"
#include "services/coordination/tests/coordination_testing.h"
#include "services/notifications/tests/notifications_testing.h"
#include "stellenwerk/events/v1/scheduling.pb.h"

namespace stellenwerk::notifications {
namespace {

using applications::ApplicationsServiceTest;
using stellenwerk::testing::CallContext;
using stellenwerk::testing::WaitFor;

class NotificationsE2eTest : public ApplicationsServiceTest {
 protected:
  static void SetUpTestSuite() {
    StartServices(/*with_coordination=*/true);
    if (!harness().ok() || apps_ == nullptr) return;
    notifications_ = &StartNotifications(harness());
    notify_stub_ = notifications_->Stub<v1::NotificationService>();
  }
  static void TearDownTestSuite() {
    notify_stub_.reset();
    notifications_ = nullptr;
    ApplicationsServiceTest::TearDownTestSuite();
  }
  void SetUp() override {
    ApplicationsServiceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    admin_ = harness().Token(tenant_, {"admin"}, "admin-1");
  }

  static std::string UniqueAddress(const std::string& local) {
    return absl::StrCat(local, "-", ids::NewUuid().substr(0, 8), "@example.de");
  }

  v1::TenantSettings Configure(const std::string& tenant, const std::string& admin_token,
                               const std::function<void(v1::TenantSettings&)>& adjust) {
    v1::SetTenantSettingsRequest r;
    r.set_request_id(ids::NewUuid());
    r.mutable_settings()->set_sender_address("bewerbung@herne.example.de");
    r.mutable_settings()->set_sender_name("Stadt Herne – Fachbereich Personal");
    r.mutable_settings()->set_signature("Ihr Team Personalgewinnung\nStadt Herne");
    adjust(*r.mutable_settings());
    v1::TenantSettings out;
    grpc::Status s = notify_stub_->SetTenantSettings(CallContext(admin_token).get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  std::vector<v1::Delivery> Deliveries(v1::DeliveryStatus status) {
    v1::ListDeliveriesRequest r;
    r.set_status(status);
    v1::ListDeliveriesResponse out;
    grpc::Status s = notify_stub_->ListDeliveries(CallContext(hr_).get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {out.deliveries().begin(), out.deliveries().end()};
  }

  static inline NotificationsUnderTest* notifications_ = nullptr;
  static inline std::unique_ptr<v1::NotificationService::Stub> notify_stub_;
  std::string admin_;
};

TEST_F(NotificationsE2eTest, SubmittedApplicationGetsExactlyOneAcknowledgmentInCorrectMime) {
  Configure(tenant_, admin_, [](v1::TenantSettings&) {});
  const std::string email = UniqueAddress("bewerberin");
  const std::string posting = OpenPosting();
  const auto app = Apply(posting, applicant_, [&](applications::v1::SubmitApplicationRequest& r) {
    r.mutable_applicant()->set_email(email);
    r.mutable_applicant()->set_given_name("Jördis");
    r.mutable_applicant()->set_family_name("Müller-Lüdenscheidt");
  });
  auto mails = WaitForMessages(infra().smtp_dir, email, 1);
  ASSERT_EQ(mails.size(), 1u);
  std::string out;
  EXPECT_EQ(CheckMail(mails[0].eml_path,
                      {"encoded-subject", absl::StrCat("subject~Kennziffer ", app.kennziffer()),
                       "subject~Eingangsbestätigung", "body~Guten Tag Jördis Müller-Lüdenscheidt",
                       "body~Ihr Team Personalgewinnung"},
                      &out),
            0)
      << out;
  // The delivery is recorded as sent, under the Message-ID the mail carries.
  ASSERT_TRUE(WaitFor([&] { return Deliveries(v1::SENT).size() == 1; }, absl::Seconds(10)));
  const v1::Delivery d = Deliveries(v1::SENT)[0];
  EXPECT_EQ(d.kind(), v1::APPLICATION_RECEIVED);
  EXPECT_EQ(d.recipient(), "applicant");
  EXPECT_NE(mails[0].raw.find(absl::StrCat("Message-ID: <", d.message_id(), ">")),
            std::string::npos);
  // The applicant's inbox holds it too; MarkRead marks it once, the same request replays.
  v1::ListInboxResponse inbox;
  ASSERT_TRUE(notify_stub_->ListInbox(CallContext(applicant_).get(), {}, &inbox).ok());
  ASSERT_EQ(inbox.items_size(), 1);
  EXPECT_NE(inbox.items(0).subject().find(app.kennziffer()), std::string::npos);
  v1::MarkReadRequest read;
  read.set_id(inbox.items(0).id());
  read.set_request_id(ids::NewUuid());
  v1::InboxItem item;
  ASSERT_TRUE(notify_stub_->MarkRead(CallContext(applicant_).get(), read, &item).ok());
  EXPECT_TRUE(item.has_read_time());
  // Another applicant cannot see or mark it.
  const std::string other = NewApplicant("anderer");
  v1::ListInboxResponse theirs;
  ASSERT_TRUE(notify_stub_->ListInbox(CallContext(other).get(), {}, &theirs).ok());
  EXPECT_EQ(theirs.items_size(), 0);
  read.set_request_id(ids::NewUuid());
  EXPECT_EQ(notify_stub_->MarkRead(CallContext(other).get(), read, &item).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(NotificationsE2eTest, TheSameEventPublishedTwiceGivesOneMail) {
  const std::string email = UniqueAddress("doppelt");
  auto event = SubmittedEvent(email);
  const amqp::Message m = WireMessage(event, tenant_, harness().start());
  PublishToExchange(infra(), {m, m});
  // Both copies are consumed (the second skipped); then the mail, then exactly one.
  ASSERT_EQ(WaitForMessages(infra().smtp_dir, email, 1).size(), 1u);
  ASSERT_TRUE(WaitFor([&] { return Deliveries(v1::SENT).size() == 1; }, absl::Seconds(10)));
  EXPECT_EQ(MessagesTo(infra().smtp_dir, email).size(), 1u);
  // A re-emitted copy with a new event id is a new event — but the same delivery key with the
  // old id is not: replay the same id once more after everything settled.
  const uint64_t consumed = notifications_->ConsumedEvents();
  PublishToExchange(infra(), {m});
  ASSERT_TRUE(notifications_->WaitForConsumed(consumed + 1));
  EXPECT_EQ(Deliveries(v1::DELIVERY_STATUS_UNSPECIFIED).size(), 1u);
}

TEST_F(NotificationsE2eTest, DistrictCoordinatorsHearOfAFiledNoticeWithTheWindowEnd) {
  const std::string district = testing::UniqueName("kreis");
  const std::string district_admin = harness().Token(district, {"admin"}, "kreis-admin");
  const std::string mailbox = UniqueAddress("koordinierung");
  Configure(district, district_admin,
            [&](v1::TenantSettings& s) { s.set_coordination_mailbox(mailbox); });
  const std::string city_token = harness().Token(tenant_, {"city_coordinator"}, "stadt-1");
  const auto notice = coordination::FiledNotice(*coordination_stub_, city_token,
                                                coordination::StaffingFiling(district));
  ASSERT_FALSE(notice.id().empty());
  auto mails = WaitForMessages(infra().smtp_dir, mailbox, 1);
  ASSERT_EQ(mails.size(), 1u);
  std::string out;
  // Filed Tuesday 2024-10-01 10:00 Berlin: the week ends Tuesday 2024-10-08, 24:00.
  EXPECT_EQ(
      CheckMail(mails[0].eml_path,
                {"subject~Stellenbesetzung zur Abstimmung",
                 "body~bis Dienstag, 8. Oktober 2024, 24:00 Uhr", "body~Regionalstelle Witten"},
                &out),
      0)
      << out;
  // The district's coordinators see it in their inbox; the city's HR clerk does not.
  v1::ListInboxResponse inbox;
  const std::string district_coordinator =
      harness().Token(district, {"district_coordinator"}, "kreis-1");
  ASSERT_TRUE(notify_stub_->ListInbox(CallContext(district_coordinator).get(), {}, &inbox).ok());
  ASSERT_EQ(inbox.items_size(), 1);
  EXPECT_EQ(inbox.items(0).notice_id(), notice.id());
  v1::ListInboxResponse hr_inbox;
  ASSERT_TRUE(notify_stub_->ListInbox(CallContext(hr_).get(), {}, &hr_inbox).ok());
  EXPECT_EQ(hr_inbox.items_size(), 0);
}

// Seed 004 through the real coordination service: the city's Koordinierungsstelle hears of
// the district's concern; both hear of clearance, instruction and withdrawal; the district of
// every filing. One mail per event and side, each naming what happened.
TEST_F(NotificationsE2eTest,
       BothSidesOfTheCoordinationHearOfConcernClearanceInstructionWithdrawal) {
  namespace cv1 = coordination::v1;
  const std::string district = testing::UniqueName("kreis");
  const std::string city_mailbox = UniqueAddress("ks-stadt");
  const std::string district_mailbox = UniqueAddress("ks-kreis");
  Configure(tenant_, admin_,
            [&](v1::TenantSettings& s) { s.set_coordination_mailbox(city_mailbox); });
  Configure(district, harness().Token(district, {"admin"}, "kreis-admin"),
            [&](v1::TenantSettings& s) { s.set_coordination_mailbox(district_mailbox); });
  const std::string city = harness().Token(tenant_, {"city_coordinator"}, "stadt-1");
  const std::string kreis = harness().Token(district, {"district_coordinator"}, "kreis-1");
  auto call_ok = [](const grpc::Status& s) {
    EXPECT_TRUE(s.ok()) << s.error_message();
    return s.ok();
  };
  cv1::StaffingNotice out;

  // A: concern, discussion, instruction.
  const auto a =
      coordination::FiledNotice(*coordination_stub_, city, coordination::StaffingFiling(district));
  cv1::RaiseConcernRequest concern;
  concern.set_request_id(ids::NewUuid());
  concern.set_id(a.id());
  concern.set_kind(cv1::CLARIFICATION_NEEDED);
  concern.set_text("Praxiserfahrung in der Arbeitsvermittlung?");
  ASSERT_TRUE(call_ok(coordination_stub_->RaiseConcern(CallContext(kreis).get(), concern, &out)));
  cv1::RecordDiscussionRequest discussion;
  discussion.set_request_id(ids::NewUuid());
  discussion.set_id(a.id());
  auto* p = discussion.add_participants();
  p->set_name("Bürgermeisterin");
  p->set_organisation("Stadt Witten");
  p->set_administrative_head(true);
  p = discussion.add_participants();
  p->set_name("Landrat");
  p->set_organisation("Ennepe-Ruhr-Kreis");
  p->set_administrative_head(true);
  discussion.set_minutes("Erörterung ohne Einvernehmen.");
  ASSERT_TRUE(
      call_ok(coordination_stub_->RecordDiscussion(CallContext(city).get(), discussion, &out)));
  cv1::IssueInstructionRequest instruction;
  instruction.set_request_id(ids::NewUuid());
  instruction.set_id(a.id());
  instruction.set_instruction("Besetzung erst nach Praxiseinweisung.");
  instruction.set_kind(cv1::FILL_WITH_CONDITIONS);  // ADR 0041
  instruction.set_conditions("Praxiseinweisung vor Dienstantritt");
  ASSERT_TRUE(
      call_ok(coordination_stub_->IssueInstruction(CallContext(kreis).get(), instruction, &out)));
  // B: no objection.
  const auto b =
      coordination::FiledNotice(*coordination_stub_, city, coordination::StaffingFiling(district));
  cv1::DeclareNoObjectionRequest no_objection;
  no_objection.set_request_id(ids::NewUuid());
  no_objection.set_id(b.id());
  ASSERT_TRUE(call_ok(
      coordination_stub_->DeclareNoObjection(CallContext(kreis).get(), no_objection, &out)));
  // C: withdrawn by the city.
  const auto c =
      coordination::FiledNotice(*coordination_stub_, city, coordination::StaffingFiling(district));
  cv1::WithdrawNoticeRequest withdraw;
  withdraw.set_request_id(ids::NewUuid());
  withdraw.set_id(c.id());
  withdraw.set_reason("Die Stelle wird nicht nachbesetzt.");
  ASSERT_TRUE(call_ok(coordination_stub_->WithdrawNotice(CallContext(city).get(), withdraw, &out)));

  // The city: concern (A), instruction (A), clearance (B), withdrawal (C). The district: three
  // filings and the same three outcomes.
  auto city_mails = WaitForMessages(infra().smtp_dir, city_mailbox, 4);
  auto district_mails = WaitForMessages(infra().smtp_dir, district_mailbox, 6);
  ASSERT_EQ(city_mails.size(), 4u);
  ASSERT_EQ(district_mails.size(), 6u);
  auto count = [&](const std::vector<SinkMessage>& mails, const std::vector<std::string>& checks) {
    int n = 0;
    for (const auto& m : mails) {
      std::string text;
      if (CheckMail(m.eml_path, checks, &text) == 0) ++n;
    }
    return n;
  };
  const std::vector<std::string> concern_checks = {
      "subject~Klärungsbedarf zur Stellenbesetzung", "body~hat der Kreis Klärungsbedarf geäußert",
      "body~Praxiserfahrung in der Arbeitsvermittlung?", "body~(Regionalstelle Witten)"};
  const std::vector<std::string> instructed = {
      "subject~Weisung zur Stellenbesetzung", "body~Besetzung erst nach Praxiseinweisung.",
      "body~unter diesen Auflagen: Praxiseinweisung vor Dienstantritt"};
  const std::vector<std::string> cleared = {"subject~Stellenbesetzung abgestimmt",
                                            "body~ist abgestimmt: kein Widerspruch."};
  const std::vector<std::string> withdrawn = {"subject~Stellenbesetzung zurückgezogen",
                                              "body~Die Stelle wird nicht nachbesetzt."};
  EXPECT_EQ(count(city_mails, concern_checks), 1);
  EXPECT_EQ(count(district_mails, concern_checks), 0) << "the district raised it";
  for (const auto* checks : {&instructed, &cleared, &withdrawn}) {
    EXPECT_EQ(count(city_mails, *checks), 1) << (*checks)[0];
    EXPECT_EQ(count(district_mails, *checks), 1) << (*checks)[0];
  }
  EXPECT_EQ(count(district_mails, {"subject~Stellenbesetzung zur Abstimmung"}), 3);
  // Every one is formal, signed, and asks for what identifies the post (no Kennziffer here).
  EXPECT_EQ(count(city_mails, {"body~Guten Tag,", "body~Mit freundlichen Grüßen",
                               "body~die Stellenbezeichnung und die Regionalstelle an",
                               "body!~Kennziffer ohne an"}),
            4);
  // Each side's coordinators read theirs in the inbox; the other side's is not there.
  v1::ListInboxResponse city_inbox, district_inbox;
  ASSERT_TRUE(notify_stub_->ListInbox(CallContext(city).get(), {}, &city_inbox).ok());
  ASSERT_TRUE(notify_stub_->ListInbox(CallContext(kreis).get(), {}, &district_inbox).ok());
  EXPECT_EQ(city_inbox.items_size(), 4);
  EXPECT_EQ(district_inbox.items_size(), 6);
}

// The city hears when the base data of a regional office are overdue (coordination's quarterly
// timer, coordination.base_data.overdue.v1): once, with quarter and due date.
TEST_F(NotificationsE2eTest, TheCityHearsOnceWhenBaseDataAreOverdue) {
  namespace cv1 = coordination::v1;
  const std::string district = testing::UniqueName("kreis");
  const std::string city_mailbox = UniqueAddress("ks-basis");
  Configure(tenant_, admin_,
            [&](v1::TenantSettings& s) { s.set_coordination_mailbox(city_mailbox); });
  const std::string city = harness().Token(tenant_, {"city_coordinator"}, "stadt-1");
  coordination::PairTenants(*coordination_stub_, infra(), tenant_, district);  // ADR 0040
  cv1::SubmitBaseDataRequest r;
  r.set_request_id(ids::NewUuid());
  r.set_district_tenant_id(district);
  r.set_regional_office("Regionalstelle Witten");
  r.set_quarter("2024-Q3");
  r.set_personnel_cost_cents(40'000'000);
  auto* l = r.add_lines();
  l->set_function("Arbeitsvermittlung");
  l->set_headcount(6);
  l->set_fte_milli(5500);
  l->set_qualification("Bachelor Sozialwesen");
  l->set_pay_group("EG 9c TVöD");
  cv1::BaseDataSubmission submitted;
  grpc::Status s = coordination_stub_->SubmitBaseData(CallContext(city).get(), r, &submitted);
  ASSERT_TRUE(s.ok()) << s.error_message();
  // 2024-Q4 ends without a submission.
  harness().SetTime(absl::FromCivil(absl::CivilSecond(2025, 1, 1, 0, 0, 1), calendar::Berlin()));
  harness().RunTimers();
  auto mails = WaitForMessages(infra().smtp_dir, city_mailbox, 1);
  ASSERT_EQ(mails.size(), 1u);
  std::string out;
  EXPECT_EQ(CheckMail(mails[0].eml_path,
                      {"subject~Basisdaten überfällig – Regionalstelle Witten 2024-Q4",
                       "body~die Basisdaten der Regionalstelle Witten für 2024-Q4",
                       "body~Dezember 2024", "body!~Kennziffer ohne"},
                      &out),
            0)
      << out;
  // Timers run again: still one.
  harness().RunTimers();
  ASSERT_TRUE(harness().WaitForOutboxes());
  EXPECT_EQ(MessagesTo(infra().smtp_dir, city_mailbox).size(), 1u);
}

TEST_F(NotificationsE2eTest, APermanentRefusalIsFailedVisibleAndRetriedByAnOperatorOnly) {
  const std::string email = UniqueAddress("reject5xx");
  auto event = SubmittedEvent(email);
  PublishToExchange(infra(), {WireMessage(event, tenant_, harness().start())});
  ASSERT_TRUE(WaitFor([&] { return Deliveries(v1::FAILED).size() == 1; }, absl::Seconds(15)));
  v1::Delivery failed = Deliveries(v1::FAILED)[0];
  EXPECT_EQ(failed.attempts(), 1);  // a 5xx is not retried by itself
  EXPECT_NE(failed.last_error().find("550"), std::string::npos) << failed.last_error();
  EXPECT_EQ(failed.last_error().find(email), std::string::npos);  // no address in it

  v1::RetryDeliveryRequest retry;
  retry.set_id(failed.id());
  retry.set_request_id(ids::NewUuid());
  v1::Delivery out;
  // Not by an applicant, not from another tenant.
  EXPECT_EQ(notify_stub_->RetryDelivery(CallContext(applicant_).get(), retry, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  const std::string foreign = harness().Token(testing::UniqueName("fremd"), {"hr_clerk"}, "x");
  EXPECT_EQ(notify_stub_->RetryDelivery(CallContext(foreign).get(), retry, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(notify_stub_->RetryDelivery(CallContext(hr_).get(), retry, &out).ok());
  EXPECT_EQ(out.status(), v1::PENDING);
  ASSERT_TRUE(WaitFor(
      [&] {
        auto f = Deliveries(v1::FAILED);
        return f.size() == 1 && f[0].attempts() == 2;
      },
      absl::Seconds(15)));
  EXPECT_EQ(MessagesTo(infra().smtp_dir, email).size(), 0u);
  // A PENDING or SENT delivery cannot be retried.
  auto good = SubmittedEvent(UniqueAddress("gut"));
  PublishToExchange(infra(), {WireMessage(good, tenant_, harness().start())});
  ASSERT_TRUE(WaitFor([&] { return Deliveries(v1::SENT).size() == 1; }, absl::Seconds(15)));
  retry.set_id(Deliveries(v1::SENT)[0].id());
  retry.set_request_id(ids::NewUuid());
  EXPECT_EQ(notify_stub_->RetryDelivery(CallContext(hr_).get(), retry, &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(NotificationsE2eTest, TemplatesRefuseUnknownPlaceholdersAndPreviewWithSampleData) {
  v1::UpsertTemplateRequest r;
  r.set_request_id(ids::NewUuid());
  r.mutable_template_()->set_kind(v1::APPLICATION_RECEIVED);
  r.mutable_template_()->set_subject("Ihre Bewerbung {{kennziffer}} {{stellentitel}}");
  r.mutable_template_()->set_body_text("{{anrede}},\n\nIhr Gehalt: {{gehalt}} {{ vorname }}");
  v1::Template out;
  grpc::Status s = notify_stub_->UpsertTemplate(CallContext(hr_).get(), r, &out);
  ASSERT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("gehalt"), std::string::npos) << s.error_message();
  EXPECT_NE(s.error_message().find("vorname"), std::string::npos) << s.error_message();
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(s.error_details()));
  google::rpc::BadRequest bad;
  ASSERT_EQ(details.details_size(), 1);
  ASSERT_TRUE(details.details(0).UnpackTo(&bad));
  ASSERT_EQ(bad.field_violations_size(), 1);
  EXPECT_EQ(bad.field_violations(0).field(), "template.body_text");
  // Nothing was stored: GetTemplate still answers with the built-in default.
  v1::GetTemplateRequest get;
  get.set_kind(v1::APPLICATION_RECEIVED);
  ASSERT_TRUE(notify_stub_->GetTemplate(CallContext(hr_).get(), get, &out).ok());
  EXPECT_TRUE(out.built_in());
  // Wrong role.
  r.mutable_template_()->set_body_text("{{anrede}}, danke. {{signatur}}");
  EXPECT_EQ(notify_stub_->UpsertTemplate(CallContext(applicant_).get(), r, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Another tenant's template: NOT_FOUND.
  r.mutable_template_()->set_tenant_id("anderer-mandant");
  EXPECT_EQ(notify_stub_->UpsertTemplate(CallContext(hr_).get(), r, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  r.mutable_template_()->clear_tenant_id();
  ASSERT_TRUE(notify_stub_->UpsertTemplate(CallContext(hr_).get(), r, &out).ok());
  ASSERT_TRUE(notify_stub_->GetTemplate(CallContext(hr_).get(), get, &out).ok());
  EXPECT_FALSE(out.built_in());
  v1::PreviewTemplateRequest preview;
  preview.set_kind(v1::APPLICATION_RECEIVED);
  v1::RenderedMessage rendered;
  ASSERT_TRUE(notify_stub_->PreviewTemplate(CallContext(hr_).get(), preview, &rendered).ok());
  EXPECT_EQ(rendered.subject(), "Ihre Bewerbung 25/0042 Sachbearbeiter*in (w/m/d) Bürgerbüro");
  EXPECT_NE(rendered.body_text().find("Guten Tag Jördis"), std::string::npos);
  // The next acknowledgment of this tenant reads the stored template.
  const std::string email = UniqueAddress("vorlage");
  auto event = SubmittedEvent(email);
  PublishToExchange(infra(), {WireMessage(event, tenant_, harness().start())});
  auto mails = WaitForMessages(infra().smtp_dir, email, 1);
  ASSERT_EQ(mails.size(), 1u);
  std::string text;
  EXPECT_EQ(
      CheckMail(mails[0].eml_path,
                {"subject~Ihre Bewerbung 24/0815 Sachbearbeiter", "body~Lüdenscheidt, danke."},
                &text),
      0)
      << text;
}

TEST_F(NotificationsE2eTest, SeverelyDisabledApplicantIsReportedToTheDisabilityRepresentative) {
  const std::string sbv = UniqueAddress("sbv");
  Configure(tenant_, admin_,
            [&](v1::TenantSettings& s) { s.set_disability_representative_mailbox(sbv); });
  auto event = SubmittedEvent(UniqueAddress("bewerber"));
  event.set_severely_disabled(true);
  PublishToExchange(infra(), {WireMessage(event, tenant_, harness().start())});
  auto mails = WaitForMessages(infra().smtp_dir, sbv, 1);
  ASSERT_EQ(mails.size(), 1u);
  std::string out;
  EXPECT_EQ(CheckMail(mails[0].eml_path, {"body~§ 178 Abs. 2", "subject~Kennziffer 24/0815"}, &out),
            0)
      << out;
  // The representative's mail names no applicant.
  EXPECT_EQ(mails[0].raw.find("M=C3=BCller"), std::string::npos);
}

// SGB IX § 178 (2), § 165 end to end (applications ADR 0032): in an anonymised procedure the
// representative is heard on one severely disabled applicant, who is then rejected as
// obviously unqualified, and not heard on another, who is invited. Its mailbox gets one formal
// mail per decision, by pseudonym, with decision, reason, finding and hearing — never a name.
TEST_F(NotificationsE2eTest, TheDisabilityRepresentativeIsToldOfEachDecisionByPseudonym) {
  const std::string sbv = UniqueAddress("sbv");
  Configure(tenant_, admin_,
            [&](v1::TenantSettings& s) { s.set_disability_representative_mailbox(sbv); });
  const std::string posting = OpenPosting({.anonymised = true});
  const auto heard =
      Apply(posting, NewApplicant("sb1"), [](auto& r) { r.set_severely_disabled(true); });
  const auto unheard =
      Apply(posting, NewApplicant("sb2"), [](auto& r) { r.set_equivalent_status(true); });
  ASSERT_FALSE(heard.pseudonym().empty());
  applications::v1::RecordRepresentativeStatementRequest st;
  st.set_id(heard.id());
  st.set_statement("Die fehlende Laufbahnbefähigung ist belegt; keine Einwände.");
  applications::v1::Application out;
  ASSERT_TRUE(stub_
                  ->RecordRepresentativeStatement(
                      Ctx(Staff("disability_representative", "sbv-1")).get(), st, &out)
                  .ok());
  Move(heard.id(), {applications::v1::SCREENING});
  applications::v1::ChangeStatusRequest reject;
  reject.set_id(heard.id());
  reject.set_target(applications::v1::REJECTED);
  reject.set_reason("Die geforderte Laufbahnbefähigung fehlt offensichtlich.");
  reject.set_obviously_unqualified(true);
  grpc::Status r = stub_->ChangeStatus(Ctx(hr_).get(), reject, &out);
  ASSERT_TRUE(r.ok()) << r.error_message();
  Move(unheard.id(),
       {applications::v1::SCREENING, applications::v1::SHORTLISTED, applications::v1::INVITED});

  // Two submissions (§ 178 (2): told of the application) and two decisions.
  auto mails = WaitForMessages(infra().smtp_dir, sbv, 4);
  ASSERT_EQ(mails.size(), 4u);
  int rejection = 0, invitation = 0, submissions = 0;
  for (const auto& m : mails) {
    std::string out_text;
    // No name in any of them; the representative's mail is formal and names the law.
    EXPECT_EQ(
        CheckMail(m.eml_path, {"body!~Mustermann", "body!~Erika", "body~Guten Tag,"}, &out_text), 0)
        << out_text;
    if (CheckMail(m.eml_path, {"subject~Bewerbung einer schwerbehinderten Person"}, &out_text) ==
        0) {
      ++submissions;
    }
    if (CheckMail(m.eml_path,
                  {"subject~Unterrichtung der Schwerbehindertenvertretung: Absage",
                   absl::StrCat("subject~Kennziffer ", heard.kennziffer()),
                   absl::StrCat("body~Bewerbung (Pseudonym): ", heard.pseudonym()),
                   "body~§ 178 Abs. 2 Satz 1 SGB IX", "body~Entscheidung: Absage",
                   "body~Begründung: Die geforderte Laufbahnbefähigung fehlt offensichtlich.",
                   "body~fachliche Eignung offensichtlich fehlt (§ 165 Satz 4 SGB IX)",
                   "body~vor der Entscheidung angehört",
                   "body~„Die fehlende Laufbahnbefähigung ist belegt; keine Einwände.“"},
                  &out_text) == 0) {
      ++rejection;
    }
    if (CheckMail(m.eml_path,
                  {"subject~Unterrichtung der Schwerbehindertenvertretung: Einladung",
                   absl::StrCat("body~Bewerbung (Pseudonym): ", unheard.pseudonym()),
                   "body~am Vorstellungsgespräch teilzunehmen (§ 178 Abs. 2 Satz 4 SGB IX)",
                   "body~nicht angehört", "body~innerhalb von sieben Tagen"},
                  &out_text) == 0) {
      ++invitation;
    }
  }
  EXPECT_EQ(submissions, 2);
  EXPECT_EQ(rejection, 1);
  EXPECT_EQ(invitation, 1);
  // The representative's inbox holds them too.
  v1::ListInboxResponse inbox;
  ASSERT_TRUE(
      notify_stub_
          ->ListInbox(CallContext(Staff("disability_representative", "sbv-2")).get(), {}, &inbox)
          .ok());
  int informed = 0;
  for (const auto& item : inbox.items()) {
    if (item.kind() == v1::DISABILITY_REPRESENTATIVE_INFORMED) ++informed;
  }
  EXPECT_EQ(informed, 2);
}

TEST_F(NotificationsE2eTest, ManualAcknowledgmentIsHeldTasksHrAndIsFlaggedWhenOverdue) {
  const std::string hr_mailbox = UniqueAddress("personal");
  Configure(tenant_, admin_, [&](v1::TenantSettings& s) {
    s.set_acknowledgment(v1::MANUAL);
    s.set_acknowledgment_due_working_days(2);
    s.set_hr_mailbox(hr_mailbox);
  });
  const std::string email = UniqueAddress("persoenlich");
  auto event = SubmittedEvent(email);
  PublishToExchange(infra(), {WireMessage(event, tenant_, harness().start())});
  // HR gets the task; the acknowledgment waits.
  ASSERT_EQ(WaitForMessages(infra().smtp_dir, hr_mailbox, 1).size(), 1u);
  ASSERT_TRUE(WaitFor([&] { return Deliveries(v1::HELD).size() == 1; }, absl::Seconds(10)));
  // Start Tuesday 2024-10-01; 2 NRW working days skip Thursday 3 Oct (German Unity Day):
  // Wednesday 2nd, Friday 4th → overdue at the end of Friday. Not at Friday noon.
  harness().SetTime(absl::FromCivil(absl::CivilSecond(2024, 10, 4, 12, 0, 0), calendar::Berlin()));
  ASSERT_TRUE(notifications_->RunTimers().ok());
  auto overdue_recorded = [&] {
    int n = 0;
    for (const auto& d : Deliveries(v1::DELIVERY_STATUS_UNSPECIFIED)) {
      if (d.kind() == v1::ACKNOWLEDGMENT_OVERDUE) ++n;
    }
    return n;
  };
  EXPECT_EQ(overdue_recorded(), 0);  // a timer due now would have fired in RunTimers
  harness().SetTime(absl::FromCivil(absl::CivilSecond(2024, 10, 5, 0, 0, 1), calendar::Berlin()));
  ASSERT_TRUE(notifications_->RunTimers().ok());
  // RunTimers or the scheduler's own thread (whichever claimed it) records it once.
  ASSERT_TRUE(WaitFor([&] { return overdue_recorded() == 1; }, absl::Seconds(10)));
  auto hr_mails = WaitForMessages(infra().smtp_dir, hr_mailbox, 2);
  ASSERT_EQ(hr_mails.size(), 2u);
  bool overdue = false;
  for (const auto& m : hr_mails) {
    std::string out;
    if (CheckMail(m.eml_path, {"subject~Eingangsbestätigung überfällig", "body~2 Arbeitstagen"},
                  &out) == 0) {
      overdue = true;
    }
  }
  EXPECT_TRUE(overdue);
  // HR releases the personal acknowledgment: exactly one reaches the applicant.
  auto held = Deliveries(v1::HELD);
  ASSERT_EQ(held.size(), 1u);
  v1::RetryDeliveryRequest release;
  release.set_id(held[0].id());
  release.set_request_id(ids::NewUuid());
  v1::Delivery d;
  ASSERT_TRUE(notify_stub_->RetryDelivery(CallContext(hr_).get(), release, &d).ok());
  ASSERT_EQ(WaitForMessages(infra().smtp_dir, email, 1).size(), 1u);
}

TEST_F(NotificationsE2eTest, ErasureConfirmsThenForgetsTheAddressAndTheInbox) {
  const std::string email = UniqueAddress("loeschen");
  auto submitted = SubmittedEvent(email);
  PublishToExchange(infra(), {WireMessage(submitted, tenant_, harness().start())});
  ASSERT_EQ(WaitForMessages(infra().smtp_dir, email, 1).size(), 1u);
  events::v1::ApplicantErased erased;
  erased.set_applicant_sub(submitted.applicant_sub());
  erased.add_application_ids(submitted.application_id());
  erased.set_cause("ERASURE_REQUEST");
  PublishToExchange(infra(), {WireMessage(erased, tenant_, harness().start())});
  auto mails = WaitForMessages(infra().smtp_dir, email, 2);
  ASSERT_EQ(mails.size(), 2u);
  // Afterwards nothing of the person is left in the notifications schema.
  ASSERT_TRUE(WaitFor(
      [&] {
        int left = -1;
        (void)notifications_->runtime().db().Read([&](pqxx::work& tx) {
          left = tx.exec_params(
                       "SELECT (SELECT count(*) FROM deliveries WHERE address = $1 OR"
                       " recipient_sub = $2) + (SELECT count(*) FROM contacts WHERE email = $1)"
                       " + (SELECT count(*) FROM inbox WHERE recipient_sub = $2)"
                       " + (SELECT count(*) FROM applications WHERE applicant_sub = $2)",
                       email, submitted.applicant_sub())[0][0]
                     .as<int>();
          return absl::OkStatus();
        });
        return left == 0;
      },
      absl::Seconds(10)));
  const std::string applicant = harness().Token(tenant_, {"applicant"}, submitted.applicant_sub());
  v1::ListInboxResponse inbox;
  ASSERT_TRUE(notify_stub_->ListInbox(CallContext(applicant).get(), {}, &inbox).ok());
  EXPECT_EQ(inbox.items_size(), 0);
}

TEST_F(NotificationsE2eTest, RejectionWithdrawalAndDueVerdictsReachTheirRecipients) {
  const std::string gleich = UniqueAddress("gleichstellung");
  const std::string pr = UniqueAddress("personalrat");
  const std::string sbv = UniqueAddress("sbv");
  Configure(tenant_, admin_, [&](v1::TenantSettings& s) {
    s.set_equal_opportunity_officer_mailbox(gleich);
    s.set_staff_council_mailbox(pr);
    s.set_disability_representative_mailbox(sbv);
  });
  const std::string email = UniqueAddress("abgelehnt");
  auto submitted = SubmittedEvent(email);
  submitted.mutable_contact()->set_salutation("Frau");
  PublishToExchange(infra(), {WireMessage(submitted, tenant_, harness().start())});
  ASSERT_EQ(WaitForMessages(infra().smtp_dir, email, 1).size(), 1u);

  events::v1::ApplicationStatusChanged interviewed;
  interviewed.set_application_id(submitted.application_id());
  interviewed.set_posting_id(submitted.posting_id());
  interviewed.set_applicant_sub(submitted.applicant_sub());
  interviewed.set_from("INVITED");
  interviewed.set_to("INTERVIEWED");
  events::v1::ApplicationStatusChanged rejected = interviewed;
  rejected.set_from("INTERVIEWED");
  rejected.set_to("REJECTED");
  rejected.set_reason("Wir haben uns für eine Person mit längerer Erfahrung entschieden.");
  events::v1::ApplicationWithdrawn withdrawn;  // for another application: never submitted
  withdrawn.set_application_id(ids::NewUuid());
  withdrawn.set_applicant_sub(submitted.applicant_sub());
  const uint64_t consumed = notifications_->ConsumedEvents();
  PublishToExchange(infra(), {WireMessage(interviewed, tenant_, harness().start()),
                              WireMessage(rejected, tenant_, harness().start()),
                              WireMessage(withdrawn, tenant_, harness().start())});
  for (const std::string& body : {gleich, pr, sbv}) {
    auto mails = WaitForMessages(infra().smtp_dir, body, 1);
    ASSERT_EQ(mails.size(), 1u) << body;
    std::string out;
    EXPECT_EQ(CheckMail(mails[0].eml_path, {"subject~Beteiligung erbeten"}, &out), 0) << out;
  }
  auto mails = WaitForMessages(infra().smtp_dir, email, 2);
  ASSERT_EQ(mails.size(), 2u);
  int rejections = 0;
  for (const auto& m : mails) {
    std::string out;
    if (CheckMail(m.eml_path,
                  {"subject~Ihre Bewerbung – Kennziffer 24/0815", "body~Sehr geehrte Frau",
                   "body~längerer Erfahrung", "body~alles Gute"},
                  &out) == 0) {
      ++rejections;
    }
  }
  EXPECT_EQ(rejections, 1);
  // The withdrawal of an application this service never heard of sends nothing.
  ASSERT_TRUE(notifications_->WaitForConsumed(consumed + 3));
  EXPECT_EQ(MessagesTo(infra().smtp_dir, email).size(), 2u);
}

// The platform team's view (deploy/k8s/observability): attempts by kind, channel and outcome,
// counted once their transaction committed; the backlog and its age read from the table.
TEST_F(NotificationsE2eTest, MetricsCountDeliveriesByOutcomeAndShowTheBacklog) {
  Runtime& rt = notifications_->runtime();
  const std::map<std::string, std::string> ack = {{"kind", "APPLICATION_RECEIVED"},
                                                  {"channel", "EMAIL"}};
  auto with = [&](const std::string& outcome) {
    auto l = ack;
    l["outcome"] = outcome;
    return l;
  };
  constexpr char kDeliveries[] = "stellenwerk_notifications_deliveries_total";
  const double sent = MetricSample(rt, kDeliveries, with("sent"));
  const double failed = MetricSample(rt, kDeliveries, with("failed"));
  const double retried = MetricSample(rt, kDeliveries, with("retried"));
  const double smtp = MetricSample(rt, "stellenwerk_notifications_smtp_send_seconds");

  auto good = SubmittedEvent(UniqueAddress("metrik"));
  auto refused = SubmittedEvent(UniqueAddress("reject5xx-metrik"));
  auto later = SubmittedEvent(UniqueAddress("tempfail4xx-metrik"));
  PublishToExchange(infra(), {WireMessage(good, tenant_, harness().start()),
                              WireMessage(refused, tenant_, harness().start()),
                              WireMessage(later, tenant_, harness().start())});
  ASSERT_TRUE(WaitFor(
      [&] {
        return MetricSample(rt, kDeliveries, with("sent")) >= sent + 1 &&
               MetricSample(rt, kDeliveries, with("failed")) >= failed + 1 &&
               MetricSample(rt, kDeliveries, with("retried")) >= retried + 1;
      },
      absl::Seconds(15)));
  EXPECT_EQ(Deliveries(v1::SENT).size(), 1u);
  EXPECT_EQ(Deliveries(v1::FAILED).size(), 1u);
  EXPECT_GE(MetricSample(rt, "stellenwerk_notifications_smtp_send_seconds"), smtp + 3);
  EXPECT_GE(MetricSample(rt, "stellenwerk_notifications_delivery_seconds",
                         {{"kind", "APPLICATION_RECEIVED"}}),
            1);
  // The 451 keeps it pending; ten minutes later (service clock) it is at least that old.
  EXPECT_GE(MetricSample(rt, "stellenwerk_notifications_pending_deliveries"), 1);
  harness().SetTime(harness().start() + absl::Minutes(10));
  EXPECT_GE(MetricSample(rt, "stellenwerk_notifications_oldest_pending_seconds"), 600);
  // Leave nothing retrying for the next tests.
  ASSERT_TRUE(rt.db()
                  .Transact([&](pqxx::work& tx) {
                    tx.exec_params(
                        "UPDATE deliveries SET status = 'CANCELLED'"
                        " WHERE tenant_id = $1 AND status = 'PENDING'",
                        tenant_);
                    return absl::OkStatus();
                  })
                  .ok());
}

TEST_F(NotificationsE2eTest, RolesAndTokensAreChecked) {
  v1::ListDeliveriesRequest list;
  v1::ListDeliveriesResponse deliveries;
  EXPECT_EQ(
      notify_stub_->ListDeliveries(CallContext(applicant_).get(), list, &deliveries).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(notify_stub_->ListDeliveries(CallContext("").get(), list, &deliveries).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  v1::SetTenantSettingsRequest settings;
  settings.set_request_id(ids::NewUuid());
  v1::TenantSettings out;
  EXPECT_EQ(notify_stub_->SetTenantSettings(CallContext(hr_).get(), settings, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  settings.mutable_settings()->set_sender_address("kein adresse");
  grpc::Status bad = notify_stub_->SetTenantSettings(CallContext(admin_).get(), settings, &out);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(bad.error_message().find("sender_address"), std::string::npos);
  settings.mutable_settings()->set_sender_address("");
  settings.mutable_settings()->set_tenant_id("anderer-mandant");
  EXPECT_EQ(notify_stub_->SetTenantSettings(CallContext(admin_).get(), settings, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::RetryDeliveryRequest retry;
  retry.set_id("nicht-uuid");
  v1::Delivery d;
  EXPECT_EQ(notify_stub_->RetryDelivery(CallContext(hr_).get(), retry, &d).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  retry.set_id(ids::NewUuid());
  EXPECT_EQ(notify_stub_->RetryDelivery(CallContext(hr_).get(), retry, &d).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(NotificationsE2eTest, ABookedAppointmentIsMailedWithItsCalendarEntry) {
  const std::string email = UniqueAddress("termin");
  auto submitted = SubmittedEvent(email);
  PublishToExchange(infra(), {WireMessage(submitted, tenant_, harness().start())});
  ASSERT_EQ(WaitForMessages(infra().smtp_dir, email, 1).size(), 1u);
  events::v1::BookingConfirmed confirmed;
  auto* b = confirmed.mutable_booking();
  b->set_booking_id(ids::NewUuid());
  b->set_application_id(submitted.application_id());
  b->set_posting_id(submitted.posting_id());
  b->set_applicant_sub(submitted.applicant_sub());
  b->set_tenant_id(tenant_);
  b->set_start_local_text("Dienstag, 14. April 2026, 09:30 Uhr");
  b->set_location("Rathaus Herne, Friedrich-Ebert-Platz 2");
  b->set_room("2.14");
  b->set_mode(events::v1::APPOINTMENT_MODE_IN_PERSON);
  b->set_ics_uid("booking-4711@scheduling.stellenwerk");
  b->set_ics(
      "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Stellenwerk//Scheduling//DE\r\n"
      "METHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:booking-4711@scheduling.stellenwerk\r\n"
      "SEQUENCE:0\r\nDTSTART;TZID=Europe/Berlin:20260414T093000\r\n"
      "SUMMARY:Vorstellungsgespräch\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
  b->set_kennziffer("24/0815");
  b->set_posting_title("Sachbearbeiter*in (w/m/d) Bürgerbüro");
  PublishToExchange(infra(), {WireMessage(confirmed, tenant_, harness().start())});
  auto mails = WaitForMessages(infra().smtp_dir, email, 2);
  ASSERT_EQ(mails.size(), 2u);
  int with_calendar = 0;
  for (const auto& m : mails) {
    std::string out;
    if (CheckMail(m.eml_path,
                  {"calendar", "ics~UID:booking-4711@scheduling.stellenwerk", "ics~SEQUENCE:0",
                   "subject~Ihr Termin ist bestätigt – Kennziffer 24/0815",
                   "body~Dienstag, 14. April 2026, 09:30 Uhr", "body~Raum 2.14"},
                  &out) == 0) {
      ++with_calendar;
    }
  }
  EXPECT_EQ(with_calendar, 1);
}

}  // namespace
}  // namespace stellenwerk::notifications
