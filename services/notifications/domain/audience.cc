#include "services/notifications/domain/audience.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/time/berlin_calendar.h"
#include "services/notifications/domain/mail_message.h"

namespace stellenwerk::notifications {

std::optional<Kind> ApplicantLetterFor(absl::string_view to) {
  if (to == "REJECTED") return v1::APPLICATION_REJECTED;
  if (to == "INVITED") return v1::INVITATION;
  if (to == "OFFER_APPROVED") return v1::OFFER;
  return std::nullopt;
}

std::vector<Body> BodiesDueAt(absl::string_view to) {
  if (to != "INTERVIEWED") return {};
  return {{"equal_opportunity_officer", "Gleichstellungsbeauftragte"},
          {"staff_council", "Personalrat"},
          {"disability_representative", "Schwerbehindertenvertretung"}};
}

Values RepresentativeValues(const RepresentativeDecision& d) {
  Values v;
  v["pseudonym"] = d.pseudonym.empty() ? "(ohne Pseudonym)" : d.pseudonym;
  if (d.decision == "INVITED") {
    v["entscheidung"] = "Einladung zum Vorstellungsgespräch";
    // SGB IX § 178 (2) S. 4: the representative may take part in the interview.
    v["feststellung"] =
        "Sie haben das Recht, am Vorstellungsgespräch teilzunehmen (§ 178 Abs. 2 Satz 4 SGB IX).";
  } else if (d.decision == "REJECTED") {
    v["entscheidung"] = "Absage";
    // SGB IX § 165 S. 3–4: a public employer invites a severely disabled applicant unless the
    // professional aptitude is obviously lacking.
    v["feststellung"] =
        d.obviously_unqualified
            ? "Der Arbeitgeber hat festgestellt, dass die fachliche Eignung offensichtlich fehlt "
              "(§ 165 Satz 4 SGB IX); eine Einladung zum Vorstellungsgespräch war daher "
              "entbehrlich."
            : "Eine offensichtlich fehlende fachliche Eignung (§ 165 Satz 4 SGB IX) wurde nicht "
              "festgestellt.";
  } else if (d.decision == "PROPOSED") {
    v["entscheidung"] = "Vorschlag zur Einstellung";
    v["feststellung"] = "";
  } else if (d.decision == "HIRED") {
    v["entscheidung"] = "Einstellung";
    v["feststellung"] = "";
  } else {
    v["entscheidung"] = d.decision;
    v["feststellung"] = "";
  }
  v["grund"] = d.reason.empty() ? "keine angegeben" : d.reason;
  // SGB IX § 178 (2) S. 2: a decision taken without hearing the representative is suspended;
  // the hearing is made up within seven days, then the decision is taken finally.
  v["anhoerung"] =
      d.heard ? absl::StrCat(
                    "Die Schwerbehindertenvertretung wurde vor der Entscheidung "
                    "angehört. Ihre Stellungnahme: „",
                    d.statement, "“")
              : "Die Schwerbehindertenvertretung wurde vor der Entscheidung nicht angehört. Nach "
                "§ 178 Abs. 2 Satz 2 SGB IX ist die Durchführung oder Vollziehung der "
                "Entscheidung auszusetzen; die Beteiligung ist innerhalb von sieben Tagen "
                "nachzuholen, sodann ist endgültig zu entscheiden.";
  return v;
}

std::string MailboxOf(const v1::TenantSettings& s, absl::string_view role) {
  if (role == "hr_clerk") return s.hr_mailbox();
  if (role == "disability_representative") return s.disability_representative_mailbox();
  if (role == "equal_opportunity_officer") return s.equal_opportunity_officer_mailbox();
  if (role == "staff_council") return s.staff_council_mailbox();
  if (role == "city_coordinator" || role == "district_coordinator") {
    return s.coordination_mailbox();
  }
  return "";
}

bool SendsEmail(const v1::TenantSettings& s, Kind kind) {
  if (s.email_kinds_size() == 0) return true;
  return std::find(s.email_kinds().begin(), s.email_kinds().end(), kind) != s.email_kinds().end();
}

Composed Compose(const Planned& p, const TemplateText& tmpl, const v1::TenantSettings& settings,
                 const std::string& default_sender) {
  Values values = p.values;
  values["signatur"] = settings.signature();
  values["terminwahl"] = PortalLink(settings.portal_url(), "#/termine");
  if (values.find("anrede") == values.end()) values["anrede"] = "Guten Tag";
  Composed c;
  c.text = Render(tmpl, values);
  c.email = PlausibleAddress(p.to.address) && SendsEmail(settings, p.kind);
  c.from = {settings.sender_name(), PlausibleAddress(settings.sender_address())
                                        ? settings.sender_address()
                                        : default_sender};
  c.reply_to = PlausibleAddress(settings.reply_to()) ? settings.reply_to() : std::string();
  return c;
}

bool PlausiblePortalUrl(absl::string_view url) {
  if (url.empty()) return true;
  if (url.size() > 300 || url.find_first_of(" \t\r\n<>\"") != absl::string_view::npos) {
    return false;
  }
  return absl::StartsWith(url, "https://") || absl::StartsWith(url, "http://localhost") ||
         absl::StartsWith(url, "http://127.0.0.1");
}

std::string PortalLink(absl::string_view portal_url, absl::string_view route) {
  if (portal_url.empty()) return "(nach der Anmeldung im Bewerbungsportal)";
  absl::string_view base = portal_url;
  while (absl::EndsWith(base, "/")) base.remove_suffix(1);
  return absl::StrCat(base, "/", route);
}

std::string NoticeReference(absl::string_view kennziffer, absl::string_view post,
                            absl::string_view regional_office) {
  if (!kennziffer.empty()) return absl::StrCat("Kennziffer ", kennziffer, " – ", post);
  if (regional_office.empty()) return std::string(post);
  if (post.empty()) return std::string(regional_office);
  return absl::StrCat(post, ", ", regional_office);
}

v1::TenantSettings WithDefaults(v1::TenantSettings s) {
  if (s.acknowledgment() == v1::ACKNOWLEDGMENT_UNSPECIFIED) s.set_acknowledgment(v1::AUTOMATIC);
  if (s.acknowledgment_due_working_days() <= 0) s.set_acknowledgment_due_working_days(5);
  if (s.signature().empty()) s.set_signature("Ihre Personalabteilung");
  return s;
}

absl::Time AcknowledgmentDue(absl::Time received, int working_days) {
  absl::CivilDay day = calendar::CivilDayInBerlin(received);
  for (int i = 0; i < working_days; ++i) {
    day = calendar::NextWorkingDayOnOrAfter(day + 1);
  }
  return calendar::EndOfDay(day);
}

std::string FormatGermanInstant(absl::Time t) {
  static constexpr const char* kDays[] = {"Montag",  "Dienstag", "Mittwoch", "Donnerstag",
                                          "Freitag", "Samstag",  "Sonntag"};
  static constexpr const char* kMonths[] = {"Januar",    "Februar", "März",     "April",
                                            "Mai",       "Juni",    "Juli",     "August",
                                            "September", "Oktober", "November", "Dezember"};
  const absl::TimeZone& berlin = calendar::Berlin();
  absl::CivilSecond cs = absl::ToCivilSecond(t, berlin);
  // A window ending at midnight reads "24:00 Uhr" of the day before (as the law counts it).
  if (cs.hour() == 0 && cs.minute() == 0 && cs.second() == 0) {
    const absl::CivilDay day = absl::CivilDay(cs) - 1;
    return absl::StrCat(kDays[static_cast<int>(absl::GetWeekday(day))], ", ", day.day(), ". ",
                        kMonths[day.month() - 1], " ", day.year(), ", 24:00 Uhr");
  }
  const absl::CivilDay day(cs);
  return absl::StrCat(kDays[static_cast<int>(absl::GetWeekday(day))], ", ", day.day(), ". ",
                      kMonths[day.month() - 1], " ", day.year(), ", ",
                      absl::FormatTime("%H:%M", t, berlin), " Uhr");
}

}  // namespace stellenwerk::notifications
