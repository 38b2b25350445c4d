// Applications end to end: postings and applications in-process on the real infrastructure,
// talking through RabbitMQ as in production.
#include "absl/strings/str_cat.h"
#include "common/testing/test_env.h"
#include "common/time/berlin_calendar.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/applications/app.h"
#include "services/postings/app.h"
#include "stellenwerk/applications/v1/applications.grpc.pb.h"
#include "stellenwerk/postings/v1/postings.grpc.pb.h"

namespace stellenwerk::applications {
namespace {

using testing::TestInfra;
using testing::UniqueName;
namespace pv1 = ::stellenwerk::postings::v1;

const absl::Time kStart = calendar::StartOfDay(absl::CivilDay(2024, 10, 1)) + absl::Hours(10);

std::string Pdf(size_t size = 2000) {
  std::string s = "%PDF-1.7\n";
  s.resize(size - 6, 'x');
  return s + "\n%%EOF";
}

class ApplicationsE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    infra_ = TestInfra::FromEnv();
    if (!infra_) return;
    auto pc = testing::TestRuntimeConfig(*infra_, UniqueName("postings_for_apps"));
    pc.fake_clock = true;
    postings_ = new postings::PostingsApp(pc);
    ASSERT_TRUE(postings_->Init().ok());
    postings_->runtime().fake_clock()->Set(kStart);
    ASSERT_TRUE(postings_->runtime().Start().ok());
    auto ac = testing::TestRuntimeConfig(*infra_, UniqueName("applications"));
    ac.fake_clock = true;
    apps_ = new ApplicationsApp(ac);
    ASSERT_TRUE(apps_->Init().ok());
    apps_->runtime().fake_clock()->Set(kStart);
    ASSERT_TRUE(apps_->runtime().Start().ok());
    posting_stub_ = pv1::PostingService::NewStub(Channel(postings_->runtime().port())).release();
    stub_ = v1::ApplicationService::NewStub(Channel(apps_->runtime().port())).release();
  }
  static void TearDownTestSuite() {
    delete stub_;
    delete posting_stub_;
    delete apps_;
    delete postings_;
  }
  static std::shared_ptr<grpc::Channel> Channel(int port) {
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
  }
  void SetUp() override {
    if (!infra_) GTEST_SKIP() << "needs scripts/test infrastructure";
    tenant_ = UniqueName("stadt");
    hr_ = testing::Token(*infra_, tenant_, {"hr_clerk"}, "hr-1");
    applicant_ = testing::Token(*infra_, "portal", {"applicant"}, UniqueName("bewerberin"));
  }
  static std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", "Bearer " + token);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return ctx;
  }

  // A published posting whose snapshot has reached the applications service.
  std::string OpenPosting(bool anonymised = false) {
    pv1::Posting p;
    p.set_title("Sachbearbeiter*in (w/m/d)");
    auto* pay = p.add_pay();
    pay->set_scheme(pv1::TVOED);
    pay->add_grades("EG 6");
    pay->set_min_cents(300000);
    pay->set_max_cents(380000);
    p.set_application_deadline("2024-10-20");
    auto* c = p.add_contacts();
    c->set_kind(pv1::PROCEDURE);
    c->set_name("Personal");
    c->set_email("personal@example.de");
    p.set_anonymised(anonymised);
    pv1::CreatePostingRequest create;
    *create.mutable_posting() = p;
    pv1::Posting created, published;
    EXPECT_TRUE(posting_stub_->CreatePosting(Ctx(hr_).get(), create, &created).ok());
    pv1::PublishPostingRequest publish;
    publish.set_id(created.id());
    EXPECT_TRUE(posting_stub_->PublishPosting(Ctx(hr_).get(), publish, &published).ok());
    EXPECT_TRUE(testing::WaitFor(
        [&] {
          // Listing succeeds once the posting's snapshot has arrived by event.
          v1::ListApplicationsRequest r;
          r.set_posting_id(created.id());
          v1::ListApplicationsResponse out;
          return stub_->ListApplications(Ctx(hr_).get(), r, &out).ok();
        },
        absl::Seconds(10)));
    return created.id();
  }

  grpc::Status Upload(const std::string& token, const std::string& name, v1::DocumentKind kind,
                      const std::string& content, v1::Document* out, size_t chunk = 64 * 1024) {
    auto ctx = Ctx(token);
    auto writer = stub_->UploadDocument(ctx.get(), out);
    v1::UploadDocumentRequest meta;
    meta.mutable_metadata()->set_file_name(name);
    meta.mutable_metadata()->set_kind(kind);
    writer->Write(meta);
    for (size_t i = 0; i < content.size(); i += chunk) {
      v1::UploadDocumentRequest part;
      part.set_chunk(content.substr(i, chunk));
      if (!writer->Write(part)) break;
    }
    writer->WritesDone();
    return writer->Finish();
  }

  v1::SubmitApplicationRequest Submission(const std::string& posting_id,
                                          const std::string& token) {
    v1::Document cv;
    EXPECT_TRUE(Upload(token, "lebenslauf.pdf", v1::CV, Pdf(), &cv).ok());
    v1::SubmitApplicationRequest r;
    r.set_posting_id(posting_id);
    r.mutable_applicant()->set_given_name("Erika");
    r.mutable_applicant()->set_family_name("Mustermann");
    r.mutable_applicant()->set_email("erika@example.de");
    r.add_document_ids(cv.id());
    r.set_cover_letter_text("Sehr geehrte Damen und Herren, ...");
    r.mutable_consent()->set_version("datenschutz-2024-01");
    r.mutable_consent()->mutable_given_time()->set_seconds(absl::ToUnixSeconds(kStart));
    return r;
  }

  static inline std::optional<TestInfra> infra_;
  static inline postings::PostingsApp* postings_ = nullptr;
  static inline ApplicationsApp* apps_ = nullptr;
  static inline pv1::PostingService::Stub* posting_stub_ = nullptr;
  static inline v1::ApplicationService::Stub* stub_ = nullptr;
  std::string tenant_, hr_, applicant_;
};

TEST_F(ApplicationsE2eTest, UploadSubmitAndTheEmployerSeesIt) {
  const std::string posting = OpenPosting();
  v1::Document cv;
  const std::string pdf = Pdf(300 * 1024);
  ASSERT_TRUE(Upload(applicant_, "cv.pdf", v1::CV, pdf, &cv).ok());
  EXPECT_EQ(cv.detected_type(), "application/pdf");
  EXPECT_EQ(cv.size_bytes(), static_cast<int64_t>(pdf.size()));
  EXPECT_EQ(cv.sha256().size(), 64u);

  auto r = Submission(posting, applicant_);
  r.set_request_id("submit-1");
  v1::Application a;
  grpc::Status submitted = stub_->SubmitApplication(Ctx(applicant_).get(), r, &a);
  ASSERT_TRUE(submitted.ok()) << submitted.error_message();
  EXPECT_EQ(a.status(), v1::RECEIVED);
  EXPECT_EQ(a.tenant_id(), tenant_);
  // Replay: the first answer, nothing new.
  v1::Application again;
  ASSERT_TRUE(stub_->SubmitApplication(Ctx(applicant_).get(), r, &again).ok());
  EXPECT_EQ(again.id(), a.id());
  // A second application of the same person to the same posting is detected.
  auto second = Submission(posting, applicant_);
  EXPECT_EQ(stub_->SubmitApplication(Ctx(applicant_).get(), second, &again).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);

  v1::GetApplicationRequest get;
  get.set_id(a.id());
  v1::Application seen;
  ASSERT_TRUE(stub_->GetApplication(Ctx(hr_).get(), get, &seen).ok());
  EXPECT_EQ(seen.applicant().family_name(), "Mustermann");
  // Another employer and another applicant see nothing.
  EXPECT_EQ(stub_->GetApplication(Ctx(testing::Token(*infra_, UniqueName("kreis"), {"hr_clerk"})).get(),
                                  get, &seen).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(stub_->GetApplication(Ctx(testing::Token(*infra_, "portal", {"applicant"}, "someone")).get(),
                                  get, &seen).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ApplicationsE2eTest, BadDocumentsAreRefused) {
  v1::Document d;
  EXPECT_EQ(Upload(applicant_, "cv.pdf", v1::CV, "MZ this is an executable", &d).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Upload(applicant_, "cv.pdf", v1::CV, std::string("\x89PNG\r\n\x1a\nabc", 11), &d)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);  // a PNG named .pdf
  EXPECT_EQ(Upload(applicant_, "cv.pdf", v1::CV, "%PDF-1.7 truncated", &d).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Upload(applicant_, "cv.pdf", v1::CV, "", &d).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Upload(applicant_, "big.pdf", v1::CV, Pdf(21 * 1024 * 1024), &d, 1024 * 1024).error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(Upload(hr_, "cv.pdf", v1::CV, Pdf(), &d).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(ApplicationsE2eTest, SubmissionNeedsConsentAndAnOpenPosting) {
  const std::string posting = OpenPosting();
  auto r = Submission(posting, applicant_);
  r.clear_consent();
  v1::Application a;
  EXPECT_EQ(stub_->SubmitApplication(Ctx(applicant_).get(), r, &a).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  auto unknown = Submission("00000000-0000-4000-8000-000000000000", applicant_);
  EXPECT_EQ(stub_->SubmitApplication(Ctx(applicant_).get(), unknown, &a).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(ApplicationsE2eTest, AtTheDeadlineLateOnesAreRefusedAndReceivedOnesGoToScreening) {
  const std::string posting = OpenPosting();
  v1::Application a;
  ASSERT_TRUE(stub_->SubmitApplication(Ctx(applicant_).get(), Submission(posting, applicant_), &a).ok());
  // 2024-10-20 24:00 Berlin passes on both services.
  const absl::Time after = calendar::StartOfDay(absl::CivilDay(2024, 10, 21)) + absl::Minutes(1);
  apps_->runtime().fake_clock()->Set(after);
  postings_->runtime().fake_clock()->Set(after);
  const std::string late = testing::Token(*infra_, "portal", {"applicant"}, UniqueName("spaet"));
  v1::Application refused;
  EXPECT_EQ(stub_->SubmitApplication(Ctx(late).get(), Submission(posting, late), &refused).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  v1::GetApplicationRequest get;
  get.set_id(a.id());
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        v1::Application seen;
        return stub_->GetApplication(Ctx(hr_).get(), get, &seen).ok() &&
               seen.status() == v1::SCREENING;
      },
      absl::Seconds(15)));
  apps_->runtime().fake_clock()->Set(kStart);
  postings_->runtime().fake_clock()->Set(kStart);
}

TEST_F(ApplicationsE2eTest, StatusChangesFollowTheRulesAndAnonymisedProceduresHideIdentity) {
  const std::string posting = OpenPosting(/*anonymised=*/true);
  auto r = Submission(posting, applicant_);
  r.set_severely_disabled(true);
  v1::Application a;
  ASSERT_TRUE(stub_->SubmitApplication(Ctx(applicant_).get(), r, &a).ok());
  v1::ChangeStatusRequest change;
  change.set_id(a.id());
  change.set_target(v1::SCREENING);
  v1::Application out;
  ASSERT_TRUE(stub_->ChangeStatus(Ctx(hr_).get(), change, &out).ok());
  change.set_target(v1::REJECTED);
  change.set_reason("fehlende Qualifikation");
  // SGB IX § 165: not without the explicit finding.
  EXPECT_EQ(stub_->ChangeStatus(Ctx(hr_).get(), change, &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // An applicant cannot move their own application.
  change.set_target(v1::SHORTLISTED);
  EXPECT_EQ(stub_->ChangeStatus(Ctx(applicant_).get(), change, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // The committee shortlists, and sees a pseudonym only.
  const std::string committee = testing::Token(*infra_, tenant_, {"committee_member"}, "k-1");
  ASSERT_TRUE(stub_->ChangeStatus(Ctx(committee).get(), change, &out).ok());
  EXPECT_EQ(out.status(), v1::SHORTLISTED);
  EXPECT_FALSE(out.has_applicant());
  EXPECT_FALSE(out.pseudonym().empty());
  ASSERT_EQ(out.history_size(), 2);
  // Withdrawn by the applicant; then nothing more.
  v1::WithdrawApplicationRequest w;
  w.set_id(a.id());
  ASSERT_TRUE(stub_->WithdrawApplication(Ctx(applicant_).get(), w, &out).ok());
  EXPECT_EQ(out.status(), v1::WITHDRAWN);
  change.set_target(v1::INVITED);
  EXPECT_EQ(stub_->ChangeStatus(Ctx(hr_).get(), change, &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(ApplicationsE2eTest, TheObviouslyUnqualifiedFindingIsRecordedWithTheRejection) {
  const std::string posting = OpenPosting();
  auto r = Submission(posting, applicant_);
  r.set_equivalent_status(true);
  v1::Application a, out;
  ASSERT_TRUE(stub_->SubmitApplication(Ctx(applicant_).get(), r, &a).ok());
  v1::ChangeStatusRequest change;
  change.set_id(a.id());
  change.set_target(v1::SCREENING);
  ASSERT_TRUE(stub_->ChangeStatus(Ctx(hr_).get(), change, &out).ok());
  change.set_target(v1::REJECTED);
  change.set_reason("Die geforderte Laufbahnbefähigung fehlt offensichtlich.");
  change.set_obviously_unqualified(true);
  ASSERT_TRUE(stub_->ChangeStatus(Ctx(hr_).get(), change, &out).ok());
  EXPECT_EQ(out.status(), v1::REJECTED);
  EXPECT_TRUE(out.obviously_unqualified());
  EXPECT_EQ(out.history(1).reason(), change.reason());
}

}  // namespace
}  // namespace stellenwerk::applications
