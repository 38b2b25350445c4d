#pragma once
// Mutating RPCs take a client-chosen request_id (CONTRACT.md): a retry with the same id
// returns the first answer and changes nothing; the same id with a different body is
// ALREADY_EXISTS. The first answer is stored in the transaction of the effect, under
// (store::IdempotencyScope(actor), operation, request_id) — the scope is decided there, once.
// Commands use this through pg::AggregateStore::Command (common/pg/aggregate_store.h).

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/store/command.h"
#include "google/protobuf/message.h"
#include "pqxx/pqxx"

namespace stellenwerk::idempotency {

// Serialises concurrent calls with the same key (transaction advisory lock), then returns
// the stored answer, nullopt if the key is new, or ALREADY_EXISTS if it was used with a
// different request.
absl::StatusOr<std::optional<std::string>> Begin(pqxx::work& tx, const store::Actor& actor,
                                                 const store::IdempotencyRequest& idem);

// Begin, parsed into the response type M: the earlier answer, nullopt if new.
template <typename M>
absl::StatusOr<std::optional<M>> Replay(pqxx::work& tx, const store::Actor& actor,
                                        const store::IdempotencyRequest& idem) {
  auto stored = Begin(tx, actor, idem);
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) return std::optional<M>();
  M answer;
  if (!answer.ParseFromString(**stored)) return absl::InternalError("stored answer unreadable");
  return std::optional<M>(std::move(answer));
}

// Stores the answer; call in the same transaction after the effect.
void Remember(pqxx::work& tx, const store::Actor& actor, const store::IdempotencyRequest& idem,
              const google::protobuf::Message& response);

}  // namespace stellenwerk::idempotency
