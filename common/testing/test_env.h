#pragma once
// Helpers for tests that need the real infrastructure started by scripts/test. Each test
// uses its own tenant / schema names, so tests never see each other's data.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/amqp/connection.h"
#include "common/config/runtime_config.h"
#include "common/pg/migrations.h"
#include "common/pg/pool.h"
#include "gtest/gtest.h"

namespace stellenwerk::testing {

struct TestInfra {
  std::string pg_uri;
  std::string amqp_uri;
  std::string redis_addr;
  std::string infra_script;  // scripts/lib/infra.sh with the test stack's STW_* env
  std::string smtp_dir;
  std::string jwt_secret;
  std::string build_dir;

  // nullopt when STELLENWERK_TEST_PG_URI etc. are not set (not run through scripts/test).
  static std::optional<TestInfra> FromEnv();

  // Runs "<infra_script> <command>" (e.g. stop-rabbitmq); returns its exit status.
  int Run(const std::string& command) const;
};

// True when the environment says CI=true (or CI=1): there a skipped test is a failure, since
// a suite that skips what it cannot run would report green for tests that never ran.
bool InCi();

// Skips the current test with `reason` (a string); under CI=true fails it instead. Use it in
// place of GTEST_SKIP for "the environment lacks something". (switch: no dangling else.)
#define STW_SKIP(reason)                                                        \
  switch (0)                                                                    \
  case 0:                                                                       \
  default:                                                                      \
    if (::stellenwerk::testing::InCi())                                         \
      GTEST_FAIL() << "CI=true, so this test may not be skipped: " << (reason); \
    else                                                                        \
      GTEST_SKIP() << (reason)

// Skips the current test unless the infrastructure is there (fails under CI=true).
#define STW_REQUIRE_INFRA(infra)                                        \
  auto infra##_opt = ::stellenwerk::testing::TestInfra::FromEnv();      \
  if (!infra##_opt) {                                                   \
    STW_SKIP("needs scripts/test infrastructure (STELLENWERK_TEST_*)"); \
  }                                                                     \
  const ::stellenwerk::testing::TestInfra& infra = *infra##_opt

// A name unique to this process and call, e.g. "t_postings_3f2a9c".
std::string UniqueName(std::string_view prefix);

// RuntimeConfig for an in-process service on a free port, with its own schema.
config::RuntimeConfig TestRuntimeConfig(const TestInfra& infra, std::string schema);

// A pool on a fresh schema with the platform tables (and `extra` migrations) applied.
std::unique_ptr<pg::Pool> MigratedPool(const TestInfra& infra, const std::string& schema,
                                       const std::vector<pg::Migration>& extra = {});

// HS256 token for the test stack's secret; `issuer` sets the optional "iss" claim (subjects
// are unique only per issuer).
std::string Token(const TestInfra& infra, std::string tenant, std::vector<std::string> roles,
                  std::string sub = "test-user", std::string issuer = "");

// Polls until pred() is true or the timeout passes; returns the last pred() value.
bool WaitFor(const std::function<bool()>& pred, absl::Duration timeout,
             absl::Duration interval = absl::Milliseconds(20));

// A queue of the test's own bound to event types, to observe what services publish.
class EventTap {
 public:
  EventTap(const TestInfra& infra, std::vector<std::string> binding_keys);
  ~EventTap();
  // Collects messages until `count` arrived or the timeout passed.
  std::vector<amqp::Delivery> Collect(size_t count, absl::Duration timeout);
  // Everything that arrives within `quiet` of silence.
  std::vector<amqp::Delivery> Drain(absl::Duration quiet);
  // Everything in the queue now, without waiting for more. Once the publishers' outboxes are
  // empty (ServiceUnderTest::WaitForOutbox) that is everything they published: "exactly
  // once" and "never" are then counted, not hoped for after a quiet period.
  std::vector<amqp::Delivery> TakeQueued();

 private:
  bool Connect();
  std::optional<amqp::Delivery> Next();

  std::string amqp_uri_;
  std::string queue_;
  std::vector<std::string> keys_;
  std::unique_ptr<amqp::Connection> conn_;
};

}  // namespace stellenwerk::testing
