#pragma once
// RFC 5545 calendar entries for bookings, built with libical (PITFALLS.md "libical"): one
// VEVENT with DTSTART/DTEND;TZID=Europe/Berlin and the Europe/Berlin VTIMEZONE, a UID that
// stays the same across reschedules, SEQUENCE counted up by every change, METHOD:REQUEST for
// a booking and METHOD:CANCEL for its cancellation (RFC 5546 § 3.2.2, § 3.2.5). Lines are
// folded at 75 octets, never inside a UTF-8 character (RFC 5545 § 3.1).

#include <string>

#include "absl/time/time.h"

namespace stellenwerk::scheduling {

enum class IcsMethod { kRequest, kCancel };

struct CalendarEntry {
  std::string uid;  // e.g. "<booking_id>@scheduling.stellenwerk"
  int sequence = 0;
  IcsMethod method = IcsMethod::kRequest;
  absl::Time start;
  absl::Time end;
  absl::Time stamp;  // DTSTAMP: when this version was made
  std::string summary;
  std::string description;
  std::string location;         // address and room, or empty
  std::string video_url;        // for a video appointment
  std::string organizer_email;  // optional: mailto of the HR office
};

// The whole VCALENDAR text with CRLF line ends.
std::string BuildIcs(const CalendarEntry& entry);

// RFC 5545 § 3.1 folding of one content line (without its CRLF): at most 75 octets per line,
// continuation lines start with one space, a fold never splits a UTF-8 sequence.
std::string FoldLine(std::string_view line);

}  // namespace stellenwerk::scheduling
