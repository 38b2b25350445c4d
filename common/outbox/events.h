#pragma once
// Publishing a protobuf event through the outbox: fills its EventMeta (every event message
// has `stellenwerk.events.v1.EventMeta meta = 1;`) and writes the row in the caller's
// transaction. The routing key is the one the message declares in the event catalogue
// (common/events/catalogue.h); there is no way to publish it under another.

#include <string>

#include "absl/time/time.h"
#include "common/outbox/outbox.h"
#include "google/protobuf/message.h"
#include "pqxx/pqxx"

namespace stellenwerk::outbox {

struct EventContext {
  std::string schema;  // the publishing service's schema
  std::string tenant_id;
  std::string correlation_id;
  std::string actor;
  absl::Time now;
};

// Fills event.meta and enqueues it under its routing key; returns the event id. Throws
// std::logic_error for a message that is not in the event catalogue (a programming error).
std::string Publish(pqxx::work& tx, const EventContext& ctx, google::protobuf::Message& event);

// Fills event.meta and returns the outbox row without writing it (for EnqueueMany).
OutgoingEvent Prepare(const EventContext& ctx, google::protobuf::Message& event);

}  // namespace stellenwerk::outbox
