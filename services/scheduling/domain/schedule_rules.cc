#include "services/scheduling/domain/schedule_rules.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/errors/errors.h"
#include "common/time/berlin_calendar.h"

namespace stellenwerk::scheduling {
namespace cal = stellenwerk::calendar;
namespace {
absl::string_view A(std::string_view s) { return absl::string_view(s.data(), s.size()); }
}  // namespace

absl::Status ValidateSelectionDayDate(absl::CivilDay date, const PostingView& posting,
                                      absl::Time now) {
  if (posting.status == "DRAFT" || posting.status == "WITHDRAWN" || posting.status.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "posting ", posting.posting_id, " is ", posting.status.empty() ? "unknown" : posting.status,
        ": a selection day needs a published or closed posting"));
  }
  const absl::Weekday wd = absl::GetWeekday(date);
  if (wd == absl::Weekday::saturday || wd == absl::Weekday::sunday) {
    return errors::InvalidField(
        "date", absl::StrCat(cal::FormatIsoDate(date), " is a weekend day, not a working day"));
  }
  if (auto holiday = cal::NrwHolidayName(date)) {
    return errors::InvalidField(
        "date", absl::StrCat(cal::FormatIsoDate(date), " is a public holiday in NRW (",
                             std::string(*holiday), ", FTG NW § 2)"));
  }
  if (date <= cal::CivilDayInBerlin(now)) {
    return errors::InvalidField("date",
                                absl::StrCat(cal::FormatIsoDate(date), " is not in the future"));
  }
  if (posting.application_deadline && date <= *posting.application_deadline) {
    return absl::FailedPreconditionError(
        absl::StrCat("date ", cal::FormatIsoDate(date), " is not after the application deadline ",
                     cal::FormatIsoDate(*posting.application_deadline)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<GeneratedSlot>> GenerateSlots(absl::CivilDay date,
                                                         absl::CivilMinute start_local,
                                                         const std::vector<Part>& parts) {
  if (parts.empty()) return errors::InvalidField("parts", "a selection day needs parts");
  if (absl::CivilDay(start_local) != date) {
    return errors::InvalidField("start_time", "the start is not on the selection day");
  }
  // A wall-clock time that does not exist (spring gap) or exists twice (autumn) is refused
  // rather than silently shifted; selection days are never on those Sundays anyway.
  const auto info = cal::Berlin().At(absl::CivilSecond(start_local));
  if (info.kind != absl::TimeZone::TimeInfo::UNIQUE) {
    return errors::InvalidField("start_time", "the start is not a unique Berlin time");
  }
  absl::Time at = info.pre;
  std::vector<GeneratedSlot> slots;
  for (size_t i = 0; i < parts.size(); ++i) {
    const Part& p = parts[i];
    const std::string field = absl::StrCat("parts[", i, "]");
    if (p.length <= absl::ZeroDuration() || p.length > absl::Hours(8)) {
      return errors::InvalidField(absl::StrCat(field, ".length"),
                                  "must be more than 0 and at most 8 hours");
    }
    if (p.length % absl::Minutes(1) != absl::ZeroDuration()) {
      return errors::InvalidField(absl::StrCat(field, ".length"), "must be whole minutes");
    }
    if (p.kind == PartKind::kBreak) {
      at += p.length;
      continue;
    }
    const int count = p.kind == PartKind::kWrittenTask ? 1 : p.count;
    if (count < 1) return errors::InvalidField(absl::StrCat(field, ".count"), "must be >= 1");
    if (static_cast<int>(slots.size()) + count > kMaxSlotsPerDay) {
      return errors::InvalidField(absl::StrCat(field, ".count"),
                                  absl::StrCat("more than ", kMaxSlotsPerDay, " slots"));
    }
    for (int n = 0; n < count; ++n) {
      slots.push_back({static_cast<int>(slots.size()), p.kind, at, at + p.length});
      at += p.length;
    }
  }
  if (slots.empty()) return errors::InvalidField("parts", "only breaks, no slot");
  if (at > cal::EndOfDay(date)) {
    return errors::InvalidField("parts", "the day runs past midnight");
  }
  return slots;
}

std::string RoomKey(std::string_view location, std::string_view room) {
  return absl::AsciiStrToLower(absl::StrCat(absl::StripAsciiWhitespace(A(location)), "\x1f",
                                            absl::StripAsciiWhitespace(A(room))));
}

absl::Status CheckConflicts(const Occupancy& candidate, const std::vector<Occupancy>& existing) {
  const std::string room = RoomKey(candidate.location, candidate.room);
  for (const Occupancy& o : existing) {
    if (o.selection_day_id == candidate.selection_day_id) continue;
    if (!(candidate.start < o.end && o.start < candidate.end)) continue;
    if (!candidate.room.empty() && RoomKey(o.location, o.room) == room) {
      return absl::FailedPreconditionError(
          absl::StrCat("room ", candidate.room, " is taken by selection day ", o.selection_day_id,
                       " at ", cal::FormatBerlin(o.start)));
    }
    for (const std::string& m : candidate.committee_member_ids) {
      if (std::find(o.committee_member_ids.begin(), o.committee_member_ids.end(), m) !=
          o.committee_member_ids.end()) {
        return absl::FailedPreconditionError(
            absl::StrCat("committee member ", m, " sits on selection day ", o.selection_day_id,
                         " at ", cal::FormatBerlin(o.start)));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::Time> AccommodatedEnd(const GeneratedSlot& slot, const Accommodations& acc,
                                           bool room_barrier_free,
                                           const std::vector<GeneratedSlot>& other_slots) {
  if (acc.barrier_free_room && !room_barrier_free) {
    return absl::FailedPreconditionError(
        "a barrier-free room was requested but the selection day's room is not barrier-free");
  }
  if (acc.extra_written_minutes < 0 || acc.extra_written_minutes > kMaxExtraWrittenMinutes) {
    return errors::InvalidField("accommodations.extra_written_minutes",
                                absl::StrCat("must be between 0 and ", kMaxExtraWrittenMinutes));
  }
  if (acc.extra_written_minutes == 0 || slot.kind != PartKind::kWrittenTask) return slot.end;
  const absl::Time end = slot.end + absl::Minutes(acc.extra_written_minutes);
  for (const GeneratedSlot& o : other_slots) {
    if (o.index == slot.index) continue;
    if (slot.start < o.end && o.start < end) {
      return absl::FailedPreconditionError(
          absl::StrCat("the written task extended by ", acc.extra_written_minutes,
                       " minutes would overlap slot ", o.index, " at ", cal::FormatBerlin(o.start),
                       "; book the applicant into a sitting with room after it"));
    }
  }
  return end;
}

absl::StatusOr<absl::Time> ParseBerlinTime(std::string_view text, std::string_view field) {
  // RFC 3339 with a mandatory offset: YYYY-MM-DDTHH:MM:SS(.fff)?(Z|±HH:MM)
  const std::string s(absl::StripAsciiWhitespace(A(text)));
  if (s.size() < 20 || (s[10] != 'T' && s[10] != 't')) {
    return errors::InvalidField(field, "not an RFC 3339 time with zone offset");
  }
  const char last = s.back();
  const bool has_offset = last == 'Z' || last == 'z' ||
                          (s.size() >= 25 && (s[s.size() - 6] == '+' || s[s.size() - 6] == '-') &&
                           s[s.size() - 3] == ':');
  if (!has_offset) {
    return errors::InvalidField(field, "the time carries no zone offset (e.g. +02:00)");
  }
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, s, &t, &err)) {
    return errors::InvalidField(field, absl::StrCat("not an RFC 3339 time: ", err));
  }
  const int berlin_offset = cal::Berlin().At(t).offset;
  int given = 0;
  if (last != 'Z' && last != 'z') {
    const int sign = s[s.size() - 6] == '-' ? -1 : 1;
    given = sign * (std::stoi(s.substr(s.size() - 5, 2)) * 3600 +
                    std::stoi(s.substr(s.size() - 2, 2)) * 60);
  }
  if (given != berlin_offset) {
    return errors::InvalidField(
        field, absl::StrFormat("offset %+03d:%02d is not Europe/Berlin's at that time (%s)",
                               given / 3600, std::abs(given % 3600) / 60, cal::FormatBerlin(t)));
  }
  return t;
}

absl::Status CheckBookable(const BookingCheck& c) {
  if (c.slot_start <= c.now) {
    return absl::FailedPreconditionError("the slot has already begun or is past");
  }
  if (c.application_status != "INVITED") {
    return absl::FailedPreconditionError(absl::StrCat(
        "the application is ", c.application_status.empty() ? "unknown" : c.application_status,
        ", only an INVITED application books a slot"));
  }
  if (c.slot_taken) return absl::FailedPreconditionError("the slot is already booked");
  if (c.applicant_holds_slot_that_day) {
    return absl::FailedPreconditionError("the applicant already holds a slot on that day");
  }
  return absl::OkStatus();
}

std::optional<absl::Time> ReminderDueTime(absl::Time start, absl::Duration lead, absl::Time now) {
  if (start <= now) return std::nullopt;
  return std::max(start - lead, now);
}

std::string GermanLocalText(absl::Time t) {
  static constexpr const char* kDays[] = {"Montag",  "Dienstag", "Mittwoch", "Donnerstag",
                                          "Freitag", "Samstag",  "Sonntag"};
  static constexpr const char* kMonths[] = {"Januar",    "Februar", "März",     "April",
                                            "Mai",       "Juni",    "Juli",     "August",
                                            "September", "Oktober", "November", "Dezember"};
  const absl::CivilMinute m = absl::ToCivilMinute(t, cal::Berlin());
  const int wd = static_cast<int>(absl::GetWeekday(absl::CivilDay(m)));  // monday == 0
  return absl::StrFormat("%s, %d. %s %d, %02d:%02d Uhr", kDays[wd], m.day(), kMonths[m.month() - 1],
                         m.year(), m.hour(), m.minute());
}

absl::Status CheckInternshipRequest(const InternshipRequest& r, const InternshipPeriod& period,
                                    absl::CivilDay today, int min_lead_days) {
  if (r.end < r.start) return errors::InvalidField("end_date", "before the start");
  // "mindestens vier Wochen und maximal drei Monate" (seed 000): at least 28 days, at most
  // three calendar months (start + 3 months - 1 day, inclusive).
  const int days = static_cast<int>(r.end - r.start) + 1;
  if (days < 28) {
    return errors::InvalidField("end_date", "an internship lasts at least four weeks");
  }
  const absl::CivilMonth three_later = absl::CivilMonth(r.start) + 3;
  absl::CivilDay limit(three_later.year(), three_later.month(), r.start.day());
  if (absl::CivilMonth(limit) != three_later) limit = absl::CivilDay(three_later + 1) - 1;
  if (r.end > limit - 1) {
    return errors::InvalidField("end_date", "an internship lasts at most three months");
  }
  if (r.start - today < min_lead_days) {
    return absl::FailedPreconditionError(absl::StrCat("the internship starts in ", r.start - today,
                                                      " days; the department needs at least ",
                                                      min_lead_days, " days' notice"));
  }
  if (r.start < period.start || r.end > period.end) {
    return absl::FailedPreconditionError("the requested time is outside the declared period");
  }
  if (period.taken >= period.capacity) {
    return absl::FailedPreconditionError(absl::StrCat("the department declared ", period.capacity,
                                                      " places for this period and all are taken"));
  }
  return absl::OkStatus();
}

}  // namespace stellenwerk::scheduling
