#pragma once
// Mutating RPCs take a client-chosen request_id (CONTRACT.md): a retry with the same id
// returns the first answer and changes nothing; the same id with a different body is
// ALREADY_EXISTS. The first answer is stored in the transaction of the effect.

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "pqxx/pqxx"

namespace stellenwerk::idempotency {

struct Key {
  std::string tenant_id;
  std::string operation;   // e.g. "CreatePosting"
  std::string request_id;  // empty: the call is not idempotent-keyed
};

// SHA-256 (hex) of the request's deterministic serialization.
std::string RequestHash(const google::protobuf::Message& request);

// Serialises concurrent calls with the same key (transaction advisory lock), then returns
// the stored answer, nullopt if the key is new, or ALREADY_EXISTS if it was used with a
// different request.
absl::StatusOr<std::optional<std::string>> Begin(pqxx::work& tx, const Key& key,
                                                 const std::string& request_hash);

// Begin, parsed into the response type M: the earlier answer, nullopt if new.
template <typename M>
absl::StatusOr<std::optional<M>> Replay(pqxx::work& tx, const Key& key,
                                        const std::string& request_hash) {
  auto stored = Begin(tx, key, request_hash);
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) return std::optional<M>();
  M answer;
  if (!answer.ParseFromString(**stored)) return absl::InternalError("stored answer unreadable");
  return std::optional<M>(std::move(answer));
}

// Stores the answer; call in the same transaction after the effect.
void Remember(pqxx::work& tx, const Key& key, const std::string& request_hash,
              const google::protobuf::Message& response);

}  // namespace stellenwerk::idempotency
