// Every move of an application — a person's or the system's — is checked against what its
// cause allows, and builds its history, status events and audit lines in one place.
#include "services/applications/domain/transitions.h"

#include "absl/time/civil_time.h"
#include "common/events/catalogue.h"
#include "common/time/berlin_calendar.h"
#include "gtest/gtest.h"
#include "stellenwerk/events/v1/applications.pb.h"

namespace stellenwerk::applications {
namespace {

namespace ev = events::v1;

const absl::Time kNow = calendar::StartOfDay(absl::CivilDay(2026, 12, 1)) + absl::Hours(10);

v1::Application In(v1::ApplicationStatus status) {
  v1::Application a;
  a.set_id("a-1");
  a.set_posting_id("p-1");
  a.set_tenant_id("stadt-herne");
  a.set_applicant_sub("u-1");
  a.set_status(status);
  return a;
}

std::vector<std::string> Keys(const AppChange& c) {
  std::vector<std::string> keys;
  for (const auto& e : c.events) keys.push_back(events::RoutingKeyOf(e->GetDescriptor()));
  return keys;
}

TEST(Transitions, EachCauseAllowsOnlyItsOwnMoves) {
  // DOMAIN.md: screening starts at the deadline, by the system.
  EXPECT_TRUE(MayMove(Cause::kDeadline, v1::RECEIVED, v1::SCREENING));
  EXPECT_FALSE(MayMove(Cause::kDeadline, v1::SCREENING, v1::SHORTLISTED));
  EXPECT_FALSE(MayMove(Cause::kDeadline, v1::RECEIVED, v1::REJECTED));
  // The applicant withdraws from any open state, never a final one.
  EXPECT_TRUE(MayMove(Cause::kWithdrawal, v1::PENDING_COORDINATION, v1::WITHDRAWN));
  EXPECT_FALSE(MayMove(Cause::kWithdrawal, v1::HIRED, v1::WITHDRAWN));
  EXPECT_FALSE(MayMove(Cause::kWithdrawal, v1::SCREENING, v1::REJECTED));
  // The end of a procedure rejects what is open, and only that.
  EXPECT_TRUE(MayMove(Cause::kProcedureEnded, v1::RECEIVED, v1::REJECTED));
  EXPECT_FALSE(MayMove(Cause::kProcedureEnded, v1::HIRED, v1::REJECTED));
  EXPECT_FALSE(MayMove(Cause::kProcedureEnded, v1::SCREENING, v1::WITHDRAWN));
  // Seed 004: only a hiring waiting on the district moves by its outcome.
  EXPECT_TRUE(MayMove(Cause::kCoordination, v1::PENDING_COORDINATION, v1::OFFER_APPROVED));
  EXPECT_TRUE(MayMove(Cause::kCoordination, v1::PENDING_COORDINATION, v1::PROPOSED));
  EXPECT_FALSE(MayMove(Cause::kCoordination, v1::PROPOSED, v1::OFFER_APPROVED));
  // Staff follow the status flow and do not withdraw for the applicant.
  EXPECT_TRUE(MayMove(Cause::kStaffDecision, v1::SCREENING, v1::SHORTLISTED));
  EXPECT_FALSE(MayMove(Cause::kStaffDecision, v1::RECEIVED, v1::SHORTLISTED));
  EXPECT_FALSE(MayMove(Cause::kStaffDecision, v1::SCREENING, v1::WITHDRAWN));
  // DOMAIN.md: screening starts at the deadline, never by hand before it.
  EXPECT_FALSE(MayMove(Cause::kStaffDecision, v1::RECEIVED, v1::SCREENING));
  EXPECT_FALSE(MayMove(Cause::kWithdrawal, v1::RECEIVED, v1::SCREENING));
  EXPECT_FALSE(MayMove(Cause::kProcedureEnded, v1::RECEIVED, v1::SCREENING));
}

TEST(Transitions, AMoveItsCauseDoesNotAllowIsRefusedAndChangesNothing) {
  auto moved = Transition(
      In(v1::SCREENING),
      Move{
          .to = v1::SCREENING, .cause = Cause::kDeadline, .actor = "system:deadline", .now = kNow});
  EXPECT_EQ(moved.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(Transitions, AMoveWritesHistoryEventAndAuditOnce) {
  auto c = Transition(In(v1::RECEIVED), Move{.to = v1::SCREENING,
                                             .cause = Cause::kDeadline,
                                             .actor = "system:deadline",
                                             .reason = "application deadline passed",
                                             .now = kNow});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->next.status(), v1::SCREENING);
  ASSERT_EQ(c->next.history_size(), 1);
  EXPECT_EQ(c->next.history(0).actor(), "system:deadline");
  EXPECT_EQ(Keys(*c), (std::vector<std::string>{"applications.application.status_changed.v1"}));
  const auto& e = static_cast<const ev::ApplicationStatusChanged&>(*c->events[0]);
  EXPECT_EQ(e.from(), "RECEIVED");
  EXPECT_EQ(e.to(), "SCREENING");
  ASSERT_EQ(c->audit.size(), 1u);
  EXPECT_EQ(c->audit[0].action, "status_changed");
  EXPECT_FALSE(c->next.has_end_time()) << "still open: no retention yet";
}

TEST(Transitions, LeavingTheOpenStatesStartsRetention) {
  auto c = Transition(In(v1::SHORTLISTED), Move{.to = v1::REJECTED,
                                                .cause = Cause::kProcedureEnded,
                                                .actor = "hr-1",
                                                .reason = "Stelle besetzt",
                                                .now = kNow});
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->next.has_end_time());
}

TEST(Transitions, AStepOnTheWayIsRecordedAndCheckedToo) {
  auto c = Transition(In(v1::INTERVIEWED), Move{.to = v1::PENDING_COORDINATION,
                                                .cause = Cause::kStaffDecision,
                                                .actor = "hr-1",
                                                .reason = "hiring proposed",
                                                .now = kNow,
                                                .via = v1::PROPOSED});
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->next.history_size(), 2);
  EXPECT_EQ(c->next.history(0).to(), v1::PROPOSED);
  EXPECT_EQ(c->next.history(1).to(), v1::PENDING_COORDINATION);
  EXPECT_EQ(c->events.size(), 2u);
  // A step that is not in the flow fails the whole move.
  EXPECT_FALSE(Transition(In(v1::SCREENING), Move{.to = v1::PENDING_COORDINATION,
                                                  .cause = Cause::kStaffDecision,
                                                  .now = kNow,
                                                  .via = v1::PROPOSED})
                   .ok());
}

TEST(Transitions, AWithdrawalAlsoPublishesTheWithdrawnEvent) {
  auto c = Transition(
      In(v1::INVITED),
      Move{.to = v1::WITHDRAWN, .cause = Cause::kWithdrawal, .actor = "u-1", .now = kNow});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(Keys(*c), (std::vector<std::string>{"applications.application.status_changed.v1",
                                                "applications.application.withdrawn.v1"}));
}

TEST(Transitions, ACoordinationOutcomeMovesOnlyAHiringWaitingOnIt) {
  const AppChange cleared = CoordinationOutcome(In(v1::PENDING_COORDINATION), true, "ok", kNow);
  EXPECT_EQ(cleared.next.status(), v1::OFFER_APPROVED);
  EXPECT_EQ(cleared.next.history(0).actor(), "system:coordination");
  const AppChange back = CoordinationOutcome(In(v1::PENDING_COORDINATION), false, "Weisung", kNow);
  EXPECT_EQ(back.next.status(), v1::PROPOSED);
  // Not waiting (a notice filed by hand): nothing happens.
  const AppChange none = CoordinationOutcome(In(v1::HIRED), true, "ok", kNow);
  EXPECT_EQ(none.next.status(), v1::HIRED);
  EXPECT_TRUE(none.events.empty());
  EXPECT_TRUE(none.audit.empty());
}

}  // namespace
}  // namespace stellenwerk::applications

namespace stellenwerk::applications {
namespace {

const ev::DisabilityRepresentativeInformed* Informed(const AppChange& c) {
  for (const auto& e : c.events) {
    if (auto* i = dynamic_cast<const ev::DisabilityRepresentativeInformed*>(e.get())) return i;
  }
  return nullptr;
}

v1::Application Disabled(v1::ApplicationStatus status) {
  v1::Application a = In(status);
  a.set_severely_disabled(true);
  a.set_pseudonym("B-0007");
  a.set_kennziffer("24/0296");
  return a;
}

// SGB IX § 178 (2), § 165: the representative is told of each decision, with the finding.
TEST(Transitions, ARejectionOfASeverelyDisabledApplicantTellsTheRepresentativeWithTheFinding) {
  auto c = Transition(Disabled(v1::SCREENING),
                      Move{.to = v1::REJECTED,
                           .cause = Cause::kStaffDecision,
                           .actor = "hr-1",
                           .reason = "Die Laufbahnbefähigung fehlt offensichtlich.",
                           .now = kNow,
                           .obviously_unqualified = true});
  ASSERT_TRUE(c.ok()) << c.status();
  const auto* i = Informed(*c);
  ASSERT_NE(i, nullptr);
  EXPECT_EQ(i->decision(), "REJECTED");
  EXPECT_EQ(i->pseudonym(), "B-0007");
  EXPECT_EQ(i->kennziffer(), "24/0296");
  EXPECT_TRUE(i->obviously_unqualified());
  EXPECT_EQ(i->reason(), "Die Laufbahnbefähigung fehlt offensichtlich.");
  EXPECT_FALSE(i->representative_heard());
  EXPECT_TRUE(c->next.obviously_unqualified());
}

TEST(Transitions, TheRepresentativesStatementIsShownWithTheDecision) {
  v1::Application a = Disabled(v1::INTERVIEWED);
  a.set_severely_disabled(false);
  a.set_equivalent_status(true);  // Gleichstellung (§ 2 (3), § 151 (3)) counts the same
  a.add_representative_statements()->set_text("Bedenken: Arbeitsplatz nicht barrierefrei.");
  a.add_representative_statements()->set_text("Keine Einwände nach Rücksprache.");
  auto c = Transition(a, Move{.to = v1::REJECTED,
                              .cause = Cause::kStaffDecision,
                              .actor = "hr-1",
                              .reason = "Eine andere Bewerbung ist besser geeignet.",
                              .now = kNow});
  ASSERT_TRUE(c.ok());
  const auto* i = Informed(*c);
  ASSERT_NE(i, nullptr);
  EXPECT_TRUE(i->representative_heard());
  EXPECT_EQ(i->representative_statement(), "Keine Einwände nach Rücksprache.");
  EXPECT_FALSE(i->obviously_unqualified()) << "after the interview there is no § 165 finding";
}

TEST(Transitions, OnlyDecisionsAboutSeverelyDisabledApplicantsInformTheRepresentative) {
  // Not severely disabled: nothing for the representative.
  auto plain = Transition(
      In(v1::SHORTLISTED),
      Move{.to = v1::INVITED, .cause = Cause::kStaffDecision, .actor = "hr-1", .now = kNow});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(Informed(*plain), nullptr);
  // Invitation, proposal (on the way to coordination) and hiring each tell them once.
  for (auto [from, via, to, decision] :
       std::vector<std::tuple<v1::ApplicationStatus, v1::ApplicationStatus, v1::ApplicationStatus,
                              std::string>>{
           {v1::SHORTLISTED, v1::APPLICATION_STATUS_UNSPECIFIED, v1::INVITED, "INVITED"},
           {v1::INTERVIEWED, v1::PROPOSED, v1::PENDING_COORDINATION, "PROPOSED"},
           {v1::PROPOSED, v1::OFFER_APPROVED, v1::HIRED, "HIRED"}}) {
    auto c = Transition(
        Disabled(from),
        Move{.to = to, .cause = Cause::kStaffDecision, .actor = "hr-1", .now = kNow, .via = via});
    ASSERT_TRUE(c.ok()) << decision << ": " << c.status();
    int informed = 0;
    for (const auto& e : c->events) {
      if (auto* i = dynamic_cast<const ev::DisabilityRepresentativeInformed*>(e.get())) {
        ++informed;
        EXPECT_EQ(i->decision(), decision);
      }
    }
    EXPECT_EQ(informed, 1) << decision;
  }
  // Screening, the applicant's withdrawal and the district's outcome are no employer decisions.
  EXPECT_EQ(Informed(*Transition(Disabled(v1::RECEIVED), Move{.to = v1::SCREENING,
                                                              .cause = Cause::kDeadline,
                                                              .actor = "system:deadline",
                                                              .now = kNow})),
            nullptr);
  EXPECT_EQ(
      Informed(*Transition(
          Disabled(v1::INVITED),
          Move{.to = v1::WITHDRAWN, .cause = Cause::kWithdrawal, .actor = "u-1", .now = kNow})),
      nullptr);
  EXPECT_EQ(Informed(CoordinationOutcome(Disabled(v1::PENDING_COORDINATION), false, "x", kNow)),
            nullptr);
  // The end of the procedure rejects: that is a decision about them too.
  auto ended = Transition(Disabled(v1::INTERVIEWED), Move{.to = v1::REJECTED,
                                                          .cause = Cause::kProcedureEnded,
                                                          .actor = "hr-1",
                                                          .reason = "Die Stelle ist besetzt.",
                                                          .now = kNow});
  ASSERT_TRUE(ended.ok());
  ASSERT_NE(Informed(*ended), nullptr);
}

}  // namespace
}  // namespace stellenwerk::applications
