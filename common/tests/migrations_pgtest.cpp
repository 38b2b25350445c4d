#include <thread>

#include "common/pg/migrations.h"
#include "common/pg/pool.h"
#include "common/testing/test_env.h"
#include "gtest/gtest.h"

namespace stellenwerk::pg {
namespace {

using testing::UniqueName;

const std::vector<Migration> kTestMigrations = {
    {1, "0001_things", "CREATE TABLE things (id int PRIMARY KEY, name text)"},
    {2, "0002_more", "ALTER TABLE things ADD COLUMN size int"},
};

int CountApplied(Pool& pool) {
  int n = -1;
  EXPECT_TRUE(
      pool.Read([&](pqxx::work& tx) {
            n = tx.exec("SELECT count(*) FROM schema_migrations WHERE component = 'test'")[0][0]
                    .as<int>();
            return absl::OkStatus();
          })
          .ok());
  return n;
}

TEST(MigrationsTest, ApplyingTwiceChangesNothingTheSecondTime) {
  STW_REQUIRE_INFRA(infra);
  const std::string schema = UniqueName("t_migr");
  const std::vector<std::pair<std::string, const std::vector<Migration>*>> components = {
      {"platform", &PlatformMigrations()}, {"test", &kTestMigrations}};
  ASSERT_TRUE(ApplyMigrations(infra.pg_uri, schema, components).ok());
  ASSERT_TRUE(ApplyMigrations(infra.pg_uri, schema, components).ok());
  Pool pool(PoolOptions{.uri = infra.pg_uri, .schema = schema, .size = 1});
  EXPECT_EQ(CountApplied(pool), 2);
  EXPECT_TRUE(pool.Transact([](pqxx::work& tx) {
                    tx.exec("INSERT INTO things (id, name, size) VALUES (1, 'a', 3)");
                    return absl::OkStatus();
                  })
                  .ok());
}

TEST(MigrationsTest, ReplicasStartingTogetherDoNotRace) {
  STW_REQUIRE_INFRA(infra);
  const std::string schema = UniqueName("t_migr_race");
  const std::vector<std::pair<std::string, const std::vector<Migration>*>> components = {
      {"platform", &PlatformMigrations()}, {"test", &kTestMigrations}};
  std::vector<absl::Status> results(4);
  std::vector<std::thread> replicas;
  for (int i = 0; i < 4; ++i) {
    replicas.emplace_back(
        [&, i] { results[i] = ApplyMigrations(infra.pg_uri, schema, components); });
  }
  for (auto& t : replicas) t.join();
  for (const auto& s : results) EXPECT_TRUE(s.ok()) << s;
  Pool pool(PoolOptions{.uri = infra.pg_uri, .schema = schema, .size = 1});
  EXPECT_EQ(CountApplied(pool), 2);
}

TEST(MigrationsTest, UnreachableDatabaseIsUnavailable) {
  const absl::Status s = ApplyMigrations("postgresql://nobody@127.0.0.1:1/none", "x",
                                         {{"platform", &PlatformMigrations()}});
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
}

}  // namespace
}  // namespace stellenwerk::pg
