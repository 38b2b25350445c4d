#include "services/postings/app.h"

#include <cstdlib>
#include <string_view>

#include "common/pg/migrations.h"
#include "services/postings/adapters/deadline_timer.h"

namespace stellenwerk::pg {
const std::vector<Migration>& PostingsMigrations();
}

namespace stellenwerk::postings {

PostingsApp::PostingsApp(config::RuntimeConfig config) : runtime_(std::move(config)) {}

absl::Status PostingsApp::Init() {
  if (absl::Status s = runtime_.Init(pg::PostingsMigrations()); !s.ok()) return s;
  store_ = std::make_unique<PgPostingStore>(runtime_.db(), runtime_.schema(), runtime_.clock());
  // The in-memory search replica (docs/decisions/0013); STELLENWERK_SEARCH_REPLICA=0 turns it
  // off, e.g. to measure the database path.
  const char* replica = std::getenv("STELLENWERK_SEARCH_REPLICA");
  if (replica == nullptr || std::string_view(replica) != "0") {
    search_ = std::make_unique<SearchReplica>(runtime_.db(), absl::Milliseconds(200));
    search_->Start();
  }
  service_ =
      std::make_unique<PostingService>(*store_, runtime_.cache(), runtime_.clock(), search_.get());
  grpc_ = std::make_unique<PostingGrpcService>(runtime_, *service_);
  runtime_.AddService(grpc_.get(), v1::PostingService::service_full_name());

  RegisterDeadlineTimer(runtime_.timers(), *store_, *service_, runtime_.clock());
  return absl::OkStatus();
}

}  // namespace stellenwerk::postings
