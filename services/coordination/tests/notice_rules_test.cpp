// The procedure's rules without infrastructure: the one-week window (BGB § 188 (2), § 193,
// NRW holidays, Europe/Berlin), the state machine, quarters, capacity and reimbursement.
#include "services/coordination/domain/notice_rules.h"

#include "common/errors/errors.h"
#include "common/events/catalogue.h"
#include "common/time/berlin_calendar.h"
#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"

namespace stellenwerk::coordination {
namespace {

using google::protobuf::util::TimeUtil;
namespace ev = events::v1;

absl::Time Berlin(int y, int m, int d, int hh = 10, int mm = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, 0), calendar::Berlin());
}
absl::Time Utc(int y, int m, int d, int hh, int mm = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, 0), absl::UTCTimeZone());
}
absl::Time FromTs(const google::protobuf::Timestamp& t) {
  return absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(t));
}

const Actor kCity = Actor::Of(auth::Principal{"hr-witten", "stadt-witten", {"city_coordinator"}},
                              "c1", "city_coordinator");
const Actor kDistrict = Actor::Of(auth::Principal{"ks-en", "kreis-en", {"district_coordinator"}},
                                  "c2", "district_coordinator");

v1::FileStaffingNoticeRequest Filing() {
  v1::FileStaffingNoticeRequest r;
  r.set_district_tenant_id("kreis-en");
  r.set_position_title("Arbeitsvermittler*in (w/m/d) Regionalstelle Witten");
  r.set_role_category(v1::ACTIVE);
  r.set_regional_office("Regionalstelle Witten");
  auto* c = r.add_candidates();
  c->set_qualification("Bachelor Soziale Arbeit (FH)");
  c->set_experience("3 Jahre Arbeitsvermittlung beim Jobcenter Bochum");
  return r;
}

v1::StaffingNotice Filed(absl::Time at, v1::FileStaffingNoticeRequest r = Filing()) {
  auto c = NewNotice(r, "00000000-0000-4000-8000-000000000001", "stadt-witten", kCity, at);
  EXPECT_TRUE(c.ok()) << c.status();
  return c->next;
}

TEST(WindowTest, EasterFridayNoticeEndsOnTuesdayAfterEasterMonday) {
  // 2025-04-11 (Fri) → Fri 18 (Karfreitag) → Sat, Sun, Mon 21 (Ostermontag) → Tue 22, 24:00.
  EXPECT_EQ(WindowEnd(Berlin(2025, 4, 11, 9)), Berlin(2025, 4, 23, 0));
  EXPECT_EQ(calendar::FormatBerlin(WindowEnd(Berlin(2025, 4, 11, 9))), "2025-04-23T00:00:00+02:00");
}

TEST(WindowTest, ChristmasAndNewYearShiftToTheNextWorkingDay) {
  // Fri 2025-12-19 → Fri 26 (2. Weihnachtstag) → Sat, Sun → Mon 29, 24:00 CET.
  EXPECT_EQ(WindowEnd(Berlin(2025, 12, 19, 16)), Berlin(2025, 12, 30, 0));
  // Thu 2025-12-25 → Thu 2026-01-01 (Neujahr) → Fri 2026-01-02, 24:00 CET; across the year end.
  EXPECT_EQ(WindowEnd(Berlin(2025, 12, 25, 11)), Utc(2026, 1, 2, 23));
}

TEST(WindowTest, OctoberDstSwitchIsCountedInCivilDays) {
  // Thu 2025-10-23 (CEST) → Thu 2025-10-30 24:00 CET = 23:00 UTC; the week has 169 hours.
  EXPECT_EQ(WindowEnd(Berlin(2025, 10, 23, 0)), Utc(2025, 10, 30, 23));
  EXPECT_EQ(WindowEnd(Berlin(2025, 10, 23, 0)) - Berlin(2025, 10, 23, 0), absl::Hours(8 * 24 + 1));
  // Sat 2025-10-25 → Sat 2025-11-01 (Allerheiligen, Saturday) → Mon 11-03, 24:00 CET.
  EXPECT_EQ(WindowEnd(Berlin(2025, 10, 25, 12)), Utc(2025, 11, 3, 23));
  // A notice late in the Berlin evening belongs to that Berlin day, not the UTC one.
  EXPECT_EQ(WindowEnd(Utc(2025, 10, 22, 22, 30)), Utc(2025, 10, 30, 23));
}

TEST(FilingTest, NoticeOpensTheWindowWithAnEventAndATimer) {
  const v1::StaffingNotice n = Filed(Berlin(2025, 4, 11));
  EXPECT_EQ(n.status(), v1::WINDOW_OPEN);
  EXPECT_EQ(FromTs(n.window_end_time()), Berlin(2025, 4, 23, 0));
  EXPECT_EQ(n.window_end_local(), "2025-04-23T00:00:00+02:00");
  EXPECT_EQ(n.city_tenant_id(), "stadt-witten");
  auto c = NewNotice(Filing(), "id", "stadt-witten", kCity, Berlin(2025, 4, 11));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->timer, WindowTimer::kSchedule);
  ASSERT_EQ(c->events.size(), 1u);
  EXPECT_EQ(events::RoutingKeyOf(c->events[0]->GetDescriptor()),
            events::RoutingKey<events::v1::StaffingNoticeFiled>());
  ASSERT_EQ(c->audit.size(), 1u);
  EXPECT_EQ(c->audit[0].action(), "FILED");
  EXPECT_EQ(c->audit[0].actor_sub(), "hr-witten");
}

TEST(FilingTest, EmptyDataAndPostsWithoutCoordinationAreRefused) {
  auto r = Filing();
  r.mutable_candidates(0)->set_experience("  ");
  auto s = ValidateFiling(r);
  ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(errors::FieldViolationsOf(s)[0].field, "candidates[0].experience");
  r = Filing();
  r.clear_candidates();
  EXPECT_EQ(ValidateFiling(r).code(), absl::StatusCode::kInvalidArgument);
  r = Filing();
  r.set_role_category(v1::OTHER);
  s = ValidateFiling(r);
  ASSERT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(errors::FieldViolationsOf(s)[0].field, "role_category");
  r = Filing();
  r.set_direct_participation(true);  // only leadership (the head comes from the configuration)
  EXPECT_EQ(errors::FieldViolationsOf(ValidateFiling(r)).size(), 1u);
  // No head configured (the service found none): the notice is refused, not filed headless.
  r.set_role_category(v1::LEADERSHIP);
  EXPECT_EQ(NewNotice(r, "00000000-0000-4000-8000-000000000001", "stadt-witten", kCity,
                      Berlin(2025, 4, 11))
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(ReactionTest, NoObjectionClearsAtOnceButNotAfterTheWindow) {
  const v1::StaffingNotice n = Filed(Berlin(2025, 4, 11));
  auto ok = DeclareNoObjection(n, kDistrict, Berlin(2025, 4, 22, 23, 59), "");
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->next.status(), v1::CLEARED_NO_OBJECTION);
  EXPECT_EQ(ok->next.clearance(), v1::CLEARANCE_NO_OBJECTION);
  EXPECT_EQ(ok->timer, WindowTimer::kCancel);
  ASSERT_EQ(ok->events.size(), 1u);
  EXPECT_EQ(events::RoutingKeyOf(ok->events[0]->GetDescriptor()),
            events::RoutingKey<events::v1::StaffingCleared>());
  auto* cleared = dynamic_cast<ev::StaffingCleared*>(ok->events[0].get());
  ASSERT_NE(cleared, nullptr);
  EXPECT_EQ(cleared->how(), ev::STAFFING_CLEARANCE_NO_OBJECTION);
  // One minute after the window: refused, whether or not the timer fired.
  auto late = DeclareNoObjection(n, kDistrict, Berlin(2025, 4, 23, 0, 1), "");
  EXPECT_EQ(late.status().code(), absl::StatusCode::kFailedPrecondition);
  auto late_concern = RaiseConcern(n, kDistrict, Berlin(2025, 4, 23, 0, 0), v1::CONCERNS, "x");
  EXPECT_EQ(late_concern.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(ReactionTest, ConcernDiscussionWithoutConsensusEndsInInstructionAndReduction) {
  const v1::StaffingNotice n = Filed(Berlin(2025, 4, 11));
  auto concern = RaiseConcern(n, kDistrict, Berlin(2025, 4, 14), v1::CLARIFICATION_NEEDED,
                              "Berufserfahrung in der Fachberatung?");
  ASSERT_TRUE(concern.ok());
  EXPECT_EQ(concern->next.status(), v1::IN_DISCUSSION);
  EXPECT_EQ(concern->timer, WindowTimer::kCancel);
  EXPECT_EQ(events::RoutingKeyOf(concern->events[0]->GetDescriptor()),
            events::RoutingKey<events::v1::StaffingConcernRaised>());
  // No instruction before a discussion.
  EXPECT_EQ(IssueInstruction(concern->next, kDistrict, Berlin(2025, 4, 15), v1::NOT_TO_FILL,
                             "nicht besetzen", "")
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
  v1::RecordDiscussionRequest d;
  auto* p1 = d.add_participants();
  p1->set_name("Frau A");
  p1->set_organisation("Stadt Witten");
  p1->set_administrative_head(true);
  auto* p2 = d.add_participants();
  p2->set_name("Herr B");
  p2->set_organisation("Ennepe-Ruhr-Kreis");
  d.set_minutes("Keine Einigung über die Eignung.");
  // Both sides at the table: two people of one organisation are no discussion between them.
  v1::RecordDiscussionRequest one_sided = d;
  one_sided.mutable_participants(1)->set_organisation(" stadt witten ");
  EXPECT_EQ(RecordDiscussion(concern->next, kCity, Berlin(2025, 4, 24), one_sided).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto discussed = RecordDiscussion(concern->next, kCity, Berlin(2025, 4, 24), d);
  ASSERT_TRUE(discussed.ok()) << discussed.status();
  EXPECT_EQ(discussed->next.discussions_size(), 1);
  EXPECT_TRUE(discussed->events.empty());
  auto instructed =
      IssueInstruction(discussed->next, kDistrict, Berlin(2025, 4, 25), v1::NOT_TO_FILL,
                       "Die Stelle ist nicht mit der vorgesehenen Person zu besetzen.", "");
  ASSERT_TRUE(instructed.ok());
  EXPECT_EQ(instructed->next.status(), v1::INSTRUCTED);
  EXPECT_EQ(instructed->next.instruction_kind(), v1::NOT_TO_FILL);
  EXPECT_EQ(events::RoutingKeyOf(instructed->events[0]->GetDescriptor()),
            events::RoutingKey<events::v1::StaffingInstructed>());
  const auto& told = static_cast<const events::v1::StaffingInstructed&>(*instructed->events[0]);
  EXPECT_EQ(told.kind(), events::v1::STAFFING_INSTRUCTION_NOT_TO_FILL);
  EXPECT_TRUE(told.conditions().empty());
  auto reduced = RecordReduction(instructed->next, kDistrict, Berlin(2025, 4, 25), 500000, 2025,
                                 "Besetzung entgegen der Weisung vorbereitet");
  ASSERT_TRUE(reduced.ok());
  ASSERT_TRUE(reduced->reduction.has_value());
  EXPECT_EQ(reduced->reduction->legal_basis(), kReductionLegalBasis);
  EXPECT_EQ(reduced->next.status(), v1::INSTRUCTED);
  // Consensus is no longer possible after the instruction, nor can the city withdraw from it
  // (the instruction and the reduction are the district's to keep).
  EXPECT_EQ(ResolveByConsensus(instructed->next, kCity, Berlin(2025, 4, 26), v1::PROCEED, "")
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Withdraw(reduced->next, kCity, Berlin(2025, 4, 26), "zurückgezogen").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Withdraw(discussed->next, kCity, Berlin(2025, 4, 26), "zurückgezogen").ok())
      << "before the instruction the city may still withdraw";
}

// Seed 004, Nr. 2: a Weisung im Einzelfall says what it instructs. At the edges: no kind, a
// conditional one without conditions (or blank ones), conditions on a "not with this person",
// an unknown kind — each INVALID_ARGUMENT naming the field; with conditions, they go into the
// notice, the history and the event.
TEST(ReactionTest, AnInstructionSaysWhatItInstructs) {
  v1::StaffingNotice n = Filed(Berlin(2025, 4, 11));
  n.set_status(v1::IN_DISCUSSION);
  n.add_discussions()->set_minutes("Erörterung ohne Einvernehmen.");
  const absl::Time at = Berlin(2025, 4, 25);
  auto field_of = [](const absl::StatusOr<Change>& c) {
    EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
    auto v = errors::FieldViolationsOf(c.status());
    return v.empty() ? std::string() : v[0].field;
  };
  EXPECT_EQ(
      field_of(IssueInstruction(n, kDistrict, at, v1::INSTRUCTION_KIND_UNSPECIFIED, "Weisung", "")),
      "kind");
  EXPECT_EQ(field_of(IssueInstruction(n, kDistrict, at, static_cast<v1::InstructionKind>(7),
                                      "Weisung", "")),
            "kind");
  EXPECT_EQ(field_of(IssueInstruction(n, kDistrict, at, v1::FILL_WITH_CONDITIONS, "Weisung", "")),
            "conditions");
  EXPECT_EQ(
      field_of(IssueInstruction(n, kDistrict, at, v1::FILL_WITH_CONDITIONS, "Weisung", " \n ")),
      "conditions");
  EXPECT_EQ(field_of(IssueInstruction(n, kDistrict, at, v1::NOT_TO_FILL, "Weisung",
                                      "nach Praxiseinweisung")),
            "conditions");
  EXPECT_EQ(field_of(IssueInstruction(n, kDistrict, at, v1::FILL_WITH_CONDITIONS, "",
                                      "nach Praxiseinweisung")),
            "instruction");

  auto c = IssueInstruction(n, kDistrict, at, v1::FILL_WITH_CONDITIONS,
                            "Besetzung mit der vorgesehenen Person unter Auflagen.",
                            "Fachlich fundierte Praxiseinweisung von drei Monaten vor Übernahme "
                            "der Fallverantwortung (Personelle Standards Nr. 1).");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->next.status(), v1::INSTRUCTED);
  EXPECT_EQ(c->next.instruction_kind(), v1::FILL_WITH_CONDITIONS);
  EXPECT_NE(c->next.instruction_conditions().find("Praxiseinweisung"), std::string::npos);
  ASSERT_EQ(c->audit.size(), 1u);
  EXPECT_EQ(c->audit[0].action(), "INSTRUCTION");
  EXPECT_NE(c->audit[0].details().find("FILL_WITH_CONDITIONS"), std::string::npos);
  EXPECT_NE(c->audit[0].details().find("Praxiseinweisung"), std::string::npos);
  ASSERT_EQ(c->events.size(), 1u);
  const auto& e = static_cast<const events::v1::StaffingInstructed&>(*c->events[0]);
  EXPECT_EQ(e.kind(), events::v1::STAFFING_INSTRUCTION_FILL_WITH_CONDITIONS);
  EXPECT_EQ(e.conditions(), c->next.instruction_conditions());
  // The same instruction re-sent later (OutcomeEvents) still says what it instructs.
  Events again = OutcomeEvents(c->next);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(static_cast<const events::v1::StaffingInstructed&>(*again[0]).kind(),
            events::v1::STAFFING_INSTRUCTION_FILL_WITH_CONDITIONS);
}

// GDPR Art. 17: the candidates leave the notice; status, outcome and a line in the history
// stay; a second erasure changes nothing and records nothing.
TEST(ErasureTest, TheCandidatesGoTheNoticeAndItsOutcomeStay) {
  v1::StaffingNotice n = Filed(Berlin(2025, 4, 11));
  n.mutable_candidates(0)->set_name("Erika Mustermann");
  n.set_status(v1::CLEARED_NO_OBJECTION);
  Change c = EraseCandidates(n, Berlin(2025, 11, 3));
  ASSERT_EQ(c.next.candidates_size(), 1);
  EXPECT_TRUE(c.next.candidates(0).name().empty());
  EXPECT_TRUE(c.next.candidates(0).qualification().empty());
  EXPECT_TRUE(c.next.candidates(0).experience().empty());
  EXPECT_TRUE(c.next.has_candidate_erased_time());
  EXPECT_EQ(c.next.status(), v1::CLEARED_NO_OBJECTION);
  EXPECT_EQ(c.next.position_title(), n.position_title());
  ASSERT_EQ(c.audit.size(), 1u);
  EXPECT_EQ(c.audit[0].action(), "CANDIDATE_ERASED");
  EXPECT_EQ(c.audit[0].details().find("Mustermann"), std::string::npos);
  EXPECT_TRUE(c.events.empty());
  const Change again = EraseCandidates(c.next, Berlin(2025, 11, 4));
  EXPECT_TRUE(again.audit.empty());
  EXPECT_EQ(again.next.SerializeAsString(), c.next.SerializeAsString());
}

TEST(ReactionTest, ConsensusToWithdrawPublishesWithdrawn) {
  v1::StaffingNotice n = Filed(Berlin(2025, 4, 11));
  n.set_status(v1::IN_DISCUSSION);
  n.add_discussions()->set_minutes("…");
  auto c = ResolveByConsensus(n, kCity, Berlin(2025, 4, 20), v1::WITHDRAW, "andere Besetzung");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->next.status(), v1::WITHDRAWN);
  EXPECT_EQ(events::RoutingKeyOf(c->events[0]->GetDescriptor()),
            events::RoutingKey<events::v1::StaffingWithdrawn>());
  auto m = ResolveByConsensus(n, kDistrict, Berlin(2025, 4, 20), v1::MODIFIED_PROCEED, "");
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);  // terms required
}

TEST(ReactionTest, TheSideThatGivesGroundDeclaresTheConsensus) {
  v1::StaffingNotice n = Filed(Berlin(2025, 4, 11));
  n.set_status(v1::IN_DISCUSSION);
  n.add_discussions()->set_minutes("…");
  // The city cannot clear over the district's concern, nor the district withdraw the city's
  // hiring: each only concedes its own position.
  EXPECT_EQ(ResolveByConsensus(n, kCity, Berlin(2025, 4, 20), v1::PROCEED, "").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ResolveByConsensus(n, kCity, Berlin(2025, 4, 20), v1::MODIFIED_PROCEED, "Probezeit")
                .status()
                .code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(ResolveByConsensus(n, kDistrict, Berlin(2025, 4, 20), v1::WITHDRAW, "").status().code(),
            absl::StatusCode::kPermissionDenied);
  auto cleared = ResolveByConsensus(n, kDistrict, Berlin(2025, 4, 20), v1::MODIFIED_PROCEED,
                                    "Einarbeitung in der Regionalstelle Hattingen");
  ASSERT_TRUE(cleared.ok()) << cleared.status();
  EXPECT_EQ(cleared->next.status(), v1::CLEARED_BY_CONSENSUS);
}

TEST(ReactionTest, OnlyTheNamedHeadClearsByDirectParticipation) {
  auto r = Filing();
  r.set_role_category(v1::LEADERSHIP);
  r.set_direct_participation(true);
  r.set_job_agency_head_sub("leitung-jaen");
  const v1::StaffingNotice n = Filed(Berlin(2025, 4, 11), r);
  const Actor other =
      Actor::Of(auth::Principal{"someone", "kreis-en", {"job_agency_head"}}, "", "job_agency_head");
  EXPECT_EQ(RecordHeadAgreement(n, other, Berlin(2025, 4, 14), "").status().code(),
            absl::StatusCode::kPermissionDenied);
  const Actor head = Actor::Of(auth::Principal{"leitung-jaen", "kreis-en", {"job_agency_head"}}, "",
                               "job_agency_head");
  auto c = RecordHeadAgreement(n, head, Berlin(2025, 4, 14), "einverstanden");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->next.status(), v1::CLEARED_NO_OBJECTION);
  EXPECT_EQ(c->next.clearance(), v1::CLEARANCE_DIRECT_PARTICIPATION);
}

TEST(TimerTest, WindowElapsesOnlyWhenOpenAndDue) {
  const v1::StaffingNotice n = Filed(Berlin(2025, 4, 11));
  EXPECT_TRUE(ElapseWindow(n, Berlin(2025, 4, 22, 23, 59)).events.empty());
  Change c = ElapseWindow(n, Berlin(2025, 4, 23, 0));
  EXPECT_EQ(c.next.status(), v1::CLEARED_WINDOW_ELAPSED);
  ASSERT_EQ(c.events.size(), 1u);
  EXPECT_EQ(c.audit[0].action(), "WINDOW_ELAPSED");
  // Already reacted: a stale timer does nothing.
  auto cleared = DeclareNoObjection(n, kDistrict, Berlin(2025, 4, 14), "");
  EXPECT_TRUE(ElapseWindow(cleared->next, Berlin(2025, 5, 1)).events.empty());
}

// The legal instant is kept: the service was down over the window's end (Easter 2025: notice
// Friday 11 April, window ends Tuesday 22 April 24:00), the timer fires a day late. The
// clearance is the window's end; the firing time is recorded beside it, in notice and event.
TEST(TimerTest, ATimerFiringADayLateClearsAtTheWindowsEndAndRecordsWhenItFired) {
  const v1::StaffingNotice n = Filed(Berlin(2025, 4, 11));
  const absl::Time end = Berlin(2025, 4, 23, 0);
  const absl::Time fired = end + absl::Hours(24) + absl::Minutes(7);
  Change c = ElapseWindow(n, fired);
  ASSERT_EQ(c.next.status(), v1::CLEARED_WINDOW_ELAPSED);
  EXPECT_EQ(c.next.decision_time().seconds(), absl::ToUnixSeconds(end));
  EXPECT_EQ(c.next.clearance_recorded_time().seconds(), absl::ToUnixSeconds(fired));
  ASSERT_EQ(c.events.size(), 1u);
  const auto* cleared = dynamic_cast<const ev::StaffingCleared*>(c.events[0].get());
  ASSERT_NE(cleared, nullptr);
  EXPECT_EQ(cleared->cleared_time().seconds(), absl::ToUnixSeconds(end));
  EXPECT_EQ(cleared->recorded_time().seconds(), absl::ToUnixSeconds(fired));
  EXPECT_NE(c.audit[0].details().find("recorded"), std::string::npos) << c.audit[0].details();
  // On time, both are the same instant.
  Change on_time = ElapseWindow(n, end);
  EXPECT_EQ(on_time.next.decision_time().seconds(), absl::ToUnixSeconds(end));
  EXPECT_EQ(on_time.next.clearance_recorded_time().seconds(), absl::ToUnixSeconds(end));
}

TEST(QuarterTest, ParsesFormatsAndEndsInBerlin) {
  auto q = ParseQuarter("2025-Q4");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(FormatQuarter(*q), "2025-Q4");
  EXPECT_EQ(FormatQuarter(NextQuarter(*q)), "2026-Q1");
  EXPECT_EQ(QuarterEnd(*q), Utc(2025, 12, 31, 23));
  EXPECT_EQ(QuarterEnd(Quarter{2025, 1}), Utc(2025, 3, 31, 22));  // CEST from 30 March
  EXPECT_EQ(FormatQuarter(QuarterOf(absl::CivilDay(2025, 6, 30))), "2025-Q2");
  EXPECT_FALSE(ParseQuarter("2025-Q5").ok());
  EXPECT_FALSE(ParseQuarter("25-Q1").ok());
}

TEST(CapacityTest, AggregatesPerOfficeAndForTheDistrict) {
  std::vector<v1::BaseDataSubmission> latest(2);
  latest[0].set_city_tenant_id("stadt-witten");
  latest[0].set_regional_office("Witten");
  latest[0].set_quarter("2025-Q1");
  auto* l = latest[0].add_lines();
  l->set_function("Arbeitsvermittlung");
  l->set_headcount(5);
  l->set_fte_milli(4500);
  l->set_qualification("Bachelor");
  l->set_pay_group("EG 9b");
  l->set_trainings(2);
  latest[1] = latest[0];
  latest[1].set_regional_office("Hattingen");
  latest[1].mutable_lines(0)->set_function("Fachberatung");
  const v1::CapacityPlan plan = BuildCapacityPlan("kreis-en", latest);
  ASSERT_EQ(plan.offices_size(), 2);
  EXPECT_EQ(plan.total().headcount(), 10);
  EXPECT_EQ(plan.total().fte_milli(), 9000);
  EXPECT_EQ(plan.total().trainings(), 4);
  EXPECT_EQ(plan.total().by_function_size(), 2);
  ASSERT_EQ(plan.total().by_pay_group_size(), 1);
  EXPECT_EQ(plan.total().by_pay_group(0).headcount(), 10);

  // Districts add up across many offices beyond 32-bit sums.
  std::vector<v1::BaseDataSubmission> many(300, latest[0]);
  for (auto& s : many) {
    s.mutable_lines(0)->set_headcount(10000);
    s.mutable_lines(0)->set_fte_milli(10'000'000);
  }
  EXPECT_EQ(BuildCapacityPlan("kreis-en", many).total().fte_milli(), 3'000'000'000LL);
}

TEST(ReimbursementTest, ClaimedAgainstCapMinusReductions) {
  v1::ReimbursementStatus s;
  s.set_cap_set(true);
  s.set_cap_cents(1'000'000);
  s.set_claimed_cents(1'200'000);
  s.set_reductions_cents(50'000);
  ComputeReimbursement(s);
  EXPECT_EQ(s.reimbursable_cents(), 950'000);
  EXPECT_EQ(s.remaining_cents(), 0);
  EXPECT_EQ(s.over_cap_cents(), 200'000);
  s.set_claimed_cents(400'000);
  ComputeReimbursement(s);
  EXPECT_EQ(s.reimbursable_cents(), 350'000);
  EXPECT_EQ(s.remaining_cents(), 600'000);
  EXPECT_EQ(s.over_cap_cents(), 0);
}

TEST(ReimbursementTest, WithoutACapNothingIsClaimedToBeOverIt) {
  v1::ReimbursementStatus s;
  s.set_claimed_cents(400'000);
  ComputeReimbursement(s);
  EXPECT_FALSE(s.cap_set());
  EXPECT_EQ(s.over_cap_cents(), 0) << "no cap is not a cap of 0";
  EXPECT_EQ(s.reimbursable_cents(), 0);
  EXPECT_EQ(s.claimed_cents(), 400'000);
}

}  // namespace
}  // namespace stellenwerk::coordination
