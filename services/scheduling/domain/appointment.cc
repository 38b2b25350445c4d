#include "services/scheduling/domain/appointment.h"

#include "absl/strings/str_cat.h"
#include "common/time/berlin_calendar.h"
#include "google/protobuf/util/time_util.h"

namespace stellenwerk::scheduling {
namespace {
namespace cal = stellenwerk::calendar;
namespace ev = events::v1;

google::protobuf::Timestamp Ts(absl::Time t) {
  google::protobuf::Timestamp ts;
  const int64_t nanos = absl::ToUnixNanos(t);
  ts.set_seconds(nanos / 1000000000);
  ts.set_nanos(static_cast<int32_t>(nanos % 1000000000));
  return ts;
}

std::string Place(const AppointmentFacts& f) {
  if (f.video) return "";
  if (f.room.empty()) return f.location;
  if (f.location.empty()) return f.room;
  return absl::StrCat(f.location, ", ", f.room);
}

}  // namespace

std::string IcsUid(std::string_view booking_id) {
  return absl::StrCat(std::string(booking_id), "@scheduling.stellenwerk");
}

CalendarEntry CalendarEntryOf(const AppointmentFacts& f, absl::Time stamp) {
  CalendarEntry e;
  e.uid = IcsUid(f.booking_id);
  e.sequence = f.sequence;
  e.method = f.cancelled ? IcsMethod::kCancel : IcsMethod::kRequest;
  e.start = f.start;
  e.end = f.end;
  e.stamp = stamp;
  const char* what =
      f.part == PartKind::kWrittenTask ? "Schriftliche Aufgabe" : "Vorstellungsgespräch";
  e.summary = f.kennziffer.empty() ? absl::StrCat(what, ": ", f.posting_title)
                                   : absl::StrCat(what, " ", f.kennziffer, ": ", f.posting_title);
  e.location = Place(f);
  if (f.video) e.video_url = f.video_url;
  std::string description = absl::StrCat(what, " am ", GermanLocalText(f.start), ".");
  if (f.accommodations.extra_written_minutes > 0 && f.part == PartKind::kWrittenTask) {
    absl::StrAppend(&description, " Einschließlich ", f.accommodations.extra_written_minutes,
                    " Minuten Zeitverlängerung.");
  }
  if (f.accommodations.barrier_free_room) absl::StrAppend(&description, " Barrierefreier Raum.");
  e.description = description;
  return e;
}

ev::AppointmentSnapshot SnapshotOf(const AppointmentFacts& f, absl::Time stamp) {
  ev::AppointmentSnapshot s;
  s.set_booking_id(f.booking_id);
  s.set_selection_day_id(f.selection_day_id);
  s.set_slot_id(f.slot_id);
  s.set_application_id(f.application_id);
  s.set_posting_id(f.posting_id);
  s.set_applicant_sub(f.applicant_sub);
  s.set_tenant_id(f.tenant_id);
  s.set_part(f.part == PartKind::kWrittenTask ? ev::APPOINTMENT_PART_WRITTEN_TASK
                                              : ev::APPOINTMENT_PART_INTERVIEW);
  *s.mutable_start_time() = Ts(f.start);
  *s.mutable_end_time() = Ts(f.end);
  s.set_start_local_text(GermanLocalText(f.start));
  s.set_end_local_text(GermanLocalText(f.end));
  s.set_start_local(cal::FormatBerlin(f.start));
  s.set_end_local(cal::FormatBerlin(f.end));
  s.set_time_zone("Europe/Berlin");
  s.set_date(cal::FormatIsoDate(cal::CivilDayInBerlin(f.start)));
  s.set_mode(f.video ? ev::APPOINTMENT_MODE_VIDEO : ev::APPOINTMENT_MODE_IN_PERSON);
  if (!f.video) {
    s.set_location(f.location);
    s.set_room(f.room);
  } else {
    s.set_video_url(f.video_url);
  }
  s.mutable_accommodations()->set_barrier_free_room(f.accommodations.barrier_free_room);
  s.mutable_accommodations()->set_extra_written_minutes(f.accommodations.extra_written_minutes);
  s.set_sequence(f.sequence);
  s.set_ics(BuildIcs(CalendarEntryOf(f, stamp)));
  s.set_ics_uid(IcsUid(f.booking_id));
  s.set_posting_title(f.posting_title);
  s.set_kennziffer(f.kennziffer);
  s.set_booked_by(f.booked_by);
  return s;
}

InvitationAction ActionFor(std::string_view to) {
  if (to == "INVITED") return InvitationAction::kOpen;
  if (to == "WITHDRAWN" || to == "REJECTED") return InvitationAction::kCancel;
  if (to.empty()) return InvitationAction::kNone;
  return InvitationAction::kClose;
}

}  // namespace stellenwerk::scheduling
