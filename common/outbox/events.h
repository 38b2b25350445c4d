#pragma once
// Publishing a protobuf event through the outbox: fills its EventMeta (every event message
// has `stellenwerk.events.v1.EventMeta meta = 1;`) and writes the row in the caller's
// transaction.

#include <string>

#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "common/outbox/outbox.h"
#include "pqxx/pqxx"

namespace stellenwerk::outbox {

struct EventContext {
  std::string schema;          // the publishing service's schema
  std::string tenant_id;
  std::string correlation_id;
  std::string actor;
  absl::Time now;
};

// Fills event.meta and enqueues it under routing key `type`; returns the event id.
std::string Publish(pqxx::work& tx, const EventContext& ctx, const std::string& type,
                    google::protobuf::Message& event);

// Fills event.meta and returns the outbox row without writing it (for EnqueueMany).
OutgoingEvent Prepare(const EventContext& ctx, const std::string& type,
                      google::protobuf::Message& event);

}  // namespace stellenwerk::outbox
