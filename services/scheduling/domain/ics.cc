#include "services/scheduling/domain/ics.h"

#include <libical/ical.h>

#include <memory>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "absl/strings/str_split.h"
#include "common/time/berlin_calendar.h"

namespace stellenwerk::scheduling {
namespace {

constexpr char kTzid[] = "Europe/Berlin";

struct ComponentFree {
  void operator()(icalcomponent* c) const { icalcomponent_free(c); }
};
using Component = std::unique_ptr<icalcomponent, ComponentFree>;

// libical's builtin zone table is not thread-safe while it loads (and its TZIDs carry a
// "/freeassociation.sourceforge.net/" prefix): the VTIMEZONE is taken once, under a lock,
// renamed to plain Europe/Berlin.
std::mutex& IcalMutex() {
  static std::mutex m;
  return m;
}

icaltimezone* BerlinZone() {
  static icaltimezone* zone = [] {
    icaltimezone* z = icaltimezone_get_builtin_timezone(kTzid);
    if (z == nullptr) throw std::runtime_error("libical has no Europe/Berlin zone (tzdata?)");
    return z;
  }();
  return zone;
}

icaltimetype Local(absl::Time t) {
  // Berlin wall-clock of t as a floating time, then tagged with the zone: written as
  // DTSTART;TZID=Europe/Berlin:YYYYMMDDTHHMMSS.
  const absl::CivilSecond c = absl::ToCivilSecond(t, calendar::Berlin());
  icaltimetype tt = icaltime_null_time();
  tt.year = static_cast<int>(c.year());
  tt.month = c.month();
  tt.day = c.day();
  tt.hour = c.hour();
  tt.minute = c.minute();
  tt.second = c.second();
  tt.is_date = 0;
  return tt;
}

icalproperty* WithTzid(icalproperty* p) {
  icalproperty_add_parameter(p, icalparameter_new_tzid(kTzid));
  return p;
}

// Undoes libical's folding (CRLF + space) and folds again by octets at UTF-8 boundaries, so
// the result does not depend on how a libical version counts.
std::string Refold(const std::string& text) {
  std::string unfolded;
  unfolded.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 2 < text.size() && text[i + 1] == '\n' &&
        (text[i + 2] == ' ' || text[i + 2] == '\t')) {
      i += 2;
      continue;
    }
    if (text[i] == '\n' && i + 1 < text.size() && (text[i + 1] == ' ' || text[i + 1] == '\t')) {
      ++i;
      continue;
    }
    unfolded.push_back(text[i]);
  }
  std::string out;
  for (absl::string_view line : absl::StrSplit(unfolded, '\n')) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    out += FoldLine(std::string_view(line.data(), line.size()));
    out += "\r\n";
  }
  return out;
}

}  // namespace

std::string FoldLine(std::string_view line) {
  std::string out;
  size_t limit = 75;  // octets on the first line; 74 after the leading space
  size_t used = 0;
  size_t i = 0;
  while (i < line.size()) {
    const unsigned char b = static_cast<unsigned char>(line[i]);
    size_t len = b < 0x80           ? 1
                 : (b >> 5) == 0x6  ? 2
                 : (b >> 4) == 0xE  ? 3
                 : (b >> 3) == 0x1E ? 4
                                    : 1;
    if (i + len > line.size()) len = line.size() - i;
    if (used + len > limit) {
      out += "\r\n ";
      used = 1;
      limit = 75;
    }
    out.append(line.substr(i, len));
    used += len;
    i += len;
  }
  return out;
}

std::string BuildIcs(const CalendarEntry& e) {
  std::lock_guard<std::mutex> lock(IcalMutex());
  Component cal(icalcomponent_new_vcalendar());
  icalcomponent_add_property(cal.get(), icalproperty_new_prodid("-//Stellenwerk//Scheduling//DE"));
  icalcomponent_add_property(cal.get(), icalproperty_new_version("2.0"));
  icalcomponent_add_property(cal.get(), icalproperty_new_calscale("GREGORIAN"));
  icalcomponent_add_property(
      cal.get(), icalproperty_new_method(e.method == IcsMethod::kCancel ? ICAL_METHOD_CANCEL
                                                                        : ICAL_METHOD_REQUEST));

  icalcomponent* vtz = icalcomponent_new_clone(icaltimezone_get_component(BerlinZone()));
  if (icalproperty* tzid = icalcomponent_get_first_property(vtz, ICAL_TZID_PROPERTY)) {
    icalproperty_set_tzid(tzid, kTzid);
  }
  icalcomponent_add_component(cal.get(), vtz);

  icalcomponent* ev = icalcomponent_new_vevent();
  icalcomponent_add_property(ev, icalproperty_new_uid(e.uid.c_str()));
  icalcomponent_add_property(ev, icalproperty_new_sequence(e.sequence));
  icalcomponent_add_property(ev, icalproperty_new_dtstamp(icaltime_from_timet_with_zone(
                                     absl::ToTimeT(e.stamp), 0, icaltimezone_get_utc_timezone())));
  icalcomponent_add_property(ev, WithTzid(icalproperty_new_dtstart(Local(e.start))));
  icalcomponent_add_property(ev, WithTzid(icalproperty_new_dtend(Local(e.end))));
  icalcomponent_add_property(ev, icalproperty_new_summary(e.summary.c_str()));
  if (!e.description.empty()) {
    icalcomponent_add_property(ev, icalproperty_new_description(e.description.c_str()));
  }
  if (!e.location.empty()) {
    icalcomponent_add_property(ev, icalproperty_new_location(e.location.c_str()));
  } else if (!e.video_url.empty()) {
    icalcomponent_add_property(ev, icalproperty_new_location(e.video_url.c_str()));
  }
  if (!e.video_url.empty()) {
    icalcomponent_add_property(ev, icalproperty_new_url(e.video_url.c_str()));
  }
  if (!e.organizer_email.empty()) {
    icalcomponent_add_property(ev,
                               icalproperty_new_organizer(("mailto:" + e.organizer_email).c_str()));
  }
  icalcomponent_add_property(
      ev, icalproperty_new_status(e.method == IcsMethod::kCancel ? ICAL_STATUS_CANCELLED
                                                                 : ICAL_STATUS_CONFIRMED));
  icalcomponent_add_component(cal.get(), ev);

  char* text = icalcomponent_as_ical_string_r(cal.get());
  std::string result = Refold(text == nullptr ? "" : text);
  free(text);
  return result;
}

}  // namespace stellenwerk::scheduling
