// The idempotency scope is decided once (store::IdempotencyScope): whose request ids may not
// collide, and whose never meet.
#include "common/store/command.h"

#include "gtest/gtest.h"
#include "stellenwerk/events/v1/meta.pb.h"

namespace stellenwerk::store {
namespace {

Actor Staff(std::string sub, std::string tenant, std::string issuer = "") {
  return Actor::Of(
      auth::Principal{std::move(sub), std::move(tenant), {"hr_clerk"}, std::move(issuer)}, "corr");
}
Actor Applicant(std::string sub, std::string tenant = "portal", std::string issuer = "") {
  return Actor::Of(
      auth::Principal{std::move(sub), std::move(tenant), {"applicant"}, std::move(issuer)}, "corr");
}

TEST(IdempotencyScope, AnotherTenantWithTheSameSubjectNeverSharesAScope) {
  EXPECT_NE(IdempotencyScope(Staff("anna", "stadt-herne")),
            IdempotencyScope(Staff("anna", "stadt-witten")));
}

TEST(IdempotencyScope, AnotherIssuerWithTheSameSubjectAndTenantNeverSharesAScope) {
  EXPECT_NE(IdempotencyScope(Staff("anna", "stadt-herne", "https://idp.herne.de")),
            IdempotencyScope(Staff("anna", "stadt-herne", "https://idp.nrw.de")));
  EXPECT_NE(IdempotencyScope(Applicant("u-1", "portal", "https://a")),
            IdempotencyScope(Applicant("u-1", "portal", "https://b")));
}

TEST(IdempotencyScope, TheStaffOfATenantShareOneScopeEachApplicantHasTheirOwn) {
  EXPECT_EQ(IdempotencyScope(Staff("anna", "stadt-herne")),
            IdempotencyScope(Staff("bernd", "stadt-herne")));
  EXPECT_NE(IdempotencyScope(Applicant("u-1")), IdempotencyScope(Applicant("u-2")));
  // An applicant and a clerk of the same name and tenant text are different people.
  EXPECT_NE(IdempotencyScope(Applicant("anna", "stadt-herne")),
            IdempotencyScope(Staff("anna", "stadt-herne")));
}

TEST(IdempotencyScope, PartsCannotRunIntoEachOther) {
  EXPECT_NE(IdempotencyScope(Applicant("c", "ab")), IdempotencyScope(Applicant("bc", "a")));
  EXPECT_NE(IdempotencyScope(Staff("x", "b", "a")), IdempotencyScope(Staff("x", "", "ab")));
}

TEST(Actor, AnApplicantIsOneWithoutAnyStaffRole) {
  EXPECT_TRUE(Applicant("u-1").applicant);
  EXPECT_FALSE(Staff("anna", "stadt-herne").applicant);
  EXPECT_FALSE(Actor::Of(auth::Principal{"x", "t", {"applicant", "hr_clerk"}}, "").applicant);
  const Actor system = Actor::System("deadline", "stadt-herne", "corr-9");
  EXPECT_EQ(system.sub, "system:deadline");
  EXPECT_EQ(system.tenant, "stadt-herne");
  EXPECT_FALSE(system.applicant);
}

TEST(IdempotencyRequest, HashesTheBodyDeterministicallyAndOnlyWhenKeyed) {
  events::v1::EventMeta a, b;
  a.set_event_id("e-1");
  b.set_event_id("e-2");
  EXPECT_EQ(IdempotencyRequest::Of("Op", "r-1", a).request_hash,
            IdempotencyRequest::Of("Op", "r-2", a).request_hash);
  EXPECT_NE(IdempotencyRequest::Of("Op", "r-1", a).request_hash,
            IdempotencyRequest::Of("Op", "r-1", b).request_hash);
  EXPECT_EQ(IdempotencyRequest::Of("Op", "", a).request_hash, "");
  EXPECT_EQ(RequestHash(a).size(), 64u);
}

}  // namespace
}  // namespace stellenwerk::store
