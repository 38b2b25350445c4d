#include "services/postings/domain/posting_rules.h"

#include "absl/time/civil_time.h"
#include "common/time/berlin_calendar.h"
#include "gtest/gtest.h"

namespace stellenwerk::postings {
namespace {

const absl::Time kNow = calendar::StartOfDay(absl::CivilDay(2024, 10, 1)) + absl::Hours(10);

// Herne's 24/0296 (seed 001), as a draft ready to publish.
v1::Posting Herne() {
  v1::Posting p;
  p.set_title("Sachbearbeiter*in (w/m/d) Bürgerdienste");
  p.set_department("Fachbereich Bürgerdienste");
  p.set_location("Herne");
  p.set_posting_kind(v1::JOB);
  auto* tv = p.add_pay();
  tv->set_scheme(v1::TVOED);
  tv->add_grades("EG 6");
  tv->set_min_cents(306'000);
  tv->set_max_cents(381'000);
  auto* a = p.add_pay();
  a->set_scheme(v1::LBESG_NRW);
  a->add_grades("A 6");
  a->set_min_cents(290'000);
  a->set_max_cents(350'000);
  p.mutable_employment()->set_contract(v1::FIXED_TERM);
  p.mutable_employment()->set_fixed_term_months(24);
  p.mutable_employment()->set_weekly_hours(39);
  p.mutable_employment()->set_weekly_hours_civil_servants(41);
  p.mutable_employment()->set_job_sharing_possible(true);
  p.set_application_deadline("2024-10-20");
  auto* c = p.add_contacts();
  c->set_kind(v1::PROCEDURE);
  c->set_name("Frau Beispiel");
  c->set_phone("02323 16-0000");
  c->set_email("personal@herne.de");
  p.set_status(v1::DRAFT);
  return p;
}

TEST(KennzifferTest, FormatsYearAndRunningNumber) {
  EXPECT_EQ(FormatKennziffer(2024, 296), "24/0296");
  EXPECT_EQ(FormatKennziffer(2030, 1), "30/0001");
  EXPECT_EQ(FormatKennziffer(2024, 12345), "24/12345");  // widens, never wraps or reuses
  EXPECT_TRUE(IsWellFormedKennziffer("24/0296"));
  EXPECT_FALSE(IsWellFormedKennziffer("2024/0296"));
  EXPECT_FALSE(IsWellFormedKennziffer("24-0296"));
  EXPECT_FALSE(IsWellFormedKennziffer("24/0296'; DROP TABLE postings;--"));
}

TEST(GradeTest, AcceptsTheGradesOfEachSchemeAndOrdersThem) {
  EXPECT_TRUE(GradeRank(v1::TVOED, "EG 6").has_value());
  EXPECT_TRUE(GradeRank(v1::TV_L, "EG 9b").has_value());
  EXPECT_TRUE(GradeRank(v1::TVOED, "EG 15Ü").has_value());
  EXPECT_TRUE(GradeRank(v1::TVOED, "S 11b").has_value());
  EXPECT_TRUE(GradeRank(v1::LBESG_NRW, "A 6").has_value());
  EXPECT_TRUE(GradeRank(v1::LBESG_NRW, "A 13").has_value());
  EXPECT_TRUE(GradeRank(v1::PKW_FAHRER_TV_L, "PG 3").has_value());
  EXPECT_LT(*GradeRank(v1::TV_L, "EG 9a"), *GradeRank(v1::TV_L, "EG 9b"));
  EXPECT_LT(*GradeRank(v1::TV_L, "EG 9c"), *GradeRank(v1::TV_L, "EG 10"));
  EXPECT_LT(*GradeRank(v1::LBESG_NRW, "A 9"), *GradeRank(v1::LBESG_NRW, "A 10"));
}

TEST(GradeTest, RefusesGradesOfTheWrongSchemeOrOutOfRange) {
  EXPECT_FALSE(GradeRank(v1::TVOED, "A 6").has_value());
  EXPECT_FALSE(GradeRank(v1::LBESG_NRW, "EG 6").has_value());
  EXPECT_FALSE(GradeRank(v1::TVOED, "EG 16").has_value());
  EXPECT_FALSE(GradeRank(v1::TVOED, "EG 6b").has_value());
  EXPECT_FALSE(GradeRank(v1::PKW_FAHRER_TV_L, "PG 6").has_value());
  EXPECT_FALSE(GradeRank(v1::TVOED, "").has_value());
  EXPECT_FALSE(GradeRank(v1::PAY_SCHEME_UNSPECIFIED, "EG 6").has_value());
}

TEST(ValidateDraftTest, TheSeedPostingIsValid) {
  EXPECT_TRUE(ValidateDraft(Herne(), kNow).ok()) << ValidateDraft(Herne(), kNow);
}

TEST(ValidateDraftTest, MinimumPayAboveMaximumIsRefusedNamingTheField) {
  v1::Posting p = Herne();
  p.mutable_pay(0)->set_min_cents(500'000);
  const absl::Status s = ValidateDraft(p, kNow);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(s.message()).find("posting.pay[0].min_cents"), std::string::npos) << s;
}

TEST(ValidateDraftTest, CollectsEveryProblemAtOnce) {
  v1::Posting p = Herne();
  p.set_title(std::string(kMaxTitle + 1, 'x'));
  p.mutable_pay(1)->set_grades(0, "EG 6");
  p.set_application_deadline("2024-09-30");  // before kNow
  p.mutable_contacts(0)->set_email("not-an-email");
  p.set_posting_kind(static_cast<v1::PostingKind>(42));
  const std::string m(ValidateDraft(p, kNow).message());
  for (const char* field :
       {"posting.title", "posting.pay[1].grades[0]", "posting.application_deadline",
        "posting.contacts[0].email", "posting.posting_kind"}) {
    EXPECT_NE(m.find(field), std::string::npos) << field << " missing in: " << m;
  }
}

TEST(ValidateDraftTest, EveryTextHasALimitCountedInCharactersAndDatesAreDates) {
  v1::Posting p = Herne();
  // 200 umlauts are 400 bytes but 200 characters: a title of exactly the limit.
  std::string umlauts;
  for (size_t i = 0; i < kMaxTitle; ++i) umlauts += "ü";
  p.set_title(umlauts);
  EXPECT_TRUE(ValidateDraft(p, kNow).ok()) << ValidateDraft(p, kNow);
  const std::string long_text(kMaxShortText + 1, 'x');
  p.mutable_contacts(0)->set_department(long_text);
  p.mutable_employment()->set_fixed_term_reason(long_text);
  auto* path = p.add_qualification_paths();
  path->set_description("Verwaltungslehrgang I");
  path->set_additional_training(std::string(kMaxItemText + 1, 'x'));
  std::string m(ValidateDraft(p, kNow).message());
  for (const char* field : {"posting.contacts[0].department",
                            "posting.employment.fixed_term_reason", "additional_training"}) {
    EXPECT_NE(m.find(field), std::string::npos) << field << " missing in: " << m;
  }

  v1::Posting trainee = Herne();
  trainee.set_posting_kind(v1::TRAINEE);
  trainee.mutable_trainee()->add_rotations("");
  trainee.mutable_trainee()->set_mentor(long_text);
  m = std::string(ValidateDraft(trainee, kNow).message());
  EXPECT_NE(m.find("posting.trainee.rotations[0]"), std::string::npos) << m;
  EXPECT_NE(m.find("posting.trainee.mentor"), std::string::npos) << m;

  v1::Posting apprenticeship = Herne();
  apprenticeship.set_posting_kind(v1::APPRENTICESHIP);
  apprenticeship.mutable_apprenticeship()->set_start_date("1. August");
  m = std::string(ValidateDraft(apprenticeship, kNow).message());
  EXPECT_NE(m.find("posting.apprenticeship.start_date"), std::string::npos) << m;
  apprenticeship.mutable_apprenticeship()->set_start_date("2025-08-01");
  EXPECT_TRUE(ValidateDraft(apprenticeship, kNow).ok());

  v1::Posting address = Herne();
  address.set_postal_code("4462");
  EXPECT_NE(std::string(ValidateDraft(address, kNow).message()).find("posting.postal_code"),
            std::string::npos);
  address.set_postal_code("44623");
  address.set_street_address("Friedrich-Ebert-Platz 2");
  EXPECT_TRUE(ValidateDraft(address, kNow).ok());
}

TEST(ValidateDraftTest, InternshipLastsFourWeeksToThreeMonths) {
  v1::Posting p = Herne();
  p.set_posting_kind(v1::INTERNSHIP);
  p.mutable_internship()->set_duration_weeks(3);
  EXPECT_FALSE(ValidateDraft(p, kNow).ok());
  p.mutable_internship()->set_duration_weeks(4);
  EXPECT_TRUE(ValidateDraft(p, kNow).ok());
  p.mutable_internship()->set_duration_weeks(13);
  EXPECT_TRUE(ValidateDraft(p, kNow).ok());
  p.mutable_internship()->set_duration_weeks(14);
  EXPECT_FALSE(ValidateDraft(p, kNow).ok());
}

TEST(PublishTest, NamesEverythingThatIsMissing) {
  v1::Posting p;
  p.set_status(v1::DRAFT);
  const absl::Status s = CheckPublishable(p, kNow);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  const std::string m(s.message());
  for (const char* what : {"title", "pay", "application_deadline", "contacts"}) {
    EXPECT_NE(m.find(what), std::string::npos) << what << " in " << m;
  }
  EXPECT_TRUE(CheckPublishable(Herne(), kNow).ok());
}

TEST(PublishTest, PayAmountsLocationAndTheCoordinatingDistrictAreRequired) {
  v1::Posting p = Herne();
  for (auto& pay : *p.mutable_pay()) {
    pay.set_min_cents(0);
    pay.set_max_cents(0);
  }
  p.clear_location();
  p.set_coordination_required(true);
  p.clear_coordination_district_tenant_id();
  const absl::Status s = CheckPublishable(p, kNow);
  const std::string m(s.message());
  for (const char* what : {"pay amount", "location", "coordination_district_tenant_id"}) {
    EXPECT_NE(m.find(what), std::string::npos) << what << " in " << m;
  }
}

TEST(PublishTest, DeadlineDayItselfStillCountsUntilMidnightBerlin) {
  v1::Posting p = Herne();
  p.set_application_deadline("2024-10-01");
  EXPECT_TRUE(CheckPublishable(p, calendar::StartOfDay(absl::CivilDay(2024, 10, 1)) +
                                      absl::Hours(23) + absl::Minutes(59))
                  .ok());
  EXPECT_FALSE(CheckPublishable(p, calendar::StartOfDay(absl::CivilDay(2024, 10, 2))).ok());
}

TEST(PublishTest, PublishingTwiceIsAFailedPrecondition) {
  v1::Posting p = Herne();
  p.set_status(v1::PUBLISHED);
  EXPECT_EQ(CheckPublishable(p, kNow).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(TransitionTest, OnlyTheLifecycleOrderIsAllowed) {
  EXPECT_TRUE(CheckTransition(v1::DRAFT, v1::PUBLISHED).ok());
  EXPECT_TRUE(CheckTransition(v1::PUBLISHED, v1::CLOSED).ok());
  EXPECT_TRUE(CheckTransition(v1::PUBLISHED, v1::WITHDRAWN).ok());
  EXPECT_TRUE(CheckTransition(v1::DRAFT, v1::WITHDRAWN).ok());
  EXPECT_FALSE(CheckTransition(v1::DRAFT, v1::CLOSED).ok());
  EXPECT_FALSE(CheckTransition(v1::CLOSED, v1::PUBLISHED).ok());
  EXPECT_FALSE(CheckTransition(v1::WITHDRAWN, v1::PUBLISHED).ok());
}

TEST(PublishedUpdateTest, DeadlineMayBeExtendedButNotShortened) {
  v1::Posting before = Herne();
  before.set_status(v1::PUBLISHED);
  v1::Posting after = before;
  after.set_application_deadline("2024-10-31");
  EXPECT_TRUE(CheckPublishedUpdate(before, after, kNow).ok());
  after.set_application_deadline("2024-10-10");
  EXPECT_EQ(CheckPublishedUpdate(before, after, kNow).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(PublishedUpdateTest, PayIsFixedAfterPublishing) {
  v1::Posting before = Herne();
  before.set_status(v1::PUBLISHED);
  v1::Posting after = before;
  after.mutable_pay(0)->set_max_cents(400'000);
  const absl::Status s = CheckPublishedUpdate(before, after, kNow);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(std::string(s.message()).find("pay"), std::string::npos);
  after = before;
  after.set_description("Neue Beschreibung");
  EXPECT_TRUE(CheckPublishedUpdate(before, after, kNow).ok());
}

}  // namespace
}  // namespace stellenwerk::postings
