#include "common/amqp/consumer.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging/log.h"

namespace stellenwerk::amqp {

Consumer::Consumer(ConsumerOptions options, pg::Pool& db) : options_(std::move(options)), db_(db) {}

Consumer::~Consumer() { Stop(); }

void Consumer::OnRaw(std::string type, EventHandler handler) {
  handlers_[std::move(type)] = std::move(handler);
}

void Consumer::OnEvery(AnyEventHandler handler) {
  for (const auto& [key, descriptor] : events::Catalogue()) {
    if (handlers_.count(key) != 0) continue;
    handlers_[key] = [key = key, handler](pqxx::work& tx, const Delivery& d) -> absl::Status {
      auto event = events::Decode(key, d.message.body);
      if (!event.ok()) return absl::InvalidArgumentError(event.status().message());
      return handler(tx, **event, d);
    };
  }
}

void Consumer::Start() {
  stopping_ = false;
  if (options_.queue.binding_keys.empty()) {
    for (const auto& [key, handler] : handlers_) options_.queue.binding_keys.push_back(key);
  }
  thread_ = std::thread([this] { Run(); });
}

void Consumer::Stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

absl::Status Consumer::Handle(Connection& mq, const Delivery& d) {
  const Message& m = d.message;
  logging::ScopedLogContext log_context(m.correlation_id, m.tenant_id, m.message_id);

  auto dead_letter = [&](const std::string& why) {
    spdlog::error("dead-lettering {} {}: {}", m.type, m.message_id, why);
    ++stats_.dead_lettered;
    attempts_.erase(m.message_id);
    return mq.Reject(d.delivery_tag, /*requeue=*/false);
  };

  if (m.schema_version > options_.max_schema_version) {
    return dead_letter(absl::StrCat("schema-version ", m.schema_version, " is newer than ",
                                    options_.max_schema_version));
  }
  if (m.message_id.empty()) return dead_letter("message without message_id");
  auto it = handlers_.find(m.type);
  if (it == handlers_.end()) {
    // Bound by a wider pattern but not of interest: nothing to do.
    return mq.Ack(d.delivery_tag);
  }

  bool duplicate = false;
  absl::Status effect = db_.Transact([&](pqxx::work& tx) -> absl::Status {
    auto inserted = tx.exec_params(
        "INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2)"
        " ON CONFLICT DO NOTHING RETURNING 1",
        options_.name, m.message_id);
    if (inserted.empty()) {
      duplicate = true;
      return absl::OkStatus();
    }
    return it->second(tx, d);
  });

  if (effect.ok()) {
    attempts_.erase(m.message_id);
    if (duplicate) {
      ++stats_.duplicates;
      spdlog::debug("duplicate {} {} skipped", m.type, m.message_id);
    } else {
      ++stats_.applied;
    }
    return mq.Ack(d.delivery_tag);  // only after the commit above
  }
  if (effect.code() == absl::StatusCode::kInvalidArgument)
    return dead_letter(std::string(effect.message()));
  if (effect.code() == absl::StatusCode::kUnavailable) {
    // Our own database is down: not the message's fault, so it does not use up attempts.
    spdlog::warn("event {} {} not applied, database unavailable: {}", m.type, m.message_id,
                 effect.message());
    absl::SleepFor(options_.max_backoff);
    return mq.Reject(d.delivery_tag, /*requeue=*/true);
  }
  const int attempts = ++attempts_[m.message_id];
  if (attempts >= options_.max_attempts) {
    return dead_letter(absl::StrCat("failed ", attempts, " times, last: ", effect.message()));
  }
  ++stats_.retried;
  spdlog::warn("event {} {} failed (attempt {}/{}): {}", m.type, m.message_id, attempts,
               options_.max_attempts, effect.message());
  absl::SleepFor(options_.retry_delay * attempts);
  return mq.Reject(d.delivery_tag, /*requeue=*/true);
}

void Consumer::Run() {
  absl::Duration backoff = absl::Milliseconds(100);
  while (!stopping_) {
    auto opened = Connection::Open(options_.amqp_uri, absl::Seconds(5));
    absl::Status status = opened.status();
    std::unique_ptr<Connection> mq;
    if (opened.ok()) {
      mq = *std::move(opened);
      status = mq->DeclareTopology();
      if (status.ok()) status = mq->DeclareQueue(options_.queue);
      if (status.ok()) status = mq->StartConsuming(options_.queue.name, options_.prefetch);
    }
    if (status.ok()) {
      connected_ = true;
      backoff = absl::Milliseconds(100);
      spdlog::info("consumer {} listening on {}", options_.name, options_.queue.name);
      while (!stopping_) {
        auto next = mq->NextDelivery(absl::Milliseconds(250));
        if (!next.ok()) {
          status = next.status();
          break;
        }
        if (!next->has_value()) continue;
        status = Handle(*mq, **next);
        if (!status.ok()) break;
      }
      connected_ = false;
      // Unacked deliveries return to the queue when the connection goes: nothing is lost.
    }
    if (stopping_) break;
    spdlog::warn("consumer {}: {} (reconnecting in {})", options_.name, status.message(),
                 absl::FormatDuration(backoff));
    mq.reset();
    for (absl::Time until = absl::Now() + backoff; !stopping_ && absl::Now() < until;) {
      absl::SleepFor(absl::Milliseconds(50));
    }
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

}  // namespace stellenwerk::amqp
