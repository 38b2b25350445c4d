#include "services/scheduling/domain/selection_day_plan.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/errors/errors.h"
#include "common/time/berlin_calendar.h"

namespace stellenwerk::scheduling {
namespace {
namespace cal = stellenwerk::calendar;

google::protobuf::Timestamp Ts(absl::Time t) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(absl::ToUnixSeconds(t));
  return ts;
}

absl::Duration FromProto(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

}  // namespace

absl::StatusOr<SelectionDayPlan> PlanSelectionDay(const v1::CreateSelectionDayRequest& r,
                                                  const PostingView& posting, absl::Time now,
                                                  const std::vector<Occupancy>& other_days,
                                                  const std::string& id) {
  if (r.posting_id().empty()) return errors::InvalidField("posting_id", "is required");
  auto date = cal::ParseIsoDate(r.date());
  if (!date.ok()) return errors::InvalidField("date", std::string(date.status().message()));
  if (r.start_time().empty()) return errors::InvalidField("start_time", "is required");
  auto start = ParseBerlinTime(r.start_time(), "start_time");
  if (!start.ok()) return start.status();
  if (r.location().empty() && !r.video_available()) {
    return errors::InvalidField("location", "is required unless the day is by video");
  }
  if (r.video_available() && !absl::StartsWith(r.video_url(), "https://")) {
    return errors::InvalidField("video_url", "an https:// link is required for video days");
  }
  if (r.location().size() > 500 || r.room().size() > 200) {
    return errors::InvalidField(r.location().size() > 500 ? "location" : "room", "too long");
  }
  std::set<std::string> members;
  for (int i = 0; i < r.committee_member_ids_size(); ++i) {
    const std::string& m = r.committee_member_ids(i);
    if (m.empty() || !members.insert(m).second) {
      return errors::InvalidField(absl::StrCat("committee_member_ids[", i, "]"),
                                  m.empty() ? "is empty" : "is named twice");
    }
  }
  std::vector<Part> parts;
  for (int i = 0; i < r.parts_size(); ++i) {
    const v1::Part& p = r.parts(i);
    Part part;
    switch (p.kind()) {
      case v1::WRITTEN_TASK:
        part.kind = PartKind::kWrittenTask;
        break;
      case v1::INTERVIEW:
        part.kind = PartKind::kInterview;
        break;
      case v1::BREAK:
        part.kind = PartKind::kBreak;
        break;
      default:
        return errors::InvalidField(absl::StrCat("parts[", i, "].kind"), "is required");
    }
    part.length = FromProto(p.length());
    part.count = p.kind() == v1::INTERVIEW ? p.count() : 1;
    parts.push_back(part);
  }
  if (absl::Status s = ValidateSelectionDayDate(*date, posting, now); !s.ok()) return s;
  auto slots = GenerateSlots(*date, absl::ToCivilMinute(*start, cal::Berlin()), parts);
  if (!slots.ok()) return slots.status();
  if (absl::ToCivilSecond(*start, cal::Berlin()).second() != 0) {
    return errors::InvalidField("start_time", "must be on a whole minute");
  }

  SelectionDayPlan plan;
  plan.date = *date;
  plan.slots = *std::move(slots);
  plan.occupancy = {id,
                    r.video_available() && r.room().empty() ? "" : r.location(),
                    r.room(),
                    {members.begin(), members.end()},
                    plan.slots.front().start,
                    plan.slots.back().end};
  if (absl::Status s = CheckConflicts(plan.occupancy, other_days); !s.ok()) return s;

  v1::SelectionDay& d = plan.day;
  d.set_id(id);
  d.set_tenant_id(posting.tenant_id);
  d.set_posting_id(r.posting_id());
  d.set_date(cal::FormatIsoDate(*date));
  d.set_location(r.location());
  d.set_room(r.room());
  d.set_barrier_free_room(r.barrier_free_room());
  d.set_video_available(r.video_available());
  d.set_video_url(r.video_url());
  *d.mutable_parts() = r.parts();
  for (const auto& m : r.committee_member_ids()) d.add_committee_member_ids(m);
  *d.mutable_start_time() = Ts(plan.occupancy.start);
  *d.mutable_end_time() = Ts(plan.occupancy.end);
  d.set_slot_count(static_cast<int32_t>(plan.slots.size()));
  *d.mutable_create_time() = Ts(now);
  return plan;
}

}  // namespace stellenwerk::scheduling
