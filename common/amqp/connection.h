#pragma once
// A thin, single-threaded wrapper over one rabbitmq-c 0.11 connection with one channel.
// rabbitmq-c is not thread-safe (PITFALLS.md): each relay/consumer thread owns its own
// Connection. It never reconnects by itself; owners reconnect with backoff on any error.

#include <amqp.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace stellenwerk::amqp {

inline constexpr char kEventsExchange[] = "stellenwerk.events";
inline constexpr char kDeadLetterExchange[] = "stellenwerk.dlx";
inline constexpr char kContentType[] = "application/x-protobuf";

// One event on the wire (ARCHITECTURE.md "The event path").
struct Message {
  std::string message_id;  // = event id
  std::string type;        // = routing key, e.g. postings.posting.published.v1
  std::string tenant_id;
  std::string correlation_id;
  int schema_version = 1;
  absl::Time timestamp;
  std::string body;  // serialized protobuf
  std::map<std::string, std::string> extra_headers;
};

struct Delivery {
  uint64_t delivery_tag = 0;
  bool redelivered = false;
  std::string routing_key;
  Message message;
};

struct QueueSpec {
  std::string name;                       // e.g. stellenwerk.applications
  std::vector<std::string> binding_keys;  // topic patterns on stellenwerk.events
  std::string queue_type = "classic";     // classic | quorum
};

class Connection {
 public:
  // uri: amqp://user:pass@host:port/vhost
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const std::string& uri,
                                                          absl::Duration timeout);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // The events exchange (topic) and the dead-letter exchange (direct), both durable.
  absl::Status DeclareTopology();
  // A durable queue dead-lettering to stellenwerk.dlx with its name as routing key, its
  // parking queue "<name>.dead", and the bindings.
  absl::Status DeclareQueue(const QueueSpec& spec);
  absl::Status Bind(const std::string& queue, const std::string& exchange, const std::string& key);
  absl::Status Purge(const std::string& queue);

  // Publisher confirms (confirm.select) for PublishConfirmed.
  absl::Status EnableConfirms();
  // Publishes the batch persistently and waits until the broker confirmed every message.
  // Any nack, timeout or closed channel fails the whole batch: the caller treats all of it
  // as unsent (duplicates at the broker are possible; consumers dedup).
  absl::Status PublishConfirmed(const std::vector<Message>& batch, absl::Duration timeout,
                                const std::string& exchange = kEventsExchange);

  absl::Status StartConsuming(const std::string& queue, int prefetch);
  // nullopt on timeout; error when the connection or channel is gone.
  absl::StatusOr<std::optional<Delivery>> NextDelivery(absl::Duration timeout);
  absl::Status Ack(uint64_t delivery_tag, bool multiple = false);
  // requeue=false dead-letters via the queue's x-dead-letter-exchange.
  absl::Status Reject(uint64_t delivery_tag, bool requeue);

  // Lets rabbitmq-c send due heartbeats and notice a dead peer while otherwise idle.
  absl::Status Poll();

  // One message from a queue without consuming (tests, tools). nullopt if empty.
  absl::StatusOr<std::optional<Delivery>> Get(const std::string& queue, bool ack);

 private:
  explicit Connection(amqp_connection_state_t state) : state_(state) {}
  absl::Status Check(const char* what);
  absl::Status HandleUnexpectedFrame(const amqp_frame_t& frame);

  amqp_connection_state_t state_;
  bool confirms_ = false;
  uint64_t next_tag_ = 1;
  bool broken_ = false;
};

}  // namespace stellenwerk::amqp
