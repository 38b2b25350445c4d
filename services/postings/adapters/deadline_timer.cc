#include "services/postings/adapters/deadline_timer.h"

namespace stellenwerk::postings {

void RegisterDeadlineTimer(timers::Scheduler& timers, PgPostingStore& store,
                           PostingService& service, const Clock& clock) {
  timers.On(
      kDeadlineTimerKind, [&store, &service, &clock](pqxx::work& tx, const timers::Timer& timer) {
        const absl::Time now = clock.Now();
        auto closed = store.ApplyInTransaction(
            tx, Actor::System("deadline", "", ""), timer.key, [now](const v1::Posting& current) {
              return PostingService::CloseByDeadline(current, now);
            });
        if (!closed.ok()) {
          // A posting that no longer exists has nothing left to close.
          return closed.status().code() == absl::StatusCode::kNotFound ? absl::OkStatus()
                                                                       : closed.status();
        }
        if (closed->status() == v1::CLOSED) {
          timers::Scheduler::AfterCommit(
              [&service, posting = *std::move(closed)] { service.Committed(posting); });
        }
        return absl::OkStatus();
      });
}

}  // namespace stellenwerk::postings
