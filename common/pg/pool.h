#pragma once
// PostgreSQL access: a bounded connection pool whose connections use the service's schema,
// and transactions that retry serialization failures and map libpqxx exceptions to Status
// at this edge (CONTRACT.md: database down -> UNAVAILABLE, never a hang).

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "pqxx/pqxx"

// libpqxx 6 maps std::optional parameters to NULL when empty (internal/type_utils.hxx).

namespace stellenwerk::pg {

struct PoolOptions {
  std::string uri;
  std::string schema;
  int size = 8;
  absl::Duration acquire_timeout = absl::Seconds(5);
  absl::Duration statement_timeout = absl::Seconds(10);
  int max_retries = 5;  // serialization failures / deadlocks
};

enum class Isolation { kReadCommitted, kRepeatableRead, kSerializable };

class Pool {
 public:
  explicit Pool(PoolOptions options);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  using TxFn = std::function<absl::Status(pqxx::work&)>;

  // Runs fn in a transaction and commits if it returns OK; rolls back otherwise. Retries the
  // whole function on serialization failure or deadlock, so fn must not have side effects
  // outside the transaction. Lost connections become UNAVAILABLE.
  absl::Status Transact(const TxFn& fn, Isolation isolation = Isolation::kReadCommitted);

  // Read-only convenience (same mechanics).
  absl::Status Read(const TxFn& fn) { return Transact(fn); }

  // A read that is a single statement (its own snapshot) in autocommit: no BEGIN/COMMIT,
  // so one round trip instead of three on hot read paths. fn must run one statement only;
  // several would each see a different snapshot. Same error mapping as Transact.
  using StatementFn = std::function<absl::Status(pqxx::nontransaction&)>;
  absl::Status ReadStatement(const StatementFn& fn);

  // A quick "SELECT 1" through the pool, for health checks.
  bool Ping();

  const PoolOptions& options() const { return options_; }

 private:
  std::unique_ptr<pqxx::connection> Acquire(absl::Status& status);
  void Release(std::unique_ptr<pqxx::connection> conn, bool healthy);
  std::unique_ptr<pqxx::connection> Connect(absl::Status& status);
  template <typename Tx, typename Fn>
  absl::Status Run(const Fn& fn, Isolation isolation);

  const PoolOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  int open_ = 0;
};

// Opens a standalone connection with the schema's search_path (for LISTEN, migrations).
absl::StatusOr<std::unique_ptr<pqxx::connection>> ConnectWithSchema(
    const std::string& uri, const std::string& schema, absl::Duration statement_timeout);

// Maps a libpqxx / std exception to a Status (UNAVAILABLE for broken connections).
absl::Status StatusFromException(const std::exception& e);

// Timestamps go in as UTC text and come out as epoch microseconds (SQL: micros(col), a
// function every schema gets from the platform migrations), avoiding text parsing.
std::string ToPgTimestamp(absl::Time t);
absl::Time FromPgTimestamp(const pqxx::field& f);  // for plain timestamptz text
inline absl::Time FromMicros(const pqxx::field& f) { return absl::FromUnixMicros(f.as<int64_t>()); }

// bytea helpers: binary parameters and results without text escaping.
inline pqxx::binarystring Bytes(const std::string& s) { return pqxx::binarystring(s); }
std::string BytesOf(const pqxx::field& f);

// A row (data bytea, version bigint) as the message it stores, the version as its etag: how
// every service keeps its aggregates (docs/decisions/0005-postings-storage.md).
template <typename Message>
Message ParseVersioned(const pqxx::row& row) {
  Message m;
  m.ParseFromString(BytesOf(row[0]));
  m.set_etag(std::to_string(row[1].as<int64_t>()));
  return m;
}

// Set-based statements (`… FROM unnest($1::text[], …)`): a PostgreSQL array literal of the
// given texts, every element quoted, for one parameter instead of one statement per row.
// Binary data go in as hex text (`decode(x, 'hex')`); see HexArray.
std::string TextArray(const std::vector<std::string>& values);
std::string HexArray(const std::vector<std::string>& bytes);
template <typename Int>
std::string IntArray(const std::vector<Int>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(values[i]);
  }
  return out + "}";
}

}  // namespace stellenwerk::pg
