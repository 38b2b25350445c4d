#pragma once
// gRPC handlers of stellenwerk.notifications.v1.NotificationService: authenticate, check the
// role, validate, run one store operation on the worker pool.

#include <functional>

#include "common/runtime/runtime.h"
#include "services/notifications/adapters/pg_notification_store.h"
#include "stellenwerk/notifications/v1/notifications.grpc.pb.h"

namespace stellenwerk::notifications {

class NotificationGrpcService final : public v1::NotificationService::CallbackService {
 public:
  NotificationGrpcService(Runtime& runtime, PgNotificationStore& store, std::function<void()> wake)
      : runtime_(runtime), store_(store), wake_(std::move(wake)) {}

#define STW_NOTIFY_RPC(Name, Request, Response)                                            \
  grpc::ServerUnaryReactor* Name(grpc::CallbackServerContext* ctx, const Request* request, \
                                 Response* response) override;
  STW_NOTIFY_RPC(ListInbox, v1::ListInboxRequest, v1::ListInboxResponse)
  STW_NOTIFY_RPC(MarkRead, v1::MarkReadRequest, v1::InboxItem)
  STW_NOTIFY_RPC(ListDeliveries, v1::ListDeliveriesRequest, v1::ListDeliveriesResponse)
  STW_NOTIFY_RPC(RetryDelivery, v1::RetryDeliveryRequest, v1::Delivery)
  STW_NOTIFY_RPC(UpsertTemplate, v1::UpsertTemplateRequest, v1::Template)
  STW_NOTIFY_RPC(GetTemplate, v1::GetTemplateRequest, v1::Template)
  STW_NOTIFY_RPC(PreviewTemplate, v1::PreviewTemplateRequest, v1::RenderedMessage)
  STW_NOTIFY_RPC(SetTenantSettings, v1::SetTenantSettingsRequest, v1::TenantSettings)
#undef STW_NOTIFY_RPC

 private:
  template <typename Response, typename Fn>
  grpc::ServerUnaryReactor* Handle(grpc::CallbackServerContext* ctx, Response* response, Fn fn);

  Runtime& runtime_;
  PgNotificationStore& store_;
  std::function<void()> wake_;
};

}  // namespace stellenwerk::notifications
