#pragma once
// Postgres side of notifications: settings, templates, contacts, the delivery intents with
// their dedup key (event, recipient, kind, channel), the inbox, and the claim of one due
// delivery for sending (ADR 0022).

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock/clock.h"
#include "common/outbox/events.h"
#include "common/pg/pool.h"
#include "services/notifications/domain/mail_message.h"
#include "services/notifications/domain/mail_sender.h"
#include "services/notifications/domain/notification_records.h"
#include "services/notifications/domain/templates.h"
#include "stellenwerk/notifications/v1/notifications.pb.h"

namespace stellenwerk::notifications {

// The durable timer of a MANUAL acknowledgment (key: delivery id, payload: application id).
inline constexpr char kAcknowledgmentDueTimer[] = "notifications.acknowledgment_due";

// Whose inbox: an applicant's own items (any tenant), or a tenant's role mailboxes.
struct InboxOwner {
  std::string applicant_sub;  // set for an applicant
  std::string tenant;
  std::vector<std::string> roles;
};

class PgNotificationStore {
 public:
  PgNotificationStore(pg::Pool& db, std::string schema, const Clock& clock, MailIdentity identity);

  // --- consumer side (inside the consumer's transaction) ---
  v1::TenantSettings Settings(pqxx::work& tx, const std::string& tenant);
  TemplateText TemplateFor(pqxx::work& tx, const std::string& tenant, Kind kind);
  // The facts of a submitted application and the applicant's contact (if given).
  void Remember(pqxx::work& tx, const std::string& application_id, const ApplicationFacts& facts,
                const Contact* contact);
  // A tenant's settings (defaults filled in) and its own templates by kind, in one statement.
  struct TenantView {
    v1::TenantSettings settings;
    std::map<int, TemplateText> templates;
  };
  TenantView Tenant(pqxx::work& tx, const std::string& tenant);
  std::optional<ApplicationFacts> Application(pqxx::work& tx, const std::string& application_id);
  void NoteStatus(pqxx::work& tx, const std::string& application_id, const std::string& status);
  std::vector<std::pair<std::string, ApplicationFacts>> Invited(pqxx::work& tx,
                                                                const std::string& posting_id);
  // The Kennziffer and title of a posting from any application to it ("" if none known).
  std::pair<std::string, std::string> PostingRef(pqxx::work& tx, const std::string& posting_id);
  std::optional<Contact> ContactOf(pqxx::work& tx, const std::string& tenant,
                                   const std::string& sub);
  // Renders and records the inbox item and (if it goes by e-mail) the delivery intent;
  // a second call for the same key changes nothing. Returns the delivery id ("" if none).
  // `settings`, `tmpl`: the tenant's, when the caller has read them already.
  std::string Record(pqxx::work& tx, const Planned& p, absl::Time now,
                     const v1::TenantSettings* settings = nullptr,
                     const TemplateText* tmpl = nullptr);
  // GDPR Art. 17: the applicant's inbox items, contact and the personal data of their
  // deliveries go; unsent ones are cancelled. The erasure confirmation (forget_after_send)
  // keeps its address until it is sent, then forgets it.
  void Forget(pqxx::work& tx, const std::string& tenant, const std::string& sub,
              const std::vector<std::string>& application_ids);
  // A HELD delivery still held (MANUAL acknowledgment overdue check).
  bool StillHeld(pqxx::work& tx, const std::string& delivery_id);

  // --- dispatcher ---
  // Claims one due PENDING delivery (FOR UPDATE SKIP LOCKED: one in-flight send per delivery
  // across threads and replicas), sends it and records the outcome in the same transaction.
  // Returns what happened (after the commit), nullopt when nothing was due.
  absl::StatusOr<std::optional<SendReport>> SendOne(MailSender& sender, const RetryPolicy& policy);

  // --- RPC side ---
  absl::StatusOr<v1::TenantSettings> SetSettings(pqxx::work& tx, const v1::TenantSettings& s);
  absl::StatusOr<v1::Template> UpsertTemplate(pqxx::work& tx, const v1::Template& t);
  absl::StatusOr<v1::Template> GetTemplate(pqxx::work& tx, const std::string& tenant, Kind kind);
  absl::StatusOr<v1::ListDeliveriesResponse> ListDeliveries(pqxx::work& tx,
                                                            const std::string& tenant,
                                                            v1::DeliveryStatus status, int size,
                                                            const std::string& token);
  // FAILED or HELD → PENDING now; NOT_FOUND in another tenant; FAILED_PRECONDITION otherwise.
  absl::StatusOr<v1::Delivery> Retry(pqxx::work& tx, const std::string& tenant,
                                     const std::string& id);
  absl::StatusOr<v1::ListInboxResponse> ListInbox(pqxx::work& tx, const InboxOwner& owner,
                                                  bool unread_only, int size,
                                                  const std::string& token);
  // Marks one of the caller's items read (NOT_FOUND when it is not theirs).
  absl::StatusOr<v1::InboxItem> MarkRead(pqxx::work& tx, const InboxOwner& owner,
                                         const std::string& id);

  // The NotificationRecords port on `tx` (the consumer's or timer's transaction), at `now`.
  class Records;
  std::unique_ptr<NotificationRecords> In(pqxx::work& tx, absl::Time now);

  const std::string& schema() const { return schema_; }
  const Clock& clock() const { return clock_; }
  pg::Pool& db() { return db_; }

 private:
  pg::Pool& db_;
  const std::string schema_;
  const Clock& clock_;
  const MailIdentity identity_;
};

}  // namespace stellenwerk::notifications
