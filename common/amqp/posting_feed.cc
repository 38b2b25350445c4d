#include "common/amqp/posting_feed.h"

namespace stellenwerk::amqp {
namespace {
namespace ev = events::v1;

template <typename E>
void Follow(Consumer& consumer, const PostingHandler& handler, PostingChange change) {
  consumer.On<E>([handler, change](pqxx::work& tx, const E& e, const Delivery& d) -> absl::Status {
    const ev::PostingSnapshot& p = e.posting();
    if (p.posting_id().empty() || p.version() <= 0) {
      return absl::InvalidArgumentError("posting event without posting or version");
    }
    return handler(tx, p, change, d);
  });
}

}  // namespace

void FollowPostings(Consumer& consumer, PostingHandler handler) {
  Follow<ev::PostingPublished>(consumer, handler, PostingChange::kPublished);
  Follow<ev::PostingUpdated>(consumer, handler, PostingChange::kUpdated);
  Follow<ev::PostingClosed>(consumer, handler, PostingChange::kClosed);
  Follow<ev::PostingWithdrawn>(consumer, handler, PostingChange::kWithdrawn);
}

}  // namespace stellenwerk::amqp
