// Every mutating RPC of the applications service, replayed by a caller who shares the first
// caller's subject but not its scope: staff of another tenant with the same `sub` and roles, or
// — for applicants, whose tenant is always "portal" — the same `sub` from another token issuer
// (subjects are unique only per issuer). The stored first answer (an application with the
// applicant's name, a rating with its comment, an erasure count) stays with the first caller:
// the other one is refused, or acts in its own right and gets an answer of its own.
#include "common/testing/replay.h"
#include "services/applications/tests/applications_testing.h"

namespace stellenwerk::applications {
namespace {

using testing::ExpectReplayStaysWithItsCaller;
using testing::OtherCaller;
using testing::UniqueName;
using Stub = v1::ApplicationService::Stub;

// Another identity provider in front of the portal, with its own numbering of subjects.
constexpr char kOtherIssuer[] = "https://login.other-portal.example";

class CrossTenantReplayE2eTest : public ApplicationsServiceTest {
 protected:
  void SetUp() override {
    ApplicationsServiceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    tenant_ = UniqueName("A-stadt");
    other_tenant_ = UniqueName("B-stadt");
    hr_ = harness().Token(tenant_, {"hr_clerk"}, "hr-1");
    applicant_sub_ = UniqueName("bewerberin");
    applicant_ = harness().Token("portal", {"applicant"}, applicant_sub_);
  }

  // The same subject with the same roles in the other tenant, as staff of another employer.
  OtherCaller OtherTenant(const std::string& role, const std::string& sub) const {
    // Another tenant's object: NOT_FOUND (CONTRACT.md, no existence leak).
    return {.token = harness().Token(other_tenant_, {role}, sub),
            .refusals = {grpc::StatusCode::NOT_FOUND}};
  }
  // The applicant's subject, issued by another issuer: another person.
  OtherCaller OtherIssuer() const {
    return {.token =
                testing::Token(infra(), "portal", {"applicant"}, applicant_sub_, kOtherIssuer)};
  }
  // What identifies tenant A's application and its applicant in an answer.
  std::function<std::vector<std::string>(const v1::Application&)> ApplicationSecrets() const {
    return [this](const v1::Application& first) {
      return std::vector<std::string>{first.id(), tenant_, first.pseudonym(), "Mustermann",
                                      "erika@example.de"};
    };
  }
  template <typename Response>
  std::function<std::vector<std::string>(const Response&)> Fixed(std::vector<std::string> s) const {
    return [s](const Response&) { return s; };
  }

  grpc::Status Criteria(const std::string& posting, const std::string& name) {
    v1::SetRatingCriteriaRequest r;
    r.set_posting_id(posting);
    r.add_criteria()->set_name(name);
    v1::RatingCriteria out;
    return stub_->SetRatingCriteria(Ctx(hr_).get(), r, &out);
  }
  void Verdict(v1::ParticipationBody body, const std::string& role, const std::string& posting) {
    v1::RecordParticipationRequest r;
    r.set_posting_id(posting);
    r.set_body(body);
    r.set_verdict("Keine Einwände gegen die vorgeschlagene Auswahl.");
    r.set_agrees(true);
    v1::ParticipationVerdict out;
    grpc::Status s = stub_->RecordParticipation(Ctx(Staff(role, role + "-1")).get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
  }
  // The applicant's application, interviewed; the application period is over and the bodies
  // have given their verdicts, so a hiring may be proposed.
  v1::Application ReadyToPropose() {
    const std::string posting = OpenPosting();
    const auto a = Apply(posting, applicant_);
    Move(a.id(), {v1::SCREENING, v1::SHORTLISTED, v1::INVITED, v1::INTERVIEWED});
    CloseApplications(posting);
    Verdict(v1::EQUAL_OPPORTUNITY_OFFICER, "equal_opportunity_officer", posting);
    Verdict(v1::STAFF_COUNCIL, "staff_council", posting);
    return a;
  }

  std::string other_tenant_, applicant_sub_;
};

TEST_F(CrossTenantReplayE2eTest,
       SubmitApplicationReplayedBySameSubjectOfAnotherIssuerGetsNoApplication) {
  auto r = Submission(OpenPosting(), applicant_);
  r.set_request_id("submit-1");
  ExpectReplayStaysWithItsCaller(stub_.get(), &Stub::SubmitApplication, r, applicant_,
                                 OtherIssuer(), ApplicationSecrets());
}

TEST_F(CrossTenantReplayE2eTest,
       WithdrawApplicationReplayedBySameSubjectOfAnotherIssuerGetsNoApplication) {
  const auto a = Apply(OpenPosting(), applicant_);
  v1::WithdrawApplicationRequest r;
  r.set_id(a.id());
  r.set_reason("Ich habe eine andere Stelle angenommen.");
  r.set_request_id("withdraw-1");
  ExpectReplayStaysWithItsCaller(stub_.get(), &Stub::WithdrawApplication, r, applicant_,
                                 OtherIssuer(), ApplicationSecrets());
}

TEST_F(CrossTenantReplayE2eTest, ChangeStatusReplayedByAnotherTenantIsNotFound) {
  const auto a = Move(Apply(OpenPosting(), applicant_).id(), {v1::SCREENING});
  v1::ChangeStatusRequest r;
  r.set_id(a.id());
  r.set_target(v1::SHORTLISTED);
  r.set_reason("Unterlagen vollständig");
  r.set_request_id("status-1");
  ExpectReplayStaysWithItsCaller(stub_.get(), &Stub::ChangeStatus, r, hr_,
                                 OtherTenant("hr_clerk", "hr-1"), ApplicationSecrets());
  EXPECT_EQ(GetAs(hr_, a.id()).history_size(), 2) << "screened at the deadline, moved once by A";
}

TEST_F(CrossTenantReplayE2eTest, RateApplicationReplayedByAnotherTenantIsNotFound) {
  const std::string posting = OpenPosting();
  ASSERT_TRUE(Criteria(posting, "Fachkenntnisse").ok());
  const auto a = Apply(posting, applicant_);
  Move(a.id(), {v1::SCREENING, v1::SHORTLISTED});
  v1::RateApplicationRequest r;
  r.set_id(a.id());
  r.set_criterion("Fachkenntnisse");
  r.set_score(4);
  r.set_comment("Überzeugende Arbeitsprobe, Rückfragen zum Melderecht");
  r.set_request_id("rate-1");
  ExpectReplayStaysWithItsCaller(
      stub_.get(), &Stub::RateApplication, r, Staff("committee_member", "k-1"),
      OtherTenant("committee_member", "k-1"), Fixed<v1::Rating>({a.id(), tenant_, r.comment()}));
}

TEST_F(CrossTenantReplayE2eTest, SetRatingCriteriaReplayedByAnotherTenantIsNotFound) {
  const std::string posting = OpenPosting();
  v1::SetRatingCriteriaRequest r;
  r.set_posting_id(posting);
  r.add_criteria()->set_name("Fachkenntnisse");
  r.add_criteria()->set_name("Kommunikation");
  r.set_request_id("criteria-1");
  ExpectReplayStaysWithItsCaller(stub_.get(), &Stub::SetRatingCriteria, r, hr_,
                                 OtherTenant("hr_clerk", "hr-1"),
                                 Fixed<v1::RatingCriteria>({posting, tenant_}));
}

TEST_F(CrossTenantReplayE2eTest, RecordParticipationReplayedByAnotherTenantIsNotFound) {
  const std::string posting = OpenPosting();
  const auto a = Apply(posting, applicant_);
  Move(a.id(), {v1::SCREENING, v1::SHORTLISTED, v1::INVITED, v1::INTERVIEWED});
  CloseApplications(posting);
  v1::RecordParticipationRequest r;
  r.set_posting_id(posting);
  r.set_body(v1::EQUAL_OPPORTUNITY_OFFICER);
  r.set_verdict("Einverstanden; die Auswahl ist dokumentiert.");
  r.set_agrees(true);
  r.set_request_id("verdict-1");
  ExpectReplayStaysWithItsCaller(stub_.get(), &Stub::RecordParticipation, r,
                                 Staff("equal_opportunity_officer", "gb-1"),
                                 OtherTenant("equal_opportunity_officer", "gb-1"),
                                 Fixed<v1::ParticipationVerdict>({posting, tenant_}));
}

TEST_F(CrossTenantReplayE2eTest, ProposeHiringReplayedByAnotherTenantIsNotFound) {
  const auto a = ReadyToPropose();
  v1::ProposeHiringRequest r;
  r.set_id(a.id());
  r.set_qualification_summary("Verwaltungsfachwirtin, Angestelltenlehrgang II");
  r.set_experience_summary("5 Jahre Bürgerdienste");
  r.set_request_id("propose-1");
  ExpectReplayStaysWithItsCaller(stub_.get(), &Stub::ProposeHiring, r, hr_,
                                 OtherTenant("hr_clerk", "hr-1"), ApplicationSecrets());
}

TEST_F(CrossTenantReplayE2eTest, FinalizeHiringReplayedByAnotherTenantIsNotFound) {
  const auto a = ReadyToPropose();
  v1::ProposeHiringRequest propose;
  propose.set_id(a.id());
  v1::Application proposed;
  grpc::Status s = stub_->ProposeHiring(Ctx(hr_).get(), propose, &proposed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::FinalizeHiringRequest r;
  r.set_id(a.id());
  r.set_request_id("finalize-1");
  const auto outcome =
      ExpectReplayStaysWithItsCaller(stub_.get(), &Stub::FinalizeHiring, r, hr_,
                                     OtherTenant("hr_clerk", "hr-1"), ApplicationSecrets());
  EXPECT_EQ(outcome.first.status(), v1::HIRED);
}

TEST_F(CrossTenantReplayE2eTest, ConcludeProcedureReplayedByAnotherTenantIsNotFound) {
  const std::string posting = OpenPosting();
  Apply(posting, applicant_);
  CloseApplications(posting);
  v1::ConcludeProcedureRequest r;
  r.set_posting_id(posting);
  r.set_reason("Die Stelle ist besetzt.");
  r.set_request_id("conclude-1");
  const auto outcome = ExpectReplayStaysWithItsCaller(
      stub_.get(), &Stub::ConcludeProcedure, r, hr_, OtherTenant("hr_clerk", "hr-1"),
      Fixed<v1::ConcludeProcedureResponse>({posting, tenant_}));
  EXPECT_EQ(outcome.first.rejected(), 1);
}

TEST_F(CrossTenantReplayE2eTest, SetRetentionPolicyReplayedByAnotherTenantIsNotFound) {
  v1::SetRetentionPolicyRequest r;
  r.set_tenant_id(tenant_);
  r.set_months(3);
  r.set_request_id("retention-1");
  ExpectReplayStaysWithItsCaller(stub_.get(), &Stub::SetRetentionPolicy, r,
                                 Staff("admin", "admin-1"), OtherTenant("admin", "admin-1"),
                                 Fixed<v1::RetentionPolicy>({tenant_}));
}

TEST_F(CrossTenantReplayE2eTest, EraseApplicantByHrReplayedByAnotherTenantErasesOnlyItsOwn) {
  Apply(OpenPosting(), applicant_);
  v1::EraseApplicantRequest r;
  r.set_applicant_sub(applicant_sub_);
  r.set_request_id("erase-1");
  // HR of another employer may erase the person's data it holds — here none.
  OtherCaller other = OtherTenant("hr_clerk", "hr-1");
  other.may_act = true;
  const auto outcome = ExpectReplayStaysWithItsCaller(stub_.get(), &Stub::EraseApplicant, r, hr_,
                                                      other, Fixed<v1::EraseApplicantResponse>({}));
  EXPECT_EQ(outcome.first.applications_erased(), 1);
  if (outcome.other_status.ok()) EXPECT_EQ(outcome.other.applications_erased(), 0);
}

TEST_F(CrossTenantReplayE2eTest, EraseApplicantBySameSubjectOfAnotherIssuerIsNotToldTheFirstCount) {
  Apply(OpenPosting(), applicant_);
  v1::EraseApplicantRequest r;
  r.set_applicant_sub(applicant_sub_);
  r.set_request_id("erase-me-1");
  OtherCaller other = OtherIssuer();
  other.may_act = true;  // erasing "its own" data, of which there is none
  const auto outcome =
      ExpectReplayStaysWithItsCaller(stub_.get(), &Stub::EraseApplicant, r, applicant_, other,
                                     Fixed<v1::EraseApplicantResponse>({}));
  EXPECT_EQ(outcome.first.applications_erased(), 1);
  if (outcome.other_status.ok()) EXPECT_EQ(outcome.other.applications_erased(), 0);
}

// Ownership is by Principal::Subject() (issuer and sub), like the idempotency scope: the same
// `sub` from another issuer is another person and sees nothing of the applicant's.
TEST_F(CrossTenantReplayE2eTest, TheSameSubjectOfAnotherIssuerCannotReadListExportOrErase) {
  const v1::Application a = Apply(OpenPosting(), applicant_);
  const std::string other = OtherIssuer().token;

  v1::GetApplicationRequest get;
  get.set_id(a.id());
  v1::Application seen;
  EXPECT_EQ(stub_->GetApplication(Ctx(other).get(), get, &seen).error_code(),
            grpc::StatusCode::NOT_FOUND);

  v1::ListApplicationsResponse listed;
  ASSERT_TRUE(
      stub_->ListApplications(Ctx(other).get(), v1::ListApplicationsRequest(), &listed).ok());
  EXPECT_EQ(listed.applications_size(), 0);

  v1::ExportApplicantDataRequest exp;
  exp.set_applicant_sub(applicant_sub_);
  v1::ApplicantDataExport exported;
  EXPECT_EQ(stub_->ExportApplicantData(Ctx(other).get(), exp, &exported).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  v1::EraseApplicantRequest erase;
  erase.set_applicant_sub(applicant_sub_);
  v1::EraseApplicantResponse erased;
  EXPECT_EQ(stub_->EraseApplicant(Ctx(other).get(), erase, &erased).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // The applicant's own token still sees the application, untouched.
  ASSERT_TRUE(stub_->GetApplication(Ctx(applicant_).get(), get, &seen).ok());
  EXPECT_EQ(seen.status(), v1::RECEIVED);
}

// RevealIdentity takes no request_id (every reveal is audited, a repeated one too): the same
// request from another tenant is refused like any other access to the application.
TEST_F(CrossTenantReplayE2eTest, RevealIdentityRepeatedByAnotherTenantIsNotFound) {
  const std::string posting = OpenPosting({.anonymised = true});
  const auto a = Apply(posting, applicant_);
  Move(a.id(), {v1::SCREENING, v1::SHORTLISTED});
  v1::RevealIdentityRequest r;
  r.set_id(a.id());
  r.set_reason("Einladung zum Vorstellungsgespräch");
  v1::Application revealed, other;
  ASSERT_TRUE(stub_->RevealIdentity(Ctx(hr_).get(), r, &revealed).ok());
  const OtherCaller b = OtherTenant("hr_clerk", "hr-1");
  grpc::Status s = stub_->RevealIdentity(Ctx(b.token).get(), r, &other);
  EXPECT_TRUE(testing::NotTheFirstAnswer(s, r, other, revealed, b, ApplicationSecrets()(revealed)));
  EXPECT_EQ(AuditOf(a.id(), "identity_revealed").size(), 1u);
}

// UploadDocument takes no request_id either: each upload is a document of its own.
TEST_F(CrossTenantReplayE2eTest,
       UploadDocumentRepeatedBySameSubjectOfAnotherIssuerGetsADocumentOfItsOwn) {
  v1::Document first, other;
  ASSERT_TRUE(Upload(applicant_, "lebenslauf.pdf", v1::CV, Pdf(), &first).ok());
  ASSERT_TRUE(Upload(OtherIssuer().token, "lebenslauf.pdf", v1::CV, Pdf(), &other).ok());
  EXPECT_NE(other.id(), first.id());
}

// The other side: within its scope a replay still gets the first answer and changes nothing
// (ExpectReplayStaysWithItsCaller checks the first caller's replay for every RPC above).
TEST_F(CrossTenantReplayE2eTest, AReplayInTheSameScopeStillGetsTheFirstAnswerAndChangesNothing) {
  auto submit = Submission(OpenPosting(), applicant_);
  submit.set_request_id("submit-once");
  v1::Application first, again;
  ASSERT_TRUE(stub_->SubmitApplication(Ctx(applicant_).get(), submit, &first).ok());
  ASSERT_TRUE(stub_->SubmitApplication(Ctx(applicant_).get(), submit, &again).ok());
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());

  Move(first.id(), {v1::SCREENING});
  v1::ChangeStatusRequest change;
  change.set_id(first.id());
  change.set_target(v1::SHORTLISTED);
  change.set_request_id("status-once");
  v1::Application moved, moved_again;
  ASSERT_TRUE(stub_->ChangeStatus(Ctx(hr_).get(), change, &moved).ok());
  ASSERT_TRUE(stub_->ChangeStatus(Ctx(hr_).get(), change, &moved_again).ok());
  EXPECT_EQ(moved_again.SerializeAsString(), moved.SerializeAsString());
  EXPECT_EQ(GetAs(hr_, first.id()).history_size(), 2) << "one transition by HR, not two";
}

}  // namespace
}  // namespace stellenwerk::applications
