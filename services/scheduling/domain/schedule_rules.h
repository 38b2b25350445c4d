#pragma once
// The rules of selection days (Auswahltage), slots and bookings as pure functions: no SQL, no
// transport. Times are instants (absl::Time); Europe/Berlin civil time is formed only through
// common/time/berlin_calendar.h so DST days come out right. DOMAIN.md "Scheduling".

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace stellenwerk::scheduling {

// What scheduling knows of a posting (from postings.posting.* events).
struct PostingView {
  std::string posting_id;
  std::string tenant_id;
  std::string status;  // DRAFT | PUBLISHED | CLOSED | WITHDRAWN
  std::optional<absl::CivilDay> application_deadline;
  int posting_kind = 0;
};

// A selection day may only be set on a working day in NRW (Mon–Fri, no public holiday of
// FTG NW § 2), not before the posting's application deadline has passed (a day before the
// deadline would exclude applicants who still may apply, Art. 33 Abs. 2 GG: equal access),
// not in the past, and only for a posting that is published or closed.
// INVALID_ARGUMENT names the field "date"; FAILED_PRECONDITION for the posting's state.
absl::Status ValidateSelectionDayDate(absl::CivilDay date, const PostingView& posting,
                                      absl::Time now);

enum class PartKind { kWrittenTask, kInterview, kBreak };

// One part of a selection day, in order: a written task (one sitting of `length`), a block of
// `count` interviews of `length` each, or a break of `length`.
struct Part {
  PartKind kind = PartKind::kInterview;
  absl::Duration length = absl::ZeroDuration();
  int count = 1;
};

struct GeneratedSlot {
  int index = 0;  // 0-based in the day, stable
  PartKind kind = PartKind::kInterview;
  absl::Time start;
  absl::Time end;
};

// The slots of a day starting at `start_local` (Berlin wall-clock) on `date`, parts in order,
// breaks leave gaps. Refuses empty parts, non-positive lengths or counts, more than
// kMaxSlotsPerDay slots, and a day that does not end on the same civil day.
inline constexpr int kMaxSlotsPerDay = 200;
absl::StatusOr<std::vector<GeneratedSlot>> GenerateSlots(absl::CivilDay date,
                                                         absl::CivilMinute start_local,
                                                         const std::vector<Part>& parts);

// Something that occupies a room and people over an interval (a selection day's span or one
// of its slots), across every selection day of the tenant.
struct Occupancy {
  std::string selection_day_id;
  std::string location;
  std::string room;
  std::vector<std::string> committee_member_ids;
  absl::Time start;
  absl::Time end;
};

// Room key: location and room, trimmed and case-folded (ASCII), so "Raum 2.14 " and
// "raum 2.14" are one room.
std::string RoomKey(std::string_view location, std::string_view room);

// FAILED_PRECONDITION naming the room or the committee member when `candidate` overlaps any
// of `existing` (half-open intervals; touching is fine) in the same room or with a shared
// committee member. Occupancies of the candidate's own day are ignored.
absl::Status CheckConflicts(const Occupancy& candidate, const std::vector<Occupancy>& existing);

// Reasonable accommodations for severely disabled applicants (SGB IX § 164 Abs. 4 Nr. 4,
// § 165; the invitation offers them, the applicant asks).
struct Accommodations {
  bool barrier_free_room = false;
  int extra_written_minutes = 0;  // extra time for the written task (Nachteilsausgleich)
};
inline constexpr int kMaxExtraWrittenMinutes = 240;

// The end of a slot under `acc`: a written task gets the extra minutes, other parts keep
// their end. Refuses (FAILED_PRECONDITION) a barrier-free request in a room that is not
// barrier-free, and an extension that would overlap any other slot of the day in
// `other_slots` (the extended slot never takes another applicant's time).
absl::StatusOr<absl::Time> AccommodatedEnd(const GeneratedSlot& slot, const Accommodations& acc,
                                           bool room_barrier_free,
                                           const std::vector<GeneratedSlot>& other_slots);

// An instant given as text must carry its zone, and that zone must be Europe/Berlin's offset
// at that instant: "2026-04-14T09:30:00+02:00" is fine, "2026-04-14T09:30:00" (no zone),
// "...Z" or "+01:00" in summer are INVALID_ARGUMENT naming `field`. A wrong offset is the
// classic hour-off bug of a client that formats local time with the wrong rule.
absl::StatusOr<absl::Time> ParseBerlinTime(std::string_view text, std::string_view field);

// Booking: only a future slot, only for an INVITED application, one slot per applicant and
// day. FAILED_PRECONDITION otherwise.
struct BookingCheck {
  absl::Time slot_start;
  absl::Time now;
  std::string application_status;  // applications' status name
  bool applicant_holds_slot_that_day = false;
  bool slot_taken = false;
};
absl::Status CheckBookable(const BookingCheck& check);

// The reminder fires `lead` before the start; if that is already past but the start is not,
// it fires now (the applicant still hears of it); nullopt when the start has passed.
std::optional<absl::Time> ReminderDueTime(absl::Time start, absl::Duration lead, absl::Time now);

// "Dienstag, 14. April 2026, 09:30 Uhr" in Europe/Berlin.
std::string GermanLocalText(absl::Time t);

// Internships (seed 000, Staatskanzlei NRW): "mindestens vier Wochen und maximal drei
// Monate", apply "idealerweise neun Monate vor dem gewünschten Beginn", and the department
// confirms personnel and room capacity for the period.
struct InternshipRequest {
  absl::CivilDay start;
  absl::CivilDay end;  // inclusive
};
struct InternshipPeriod {
  absl::CivilDay start;
  absl::CivilDay end;  // inclusive
  int capacity = 0;    // places the department declared
  int taken = 0;       // requests already accepted that overlap
};
// `min_lead_days`: the tenant's minimum lead time between request and start (the seed's
// nine months are advice, the hard floor is configurable).
absl::Status CheckInternshipRequest(const InternshipRequest& request,
                                    const InternshipPeriod& period, absl::CivilDay today,
                                    int min_lead_days);

}  // namespace stellenwerk::scheduling
