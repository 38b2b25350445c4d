#include "common/pg/pool.h"

#include <type_traits>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging/log.h"

namespace stellenwerk::pg {
namespace {

bool IsRetryable(const pqxx::sql_error& e) {
  const std::string& state = e.sqlstate();
  return state == "40001" /* serialization_failure */ || state == "40P01" /* deadlock */;
}

}  // namespace

absl::Status StatusFromException(const std::exception& e) {
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr ||
      dynamic_cast<const pqxx::in_doubt_error*>(&e) != nullptr) {
    return absl::UnavailableError(absl::StrCat("database unavailable: ", e.what()));
  }
  if (dynamic_cast<const pqxx::statement_completion_unknown*>(&e) != nullptr) {
    return absl::UnavailableError(absl::StrCat("database connection lost mid-commit: ", e.what()));
  }
  if (dynamic_cast<const pqxx::transaction_rollback*>(&e) != nullptr) {
    return absl::AbortedError("concurrent change, please retry");
  }
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e)) {
    const std::string& state = sql->sqlstate();
    if (state == "57014") return absl::DeadlineExceededError("database statement timed out");
    if (state.rfind("08", 0) == 0 || state == "57P01" || state == "57P03") {
      return absl::UnavailableError(absl::StrCat("database unavailable: ", sql->what()));
    }
    if (state == "40001" || state == "40P01") {
      return absl::AbortedError("concurrent change, please retry");
    }
    return absl::InternalError(absl::StrCat("database error ", state, ": ", sql->what()));
  }
  return absl::InternalError(absl::StrCat("database error: ", e.what()));
}

absl::StatusOr<std::unique_ptr<pqxx::connection>> ConnectWithSchema(
    const std::string& uri, const std::string& schema, absl::Duration statement_timeout) {
  try {
    auto conn = std::make_unique<pqxx::connection>(uri);
    pqxx::nontransaction tx(*conn);
    tx.exec(absl::StrCat("SET search_path TO ", tx.quote_name(schema), ", public"));
    tx.exec(absl::StrCat("SET statement_timeout = ", absl::ToInt64Milliseconds(statement_timeout)));
    tx.exec("SET TIME ZONE 'UTC'");
    return conn;
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("database unavailable: ", e.what()));
  }
}

Pool::Pool(PoolOptions options) : options_(std::move(options)) {}

Pool::~Pool() = default;

std::unique_ptr<pqxx::connection> Pool::Connect(absl::Status& status) {
  auto conn = ConnectWithSchema(options_.uri, options_.schema, options_.statement_timeout);
  if (!conn.ok()) {
    status = conn.status();
    return nullptr;
  }
  return *std::move(conn);
}

std::unique_ptr<pqxx::connection> Pool::Acquire(absl::Status& status) {
  std::unique_lock lock(mu_);
  const auto deadline =
      std::chrono::steady_clock::now() + absl::ToChronoMilliseconds(options_.acquire_timeout);
  for (;;) {
    if (!idle_.empty()) {
      auto conn = std::move(idle_.back());
      idle_.pop_back();
      return conn;
    }
    if (open_ < options_.size) {
      ++open_;
      lock.unlock();
      auto conn = Connect(status);
      if (conn == nullptr) {
        std::lock_guard relock(mu_);
        --open_;
        cv_.notify_one();
      }
      return conn;
    }
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout) {
      status = absl::UnavailableError("no database connection free within the acquire timeout");
      return nullptr;
    }
  }
}

void Pool::Release(std::unique_ptr<pqxx::connection> conn, bool healthy) {
  std::lock_guard lock(mu_);
  if (healthy && conn != nullptr && conn->is_open()) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;
  }
  cv_.notify_one();
}

template <typename Tx, typename Fn>
absl::Status Pool::Run(const Fn& fn, Isolation isolation) {
  for (int attempt = 0;; ++attempt) {
    absl::Status status;
    auto conn = Acquire(status);
    if (conn == nullptr) return status;
    bool healthy = true;
    bool retry = false;
    try {
      Tx tx(*conn);
      if constexpr (std::is_same_v<Tx, pqxx::work>) {
        if (isolation == Isolation::kSerializable) {
          tx.exec("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE");
        } else if (isolation == Isolation::kRepeatableRead) {
          tx.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
        }
      }
      status = fn(tx);
      if (status.ok()) tx.commit();
      // Not committing rolls back in the destructor (a nontransaction has nothing to undo).
    } catch (const pqxx::sql_error& e) {
      if (IsRetryable(e) && attempt < options_.max_retries) {
        retry = true;
      } else {
        status = StatusFromException(e);
        healthy = status.code() != absl::StatusCode::kUnavailable;
      }
    } catch (const pqxx::broken_connection& e) {
      status = StatusFromException(e);
      healthy = false;
    } catch (const pqxx::statement_completion_unknown& e) {
      status = StatusFromException(e);
      healthy = false;
    } catch (const pqxx::transaction_rollback& e) {
      // libpqxx 6 throws deadlock_detected and serialization_failure as pqxx::failure, not as
      // sql_error, so the branch above never sees them; they are retried here.
      if (attempt < options_.max_retries) {
        retry = true;
      } else {
        status = StatusFromException(e);
      }
    } catch (const std::exception& e) {
      status = StatusFromException(e);
      healthy = conn->is_open() && status.code() != absl::StatusCode::kUnavailable;
    }
    Release(std::move(conn), healthy);
    if (!retry) return status;
    absl::SleepFor(absl::Milliseconds(2 << std::min(attempt, 6)));
  }
}

absl::Status Pool::Transact(const TxFn& fn, Isolation isolation) {
  return Run<pqxx::work>(fn, isolation);
}

absl::Status Pool::ReadStatement(const StatementFn& fn) {
  return Run<pqxx::nontransaction>(fn, Isolation::kReadCommitted);
}

bool Pool::Ping() {
  return Transact([](pqxx::work& tx) {
           tx.exec("SELECT 1");
           return absl::OkStatus();
         })
      .ok();
}

std::string ToPgTimestamp(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%E6S+00", t, absl::UTCTimeZone());
}

absl::Time FromPgTimestamp(const pqxx::field& f) {
  // Sessions run with TIME ZONE 'UTC', so timestamptz arrives as "YYYY-MM-DD HH:MM:SS[.ffffff]+00".
  absl::Time t;
  std::string err;
  std::string text = f.c_str();
  if (absl::ParseTime("%Y-%m-%d %H:%M:%E*S%Ez", text, &t, &err)) return t;
  if (absl::ParseTime("%Y-%m-%d %H:%M:%E*S", text, absl::UTCTimeZone(), &t, &err)) return t;
  spdlog::error("cannot parse timestamp '{}' from Postgres: {}", text, err);
  return absl::InfinitePast();
}

std::string BytesOf(const pqxx::field& f) {
  if (f.is_null()) return {};
  return pqxx::binarystring(f).str();
}

std::string TextArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::string HexArray(const std::vector<std::string>& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "{";
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i) out += ',';
    out.reserve(out.size() + bytes[i].size() * 2 + 2);
    for (unsigned char c : bytes[i]) {
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
    if (bytes[i].empty()) out += "\"\"";
  }
  return out + "}";
}

}  // namespace stellenwerk::pg
