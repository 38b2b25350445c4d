#include "services/applications/tests/applications_testing.h"

#include "absl/strings/str_cat.h"

namespace stellenwerk::applications {

ApplicationsUnderTest& StartApplications(testing::Harness& harness,
                                         testing::ServiceUnderTest* postings,
                                         testing::ServiceOptions options) {
  ApplicationsOptions app_options;
  if (postings != nullptr) app_options.postings_addr = postings->address();
  return harness.Start<ApplicationsApp>(kApplicationsService, std::move(options),
                                        std::move(app_options));
}

std::string MinimalPdf(size_t size) {
  std::string s = "%PDF-1.7\n";
  s.resize(size - 6, 'x');
  return s + "\n%%EOF";
}

grpc::Status UploadDocument(v1::ApplicationService::Stub& stub, const std::string& token,
                            const std::string& name, v1::DocumentKind kind,
                            const std::string& content, v1::Document* out, size_t chunk) {
  auto ctx = testing::CallContext(token);
  auto writer = stub.UploadDocument(ctx.get(), out);
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

v1::SubmitApplicationRequest SubmissionFor(v1::ApplicationService::Stub& stub,
                                           const std::string& posting_id, const std::string& token,
                                           absl::Time consent_time) {
  v1::Document cv;
  grpc::Status uploaded = UploadDocument(stub, token, "lebenslauf.pdf", v1::CV, MinimalPdf(), &cv);
  EXPECT_TRUE(uploaded.ok()) << "UploadDocument: " << uploaded.error_message();
  v1::SubmitApplicationRequest r;
  r.set_posting_id(posting_id);
  r.mutable_applicant()->set_given_name("Erika");
  r.mutable_applicant()->set_family_name("Mustermann");
  r.mutable_applicant()->set_email("erika@example.de");
  r.add_document_ids(cv.id());
  r.set_cover_letter_text("Sehr geehrte Damen und Herren, ...");
  // What an anonymised procedure reads instead (seed 003); ignored by the others.
  r.set_anonymised_motivation("Ich möchte die Bürgerdienste bürgernah und digital mitgestalten.");
  r.set_anonymised_qualification("Verwaltungsfachangestellte, 5 Jahre Leistungssachbearbeitung.");
  r.mutable_consent()->set_version("datenschutz-2024-01");
  r.mutable_consent()->mutable_given_time()->set_seconds(absl::ToUnixSeconds(consent_time));
  return r;
}

v1::Application SubmittedApplication(
    v1::ApplicationService::Stub& stub, const std::string& posting_id, const std::string& token,
    absl::Time consent_time, const std::function<void(v1::SubmitApplicationRequest&)>& adjust) {
  auto r = SubmissionFor(stub, posting_id, token, consent_time);
  if (adjust) adjust(r);
  v1::Application a;
  grpc::Status s = stub.SubmitApplication(testing::CallContext(token).get(), r, &a);
  EXPECT_TRUE(s.ok()) << "SubmitApplication: " << s.error_message();
  return a;
}

// --- ApplicationsServiceTest ------------------------------------------------------------------

void ApplicationsServiceTest::StartServices(bool with_coordination) {
  testing::Harness* h = NewHarness(kStart);
  if (h == nullptr) return;
  postings_ = &postings::StartPostings(*h);
  apps_ = &StartApplications(*h, postings_);
  if (with_coordination) coordination_ = &coordination::StartCoordination(*h);
  posting_stub_ = postings_->Stub<pv1::PostingService>();
  stub_ = apps_->Stub<v1::ApplicationService>();
  if (coordination_ != nullptr)
    coordination_stub_ = coordination_->Stub<cv1::CoordinationService>();
}

void ApplicationsServiceTest::TearDownTestSuite() {
  coordination_stub_.reset();
  stub_.reset();
  posting_stub_.reset();
  coordination_ = nullptr;
  apps_ = nullptr;
  postings_ = nullptr;
  ServiceTest::TearDownTestSuite();
}

void ApplicationsServiceTest::SetUp() {
  ServiceTest::SetUp();
  if (IsSkipped() || HasFatalFailure()) return;
  tenant_ = testing::UniqueName("stadt");
  hr_ = harness().Token(tenant_, {"hr_clerk"}, "hr-1");
  applicant_ = NewApplicant();
}

std::string ApplicationsServiceTest::NewApplicant(const std::string& name) const {
  return harness().Token("portal", {"applicant"}, testing::UniqueName(name));
}

std::string ApplicationsServiceTest::Staff(const std::string& role, const std::string& sub) const {
  return harness().Token(tenant_, {role}, sub);
}

std::string ApplicationsServiceTest::OpenPosting(const PostingOptions& o) {
  // Only a pair coordinates (coordination, decision 0040): the tenant and the posting's
  // district are declared one, as their administrators would.
  if (coordination_stub_ != nullptr && !o.coordination_district.empty()) {
    coordination::PairTenants(*coordination_stub_, infra(), tenant_, o.coordination_district);
  }
  const pv1::Posting published =
      postings::PublishedPosting(*posting_stub_, hr_, postings::HernePosting(o));
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        // Listing succeeds once the posting's snapshot has arrived by event.
        v1::ListApplicationsRequest r;
        r.set_posting_id(published.id());
        v1::ListApplicationsResponse out;
        return stub_->ListApplications(Ctx(hr_).get(), r, &out).ok();
      },
      absl::Seconds(10)));
  return published.id();
}

std::vector<v1::AuditEntry> ApplicationsServiceTest::AuditOf(const std::string& application_id,
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

void ApplicationsServiceTest::CloseApplications(const std::string& posting_id) {
  auto known = apps_->app().store().Posting(posting_id);
  if (known.ok() && known->has_value() && (*known)->status == "CLOSED") return;  // already over
  pv1::ClosePostingRequest close;
  close.set_id(posting_id);
  pv1::Posting closed;
  grpc::Status s = posting_stub_->ClosePosting(Ctx(hr_).get(), close, &closed);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        auto p = apps_->app().store().Posting(posting_id);
        return p.ok() && p->has_value() && (*p)->status == "CLOSED";
      },
      absl::Seconds(15)));
}

v1::Application ApplicationsServiceTest::Move(const std::string& id,
                                              std::initializer_list<v1::ApplicationStatus> steps) {
  v1::Application out = GetAs(hr_, id);
  for (auto target : steps) {
    if (target == v1::SCREENING) {
      // Screening starts at the deadline (DOMAIN.md), not by hand: the application period
      // ends (the posting closes) and the deadline moves RECEIVED → SCREENING.
      CloseApplications(out.posting_id());
      EXPECT_TRUE(testing::WaitFor(
          [&] {
            out = GetAs(hr_, id);
            return out.status() == v1::SCREENING;
          },
          absl::Seconds(15)))
          << "still " << v1::ApplicationStatus_Name(out.status());
      continue;
    }
    v1::ChangeStatusRequest change;
    change.set_id(id);
    change.set_target(target);
    grpc::Status s = stub_->ChangeStatus(Ctx(hr_).get(), change, &out);
    EXPECT_TRUE(s.ok()) << v1::ApplicationStatus_Name(target) << ": " << s.error_message();
  }
  return out;
}

v1::Application ApplicationsServiceTest::GetAs(const std::string& token, const std::string& id) {
  v1::GetApplicationRequest get;
  get.set_id(id);
  v1::Application a;
  grpc::Status s = stub_->GetApplication(Ctx(token).get(), get, &a);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return a;
}

}  // namespace stellenwerk::applications
