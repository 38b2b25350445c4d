#pragma once
// Durable timers (ARCHITECTURE.md "Time"): a deadline is a row, never an in-memory sleep.
// Due rows are claimed with FOR UPDATE SKIP LOCKED and deleted in the same transaction as the
// handler's effect, so with any number of replicas and across restarts each timer takes
// effect exactly once. Overdue timers fire at once after a restart.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/clock/clock.h"
#include "common/pg/pool.h"

namespace stellenwerk::timers {

struct Timer {
  int64_t id = 0;
  std::string kind;
  std::string key;  // usually the aggregate id
  absl::Time due_at;
  std::string payload;
  int attempts = 0;
};

// Creates or moves the timer (kind, key) in the caller's transaction.
void Schedule(pqxx::work& tx, std::string_view kind, std::string_view key, absl::Time due_at,
              const std::string& payload = {});
void Cancel(pqxx::work& tx, std::string_view kind, std::string_view key);

// Applies the timer's effect inside the transaction that deletes it. Handlers make their
// state change conditional (UPDATE … WHERE status = 'open') so a stale timer is harmless.
// Returning an error rolls the effect back and retries the timer later with backoff.
using TimerHandler = std::function<absl::Status(pqxx::work&, const Timer&)>;

// Applies the effect of many due timers of one kind at once (set-based SQL instead of a few
// statements per timer), in the transaction that deletes them all. Same rules as
// TimerHandler: conditional effects, an error rolls back. If the batch fails, the scheduler
// retries each timer alone (a batch of one) so one broken timer cannot hold up the others.
using BatchTimerHandler = std::function<absl::Status(pqxx::work&, const std::vector<Timer>&)>;

// Work outside the database that must wait for the handler's effect to be committed (and
// must not happen at all if it is rolled back), e.g. cache invalidation: done before the
// commit, a reader could still load and re-cache the old state in between.
using AfterCommitFn = std::function<void()>;

struct SchedulerOptions {
  int batch_size = 500;
  absl::Duration poll_interval = absl::Milliseconds(500);
  absl::Duration max_retry_delay = absl::Minutes(5);
};

class Scheduler {
 public:
  Scheduler(SchedulerOptions options, pg::Pool& db, const Clock& clock);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  void On(std::string kind, TimerHandler handler);            // before Start
  void OnBatch(std::string kind, BatchTimerHandler handler);  // before Start

  // Only from inside a handler: runs `fn` (in the scheduler's thread) once the transaction
  // that deletes the timer has committed; dropped if the handler fails or the transaction
  // rolls back. Outside a handler it runs at once.
  static void AfterCommit(AfterCommitFn fn);
  void Start();
  void Stop();
  void Wake();  // e.g. the fake clock moved

  // Fires everything due now in the calling thread (tests, benchmarks). Returns count fired.
  absl::StatusOr<int> RunOnce();

  uint64_t fired() const { return fired_.load(); }

 private:
  void Run();
  absl::StatusOr<int> RunBatch(bool* full);
  // Applies `handler` to `timers` under a savepoint; deletes the timers it took effect for.
  absl::Status Apply(pqxx::work& tx, const std::vector<Timer>& timers,
                     const BatchTimerHandler& handler, std::vector<AfterCommitFn>* after_commit);
  void Retry(pqxx::work& tx, const Timer& t, const absl::Status& error, absl::Time now);

  const SchedulerOptions options_;
  pg::Pool& db_;
  const Clock& clock_;
  std::map<std::string, TimerHandler> handlers_;
  std::map<std::string, BatchTimerHandler> batch_handlers_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> fired_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;
};

}  // namespace stellenwerk::timers
