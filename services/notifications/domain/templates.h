#pragma once
// Templates per tenant and kind: formal German ("Sie"), a gender-neutral salutation unless the
// person chose one, the Kennziffer and the posting title in every subject. Placeholders are
// {{name}}; each kind knows its set, and a template naming another is refused.

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "stellenwerk/notifications/v1/notifications.pb.h"

namespace stellenwerk::notifications {

using Kind = v1::NotificationKind;
using Values = std::map<std::string, std::string, std::less<>>;

struct TemplateText {
  std::string subject;
  std::string body_text;
  std::string body_html;
};

// Who receives a kind: "applicant" or the role whose mailbox it is.
absl::string_view RecipientRoleOf(Kind kind);
// The placeholders a kind knows (the common ones first).
std::vector<std::string> PlaceholdersOf(Kind kind);
// The built-in default of a kind.
TemplateText DefaultTemplate(Kind kind);
// Sample values for PreviewTemplate.
Values SampleValues(Kind kind);

// Placeholders in `text` that `kind` does not know, in order of appearance, each once; an
// unclosed "{{" counts as the unknown placeholder "{{".
std::vector<std::string> UnknownPlaceholders(Kind kind, absl::string_view text);
// INVALID_ARGUMENT naming every unknown placeholder (field by field, BadRequest details), or OK.
absl::Status ValidateTemplate(Kind kind, const TemplateText& t);
// Replaces every known placeholder by its value ("" when none is given).
std::string Render(absl::string_view text, const Values& values);
TemplateText Render(const TemplateText& t, const Values& values);

// The salutation line: "Guten Tag Vorname Nachname" unless the person chose a form of
// address ("Frau" → "Sehr geehrte Frau Nachname", "Herr" → "Sehr geehrter Herr Nachname",
// other → "Guten Tag <Form> Vorname Nachname"); "Guten Tag" without a name.
std::string Salutation(absl::string_view chosen, absl::string_view given, absl::string_view family);

}  // namespace stellenwerk::notifications
