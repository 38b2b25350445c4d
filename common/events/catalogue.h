#pragma once
// The event catalogue (ARCHITECTURE.md "The event path"): each routing key is bound to exactly
// one protobuf message, once, by the `(stellenwerk.events.v1.routing_key)` option on that
// message in proto/stellenwerk/events/v1/. Publishers and consumers take the key from the
// message type (outbox::Publish, amqp::Consumer::On<M>), so a key published with the wrong
// message cannot be written; Check() refuses a catalogue with a duplicate or malformed key at
// start-up (Runtime::Init).

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace stellenwerk::events {

// The routing key declared on `descriptor`; empty when the message is not an event.
const std::string& RoutingKeyOf(const google::protobuf::Descriptor* descriptor);

// The routing key of event message M, e.g. RoutingKey<v1::PostingPublished>() ==
// "postings.posting.published.v1". Throws std::logic_error for a message that is not an event.
const std::string& RoutingKeyOfEvent(const google::protobuf::Descriptor* descriptor);
template <typename M>
const std::string& RoutingKey() {
  static const std::string& key = RoutingKeyOfEvent(M::descriptor());
  return key;
}

// Every event message of the contract, by routing key.
const std::map<std::string, const google::protobuf::Descriptor*, std::less<>>& Catalogue();

// The message bound to `routing_key`; nullptr when it is not in the catalogue.
const google::protobuf::Descriptor* MessageFor(std::string_view routing_key);

// Decodes a body of `routing_key` into its message (for consumers of every event, e.g.
// notifications). NOT_FOUND for a key outside the catalogue, INVALID_ARGUMENT for a body that
// does not parse.
absl::StatusOr<std::unique_ptr<google::protobuf::Message>> Decode(std::string_view routing_key,
                                                                  std::string_view body);

// Keys unique, of the form <service>.<aggregate>.<what>.v<N>, each message with
// `EventMeta meta = 1`. Called at start-up; a failure stops the service.
absl::Status Check();

}  // namespace stellenwerk::events
