#pragma once
// From a booking to what the events carry (AppointmentSnapshot, ADR 0026) and its calendar
// entry; and what scheduling does when it hears of an application's status. Pure.

#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "services/scheduling/domain/ics.h"
#include "services/scheduling/domain/schedule_rules.h"
#include "stellenwerk/events/v1/scheduling.pb.h"

namespace stellenwerk::scheduling {

// The facts of one booking that an appointment text needs.
struct AppointmentFacts {
  std::string booking_id;
  std::string selection_day_id;
  std::string slot_id;
  std::string application_id;
  std::string posting_id;
  std::string applicant_sub;
  std::string tenant_id;
  PartKind part = PartKind::kInterview;
  absl::Time start;
  absl::Time end;  // with accommodations
  bool video = false;
  std::string location;
  std::string room;
  std::string video_url;
  Accommodations accommodations;
  int sequence = 0;
  std::string posting_title;
  std::string kennziffer;
  std::string booked_by;  // HR | APPLICANT | SYSTEM
  bool cancelled = false;
};

// "<booking_id>@scheduling.stellenwerk": the same for every version of the booking.
std::string IcsUid(std::string_view booking_id);

CalendarEntry CalendarEntryOf(const AppointmentFacts& facts, absl::Time stamp);

// The snapshot with Berlin texts and the ICS (METHOD:CANCEL when cancelled).
events::v1::AppointmentSnapshot SnapshotOf(const AppointmentFacts& facts, absl::Time stamp);

// What an application's new status means for scheduling
// (applications.application.status_changed.v1).
enum class InvitationAction {
  kNone,
  kOpen,    // INVITED: the applicant may be booked (and book themselves)
  kCancel,  // WITHDRAWN / REJECTED: live bookings are cancelled, the invitation closed
  kClose,   // any other status after INVITED (INTERVIEWED, ...): no new bookings, keep existing
};
InvitationAction ActionFor(std::string_view to_status);

}  // namespace stellenwerk::scheduling
