// The deadline timer against the real PostgreSQL: the caches hear of the close only after it
// committed, so no reader can re-cache the still-published posting under the new generation.
#include <vector>

#include "common/pg/migrations.h"
#include "common/testing/test_env.h"
#include "common/time/berlin_calendar.h"
#include "gtest/gtest.h"
#include "services/postings/adapters/deadline_timer.h"
#include "services/postings/tests/postings_testing.h"

namespace stellenwerk::pg {
const std::vector<Migration>& PostingsMigrations();
}

namespace stellenwerk::postings {
namespace {

// Records, at each invalidation, the status that another connection sees in search.
class SpyCache final : public cache::Cache {
 public:
  explicit SpyCache(pg::Pool& observer) : observer_(observer) {}
  std::string posting_id;
  std::vector<std::string> search_status_at_bump;
  std::vector<std::string> search_status_at_invalidate;

  std::optional<std::string> Get(std::string_view) override { return std::nullopt; }
  void Put(std::string_view, int64_t, std::string_view, absl::Duration) override {}
  void Invalidate(std::string_view, int64_t) override {
    search_status_at_invalidate.push_back(Status());
  }
  std::optional<int64_t> Generation(std::string_view) override { return std::nullopt; }
  void BumpGeneration(std::string_view) override { search_status_at_bump.push_back(Status()); }

 private:
  std::string Status() {
    if (posting_id.empty()) return "";
    std::string status = "?";
    EXPECT_TRUE(observer_
                    .Read([&](pqxx::work& tx) {
                      status = tx.exec_params1(
                                     "SELECT status FROM posting_search"
                                     " WHERE posting_id = $1::uuid",
                                     posting_id)[0]
                                   .as<std::string>();
                      return absl::OkStatus();
                    })
                    .ok());
    return status;
  }
  pg::Pool& observer_;
};

TEST(DeadlineTimerTest, CachesAreInvalidatedOnlyAfterTheCloseCommitted) {
  STW_REQUIRE_INFRA(infra);
  const std::string schema = testing::UniqueName("t_postings_deadline");
  auto pool = testing::MigratedPool(infra, schema, pg::PostingsMigrations());
  auto observer = testing::MigratedPool(infra, schema, pg::PostingsMigrations());
  FakeClock clock(calendar::StartOfDay(absl::CivilDay(2024, 10, 1)) + absl::Hours(10));
  SpyCache cache(*observer);
  PgPostingStore store(*pool, schema, clock);
  PostingService service(store, cache, clock);
  timers::Scheduler timers({}, *pool, clock);
  RegisterDeadlineTimer(timers, store, service, clock);

  const auth::Principal hr{"hr-1", testing::UniqueName("stadt"), {"hr_clerk"}};
  v1::CreatePostingRequest create;
  *create.mutable_posting() = HernePosting();
  auto created = service.Create(hr, "c-1", create);
  ASSERT_TRUE(created.ok()) << created.status();
  v1::PublishPostingRequest publish;
  publish.set_id(created->id());
  ASSERT_TRUE(service.Publish(hr, "c-2", publish).ok());
  cache.posting_id = created->id();
  cache.search_status_at_bump.clear();
  cache.search_status_at_invalidate.clear();

  clock.Set(calendar::StartOfDay(absl::CivilDay(2024, 10, 21)));  // 24:00 of the deadline
  auto fired = timers.RunOnce();
  ASSERT_TRUE(fired.ok()) << fired.status();
  EXPECT_EQ(*fired, 1);
  EXPECT_EQ(cache.search_status_at_bump, std::vector<std::string>{"CLOSED"});
  EXPECT_EQ(cache.search_status_at_invalidate, std::vector<std::string>{"CLOSED"});
}

}  // namespace
}  // namespace stellenwerk::postings
