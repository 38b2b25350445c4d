// The per-service RabbitMQ users of deploy/k8s/infra/rabbitmq.yaml, applied to a real broker:
// each service's permissions allow exactly what common/amqp does for that service (declare the
// exchanges and its queues, bind, publish with confirms, consume, dead-letter, read the parking
// queue) and refuse another service's queue. The permissions are read from the rendered
// manifests (validate_deploy.py --rabbitmq-permissions), so the test follows deploy/.
// The vhost, users and permissions are made by one `rabbitmqctl import_definitions` and removed
// by one `rabbitmqctl eval` (each rabbitmqctl call starts an Erlang VM: about a second).

#include <array>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/amqp/connection.h"
#include "common/ids/uuid.h"
#include "common/testing/test_env.h"
#include "gtest/gtest.h"

namespace stellenwerk::amqp {
namespace {

using testing::UniqueName;

struct Permission {
  std::string service, configure, write, read;
};

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// stdout of a shell command; empty on failure.
std::string Output(const std::string& command, int* status) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return out;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int rc = pclose(p);
  *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  return out;
}

class AmqpPermissionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto infra = testing::TestInfra::FromEnv();
    if (!infra || infra->infra_script.empty()) STW_SKIP("needs scripts/test infrastructure");
    infra_ = *infra;
    // scripts/lib/infra.sh and validate_deploy.py live side by side.
    const std::string lib = infra_.infra_script.substr(0, infra_.infra_script.rfind('/'));
    int status = -1;
    const std::string out =
        Output(absl::StrCat("python3 ", Quote(lib + "/validate_deploy.py"), " --root ",
                            Quote(lib + "/../.."), " --rabbitmq-permissions"),
               &status);
    ASSERT_EQ(status, 0) << out;
    for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
      std::vector<std::string> f = absl::StrSplit(line, '\t');
      ASSERT_EQ(f.size(), 4u) << line;
      permissions_.push_back({f[0], f[1], f[2], f[3]});
    }
    // A vhost of this test's own: the users' queues there never meet the services' queues
    // of the other tests (permissions are per vhost, the patterns are the same). One user per
    // service with the manifest's permissions there, all in one definitions import.
    vhost_ = UniqueName("permtest");
    std::string users, grants;
    for (const auto& p : permissions_) {
      const std::string user = UniqueName("stw_" + p.service);
      const std::string password = ids::NewUuid();
      users_.push_back(user);
      absl::StrAppend(&users, users.empty() ? "" : ",", "{\"name\":", Json(user),
                      ",\"password\":", Json(password), ",\"tags\":\"\"}");
      absl::StrAppend(&grants, grants.empty() ? "" : ",", "{\"user\":", Json(user),
                      ",\"vhost\":", Json(vhost_), ",\"configure\":", Json(p.configure),
                      ",\"write\":", Json(p.write), ",\"read\":", Json(p.read), "}");
      // amqp://guest:guest@127.0.0.1:PORT/ -> amqp://user:password@127.0.0.1:PORT/<vhost>
      const std::string& uri = infra_.amqp_uri;
      const size_t at = uri.find('@');
      const size_t slash = uri.find('/', at);
      uris_[p.service] =
          absl::StrCat("amqp://", user, ":", password, uri.substr(at, slash - at), "/", vhost_);
    }
    const std::string definitions = ::testing::TempDir() + vhost_ + ".json";
    {
      std::ofstream f(definitions);
      f << "{\"vhosts\":[{\"name\":" << Json(vhost_) << "}],\"users\":[" << users
        << "],\"permissions\":[" << grants << "]}";
    }
    const int imported = Rabbitmqctl({"import_definitions", definitions});
    std::remove(definitions.c_str());
    ASSERT_EQ(imported, 0) << "rabbitmqctl import_definitions " << definitions;
  }

  void TearDown() override {
    if (vhost_.empty()) return;
    // The users and the vhost (with its queues and permissions) in one call; a user or the
    // vhost that cannot be deleted fails the match, and so the call.
    std::string users;
    for (const auto& u : users_)
      absl::StrAppend(&users, users.empty() ? "" : ",", "<<\"", u, "\">>");
    EXPECT_EQ(Rabbitmqctl({"eval", absl::StrCat("[ok = rabbit_auth_backend_internal:delete_user(U, "
                                                "<<\"test\">>) || U <- [",
                                                users, "]], ", "ok = rabbit_vhost:delete(<<\"",
                                                vhost_, "\">>, <<\"test\">>).")}),
              0);
  }

  // A JSON string (the names, patterns and passwords here need only \ and " escaped).
  static std::string Json(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    return out + "\"";
  }

  int Rabbitmqctl(const std::vector<std::string>& args) {
    std::string line = "rabbitmqctl";
    for (const auto& a : args) absl::StrAppend(&line, " ", Quote(a));
    return infra_.Run(line);
  }

  testing::TestInfra infra_;
  std::vector<Permission> permissions_;
  std::vector<std::string> users_;
  std::map<std::string, std::string> uris_;  // service -> its user's URI (on vhost_)
  std::string vhost_;
};

TEST_F(AmqpPermissionsTest, EachServiceUserCanDoWhatItsServiceDoesAndNoMore) {
  ASSERT_GE(permissions_.size(), 5u) << "a Permission per AMQP-using service expected";
  for (const auto& p : permissions_) {
    SCOPED_TRACE(p.service);
    const std::string& uri = uris_[p.service];
    auto conn = Connection::Open(uri, absl::Seconds(5));
    ASSERT_TRUE(conn.ok()) << conn.status();
    Connection& mq = **conn;
    // What runtime/outbox/consumer do, in their order.
    ASSERT_TRUE(mq.DeclareTopology().ok());
    const std::string queue = "stellenwerk." + p.service;
    const std::string key = "test." + p.service + ".permission.v1";
    absl::Status declared = mq.DeclareQueue(QueueSpec{queue, {key}, "classic"});
    ASSERT_TRUE(declared.ok()) << declared;
    ASSERT_TRUE(mq.EnableConfirms().ok());
    Message m;
    m.message_id = ids::NewUuid();
    m.type = key;
    m.tenant_id = "t";
    m.timestamp = absl::Now();
    m.body = "x";
    ASSERT_TRUE(mq.PublishConfirmed({m}, absl::Seconds(5)).ok());
    ASSERT_TRUE(mq.StartConsuming(queue, 10).ok());
    auto d = mq.NextDelivery(absl::Seconds(5));
    ASSERT_TRUE(d.ok()) << d.status();
    ASSERT_TRUE(d->has_value());
    EXPECT_EQ((*d)->message.message_id, m.message_id);
    // A poison message is dead-lettered by rejecting it; the parking queue holds it.
    ASSERT_TRUE(mq.Reject((*d)->delivery_tag, /*requeue=*/false).ok());
    std::optional<Delivery> parked;
    ASSERT_TRUE(testing::WaitFor(
        [&] {
          auto g = mq.Get(queue + ".dead", /*ack=*/true);
          if (g.ok() && g->has_value()) parked = **g;
          return parked.has_value();
        },
        absl::Seconds(5)));
    EXPECT_EQ(parked->message.message_id, m.message_id);
  }
  // Another service's queue (each exists now): neither declared nor read nor bound (each on a
  // fresh connection: a refusal closes the channel).
  for (const auto& p : permissions_) {
    SCOPED_TRACE(p.service);
    const std::string other = p.service == "postings" ? "applications" : "postings";
    const std::string& uri = uris_[p.service];
    {
      auto c = Connection::Open(uri, absl::Seconds(5));
      ASSERT_TRUE(c.ok());
      absl::Status s = (*c)->DeclareQueue(QueueSpec{"stellenwerk." + other, {}, "classic"});
      EXPECT_FALSE(s.ok()) << "declared another service's queue";
      EXPECT_NE(s.message().find("ACCESS_REFUSED"), std::string::npos) << s;
    }
    {
      auto c = Connection::Open(uri, absl::Seconds(5));
      ASSERT_TRUE(c.ok());
      auto g = (*c)->Get("stellenwerk." + other, /*ack=*/false);
      ASSERT_FALSE(g.ok()) << "read another service's queue";
      EXPECT_NE(g.status().message().find("ACCESS_REFUSED"), std::string::npos) << g.status();
    }
    {
      auto c = Connection::Open(uri, absl::Seconds(5));
      ASSERT_TRUE(c.ok());
      absl::Status s = (*c)->Bind("stellenwerk." + other, kEventsExchange, "#");
      EXPECT_FALSE(s.ok()) << "bound another service's queue to every event";
      EXPECT_NE(s.message().find("ACCESS_REFUSED"), std::string::npos) << s;
    }
  }
}

}  // namespace
}  // namespace stellenwerk::amqp
