#pragma once
// Events from a test straight onto the broker, as a service's relay would send them: for a
// consumer under test whose producer is not running (or to replay one delivery).

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/amqp/connection.h"
#include "common/testing/test_env.h"
#include "google/protobuf/message.h"

namespace stellenwerk::testing {

// Fills the event's meta (a new event id unless `event_id` is given) and returns it as the
// wire message a publisher would send.
amqp::Message WireMessage(google::protobuf::Message& event, const std::string& tenant,
                          absl::Time now, const std::string& event_id = "");
// Publishes the messages to stellenwerk.events with publisher confirms (as a relay would),
// in batches; fails the test on an error.
void PublishToExchange(const TestInfra& infra, const std::vector<amqp::Message>& messages);

}  // namespace stellenwerk::testing
