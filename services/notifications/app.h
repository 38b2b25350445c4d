#pragma once
// Wiring of the notifications service, shared by main.cpp and in-process tests.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/runtime/runtime.h"
#include "services/notifications/adapters/curl_smtp_sender.h"
#include "services/notifications/adapters/delivery_metrics.h"
#include "services/notifications/adapters/pg_notification_store.h"

namespace stellenwerk::notifications {

inline constexpr char kServiceName[] = "notifications";
inline constexpr int kDefaultGrpcPort = 50054;
inline constexpr int kDefaultMetricsPort = 9104;
// An idle dispatcher polls this often; a consumer's wake-up is taken after kWakeCoalesce.
inline constexpr std::chrono::milliseconds kIdlePoll{50};
inline constexpr std::chrono::milliseconds kWakeCoalesce{2};

class NotificationGrpcService;

class NotificationsApp {
 public:
  NotificationsApp(config::RuntimeConfig config, SmtpConfig smtp, RetryPolicy retry = {});
  ~NotificationsApp();
  // Migrates and wires everything and starts the SMTP dispatchers; then runtime().Start().
  absl::Status Init();
  Runtime& runtime() { return runtime_; }
  PgNotificationStore& store() { return *store_; }
  // Messages the dispatchers handed to the relay so far (accepted, failed or retried).
  uint64_t send_attempts() const { return send_attempts_.load(); }
  void WakeDispatchers();

 private:
  void RegisterConsumers();
  void Dispatch(int index);

  Runtime runtime_;
  const SmtpConfig smtp_;
  const RetryPolicy retry_;
  std::unique_ptr<PgNotificationStore> store_;
  std::unique_ptr<NotificationGrpcService> grpc_;
  std::unique_ptr<DeliveryMetrics> metrics_;
  std::vector<std::thread> dispatchers_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> send_attempts_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;
};

}  // namespace stellenwerk::notifications
