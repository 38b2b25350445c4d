// CreateSelectionDay as a decision: every malformed field is INVALID_ARGUMENT naming it, the
// posting's state and conflicts are FAILED_PRECONDITION, a good request yields its slots.
#include "services/scheduling/domain/selection_day_plan.h"

#include "common/errors/errors.h"
#include "common/time/berlin_calendar.h"
#include "gtest/gtest.h"

namespace stellenwerk::scheduling {
namespace {
namespace cal = stellenwerk::calendar;

const absl::Time kNow = absl::FromCivil(absl::CivilMinute(2026, 2, 2, 10, 0), cal::Berlin());
const PostingView kPosting{"p1", "stadt", "CLOSED", absl::CivilDay(2026, 3, 1), 1};

v1::CreateSelectionDayRequest Good() {
  v1::CreateSelectionDayRequest r;
  r.set_request_id("r1");
  r.set_posting_id("p1");
  r.set_date("2026-03-31");
  r.set_start_time("2026-03-31T09:00:00+02:00");  // CEST, two days after the change
  r.set_location("Rathaus, Markt 1");
  r.set_room("Raum 2.14");
  auto* w = r.add_parts();
  w->set_kind(v1::WRITTEN_TASK);
  w->mutable_length()->set_seconds(3600);
  auto* b = r.add_parts();
  b->set_kind(v1::BREAK);
  b->mutable_length()->set_seconds(900);
  auto* i = r.add_parts();
  i->set_kind(v1::INTERVIEW);
  i->mutable_length()->set_seconds(1800);
  i->set_count(6);
  r.add_committee_member_ids("m1");
  r.add_committee_member_ids("m2");
  return r;
}

std::string FieldOf(const absl::Status& s) {
  auto v = errors::FieldViolationsOf(s);
  return v.empty() ? "" : v[0].field;
}

TEST(PlanSelectionDay, AGoodRequestYieldsItsSlots) {
  auto plan = PlanSelectionDay(Good(), kPosting, kNow, {}, "d1");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->slots.size(), 7u);
  EXPECT_EQ(plan->day.slot_count(), 7);
  EXPECT_EQ(plan->day.date(), "2026-03-31");
  EXPECT_EQ(cal::FormatBerlin(plan->occupancy.end), "2026-03-31T13:15:00+02:00");
  EXPECT_EQ(plan->day.tenant_id(), "stadt");
}

TEST(PlanSelectionDay, MalformedFieldsAreNamed) {
  struct Case {
    const char* field;
    void (*mutate)(v1::CreateSelectionDayRequest&);
  };
  const Case cases[] = {
      {"posting_id", [](v1::CreateSelectionDayRequest& r) { r.clear_posting_id(); }},
      {"date", [](v1::CreateSelectionDayRequest& r) { r.set_date("31.03.2026"); }},
      {"date", [](v1::CreateSelectionDayRequest& r) { r.set_date("2026-02-30"); }},
      {"start_time", [](v1::CreateSelectionDayRequest& r) { r.clear_start_time(); }},
      {"start_time",
       [](v1::CreateSelectionDayRequest& r) { r.set_start_time("2026-03-31T09:00:00"); }},
      {"start_time",
       [](v1::CreateSelectionDayRequest& r) { r.set_start_time("2026-03-31T09:00:00+01:00"); }},
      {"start_time",
       [](v1::CreateSelectionDayRequest& r) { r.set_start_time("2026-04-01T09:00:00+02:00"); }},
      {"location", [](v1::CreateSelectionDayRequest& r) { r.clear_location(); }},
      {"video_url", [](v1::CreateSelectionDayRequest& r) { r.set_video_available(true); }},
      {"committee_member_ids[1]",
       [](v1::CreateSelectionDayRequest& r) { r.set_committee_member_ids(1, "m1"); }},
      {"parts[0].kind", [](v1::CreateSelectionDayRequest& r) { r.mutable_parts(0)->clear_kind(); }},
      {"parts[2].count",
       [](v1::CreateSelectionDayRequest& r) { r.mutable_parts(2)->set_count(0); }},
      {"parts[2].length",
       [](v1::CreateSelectionDayRequest& r) { r.mutable_parts(2)->clear_length(); }},
      {"parts", [](v1::CreateSelectionDayRequest& r) { r.clear_parts(); }},
  };
  for (const Case& c : cases) {
    v1::CreateSelectionDayRequest r = Good();
    c.mutate(r);
    auto plan = PlanSelectionDay(r, kPosting, kNow, {}, "d1");
    EXPECT_EQ(plan.status().code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_EQ(FieldOf(plan.status()), c.field) << plan.status();
  }
}

TEST(PlanSelectionDay, PostingStateDeadlineAndConflictsArePreconditions) {
  PostingView draft = kPosting;
  draft.status = "DRAFT";
  EXPECT_EQ(PlanSelectionDay(Good(), draft, kNow, {}, "d1").status().code(),
            absl::StatusCode::kFailedPrecondition);
  PostingView late = kPosting;
  late.application_deadline = absl::CivilDay(2026, 3, 31);
  EXPECT_EQ(PlanSelectionDay(Good(), late, kNow, {}, "d1").status().code(),
            absl::StatusCode::kFailedPrecondition);
  const Occupancy other{"d0",
                        "Rathaus, Markt 1",
                        "Raum 3.01",
                        {"m2"},
                        *ParseBerlinTime("2026-03-31T13:00:00+02:00", "t"),
                        *ParseBerlinTime("2026-03-31T15:00:00+02:00", "t")};
  auto conflict = PlanSelectionDay(Good(), kPosting, kNow, {other}, "d1");
  EXPECT_EQ(conflict.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(conflict.status().message().find("m2"), std::string::npos);
}

TEST(PlanSelectionDay, TheLastSundayOfOctoberIsNoSelectionDay) {
  v1::CreateSelectionDayRequest r = Good();
  r.set_date("2026-10-25");
  r.set_start_time("2026-10-25T09:00:00+01:00");
  auto plan = PlanSelectionDay(r, kPosting, kNow, {}, "d1");
  EXPECT_EQ(FieldOf(plan.status()), "date") << plan.status();
}

}  // namespace
}  // namespace stellenwerk::scheduling
