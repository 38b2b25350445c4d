#include "services/notifications/api/notification_grpc_service.h"

#include "absl/strings/str_cat.h"
#include "common/errors/errors.h"
#include "common/ids/uuid.h"
#include "common/logging/log.h"
#include "common/pg/aggregate_store.h"
#include "common/store/command.h"
#include "services/notifications/domain/audience.h"
#include "services/notifications/domain/mail_message.h"
#include "services/notifications/domain/templates.h"

namespace stellenwerk::notifications {
namespace {

namespace roles = auth::roles;

bool IsHr(const auth::Principal& who) {
  return who.HasRole(roles::kHrClerk) || who.HasRole(roles::kAdmin);
}

absl::Status RequireHr(const auth::Principal& who, absl::string_view what) {
  if (IsHr(who)) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(what, " needs the hr_clerk or admin role"));
}

// The mailboxes a staff member reads: every role they hold that has an inbox.
InboxOwner OwnerOf(const auth::Principal& who) {
  InboxOwner o;
  if (who.HasRole(roles::kApplicant)) {
    o.applicant_sub = who.Subject();
    return o;
  }
  o.tenant = who.tenant;
  o.roles = who.roles;
  if (who.HasRole(roles::kAdmin)) o.roles.push_back(roles::kHrClerk);
  return o;
}

int PageSize(int requested) { return requested <= 0 ? 50 : requested; }

}  // namespace

template <typename Response, typename Fn>
grpc::ServerUnaryReactor* NotificationGrpcService::Handle(grpc::CallbackServerContext* ctx,
                                                          Response* response, Fn fn) {
  return runtime_.Unary(ctx, [fn = std::move(fn), response](const rpc::Call& call) {
    auto who = call.Principal();
    if (!who.ok()) return who.status();
    logging::ScopedLogContext log_context("", who->tenant);
    absl::StatusOr<Response> result = fn(*who, call.correlation_id());
    if (!result.ok()) return result.status();
    *response = *std::move(result);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* NotificationGrpcService::ListInbox(grpc::CallbackServerContext* ctx,
                                                             const v1::ListInboxRequest* r,
                                                             v1::ListInboxResponse* response) {
  return Handle(ctx, response,
                [this, r](const auth::Principal& who,
                          const std::string&) -> absl::StatusOr<v1::ListInboxResponse> {
                  if (r->page_size() < 0 || r->page_size() > 200) {
                    return errors::InvalidField("page_size", "0–200");
                  }
                  const InboxOwner owner = OwnerOf(who);
                  return pg::ReadValue<v1::ListInboxResponse>(store_.db(), [&](pqxx::work& tx) {
                    return store_.ListInbox(tx, owner, r->unread_only(), PageSize(r->page_size()),
                                            r->page_token());
                  });
                });
}

grpc::ServerUnaryReactor* NotificationGrpcService::MarkRead(grpc::CallbackServerContext* ctx,
                                                            const v1::MarkReadRequest* r,
                                                            v1::InboxItem* response) {
  return Handle(ctx, response,
                [this, r](const auth::Principal& who,
                          const std::string& cid) -> absl::StatusOr<v1::InboxItem> {
                  if (!ids::IsUuid(r->id())) return errors::InvalidField("id", "not an item id");
                  const InboxOwner owner = OwnerOf(who);
                  return pg::Command<v1::InboxItem>(
                      store_.db(), store::Actor::Of(who, cid),
                      store::IdempotencyRequest::Of("MarkRead", r->request_id(), *r),
                      [&](pqxx::work& tx) { return store_.MarkRead(tx, owner, r->id()); });
                });
}

grpc::ServerUnaryReactor* NotificationGrpcService::ListDeliveries(
    grpc::CallbackServerContext* ctx, const v1::ListDeliveriesRequest* r,
    v1::ListDeliveriesResponse* response) {
  return Handle(ctx, response,
                [this, r](const auth::Principal& who,
                          const std::string&) -> absl::StatusOr<v1::ListDeliveriesResponse> {
                  if (absl::Status s = RequireHr(who, "ListDeliveries"); !s.ok()) return s;
                  if (!v1::DeliveryStatus_IsValid(r->status())) {
                    return errors::InvalidField("status", "unknown delivery status");
                  }
                  if (r->page_size() < 0 || r->page_size() > 500) {
                    return errors::InvalidField("page_size", "0–500");
                  }
                  return pg::ReadValue<v1::ListDeliveriesResponse>(
                      store_.db(), [&](pqxx::work& tx) {
                        return store_.ListDeliveries(tx, who.tenant, r->status(),
                                                     PageSize(r->page_size()), r->page_token());
                      });
                });
}

grpc::ServerUnaryReactor* NotificationGrpcService::RetryDelivery(grpc::CallbackServerContext* ctx,
                                                                 const v1::RetryDeliveryRequest* r,
                                                                 v1::Delivery* response) {
  return Handle(ctx, response,
                [this, r](const auth::Principal& who,
                          const std::string& cid) -> absl::StatusOr<v1::Delivery> {
                  if (absl::Status s = RequireHr(who, "RetryDelivery"); !s.ok()) return s;
                  if (!ids::IsUuid(r->id())) {
                    return errors::InvalidField("id", "not a delivery id");
                  }
                  auto out = pg::Command<v1::Delivery>(
                      store_.db(), store::Actor::Of(who, cid),
                      store::IdempotencyRequest::Of("RetryDelivery", r->request_id(), *r),
                      [&](pqxx::work& tx) { return store_.Retry(tx, who.tenant, r->id()); });
                  if (out.ok()) wake_();
                  return out;
                });
}

grpc::ServerUnaryReactor* NotificationGrpcService::UpsertTemplate(
    grpc::CallbackServerContext* ctx, const v1::UpsertTemplateRequest* r, v1::Template* response) {
  return Handle(
      ctx, response,
      [this, r](const auth::Principal& who,
                const std::string& cid) -> absl::StatusOr<v1::Template> {
        if (absl::Status s = RequireHr(who, "UpsertTemplate"); !s.ok()) return s;
        const v1::Template& t = r->template_();
        if (!t.tenant_id().empty() && t.tenant_id() != who.tenant) {
          return absl::NotFoundError(absl::StrCat("tenant ", t.tenant_id(), " not found"));
        }
        if (absl::Status s =
                ValidateTemplate(t.kind(), {t.subject(), t.body_text(), t.body_html()});
            !s.ok()) {
          return s;
        }
        v1::Template stored = t;
        stored.set_tenant_id(who.tenant);
        return pg::Command<v1::Template>(
            store_.db(), store::Actor::Of(who, cid),
            store::IdempotencyRequest::Of("UpsertTemplate", r->request_id(), *r),
            [&](pqxx::work& tx) { return store_.UpsertTemplate(tx, stored); });
      });
}

grpc::ServerUnaryReactor* NotificationGrpcService::GetTemplate(grpc::CallbackServerContext* ctx,
                                                               const v1::GetTemplateRequest* r,
                                                               v1::Template* response) {
  return Handle(
      ctx, response,
      [this, r](const auth::Principal& who, const std::string&) -> absl::StatusOr<v1::Template> {
        if (absl::Status s = RequireHr(who, "GetTemplate"); !s.ok()) return s;
        if (r->kind() == v1::NOTIFICATION_KIND_UNSPECIFIED ||
            !v1::NotificationKind_IsValid(r->kind())) {
          return errors::InvalidField("kind", "a notification kind is required");
        }
        return pg::ReadValue<v1::Template>(store_.db(), [&](pqxx::work& tx) {
          return store_.GetTemplate(tx, who.tenant, r->kind());
        });
      });
}

grpc::ServerUnaryReactor* NotificationGrpcService::PreviewTemplate(
    grpc::CallbackServerContext* ctx, const v1::PreviewTemplateRequest* r,
    v1::RenderedMessage* response) {
  return Handle(
      ctx, response,
      [this, r](const auth::Principal& who,
                const std::string&) -> absl::StatusOr<v1::RenderedMessage> {
        if (absl::Status s = RequireHr(who, "PreviewTemplate"); !s.ok()) return s;
        const Kind kind =
            r->has_template_() && r->template_().kind() != 0 ? r->template_().kind() : r->kind();
        if (kind == v1::NOTIFICATION_KIND_UNSPECIFIED || !v1::NotificationKind_IsValid(kind)) {
          return errors::InvalidField("kind", "a notification kind is required");
        }
        return pg::ReadValue<v1::RenderedMessage>(
            store_.db(), [&](pqxx::work& tx) -> absl::StatusOr<v1::RenderedMessage> {
              TemplateText text;
              if (r->has_template_()) {
                const v1::Template& t = r->template_();
                text = {t.subject(), t.body_text(), t.body_html()};
                if (absl::Status s = ValidateTemplate(kind, text); !s.ok()) return s;
              } else {
                text = store_.TemplateFor(tx, who.tenant, kind);
              }
              Values values = SampleValues(kind);
              values["signatur"] = store_.Settings(tx, who.tenant).signature();
              const TemplateText out = Render(text, values);
              v1::RenderedMessage m;
              m.set_subject(out.subject);
              m.set_body_text(out.body_text);
              m.set_body_html(out.body_html);
              return m;
            });
      });
}

grpc::ServerUnaryReactor* NotificationGrpcService::SetTenantSettings(
    grpc::CallbackServerContext* ctx, const v1::SetTenantSettingsRequest* r,
    v1::TenantSettings* response) {
  return Handle(
      ctx, response,
      [this, r](const auth::Principal& who,
                const std::string& cid) -> absl::StatusOr<v1::TenantSettings> {
        if (!who.HasRole(roles::kAdmin)) {
          return absl::PermissionDeniedError("SetTenantSettings needs the admin role");
        }
        v1::TenantSettings s = r->settings();
        if (!s.tenant_id().empty() && s.tenant_id() != who.tenant) {
          return absl::NotFoundError(absl::StrCat("tenant ", s.tenant_id(), " not found"));
        }
        s.set_tenant_id(who.tenant);
        errors::Validator v;
        auto address = [&](absl::string_view field, const std::string& value) {
          v.Check(value.empty() || PlausibleAddress(value), absl::StrCat("settings.", field),
                  "not an e-mail address");
        };
        address("sender_address", s.sender_address());
        address("reply_to", s.reply_to());
        address("hr_mailbox", s.hr_mailbox());
        address("disability_representative_mailbox", s.disability_representative_mailbox());
        address("equal_opportunity_officer_mailbox", s.equal_opportunity_officer_mailbox());
        address("staff_council_mailbox", s.staff_council_mailbox());
        address("coordination_mailbox", s.coordination_mailbox());
        v.Check(v1::Acknowledgment_IsValid(s.acknowledgment()), "settings.acknowledgment",
                "AUTOMATIC or MANUAL");
        v.Check(
            s.acknowledgment_due_working_days() >= 0 && s.acknowledgment_due_working_days() <= 60,
            "settings.acknowledgment_due_working_days", "0–60");
        v.Check(PlausiblePortalUrl(s.portal_url()), "settings.portal_url",
                "https://… (http:// only for localhost), one line, at most 300 bytes");
        v.Check(s.signature().size() <= 2000, "settings.signature", "at most 2000 bytes");
        v.Check(s.sender_name().find_first_of("\r\n") == std::string::npos, "settings.sender_name",
                "one line");
        for (int k : s.email_kinds()) {
          v.Check(k != 0 && v1::NotificationKind_IsValid(k), "settings.email_kinds",
                  "unknown notification kind");
        }
        if (!v.ok()) return v.status();
        return pg::Command<v1::TenantSettings>(
            store_.db(), store::Actor::Of(who, cid),
            store::IdempotencyRequest::Of("SetTenantSettings", r->request_id(), *r),
            [&](pqxx::work& tx) { return store_.SetSettings(tx, s); });
      });
}

}  // namespace stellenwerk::notifications
