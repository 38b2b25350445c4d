// Migration 0004 (decision 0042) on the real PostgreSQL: the facts of applications erased
// before it (application_id cut, still one row per posting) are folded into the tenant's yearly
// totals — by the Berlin year of submission and of hire — and their rows removed; facts of
// applications that still exist are left as they are.
#include "common/testing/test_env.h"
#include "gtest/gtest.h"

namespace stellenwerk::pg {
const std::vector<Migration>& ApplicationsMigrations();
}

namespace stellenwerk::applications {
namespace {

using testing::UniqueName;

int64_t Value(pg::Pool& pool, const std::string& sql) {
  int64_t n = -1;
  EXPECT_TRUE(pool.Read([&](pqxx::work& tx) {
                    auto r = tx.exec(sql);
                    n = r.empty() || r[0][0].is_null() ? -1 : r[0][0].as<int64_t>();
                    return absl::OkStatus();
                  })
                  .ok());
  return n;
}

TEST(ErasedFactsMigrationTest, ErasedPerPostingFactsBecomeYearlyTotalsAndTheirRowsGo) {
  STW_REQUIRE_INFRA(infra);
  const std::string schema = UniqueName("t_apps_facts");
  const auto& all = pg::ApplicationsMigrations();
  std::vector<pg::Migration> before;
  for (const auto& m : all) {
    if (m.version < 4) before.push_back(m);
  }
  ASSERT_EQ(before.size(), 3u);
  auto pool = testing::MigratedPool(infra, schema, before);
  // Three erased facts of tenant t: two of one posting in 2024 (one severely disabled woman,
  // hired 10 days later on 2025-01-03 Berlin — so her hire counts in 2025), one submitted at
  // 2024-12-31 23:30 UTC = 2025-01-01 00:30 Berlin (year 2025). One live fact (not erased).
  ASSERT_TRUE(pool->Transact([&](pqxx::work& tx) {
                    tx.exec(
                        "INSERT INTO application_facts (application_id, tenant_id, posting_id,"
                        " submitted_at, hired_at, female, severely_disabled) VALUES"
                        " (NULL, 't', '00000000-0000-4000-8000-00000000000a',"
                        "  '2024-12-24 00:00+01', '2025-01-03 00:00+01', true, true),"
                        " (NULL, 't', '00000000-0000-4000-8000-00000000000a',"
                        "  '2024-06-01 00:00+02', NULL, false, false),"
                        " (NULL, 't', '00000000-0000-4000-8000-00000000000b',"
                        "  '2024-12-31 23:30+00', NULL, true, false),"
                        " ('00000000-0000-4000-8000-0000000000ff', 't',"
                        "  '00000000-0000-4000-8000-00000000000a', '2024-05-05 10:00+02', NULL,"
                        "  true, true)");
                    return absl::OkStatus();
                  })
                  .ok());
  pool = testing::MigratedPool(infra, schema, all);  // applies 0004

  EXPECT_EQ(Value(*pool, "SELECT count(*) FROM application_facts WHERE application_id IS NULL"), 0);
  EXPECT_EQ(Value(*pool, "SELECT count(*) FROM application_facts"), 1) << "the live fact stays";
  EXPECT_EQ(Value(*pool,
                  "SELECT applications FROM erased_fact_totals WHERE tenant_id = 't'"
                  " AND year = 2024"),
            2);
  EXPECT_EQ(Value(*pool,
                  "SELECT severely_disabled_applicants FROM erased_fact_totals"
                  " WHERE tenant_id = 't' AND year = 2024"),
            1);
  EXPECT_EQ(Value(*pool,
                  "SELECT women_applicants FROM erased_fact_totals WHERE tenant_id = 't'"
                  " AND year = 2024"),
            1);
  EXPECT_EQ(Value(*pool,
                  "SELECT hires FROM erased_fact_totals WHERE tenant_id = 't'"
                  " AND year = 2024"),
            0);
  // 2025: the application submitted at 00:30 Berlin on New Year's Day, and the hire.
  EXPECT_EQ(Value(*pool,
                  "SELECT applications FROM erased_fact_totals WHERE tenant_id = 't'"
                  " AND year = 2025"),
            1);
  EXPECT_EQ(Value(*pool,
                  "SELECT hires FROM erased_fact_totals WHERE tenant_id = 't'"
                  " AND year = 2025"),
            1);
  EXPECT_EQ(Value(*pool,
                  "SELECT severely_disabled_hires FROM erased_fact_totals"
                  " WHERE tenant_id = 't' AND year = 2025"),
            1);
  EXPECT_EQ(Value(*pool,
                  "SELECT days_to_hire[1] FROM erased_fact_totals WHERE tenant_id = 't'"
                  " AND year = 2025"),
            10);
  EXPECT_EQ(Value(*pool, "SELECT count(*) FROM statistics_postings WHERE tenant_id = 't'"), 2)
      << "posting a in 2024, posting b in 2025";
  EXPECT_EQ(Value(*pool,
                  "SELECT count(*) FROM statistics_postings WHERE tenant_id = 't'"
                  " AND year = 2025 AND posting_id = '00000000-0000-4000-8000-00000000000b'"),
            1);
  // Migrating again changes nothing.
  pool = testing::MigratedPool(infra, schema, all);
  EXPECT_EQ(Value(*pool,
                  "SELECT applications FROM erased_fact_totals WHERE tenant_id = 't'"
                  " AND year = 2024"),
            2);
}

}  // namespace
}  // namespace stellenwerk::applications
