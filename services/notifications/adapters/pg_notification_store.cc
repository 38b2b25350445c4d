#include "services/notifications/adapters/pg_notification_store.h"

#include <map>
#include <random>

#include "absl/strings/str_cat.h"
#include "common/ids/uuid.h"
#include "common/logging/log.h"
#include "common/pg/keyset.h"
#include "common/timers/timers.h"
#include "google/protobuf/util/time_util.h"
#include "services/notifications/domain/audience.h"
#include "stellenwerk/events/v1/notifications.pb.h"

namespace stellenwerk::notifications {
namespace {

using google::protobuf::util::TimeUtil;

google::protobuf::Timestamp Ts(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

constexpr char kDeliveryColumns[] =
    "id::text, tenant_id, event_id, recipient_role, kind, channel, status, attempts, last_error,"
    " micros(create_time), micros(next_attempt_at), micros(sent_at), application_id, notice_id";

v1::Delivery DeliveryOf(const pqxx::row& r, const std::string& message_id_domain) {
  v1::Delivery d;
  d.set_id(r[0].as<std::string>());
  d.set_tenant_id(r[1].as<std::string>());
  d.set_event_id(r[2].as<std::string>());
  d.set_recipient(r[3].as<std::string>());
  d.set_kind(static_cast<v1::NotificationKind>(r[4].as<int>()));
  d.set_channel(static_cast<v1::Channel>(r[5].as<int>()));
  v1::DeliveryStatus st = v1::DELIVERY_STATUS_UNSPECIFIED;
  v1::DeliveryStatus_Parse(r[6].as<std::string>(), &st);
  d.set_status(st);
  d.set_attempts(r[7].as<int>());
  d.set_last_error(r[8].as<std::string>());
  *d.mutable_create_time() = Ts(pg::FromMicros(r[9]));
  if (st == v1::PENDING) *d.mutable_next_attempt_time() = Ts(pg::FromMicros(r[10]));
  if (!r[11].is_null()) *d.mutable_sent_time() = Ts(pg::FromMicros(r[11]));
  d.set_application_id(r[12].as<std::string>());
  d.set_notice_id(r[13].as<std::string>());
  d.set_message_id(absl::StrCat(d.id(), "@", message_id_domain));
  return d;
}

constexpr char kInboxColumns[] =
    "id::text, tenant_id, kind, subject, body_text, application_id, posting_id, notice_id,"
    " micros(create_time), micros(read_time)";

v1::InboxItem InboxOf(const pqxx::row& r) {
  v1::InboxItem i;
  i.set_id(r[0].as<std::string>());
  i.set_tenant_id(r[1].as<std::string>());
  i.set_kind(static_cast<v1::NotificationKind>(r[2].as<int>()));
  i.set_subject(r[3].as<std::string>());
  i.set_body_text(r[4].as<std::string>());
  i.set_application_id(r[5].as<std::string>());
  i.set_posting_id(r[6].as<std::string>());
  i.set_notice_id(r[7].as<std::string>());
  *i.mutable_create_time() = Ts(pg::FromMicros(r[8]));
  if (!r[9].is_null()) *i.mutable_read_time() = Ts(pg::FromMicros(r[9]));
  return i;
}

double Jitter() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

// The owner's inbox as SQL: "<cond>" over $1 (applicant sub) or $1 (tenant), $2 (roles).
std::string OwnerCondition(const InboxOwner& o) {
  return o.applicant_sub.empty()
             ? "tenant_id = $1 AND recipient_sub = '' AND recipient_role = ANY($2::text[])"
             : "recipient_role = 'applicant' AND recipient_sub = $1 AND ($2::text IS NOT NULL)";
}
std::string OwnerP1(const InboxOwner& o) {
  return o.applicant_sub.empty() ? o.tenant : o.applicant_sub;
}
std::string OwnerP2(const InboxOwner& o) {
  return o.applicant_sub.empty() ? pg::TextArray(o.roles) : std::string("-");
}

}  // namespace

PgNotificationStore::PgNotificationStore(pg::Pool& db, std::string schema, const Clock& clock,
                                         MailIdentity identity)
    : db_(db), schema_(std::move(schema)), clock_(clock), identity_(std::move(identity)) {}

v1::TenantSettings PgNotificationStore::Settings(pqxx::work& tx, const std::string& tenant) {
  auto rows = tx.exec_params("SELECT data FROM tenant_settings WHERE tenant_id = $1", tenant);
  v1::TenantSettings s;
  if (!rows.empty()) s.ParseFromString(pg::BytesOf(rows[0][0]));
  s.set_tenant_id(tenant);
  return WithDefaults(std::move(s));
}

TemplateText PgNotificationStore::TemplateFor(pqxx::work& tx, const std::string& tenant,
                                              Kind kind) {
  auto rows = tx.exec_params(
      "SELECT subject, body_text, body_html FROM templates WHERE tenant_id = $1 AND kind = $2",
      tenant, static_cast<int>(kind));
  if (rows.empty()) return DefaultTemplate(kind);
  return {rows[0][0].as<std::string>(), rows[0][1].as<std::string>(), rows[0][2].as<std::string>()};
}

void PgNotificationStore::Remember(pqxx::work& tx, const std::string& application_id,
                                   const ApplicationFacts& f, const Contact* c) {
  // One statement (one round trip of the consumer's transaction): the facts, and the contact.
  const Contact none;
  const Contact& k = c != nullptr ? *c : none;
  tx.exec_params(
      "WITH a AS (INSERT INTO applications (application_id, tenant_id, posting_id,"
      " applicant_sub, kennziffer, posting_title) VALUES ($1, $2, $3, $4, $5, $6)"
      " ON CONFLICT (application_id) DO NOTHING)"
      " INSERT INTO contacts (tenant_id, applicant_sub, email, given_name, family_name,"
      " salutation, update_time) SELECT $2, $4, $7, $8, $9, $10, $11::timestamptz"
      " WHERE $12::boolean"
      " ON CONFLICT (tenant_id, applicant_sub) DO UPDATE SET email = EXCLUDED.email,"
      " given_name = EXCLUDED.given_name, family_name = EXCLUDED.family_name,"
      " salutation = EXCLUDED.salutation, update_time = EXCLUDED.update_time",
      application_id, f.tenant_id, f.posting_id, f.applicant_sub, f.kennziffer, f.posting_title,
      k.email, k.given_name, k.family_name, k.salutation, pg::ToPgTimestamp(clock_.Now()),
      c != nullptr);
}

PgNotificationStore::TenantView PgNotificationStore::Tenant(pqxx::work& tx,
                                                            const std::string& tenant) {
  // Settings and every template of the tenant in one statement (a tenant has at most one
  // template per kind).
  auto rows = tx.exec_params(
      "SELECT (SELECT data FROM tenant_settings WHERE tenant_id = $1), t.kind, t.subject,"
      " t.body_text, t.body_html FROM (SELECT 1) AS one"
      " LEFT JOIN templates t ON t.tenant_id = $1",
      tenant);
  TenantView v;
  if (!rows.empty() && !rows[0][0].is_null()) v.settings.ParseFromString(pg::BytesOf(rows[0][0]));
  v.settings.set_tenant_id(tenant);
  v.settings = WithDefaults(std::move(v.settings));
  for (const auto& r : rows) {
    if (r[1].is_null()) continue;
    v.templates[r[1].as<int>()] = {r[2].as<std::string>(), r[3].as<std::string>(),
                                   r[4].as<std::string>()};
  }
  return v;
}

std::optional<ApplicationFacts> PgNotificationStore::Application(
    pqxx::work& tx, const std::string& application_id) {
  auto rows = tx.exec_params(
      "SELECT tenant_id, posting_id, applicant_sub, kennziffer, posting_title FROM applications"
      " WHERE application_id = $1",
      application_id);
  if (rows.empty()) return std::nullopt;
  return ApplicationFacts{rows[0][0].as<std::string>(), rows[0][1].as<std::string>(),
                          rows[0][2].as<std::string>(), rows[0][3].as<std::string>(),
                          rows[0][4].as<std::string>()};
}

void PgNotificationStore::NoteStatus(pqxx::work& tx, const std::string& application_id,
                                     const std::string& status) {
  // WITHDRAWN and REJECTED end an application; a late status event does not reopen it.
  tx.exec_params(
      "UPDATE applications SET status = $2 WHERE application_id = $1"
      " AND status NOT IN ('WITHDRAWN', 'REJECTED')",
      application_id, status);
}

std::vector<std::pair<std::string, ApplicationFacts>> PgNotificationStore::Invited(
    pqxx::work& tx, const std::string& posting_id) {
  std::vector<std::pair<std::string, ApplicationFacts>> out;
  for (const auto& row : tx.exec_params(
           "SELECT application_id::text, tenant_id, posting_id, applicant_sub, kennziffer,"
           " posting_title FROM applications WHERE posting_id = $1 AND status = 'INVITED'"
           " ORDER BY application_id",
           posting_id)) {
    out.emplace_back(row[0].as<std::string>(),
                     ApplicationFacts{row[1].as<std::string>(), row[2].as<std::string>(),
                                      row[3].as<std::string>(), row[4].as<std::string>(),
                                      row[5].as<std::string>()});
  }
  return out;
}

std::pair<std::string, std::string> PgNotificationStore::PostingRef(pqxx::work& tx,
                                                                    const std::string& posting) {
  if (posting.empty()) return {};
  auto rows = tx.exec_params(
      "SELECT kennziffer, posting_title FROM applications WHERE posting_id = $1 LIMIT 1", posting);
  if (rows.empty()) return {};
  return {rows[0][0].as<std::string>(), rows[0][1].as<std::string>()};
}

std::optional<Contact> PgNotificationStore::ContactOf(pqxx::work& tx, const std::string& tenant,
                                                      const std::string& sub) {
  auto rows = tx.exec_params(
      "SELECT email, given_name, family_name, salutation FROM contacts"
      " WHERE tenant_id = $1 AND applicant_sub = $2",
      tenant, sub);
  if (rows.empty()) return std::nullopt;
  return Contact{rows[0][0].as<std::string>(), rows[0][1].as<std::string>(),
                 rows[0][2].as<std::string>(), rows[0][3].as<std::string>()};
}

std::string PgNotificationStore::Record(pqxx::work& tx, const Planned& p, absl::Time now,
                                        const v1::TenantSettings* known, const TemplateText* tmpl) {
  const v1::TenantSettings settings = known != nullptr ? *known : Settings(tx, p.tenant_id);
  const Composed c = Compose(p, tmpl != nullptr ? *tmpl : TemplateFor(tx, p.tenant_id, p.kind),
                             settings, identity_.default_sender);
  if (!p.inbox && !c.email) return "";
  // The inbox item and the delivery intent in one statement (one round trip); each keeps its
  // own dedup key, so a replay adds neither.
  const std::string inbox =
      "INSERT INTO inbox (id, tenant_id, event_id, recipient_role, recipient_sub, kind,"
      " subject, body_text, application_id, posting_id, notice_id, create_time)"
      " SELECT $1::uuid, $2, $3, $4, $5, $6::int, $14, $15, $21, $22, $23, $19::timestamptz"
      " WHERE $25::boolean ON CONFLICT (event_id, recipient_role, recipient_sub, kind) DO NOTHING";
  const std::string delivery =
      "INSERT INTO deliveries (id, tenant_id, event_id, recipient_role, recipient_sub, kind,"
      " channel, status, mail_from, from_name, reply_to, address, display_name, subject,"
      " body_text, body_html, ics, ics_method, next_attempt_at, create_time, application_id,"
      " posting_id, notice_id, forget_after_send) SELECT $24::uuid, $2, $3, $4, $5, $6::int,"
      " $7::int, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19::timestamptz,"
      " $19::timestamptz, $21, $22, $23, $20::boolean WHERE $26::boolean"
      " ON CONFLICT (event_id, recipient_role, recipient_sub, kind, channel) DO NOTHING"
      " RETURNING id::text";
  auto row = tx.exec_params(
      absl::StrCat("WITH i AS (", inbox, ") ", delivery), ids::NewUuid(), p.tenant_id, p.event_id,
      p.recipient_role, p.recipient_sub, static_cast<int>(p.kind), static_cast<int>(v1::EMAIL),
      p.held ? "HELD" : "PENDING", c.from.address, c.from.display_name, c.reply_to, p.to.address,
      p.to.display_name, c.text.subject, c.text.body_text, c.text.body_html, p.ics, p.ics_method,
      pg::ToPgTimestamp(now), p.forget_after_send, p.application_id, p.posting_id, p.notice_id,
      ids::NewUuid(), p.inbox, c.email);
  return row.empty() ? "" : row[0][0].as<std::string>();
}

void PgNotificationStore::Forget(pqxx::work& tx, const std::string& tenant, const std::string& sub,
                                 const std::vector<std::string>& application_ids) {
  tx.exec_params(
      "DELETE FROM inbox WHERE recipient_role = 'applicant' AND recipient_sub = $1"
      " AND tenant_id = $2",
      sub, tenant);
  tx.exec_params(
      "UPDATE deliveries SET status = CASE WHEN status IN ('PENDING', 'HELD') THEN 'CANCELLED'"
      " ELSE status END, address = NULL, display_name = NULL, subject = '', body_text = '',"
      " body_html = '', ics = '', recipient_sub = '~erased:' || id::text"
      " WHERE tenant_id = $1 AND recipient_sub = $2 AND NOT forget_after_send",
      tenant, sub);
  tx.exec_params("DELETE FROM contacts WHERE tenant_id = $1 AND applicant_sub = $2", tenant, sub);
  tx.exec_params("DELETE FROM applications WHERE application_id = ANY($1::text[])",
                 pg::TextArray(application_ids));
}

class PgNotificationStore::Records final : public NotificationRecords {
 public:
  Records(PgNotificationStore& store, pqxx::work& tx, absl::Time now)
      : store_(store), tx_(tx), now_(now) {}

  v1::TenantSettings Settings(const std::string& tenant) override { return View(tenant).settings; }
  void Remember(const std::string& id, const ApplicationFacts& facts,
                const Contact* contact) override {
    store_.Remember(tx_, id, facts, contact);
  }
  std::optional<ApplicationFacts> Application(const std::string& id) override {
    return store_.Application(tx_, id);
  }
  void NoteStatus(const std::string& id, const std::string& status) override {
    store_.NoteStatus(tx_, id, status);
  }
  std::vector<std::pair<std::string, ApplicationFacts>> Invited(
      const std::string& posting_id) override {
    return store_.Invited(tx_, posting_id);
  }
  std::pair<std::string, std::string> PostingRef(const std::string& posting_id) override {
    return store_.PostingRef(tx_, posting_id);
  }
  std::optional<Contact> ContactOf(const std::string& tenant, const std::string& sub) override {
    return store_.ContactOf(tx_, tenant, sub);
  }
  std::string Record(const Planned& p, const v1::TenantSettings* settings) override {
    const TenantView& v = View(p.tenant_id);
    auto t = v.templates.find(static_cast<int>(p.kind));
    const TemplateText tmpl = t != v.templates.end() ? t->second : DefaultTemplate(p.kind);
    return store_.Record(tx_, p, now_, settings != nullptr ? settings : &v.settings, &tmpl);
  }
  void Forget(const std::string& tenant, const std::string& sub,
              const std::vector<std::string>& application_ids) override {
    store_.Forget(tx_, tenant, sub, application_ids);
  }
  bool StillHeld(const std::string& delivery_id) override {
    return store_.StillHeld(tx_, delivery_id);
  }
  void ScheduleAcknowledgmentDue(const std::string& delivery_id, const std::string& application_id,
                                 absl::Time due) override {
    timers::Schedule(tx_, kAcknowledgmentDueTimer, delivery_id, due, application_id);
  }

 private:
  // Settings and templates of each tenant, read once per transaction (one statement).
  const TenantView& View(const std::string& tenant) {
    auto it = tenants_.find(tenant);
    if (it == tenants_.end()) it = tenants_.emplace(tenant, store_.Tenant(tx_, tenant)).first;
    return it->second;
  }

  PgNotificationStore& store_;
  pqxx::work& tx_;
  const absl::Time now_;
  std::map<std::string, TenantView> tenants_;
};

std::unique_ptr<NotificationRecords> PgNotificationStore::In(pqxx::work& tx, absl::Time now) {
  return std::make_unique<Records>(*this, tx, now);
}

bool PgNotificationStore::StillHeld(pqxx::work& tx, const std::string& delivery_id) {
  auto rows = tx.exec_params("SELECT 1 FROM deliveries WHERE id = $1::uuid AND status = 'HELD'",
                             delivery_id);
  return !rows.empty();
}

absl::StatusOr<std::optional<SendReport>> PgNotificationStore::SendOne(MailSender& sender,
                                                                       const RetryPolicy& policy) {
  std::optional<SendReport> report;
  absl::Status s = db_.Transact([&](pqxx::work& tx) -> absl::Status {
    report.reset();
    const absl::Time now = clock_.Now();
    auto rows = tx.exec_params(
        "SELECT id::text, tenant_id, event_id, recipient_role, kind, mail_from, from_name,"
        " reply_to, address, display_name, subject, body_text, body_html, ics, ics_method,"
        " attempts, micros(create_time), application_id, notice_id, forget_after_send"
        " FROM deliveries WHERE status = 'PENDING' AND next_attempt_at <= $1::timestamptz"
        " ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED",
        pg::ToPgTimestamp(now));
    if (rows.empty()) return absl::OkStatus();
    const pqxx::row& r = rows[0];
    const std::string id = r[0].as<std::string>();
    const std::string tenant = r[1].as<std::string>();
    const Kind kind = static_cast<Kind>(r[4].as<int>());
    MailMessage m;
    m.from = {r[6].as<std::string>(), r[5].as<std::string>()};
    m.reply_to = r[7].as<std::string>();
    m.to = {r[9].is_null() ? "" : r[9].as<std::string>(),
            r[8].is_null() ? "" : r[8].as<std::string>()};
    m.subject = r[10].as<std::string>();
    m.text = r[11].as<std::string>();
    m.html = r[12].as<std::string>();
    if (!r[13].as<std::string>().empty()) {
      m.calendars.push_back({"termin.ics", r[14].as<std::string>(), r[13].as<std::string>()});
    }
    // Stable across retries: the delivery's id and its creation as Date (ADR 0022).
    m.message_id = absl::StrCat(id, "@", identity_.message_id_domain);
    const absl::Time created = pg::FromMicros(r[16]);
    m.date = created;
    const int attempts = r[15].as<int>() + 1;
    SendReport rep;
    rep.kind = kind;
    outbox::EventContext ctx{schema_, tenant, r[2].as<std::string>(), "system", now};
    if (!PlausibleAddress(m.to.address)) {
      tx.exec_params(
          "UPDATE deliveries SET status = 'FAILED', last_error = 'no address'"
          " WHERE id = $1::uuid",
          id);
      rep.outcome = DeliveryOutcome::kFailed;
      rep.pending = now - created;
      report = rep;
      return absl::OkStatus();
    }
    const absl::Time send_start = absl::Now();
    const SendOutcome out = sender.Send(m.from.address, m.to.address, RenderMessage(m));
    rep.smtp = absl::Now() - send_start;
    rep.outcome = Decide(out, attempts, policy);
    const std::string kind_name = v1::NotificationKind_Name(kind);
    if (rep.outcome == DeliveryOutcome::kSent) {
      const absl::Time accepted = clock_.Now();  // the relay's 250 after DATA
      rep.pending = accepted - created;
      report = rep;
      tx.exec_params(
          "UPDATE deliveries SET status = 'SENT', attempts = $2, sent_at = $3::timestamptz,"
          " last_error = '' WHERE id = $1::uuid",
          id, attempts, pg::ToPgTimestamp(accepted));
      if (r[19].as<bool>()) {
        // The erasure confirmation went out; now its address goes too (GDPR Art. 17).
        tx.exec_params(
            "UPDATE deliveries SET address = NULL, display_name = NULL, subject = '',"
            " body_text = '', body_html = '', recipient_sub = '~erased:' || id::text"
            " WHERE id = $1::uuid",
            id);
      }
      events::v1::NotificationDelivered e;
      e.set_delivery_id(id);
      e.set_source_event_id(r[2].as<std::string>());
      e.set_kind(kind_name);
      e.set_channel("EMAIL");
      e.set_recipient(r[3].as<std::string>());
      e.set_message_id(m.message_id);
      e.set_application_id(r[17].as<std::string>());
      e.set_notice_id(r[18].as<std::string>());
      *e.mutable_sent_time() = Ts(accepted);
      e.set_attempts(attempts);
      outbox::Publish(tx, ctx, e);
      return absl::OkStatus();
    }
    rep.pending = clock_.Now() - created;
    report = rep;
    if (rep.outcome == DeliveryOutcome::kRetried) {
      const absl::Time next = now + Backoff(policy, attempts, Jitter());
      tx.exec_params(
          "UPDATE deliveries SET attempts = $2, last_error = $3, next_attempt_at = $4::timestamptz"
          " WHERE id = $1::uuid",
          id, attempts, out.detail, pg::ToPgTimestamp(next));
      spdlog::warn("delivery {} ({}) attempt {} failed temporarily: {}", id, kind_name, attempts,
                   out.detail);
      return absl::OkStatus();
    }
    tx.exec_params(
        "UPDATE deliveries SET status = 'FAILED', attempts = $2, last_error = $3"
        " WHERE id = $1::uuid",
        id, attempts, out.detail);
    if (r[19].as<bool>()) {
      tx.exec_params(
          "UPDATE deliveries SET address = NULL, display_name = NULL, subject = '',"
          " body_text = '', body_html = '', recipient_sub = '~erased:' || id::text"
          " WHERE id = $1::uuid",
          id);
    }
    spdlog::warn("delivery {} ({}) failed permanently after {} attempts: {}", id, kind_name,
                 attempts, out.detail);
    events::v1::NotificationFailed e;
    e.set_delivery_id(id);
    e.set_source_event_id(r[2].as<std::string>());
    e.set_kind(kind_name);
    e.set_channel("EMAIL");
    e.set_recipient(r[3].as<std::string>());
    e.set_reason(out.detail);
    e.set_application_id(r[17].as<std::string>());
    e.set_notice_id(r[18].as<std::string>());
    e.set_attempts(attempts);
    outbox::Publish(tx, ctx, e);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return report;
}

absl::StatusOr<v1::TenantSettings> PgNotificationStore::SetSettings(pqxx::work& tx,
                                                                    const v1::TenantSettings& in) {
  v1::TenantSettings s = in;
  const absl::Time now = clock_.Now();
  *s.mutable_update_time() = Ts(now);
  tx.exec_params(
      "INSERT INTO tenant_settings (tenant_id, data, update_time) VALUES ($1, $2, $3::timestamptz)"
      " ON CONFLICT (tenant_id) DO UPDATE SET data = EXCLUDED.data,"
      " update_time = EXCLUDED.update_time",
      s.tenant_id(), pg::Bytes(s.SerializeAsString()), pg::ToPgTimestamp(now));
  return WithDefaults(std::move(s));
}

absl::StatusOr<v1::Template> PgNotificationStore::UpsertTemplate(pqxx::work& tx,
                                                                 const v1::Template& t) {
  const absl::Time now = clock_.Now();
  tx.exec_params(
      "INSERT INTO templates (tenant_id, kind, subject, body_text, body_html, update_time)"
      " VALUES ($1, $2, $3, $4, $5, $6::timestamptz) ON CONFLICT (tenant_id, kind) DO UPDATE"
      " SET subject = EXCLUDED.subject, body_text = EXCLUDED.body_text,"
      " body_html = EXCLUDED.body_html, update_time = EXCLUDED.update_time",
      t.tenant_id(), static_cast<int>(t.kind()), t.subject(), t.body_text(), t.body_html(),
      pg::ToPgTimestamp(now));
  v1::Template out = t;
  out.set_built_in(false);
  out.clear_placeholders();
  for (const auto& p : PlaceholdersOf(t.kind())) out.add_placeholders(p);
  *out.mutable_update_time() = Ts(now);
  return out;
}

absl::StatusOr<v1::Template> PgNotificationStore::GetTemplate(pqxx::work& tx,
                                                              const std::string& tenant,
                                                              Kind kind) {
  auto rows = tx.exec_params(
      "SELECT subject, body_text, body_html, micros(update_time) FROM templates"
      " WHERE tenant_id = $1 AND kind = $2",
      tenant, static_cast<int>(kind));
  v1::Template out;
  out.set_tenant_id(tenant);
  out.set_kind(kind);
  if (rows.empty()) {
    const TemplateText d = DefaultTemplate(kind);
    out.set_subject(d.subject);
    out.set_body_text(d.body_text);
    out.set_body_html(d.body_html);
    out.set_built_in(true);
  } else {
    out.set_subject(rows[0][0].as<std::string>());
    out.set_body_text(rows[0][1].as<std::string>());
    out.set_body_html(rows[0][2].as<std::string>());
    *out.mutable_update_time() = Ts(pg::FromMicros(rows[0][3]));
  }
  for (const auto& p : PlaceholdersOf(kind)) out.add_placeholders(p);
  return out;
}

absl::StatusOr<v1::ListDeliveriesResponse> PgNotificationStore::ListDeliveries(
    pqxx::work& tx, const std::string& tenant, v1::DeliveryStatus status, int size,
    const std::string& token) {
  auto cursor = pg::DecodeKeysetToken(token);
  if (!cursor.ok()) return cursor.status();
  const std::string status_name =
      status == v1::DELIVERY_STATUS_UNSPECIFIED ? "" : v1::DeliveryStatus_Name(status);
  auto rows = tx.exec_params(
      absl::StrCat("SELECT ", kDeliveryColumns,
                   " FROM deliveries WHERE tenant_id = $1 AND ($2 = '' OR status = $2)"
                   " AND ($3::timestamptz IS NULL OR (create_time, id) < ($3::timestamptz,"
                   " $4::uuid)) ORDER BY create_time DESC, id DESC LIMIT $5"),
      tenant, status_name, cursor->after_time, cursor->after_id, size + 1);
  v1::ListDeliveriesResponse out;
  for (size_t i = 0; i < rows.size() && static_cast<int>(i) < size; ++i) {
    *out.add_deliveries() = DeliveryOf(rows[i], identity_.message_id_domain);
  }
  if (static_cast<int>(rows.size()) > size) {
    const pqxx::row& last = rows[size - 1];
    out.set_next_page_token(pg::EncodeKeysetToken(pg::FromMicros(last[9]), last[0].c_str()));
  }
  return out;
}

absl::StatusOr<v1::Delivery> PgNotificationStore::Retry(pqxx::work& tx, const std::string& tenant,
                                                        const std::string& id) {
  auto rows = tx.exec_params(
      "SELECT status, address IS NOT NULL FROM deliveries WHERE id = $1::uuid AND tenant_id = $2"
      " FOR UPDATE",
      id, tenant);
  if (rows.empty()) return absl::NotFoundError(absl::StrCat("delivery ", id, " not found"));
  const std::string status = rows[0][0].as<std::string>();
  if (status != "FAILED" && status != "HELD") {
    return absl::FailedPreconditionError(
        absl::StrCat("only a FAILED or HELD delivery can be sent again; this one is ", status));
  }
  if (!rows[0][1].as<bool>()) {
    return absl::FailedPreconditionError("the recipient's address was erased");
  }
  tx.exec_params(
      "UPDATE deliveries SET status = 'PENDING', next_attempt_at = $2::timestamptz,"
      " attempts = CASE WHEN status = 'HELD' THEN 0 ELSE attempts END WHERE id = $1::uuid",
      id, pg::ToPgTimestamp(clock_.Now()));
  auto out = tx.exec_params(
      absl::StrCat("SELECT ", kDeliveryColumns, " FROM deliveries WHERE id = $1::uuid"), id);
  return DeliveryOf(out[0], identity_.message_id_domain);
}

absl::StatusOr<v1::ListInboxResponse> PgNotificationStore::ListInbox(pqxx::work& tx,
                                                                     const InboxOwner& owner,
                                                                     bool unread_only, int size,
                                                                     const std::string& token) {
  auto cursor = pg::DecodeKeysetToken(token);
  if (!cursor.ok()) return cursor.status();
  auto rows = tx.exec_params(
      absl::StrCat("SELECT ", kInboxColumns, " FROM inbox WHERE ", OwnerCondition(owner),
                   " AND (NOT $3 OR read_time IS NULL)"
                   " AND ($4::timestamptz IS NULL OR (create_time, id) < ($4::timestamptz,"
                   " $5::uuid)) ORDER BY create_time DESC, id DESC LIMIT $6"),
      OwnerP1(owner), OwnerP2(owner), unread_only, cursor->after_time, cursor->after_id, size + 1);
  v1::ListInboxResponse out;
  for (size_t i = 0; i < rows.size() && static_cast<int>(i) < size; ++i) {
    *out.add_items() = InboxOf(rows[i]);
  }
  if (static_cast<int>(rows.size()) > size) {
    const pqxx::row& last = rows[size - 1];
    out.set_next_page_token(pg::EncodeKeysetToken(pg::FromMicros(last[8]), last[0].c_str()));
  }
  return out;
}

absl::StatusOr<v1::InboxItem> PgNotificationStore::MarkRead(pqxx::work& tx, const InboxOwner& owner,
                                                            const std::string& id) {
  auto rows = tx.exec_params(
      absl::StrCat("UPDATE inbox SET read_time = COALESCE(read_time, $3::timestamptz)"
                   " WHERE id = $4::uuid AND ",
                   OwnerCondition(owner), " RETURNING ", kInboxColumns),
      OwnerP1(owner), OwnerP2(owner), pg::ToPgTimestamp(clock_.Now()), id);
  if (rows.empty()) return absl::NotFoundError(absl::StrCat("inbox item ", id, " not found"));
  return InboxOf(rows[0]);
}

}  // namespace stellenwerk::notifications
