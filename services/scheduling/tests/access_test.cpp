// Who may do what in scheduling (domain/access.h): pure, no infrastructure.
#include "services/scheduling/domain/access.h"

#include "gtest/gtest.h"

namespace stellenwerk::scheduling {
namespace {

auth::Principal Who(std::vector<std::string> roles, std::string tenant = "stadt") {
  return auth::Principal{"p-1", std::move(tenant), std::move(roles), ""};
}

absl::StatusCode Code(const auth::Principal& who, Operation op) {
  return ActorFor(who, op, "c").status().code();
}

TEST(SchedulingAccess, HrPlansBooksAndReadsEverything) {
  for (const char* role : {"hr_clerk", "admin"}) {
    for (Operation op :
         {Operation::kPlan, Operation::kReadDay, Operation::kBook, Operation::kReadBookings,
          Operation::kDeclarePeriod, Operation::kRequestPeriod, Operation::kReadInvitations,
          Operation::kInvite}) {
      auto actor = ActorFor(Who({role}), op, "c");
      ASSERT_TRUE(actor.ok()) << role;
      EXPECT_FALSE(actor->applicant);
      EXPECT_EQ(actor->role, role);
      EXPECT_EQ(actor->tenant, "stadt");
    }
  }
}

TEST(SchedulingAccess, AnApplicantBooksAndReadsButNeverPlans) {
  const auth::Principal a = Who({"applicant"}, "portal");
  EXPECT_EQ(Code(a, Operation::kPlan), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(a, Operation::kDeclarePeriod), absl::StatusCode::kPermissionDenied);
  // Whether the applicant books themselves is HR's decision, never the applicant's.
  EXPECT_EQ(Code(a, Operation::kInvite), absl::StatusCode::kPermissionDenied);
  for (Operation op : {Operation::kReadDay, Operation::kBook, Operation::kReadBookings,
                       Operation::kRequestPeriod, Operation::kReadInvitations}) {
    auto actor = ActorFor(a, op, "c");
    ASSERT_TRUE(actor.ok());
    EXPECT_TRUE(actor->applicant);
    EXPECT_FALSE(CommitteeOnly(*actor));
  }
}

TEST(SchedulingAccess, ACommitteeMemberOnlyReads) {
  const auth::Principal m = Who({"committee_member"});
  EXPECT_EQ(Code(m, Operation::kPlan), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(m, Operation::kBook), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(m, Operation::kRequestPeriod), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(m, Operation::kReadInvitations), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Code(m, Operation::kInvite), absl::StatusCode::kPermissionDenied);
  auto actor = ActorFor(m, Operation::kReadBookings, "c");
  ASSERT_TRUE(actor.ok());
  EXPECT_TRUE(CommitteeOnly(*actor));
  EXPECT_FALSE(actor->applicant);
  // Staff who are also applicants elsewhere act as staff; a committee member who applies
  // does not book through the committee token.
  EXPECT_EQ(Code(Who({"committee_member", "applicant"}), Operation::kBook),
            absl::StatusCode::kPermissionDenied);
  EXPECT_FALSE(ActorFor(Who({"hr_clerk", "applicant"}), Operation::kBook, "c")->applicant);
}

TEST(SchedulingAccess, OtherRolesAndNoRoleAreRefused) {
  for (const char* role : {"staff_council", "equal_opportunity_officer", "city_coordinator"}) {
    for (Operation op : {Operation::kPlan, Operation::kReadDay, Operation::kBook}) {
      EXPECT_EQ(Code(Who({role}), op), absl::StatusCode::kPermissionDenied) << role;
    }
  }
  EXPECT_EQ(Code(Who({}), Operation::kReadDay), absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace stellenwerk::scheduling
