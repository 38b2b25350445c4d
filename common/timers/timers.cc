#include "common/timers/timers.h"

#include "absl/strings/str_cat.h"
#include "common/logging/log.h"

namespace stellenwerk::timers {

namespace {

// The after-commit work registered by the handler running in this thread, if any.
thread_local std::vector<AfterCommitFn>* current_after_commit = nullptr;

}  // namespace

void Schedule(pqxx::work& tx, std::string_view kind, std::string_view key, absl::Time due_at,
              const std::string& payload) {
  tx.exec_params(
      "INSERT INTO timers (kind, key, due_at, payload) VALUES ($1, $2, $3::timestamptz, $4)"
      " ON CONFLICT (kind, key) DO UPDATE SET due_at = EXCLUDED.due_at,"
      " payload = EXCLUDED.payload, attempts = 0, last_error = NULL",
      std::string(kind), std::string(key), pg::ToPgTimestamp(due_at), pg::Bytes(payload));
}

void Cancel(pqxx::work& tx, std::string_view kind, std::string_view key) {
  tx.exec_params("DELETE FROM timers WHERE kind = $1 AND key = $2", std::string(kind),
                 std::string(key));
}

Scheduler::Scheduler(SchedulerOptions options, pg::Pool& db, const Clock& clock)
    : options_(options), db_(db), clock_(clock) {}

Scheduler::~Scheduler() { Stop(); }

void Scheduler::On(std::string kind, TimerHandler handler) {
  handlers_[std::move(kind)] = std::move(handler);
}

void Scheduler::OnBatch(std::string kind, BatchTimerHandler handler) {
  batch_handlers_[std::move(kind)] = std::move(handler);
}

void Scheduler::AfterCommit(AfterCommitFn fn) {
  if (current_after_commit == nullptr) {
    fn();
    return;
  }
  current_after_commit->push_back(std::move(fn));
}

void Scheduler::Start() {
  stopping_ = false;
  thread_ = std::thread([this] { Run(); });
}

void Scheduler::Stop() {
  stopping_ = true;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Scheduler::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

absl::StatusOr<int> Scheduler::RunOnce() {
  int total = 0;
  for (bool full = true; full;) {
    auto n = RunBatch(&full);
    if (!n.ok()) return n.status();
    total += *n;
  }
  return total;
}

absl::StatusOr<int> Scheduler::RunBatch(bool* full) {
  const absl::Time now = clock_.Now();
  int fired = 0;
  int claimed = 0;
  std::vector<AfterCommitFn> after_commit;  // of the timers whose effect stays
  absl::Status status = db_.Transact([&](pqxx::work& tx) -> absl::Status {
    fired = 0;
    after_commit.clear();  // a retried transaction starts over
    auto rows = tx.exec_params(
        "SELECT id, kind, key, micros(due_at), payload, attempts FROM timers"
        " WHERE due_at <= $1::timestamptz ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED",
        pg::ToPgTimestamp(now), options_.batch_size);
    claimed = static_cast<int>(rows.size());
    // Kinds with a batch handler are applied together, one group per kind; the others one
    // by one, each in its own savepoint: one failing timer must not undo the others.
    std::map<std::string, std::vector<Timer>> groups;
    for (const auto& row : rows) {
      Timer t{row[0].as<int64_t>(),   row[1].as<std::string>(), row[2].as<std::string>(),
              pg::FromMicros(row[3]), pg::BytesOf(row[4]),      row[5].as<int>()};
      if (batch_handlers_.count(t.kind) != 0) {
        groups[t.kind].push_back(std::move(t));
        continue;
      }
      auto handler = handlers_.find(t.kind);
      absl::Status effect =
          handler == handlers_.end()
              ? absl::NotFoundError(absl::StrCat("no handler for timer kind ", t.kind))
              : Apply(
                    tx, {t},
                    [&](pqxx::work& w, const std::vector<Timer>& one) {
                      return handler->second(w, one.front());
                    },
                    &after_commit);
      if (effect.ok()) {
        ++fired;
        continue;
      }
      if (effect.code() == absl::StatusCode::kUnavailable) return effect;
      Retry(tx, t, effect, now);
    }
    for (const auto& [kind, group] : groups) {
      const BatchTimerHandler& handler = batch_handlers_.at(kind);
      absl::Status effect = Apply(tx, group, handler, &after_commit);
      if (effect.ok()) {
        fired += static_cast<int>(group.size());
        continue;
      }
      if (effect.code() == absl::StatusCode::kUnavailable) return effect;
      if (group.size() > 1) {
        spdlog::warn("timer batch {} x{} failed ({}); applying one by one", kind, group.size(),
                     effect.message());
      }
      for (const Timer& t : group) {
        absl::Status one = group.size() == 1 ? effect : Apply(tx, {t}, handler, &after_commit);
        if (one.ok()) {
          ++fired;
          continue;
        }
        if (one.code() == absl::StatusCode::kUnavailable) return one;
        Retry(tx, t, one, now);
      }
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  for (auto& fn : after_commit) {
    try {
      fn();
    } catch (const std::exception& e) {
      spdlog::error("timer after-commit action failed: {}", e.what());
    }
  }
  fired_ += fired;
  *full = claimed == options_.batch_size;
  return fired;
}

absl::Status Scheduler::Apply(pqxx::work& tx, const std::vector<Timer>& timers,
                              const BatchTimerHandler& handler,
                              std::vector<AfterCommitFn>* after_commit) {
  // Plain SQL savepoints: libpqxx 6 opens a subtransaction lazily, which would miss the
  // handler's statements.
  tx.exec("SAVEPOINT timer");
  absl::Status effect;
  std::vector<AfterCommitFn> registered;
  current_after_commit = &registered;
  try {
    effect = handler(tx, timers);
  } catch (const std::exception& e) {
    effect = pg::StatusFromException(e);
  }
  current_after_commit = nullptr;
  if (!effect.ok()) {
    tx.exec("ROLLBACK TO SAVEPOINT timer");
    return effect;
  }
  // Only timers the handler did not move (e.g. a deadline extended meanwhile).
  if (timers.size() == 1) {
    tx.exec_params("DELETE FROM timers WHERE id = $1 AND due_at = $2::timestamptz",
                   timers.front().id, pg::ToPgTimestamp(timers.front().due_at));
  } else {
    std::vector<int64_t> ids;
    std::vector<std::string> dues;
    for (const Timer& t : timers) {
      ids.push_back(t.id);
      dues.push_back(pg::ToPgTimestamp(t.due_at));
    }
    tx.exec_params(
        "DELETE FROM timers t USING unnest($1::bigint[], $2::timestamptz[]) AS d(id, due_at)"
        " WHERE t.id = d.id AND t.due_at = d.due_at",
        pg::IntArray(ids), pg::TextArray(dues));
  }
  tx.exec("RELEASE SAVEPOINT timer");
  for (auto& fn : registered) after_commit->push_back(std::move(fn));
  return absl::OkStatus();
}

void Scheduler::Retry(pqxx::work& tx, const Timer& t, const absl::Status& error, absl::Time now) {
  // Back off exponentially so a broken timer does not spin, and keep the reason.
  const absl::Duration delay =
      std::min(absl::Seconds(1) * (1 << std::min(t.attempts, 16)), options_.max_retry_delay);
  spdlog::error("timer {}/{} failed (attempt {}): {}", t.kind, t.key, t.attempts + 1,
                error.message());
  tx.exec_params(
      "UPDATE timers SET attempts = attempts + 1, last_error = $2,"
      " due_at = $3::timestamptz WHERE id = $1",
      t.id, std::string(error.message()), pg::ToPgTimestamp(now + delay));
}

void Scheduler::Run() {
  while (!stopping_) {
    bool full = false;
    auto n = RunBatch(&full);
    if (!n.ok()) {
      spdlog::warn("timer scheduler: {}", n.status().message());
    } else if (full) {
      continue;  // more may be due
    }
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, absl::ToChronoMilliseconds(options_.poll_interval),
                 [this] { return woken_ || stopping_.load(); });
    woken_ = false;
  }
}

}  // namespace stellenwerk::timers
