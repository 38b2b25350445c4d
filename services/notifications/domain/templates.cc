#include "services/notifications/domain/templates.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/errors/errors.h"

namespace stellenwerk::notifications {
namespace {

const std::vector<std::string>& Common() {
  static const std::vector<std::string> common = {"anrede", "kennziffer", "stellentitel",
                                                  "signatur"};
  return common;
}

std::vector<std::string> Specific(Kind kind) {
  switch (kind) {
    case v1::APPLICATION_REJECTED:
      return {"grund"};
    case v1::NOTICE_WITHDRAWN:
      return {"grund", "regionalstelle", "bezug"};
    case v1::INVITATION:
    case v1::SELECTION_DAY_OFFERED:
      return {"termin", "ort", "terminwahl"};
    case v1::BOOKING_CONFIRMED:
    case v1::BOOKING_RESCHEDULED:
    case v1::BOOKING_CANCELLED:
    case v1::BOOKING_REMINDER:
      return {"termin", "ort"};
    case v1::PARTICIPATION_DUE:
      return {"gremium"};
    case v1::ACKNOWLEDGMENT_OVERDUE:
      return {"arbeitstage"};
    case v1::NOTICE_FILED:
      return {"fristende", "regionalstelle", "bezug"};
    case v1::CONCERN_RAISED:
      return {"anliegen", "art", "regionalstelle", "bezug"};
    case v1::NOTICE_CLEARED:
      return {"freigabe", "regionalstelle", "bezug"};
    case v1::NOTICE_INSTRUCTED:
      return {"weisung", "weisungsinhalt", "regionalstelle", "bezug"};
    case v1::BASE_DATA_OVERDUE:
      return {"quartal", "regionalstelle", "faellig"};
    case v1::DISABILITY_REPRESENTATIVE_INFORMED:
      return {"pseudonym", "entscheidung", "grund", "feststellung", "anhoerung"};
    default:
      return {};
  }
}

constexpr char kSignOff[] = "\n\nMit freundlichen Grüßen\n{{signatur}}\n";
constexpr char kNoReply[] =
    "\n\n-- \nDiese Nachricht wurde automatisch erstellt. Bitte geben Sie bei Rückfragen die "
    "Kennziffer {{kennziffer}} an.\n";

// Coordination is between two authorities' Koordinierungsstellen: a notice need not belong to
// a posting (then there is no Kennziffer), so they refer to the post and the regional office.
constexpr char kNoReplyCoordination[] =
    "\n\n-- \nDiese Nachricht wurde automatisch erstellt. Bitte geben Sie bei Rückfragen die "
    "Stellenbezeichnung und die Regionalstelle an.\n";

TemplateText Make(std::string subject, std::string body) {
  return {std::move(subject), absl::StrCat("{{anrede}},\n\n", body, kSignOff, kNoReply), ""};
}
TemplateText MakeCoordination(std::string subject, std::string body) {
  return {std::move(subject), absl::StrCat("{{anrede}},\n\n", body, kSignOff, kNoReplyCoordination),
          ""};
}

}  // namespace

absl::string_view RecipientRoleOf(Kind kind) {
  switch (kind) {
    case v1::SEVERELY_DISABLED_APPLICATION:
    case v1::DISABILITY_REPRESENTATIVE_INFORMED:
      return "disability_representative";
    case v1::NEW_APPLICATION:
    case v1::ACKNOWLEDGMENT_TASK:
    case v1::ACKNOWLEDGMENT_OVERDUE:
      return "hr_clerk";
    case v1::NOTICE_FILED:
      return "district_coordinator";
    case v1::CONCERN_RAISED:
    case v1::BASE_DATA_OVERDUE:
      return "city_coordinator";
    case v1::PARTICIPATION_DUE:  // one per body; the caller names the role
    case v1::NOTICE_CLEARED:     // both sides
    case v1::NOTICE_INSTRUCTED:
    case v1::NOTICE_WITHDRAWN:
      return "";
    default:
      return "applicant";
  }
}

std::vector<std::string> PlaceholdersOf(Kind kind) {
  std::vector<std::string> all = Common();
  for (auto& p : Specific(kind)) all.push_back(std::move(p));
  return all;
}

TemplateText DefaultTemplate(Kind kind) {
  const std::string ref = "Kennziffer {{kennziffer}} – {{stellentitel}}";
  // A staffing notice need not belong to a posting: its reference is the Kennziffer when there
  // is one, else the post and the regional office (Notifier's "bezug").
  const std::string coordination_ref = "{{bezug}}";
  switch (kind) {
    case v1::APPLICATION_RECEIVED:
      return Make(absl::StrCat("Eingangsbestätigung Ihrer Bewerbung – ", ref),
                  "vielen Dank für Ihre Bewerbung auf die Stelle „{{stellentitel}}“ (Kennziffer "
                  "{{kennziffer}}). Ihre Unterlagen sind bei uns eingegangen.\n\nWir prüfen "
                  "Ihre Bewerbung sorgfältig und melden uns bei Ihnen, sobald das "
                  "Auswahlverfahren weiter fortgeschritten ist. Den Stand Ihrer Bewerbung "
                  "können Sie jederzeit im Bewerbungsportal einsehen.");
    case v1::APPLICATION_REJECTED:
      return Make(absl::StrCat("Ihre Bewerbung – ", ref),
                  "vielen Dank für Ihr Interesse an der Stelle „{{stellentitel}}“ und das "
                  "Vertrauen, das Sie uns mit Ihrer Bewerbung entgegengebracht haben.\n\nNach "
                  "sorgfältiger Prüfung müssen wir Ihnen leider mitteilen, dass wir Ihre "
                  "Bewerbung im weiteren Verfahren nicht berücksichtigen können. {{grund}}\n\n"
                  "Diese Entscheidung ist keine Bewertung Ihrer Person. Wir wünschen Ihnen für "
                  "Ihren weiteren beruflichen Weg alles Gute und würden uns freuen, wenn Sie "
                  "sich erneut bei uns bewerben.");
    case v1::INVITATION:
      return Make(absl::StrCat("Einladung zum Auswahlverfahren – ", ref),
                  "wir freuen uns, Sie zum Auswahlverfahren für die Stelle „{{stellentitel}}“ "
                  "einzuladen.\n\nOrt und Zeit der Auswahltermine finden Sie im "
                  "Bewerbungsportal unter „Meine Termine“:\n{{terminwahl}}\n\nDort wählen Sie "
                  "Ihren Termin, sofern wir ihn nicht für Sie festlegen, und können angeben, ob "
                  "Sie einen barrierefreien Raum oder mehr Zeit für die schriftliche Aufgabe "
                  "benötigen (Nachteilsausgleich). Sobald Ihr Termin feststeht, erhalten Sie "
                  "eine Bestätigung mit Kalendereintrag.\n\nSollten Sie keinen der Termine "
                  "wahrnehmen können, teilen Sie uns dies bitte möglichst bald über das "
                  "Bewerbungsportal mit.");
    case v1::SELECTION_DAY_OFFERED:
      return Make(absl::StrCat("Auswahltermin geplant – ", ref),
                  "für das Auswahlverfahren zur Stelle „{{stellentitel}}“, zu dem wir Sie "
                  "eingeladen haben, ist ein Auswahltag geplant:\n\nBeginn: {{termin}}\nOrt: "
                  "{{ort}}\n\nIhren Termin wählen Sie bitte im Bewerbungsportal unter „Meine "
                  "Termine“:\n{{terminwahl}}\n\nLegen wir Ihren Termin für Sie fest, erhalten "
                  "Sie eine Bestätigung mit Kalendereintrag. Sollten Sie an diesem Tag verhindert "
                  "sein, teilen Sie uns dies bitte möglichst bald über das Bewerbungsportal mit.");
    case v1::OFFER:
      return Make(absl::StrCat("Ihre Bewerbung: Zusage – ", ref),
                  "wir freuen uns, Ihnen mitteilen zu können, dass wir Ihnen die Stelle "
                  "„{{stellentitel}}“ anbieten möchten. Die Personalabteilung wird sich in Kürze "
                  "mit den weiteren Schritten und dem Arbeitsvertrag bei Ihnen melden.");
    case v1::WITHDRAWAL_CONFIRMED:
      return Make(absl::StrCat("Rücknahme Ihrer Bewerbung bestätigt – ", ref),
                  "hiermit bestätigen wir, dass Sie Ihre Bewerbung auf die Stelle "
                  "„{{stellentitel}}“ zurückgezogen haben. Ihre Unterlagen werden nach den "
                  "gesetzlichen Fristen gelöscht.");
    case v1::ERASURE_CONFIRMED:
      return Make(absl::StrCat("Löschung Ihrer Daten bestätigt – ", ref),
                  "wie von Ihnen gewünscht bzw. nach Ablauf der Aufbewahrungsfrist haben wir "
                  "Ihre personenbezogenen Daten zu Ihrer Bewerbung (Kennziffer {{kennziffer}}) "
                  "gelöscht (Art. 17 DSGVO). Diese Nachricht ist die letzte, die Sie von uns zu "
                  "diesem Verfahren erhalten; Ihre Anschrift wird danach ebenfalls gelöscht.");
    case v1::SEVERELY_DISABLED_APPLICATION:
      return Make(absl::StrCat("Bewerbung einer schwerbehinderten Person – ", ref),
                  "auf die Stelle „{{stellentitel}}“ (Kennziffer {{kennziffer}}) hat sich eine "
                  "schwerbehinderte oder gleichgestellte Person beworben. Nach § 178 Abs. 2 "
                  "SGB IX werden Sie hiermit unterrichtet; die Unterlagen können Sie im System "
                  "einsehen.");
    case v1::DISABILITY_REPRESENTATIVE_INFORMED:
      // SGB IX § 178 (2) S. 1: told without delay and comprehensively; by pseudonym only.
      return Make(
          absl::StrCat("Unterrichtung der Schwerbehindertenvertretung: {{entscheidung}} – ", ref),
          "nach § 178 Abs. 2 Satz 1 SGB IX unterrichten wir Sie über eine Entscheidung "
          "im Auswahlverfahren zur Stelle „{{stellentitel}}“ (Kennziffer {{kennziffer}}), "
          "die eine schwerbehinderte oder gleichgestellte Person betrifft.\n\n"
          "Bewerbung (Pseudonym): {{pseudonym}}\nEntscheidung: {{entscheidung}}\n"
          "Begründung: {{grund}}\n\n{{feststellung}}\n\n{{anhoerung}}\n\n"
          "Die entscheidungsrelevanten Teile der Bewerbungsunterlagen können Sie im "
          "System unter dem Pseudonym einsehen (§ 178 Abs. 2 Satz 4 SGB IX).");
    case v1::PARTICIPATION_DUE:
      return Make(absl::StrCat("Beteiligung erbeten – ", ref),
                  "im Auswahlverfahren zur Stelle „{{stellentitel}}“ (Kennziffer {{kennziffer}}) "
                  "sind die Vorstellungsgespräche geführt. Vor der Entscheidung wird die "
                  "Stellungnahme der folgenden Stelle erbeten: {{gremium}}.");
    case v1::NEW_APPLICATION:
      return Make(absl::StrCat("Neue Bewerbung – ", ref),
                  "auf die Stelle „{{stellentitel}}“ (Kennziffer {{kennziffer}}) ist eine neue "
                  "Bewerbung eingegangen.");
    case v1::ACKNOWLEDGMENT_TASK:
      return Make(absl::StrCat("Aufgabe: persönliche Eingangsbestätigung – ", ref),
                  "auf die Stelle „{{stellentitel}}“ (Kennziffer {{kennziffer}}) ist eine "
                  "Bewerbung eingegangen. Bitte senden Sie die persönliche Eingangsbestätigung.");
    case v1::ACKNOWLEDGMENT_OVERDUE:
      return Make(absl::StrCat("Eingangsbestätigung überfällig – ", ref),
                  "für eine Bewerbung auf die Stelle „{{stellentitel}}“ (Kennziffer "
                  "{{kennziffer}}) ist nach {{arbeitstage}} Arbeitstagen noch keine "
                  "Eingangsbestätigung versandt worden.");
    case v1::NOTICE_FILED:
      return MakeCoordination(
          absl::StrCat("Stellenbesetzung zur Abstimmung – ", coordination_ref),
          "die Stadt hat eine Stellenbesetzung zur Abstimmung angezeigt: "
          "„{{stellentitel}}“, {{regionalstelle}}.\n\nSie können bis {{fristende}} "
          "widersprechen oder Bedenken äußern; danach gilt die Besetzung als "
          "abgestimmt.");
    case v1::CONCERN_RAISED:
      return MakeCoordination(absl::StrCat("{{art}} zur Stellenbesetzung – ", coordination_ref),
                              "zur Stellenbesetzung „{{stellentitel}}“ ({{regionalstelle}}) hat "
                              "der Kreis {{art}} geäußert:\n\n{{anliegen}}\n\nMit Ablauf der "
                              "Wochenfrist gilt die Besetzung damit nicht als abgestimmt; sie "
                              "ist im Gespräch zu klären.");
    case v1::NOTICE_CLEARED:
      return MakeCoordination(
          absl::StrCat("Stellenbesetzung abgestimmt – ", coordination_ref),
          "die Stellenbesetzung „{{stellentitel}}“ ({{regionalstelle}}) ist abgestimmt: "
          "{{freigabe}}.");
    case v1::NOTICE_INSTRUCTED:
      return MakeCoordination(
          absl::StrCat("Weisung zur Stellenbesetzung – ", coordination_ref),
          "zur Stellenbesetzung „{{stellentitel}}“ ({{regionalstelle}}) ist eine "
          "Weisung ergangen. {{weisungsinhalt}}\n\n{{weisung}}");
    case v1::NOTICE_WITHDRAWN:
      return MakeCoordination(
          absl::StrCat("Stellenbesetzung zurückgezogen – ", coordination_ref),
          "die Anzeige der Stellenbesetzung „{{stellentitel}}“ ({{regionalstelle}}) ist "
          "zurückgezogen worden. {{grund}}");
    case v1::BASE_DATA_OVERDUE:
      return MakeCoordination(
          "Basisdaten überfällig – {{regionalstelle}} {{quartal}}",
          "die Basisdaten der {{regionalstelle}} für {{quartal}} waren bis {{faellig}} "
          "fällig und liegen noch nicht vor.");
    case v1::BOOKING_CONFIRMED:
      return Make(absl::StrCat("Ihr Termin ist bestätigt – ", ref),
                  "Ihr Termin im Auswahlverfahren zur Stelle „{{stellentitel}}“ ist bestätigt.\n\n"
                  "Termin: {{termin}}\nOrt: {{ort}}\n\nDie Termindatei liegt dieser Nachricht "
                  "bei.");
    case v1::BOOKING_RESCHEDULED:
      return Make(absl::StrCat("Ihr Termin wurde verlegt – ", ref),
                  "Ihr Termin im Auswahlverfahren zur Stelle „{{stellentitel}}“ wurde verlegt.\n\n"
                  "Neuer Termin: {{termin}}\nOrt: {{ort}}");
    case v1::BOOKING_CANCELLED:
      return Make(absl::StrCat("Ihr Termin wurde abgesagt – ", ref),
                  "Ihr Termin am {{termin}} im Auswahlverfahren zur Stelle „{{stellentitel}}“ "
                  "wurde abgesagt.");
    case v1::BOOKING_REMINDER:
      return Make(absl::StrCat("Erinnerung an Ihren Termin – ", ref),
                  "wir erinnern Sie an Ihren Termin im Auswahlverfahren zur Stelle "
                  "„{{stellentitel}}“.\n\nTermin: {{termin}}\nOrt: {{ort}}");
    default:
      return Make(absl::StrCat("Mitteilung – ", ref), "");
  }
}

Values SampleValues(Kind kind) {
  Values v = {{"anrede", "Guten Tag Jördis Müller-Lüdenscheidt"},
              {"kennziffer", "25/0042"},
              {"stellentitel", "Sachbearbeiter*in (w/m/d) Bürgerbüro"},
              {"signatur", "Ihr Team Personalgewinnung\nStadt Musterstadt"}};
  const Values extra = {{"grund",
                         "Wir haben uns für Personen mit einschlägiger Erfahrung in "
                         "der Sachbearbeitung entschieden."},
                        {"termin", "Dienstag, 13. Mai 2025, 10:00 Uhr"},
                        {"ort", "Rathaus, Raum 2.14"},
                        {"terminwahl", "https://karriere.musterstadt.de/#/termine"},
                        {"gremium", "Gleichstellungsbeauftragte"},
                        {"arbeitstage", "5"},
                        {"fristende", "Dienstag, 22. April 2025, 24:00 Uhr"},
                        {"regionalstelle", "Regionalstelle Witten"},
                        {"bezug", "Arbeitsvermittler*in (w/m/d), Regionalstelle Witten"},
                        {"anliegen", "Die Qualifikation bitte näher erläutern."},
                        {"art", "Klärungsbedarf"},
                        {"freigabe", "kein Widerspruch"},
                        {"weisung", "Die Besetzung ist vorzunehmen."},
                        {"weisungsinhalt",
                         "Die Stelle darf mit der vorgeschlagenen Person besetzt werden, unter "
                         "diesen Auflagen: Einarbeitung durch die Regionalstelle."},
                        {"quartal", "2025-Q1"},
                        {"faellig", "Montag, 14. April 2025"},
                        {"pseudonym", "B-7K3Q"},
                        {"entscheidung", "Absage"},
                        {"feststellung",
                         "Der Arbeitgeber hat festgestellt, dass die fachliche Eignung "
                         "offensichtlich fehlt (§ 165 Satz 4 SGB IX); eine Einladung zum "
                         "Vorstellungsgespräch war daher entbehrlich."},
                        {"anhoerung",
                         "Die Schwerbehindertenvertretung wurde vor der Entscheidung angehört. "
                         "Ihre Stellungnahme: „Keine Einwände.“"}};
  for (const std::string& p : Specific(kind)) v[p] = extra.at(p);
  return v;
}

std::vector<std::string> UnknownPlaceholders(Kind kind, absl::string_view text) {
  const std::vector<std::string> known = PlaceholdersOf(kind);
  std::vector<std::string> unknown;
  auto add = [&](std::string name) {
    if (std::find(unknown.begin(), unknown.end(), name) == unknown.end()) {
      unknown.push_back(std::move(name));
    }
  };
  size_t pos = 0;
  while ((pos = text.find("{{", pos)) != absl::string_view::npos) {
    const size_t end = text.find("}}", pos + 2);
    if (end == absl::string_view::npos) {
      add("{{");
      break;
    }
    std::string name(absl::StripAsciiWhitespace(text.substr(pos + 2, end - pos - 2)));
    if (std::find(known.begin(), known.end(), name) == known.end()) add(name);
    pos = end + 2;
  }
  return unknown;
}

absl::Status ValidateTemplate(Kind kind, const TemplateText& t) {
  std::vector<errors::FieldViolation> violations;
  auto check = [&](absl::string_view field, absl::string_view text) {
    auto unknown = UnknownPlaceholders(kind, text);
    if (unknown.empty()) return;
    violations.push_back(
        {absl::StrCat("template.", field),
         absl::StrCat(
             "unbekannte Platzhalter / unknown placeholders: ", absl::StrJoin(unknown, ", "),
             " (bekannt: ", absl::StrJoin(PlaceholdersOf(kind), ", "), ")")});
  };
  if (kind == v1::NOTIFICATION_KIND_UNSPECIFIED || !v1::NotificationKind_IsValid(kind)) {
    return errors::InvalidField("template.kind", "a notification kind is required");
  }
  if (t.subject.empty()) violations.push_back({"template.subject", "required"});
  if (t.body_text.empty()) violations.push_back({"template.body_text", "required"});
  if (t.subject.size() > 500) violations.push_back({"template.subject", "at most 500 bytes"});
  if (t.body_text.size() > 65536 || t.body_html.size() > 262144) {
    violations.push_back({"template.body_text", "at most 64 KiB (HTML 256 KiB)"});
  }
  check("subject", t.subject);
  check("body_text", t.body_text);
  check("body_html", t.body_html);
  if (!violations.empty()) return errors::InvalidFields(violations);
  return absl::OkStatus();
}

std::string Render(absl::string_view text, const Values& values) {
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t open = text.find("{{", pos);
    if (open == absl::string_view::npos) break;
    const size_t close = text.find("}}", open + 2);
    if (close == absl::string_view::npos) break;
    absl::StrAppend(&out, text.substr(pos, open - pos));
    const std::string name(absl::StripAsciiWhitespace(text.substr(open + 2, close - open - 2)));
    if (auto it = values.find(name); it != values.end()) out += it->second;
    pos = close + 2;
  }
  absl::StrAppend(&out, text.substr(pos));
  return out;
}

TemplateText Render(const TemplateText& t, const Values& values) {
  return {Render(t.subject, values), Render(t.body_text, values), Render(t.body_html, values)};
}

std::string Salutation(absl::string_view chosen, absl::string_view given,
                       absl::string_view family) {
  const std::string full = std::string(absl::StripAsciiWhitespace(
      absl::StrCat(absl::StripAsciiWhitespace(given), " ", absl::StripAsciiWhitespace(family))));
  const absl::string_view form = absl::StripAsciiWhitespace(chosen);
  const absl::string_view last = absl::StripAsciiWhitespace(family);
  if (form == "Frau" && !last.empty()) return absl::StrCat("Sehr geehrte Frau ", last);
  if (form == "Herr" && !last.empty()) return absl::StrCat("Sehr geehrter Herr ", last);
  if (full.empty()) return "Guten Tag";
  if (!form.empty()) return absl::StrCat("Guten Tag ", form, " ", full);
  return absl::StrCat("Guten Tag ", full);
}

}  // namespace stellenwerk::notifications
