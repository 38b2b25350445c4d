#pragma once
// The port the use cases of domain/notifier.h record through: what this service remembers of
// applications, contacts and tenant settings, and the messages it records (inbox item and
// delivery intent, ADR 0022). adapters/pg_notification_store implements it on the consumer's
// (or timer's) transaction, so every call commits with the event that caused it.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "services/notifications/domain/mail_message.h"
#include "services/notifications/domain/templates.h"
#include "stellenwerk/notifications/v1/notifications.pb.h"

namespace stellenwerk::notifications {

// One message to one recipient, as a use case decided it.
struct Planned {
  std::string tenant_id;
  std::string event_id;        // the source event (or a derived key such as "ack-overdue:<id>")
  std::string recipient_role;  // "applicant" or a role
  std::string recipient_sub;   // the applicant's subject, "" for role mailboxes
  Kind kind = v1::NOTIFICATION_KIND_UNSPECIFIED;
  Values values;  // without "signatur" (from the settings)
  Mailbox to;     // empty address: inbox only
  std::string application_id, posting_id, notice_id;
  bool held = false;               // MANUAL acknowledgment: waits for HR
  bool forget_after_send = false;  // erasure confirmation
  bool inbox = true;
  std::string ics, ics_method;
};

// What later events about an application need: whose it is, Kennziffer and title.
struct ApplicationFacts {
  std::string tenant_id, posting_id, applicant_sub, kennziffer, posting_title;
};

struct Contact {
  std::string email, given_name, family_name, salutation;
};

class NotificationRecords {
 public:
  virtual ~NotificationRecords() = default;

  // The tenant's settings with the defaults filled in.
  virtual v1::TenantSettings Settings(const std::string& tenant) = 0;
  // What a submission tells: the application's facts and (if any) the applicant's contact.
  virtual void Remember(const std::string& application_id, const ApplicationFacts& facts,
                        const Contact* contact) = 0;
  virtual std::optional<ApplicationFacts> Application(const std::string& application_id) = 0;
  // The application's status as last heard (status_changed); a status heard after WITHDRAWN or
  // REJECTED does not replace it.
  virtual void NoteStatus(const std::string& application_id, const std::string& status) = 0;
  // The applications of the posting whose last heard status is INVITED.
  virtual std::vector<std::pair<std::string, ApplicationFacts>> Invited(
      const std::string& posting_id) = 0;
  // The Kennziffer and title of a posting from any application to it ("" if none known).
  virtual std::pair<std::string, std::string> PostingRef(const std::string& posting_id) = 0;
  virtual std::optional<Contact> ContactOf(const std::string& tenant, const std::string& sub) = 0;
  // Renders (templates.h, RenderFor) and records the inbox item and, if it goes by e-mail, the
  // delivery intent; a second call for the same key changes nothing. Returns the delivery id
  // ("" if none). `settings`: the tenant's, when the caller has read them already.
  virtual std::string Record(const Planned& p, const v1::TenantSettings* settings = nullptr) = 0;
  // GDPR Art. 17: the applicant's inbox items, contact and the personal data of their
  // deliveries go; unsent ones are cancelled. The erasure confirmation (forget_after_send)
  // keeps its address until it is sent, then forgets it.
  virtual void Forget(const std::string& tenant, const std::string& sub,
                      const std::vector<std::string>& application_ids) = 0;
  // A HELD delivery still held (MANUAL acknowledgment overdue check).
  virtual bool StillHeld(const std::string& delivery_id) = 0;
  // The durable timer that flags a still-held acknowledgment to HR at `due`.
  virtual void ScheduleAcknowledgmentDue(const std::string& delivery_id,
                                         const std::string& application_id, absl::Time due) = 0;
};

}  // namespace stellenwerk::notifications
