#include "common/idempotency/idempotency.h"

#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/pg/pool.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace stellenwerk::idempotency {

std::string RequestHash(const google::protobuf::Message& request) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream raw(&bytes);
    google::protobuf::io::CodedOutputStream out(&raw);
    out.SetSerializationDeterministic(true);
    request.SerializeToCodedStream(&out);
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

absl::StatusOr<std::optional<std::string>> Begin(pqxx::work& tx, const Key& key,
                                                 const std::string& request_hash) {
  if (key.request_id.empty()) return std::optional<std::string>();
  if (key.request_id.size() > 128) {
    return absl::InvalidArgumentError("request_id: at most 128 characters");
  }
  tx.exec_params("SELECT pg_advisory_xact_lock(hashtext($1))",
                 absl::StrCat(key.tenant_id, "\x1f", key.operation, "\x1f", key.request_id));
  auto rows = tx.exec_params(
      "SELECT request_hash, response FROM idempotency_keys"
      " WHERE tenant_id = $1 AND operation = $2 AND request_id = $3",
      key.tenant_id, key.operation, key.request_id);
  if (rows.empty()) return std::optional<std::string>();
  if (rows[0][0].as<std::string>() != request_hash) {
    return absl::AlreadyExistsError(
        "request_id was already used with a different request; use a new request_id");
  }
  return std::optional<std::string>(pg::BytesOf(rows[0][1]));
}

void Remember(pqxx::work& tx, const Key& key, const std::string& request_hash,
              const google::protobuf::Message& response) {
  if (key.request_id.empty()) return;
  tx.exec_params(
      "INSERT INTO idempotency_keys (tenant_id, operation, request_id, request_hash, response)"
      " VALUES ($1, $2, $3, $4, $5)",
      key.tenant_id, key.operation, key.request_id, request_hash,
      pg::Bytes(response.SerializeAsString()));
}

}  // namespace stellenwerk::idempotency
