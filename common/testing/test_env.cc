#include "common/testing/test_env.h"

#include <atomic>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/auth/jwt.h"
#include "common/ids/uuid.h"

namespace stellenwerk::testing {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

}  // namespace

bool InCi() {
  const std::string ci = Env("CI");
  return ci == "true" || ci == "1";
}

std::optional<TestInfra> TestInfra::FromEnv() {
  TestInfra t;
  t.pg_uri = Env("STELLENWERK_TEST_PG_URI");
  t.amqp_uri = Env("STELLENWERK_TEST_AMQP_URI");
  t.redis_addr = Env("STELLENWERK_TEST_REDIS_ADDR");
  t.infra_script = Env("STELLENWERK_TEST_INFRA");
  t.smtp_dir = Env("STELLENWERK_TEST_SMTP_DIR");
  t.jwt_secret = Env("STELLENWERK_JWT_HS256_SECRET");
  t.build_dir = Env("STELLENWERK_BUILD_DIR");
  if (t.pg_uri.empty() || t.amqp_uri.empty()) return std::nullopt;
  if (t.jwt_secret.empty()) t.jwt_secret = "test-secret-test-secret-test-secret-0123456789";
  return t;
}

int TestInfra::Run(const std::string& command) const {
  if (infra_script.empty()) return -1;
  const std::string line = absl::StrCat(infra_script, " ", command, " >/dev/null 2>&1");
  const int rc = std::system(line.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string UniqueName(std::string_view prefix) {
  static std::atomic<int> counter{0};
  return absl::StrCat(absl::string_view(prefix.data(), prefix.size()), "_",
                      ids::NewUuid().substr(0, 8), counter++);
}

config::RuntimeConfig TestRuntimeConfig(const TestInfra& infra, std::string schema) {
  config::RuntimeConfig c;
  c.service = std::move(schema);
  c.bind = "127.0.0.1";
  c.grpc_port = 0;
  c.metrics_port = 0;
  c.pg_uri = infra.pg_uri;
  c.pg_pool_size = 8;
  c.amqp_uri = infra.amqp_uri;
  if (!infra.redis_addr.empty()) {
    const auto colon = infra.redis_addr.rfind(':');
    c.redis_host = infra.redis_addr.substr(0, colon);
    c.redis_port = std::atoi(infra.redis_addr.substr(colon + 1).c_str());
  }
  c.jwt_hs256_secret = infra.jwt_secret;
  c.workers = 8;
  c.shutdown_grace = absl::Seconds(2);
  c.outbox_poll = absl::Milliseconds(200);
  c.timer_poll = absl::Milliseconds(100);
  return c;
}

std::unique_ptr<pg::Pool> MigratedPool(const TestInfra& infra, const std::string& schema,
                                       const std::vector<pg::Migration>& extra) {
  absl::Status s = pg::ApplyMigrations(infra.pg_uri, schema,
                                       {{"platform", &pg::PlatformMigrations()}, {"test", &extra}});
  EXPECT_TRUE(s.ok()) << s;
  return std::make_unique<pg::Pool>(
      pg::PoolOptions{.uri = infra.pg_uri, .schema = schema, .size = 8});
}

std::string Token(const TestInfra& infra, std::string tenant, std::vector<std::string> roles,
                  std::string sub, std::string issuer) {
  auth::Claims claims;
  claims.sub = std::move(sub);
  claims.issuer = std::move(issuer);
  claims.tenant = std::move(tenant);
  claims.roles = std::move(roles);
  claims.issued_at = absl::Now();
  claims.expires = absl::Now() + absl::Hours(1);
  return auth::SignHs256(claims, infra.jwt_secret);
}

bool WaitFor(const std::function<bool()>& pred, absl::Duration timeout, absl::Duration interval) {
  const absl::Time until = absl::Now() + timeout;
  for (;;) {
    if (pred()) return true;
    if (absl::Now() >= until) return pred();
    absl::SleepFor(interval);
  }
}

EventTap::EventTap(const TestInfra& infra, std::vector<std::string> binding_keys)
    : amqp_uri_(infra.amqp_uri), queue_(UniqueName("test.tap")), keys_(std::move(binding_keys)) {
  EXPECT_TRUE(Connect()) << "cannot open AMQP for the event tap";
}

EventTap::~EventTap() = default;

bool EventTap::Connect() {
  conn_.reset();
  auto conn = amqp::Connection::Open(amqp_uri_, absl::Seconds(5));
  if (!conn.ok()) return false;
  if (!(*conn)->DeclareTopology().ok()) return false;
  if (!(*conn)->DeclareQueue(amqp::QueueSpec{queue_, keys_, "classic"}).ok()) return false;
  conn_ = *std::move(conn);
  return true;
}

std::optional<amqp::Delivery> EventTap::Next() {
  // The tap's queue is durable, so it outlives broker restarts: reconnect and go on.
  if (conn_ == nullptr && !Connect()) return std::nullopt;
  auto d = conn_->Get(queue_, /*ack=*/true);
  if (!d.ok()) {
    conn_.reset();
    return std::nullopt;
  }
  return *std::move(d);
}

std::vector<amqp::Delivery> EventTap::Collect(size_t count, absl::Duration timeout) {
  std::vector<amqp::Delivery> out;
  const absl::Time until = absl::Now() + timeout;
  while (out.size() < count && absl::Now() < until) {
    if (auto d = Next()) {
      out.push_back(*std::move(d));
    } else {
      absl::SleepFor(absl::Milliseconds(20));
    }
  }
  return out;
}

std::vector<amqp::Delivery> EventTap::Drain(absl::Duration quiet) {
  std::vector<amqp::Delivery> out;
  absl::Time last = absl::Now();
  while (absl::Now() - last < quiet) {
    if (auto d = Next()) {
      out.push_back(*std::move(d));
      last = absl::Now();
    } else {
      absl::SleepFor(absl::Milliseconds(20));
    }
  }
  return out;
}

std::vector<amqp::Delivery> EventTap::TakeQueued() {
  std::vector<amqp::Delivery> out;
  // Only an empty answer from the broker ends it; a lost connection is opened again.
  for (const absl::Time until = absl::Now() + absl::Seconds(30); absl::Now() < until;) {
    if (conn_ == nullptr && !Connect()) {
      absl::SleepFor(absl::Milliseconds(100));
      continue;
    }
    auto d = conn_->Get(queue_, /*ack=*/true);
    if (!d.ok()) {
      conn_.reset();
      continue;
    }
    if (!d->has_value()) return out;
    out.push_back(**std::move(d));
  }
  ADD_FAILURE() << "the event tap could not read its queue " << queue_ << " to the end";
  return out;
}

}  // namespace stellenwerk::testing
