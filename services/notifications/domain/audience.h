#pragma once
// Who hears what (issue "Notifications service"): pure decisions from an event's facts to the
// kinds of message and the role mailboxes they go to.

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "services/notifications/domain/notification_records.h"
#include "services/notifications/domain/templates.h"

namespace stellenwerk::notifications {

// The applicant's letter for a status an application moved to, if that status is one the
// applicant must hear of: REJECTED → rejection, INVITED → invitation, OFFER_APPROVED → offer.
// WITHDRAWN is confirmed on applications.application.withdrawn.v1, not here.
std::optional<Kind> ApplicantLetterFor(absl::string_view to_status);

// The participating bodies whose verdict is due once an application reaches INTERVIEWED:
// the decision may not be taken before the equal-opportunity officer (LGG NRW § 18), the
// staff council (LPVG NRW § 66, § 72) and the disability representative (SGB IX § 178 (2))
// were heard. Each with its German name for the message.
struct Body {
  std::string role;
  std::string name;
};
std::vector<Body> BodiesDueAt(absl::string_view to_status);

// What applications.disability_representative.informed.v1 tells the representative (ADR 0032):
// never a name, the application by its pseudonym.
struct RepresentativeDecision {
  std::string pseudonym;
  std::string decision;  // INVITED | REJECTED | PROPOSED | HIRED
  std::string reason;
  bool obviously_unqualified = false;  // the § 165 S. 4 finding
  bool heard = false;                  // a statement was recorded before the decision
  std::string statement;               // the latest one
};
// The placeholders of DISABILITY_REPRESENTATIVE_INFORMED for it: "entscheidung" in German,
// "grund", "feststellung" (§ 165 S. 4 finding on a rejection, the right to attend the interview
// on an invitation), "anhoerung" (heard with the statement, or not heard: § 178 (2) S. 2).
Values RepresentativeValues(const RepresentativeDecision& d);

// The mailbox (functional address) of a role in a tenant's settings, "" if none is set.
std::string MailboxOf(const v1::TenantSettings& settings, absl::string_view role);

// Whether a kind goes by e-mail under the tenant's settings (empty list: every kind).
bool SendsEmail(const v1::TenantSettings& settings, Kind kind);

// How a planned message reads and leaves: rendered from `tmpl` with the tenant's signature and
// the neutral "Guten Tag" unless a salutation was chosen; by e-mail only to a plausible address
// and when the tenant sends that kind by e-mail; from the tenant's sender (else
// `default_sender`), with its name and reply-to.
struct Composed {
  TemplateText text;
  bool email = false;
  Mailbox from;
  std::string reply_to;
};
Composed Compose(const Planned& p, const TemplateText& tmpl, const v1::TenantSettings& settings,
                 const std::string& default_sender);

// The settings with the defaults filled in (AUTOMATIC, 5 working days).
// The tenant's portal address (settings.portal_url): empty, or https:// (http:// only for
// localhost), one line, at most 300 bytes — it goes into letters as a link.
bool PlausiblePortalUrl(absl::string_view url);
// `route` of the tenant's portal ("#/termine"), or a hint where to find it without an address.
std::string PortalLink(absl::string_view portal_url, absl::string_view route);

v1::TenantSettings WithDefaults(v1::TenantSettings s);

// The instant a MANUAL acknowledgment is overdue: `working_days` NRW working days after the
// Berlin day of `received`, at the end of that day (Europe/Berlin; holidays and weekends
// do not count).
absl::Time AcknowledgmentDue(absl::Time received, int working_days);

// "Dienstag, 22. April 2025, 24:00 Uhr" — the end of a window as German readers expect it.
std::string FormatGermanInstant(absl::Time t);

// How a coordination letter refers to its notice (a notice need not belong to a posting):
// "Kennziffer 26/0042 – <post>" when it has a Kennziffer, else "<post>, <regional office>".
std::string NoticeReference(absl::string_view kennziffer, absl::string_view post,
                            absl::string_view regional_office);

}  // namespace stellenwerk::notifications
