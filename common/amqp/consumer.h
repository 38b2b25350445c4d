#pragma once
// Event consumer (ARCHITECTURE.md, step 3): one durable queue per service bound to
// stellenwerk.events; each message's effect and its event id (processed_events) commit in
// one Postgres transaction, and the message is acked only after that commit. Duplicates are
// acked and skipped. Failures are retried and, after max_attempts, dead-lettered to
// stellenwerk.dlx (parking queue "<queue>.dead"); permanent failures (undecodable body, newer
// schema version, INVALID_ARGUMENT) go there at once. The queue never blocks on a poison
// message.
//
// Handlers are registered by event message (On<M>): the routing key comes from the event
// catalogue (common/events/catalogue.h) and the body is decoded here, once; an undecodable
// body is a permanent failure (dead-lettered). The queue is bound to exactly the keys handled.

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <unordered_map>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/amqp/connection.h"
#include "common/events/catalogue.h"
#include "common/pg/pool.h"
#include "google/protobuf/message.h"

namespace stellenwerk::amqp {

// Applies one event inside the given transaction. Return INVALID_ARGUMENT for a message that
// can never succeed; any other error is retried.
using EventHandler = std::function<absl::Status(pqxx::work&, const Delivery&)>;
template <typename M>
using TypedHandler = std::function<absl::Status(pqxx::work&, const M&, const Delivery&)>;
// For a consumer of every event (notifications): the decoded message of the catalogue.
using AnyEventHandler =
    std::function<absl::Status(pqxx::work&, const google::protobuf::Message&, const Delivery&)>;

struct ConsumerOptions {
  std::string amqp_uri;
  std::string name;  // consumer name in processed_events, e.g. "applications"
  QueueSpec queue;   // queue name; empty bindings: the keys of the handlers
  int prefetch = 100;
  int max_attempts = 5;
  int max_schema_version = 1;  // newer versions are dead-lettered, never crash the consumer
  absl::Duration retry_delay = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(5);
};

class Consumer {
 public:
  Consumer(ConsumerOptions options, pg::Pool& db);
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // Register before Start: `handler` applies every event of message M (its routing key from
  // the catalogue), decoded.
  template <typename M>
  void On(TypedHandler<M> handler) {
    const std::string& key = events::RoutingKey<M>();
    OnRaw(key, [key, handler = std::move(handler)](pqxx::work& tx, const Delivery& d) {
      M event;
      if (!event.ParseFromString(d.message.body)) {
        return absl::InvalidArgumentError(absl::StrCat("undecodable ", key, " event"));
      }
      return handler(tx, event, d);
    });
  }
  // Every event of the catalogue not handled by an On<M>, decoded into its message.
  void OnEvery(AnyEventHandler handler);
  // A handler of undecoded bodies under any routing key: for the runtime's own tests of the
  // delivery mechanics. Services register typed handlers.
  void OnRaw(std::string type, EventHandler handler);

  void Start();
  void Stop();

  struct Stats {
    std::atomic<uint64_t> applied{0};
    std::atomic<uint64_t> duplicates{0};
    std::atomic<uint64_t> retried{0};
    std::atomic<uint64_t> dead_lettered{0};
  };
  const Stats& stats() const { return stats_; }
  bool connected() const { return connected_.load(); }

 private:
  void Run();
  absl::Status Handle(Connection& mq, const Delivery& d);

  ConsumerOptions options_;  // binding keys completed by Start
  pg::Pool& db_;
  std::map<std::string, EventHandler> handlers_;
  std::unordered_map<std::string, int> attempts_;  // by message id, this process only
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> connected_{false};
  Stats stats_;
};

}  // namespace stellenwerk::amqp
