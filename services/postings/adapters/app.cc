#include "services/postings/app.h"

#include "common/pg/migrations.h"

namespace stellenwerk::pg {
const std::vector<Migration>& PostingsMigrations();
}

namespace stellenwerk::postings {

PostingsApp::PostingsApp(config::RuntimeConfig config) : runtime_(std::move(config)) {}

absl::Status PostingsApp::Init() {
  if (absl::Status s = runtime_.Init(pg::PostingsMigrations()); !s.ok()) return s;
  store_ = std::make_unique<PgPostingStore>(runtime_.db(), runtime_.schema(), runtime_.clock());
  service_ = std::make_unique<PostingService>(*store_, runtime_.cache(), runtime_.clock());
  grpc_ = std::make_unique<PostingGrpcService>(runtime_, *service_);
  runtime_.AddService(grpc_.get(), v1::PostingService::service_full_name());

  // The deadline closes the posting by itself (DOMAIN.md), exactly once, also after restarts.
  runtime_.timers().On(kDeadlineTimerKind, [this](pqxx::work& tx, const timers::Timer& timer) {
    const absl::Time now = runtime_.clock().Now();
    auto closed = store_->ApplyInTransaction(
        tx, Actor{"system:deadline", "", ""}, timer.key,
        [now](const v1::Posting& current) { return PostingService::CloseByDeadline(current, now); });
    if (!closed.ok()) {
      // A posting that no longer exists has nothing left to close.
      return closed.status().code() == absl::StatusCode::kNotFound ? absl::OkStatus()
                                                                    : closed.status();
    }
    int64_t version = 0;
    // Safe before commit: the tombstone carries the new version, so no older copy comes back.
    if (absl::SimpleAtoi(closed->etag(), &version)) {
      runtime_.cache().Invalidate(PostingService::CacheKey(closed->id()), version);
    }
    return absl::OkStatus();
  });
  return absl::OkStatus();
}

}  // namespace stellenwerk::postings
