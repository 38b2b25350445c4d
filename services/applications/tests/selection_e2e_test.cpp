// Selection end to end: ratings and the ranking, the participating bodies, the coordination
// gate with the coordination service running, and the anonymised procedure's identity reveal.
#include "google/protobuf/util/time_util.h"
#include "services/applications/domain/ranking.h"
#include "services/applications/tests/applications_testing.h"
#include "services/coordination/domain/notice_rules.h"

namespace stellenwerk::applications {
namespace {

using google::protobuf::util::TimeUtil;
using testing::UniqueName;

class SelectionE2eTest : public ApplicationsServiceTest {
 protected:
  static void SetUpTestSuite() { StartServices(/*with_coordination=*/true); }

  grpc::Status Rate(const std::string& token, const std::string& id, const std::string& criterion,
                    int score, v1::Rating* out = nullptr) {
    v1::RateApplicationRequest r;
    r.set_id(id);
    r.set_criterion(criterion);
    r.set_score(score);
    v1::Rating ignored;
    return stub_->RateApplication(Ctx(token).get(), r, out != nullptr ? out : &ignored);
  }
  grpc::Status Criteria(const std::string& posting, std::vector<std::string> names) {
    v1::SetRatingCriteriaRequest r;
    r.set_posting_id(posting);
    for (auto& n : names) r.add_criteria()->set_name(n);
    v1::RatingCriteria out;
    return stub_->SetRatingCriteria(Ctx(hr_).get(), r, &out);
  }
  v1::Ranking Ranking(const std::string& token, const std::string& posting) {
    v1::GetRankingRequest r;
    r.set_posting_id(posting);
    v1::Ranking out;
    grpc::Status s = stub_->GetRanking(Ctx(token).get(), r, &out);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }
  grpc::Status Verdict(v1::ParticipationBody body, const std::string& role,
                       const std::string& posting, bool agrees = true) {
    v1::RecordParticipationRequest r;
    r.set_posting_id(posting);
    r.set_body(body);
    r.set_verdict("Keine Einwände gegen die vorgeschlagene Auswahl.");
    r.set_agrees(agrees);
    v1::ParticipationVerdict out;
    return stub_->RecordParticipation(Ctx(Staff(role, role + "-1")).get(), r, &out);
  }
  void AllVerdicts(const std::string& posting, bool with_disability_rep) {
    CloseApplications(posting);
    ASSERT_TRUE(Verdict(v1::EQUAL_OPPORTUNITY_OFFICER, "equal_opportunity_officer", posting).ok());
    ASSERT_TRUE(Verdict(v1::STAFF_COUNCIL, "staff_council", posting).ok());
    if (with_disability_rep) {
      ASSERT_TRUE(
          Verdict(v1::DISABILITY_REPRESENTATIVE, "disability_representative", posting).ok());
    }
  }
  grpc::Status Propose(const std::string& id, v1::Application* out, bool summaries = true) {
    v1::ProposeHiringRequest r;
    r.set_id(id);
    if (summaries) {
      r.set_qualification_summary("Verwaltungsfachwirtin, Angestelltenlehrgang II");
      r.set_experience_summary("5 Jahre Leistungssachbearbeitung SGB II");
    }
    return stub_->ProposeHiring(Ctx(hr_).get(), r, out);
  }
  grpc::Status Finalize(const std::string& id, v1::Application* out) {
    v1::FinalizeHiringRequest r;
    r.set_id(id);
    return stub_->FinalizeHiring(Ctx(hr_).get(), r, out);
  }
  // The coordination notice filed for `application_id` (by the hiring.proposed event).
  std::optional<cv1::StaffingNotice> NoticeFor(const std::string& district_token,
                                               const std::string& application_id) {
    std::optional<cv1::StaffingNotice> found;
    testing::WaitFor(
        [&] {
          cv1::ListStaffingNoticesRequest r;
          cv1::ListStaffingNoticesResponse out;
          if (!coordination_stub_->ListStaffingNotices(Ctx(district_token).get(), r, &out).ok()) {
            return false;
          }
          for (const auto& n : out.notices()) {
            if (n.application_id() == application_id) found = n;
          }
          return found.has_value();
        },
        absl::Seconds(15));
    return found;
  }
  bool WaitForStatus(const std::string& id, v1::ApplicationStatus status) {
    return testing::WaitFor([&] { return GetAs(hr_, id).status() == status; }, absl::Seconds(15));
  }
  // An application of a new applicant, moved to INTERVIEWED.
  v1::Application Interviewed(const std::string& posting, bool severely_disabled = false) {
    auto a = Apply(posting, NewApplicant(),
                   [&](auto& r) { r.set_severely_disabled(severely_disabled); });
    return Move(a.id(), {v1::SCREENING, v1::SHORTLISTED, v1::INVITED, v1::INTERVIEWED});
  }
};

TEST_F(SelectionE2eTest, TheCommitteeRatesAndTheRankingNamesTheRuleThatDecidedEachTie) {
  const std::string posting = OpenPosting({.women_preferred = true});
  auto sex = [](const char* s) {
    return [s](v1::SubmitApplicationRequest& r) { r.mutable_applicant()->set_sex(s); };
  };
  const auto man = Apply(posting, NewApplicant("m"), sex("m"));
  const auto woman = Apply(posting, NewApplicant("w"), sex("w"));
  const auto disabled = Apply(posting, NewApplicant("sb"), [](auto& r) {
    r.mutable_applicant()->set_sex("m");
    r.set_severely_disabled(true);
  });
  const auto unrated = Apply(posting, NewApplicant("u"));
  const auto received = Apply(posting, NewApplicant("r"));
  for (const auto* a : {&man, &woman, &disabled, &unrated})
    Move(a->id(), {v1::SCREENING, v1::SHORTLISTED});

  const std::string k1 = Staff("committee_member", "k-1");
  const std::string k2 = Staff("committee_member", "k-2");
  EXPECT_EQ(Rate(k1, man.id(), "Fachkenntnisse", 4).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION)
      << "no criteria yet";
  v1::SetRatingCriteriaRequest bad;
  bad.set_posting_id(posting);
  bad.add_criteria()->set_name("Fachkenntnisse");
  bad.add_criteria()->set_name("Fachkenntnisse");
  v1::RatingCriteria ignored;
  EXPECT_EQ(stub_->SetRatingCriteria(Ctx(hr_).get(), bad, &ignored).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(stub_->SetRatingCriteria(Ctx(k1).get(), bad, &ignored).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(Criteria(posting, {"Fachkenntnisse", "Kommunikation"}).ok());

  EXPECT_EQ(Rate(k1, man.id(), "Fachkenntnisse", 6).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Rate(k1, man.id(), "Fachkenntnisse", 0).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Rate(k1, man.id(), "Schönheit", 3).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Rate(k1, received.id(), "Fachkenntnisse", 3).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION)
      << "only shortlisted, invited or interviewed applicants are rated";
  EXPECT_EQ(Rate(applicant_, man.id(), "Fachkenntnisse", 5).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  const std::string other = harness().Token(UniqueName("kreis"), {"committee_member"}, "k-9");
  EXPECT_EQ(Rate(other, man.id(), "Fachkenntnisse", 5).error_code(), grpc::StatusCode::NOT_FOUND);

  // man: 4,3 / 3,4 → mean 3.5; woman: 3,4 / 4,3 → 3.5; disabled: 5,5 / 4,4 → 4.5.
  for (const auto& [token, id, c, s] :
       std::vector<std::tuple<std::string, std::string, std::string, int>>{
           {k1, man.id(), "Fachkenntnisse", 4},
           {k1, man.id(), "Kommunikation", 3},
           {k2, man.id(), "Fachkenntnisse", 3},
           {k2, man.id(), "Kommunikation", 4},
           {k1, woman.id(), "Fachkenntnisse", 3},
           {k1, woman.id(), "Kommunikation", 4},
           {k2, woman.id(), "Fachkenntnisse", 4},
           {k2, woman.id(), "Kommunikation", 1},
           {k1, disabled.id(), "Fachkenntnisse", 5},
           {k1, disabled.id(), "Kommunikation", 5},
           {k2, disabled.id(), "Fachkenntnisse", 4},
           {k2, disabled.id(), "Kommunikation", 4}}) {
    grpc::Status s2 = Rate(token, id, c, s);
    ASSERT_TRUE(s2.ok()) << s2.error_message();
  }
  // A rater may correct a score: the second rating replaces the first, it does not count twice.
  v1::Rating corrected;
  ASSERT_TRUE(Rate(k2, woman.id(), "Kommunikation", 3, &corrected).ok());
  EXPECT_EQ(corrected.rater(), "k-2");
  // The criteria are fixed once the committee has rated (equal treatment of all applicants).
  EXPECT_EQ(Criteria(posting, {"Fachkenntnisse"}).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  const v1::Ranking ranking = Ranking(k1, posting);
  ASSERT_EQ(ranking.entries_size(), 4);
  EXPECT_TRUE(ranking.women_preferred_if_underrepresented());
  EXPECT_EQ(ranking.criteria_size(), 2);
  EXPECT_EQ(ranking.entries(0).application_id(), disabled.id());
  EXPECT_DOUBLE_EQ(ranking.entries(0).mean_score(), 4.5);
  EXPECT_EQ(ranking.entries(0).rank(), 1);
  EXPECT_EQ(ranking.entries(0).rating_count(), 4);
  EXPECT_EQ(ranking.entries(0).rater_count(), 2);
  EXPECT_EQ(ranking.entries(1).application_id(), woman.id());
  EXPECT_EQ(ranking.entries(1).tie_rule(), kTieRuleLgg);
  EXPECT_EQ(ranking.entries(2).application_id(), man.id());
  EXPECT_EQ(ranking.entries(2).tie_rule(), kTieRuleLgg);
  EXPECT_EQ(ranking.entries(2).rank(), 3);
  EXPECT_EQ(ranking.entries(3).application_id(), unrated.id());
  EXPECT_EQ(ranking.entries(3).rank(), 0);
  for (const auto& e : ranking.entries()) EXPECT_FALSE(e.explanation().empty());
  // Two raters × two criteria: the three rated are complete, the unrated one is not.
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(ranking.entries(i).complete()) << i;
    EXPECT_EQ(ranking.entries(i).expected_rating_count(), 4);
  }
  EXPECT_FALSE(ranking.entries(3).complete());
  // HR sees the same; applicants and other tenants do not.
  EXPECT_EQ(Ranking(hr_, posting).entries(1).application_id(), woman.id());
  v1::GetRankingRequest r;
  r.set_posting_id(posting);
  v1::Ranking none;
  EXPECT_EQ(stub_->GetRanking(Ctx(applicant_).get(), r, &none).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub_->GetRanking(Ctx(other).get(), r, &none).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(SelectionE2eTest, ProposeHiringWaitsForEveryParticipatingBody) {
  const std::string posting = OpenPosting();
  const auto applied =
      Apply(posting, NewApplicant(), [](auto& r) { r.set_severely_disabled(true); });
  const auto second = Apply(posting, NewApplicant("eingeladen"));
  // Seed 000: the bodies take part after all interviews — not while people still apply, nor
  // while an invited applicant waits for the interview.
  EXPECT_EQ(Verdict(v1::STAFF_COUNCIL, "staff_council", posting).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  const auto a = Move(applied.id(), {v1::SCREENING, v1::SHORTLISTED, v1::INVITED, v1::INTERVIEWED});
  v1::Application out;
  grpc::Status refused = Propose(a.id(), &out);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(refused.error_message().find("EQUAL_OPPORTUNITY_OFFICER"), std::string::npos)
      << refused.error_message();
  const auto invited = Move(second.id(), {v1::SHORTLISTED, v1::INVITED});
  EXPECT_EQ(Verdict(v1::STAFF_COUNCIL, "staff_council", posting).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  Move(invited.id(), {v1::INTERVIEWED});
  // Each body speaks for itself only.
  EXPECT_EQ(Verdict(v1::STAFF_COUNCIL, "equal_opportunity_officer", posting).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Verdict(v1::STAFF_COUNCIL, "hr_clerk", posting).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(Verdict(v1::EQUAL_OPPORTUNITY_OFFICER, "equal_opportunity_officer", posting).ok());
  ASSERT_TRUE(Verdict(v1::STAFF_COUNCIL, "staff_council", posting, /*agrees=*/false).ok());

  // SGB IX § 178 (2): a severely disabled applicant is in the procedure, so the disability
  // representative is required too.
  v1::ListParticipationRequest lr;
  lr.set_posting_id(posting);
  v1::ParticipationStatus status;
  ASSERT_TRUE(stub_->ListParticipation(Ctx(hr_).get(), lr, &status).ok());
  EXPECT_EQ(status.required_size(), 3);
  ASSERT_EQ(status.missing_size(), 1);
  EXPECT_EQ(status.missing(0), v1::DISABILITY_REPRESENTATIVE);
  EXPECT_EQ(status.verdicts_size(), 2);
  refused = Propose(a.id(), &out);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(refused.error_message().find("DISABILITY_REPRESENTATIVE"), std::string::npos);

  ASSERT_TRUE(Verdict(v1::DISABILITY_REPRESENTATIVE, "disability_representative", posting).ok());
  // The staff council refused its consent (LPVG NRW § 66 (1)): no proposal while that stands.
  refused = Propose(a.id(), &out);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(refused.error_message().find("staff council"), std::string::npos)
      << refused.error_message();
  // After the agreement procedure (§ 66 (2)–(7)) it consents; the latest verdict counts.
  ASSERT_TRUE(Verdict(v1::STAFF_COUNCIL, "staff_council", posting, /*agrees=*/true).ok());
  grpc::Status proposed = Propose(a.id(), &out);
  ASSERT_TRUE(proposed.ok()) << proposed.error_message();
  EXPECT_EQ(out.status(), v1::PROPOSED);
  EXPECT_EQ(out.proposal_qualification_summary(), "Verwaltungsfachwirtin, Angestelltenlehrgang II");
  // What the proposal says of the person is part of their data (GDPR Art. 15).
  v1::ExportApplicantDataRequest export_request;
  export_request.set_applicant_sub(a.applicant_sub());
  v1::ApplicantDataExport exported;
  ASSERT_TRUE(stub_->ExportApplicantData(Ctx(hr_).get(), export_request, &exported).ok());
  EXPECT_NE(exported.json().find("Angestelltenlehrgang II"), std::string::npos);
  EXPECT_EQ(Propose(a.id(), &out).error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << "proposed twice";
  // Without coordination, finalizing approves the offer and hires.
  ASSERT_TRUE(Finalize(a.id(), &out).ok());
  EXPECT_EQ(out.status(), v1::HIRED);
  EXPECT_EQ(out.history(out.history_size() - 1).to(), v1::HIRED);
  EXPECT_EQ(Finalize(a.id(), &out).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(SelectionE2eTest, NoReactionWithinTheWindowClearsAndThePendingHiringBecomesFinalizable) {
  const std::string district = UniqueName("kreis");
  const std::string posting = OpenPosting({.coordination_district = district});
  const auto a = Interviewed(posting);
  AllVerdicts(posting, false);
  v1::Application out;
  EXPECT_EQ(Propose(a.id(), &out, /*summaries=*/false).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT)
      << "the district needs qualification and experience data (seed 004)";
  grpc::Status proposed = Propose(a.id(), &out);
  ASSERT_TRUE(proposed.ok()) << proposed.error_message();
  EXPECT_EQ(out.status(), v1::PENDING_COORDINATION);
  EXPECT_EQ(Finalize(a.id(), &out).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  // hiring.proposed filed the notice with the district.
  const std::string district_token =
      harness().Token(district, {"district_coordinator"}, "koordinierung-1");
  auto notice = NoticeFor(district_token, a.id());
  ASSERT_TRUE(notice.has_value());
  EXPECT_EQ(notice->status(), cv1::WINDOW_OPEN);
  EXPECT_EQ(notice->city_tenant_id(), tenant_);
  ASSERT_EQ(notice->candidates_size(), 1);
  EXPECT_EQ(notice->candidates(0).experience(), "5 Jahre Leistungssachbearbeitung SGB II");

  // Nobody reacts; the window elapses.
  harness().SetTime(
      absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(notice->window_end_time())) +
      absl::Minutes(1));
  EXPECT_TRUE(WaitForStatus(a.id(), v1::OFFER_APPROVED));
  ASSERT_TRUE(Finalize(a.id(), &out).ok());
  EXPECT_EQ(out.status(), v1::HIRED);
}

TEST_F(SelectionE2eTest, AWithdrawnNoticeReturnsTheHiringToProposedWithTheReason) {
  const std::string district = UniqueName("kreis");
  const std::string posting = OpenPosting({.coordination_district = district});
  const auto a = Interviewed(posting);
  AllVerdicts(posting, false);
  v1::Application out;
  ASSERT_TRUE(Propose(a.id(), &out).ok());
  const std::string district_token =
      harness().Token(district, {"district_coordinator"}, "koordinierung-1");
  const std::string city_token = harness().Token(tenant_, {"city_coordinator"}, "jc-1");
  auto notice = NoticeFor(district_token, a.id());
  ASSERT_TRUE(notice.has_value());
  cv1::RaiseConcernRequest concern;
  concern.set_id(notice->id());
  concern.set_kind(cv1::CONCERNS);
  concern.set_text("Die Berufserfahrung im Rechtskreis SGB II ist nicht belegt.");
  cv1::StaffingNotice n;
  ASSERT_TRUE(coordination_stub_->RaiseConcern(Ctx(district_token).get(), concern, &n).ok());
  cv1::RecordDiscussionRequest discussion;
  discussion.set_id(notice->id());
  auto* head = discussion.add_participants();
  head->set_name("Dr. Beispiel");
  head->set_organisation("Ennepe-Ruhr-Kreis");
  head->set_administrative_head(true);
  auto* city = discussion.add_participants();
  city->set_name("Frau Muster");
  city->set_organisation("Stadt Witten");
  discussion.set_minutes("Keine Einigung über die Eignung; die Stadt zieht zurück.");
  ASSERT_TRUE(coordination_stub_->RecordDiscussion(Ctx(district_token).get(), discussion, &n).ok());
  cv1::ResolveByConsensusRequest consensus;
  consensus.set_id(notice->id());
  consensus.set_outcome(cv1::WITHDRAW);
  consensus.set_terms("Die Stadt verfolgt die Besetzung mit dieser Person nicht weiter.");
  // The city gives up the hiring: it declares this consensus (the district could not).
  EXPECT_EQ(
      coordination_stub_->ResolveByConsensus(Ctx(district_token).get(), consensus, &n).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  grpc::Status s = coordination_stub_->ResolveByConsensus(Ctx(city_token).get(), consensus, &n);
  ASSERT_TRUE(s.ok()) << s.error_message();

  EXPECT_TRUE(WaitForStatus(a.id(), v1::PROPOSED));
  const auto back = GetAs(hr_, a.id());
  EXPECT_NE(back.history(back.history_size() - 1).reason().find("withdrawn"), std::string::npos)
      << back.history(back.history_size() - 1).reason();
  EXPECT_EQ(Finalize(a.id(), &out).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  // The district objected to this person: proposing them again is refused (the notice is
  // final); HR ends the procedure for them or proposes someone else.
  grpc::Status again = Propose(a.id(), &out);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(again.error_message().find("district"), std::string::npos) << again.error_message();
}

// An instruction says what it instructs (Weisung im Einzelfall, seed 004 Nr. 2): "not with
// this person" sends the hiring back to PROPOSED with the instruction as the reason; "fill it
// with conditions" approves the offer with the conditions recorded on the application, where HR
// sees them, and the hiring can be finalized.
TEST_F(SelectionE2eTest, AnInstructionNotToFillSendsBackAndOneWithConditionsClearsWithThem) {
  const std::string district = UniqueName("kreis");
  const std::string posting = OpenPosting({.coordination_district = district});
  const std::string district_token =
      harness().Token(district, {"district_coordinator"}, "koordinierung-1");
  // Two applicants, each proposed in turn; the district instructs on each notice.
  auto instructed = [&](const v1::Application& a, cv1::InstructionKind kind,
                        const std::string& conditions) -> std::string {
    v1::Application out;
    grpc::Status proposed = Propose(a.id(), &out);
    EXPECT_TRUE(proposed.ok()) << proposed.error_message();
    auto notice = NoticeFor(district_token, a.id());
    EXPECT_TRUE(notice.has_value());
    if (!notice) return "";
    cv1::RaiseConcernRequest concern;
    concern.set_id(notice->id());
    concern.set_kind(cv1::CONCERNS);
    concern.set_text("Berufserfahrung in der Arbeitsvermittlung fehlt.");
    cv1::StaffingNotice n;
    EXPECT_TRUE(coordination_stub_->RaiseConcern(Ctx(district_token).get(), concern, &n).ok());
    cv1::RecordDiscussionRequest discussion;
    discussion.set_id(notice->id());
    auto* head = discussion.add_participants();
    head->set_name("Dr. Beispiel");
    head->set_organisation("Ennepe-Ruhr-Kreis");
    head->set_administrative_head(true);
    auto* city = discussion.add_participants();
    city->set_name("Frau Muster");
    city->set_organisation("Stadt Witten");
    discussion.set_minutes("Erörterung ohne Einvernehmen.");
    EXPECT_TRUE(
        coordination_stub_->RecordDiscussion(Ctx(district_token).get(), discussion, &n).ok());
    cv1::IssueInstructionRequest instruction;
    instruction.set_id(notice->id());
    instruction.set_kind(kind);
    instruction.set_instruction("Weisung im Einzelfall nach Nr. 2 der Personellen Standards.");
    instruction.set_conditions(conditions);
    grpc::Status s =
        coordination_stub_->IssueInstruction(Ctx(district_token).get(), instruction, &n);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return notice->id();
  };
  // Both apply before the period ends (screening starts at the deadline).
  const auto first_applied = Apply(posting, NewApplicant("erste"));
  const auto second_applied = Apply(posting, NewApplicant("zweite"));
  const auto first =
      Move(first_applied.id(), {v1::SCREENING, v1::SHORTLISTED, v1::INVITED, v1::INTERVIEWED});
  const auto second =
      Move(second_applied.id(), {v1::SCREENING, v1::SHORTLISTED, v1::INVITED, v1::INTERVIEWED});
  AllVerdicts(posting, false);

  instructed(first, cv1::NOT_TO_FILL, "");
  ASSERT_TRUE(WaitForStatus(first.id(), v1::PROPOSED));
  const auto back = GetAs(hr_, first.id());
  const std::string reason = back.history(back.history_size() - 1).reason();
  EXPECT_NE(reason.find("not to fill with this person"), std::string::npos) << reason;
  EXPECT_NE(reason.find("Personellen Standards"), std::string::npos) << reason;
  EXPECT_FALSE(back.has_coordination_conditions());
  v1::Application out;
  EXPECT_EQ(Finalize(first.id(), &out).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  const std::string conditions =
      "Fachlich fundierte Praxiseinweisung von drei Monaten vor Übernahme der Fallverantwortung.";
  const std::string notice_id = instructed(second, cv1::FILL_WITH_CONDITIONS, conditions);
  ASSERT_TRUE(WaitForStatus(second.id(), v1::OFFER_APPROVED));
  const auto cleared = GetAs(hr_, second.id());
  ASSERT_TRUE(cleared.has_coordination_conditions());
  EXPECT_EQ(cleared.coordination_conditions().conditions(), conditions);
  EXPECT_EQ(cleared.coordination_conditions().notice_id(), notice_id);
  EXPECT_NE(cleared.history(cleared.history_size() - 1).reason().find("conditions"),
            std::string::npos);
  ASSERT_TRUE(Finalize(second.id(), &out).ok());
  EXPECT_EQ(out.status(), v1::HIRED);
  EXPECT_EQ(out.coordination_conditions().conditions(), conditions) << "they bind the hiring";
}

// Every open state can end: while the district's week runs, the applicant may withdraw and HR
// may reject; the notice is then withdrawn in coordination by event (the district is told by
// coordination.staffing.withdrawn), and its window never clears a staffing that is gone.
TEST_F(SelectionE2eTest, AHiringPendingCoordinationEndsByWithdrawalOrRejectionAndTheNoticeFollows) {
  // The tenant's one district (a city coordinates with one district, decision 0040).
  const std::string district = UniqueName("kreis");
  for (const bool by_applicant : {true, false}) {
    SCOPED_TRACE(by_applicant ? "withdrawn by the applicant" : "rejected by HR");
    const std::string posting = OpenPosting({.coordination_district = district});
    const std::string applicant = NewApplicant();
    const auto applied = Apply(posting, applicant);
    const auto a =
        Move(applied.id(), {v1::SCREENING, v1::SHORTLISTED, v1::INVITED, v1::INTERVIEWED});
    AllVerdicts(posting, false);
    v1::Application out;
    ASSERT_TRUE(Propose(a.id(), &out).ok());
    ASSERT_EQ(out.status(), v1::PENDING_COORDINATION);
    const std::string district_token =
        harness().Token(district, {"district_coordinator"}, "koordinierung-1");
    auto notice = NoticeFor(district_token, a.id());
    ASSERT_TRUE(notice.has_value());
    ASSERT_EQ(notice->status(), cv1::WINDOW_OPEN);

    if (by_applicant) {
      v1::WithdrawApplicationRequest w;
      w.set_id(a.id());
      w.set_reason("Ich habe eine andere Stelle angenommen.");
      grpc::Status s = stub_->WithdrawApplication(Ctx(applicant).get(), w, &out);
      ASSERT_TRUE(s.ok()) << s.error_message();
      EXPECT_EQ(out.status(), v1::WITHDRAWN);
    } else {
      v1::ChangeStatusRequest reject;
      reject.set_id(a.id());
      reject.set_target(v1::REJECTED);
      EXPECT_EQ(stub_->ChangeStatus(Ctx(hr_).get(), reject, &out).error_code(),
                grpc::StatusCode::INVALID_ARGUMENT)
          << "a rejection needs a reason";
      reject.set_reason("Die Bewerberin hat die Einstellungsvoraussetzungen nicht nachgewiesen.");
      grpc::Status s = stub_->ChangeStatus(Ctx(hr_).get(), reject, &out);
      ASSERT_TRUE(s.ok()) << s.error_message();
      EXPECT_EQ(out.status(), v1::REJECTED);
      EXPECT_TRUE(out.has_end_time());
    }
    // Coordination withdraws the notice by the applications event.
    cv1::StaffingNotice seen;
    ASSERT_TRUE(testing::WaitFor(
        [&] {
          cv1::GetStaffingNoticeRequest get;
          get.set_id(notice->id());
          return coordination_stub_->GetStaffingNotice(Ctx(district_token).get(), get, &seen)
                     .ok() &&
                 seen.status() == cv1::WITHDRAWN;
        },
        absl::Seconds(15)))
        << cv1::NoticeStatus_Name(seen.status());
    EXPECT_NE(seen.withdraw_reason().find(by_applicant ? "withdrew" : "rejected"),
              std::string::npos)
        << seen.withdraw_reason();
    // Its window timer is gone (cancelled with the withdrawal, in the same transaction) ...
    int64_t timers_left = -1;
    ASSERT_TRUE(coordination_->runtime()
                    .db()
                    .Read([&](pqxx::work& tx) {
                      timers_left =
                          tx.exec_params1(
                                "SELECT count(*) FROM timers WHERE kind = $1 AND key = $2",
                                coordination::kWindowTimerKind, notice->id())[0]
                              .as<int64_t>();
                      return absl::OkStatus();
                    })
                    .ok());
    EXPECT_EQ(timers_left, 0);
    // ... so the week passes without a clearance, and the application stays as it ended.
    harness().SetTime(
        absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(notice->window_end_time())) +
        absl::Hours(1));
    cv1::GetStaffingNoticeRequest get;
    get.set_id(notice->id());
    ASSERT_TRUE(coordination_stub_->GetStaffingNotice(Ctx(district_token).get(), get, &seen).ok());
    EXPECT_EQ(seen.status(), cv1::WITHDRAWN);
    const auto ended = GetAs(hr_, a.id());
    EXPECT_EQ(ended.status(), by_applicant ? v1::WITHDRAWN : v1::REJECTED);
    EXPECT_EQ(ended.history(ended.history_size() - 1).to(), ended.status())
        << "the notice's withdrawal does not move an ended application";
    harness().SetTime(kStart);
  }
}

// Seed 003: until the reveal, nothing staff see of an anonymised application carries the name
// or the email — in no field, also not the cover letter, which is withheld; the committee reads
// the anonymised texts. A submission whose anonymised text names the applicant is refused.
TEST_F(SelectionE2eTest, AnAnonymisedCommitteeViewContainsNeitherNameNorEmailInAnyField) {
  const std::string posting = OpenPosting({.anonymised = true});
  const std::string applicant = NewApplicant();
  auto refused = Submission(posting, applicant);
  refused.set_anonymised_qualification("Erika Mustermann, Verwaltungsfachwirtin");
  v1::Application out;
  grpc::Status s = stub_->SubmitApplication(Ctx(applicant).get(), refused, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("anonymised_qualification"), std::string::npos)
      << s.error_message();
  const auto a = Apply(posting, applicant, [](auto& r) {
    r.set_cover_letter_text(
        "Sehr geehrte Damen und Herren, ... Mit freundlichen Grüßen Erika Mustermann, "
        "erika@example.de");
  });
  const std::string committee = Staff("committee_member", "k-1");
  auto leaks = [](const v1::Application& seen) {
    const std::string all = seen.DebugString() + seen.SerializeAsString();
    return all.find("Erika") != std::string::npos || all.find("Mustermann") != std::string::npos ||
           all.find("erika@example.de") != std::string::npos;
  };
  for (const std::string& who : {hr_, committee}) {
    const auto seen = GetAs(who, a.id());
    EXPECT_FALSE(leaks(seen)) << seen.DebugString();
    EXPECT_TRUE(seen.cover_letter_text().empty());
    EXPECT_FALSE(seen.anonymised_motivation().empty()) << "what the committee reads";
    EXPECT_FALSE(seen.anonymised_qualification().empty());
    v1::ListApplicationsRequest list;
    list.set_posting_id(posting);
    v1::ListApplicationsResponse listed;
    ASSERT_TRUE(stub_->ListApplications(Ctx(who).get(), list, &listed).ok());
    for (const auto& l : listed.applications()) EXPECT_FALSE(leaks(l)) << l.DebugString();
  }
  EXPECT_NE(GetAs(applicant, a.id()).cover_letter_text().find("Mustermann"), std::string::npos)
      << "the applicant sees their own letter";
  // After the reveal, HR reads the letter.
  Move(a.id(), {v1::SCREENING, v1::SHORTLISTED});
  v1::RevealIdentityRequest reveal;
  reveal.set_id(a.id());
  reveal.set_reason("Einladung zum Auswahlgespräch");
  ASSERT_TRUE(stub_->RevealIdentity(Ctx(hr_).get(), reveal, &out).ok());
  EXPECT_NE(GetAs(hr_, a.id()).cover_letter_text().find("Mustermann"), std::string::npos);
}

TEST_F(SelectionE2eTest, AnonymisedProceduresRevealIdentityToHrOnlyAndAuditIt) {
  const std::string posting = OpenPosting({.anonymised = true});
  const auto a = Apply(posting, applicant_);
  const std::string committee = Staff("committee_member", "k-1");
  for (const std::string& who : {hr_, committee}) {
    const auto seen = GetAs(who, a.id());
    EXPECT_FALSE(seen.has_applicant()) << "no name, birth date, sex, photo or address";
    EXPECT_EQ(seen.documents_size(), 0);
    EXPECT_FALSE(seen.pseudonym().empty());
  }
  EXPECT_EQ(GetAs(applicant_, a.id()).applicant().family_name(), "Mustermann")
      << "the applicant sees their own data";

  v1::RevealIdentityRequest reveal;
  reveal.set_id(a.id());
  reveal.set_reason("Einladung zum Vorstellungsgespräch");
  v1::Application out;
  EXPECT_EQ(stub_->RevealIdentity(Ctx(hr_).get(), reveal, &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION)
      << "not before the shortlist";
  Move(a.id(), {v1::SCREENING, v1::SHORTLISTED});
  EXPECT_EQ(stub_->RevealIdentity(Ctx(committee).get(), reveal, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  const std::string other_hr = harness().Token(UniqueName("kreis"), {"hr_clerk"}, "hr-9");
  EXPECT_EQ(stub_->RevealIdentity(Ctx(other_hr).get(), reveal, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::RevealIdentityRequest no_reason;
  no_reason.set_id(a.id());
  EXPECT_EQ(stub_->RevealIdentity(Ctx(hr_).get(), no_reason, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(stub_->RevealIdentity(Ctx(hr_).get(), reveal, &out).ok());
  EXPECT_TRUE(out.identity_revealed());
  EXPECT_EQ(out.applicant().family_name(), "Mustermann");
  EXPECT_EQ(GetAs(hr_, a.id()).applicant().family_name(), "Mustermann");

  v1::ListAuditEntriesRequest audit;
  audit.set_application_id(a.id());
  v1::ListAuditEntriesResponse entries;
  ASSERT_TRUE(stub_->ListAuditEntries(Ctx(hr_).get(), audit, &entries).ok());
  bool revealed = false;
  for (const auto& e : entries.entries()) {
    if (e.action() == "identity_revealed") {
      revealed = true;
      EXPECT_EQ(e.actor(), "hr-1");
      EXPECT_EQ(e.reason(), reveal.reason());
      EXPECT_TRUE(e.has_time());
    }
  }
  EXPECT_TRUE(revealed);
  EXPECT_EQ(entries.entries(0).action(), "submitted");
  EXPECT_EQ(entries.entries(0).actor(), "applicant " + a.pseudonym())
      << "the applicant's account id would identify them";
  EXPECT_GE(entries.entries_size(), 4) << "submitted, two status changes, the reveal";
  EXPECT_EQ(stub_->ListAuditEntries(Ctx(committee).get(), audit, &entries).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // In an open procedure there is nothing to reveal.
  const auto open = Apply(OpenPosting(), NewApplicant());
  Move(open.id(), {v1::SCREENING, v1::SHORTLISTED});
  reveal.set_id(open.id());
  EXPECT_EQ(stub_->RevealIdentity(Ctx(hr_).get(), reveal, &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(SelectionE2eTest, AnAnonymisedRankingNamesNoPreferenceRuleBeforeTheReveal) {
  const std::string posting = OpenPosting({.anonymised = true, .women_preferred = true});
  ASSERT_TRUE(Criteria(posting, {"Fachkenntnisse"}).ok());
  const auto woman =
      Apply(posting, NewApplicant("w"), [](auto& r) { r.mutable_applicant()->set_sex("w"); });
  const auto man =
      Apply(posting, NewApplicant("m"), [](auto& r) { r.mutable_applicant()->set_sex("m"); });
  const std::string k1 = Staff("committee_member", "k-1");
  for (const auto& a : {woman, man}) {
    Move(a.id(), {v1::SCREENING, v1::SHORTLISTED});
    ASSERT_TRUE(Rate(k1, a.id(), "Fachkenntnisse", 4).ok());
  }
  const v1::Ranking hidden = Ranking(k1, posting);
  ASSERT_EQ(hidden.entries_size(), 2);
  for (const auto& e : hidden.entries()) {
    EXPECT_EQ(e.rank(), 1) << "equal, and nothing may tell them apart yet";
    EXPECT_TRUE(e.tie_rule().empty());
    EXPECT_EQ(e.explanation().find("placed"), std::string::npos) << e.explanation();
  }

  for (const auto& a : {woman, man}) {
    v1::RevealIdentityRequest reveal;
    reveal.set_id(a.id());
    reveal.set_reason("Einladung zum Auswahlgespräch");
    v1::Application out;
    ASSERT_TRUE(stub_->RevealIdentity(Ctx(hr_).get(), reveal, &out).ok());
  }
  const v1::Ranking revealed = Ranking(k1, posting);
  ASSERT_EQ(revealed.entries_size(), 2);
  EXPECT_EQ(revealed.entries(0).application_id(), woman.id());
  EXPECT_EQ(revealed.entries(0).tie_rule(), kTieRuleLgg);
  EXPECT_EQ(revealed.entries(1).rank(), 2);
}

TEST_F(SelectionE2eTest, AnInterviewAfterTheVerdictsAsksTheBodiesAgain) {
  const std::string posting = OpenPosting();
  const auto applied_later = Apply(posting, NewApplicant("spaeter"));
  const auto first = Interviewed(posting);
  const auto later = Move(applied_later.id(), {v1::SHORTLISTED});
  AllVerdicts(posting, false);
  // Someone else is interviewed after the bodies spoke: their verdicts no longer cover the
  // selection as it now stands.
  harness().SetTime(kStart + absl::Hours(2));
  Move(later.id(), {v1::INVITED, v1::INTERVIEWED});
  v1::Application out;
  grpc::Status stale = Propose(first.id(), &out);
  EXPECT_EQ(stale.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(stale.error_message().find("STAFF_COUNCIL"), std::string::npos)
      << stale.error_message();
  ASSERT_TRUE(Verdict(v1::EQUAL_OPPORTUNITY_OFFICER, "equal_opportunity_officer", posting).ok());
  ASSERT_TRUE(Verdict(v1::STAFF_COUNCIL, "staff_council", posting).ok());
  grpc::Status proposed = Propose(first.id(), &out);
  EXPECT_TRUE(proposed.ok()) << proposed.error_message();
}

}  // namespace
}  // namespace stellenwerk::applications
