// Issue 5: 1,000 concurrent submissions with RabbitMQ going away in the middle — every
// application is stored and every applications.application.submitted.v1 event is delivered.
// The service runs in-process and reaches RabbitMQ through a TcpProxy that the test cuts
// (every connection dropped, new ones refused) and restores; the observing queue is declared
// directly on the broker before anything is submitted. scripts/bench applications does the
// same with a real broker restart.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/events/catalogue.h"
#include "common/ids/uuid.h"
#include "common/testing/harness.h"
#include "common/testing/process.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/applications/tests/applications_testing.h"
#include "stellenwerk/applications/v1/applications.grpc.pb.h"
#include "stellenwerk/events/v1/applications.pb.h"

namespace stellenwerk::applications {
namespace {

using testing::TestInfra;
using testing::UniqueName;

constexpr int kSubmissions = 1000;

int PortOf(const std::string& amqp_uri) {
  // amqp://user:pass@host:port/vhost
  const auto at = amqp_uri.rfind('@');
  const auto colon = amqp_uri.find(':', at);
  return std::atoi(amqp_uri.c_str() + colon + 1);
}

std::string WithPort(const std::string& amqp_uri, int port) {
  const auto at = amqp_uri.rfind('@');
  const auto colon = amqp_uri.find(':', at);
  const auto slash = amqp_uri.find('/', colon);
  return absl::StrCat(amqp_uri.substr(0, colon + 1), port,
                      slash == std::string::npos ? "/" : amqp_uri.substr(slash));
}

std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token) {
  return testing::CallContext(token, absl::Seconds(60));
}

struct Applicant {
  std::string token;
  v1::SubmitApplicationRequest request;
};

// Fires every submission of a batch at once; retries UNAVAILABLE with the same request_id.
class Burst {
 public:
  Burst(v1::ApplicationService::Stub& stub, std::vector<Applicant*> batch)
      : stub_(stub), batch_(std::move(batch)), remaining_(batch_.size()) {}
  void Fire() {
    for (size_t i = 0; i < batch_.size(); ++i) Send(i, 0);
  }
  int done() const { return static_cast<int>(batch_.size() - remaining_.load()); }
  int ok() const { return ok_; }
  void Wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return remaining_ == 0; });
  }

 private:
  void Send(size_t i, int attempt) {
    auto* ctx = Ctx(batch_[i]->token).release();
    auto* response = new v1::Application();
    stub_.async()->SubmitApplication(
        ctx, &batch_[i]->request, response, [this, ctx, response, i, attempt](grpc::Status s) {
          delete ctx;
          delete response;
          if (s.error_code() == grpc::StatusCode::UNAVAILABLE && attempt < 10) {
            std::thread([this, i, attempt] {
              absl::SleepFor(absl::Milliseconds(100));
              Send(i, attempt + 1);
            }).detach();
            return;
          }
          if (s.ok()) {
            ++ok_;
          } else {
            ADD_FAILURE() << "submission " << i << ": " << s.error_message();
          }
          std::lock_guard lock(mu_);
          if (--remaining_ == 0) cv_.notify_all();
        });
  }
  v1::ApplicationService::Stub& stub_;
  std::vector<Applicant*> batch_;
  std::atomic<size_t> remaining_;
  std::atomic<int> ok_{0};
  std::mutex mu_;
  std::condition_variable cv_;
};

TEST(SubmitDurabilityE2eTest,
     ThousandConcurrentSubmissionsAcrossABrokerOutageAreAllStoredAndPublished) {
  STW_REQUIRE_INFRA(infra);
  testing::EventTap tap(
      infra, {events::RoutingKey<events::v1::ApplicationSubmitted>()});  // declared before anything
                                                                         // is published
  testing::TcpProxy broker(PortOf(infra.amqp_uri));
  testing::Harness harness(infra, {.start = kStart});
  auto& app =
      StartApplications(harness, /*postings=*/nullptr, {.adjust = [&](config::RuntimeConfig& c) {
                          c.amqp_uri = WithPort(infra.amqp_uri, broker.port());
                          c.workers = 16;
                        }});
  ASSERT_TRUE(harness.ok());

  // A published posting, as the postings.posting.published.v1 consumer stores it.
  PostingSnapshot posting;
  posting.posting_id = ids::NewUuid();
  posting.tenant_id = UniqueName("stadt");
  posting.kennziffer = "KZ-2024-17";
  posting.title = "Sachbearbeiter*in (w/m/d)";
  posting.status = "PUBLISHED";
  pg::Pool& pool = app.runtime().db();
  ASSERT_TRUE(pool.Transact([&](pqxx::work& tx) {
                    return app.app().store().ApplyPostingSnapshot(tx, posting, 1);
                  })
                  .ok());

  auto stub = app.Stub<v1::ApplicationService>();
  // One applicant per submission, each with one uploaded PDF (client streaming).
  std::vector<Applicant> applicants(kSubmissions);
  {
    std::atomic<int> next{0}, failed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&] {
        for (int i = next++; i < kSubmissions; i = next++) {
          Applicant& a = applicants[i];
          a.token = harness.Token("portal", {"applicant"}, UniqueName("bewerberin"));
          v1::SubmitApplicationRequest& r = a.request;
          r = SubmissionFor(*stub, posting.posting_id, a.token, kStart);
          if (r.document_ids(0).empty()) {
            ++failed;
            continue;
          }
          r.mutable_applicant()->set_family_name(absl::StrCat("Mustermann-", i));
          r.mutable_applicant()->set_email(absl::StrCat("erika.", i, "@example.de"));
          r.set_request_id(absl::StrCat("durability-", i));
        }
      });
    }
    for (auto& t : threads) t.join();
    ASSERT_EQ(failed, 0);
  }

  // Half concurrently with the broker reachable; at a quarter done the broker goes away; the
  // other half concurrently while it is away; then it comes back.
  std::vector<Applicant*> first, second;
  for (int i = 0; i < kSubmissions; ++i) {
    (i < kSubmissions / 2 ? first : second).push_back(&applicants[i]);
  }
  Burst a(*stub, first);
  a.Fire();
  ASSERT_TRUE(testing::WaitFor([&] { return a.done() >= kSubmissions / 4; }, absl::Seconds(30)));
  broker.Stop();
  Burst b(*stub, second);
  b.Fire();
  a.Wait();
  b.Wait();
  EXPECT_EQ(a.ok() + b.ok(), kSubmissions);
  // The broker comes back only once the relay has noticed the outage, so it does not race it.
  ASSERT_TRUE(
      testing::WaitFor([&] { return !app.runtime().relay().connected(); }, absl::Seconds(20)));
  broker.Start();

  int stored = 0;
  ASSERT_TRUE(pool.Read([&](pqxx::work& tx) {
                    stored = tx.exec_params(
                                   "SELECT count(*) FROM applications WHERE posting_id = $1::uuid",
                                   posting.posting_id)[0][0]
                                 .as<int>();
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(stored, kSubmissions);

  std::set<std::string> delivered;
  const absl::Time until = absl::Now() + absl::Seconds(45);
  while (delivered.size() < static_cast<size_t>(kSubmissions) && absl::Now() < until) {
    for (const auto& d : tap.Collect(kSubmissions, absl::Seconds(1))) {
      events::v1::ApplicationSubmitted e;
      if (e.ParseFromString(d.message.body) && e.posting_id() == posting.posting_id) {
        delivered.insert(e.application_id());
      }
    }
  }
  EXPECT_EQ(delivered.size(), static_cast<size_t>(kSubmissions))
      << "missing " << kSubmissions - static_cast<int>(delivered.size()) << " events";
}

}  // namespace
}  // namespace stellenwerk::applications
