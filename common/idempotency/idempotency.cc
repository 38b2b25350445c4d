#include "common/idempotency/idempotency.h"

#include "absl/strings/str_cat.h"
#include "common/pg/pool.h"

namespace stellenwerk::idempotency {

absl::StatusOr<std::optional<std::string>> Begin(pqxx::work& tx, const store::Actor& actor,
                                                 const store::IdempotencyRequest& idem) {
  if (idem.request_id.empty()) return std::optional<std::string>();
  if (idem.request_id.size() > 128) {
    return absl::InvalidArgumentError("request_id: at most 128 characters");
  }
  const std::string scope = store::IdempotencyScope(actor);
  tx.exec_params("SELECT pg_advisory_xact_lock(hashtext($1))",
                 absl::StrCat(scope, "\x1e", idem.operation, "\x1e", idem.request_id));
  auto rows = tx.exec_params(
      "SELECT request_hash, response FROM idempotency_keys"
      " WHERE scope = $1 AND operation = $2 AND request_id = $3",
      scope, idem.operation, idem.request_id);
  if (rows.empty()) return std::optional<std::string>();
  if (rows[0][0].as<std::string>() != idem.request_hash) {
    return absl::AlreadyExistsError(
        "request_id was already used with a different request; use a new request_id");
  }
  return std::optional<std::string>(pg::BytesOf(rows[0][1]));
}

void Remember(pqxx::work& tx, const store::Actor& actor, const store::IdempotencyRequest& idem,
              const google::protobuf::Message& response) {
  if (idem.request_id.empty()) return;
  tx.exec_params(
      "INSERT INTO idempotency_keys (scope, operation, request_id, request_hash, response)"
      " VALUES ($1, $2, $3, $4, $5)",
      store::IdempotencyScope(actor), idem.operation, idem.request_id, idem.request_hash,
      pg::Bytes(response.SerializeAsString()));
}

}  // namespace stellenwerk::idempotency
