#pragma once
// CreateSelectionDay as a pure decision: the request checked field by field, the date by the
// calendar rules, the slots generated, the room and committee checked against the tenant's
// other days. The store then writes it (and the database constraints hold it, ADR 0024).

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "services/scheduling/domain/schedule_rules.h"
#include "stellenwerk/scheduling/v1/scheduling.pb.h"

namespace stellenwerk::scheduling {

struct SelectionDayPlan {
  absl::CivilDay date;
  std::vector<GeneratedSlot> slots;
  Occupancy occupancy;   // the day's span, room and committee
  v1::SelectionDay day;  // as GetSelectionDay returns it
};

// INVALID_ARGUMENT naming the field for malformed input; FAILED_PRECONDITION for the
// posting's state, the deadline, and room or committee conflicts with `other_days`.
absl::StatusOr<SelectionDayPlan> PlanSelectionDay(const v1::CreateSelectionDayRequest& request,
                                                  const PostingView& posting, absl::Time now,
                                                  const std::vector<Occupancy>& other_days,
                                                  const std::string& id);

}  // namespace stellenwerk::scheduling
