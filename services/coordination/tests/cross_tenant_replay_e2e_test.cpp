// Every mutating RPC of the coordination service, replayed by a coordinator of another city or
// district whose token carries the same subject: the stored first answer belongs to the first
// caller's tenant, so the other caller gets NOT_FOUND (a notice or city not its own) or, filing
// and reporting, an answer of its own. Through gRPC against an in-process service on the real
// infrastructure of scripts/test, with the fake clock.
#include "absl/strings/str_cat.h"
#include "common/testing/replay.h"
#include "common/time/berlin_calendar.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/coordination/tests/coordination_testing.h"
#include "stellenwerk/coordination/v1/coordination.grpc.pb.h"

namespace stellenwerk::coordination {
namespace {

using testing::CallContext;
using testing::ExpectReplayStaysWithItsCaller;
using testing::OtherCaller;
using testing::UniqueName;
using Stub = v1::CoordinationService::Stub;

// A Friday: the window of a notice filed now ends Tuesday 2025-04-22 24:00 (Easter).
const absl::Time kStart = kCoordinationSuiteStart;

class CrossTenantReplayE2eTest : public CoordinationServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    city_a_ = UniqueName("A-stadt");
    district_a_ = UniqueName("A-kreis");
    city_b_ = UniqueName("B-stadt");
    district_b_ = UniqueName("B-kreis");
    // Decision 0040: the cities coordinate with district A (a district has several cities);
    // district B is nobody's pair here.
    PairTenants(*stub_, infra(), city_a_, district_a_);
    PairTenants(*stub_, infra(), city_b_, district_a_);
  }

  // Subjects are unique only per issuer: the same `sub` acts for tenant A and for tenant B.
  std::string CityA() const { return Token(city_a_, "city_coordinator", "hr-witten"); }
  std::string DistrictA() const { return Token(district_a_, "district_coordinator", "ks-en"); }
  OtherCaller CityB() const {
    return {.token = Token(city_b_, "city_coordinator", "hr-witten"),
            .refusals = {grpc::StatusCode::NOT_FOUND}};
  }
  OtherCaller DistrictB() const {
    return {.token = Token(district_b_, "district_coordinator", "ks-en"),
            .refusals = {grpc::StatusCode::NOT_FOUND}};
  }
  std::string Token(const std::string& tenant, const std::string& role,
                    const std::string& sub) const {
    return harness().Token(tenant, {role}, sub);
  }
  // What identifies tenant A's notice in an answer.
  std::function<std::vector<std::string>(const v1::StaffingNotice&)> NoticeSecrets() const {
    return [this](const v1::StaffingNotice& first) {
      return std::vector<std::string>{first.id(), city_a_, district_a_};
    };
  }

  v1::FileStaffingNoticeRequest Filing() const { return StaffingFiling(district_a_); }
  v1::StaffingNotice File(const v1::FileStaffingNoticeRequest& r) {
    return FiledNotice(*stub_, CityA(), r);
  }
  v1::StaffingNotice File() { return File(Filing()); }
  // A notice of tenant A in discussion: the district raised a concern.
  v1::StaffingNotice InDiscussion() {
    const v1::StaffingNotice n = File();
    v1::RaiseConcernRequest r;
    r.set_id(n.id());
    r.set_kind(v1::CLARIFICATION_NEEDED);
    r.set_text("Praxiserfahrung in der Arbeitsvermittlung?");
    v1::StaffingNotice out;
    grpc::Status s = stub_->RaiseConcern(CallContext(DistrictA()).get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }
  v1::RecordDiscussionRequest Discussion(const std::string& id) const {
    v1::RecordDiscussionRequest r;
    r.set_id(id);
    auto* p = r.add_participants();
    p->set_name("Bürgermeisterin");
    p->set_organisation("Stadt Witten");
    p->set_administrative_head(true);
    p = r.add_participants();
    p->set_name("Landrat");
    p->set_organisation("Ennepe-Ruhr-Kreis");
    p->set_administrative_head(true);
    r.set_minutes("Erörterung ohne Einvernehmen.");
    return r;
  }
  // A notice of tenant A whose discussion has been recorded, without consensus.
  v1::StaffingNotice Discussed() {
    const v1::StaffingNotice n = InDiscussion();
    v1::StaffingNotice out;
    grpc::Status s = stub_->RecordDiscussion(CallContext(CityA()).get(), Discussion(n.id()), &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }
  v1::SubmitBaseDataRequest BaseData() const {
    v1::SubmitBaseDataRequest r;
    r.set_district_tenant_id(district_a_);
    r.set_regional_office("Regionalstelle Witten");
    r.set_quarter("2025-Q1");
    r.set_personnel_cost_cents(40'000'000);
    auto* l = r.add_lines();
    l->set_function("Arbeitsvermittlung");
    l->set_headcount(6);
    l->set_fte_milli(5500);
    l->set_qualification("Bachelor Sozialwesen");
    l->set_pay_group("EG 9c TVöD");
    return r;
  }
  // Tenant A's notice as the district sees it now: a refused replay must leave it alone.
  v1::StaffingNotice Read(const std::string& id) {
    v1::GetStaffingNoticeRequest r;
    r.set_id(id);
    v1::StaffingNotice out;
    grpc::Status s = stub_->GetStaffingNotice(CallContext(DistrictA()).get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  std::string city_a_, district_a_, city_b_, district_b_;
};

TEST_F(CrossTenantReplayE2eTest, FileStaffingNoticeReplayedByAnotherCityFilesANoticeOfItsOwn) {
  v1::FileStaffingNoticeRequest r = Filing();
  r.set_request_id("file-1");
  const auto outcome =
      ExpectReplayStaysWithItsCaller(stub_.get(), &Stub::FileStaffingNotice, r, CityA(),
                                     {.token = CityB().token, .refusals = {}, .may_act = true},
                                     [this](const v1::StaffingNotice& first) {
                                       return std::vector<std::string>{first.id(), city_a_};
                                     });
  ASSERT_TRUE(outcome.other_status.ok()) << outcome.other_status.error_message();
  EXPECT_EQ(outcome.other.city_tenant_id(), city_b_);
  EXPECT_NE(outcome.other.id(), outcome.first.id());
}

TEST_F(CrossTenantReplayE2eTest, DeclareNoObjectionReplayedByAnotherDistrictIsNotFound) {
  const v1::StaffingNotice n = File();
  v1::DeclareNoObjectionRequest r;
  r.set_id(n.id());
  r.set_comment("Keine Einwände.");
  r.set_request_id("no-objection-1");
  const auto outcome = ExpectReplayStaysWithItsCaller(stub_.get(), &Stub::DeclareNoObjection, r,
                                                      DistrictA(), DistrictB(), NoticeSecrets());
  EXPECT_EQ(Read(n.id()).etag(), outcome.first.etag());
}

TEST_F(CrossTenantReplayE2eTest, RaiseConcernReplayedByAnotherDistrictIsNotFound) {
  const v1::StaffingNotice n = File();
  v1::RaiseConcernRequest r;
  r.set_id(n.id());
  r.set_kind(v1::CONCERNS);
  r.set_text("Die Stelle ist im Stellenplan nicht ausgewiesen.");
  r.set_request_id("concern-1");
  const auto outcome = ExpectReplayStaysWithItsCaller(stub_.get(), &Stub::RaiseConcern, r,
                                                      DistrictA(), DistrictB(), NoticeSecrets());
  EXPECT_EQ(Read(n.id()).etag(), outcome.first.etag());
}

TEST_F(CrossTenantReplayE2eTest, RecordDiscussionReplayedByAnotherCityIsNotFound) {
  const v1::StaffingNotice n = InDiscussion();
  v1::RecordDiscussionRequest r = Discussion(n.id());
  r.set_request_id("discussion-1");
  const auto outcome = ExpectReplayStaysWithItsCaller(stub_.get(), &Stub::RecordDiscussion, r,
                                                      CityA(), CityB(), NoticeSecrets());
  EXPECT_EQ(Read(n.id()).discussions_size(), 1);
}

TEST_F(CrossTenantReplayE2eTest, ResolveByConsensusReplayedByAnotherDistrictIsNotFound) {
  const v1::StaffingNotice n = Discussed();
  v1::ResolveByConsensusRequest r;
  r.set_id(n.id());
  r.set_outcome(v1::PROCEED);
  r.set_request_id("consensus-1");
  ExpectReplayStaysWithItsCaller(stub_.get(), &Stub::ResolveByConsensus, r, DistrictA(),
                                 DistrictB(), NoticeSecrets());
}

TEST_F(CrossTenantReplayE2eTest, IssueInstructionReplayedByAnotherDistrictIsNotFound) {
  const v1::StaffingNotice n = Discussed();
  v1::IssueInstructionRequest r;
  r.set_id(n.id());
  r.set_instruction("Weisung im Einzelfall: Besetzung erst nach Praxiseinweisung.");
  r.set_kind(v1::FILL_WITH_CONDITIONS);
  r.set_conditions("Praxiseinweisung von drei Monaten.");
  r.set_request_id("instruction-1");
  ExpectReplayStaysWithItsCaller(stub_.get(), &Stub::IssueInstruction, r, DistrictA(), DistrictB(),
                                 NoticeSecrets());
}

TEST_F(CrossTenantReplayE2eTest, RecordReimbursementReductionReplayedByAnotherDistrictIsNotFound) {
  const v1::StaffingNotice n = Discussed();
  v1::RecordReimbursementReductionRequest r;
  r.set_id(n.id());
  r.set_amount_cents(250'000);
  r.set_reason("Besetzung ohne Einvernehmen");
  r.set_request_id("reduction-1");
  ExpectReplayStaysWithItsCaller(stub_.get(), &Stub::RecordReimbursementReduction, r, DistrictA(),
                                 DistrictB(), NoticeSecrets());
  EXPECT_EQ(Read(n.id()).reductions_size(), 1);
}

TEST_F(CrossTenantReplayE2eTest, WithdrawNoticeReplayedByAnotherCityIsNotFound) {
  const v1::StaffingNotice n = File();
  v1::WithdrawNoticeRequest r;
  r.set_id(n.id());
  r.set_reason("Die Stelle wird nicht besetzt.");
  r.set_request_id("withdraw-1");
  ExpectReplayStaysWithItsCaller(stub_.get(), &Stub::WithdrawNotice, r, CityA(), CityB(),
                                 NoticeSecrets());
}

TEST_F(CrossTenantReplayE2eTest,
       RecordHeadAgreementReplayedByTheSameHeadSubjectOfAnotherDistrictIsNotFound) {
  v1::FileStaffingNoticeRequest filing = Filing();
  filing.set_role_category(v1::LEADERSHIP);
  filing.set_position_title("Regionalstellenleitung Witten");
  filing.set_direct_participation(true);
  filing.set_job_agency_head_sub("leitung-jaen");
  SetJobAgencyHead(*stub_, infra(), district_a_, "leitung-jaen");
  const v1::StaffingNotice n = File(filing);
  v1::RecordHeadAgreementRequest r;
  r.set_id(n.id());
  r.set_comment("Einverstanden.");
  r.set_request_id("head-1");
  ExpectReplayStaysWithItsCaller(stub_.get(), &Stub::RecordHeadAgreement, r,
                                 Token(district_a_, "job_agency_head", "leitung-jaen"),
                                 {.token = Token(district_b_, "job_agency_head", "leitung-jaen"),
                                  .refusals = {grpc::StatusCode::NOT_FOUND}},
                                 NoticeSecrets());
}

TEST_F(CrossTenantReplayE2eTest, SubmitBaseDataReplayedByAnotherCityReportsForThatCity) {
  v1::SubmitBaseDataRequest r = BaseData();
  r.set_request_id("base-data-1");
  const auto outcome = ExpectReplayStaysWithItsCaller(
      stub_.get(), &Stub::SubmitBaseData, r, CityA(),
      {.token = CityB().token, .refusals = {}, .may_act = true},
      [this](const v1::BaseDataSubmission&) { return std::vector<std::string>{city_a_}; });
  ASSERT_TRUE(outcome.other_status.ok()) << outcome.other_status.error_message();
  EXPECT_EQ(outcome.other.city_tenant_id(), city_b_);
  EXPECT_EQ(outcome.first.city_tenant_id(), city_a_);
}

TEST_F(CrossTenantReplayE2eTest, SetReimbursementCapReplayedByAnotherDistrictIsRefused) {
  // District A is the city's pair; district B is not, so its cap is refused (decision 0040).
  v1::BaseDataSubmission submitted;
  grpc::Status s = stub_->SubmitBaseData(CallContext(CityA()).get(), BaseData(), &submitted);
  ASSERT_TRUE(s.ok()) << s.error_message();
  v1::SetReimbursementCapRequest r;
  r.set_city_tenant_id(city_a_);
  r.set_year(2025);
  r.set_cap_cents(150'000'000);
  r.set_request_id("cap-1");
  const auto outcome = ExpectReplayStaysWithItsCaller(
      stub_.get(), &Stub::SetReimbursementCap, r, DistrictA(),
      {.token = DistrictB().token, .refusals = {grpc::StatusCode::FAILED_PRECONDITION}},
      [this](const v1::ReimbursementStatus&) { return std::vector<std::string>{district_a_}; });
  EXPECT_EQ(outcome.first.claimed_cents(), 40'000'000);
}

// The administrators' RPCs (decision 0040): the same admin subject of another tenant replays.
TEST_F(CrossTenantReplayE2eTest, DeclareCoordinationPairReplayedByAnotherTenantsAdminIsRefused) {
  const std::string city = UniqueName("C-stadt");
  v1::DeclareCoordinationPairRequest r;
  r.set_city_tenant_id(city);
  r.set_district_tenant_id(district_b_);
  r.set_request_id("pair-1");
  const auto outcome = ExpectReplayStaysWithItsCaller(
      stub_.get(), &Stub::DeclareCoordinationPair, r, Token(city, "admin", "admin-1"),
      {.token = Token(city_b_, "admin", "admin-1"),
       .refusals = {grpc::StatusCode::PERMISSION_DENIED}},
      [](const v1::CoordinationPair&) { return std::vector<std::string>{"admin-1"}; });
  EXPECT_TRUE(outcome.first.city_declared());
  EXPECT_FALSE(outcome.first.in_force());
}

TEST_F(CrossTenantReplayE2eTest, EndCoordinationPairReplayedByAnotherTenantsAdminIsRefused) {
  v1::EndCoordinationPairRequest r;
  r.set_city_tenant_id(city_a_);
  r.set_district_tenant_id(district_a_);
  r.set_reason("Gebietsänderung");
  r.set_request_id("end-1");
  ExpectReplayStaysWithItsCaller(
      stub_.get(), &Stub::EndCoordinationPair, r, Token(city_a_, "admin", "admin-1"),
      {.token = Token(district_b_, "admin", "admin-1"),
       .refusals = {grpc::StatusCode::PERMISSION_DENIED}},
      [](const v1::CoordinationPair&) { return std::vector<std::string>{"admin-1"}; });
}

TEST_F(CrossTenantReplayE2eTest, SetJobAgencyHeadReplayedByAnotherDistrictSetsItsOwn) {
  v1::SetJobAgencyHeadRequest r;
  r.set_head_sub("leitung-jaen");
  r.set_request_id("head-set-1");
  const auto outcome = ExpectReplayStaysWithItsCaller(
      stub_.get(), &Stub::SetJobAgencyHead, r, Token(district_a_, "admin", "admin-1"),
      {.token = Token(district_b_, "admin", "admin-1"), .refusals = {}, .may_act = true},
      [this](const v1::JobAgency&) { return std::vector<std::string>{district_a_}; });
  ASSERT_TRUE(outcome.other_status.ok()) << outcome.other_status.error_message();
  EXPECT_EQ(outcome.other.district_tenant_id(), district_b_);
  EXPECT_EQ(outcome.first.district_tenant_id(), district_a_);
}

// The other side: within the tenant a replay still gets the first answer and changes nothing
// (ExpectReplayStaysWithItsCaller checks the first caller's replay for every RPC above).
TEST_F(CrossTenantReplayE2eTest, AReplayInTheSameTenantStillGetsTheFirstAnswerAndChangesNothing) {
  const v1::StaffingNotice n = File();
  v1::RaiseConcernRequest r;
  r.set_id(n.id());
  r.set_kind(v1::CONCERNS);
  r.set_text("Die Stelle ist im Stellenplan nicht ausgewiesen.");
  r.set_request_id("concern-once");
  v1::StaffingNotice first, again;
  ASSERT_TRUE(stub_->RaiseConcern(CallContext(DistrictA()).get(), r, &first).ok());
  ASSERT_TRUE(stub_->RaiseConcern(CallContext(DistrictA()).get(), r, &again).ok());
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());
  EXPECT_EQ(Read(n.id()).history_size(), 2) << "FILED, CONCERN_RAISED: once";
}

}  // namespace
}  // namespace stellenwerk::coordination
