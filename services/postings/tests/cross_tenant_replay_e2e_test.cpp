// Every mutating RPC of the postings service, replayed by HR of another tenant whose token
// carries the same subject: the stored first answer belongs to the first caller's tenant, so the
// other caller gets NOT_FOUND (another tenant's posting) or, creating, a posting of its own.
// Through gRPC against an in-process service on the real infrastructure of scripts/test.
#include "absl/strings/str_cat.h"
#include "common/testing/replay.h"
#include "common/time/berlin_calendar.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/postings/tests/postings_testing.h"
#include "stellenwerk/postings/v1/postings.grpc.pb.h"

namespace stellenwerk::postings {
namespace {

using testing::ExpectReplayStaysWithItsCaller;
using testing::OtherCaller;
using testing::UniqueName;
using Stub = v1::PostingService::Stub;

const absl::Time kStart = kPostingsSuiteStart;

class CrossTenantReplayE2eTest : public PostingsServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    tenant_a_ = UniqueName("A-stadt");
    tenant_b_ = UniqueName("B-stadt");
    // The same subject in both tenants: subjects are unique only per issuer, not per tenant.
    hr_a_ = harness().Token(tenant_a_, {"hr_clerk"}, "hr-1");
    hr_b_ = harness().Token(tenant_b_, {"hr_clerk"}, "hr-1");
  }

  v1::Posting Created() { return CreatedPosting(*stub_, hr_a_); }
  v1::Posting Published() { return PublishedPosting(*stub_, hr_a_); }
  // What identifies tenant A's posting in an answer.
  std::function<std::vector<std::string>(const v1::Posting&)> Secrets() const {
    return [this](const v1::Posting& first) {
      return std::vector<std::string>{first.id(), tenant_a_};
    };
  }
  // Tenant A's posting as it is now: a refused replay must leave it alone.
  v1::Posting Read(const std::string& id) {
    v1::GetPostingRequest r;
    r.set_id(id);
    v1::Posting out;
    grpc::Status s = stub_->GetPosting(testing::CallContext(hr_a_).get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }
  // Another tenant's posting: NOT_FOUND (CONTRACT.md, no existence leak), nothing else.
  OtherCaller OtherTenant() const {
    return {.token = hr_b_, .refusals = {grpc::StatusCode::NOT_FOUND}};
  }

  std::string tenant_a_, tenant_b_, hr_a_, hr_b_;
};

TEST_F(CrossTenantReplayE2eTest, CreatePostingReplayedByAnotherTenantCreatesAPostingOfItsOwn) {
  v1::CreatePostingRequest r;
  *r.mutable_posting() = HernePosting();
  r.set_request_id("create-1");
  const auto outcome =
      ExpectReplayStaysWithItsCaller(stub_.get(), &Stub::CreatePosting, r, hr_a_,
                                     {.token = hr_b_, .refusals = {}, .may_act = true}, Secrets());
  ASSERT_TRUE(outcome.other_status.ok()) << outcome.other_status.error_message();
  EXPECT_EQ(outcome.other.tenant_id(), tenant_b_);
  EXPECT_NE(outcome.other.id(), outcome.first.id());
  EXPECT_EQ(outcome.first.tenant_id(), tenant_a_);
}

TEST_F(CrossTenantReplayE2eTest, UpdatePostingReplayedByAnotherTenantIsNotFound) {
  const v1::Posting draft = Created();
  v1::UpdatePostingRequest r;
  *r.mutable_posting() = draft;
  r.mutable_posting()->set_title("Sachbearbeiter*in (w/m/d) Standesamt");
  r.mutable_update_mask()->add_paths("title");
  r.set_request_id("update-1");
  const auto outcome = ExpectReplayStaysWithItsCaller(stub_.get(), &Stub::UpdatePosting, r, hr_a_,
                                                      OtherTenant(), Secrets());
  EXPECT_EQ(Read(draft.id()).etag(), outcome.first.etag()) << "changed once, by tenant A";
}

TEST_F(CrossTenantReplayE2eTest, PublishPostingReplayedByAnotherTenantIsNotFound) {
  const v1::Posting draft = Created();
  v1::PublishPostingRequest r;
  r.set_id(draft.id());
  r.set_request_id("publish-1");
  const auto outcome = ExpectReplayStaysWithItsCaller(stub_.get(), &Stub::PublishPosting, r, hr_a_,
                                                      OtherTenant(), Secrets());
  EXPECT_EQ(Read(draft.id()).etag(), outcome.first.etag());
}

TEST_F(CrossTenantReplayE2eTest, ClosePostingReplayedByAnotherTenantIsNotFound) {
  const v1::Posting published = Published();
  v1::ClosePostingRequest r;
  r.set_id(published.id());
  r.set_request_id("close-1");
  const auto outcome = ExpectReplayStaysWithItsCaller(stub_.get(), &Stub::ClosePosting, r, hr_a_,
                                                      OtherTenant(), Secrets());
  EXPECT_EQ(Read(published.id()).etag(), outcome.first.etag());
}

TEST_F(CrossTenantReplayE2eTest, WithdrawPostingReplayedByAnotherTenantIsNotFound) {
  const v1::Posting published = Published();
  v1::WithdrawPostingRequest r;
  r.set_id(published.id());
  r.set_reason("Die Stelle wird intern besetzt.");
  r.set_request_id("withdraw-1");
  const auto outcome = ExpectReplayStaysWithItsCaller(stub_.get(), &Stub::WithdrawPosting, r, hr_a_,
                                                      OtherTenant(), Secrets());
  EXPECT_EQ(Read(published.id()).etag(), outcome.first.etag());
}

// The other side of the same scenario: within the tenant, a replay still gets the first answer
// (ExpectReplayStaysWithItsCaller checks it for every RPC above) and changes nothing.
TEST_F(CrossTenantReplayE2eTest, AReplayInTheSameTenantStillGetsTheFirstAnswerAndChangesNothing) {
  v1::CreatePostingRequest r;
  *r.mutable_posting() = HernePosting();
  r.set_request_id("create-once");
  v1::Posting first, again;
  ASSERT_TRUE(stub_->CreatePosting(testing::CallContext(hr_a_).get(), r, &first).ok());
  ASSERT_TRUE(stub_->CreatePosting(testing::CallContext(hr_a_).get(), r, &again).ok());
  EXPECT_EQ(again.SerializeAsString(), first.SerializeAsString());
  v1::ListPostingsRequest list;
  v1::ListPostingsResponse page;
  ASSERT_TRUE(stub_->ListPostings(testing::CallContext(hr_a_).get(), list, &page).ok());
  EXPECT_EQ(page.postings_size(), 1) << "one posting, not two";
}

}  // namespace
}  // namespace stellenwerk::postings
