#pragma once
// The deadline closes a published posting by itself (DOMAIN.md), exactly once, also after
// restarts: a durable timer whose handler applies PostingService::CloseByDeadline.

#include "common/clock/clock.h"
#include "common/timers/timers.h"
#include "services/postings/adapters/pg_posting_store.h"
#include "services/postings/domain/posting_service.h"

namespace stellenwerk::postings {

// Registers the handler of kDeadlineTimerKind. The caches (the posting's copy and the search
// generation) are invalidated only after the timer's transaction committed: before it, a
// reader could load the still-published state and cache it under the new generation.
void RegisterDeadlineTimer(timers::Scheduler& timers, PgPostingStore& store,
                           PostingService& service, const Clock& clock);

}  // namespace stellenwerk::postings
