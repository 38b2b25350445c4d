#pragma once
// The postings feed every other service follows (ADR 0055): postings publishes each change of
// a posting — published, updated, closed, withdrawn — with the posting's whole snapshot
// (events.v1.PostingSnapshot). A service keeps its own projection of the fields it needs (its
// data, its schema), but subscribes once here: every change with the same checks (a snapshot
// without posting or version dead-letters), so no service forgets a kind of change or reads it
// differently. Events may arrive out of order and twice: the service's upsert guards by
// `version` (keep only a newer one).

#include <functional>

#include "common/amqp/consumer.h"
#include "stellenwerk/events/v1/postings.pb.h"

namespace stellenwerk::amqp {

enum class PostingChange { kPublished, kUpdated, kClosed, kWithdrawn };

// What a service does with one change of a posting, in the consumer's transaction.
using PostingHandler =
    std::function<absl::Status(pqxx::work& tx, const events::v1::PostingSnapshot& posting,
                               PostingChange change, const Delivery& delivery)>;

// Registers `handler` for the four posting events on `consumer`.
void FollowPostings(Consumer& consumer, PostingHandler handler);

}  // namespace stellenwerk::amqp
