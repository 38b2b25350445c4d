#pragma once
// The shared fixture of the applications end-to-end suites: postings, applications and
// (optionally) coordination in-process on the real infrastructure of scripts/test, with fake
// clocks, talking through RabbitMQ as in production.

#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/testing/test_env.h"
#include "common/time/berlin_calendar.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/applications/app.h"
#include "services/coordination/app.h"
#include "services/postings/app.h"
#include "stellenwerk/applications/v1/applications.grpc.pb.h"
#include "stellenwerk/coordination/v1/coordination.grpc.pb.h"
#include "stellenwerk/postings/v1/postings.grpc.pb.h"

namespace stellenwerk::applications {

namespace pv1 = ::stellenwerk::postings::v1;
namespace cv1 = ::stellenwerk::coordination::v1;

inline const absl::Time kStart =
    calendar::StartOfDay(absl::CivilDay(2024, 10, 1)) + absl::Hours(10);

inline std::string Pdf(size_t size = 2000) {
  std::string s = "%PDF-1.7\n";
  s.resize(size - 6, 'x');
  return s + "\n%%EOF";
}

struct PostingOptions {
  bool anonymised = false;
  bool women_preferred = false;
  std::string coordination_district;  // non-empty: an SGB II post coordinated with it
};

class ApplicationsFixture : public ::testing::Test {
 protected:
  // with_coordination: also runs the coordination service (for the coordination gate).
  static void StartServices(bool with_coordination) {
    infra_ = testing::TestInfra::FromEnv();
    if (!infra_) return;
    postings_ = Start<postings::PostingsApp>("postings_for_apps");
    apps_ = Start<ApplicationsApp>(
        "applications",
        ApplicationsOptions{absl::StrCat("127.0.0.1:", postings_->runtime().port())});
    if (with_coordination) coordination_ = Start<coordination::CoordinationApp>("coord_for_apps");
    // Events published before a consumer has bound its queue are routed nowhere: tests begin
    // once the consumers listen (in production the durable queues outlive restarts).
    for (auto* runtime : {&apps_->runtime(), coordination_ ? &coordination_->runtime() : nullptr}) {
      if (runtime == nullptr) continue;
      EXPECT_TRUE(testing::WaitFor([&] { return runtime->consumer().connected(); },
                                   absl::Seconds(20)));
    }
    posting_stub_ = pv1::PostingService::NewStub(Channel(postings_->runtime().port())).release();
    stub_ = v1::ApplicationService::NewStub(Channel(apps_->runtime().port())).release();
    if (coordination_ != nullptr) {
      coordination_stub_ =
          cv1::CoordinationService::NewStub(Channel(coordination_->runtime().port())).release();
    }
  }
  static void SetUpTestSuite() { StartServices(false); }
  static void TearDownTestSuite() {
    delete coordination_stub_;
    delete stub_;
    delete posting_stub_;
    delete coordination_;
    delete apps_;
    delete postings_;
    coordination_stub_ = nullptr;
    stub_ = nullptr;
    posting_stub_ = nullptr;
    coordination_ = nullptr;
    apps_ = nullptr;
    postings_ = nullptr;
  }
  template <typename App, typename... Options>
  static App* Start(const std::string& schema, Options&&... options) {
    auto config = testing::TestRuntimeConfig(*infra_, testing::UniqueName(schema));
    config.fake_clock = true;
    auto* app = new App(config, std::forward<Options>(options)...);
    absl::Status s = app->Init();
    EXPECT_TRUE(s.ok()) << s;
    app->runtime().fake_clock()->Set(kStart);
    s = app->runtime().Start();
    EXPECT_TRUE(s.ok()) << s;
    return app;
  }
  static std::shared_ptr<grpc::Channel> Channel(int port) {
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
  }
  // Moves every service's fake clock.
  static void SetClocks(absl::Time t) {
    postings_->runtime().fake_clock()->Set(t);
    apps_->runtime().fake_clock()->Set(t);
    if (coordination_ != nullptr) coordination_->runtime().fake_clock()->Set(t);
  }

  void SetUp() override {
    if (!infra_) GTEST_SKIP() << "needs scripts/test infrastructure";
    tenant_ = testing::UniqueName("stadt");
    hr_ = testing::Token(*infra_, tenant_, {"hr_clerk"}, "hr-1");
    applicant_ = NewApplicant();
  }
  std::string NewApplicant(const std::string& name = "bewerberin") const {
    return testing::Token(*infra_, "portal", {"applicant"}, testing::UniqueName(name));
  }
  std::string Staff(const std::string& role, const std::string& sub) const {
    return testing::Token(*infra_, tenant_, {role}, sub);
  }
  static std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->AddMetadata("authorization", "Bearer " + token);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return ctx;
  }

  // A published posting of tenant_ whose snapshot has reached the applications service.
  std::string OpenPosting(const PostingOptions& o = {}) {
    pv1::Posting p;
    p.set_title("Sachbearbeiter*in (w/m/d)");
    p.set_location("Herne");
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
    p.set_anonymised(o.anonymised);
    p.set_women_preferred_if_underrepresented(o.women_preferred);
    if (!o.coordination_district.empty()) {
      p.set_title("Arbeitsvermittler*in (w/m/d) JobAgentur");
      p.set_role_category(pv1::ACTIVE);
      p.set_coordination_required(true);
      p.set_regional_office("Regionalstelle Witten");
      p.set_coordination_district_tenant_id(o.coordination_district);
    }
    pv1::CreatePostingRequest create;
    *create.mutable_posting() = p;
    pv1::Posting created, published;
    grpc::Status s = posting_stub_->CreatePosting(Ctx(hr_).get(), create, &created);
    EXPECT_TRUE(s.ok()) << s.error_message();
    pv1::PublishPostingRequest publish;
    publish.set_id(created.id());
    s = posting_stub_->PublishPosting(Ctx(hr_).get(), publish, &published);
    EXPECT_TRUE(s.ok()) << s.error_message();
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

  // The audit lines of one application with the given action, as HR lists them.
  std::vector<v1::AuditEntry> AuditOf(const std::string& application_id,
                                      const std::string& action) {
    v1::ListAuditEntriesRequest r;
    r.set_application_id(application_id);
    v1::ListAuditEntriesResponse entries;
    grpc::Status s = stub_->ListAuditEntries(Ctx(hr_).get(), r, &entries);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::vector<v1::AuditEntry> out;
    for (const auto& e : entries.entries()) {
      if (e.action() == action) out.push_back(e);
    }
    return out;
  }

  // Ends the application period (ClosePosting) and waits until this service knows it: the
  // steps that follow it (the bodies' verdicts, the end of the procedure) may then begin.
  void CloseApplications(const std::string& posting_id) {
    pv1::ClosePostingRequest close;
    close.set_id(posting_id);
    pv1::Posting closed;
    grpc::Status s = posting_stub_->ClosePosting(Ctx(hr_).get(), close, &closed);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_TRUE(testing::WaitFor(
        [&] {
          auto p = apps_->store().Posting(posting_id);
          return p.ok() && p->has_value() && (*p)->status == "CLOSED";
        },
        absl::Seconds(15)));
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

  // Submits and returns the application, failing the test if that does not work.
  v1::Application Apply(const std::string& posting_id, const std::string& token,
                        const std::function<void(v1::SubmitApplicationRequest&)>& adjust = {}) {
    auto r = Submission(posting_id, token);
    if (adjust) adjust(r);
    v1::Application a;
    grpc::Status s = stub_->SubmitApplication(Ctx(token).get(), r, &a);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return a;
  }

  // Moves an application through ChangeStatus steps by HR; fails the test on an error.
  v1::Application Move(const std::string& id, std::initializer_list<v1::ApplicationStatus> steps) {
    v1::Application out;
    for (auto target : steps) {
      v1::ChangeStatusRequest change;
      change.set_id(id);
      change.set_target(target);
      grpc::Status s = stub_->ChangeStatus(Ctx(hr_).get(), change, &out);
      EXPECT_TRUE(s.ok()) << v1::ApplicationStatus_Name(target) << ": " << s.error_message();
    }
    return out;
  }

  v1::Application GetAs(const std::string& token, const std::string& id) {
    v1::GetApplicationRequest get;
    get.set_id(id);
    v1::Application a;
    grpc::Status s = stub_->GetApplication(Ctx(token).get(), get, &a);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return a;
  }

  static inline std::optional<testing::TestInfra> infra_;
  static inline postings::PostingsApp* postings_ = nullptr;
  static inline ApplicationsApp* apps_ = nullptr;
  static inline coordination::CoordinationApp* coordination_ = nullptr;
  static inline pv1::PostingService::Stub* posting_stub_ = nullptr;
  static inline v1::ApplicationService::Stub* stub_ = nullptr;
  static inline cv1::CoordinationService::Stub* coordination_stub_ = nullptr;
  std::string tenant_, hr_, applicant_;
};

}  // namespace stellenwerk::applications
