#pragma once
// Transactional outbox (ARCHITECTURE.md, step 1–2). Enqueue writes the event row in the
// caller's transaction; the Relay publishes committed rows in id order with publisher
// confirms and deletes them only after the broker confirmed.

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/amqp/connection.h"
#include "google/protobuf/message.h"
#include "pqxx/pqxx"

namespace stellenwerk::outbox {

struct OutgoingEvent {
  std::string event_id;  // UUID; the event proto carries the same id
  std::string type;      // routing key
  std::string tenant_id;
  std::string correlation_id;
  absl::Time occur_time;
  int schema_version = 1;
  std::string payload;  // serialized protobuf
};

// Writes the row and a coalesced NOTIFY (delivered only at commit) to wake the relay.
void Enqueue(pqxx::work& tx, const std::string& schema, const OutgoingEvent& event);
// The same for many events in one statement (set-based timer effects); one NOTIFY.
void EnqueueMany(pqxx::work& tx, const std::string& schema,
                 const std::vector<OutgoingEvent>& events);

struct RelayOptions {
  std::string pg_uri;
  std::string schema;
  std::string amqp_uri;
  int batch_size = 500;
  absl::Duration poll_interval = absl::Seconds(1);
  absl::Duration confirm_timeout = absl::Seconds(10);
  absl::Duration max_backoff = absl::Seconds(5);
};

class Relay {
 public:
  explicit Relay(RelayOptions options);
  ~Relay();
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  void Start();
  // Publishes what is pending (up to `flush_timeout`), then stops the thread.
  void Stop(absl::Duration flush_timeout);
  // Wakes the relay now (in-process hint; NOTIFY does the same across processes).
  void Wake();

  uint64_t published() const { return published_.load(); }
  bool connected() const { return connected_.load(); }

 private:
  void Run();
  // One batch: claim rows, publish with confirms, delete, commit. Returns rows published.
  absl::StatusOr<int> PublishBatch(pqxx::connection& pg, amqp::Connection& mq);
  absl::Status EnsureConnections();
  void WaitForWork(absl::Duration max_wait);
  void ResetListener();

  class WakeReceiver;

  const RelayOptions options_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> connected_{false};
  std::atomic<uint64_t> published_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;
  absl::Time flush_deadline_ = absl::InfiniteFuture();
  std::unique_ptr<pqxx::connection> pg_;
  std::unique_ptr<pqxx::connection> listen_pg_;
  std::unique_ptr<WakeReceiver> receiver_;
  std::unique_ptr<amqp::Connection> mq_;
};

// The channel name the relay listens on for a schema.
std::string NotifyChannel(const std::string& schema);

}  // namespace stellenwerk::outbox
