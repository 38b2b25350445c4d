#include "services/applications/domain/ranking.h"

#include "gtest/gtest.h"
#include "services/applications/domain/application_rules.h"

namespace stellenwerk::applications {
namespace {

RankingCandidate C(std::string pseudonym, int64_t sum, int count, bool female = false,
                   bool disabled = false) {
  RankingCandidate c;
  c.application_id = "id-" + pseudonym;
  c.pseudonym = std::move(pseudonym);
  c.status = v1::INTERVIEWED;
  c.score_sum = sum;
  c.rating_count = count;
  c.rater_count = count == 0 ? 0 : 1;
  c.female = female;
  c.severely_disabled = disabled;
  return c;
}

std::vector<std::string> Order(const v1::Ranking& r) {
  std::vector<std::string> out;
  for (const auto& e : r.entries()) out.push_back(e.pseudonym());
  return out;
}

TEST(RankingTest, OrdersByMeanComparedExactly) {
  // 10/3 = 3.333… and 20/6 are equal; 7/2 = 3.5 is higher; 1000001/300000 is just above 10/3.
  auto r = Rank({C("A", 10, 3), C("B", 7, 2), C("C", 1000001, 300000), C("D", 20, 6)}, false);
  EXPECT_EQ(Order(r), (std::vector<std::string>{"B", "C", "A", "D"}));
  EXPECT_EQ(r.entries(0).rank(), 1);
  EXPECT_EQ(r.entries(1).rank(), 2);
  EXPECT_EQ(r.entries(2).rank(), 3);
  EXPECT_EQ(r.entries(3).rank(), 3) << "equal mean, no rule separates: shared rank";
  EXPECT_TRUE(r.entries(3).tie_rule().empty());
  EXPECT_DOUBLE_EQ(r.entries(0).mean_score(), 3.5);
}

TEST(RankingTest, SeverelyDisabledFirstAtEqualMeanAndTheRuleIsNamed) {
  auto r = Rank({C("A", 8, 2), C("B", 8, 2, false, /*disabled=*/true)}, false);
  EXPECT_EQ(Order(r), (std::vector<std::string>{"B", "A"}));
  EXPECT_EQ(r.entries(0).rank(), 1);
  EXPECT_EQ(r.entries(1).rank(), 2);
  EXPECT_EQ(r.entries(0).tie_rule(), kTieRuleSgb9);
  EXPECT_EQ(r.entries(1).tie_rule(), kTieRuleSgb9);
  EXPECT_NE(r.entries(1).explanation().find("placed after by SGB IX"), std::string::npos)
      << r.entries(1).explanation();
}

TEST(RankingTest, WomenFirstOnlyWhenThePostingSaysTheyAreUnderRepresented) {
  auto preferred = Rank({C("A", 8, 2), C("B", 8, 2, /*female=*/true)}, true);
  EXPECT_EQ(Order(preferred), (std::vector<std::string>{"B", "A"}));
  EXPECT_EQ(preferred.entries(0).tie_rule(), kTieRuleLgg);
  EXPECT_EQ(preferred.entries(1).rank(), 2);

  auto not_preferred = Rank({C("A", 8, 2), C("B", 8, 2, /*female=*/true)}, false);
  EXPECT_EQ(Order(not_preferred), (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(not_preferred.entries(1).rank(), 1) << "no rule applies: shared rank";
  EXPECT_TRUE(not_preferred.entries(1).tie_rule().empty());
}

TEST(RankingTest, AnAnonymisedProcedureWithholdsThePreferencesOfTheUnrevealed) {
  // Before RevealIdentity the ranking must not tell the committee who is a woman or severely
  // disabled: the hidden candidates' ties are not decided by a rule naming them.
  std::vector<RankingCandidate> hidden = {C("A", 8, 2), C("B", 8, 2, /*female=*/true),
                                          C("D", 8, 2, false, /*disabled=*/true)};
  WithholdPreferencesOfHidden(hidden);
  auto r = Rank(hidden, true);
  EXPECT_EQ(Order(r), (std::vector<std::string>{"A", "B", "D"}));
  for (const auto& e : r.entries()) {
    EXPECT_EQ(e.rank(), 1) << e.pseudonym();
    EXPECT_TRUE(e.tie_rule().empty()) << e.pseudonym();
  }
  // Once revealed, the rules decide again.
  std::vector<RankingCandidate> revealed = {C("A", 8, 2), C("B", 8, 2, /*female=*/true)};
  for (auto& c : revealed) c.identity_revealed = true;
  WithholdPreferencesOfHidden(revealed);
  EXPECT_EQ(Order(Rank(revealed, true)), (std::vector<std::string>{"B", "A"}));
}

TEST(RankingTest, AnIncompleteAssessmentIsFlaggedAsProvisional) {
  // Two raters, two criteria: four ratings make a complete assessment.
  std::vector<RankingCandidate> cs = {C("A", 16, 4), C("B", 5, 1)};
  for (auto& c : cs) c.expected_ratings = 4;
  const auto r = Rank(cs, false);
  ASSERT_EQ(Order(r), (std::vector<std::string>{"B", "A"})) << "the order stays the means'";
  EXPECT_FALSE(r.entries(0).complete());
  EXPECT_EQ(r.entries(0).expected_rating_count(), 4);
  EXPECT_NE(r.entries(0).explanation().find("incomplete: 1 of 4 ratings"), std::string::npos)
      << r.entries(0).explanation();
  EXPECT_TRUE(r.entries(1).complete());
  EXPECT_EQ(r.entries(1).explanation().find("incomplete"), std::string::npos);
}

TEST(RankingTest, SgbNineGoesBeforeLggWhenBothApply) {
  // A woman and a severely disabled man, equally qualified, women under-represented:
  // LGG NRW § 7 (1) yields to reasons in the person of the competitor.
  auto r = Rank({C("W", 9, 2, /*female=*/true), C("M", 9, 2, false, /*disabled=*/true)}, true);
  EXPECT_EQ(Order(r), (std::vector<std::string>{"M", "W"}));
  EXPECT_EQ(r.entries(1).tie_rule(), kTieRuleSgb9);
}

TEST(RankingTest, AHigherMeanIsNeverOvertakenByAPreferenceRule) {
  auto r = Rank({C("W", 7, 2, /*female=*/true, /*disabled=*/true), C("M", 9, 2)}, true);
  EXPECT_EQ(Order(r), (std::vector<std::string>{"M", "W"}));
  EXPECT_TRUE(r.entries(0).tie_rule().empty());
  EXPECT_TRUE(r.entries(1).tie_rule().empty());
}

TEST(RankingTest, UnratedCandidatesFollowWithoutARank) {
  auto r = Rank({C("U", 0, 0, true, true), C("A", 2, 2)}, true);
  EXPECT_EQ(Order(r), (std::vector<std::string>{"A", "U"}));
  EXPECT_EQ(r.entries(1).rank(), 0);
  EXPECT_EQ(r.entries(1).explanation(), "not rated yet");
}

TEST(RankingTest, ThreeWayTieMixesRulesAndSharedRanks) {
  auto r = Rank({C("A", 8, 2), C("B", 8, 2, true), C("C", 8, 2, false, true), C("D", 8, 2)}, true);
  EXPECT_EQ(Order(r), (std::vector<std::string>{"C", "B", "A", "D"}));
  EXPECT_EQ(r.entries(0).rank(), 1);
  EXPECT_EQ(r.entries(1).rank(), 2);
  EXPECT_EQ(r.entries(2).rank(), 3);
  EXPECT_EQ(r.entries(3).rank(), 3);
}

TEST(StatisticsTest, GroupsUnderFiveAreSuppressedAndSoAreTheirComplements) {
  EXPECT_FALSE(Group(5, 10).suppressed());
  EXPECT_EQ(Group(5, 10).count(), 5);
  EXPECT_DOUBLE_EQ(Group(5, 10).share(), 0.5);
  EXPECT_TRUE(Group(4, 20).suppressed());
  EXPECT_TRUE(Group(16, 20).suppressed()) << "the complement of 4 would reveal the 4";
  EXPECT_FALSE(Group(0, 20).suppressed()) << "nobody is revealed by zero of twenty";
  EXPECT_FALSE(Group(20, 20).suppressed());
  EXPECT_TRUE(Group(0, 3).suppressed()) << "a total under five reveals everything";
  EXPECT_FALSE(Group(0, 0).suppressed());
  EXPECT_TRUE(Total(4).suppressed());
  EXPECT_FALSE(Total(5).suppressed());
  EXPECT_FALSE(Total(0).suppressed());
}

TEST(StatisticsTest, FemaleIsReadFromTheStatedSexOnly) {
  v1::Applicant a;
  for (const char* s : {"w", " Weiblich ", "female", "F", "Frau"}) {
    a.set_sex(s);
    EXPECT_TRUE(IsFemale(a)) << s;
  }
  for (const char* s : {"", "m", "d", "divers", "männlich", "x"}) {
    a.set_sex(s);
    EXPECT_FALSE(IsFemale(a)) << s;
  }
}

}  // namespace
}  // namespace stellenwerk::applications
