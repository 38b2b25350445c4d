// End to end through gRPC against an in-process coordination service on the real PostgreSQL,
// RabbitMQ and Redis of scripts/test, with the fake clock.
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/events/catalogue.h"
#include "common/ids/uuid.h"
#include "common/testing/harness.h"
#include "common/time/berlin_calendar.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/coordination/tests/coordination_testing.h"
#include "stellenwerk/coordination/v1/coordination.grpc.pb.h"
#include "stellenwerk/events/v1/applications.pb.h"
#include "stellenwerk/events/v1/coordination.pb.h"

namespace stellenwerk::coordination {
namespace {

using google::protobuf::util::TimeUtil;
using testing::TestInfra;
using testing::UniqueName;
namespace ev = events::v1;

absl::Time Berlin(int y, int m, int d, int hh = 10, int mm = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, 0), calendar::Berlin());
}
absl::Time FromTs(const google::protobuf::Timestamp& t) {
  return absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(t));
}

// Friday before Easter 2025: the window ends Tuesday 2025-04-22 24:00 Europe/Berlin.
const absl::Time kStart = kCoordinationSuiteStart;
const absl::Time kWindowEnd = Berlin(2025, 4, 23, 0);

// Which deliveries are about `notice_id` (every staffing event has meta=1, notice=2).
int About(const std::vector<amqp::Delivery>& all, const std::string& notice_id) {
  int n = 0;
  for (const auto& d : all) {
    ev::StaffingNoticeFiled e;
    if (e.ParseFromString(d.message.body) && e.notice().notice_id() == notice_id) ++n;
  }
  return n;
}

class CoordinationE2eTest : public CoordinationServiceTest {
 protected:
  void SetUp() override {
    ServiceTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    city_ = UniqueName("stadt");
    district_ = UniqueName("kreis");
    // Only a pair in force coordinates (decision 0040): the suite's city and district are one.
    PairTenants(*stub_, infra(), city_, district_);
  }
  std::string Admin(const std::string& tenant) {
    return harness().Token(tenant, {"admin"}, "admin-" + tenant);
  }
  grpc::Status Declare(const std::string& token, const std::string& city,
                       const std::string& district, v1::CoordinationPair* out) {
    v1::DeclareCoordinationPairRequest r;
    r.set_city_tenant_id(city);
    r.set_district_tenant_id(district);
    return stub_->DeclareCoordinationPair(Ctx(token).get(), r, out);
  }
  // Publishes `events` to the exchange once the service's queue exists, and waits until the
  // service has consumed them.
  void Deliver(const std::vector<amqp::Message>& messages, const std::string& routing_key) {
    auto conn = amqp::Connection::Open(infra().amqp_uri, absl::Seconds(5));
    ASSERT_TRUE(conn.ok()) << conn.status();
    ASSERT_TRUE((*conn)->DeclareTopology().ok());
    const config::RuntimeConfig& config = coordination_->runtime().config();
    ASSERT_TRUE((*conn)
                    ->DeclareQueue(amqp::QueueSpec{absl::StrCat("stellenwerk.", config.service),
                                                   {routing_key},
                                                   config.amqp_queue_type})
                    .ok());
    ASSERT_TRUE((*conn)->EnableConfirms().ok());
    const uint64_t before = coordination_->ConsumedEvents();
    ASSERT_TRUE((*conn)->PublishConfirmed(messages, absl::Seconds(5)).ok());
    ASSERT_TRUE(coordination_->WaitForConsumed(before + messages.size()));
  }

  static std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
    return testing::CallContext(token);
  }
  std::string City() { return harness().Token(city_, {"city_coordinator"}, "hr-witten"); }
  std::string District() { return harness().Token(district_, {"district_coordinator"}, "ks-en"); }
  // The service's fake clock (ClockControl).
  static void SetClock(absl::Time t) {
    absl::Status s = coordination_->SetTime(t);
    ASSERT_TRUE(s.ok()) << s;
  }
  // Fires every window and base-data timer due now; afterwards "still open" means it is.
  static void RunTimers() {
    auto fired = coordination_->RunTimers();
    ASSERT_TRUE(fired.ok()) << fired.status();
  }
  // Every event the service committed so far, once they are all at the broker.
  static std::vector<amqp::Delivery> Published(testing::EventTap& tap) {
    EXPECT_TRUE(coordination_->WaitForOutbox());
    return tap.TakeQueued();
  }

  v1::StaffingNotice File(v1::FileStaffingNoticeRequest r = {}) {
    if (r.district_tenant_id().empty()) r = StaffingFiling(district_);
    return FiledNotice(*stub_, City(), r);
  }
  grpc::Status Get(const std::string& id, v1::StaffingNotice* out, const std::string& token) {
    v1::GetStaffingNoticeRequest r;
    r.set_id(id);
    return stub_->GetStaffingNotice(Ctx(token).get(), r, out);
  }
  grpc::Status NoObjection(const std::string& id, const std::string& token) {
    v1::DeclareNoObjectionRequest r;
    r.set_id(id);
    v1::StaffingNotice out;
    return stub_->DeclareNoObjection(Ctx(token).get(), r, &out);
  }
  // applications.hiring.proposed.v1 as the city's applications service publishes it.
  ev::HiringProposed Proposal(const std::string& application_id) const {
    ev::HiringProposed e;
    e.mutable_meta()->set_event_id(ids::NewUuid());
    e.mutable_meta()->set_tenant_id(city_);
    e.mutable_meta()->set_actor("hr-witten");
    e.set_application_id(application_id);
    e.set_posting_id(ids::NewUuid());
    e.set_district_tenant_id(district_);
    e.set_coordination_required(true);
    e.set_role_category(v1::ACTIVE);
    e.set_regional_office("Regionalstelle Witten");
    return e;
  }
  amqp::Message AsMessage(const ev::HiringProposed& e) const {
    amqp::Message m;
    m.message_id = e.meta().event_id();
    m.type = events::RoutingKey<events::v1::HiringProposed>();
    m.tenant_id = city_;
    m.timestamp = kStart;
    m.body = e.SerializeAsString();
    return m;
  }
  v1::NoticeStatus StatusOf(const std::string& id) {
    v1::StaffingNotice n;
    return Get(id, &n, District()).ok() ? n.status() : v1::NOTICE_STATUS_UNSPECIFIED;
  }

  std::string city_;
  std::string district_;
};

TEST_F(CoordinationE2eTest, WithoutReactionTheWindowElapsesAndClearsExactlyOnce) {
  testing::EventTap tap(infra(), {events::RoutingKey<events::v1::StaffingCleared>()});
  const v1::StaffingNotice n = File();
  EXPECT_EQ(n.status(), v1::WINDOW_OPEN);
  EXPECT_EQ(FromTs(n.window_end_time()), kWindowEnd);
  EXPECT_EQ(n.window_end_local(), "2025-04-23T00:00:00+02:00");

  // One minute before the end it is still open, even after the timers ran.
  SetClock(kWindowEnd - absl::Minutes(1));
  RunTimers();
  EXPECT_EQ(StatusOf(n.id()), v1::WINDOW_OPEN);

  SetClock(kWindowEnd);
  ASSERT_TRUE(testing::WaitFor([&] { return StatusOf(n.id()) == v1::CLEARED_WINDOW_ELAPSED; },
                               absl::Seconds(10)));
  v1::StaffingNotice read;
  ASSERT_TRUE(Get(n.id(), &read, City()).ok());
  EXPECT_EQ(read.clearance(), v1::CLEARANCE_WINDOW_ELAPSED);
  ASSERT_EQ(read.history_size(), 2);
  EXPECT_EQ(read.history(0).action(), "FILED");
  EXPECT_EQ(read.history(0).actor_sub(), "hr-witten");
  EXPECT_EQ(read.history(0).actor_role(), "city_coordinator");
  EXPECT_EQ(read.history(1).action(), "WINDOW_ELAPSED");
  // The record is append-only, even for the service's own database user.
  absl::Status tamper = coordination_->runtime().db().Transact([&](pqxx::work& tx) {
    tx.exec_params("UPDATE notice_history SET details = 'x' WHERE notice_id = $1::uuid", n.id());
    return absl::OkStatus();
  });
  EXPECT_FALSE(tamper.ok());
  absl::Status wipe = coordination_->runtime().db().Transact([&](pqxx::work& tx) {
    tx.exec("TRUNCATE notice_history CASCADE");
    return absl::OkStatus();
  });
  EXPECT_FALSE(wipe.ok()) << "TRUNCATE passes row triggers by; a statement trigger stops it";

  auto events = Published(tap);
  const int cleared = About(events, n.id());
  for (const auto& d : events) {
    ev::StaffingCleared e;
    if (e.ParseFromString(d.message.body) && e.notice().notice_id() == n.id()) {
      EXPECT_EQ(e.how(), ev::STAFFING_CLEARANCE_WINDOW_ELAPSED);
      EXPECT_EQ(e.meta().tenant_id(), city_);
    }
  }
  EXPECT_EQ(cleared, 1);
}

TEST_F(CoordinationE2eTest, ConcernDiscussionWithoutConsensusEndsInAnInstruction) {
  testing::EventTap tap(infra(), {events::RoutingKey<events::v1::StaffingConcernRaised>(),
                                  events::RoutingKey<events::v1::StaffingInstructed>(),
                                  events::RoutingKey<events::v1::StaffingCleared>()});
  const v1::StaffingNotice n = File();
  SetClock(Berlin(2025, 4, 14, 9));
  v1::RaiseConcernRequest concern;
  concern.set_id(n.id());
  concern.set_kind(v1::CLARIFICATION_NEEDED);
  concern.set_text("Praxiserfahrung in der Arbeitsvermittlung?");
  v1::StaffingNotice out;
  ASSERT_TRUE(stub_->RaiseConcern(Ctx(District()).get(), concern, &out).ok());
  EXPECT_EQ(out.status(), v1::IN_DISCUSSION);

  // The window passing no longer clears it.
  SetClock(kWindowEnd + absl::Hours(1));
  RunTimers();
  EXPECT_EQ(StatusOf(n.id()), v1::IN_DISCUSSION);

  v1::RecordDiscussionRequest discussion;
  discussion.set_id(n.id());
  auto* p = discussion.add_participants();
  p->set_name("Bürgermeisterin");
  p->set_organisation("Stadt Witten");
  p->set_administrative_head(true);
  p = discussion.add_participants();
  p->set_name("Landrat");
  p->set_organisation("Ennepe-Ruhr-Kreis");
  p->set_administrative_head(true);
  discussion.set_minutes("Erörterung ohne Einvernehmen.");
  ASSERT_TRUE(stub_->RecordDiscussion(Ctx(City()).get(), discussion, &out).ok());
  EXPECT_EQ(out.discussions_size(), 1);

  v1::IssueInstructionRequest instruction;
  instruction.set_id(n.id());
  instruction.set_instruction("Weisung im Einzelfall: nicht mit der vorgesehenen Person.");
  // An instruction says what it instructs (seed 004, Nr. 2): without a kind it is refused and
  // nothing changes.
  EXPECT_EQ(stub_->IssueInstruction(Ctx(District()).get(), instruction, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(StatusOf(n.id()), v1::IN_DISCUSSION);
  instruction.set_kind(v1::NOT_TO_FILL);
  // The city cannot instruct.
  EXPECT_EQ(stub_->IssueInstruction(Ctx(City()).get(), instruction, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(stub_->IssueInstruction(Ctx(District()).get(), instruction, &out).ok());
  EXPECT_EQ(out.status(), v1::INSTRUCTED);
  EXPECT_EQ(out.instruction_kind(), v1::NOT_TO_FILL);

  v1::RecordReimbursementReductionRequest reduction;
  reduction.set_id(n.id());
  reduction.set_amount_cents(250'000);
  reduction.set_reason("Besetzung ohne Einvernehmen");
  ASSERT_TRUE(stub_->RecordReimbursementReduction(Ctx(District()).get(), reduction, &out).ok());
  ASSERT_EQ(out.reductions_size(), 1);
  EXPECT_EQ(out.reductions(0).legal_basis(), "§ 4 Abs. 1 Heranziehungssatzung vom 18.04.2007");
  EXPECT_EQ(out.reductions(0).year(), 2025);

  v1::StaffingNotice read;
  ASSERT_TRUE(Get(n.id(), &read, City()).ok());
  std::vector<std::string> actions;
  for (const auto& h : read.history()) actions.push_back(h.action());
  EXPECT_EQ(actions, (std::vector<std::string>{"FILED", "CONCERN_RAISED", "DISCUSSION_RECORDED",
                                               "INSTRUCTION", "REIMBURSEMENT_REDUCTION"}));
  EXPECT_EQ(read.history(2).actor_tenant(), city_);
  EXPECT_EQ(read.history(3).actor_tenant(), district_);

  v1::GetReimbursementStatusRequest status_req;
  status_req.set_year(2025);
  v1::ReimbursementStatus status;
  ASSERT_TRUE(stub_->GetReimbursementStatus(Ctx(City()).get(), status_req, &status).ok());
  EXPECT_EQ(status.reductions_cents(), 250'000);

  std::multiset<std::string> types;
  const auto events = Published(tap);
  for (const auto& d : events) {
    if (About({d}, n.id()) == 1) types.insert(d.message.type);
    ev::StaffingInstructed told;
    if (d.message.type == events::RoutingKey<ev::StaffingInstructed>() &&
        told.ParseFromString(d.message.body) && told.notice().notice_id() == n.id()) {
      EXPECT_EQ(told.kind(), ev::STAFFING_INSTRUCTION_NOT_TO_FILL);
    }
  }
  EXPECT_EQ(types,
            (std::multiset<std::string>{events::RoutingKey<events::v1::StaffingConcernRaised>(),
                                        events::RoutingKey<events::v1::StaffingInstructed>()}));
}

// BGB § 187 (1), § 188 (2), § 193 with NRW holidays, end to end on the fake clock: the week
// ends at 24:00 Berlin of the right day; a minute before, the district still reacts and the
// timer leaves the notice open; at the end the timer clears and a reaction is refused.
TEST_F(CoordinationE2eTest, WindowsOverEasterChristmasTheYearEndAndTheDstSwitch) {
  struct Case {
    const char* name;
    absl::Time filed;
    absl::Time end;
    const char* end_local;
  };
  const Case cases[] = {
      // Fri → Karfreitag, Ostermontag → Tue 22 April, 24:00 CEST.
      {"easter", Berlin(2025, 4, 11, 9), Berlin(2025, 4, 23, 0), "2025-04-23T00:00:00+02:00"},
      // Fri 19 Dec → Fri 26 (2. Weihnachtstag) → Mon 29, 24:00 CET.
      {"christmas", Berlin(2025, 12, 19, 16), Berlin(2025, 12, 30, 0), "2025-12-30T00:00:00+01:00"},
      // Thu 25 Dec → Thu 1 Jan (Neujahr) → Fri 2 Jan 2026, 24:00 CET, across the year end.
      {"new year", Berlin(2025, 12, 25, 11), Berlin(2026, 1, 3, 0), "2026-01-03T00:00:00+01:00"},
      // Thu 23 Oct (CEST) → Thu 30 Oct, 24:00 CET: the week has 169 hours.
      {"dst", Berlin(2025, 10, 23, 0), Berlin(2025, 10, 31, 0), "2025-10-31T00:00:00+01:00"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    SetClock(c.filed);
    const v1::StaffingNotice waits = File();
    const v1::StaffingNotice answered = File();
    const v1::StaffingNotice late = File();
    EXPECT_EQ(FromTs(waits.window_end_time()), c.end);
    EXPECT_EQ(waits.window_end_local(), c.end_local);

    SetClock(c.end - absl::Minutes(1));
    RunTimers();
    EXPECT_EQ(StatusOf(waits.id()), v1::WINDOW_OPEN);
    EXPECT_TRUE(NoObjection(answered.id(), District()).ok()) << "the last minute still counts";

    SetClock(c.end);
    EXPECT_TRUE(testing::WaitFor([&] { return StatusOf(waits.id()) == v1::CLEARED_WINDOW_ELAPSED; },
                                 absl::Seconds(10)));
    EXPECT_EQ(StatusOf(answered.id()), v1::CLEARED_NO_OBJECTION);
    // The reaction at 24:00 is refused, whether the timer has cleared `late` yet or not.
    EXPECT_EQ(NoObjection(late.id(), District()).error_code(),
              grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_TRUE(testing::WaitFor([&] { return StatusOf(late.id()) == v1::CLEARED_WINDOW_ELAPSED; },
                                 absl::Seconds(10)));
  }
}

TEST_F(CoordinationE2eTest, AnObjectionOneMinuteAfterTheWindowIsRefused) {
  const v1::StaffingNotice n = File();
  SetClock(kWindowEnd + absl::Minutes(1));
  grpc::Status s = NoObjection(n.id(), District());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  v1::RaiseConcernRequest concern;
  concern.set_id(n.id());
  concern.set_kind(v1::CONCERNS);
  concern.set_text("zu spät");
  v1::StaffingNotice out;
  EXPECT_EQ(stub_->RaiseConcern(Ctx(District()).get(), concern, &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // Within the window the same call clears at once.
  SetClock(kStart);
  const v1::StaffingNotice m = File();
  ASSERT_TRUE(NoObjection(m.id(), District()).ok());
  EXPECT_EQ(StatusOf(m.id()), v1::CLEARED_NO_OBJECTION);
}

TEST_F(CoordinationE2eTest, OnlyTheCityAndTheAddressedDistrictSeeANotice) {
  const v1::StaffingNotice n = File();
  v1::StaffingNotice out;
  const std::string other_district = harness().Token(UniqueName("kreis"), {"district_coordinator"});
  const std::string other_city = harness().Token(UniqueName("stadt"), {"city_coordinator"});
  EXPECT_EQ(Get(n.id(), &out, other_district).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Get(n.id(), &out, other_city).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(NoObjection(n.id(), other_district).error_code(), grpc::StatusCode::NOT_FOUND);
  // Right tenant, wrong role.
  EXPECT_EQ(NoObjection(n.id(), City()).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Get(n.id(), &out, harness().Token(city_, {"hr_clerk"})).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::FileStaffingNoticeRequest as_district = StaffingFiling(city_);
  EXPECT_EQ(stub_->FileStaffingNotice(Ctx(District()).get(), as_district, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Get(n.id(), &out, "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(Get(n.id(), &out, City()).ok());
  EXPECT_TRUE(Get(n.id(), &out, District()).ok());

  v1::ListStaffingNoticesRequest list;
  v1::ListStaffingNoticesResponse page;
  ASSERT_TRUE(stub_->ListStaffingNotices(Ctx(District()).get(), list, &page).ok());
  ASSERT_EQ(page.notices_size(), 1);
  EXPECT_EQ(page.notices(0).id(), n.id());
  ASSERT_TRUE(stub_->ListStaffingNotices(Ctx(other_district).get(), list, &page).ok());
  EXPECT_EQ(page.notices_size(), 0);

  // Empty data and posts that need no coordination are refused.
  v1::FileStaffingNoticeRequest empty = StaffingFiling(district_);
  empty.mutable_candidates(0)->clear_qualification();
  EXPECT_EQ(stub_->FileStaffingNotice(Ctx(City()).get(), empty, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::FileStaffingNoticeRequest other = StaffingFiling(district_);
  other.set_role_category(v1::OTHER);
  EXPECT_EQ(stub_->FileStaffingNotice(Ctx(City()).get(), other, &out).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(CoordinationE2eTest, RequestIdReplaysTheFirstAnswer) {
  v1::FileStaffingNoticeRequest r = StaffingFiling(district_);
  r.set_request_id("file-1");
  v1::StaffingNotice first, again, other;
  ASSERT_TRUE(stub_->FileStaffingNotice(Ctx(City()).get(), r, &first).ok());
  ASSERT_TRUE(stub_->FileStaffingNotice(Ctx(City()).get(), r, &again).ok());
  EXPECT_EQ(first.id(), again.id());
  r.set_position_title("Teamleitung");
  EXPECT_EQ(stub_->FileStaffingNotice(Ctx(City()).get(), r, &other).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
}

TEST_F(CoordinationE2eTest, TheNamedHeadOfTheJobAgenturClearsALeadershipNotice) {
  v1::FileStaffingNoticeRequest r = StaffingFiling(district_);
  r.set_role_category(v1::LEADERSHIP);
  r.set_position_title("Regionalstellenleitung Witten");
  r.set_direct_participation(true);
  r.set_job_agency_head_sub("leitung-jaen");
  v1::StaffingNotice refused;
  // No head configured for the district yet: direct participation is refused.
  EXPECT_EQ(stub_->FileStaffingNotice(Ctx(City()).get(), r, &refused).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // Only the district's administrator sets its head.
  v1::SetJobAgencyHeadRequest head;
  head.set_head_sub("leitung-jaen");
  v1::JobAgency agency;
  EXPECT_EQ(stub_->SetJobAgencyHead(Ctx(District()).get(), head, &agency).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  SetJobAgencyHead(*stub_, infra(), district_, "leitung-jaen");
  // The city names someone else: refused, it is not the head.
  r.set_job_agency_head_sub("jemand");
  EXPECT_EQ(stub_->FileStaffingNotice(Ctx(City()).get(), r, &refused).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // The city names nobody: the configured head takes part.
  r.clear_job_agency_head_sub();
  const v1::StaffingNotice n = File(r);
  EXPECT_EQ(n.job_agency_head_sub(), "leitung-jaen");
  v1::RecordHeadAgreementRequest agree;
  agree.set_id(n.id());
  v1::StaffingNotice out;
  EXPECT_EQ(
      stub_
          ->RecordHeadAgreement(
              Ctx(harness().Token(district_, {"job_agency_head"}, "jemand")).get(), agree, &out)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(stub_
                  ->RecordHeadAgreement(
                      Ctx(harness().Token(district_, {"job_agency_head"}, "leitung-jaen")).get(),
                      agree, &out)
                  .ok());
  EXPECT_EQ(out.status(), v1::CLEARED_NO_OBJECTION);
  EXPECT_EQ(out.clearance(), v1::CLEARANCE_DIRECT_PARTICIPATION);
}

TEST_F(CoordinationE2eTest, HiringProposedDeliveredTwiceFilesOneNotice) {
  testing::EventTap tap(infra(), {events::RoutingKey<events::v1::StaffingNoticeFiled>()});
  ev::HiringProposed e = Proposal(ids::NewUuid());
  e.set_position_title("Arbeitsvermittler*in (w/m/d)");
  e.set_qualification_summary("Verwaltungsfachwirtin");
  e.set_experience_summary("5 Jahre Leistungssachbearbeitung");
  const amqp::Message m = AsMessage(e);
  // The same event re-emitted under a new id (e.g. a replayed outbox) must not file again.
  amqp::Message reemitted = m;
  e.mutable_meta()->set_event_id(ids::NewUuid());
  reemitted.message_id = e.meta().event_id();
  reemitted.body = e.SerializeAsString();

  auto conn = amqp::Connection::Open(infra().amqp_uri, absl::Seconds(5));
  ASSERT_TRUE(conn.ok()) << conn.status();
  ASSERT_TRUE((*conn)->DeclareTopology().ok());
  // The service's queue, as its consumer declares it, so nothing is published before it exists.
  const config::RuntimeConfig& config = coordination_->runtime().config();
  ASSERT_TRUE((*conn)
                  ->DeclareQueue(amqp::QueueSpec{absl::StrCat("stellenwerk.", config.service),
                                                 {events::RoutingKey<events::v1::HiringProposed>()},
                                                 config.amqp_queue_type})
                  .ok());
  ASSERT_TRUE((*conn)->EnableConfirms().ok());
  const uint64_t before = coordination_->ConsumedEvents();
  ASSERT_TRUE((*conn)->PublishConfirmed({m, m, reemitted}, absl::Seconds(5)).ok());
  ASSERT_TRUE(coordination_->WaitForConsumed(before + 3));

  v1::ListStaffingNoticesRequest list;
  v1::ListStaffingNoticesResponse page;
  ASSERT_TRUE(stub_->ListStaffingNotices(Ctx(District()).get(), list, &page).ok());
  ASSERT_EQ(page.notices_size(), 1);
  const v1::StaffingNotice& n = page.notices(0);
  EXPECT_EQ(n.application_id(), e.application_id());
  EXPECT_EQ(n.city_tenant_id(), city_);
  EXPECT_EQ(n.status(), v1::WINDOW_OPEN);
  EXPECT_EQ(FromTs(n.window_end_time()), kWindowEnd);
  ASSERT_EQ(n.candidates_size(), 1);
  EXPECT_EQ(n.candidates(0).experience(), "5 Jahre Leistungssachbearbeitung");
  EXPECT_EQ(About(Published(tap), n.id()), 1);
}

TEST_F(CoordinationE2eTest, AHiringProposedAfterAnEarlyNoticeWasDecidedGetsTheOutcomeAgain) {
  // Seed 004 wants the district informed early: the city files by hand, naming the application,
  // and the district has no objection before HR proposes the hiring.
  v1::FileStaffingNoticeRequest early = StaffingFiling(district_);
  early.set_application_id(ids::NewUuid());
  testing::EventTap tap(infra(), {events::RoutingKey<events::v1::StaffingCleared>()});
  const v1::StaffingNotice n = File(early);
  ASSERT_TRUE(NoObjection(n.id(), District()).ok());

  ev::HiringProposed e = Proposal(early.application_id());
  e.set_position_title(early.position_title());
  e.set_qualification_summary("Diplom-Sozialpädagogin (FH)");
  e.set_experience_summary("4 Jahre Fachberatung");
  const amqp::Message m = AsMessage(e);
  auto conn = amqp::Connection::Open(infra().amqp_uri, absl::Seconds(5));
  ASSERT_TRUE(conn.ok()) << conn.status();
  ASSERT_TRUE((*conn)->DeclareTopology().ok());
  ASSERT_TRUE((*conn)->EnableConfirms().ok());
  const uint64_t before = coordination_->ConsumedEvents();
  ASSERT_TRUE((*conn)->PublishConfirmed({m}, absl::Seconds(5)).ok());
  ASSERT_TRUE(coordination_->WaitForConsumed(before + 1));

  // The applications service waits in PENDING_COORDINATION for this: it arrives again, the
  // same notice, cleared as before; no second notice is filed.
  const auto events = Published(tap);
  EXPECT_EQ(About(events, n.id()), 2) << "once when decided, once for the proposal";
  for (const auto& d : events) {
    ev::StaffingCleared cleared;
    if (cleared.ParseFromString(d.message.body) && cleared.notice().notice_id() == n.id()) {
      EXPECT_EQ(cleared.how(), ev::STAFFING_CLEARANCE_NO_OBJECTION);
      EXPECT_EQ(cleared.notice().application_id(), early.application_id());
    }
  }
  v1::ListStaffingNoticesRequest list;
  v1::ListStaffingNoticesResponse page;
  ASSERT_TRUE(stub_->ListStaffingNotices(Ctx(District()).get(), list, &page).ok());
  EXPECT_EQ(page.notices_size(), 1);
}

TEST_F(CoordinationE2eTest, BaseDataFeedTheCapacityPlanReimbursementAndOverdueFlags) {
  testing::EventTap tap(infra(), {events::RoutingKey<events::v1::BaseDataOverdue>()});
  v1::SubmitBaseDataRequest r;
  r.set_district_tenant_id(district_);
  r.set_regional_office("Regionalstelle Witten");
  r.set_quarter("2025-Q1");
  r.set_personnel_cost_cents(40'000'000);
  auto* l = r.add_lines();
  l->set_function("Arbeitsvermittlung");
  l->set_headcount(6);
  l->set_fte_milli(5500);
  l->set_qualification("Bachelor Sozialwesen");
  l->set_pay_group("EG 9c TVöD");
  l->set_trainings(3);
  l = r.add_lines();
  l->set_function("Leistungssachbearbeitung");
  l->set_headcount(10);
  l->set_fte_milli(9000);
  l->set_qualification("Verwaltungslehrgang II");
  l->set_pay_group("EG 9b TVöD");
  v1::BaseDataSubmission submitted;
  ASSERT_TRUE(stub_->SubmitBaseData(Ctx(City()).get(), r, &submitted).ok());
  EXPECT_EQ(submitted.revision(), 1);
  r.set_quarter("2025-Q3");
  EXPECT_EQ(stub_->SubmitBaseData(Ctx(City()).get(), r, &submitted).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);  // not begun yet

  v1::GetCapacityPlanRequest plan_req;
  v1::CapacityPlan plan;
  ASSERT_TRUE(stub_->GetCapacityPlan(Ctx(District()).get(), plan_req, &plan).ok());
  ASSERT_EQ(plan.offices_size(), 1);
  EXPECT_EQ(plan.offices(0).quarter(), "2025-Q1");
  EXPECT_EQ(plan.total().headcount(), 16);
  EXPECT_EQ(plan.total().fte_milli(), 14500);

  v1::SetReimbursementCapRequest cap;
  cap.set_city_tenant_id(city_);
  cap.set_year(2025);
  cap.set_cap_cents(150'000'000);
  v1::ReimbursementStatus status;
  EXPECT_EQ(stub_->SetReimbursementCap(Ctx(City()).get(), cap, &status).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::GetReimbursementStatusRequest before;
  before.set_city_tenant_id(city_);
  before.set_year(2025);
  ASSERT_TRUE(stub_->GetReimbursementStatus(Ctx(City()).get(), before, &status).ok());
  EXPECT_FALSE(status.cap_set());
  EXPECT_EQ(status.claimed_cents(), 40'000'000);
  EXPECT_EQ(status.over_cap_cents(), 0);
  ASSERT_TRUE(stub_->SetReimbursementCap(Ctx(District()).get(), cap, &status).ok());
  EXPECT_TRUE(status.cap_set());
  EXPECT_EQ(status.claimed_cents(), 40'000'000);
  EXPECT_EQ(status.remaining_cents(), 110'000'000);
  v1::GetReimbursementStatusRequest get;
  get.set_city_tenant_id(city_);
  get.set_year(2025);
  const std::string stranger = harness().Token(UniqueName("kreis"), {"district_coordinator"});
  EXPECT_EQ(stub_->GetReimbursementStatus(Ctx(stranger).get(), get, &status).error_code(),
            grpc::StatusCode::NOT_FOUND);
  // Another district cannot take the city's cap over (and so read its figures): it is not
  // the city's pair (decision 0040).
  EXPECT_EQ(stub_->SetReimbursementCap(Ctx(stranger).get(), cap, &status).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(stub_->GetReimbursementStatus(Ctx(stranger).get(), get, &status).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // 2025-Q2 ends without a submission: flagged once, listed for city and district.
  SetClock(Berlin(2025, 7, 1, 0));
  v1::ListOverdueBaseDataRequest overdue_req;
  v1::ListOverdueBaseDataResponse overdue;
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        return stub_->ListOverdueBaseData(Ctx(District()).get(), overdue_req, &overdue).ok() &&
               overdue.overdue_size() == 1;
      },
      absl::Seconds(10)));
  EXPECT_EQ(overdue.overdue(0).quarter(), "2025-Q2");
  EXPECT_EQ(overdue.overdue(0).city_tenant_id(), city_);
  int events = 0;
  auto count = [&](const std::vector<amqp::Delivery>& all) {
    for (const auto& d : all) {
      ev::BaseDataOverdue e;
      if (e.ParseFromString(d.message.body) && e.city_tenant_id() == city_) {
        EXPECT_EQ(e.quarter(), "2025-Q2");
        ++events;
      }
    }
  };
  count(Published(tap));
  EXPECT_EQ(events, 1);

  // A late submission resolves the flag.
  r.set_quarter("2025-Q2");
  ASSERT_TRUE(stub_->SubmitBaseData(Ctx(City()).get(), r, &submitted).ok());
  ASSERT_TRUE(stub_->ListOverdueBaseData(Ctx(City()).get(), overdue_req, &overdue).ok());
  EXPECT_EQ(overdue.overdue_size(), 0);
}

// Only a real pair coordinates (issue 16, decision 0040): a notice, base data or a cap between
// a city and a district that are not a pair in force are refused (FAILED_PRECONDITION) and
// nothing is stored; one side's declaration is not enough; a city has one district; an ended
// pair refuses again and ends the base-data obligation.
TEST_F(CoordinationE2eTest, ANoticeBetweenUnpairedTenantsIsRefused) {
  const std::string other = UniqueName("kreis");
  const std::string other_district =
      harness().Token(other, {"district_coordinator"}, "koordinierung-2");
  v1::StaffingNotice out;
  const v1::FileStaffingNoticeRequest filing = StaffingFiling(other);
  grpc::Status s = stub_->FileStaffingNotice(Ctx(City()).get(), filing, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_NE(s.error_message().find("DeclareCoordinationPair"), std::string::npos);
  v1::ListStaffingNoticesRequest list;
  v1::ListStaffingNoticesResponse page;
  ASSERT_TRUE(stub_->ListStaffingNotices(Ctx(other_district).get(), list, &page).ok());
  EXPECT_EQ(page.notices_size(), 0) << "nothing was filed";

  v1::SubmitBaseDataRequest base;
  base.set_district_tenant_id(other);
  base.set_regional_office("Regionalstelle Witten");
  base.set_quarter("2025-Q1");
  auto* l = base.add_lines();
  l->set_function("Arbeitsvermittlung");
  l->set_headcount(1);
  l->set_fte_milli(1000);
  l->set_qualification("Bachelor Sozialwesen");
  l->set_pay_group("EG 9c TVöD");
  v1::BaseDataSubmission submitted;
  EXPECT_EQ(stub_->SubmitBaseData(Ctx(City()).get(), base, &submitted).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  v1::CapacityPlan plan;
  ASSERT_TRUE(
      stub_->GetCapacityPlan(Ctx(other_district).get(), v1::GetCapacityPlanRequest(), &plan).ok());
  EXPECT_EQ(plan.offices_size(), 0) << "no obligation, no submission";
  v1::SetReimbursementCapRequest cap;
  cap.set_city_tenant_id(city_);
  cap.set_year(2025);
  cap.set_cap_cents(1'000'000);
  v1::ReimbursementStatus status;
  EXPECT_EQ(stub_->SetReimbursementCap(Ctx(other_district).get(), cap, &status).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  // Who may declare: an administrator, for a pair its own tenant is a side of.
  v1::CoordinationPair pair;
  EXPECT_EQ(Declare(City(), city_, other, &pair).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Declare(Admin(UniqueName("dritte")), city_, other, &pair).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Declare(Admin(city_), city_, city_, &pair).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  // The city already coordinates with district_: it has one district at a time. The other
  // district's declaration alone is not in force, and the city's makes it clash.
  ASSERT_TRUE(Declare(Admin(other), city_, other, &pair).ok());
  EXPECT_TRUE(pair.district_declared());
  EXPECT_FALSE(pair.in_force());
  EXPECT_EQ(stub_->FileStaffingNotice(Ctx(City()).get(), filing, &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION)
      << "one side's declaration is not a pair";
  EXPECT_EQ(Declare(Admin(city_), city_, other, &pair).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  // The city ends its pair with district_, then declares the other one: now in force.
  v1::EndCoordinationPairRequest end;
  end.set_city_tenant_id(city_);
  end.set_district_tenant_id(district_);
  end.set_reason("Gebietsänderung");
  ASSERT_TRUE(stub_->EndCoordinationPair(Ctx(Admin(city_)).get(), end, &pair).ok());
  EXPECT_FALSE(pair.in_force());
  EXPECT_TRUE(pair.has_end_time());
  EXPECT_EQ(stub_->EndCoordinationPair(Ctx(Admin(city_)).get(), end, &pair).error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(Declare(Admin(city_), city_, other, &pair).ok());
  EXPECT_TRUE(pair.in_force());
  ASSERT_TRUE(stub_->FileStaffingNotice(Ctx(City()).get(), filing, &out).ok());
  EXPECT_EQ(out.district_tenant_id(), other);
  // The ended pair refuses again.
  EXPECT_EQ(
      stub_->FileStaffingNotice(Ctx(City()).get(), StaffingFiling(district_), &out).error_code(),
      grpc::StatusCode::FAILED_PRECONDITION);

  v1::ListCoordinationPairsRequest pairs_req;
  pairs_req.set_include_ended(true);
  v1::ListCoordinationPairsResponse pairs;
  ASSERT_TRUE(stub_->ListCoordinationPairs(Ctx(City()).get(), pairs_req, &pairs).ok());
  ASSERT_EQ(pairs.pairs_size(), 2);
  EXPECT_EQ(pairs.pairs(0).district_tenant_id(), other);
  EXPECT_TRUE(pairs.pairs(0).in_force());
  EXPECT_EQ(pairs.pairs(1).district_tenant_id(), district_);
  EXPECT_FALSE(pairs.pairs(1).in_force());
  pairs_req.set_include_ended(false);
  ASSERT_TRUE(stub_->ListCoordinationPairs(Ctx(District()).get(), pairs_req, &pairs).ok());
  EXPECT_EQ(pairs.pairs_size(), 0) << "district_ has no pair in force any more";
  EXPECT_EQ(stub_
                ->ListCoordinationPairs(Ctx(harness().Token(city_, {"hr_clerk"})).get(), pairs_req,
                                        &pairs)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

// A proposed hiring for a district that is not the city's pair files no notice: the consumer's
// effect is refused (FAILED_PRECONDITION: retried, then dead-lettered), never a notice to a
// stranger.
TEST_F(CoordinationE2eTest, AHiringProposedToAnUnpairedDistrictFilesNothing) {
  ev::HiringProposed e = Proposal(ids::NewUuid());
  e.set_district_tenant_id(UniqueName("kreis"));
  e.set_position_title("Arbeitsvermittler*in (w/m/d)");
  e.set_qualification_summary("Verwaltungsfachwirtin");
  e.set_experience_summary("5 Jahre Leistungssachbearbeitung");
  auto filing = CoordinationService::FilingFor(e);
  ASSERT_TRUE(filing.ok() && filing->has_value());
  const Actor actor = Actor::System("applications", city_, "corr");
  absl::Status s = coordination_->runtime().db().Transact([&](pqxx::work& tx) -> absl::Status {
    return coordination_->app()
        .store()
        .FileInTransaction(
            tx, actor,
            [&](const std::string& id) { return NewNotice(**filing, id, city_, actor, kStart); })
        .status();
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  // The same for the paired district files it.
  e.set_district_tenant_id(district_);
  filing = CoordinationService::FilingFor(e);
  ASSERT_TRUE(filing.ok() && filing->has_value());
  s = coordination_->runtime().db().Transact([&](pqxx::work& tx) -> absl::Status {
    return coordination_->app()
        .store()
        .FileInTransaction(
            tx, actor,
            [&](const std::string& id) { return NewNotice(**filing, id, city_, actor, kStart); })
        .status();
  });
  EXPECT_TRUE(s.ok()) << s;
}

// Erasure reaches coordination (GDPR Art. 17, issue 16): applications.applicant.erased.v1
// removes the candidate's qualification and experience from the notices of that applicant's
// applications — of that city only; the notice, its outcome and its history stay, with one
// CANDIDATE_ERASED line however often the event comes.
TEST_F(CoordinationE2eTest, ErasureRemovesTheCandidateFromTheApplicantsNoticesOnce) {
  const std::string erased_application = ids::NewUuid();
  v1::FileStaffingNoticeRequest mine = StaffingFiling(district_);
  mine.set_application_id(erased_application);
  mine.mutable_candidates(0)->set_name("Erika Mustermann");
  const v1::StaffingNotice n = File(mine);
  ASSERT_TRUE(NoObjection(n.id(), District()).ok());
  v1::FileStaffingNoticeRequest theirs = StaffingFiling(district_);
  theirs.set_application_id(ids::NewUuid());
  const v1::StaffingNotice kept = File(theirs);
  // Another city's notice for an application with the same id is not this city's to erase.
  const std::string other_city = UniqueName("stadt");
  const v1::StaffingNotice foreign =
      FiledNotice(*stub_, harness().Token(other_city, {"city_coordinator"}, "hr-2"), mine);

  ev::ApplicantErased e;
  e.mutable_meta()->set_event_id(ids::NewUuid());
  e.mutable_meta()->set_tenant_id(city_);
  e.set_applicant_sub("bewerberin-1");
  e.add_application_ids(erased_application);
  e.add_application_ids(ids::NewUuid());  // an application without a notice
  e.set_cause("ERASURE_REQUEST");
  amqp::Message m;
  m.message_id = e.meta().event_id();
  m.type = events::RoutingKey<ev::ApplicantErased>();
  m.tenant_id = city_;
  m.timestamp = kStart;
  m.body = e.SerializeAsString();
  // Redelivered, and re-emitted under a new id: still one erasure.
  amqp::Message reemitted = m;
  e.mutable_meta()->set_event_id(ids::NewUuid());
  reemitted.message_id = e.meta().event_id();
  reemitted.body = e.SerializeAsString();
  Deliver({m, m, reemitted}, events::RoutingKey<ev::ApplicantErased>());

  v1::StaffingNotice read;
  ASSERT_TRUE(Get(n.id(), &read, District()).ok());
  ASSERT_EQ(read.candidates_size(), 1);
  EXPECT_TRUE(read.candidates(0).name().empty());
  EXPECT_TRUE(read.candidates(0).qualification().empty());
  EXPECT_TRUE(read.candidates(0).experience().empty());
  EXPECT_TRUE(read.has_candidate_erased_time());
  EXPECT_EQ(read.status(), v1::CLEARED_NO_OBJECTION) << "how it ended stays";
  EXPECT_EQ(read.application_id(), erased_application);
  std::vector<std::string> actions;
  for (const auto& h : read.history()) actions.push_back(h.action());
  EXPECT_EQ(actions, (std::vector<std::string>{"FILED", "NO_OBJECTION", "CANDIDATE_ERASED"}));
  for (const auto& h : read.history()) {
    EXPECT_EQ(h.details().find("Mustermann"), std::string::npos);
    EXPECT_EQ(h.details().find("Sozialpädagogin"), std::string::npos);
  }
  // Nothing of the person is left in the stored row either.
  int64_t left = -1;
  ASSERT_TRUE(coordination_->runtime()
                  .db()
                  .Read([&](pqxx::work& tx) {
                    left = tx.exec_params1(
                                 "SELECT count(*) FROM staffing_notices WHERE"
                                 " id = $1::uuid AND (position(convert_to('Mustermann',"
                                 " 'UTF8') IN data) > 0 OR position(convert_to("
                                 "'Sozialpädagogin', 'UTF8') IN data) > 0)",
                                 n.id())[0]
                               .as<int64_t>();
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(left, 0);

  ASSERT_TRUE(Get(kept.id(), &read, District()).ok());
  EXPECT_EQ(read.candidates(0).qualification(), theirs.candidates(0).qualification());
  ASSERT_TRUE(Get(foreign.id(), &read, District()).ok());
  EXPECT_EQ(read.candidates(0).name(), "Erika Mustermann");
}

// Waits until `remaining()` is 0 for as long as it keeps falling; false when it has not fallen
// for `stall` (stuck, not slow). A wait bounded by progress instead of a total: under heavy
// load 10,000 confirms to RabbitMQ take minutes, which is slow but not wrong.
bool DrainsWithoutStalling(const std::function<int64_t()>& remaining, absl::Duration stall) {
  int64_t left = remaining();
  while (left != 0) {
    if (left < 0) return false;  // the count could not be read
    int64_t now_left = left;
    if (!testing::WaitFor(
            [&] {
              now_left = remaining();
              return now_left < left;
            },
            stall)) {
      return false;
    }
    left = now_left;
  }
  return true;
}

// The service was down while windows fell due; two replicas come back at once: every notice
// clears, and staffing.cleared is published exactly once per notice.
TEST(CoordinationRestartTest, OpenNoticesPastDueClearExactlyOnceWithTwoReplicas) {
  auto infra = TestInfra::FromEnv();
  if (!infra) {
    STW_SKIP("needs scripts/test infrastructure");
  }
  testing::Harness harness(*infra, {.start = kStart});
  testing::EventTap tap(*infra, {events::RoutingKey<events::v1::StaffingCleared>()});
  const std::string schema = UniqueName("coordination_restart");
  const std::string city = UniqueName("stadt");
  const std::string district = UniqueName("kreis");
  const auth::Principal hr{"hr-witten", city, {"city_coordinator"}};
  // Issue 6: "10,000 open notices and a restart: each clears exactly once".
  constexpr int kNotices = 10000;
  constexpr int kFilers = 8;
  std::set<std::string> ids;
  {
    auto& before = StartCoordination(harness, {.schema = schema});
    ASSERT_TRUE(harness.ok());
    for (const std::string& side : {city, district}) {
      ASSERT_TRUE(before.app()
                      .service()
                      .DeclarePair(auth::Principal{"admin", side, {"admin"}}, "corr",
                                   [&] {
                                     v1::DeclareCoordinationPairRequest r;
                                     r.set_city_tenant_id(city);
                                     r.set_district_tenant_id(district);
                                     return r;
                                   }())
                      .ok());
    }
    std::mutex mu;
    std::vector<std::thread> filers;
    for (int f = 0; f < kFilers; ++f) {
      filers.emplace_back([&] {
        for (int i = 0; i < kNotices / kFilers; ++i) {
          auto n = before.app().service().File(hr, "corr", StaffingFiling(district));
          ASSERT_TRUE(n.ok()) << n.status();
          std::lock_guard lock(mu);
          ids.insert(n->id());
        }
      });
    }
    for (auto& t : filers) t.join();
    ASSERT_EQ(ids.size(), static_cast<size_t>(kNotices));
    harness.Stop(before);  // down before 2025-04-22 24:00
  }
  // Both come back five hours after the windows ended, at once.
  const absl::Time back = kWindowEnd + absl::Hours(5);
  auto& a = StartCoordination(harness, {.schema = schema, .start = back, .defer_start = true});
  auto& b = StartCoordination(harness, {.schema = schema, .start = back, .defer_start = true});
  ASSERT_TRUE(harness.ok());
  ASSERT_TRUE(a.Start().ok());
  ASSERT_TRUE(b.Start().ok());
  auto count_status = [&](const char* status) {
    int64_t n = -1;
    EXPECT_TRUE(a.runtime()
                    .db()
                    .Read([&](pqxx::work& tx) {
                      n = tx.exec_params1(
                                "SELECT count(*) FROM staffing_notices WHERE city_tenant_id = $1"
                                " AND status = $2",
                                city, std::string(status))[0]
                              .as<int64_t>();
                      return absl::OkStatus();
                    })
                    .ok());
    return n;
  };
  // The work may take long on a loaded machine; what must not happen is that it stops. So the
  // waits below fail only when nothing has moved for a minute, not after a fixed total.
  ASSERT_TRUE(DrainsWithoutStalling([&] { return count_status("WINDOW_OPEN"); }, absl::Minutes(1)))
      << count_status("WINDOW_OPEN") << " windows still open";
  EXPECT_EQ(count_status("CLEARED_WINDOW_ELAPSED"), kNotices);
  std::map<std::string, int> cleared;
  auto count = [&](const std::vector<amqp::Delivery>& all) {
    for (const auto& d : all) {
      ev::StaffingCleared e;
      if (e.ParseFromString(d.message.body) && ids.count(e.notice().notice_id())) {
        ++cleared[e.notice().notice_id()];
      }
    }
  };
  // One outbox for both replicas (one schema): empty means every staffing.cleared is queued.
  ASSERT_TRUE(DrainsWithoutStalling([&] { return int64_t{a.OutboxPending()}; }, absl::Minutes(1)))
      << a.OutboxPending() << " outbox rows still unpublished";
  count(tap.TakeQueued());
  EXPECT_EQ(cleared.size(), ids.size());
  for (const auto& [id, n] : cleared) EXPECT_EQ(n, 1) << id;
  EXPECT_EQ(a.runtime().timers().fired() + b.runtime().timers().fired(), ids.size());
}

}  // namespace
}  // namespace stellenwerk::coordination
