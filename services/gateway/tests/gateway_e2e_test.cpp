// The gateway in process in front of real postings, applications and notifications services
// (harness, real PostgreSQL, RabbitMQ, Redis and the SMTP sink): transcoding, errors as
// problem+json, ETag/If-None-Match, If-Match → 412, the streamed multipart application, the
// streamed document download, the inbox, rate limits, OpenAPI, health, probes, metrics.
#include <atomic>
#include <functional>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/auth/jwt.h"
#include "common/clock/clock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "services/applications/tests/applications_testing.h"
#include "services/gateway/tests/gateway_testing.h"
#include "services/notifications/tests/notifications_testing.h"

namespace stellenwerk::applications {
namespace {

using gateway::Gateway;
using gateway::HttpAnswer;
using gateway::HttpClient;
using nlohmann::json;

class GatewayE2eTest : public ApplicationsServiceTest {
 protected:
  static void SetUpTestSuite() {
    StartServices(false);
    if (postings_ == nullptr) return;
    notifications_ = &notifications::StartNotifications(harness());
    auto config = gateway::TestGatewayConfig({{"postings", postings_->address()},
                                              {"applications", apps_->address()},
                                              {"notifications", notifications_->address()}},
                                             infra().redis_addr, infra().jwt_secret);
    config.upload_chunk_bytes = 16 * 1024;  // a file of 300 KiB arrives in many pieces
    config.max_body_bytes = 64 * 1024;
    config.max_upload_bytes = 2 << 20;
    gateway_ = std::make_unique<Gateway>(config);
    ASSERT_TRUE(gateway_->Start().ok());
  }
  static void TearDownTestSuite() {
    gateway_.reset();
    notifications_ = nullptr;
    ApplicationsServiceTest::TearDownTestSuite();
  }
  void SetUp() override {
    ApplicationsServiceTest::SetUp();
    if (gateway_) http_ = std::make_unique<HttpClient>(gateway_->port());
  }
  static std::map<std::string, std::string> Bearer(const std::string& token) {
    return {{"Authorization", "Bearer " + token}};
  }
  static json Json(const HttpAnswer& a) { return json::parse(a.body, nullptr, false); }
  static void ExpectProblem(const HttpAnswer& a, int status) {
    EXPECT_EQ(a.status, status) << a.body;
    EXPECT_EQ(a.header("content-type"), "application/problem+json") << a.body;
    json p = Json(a);
    EXPECT_EQ(p.value("status", 0), status) << a.body;
    EXPECT_FALSE(p.value("title", "").empty());
  }
  // A multipart body: the "application" JSON part and one file part.
  static std::string Multipart(const std::string& boundary, const std::string& application,
                               const std::string& file_field, const std::string& file,
                               const std::string& file_name = "lebenslauf.pdf") {
    return "--" + boundary +
           "\r\nContent-Disposition: form-data; name=\"application\"\r\nContent-Type: "
           "application/json\r\n\r\n" +
           application + "\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"" +
           file_field + "\"; filename=\"" + file_name +
           "\"\r\nContent-Type: application/pdf\r\n\r\n" + file + "\r\n--" + boundary + "--\r\n";
  }
  std::string SignIn(const std::string& sub) {
    HttpAnswer a = http_->Request("POST", "/v1/dev/sign-in",
                                  json{{"sub", sub}, {"tenant_id", tenant_}}.dump());
    EXPECT_EQ(a.status, 200) << a.body;
    json j = Json(a);
    EXPECT_EQ(j.value("token_type", ""), "Bearer");
    return j.value("access_token", "");
  }
  std::string SubmissionJson(const std::string& posting_id, const std::string& token) {
    v1::SubmitApplicationRequest r = Submission(posting_id, token);
    r.clear_document_ids();  // the gateway adds the uploaded ones
    std::string out;
    EXPECT_TRUE(google::protobuf::util::MessageToJsonString(r, &out).ok());
    return out;
  }
  // Applies through the gateway (multipart) with one CV; the application as JSON.
  json ApplyThroughGateway(const std::string& posting, const std::string& token,
                           const std::string& pdf,
                           const std::string& file_name = "lebenslauf.pdf") {
    const std::string boundary = "stwBoundary77c1";
    HttpAnswer a =
        http_->Request("POST", "/v1/applications",
                       Multipart(boundary, SubmissionJson(posting, token), "cv", pdf, file_name),
                       {{"Authorization", "Bearer " + token},
                        {"Content-Type", "multipart/form-data; boundary=" + boundary}});
    EXPECT_EQ(a.status, 200) << a.body;
    return Json(a);
  }
  int OwnApplications(const std::string& token) {
    HttpAnswer a = http_->Request("GET", "/v1/me/applications", "", Bearer(token));
    EXPECT_EQ(a.status, 200) << a.body;
    return static_cast<int>(Json(a).value("applications", json::array()).size());
  }

  static inline std::unique_ptr<Gateway> gateway_;
  static inline stellenwerk::testing::ServiceUnderTest* notifications_ = nullptr;
  std::unique_ptr<HttpClient> http_;
};

#define REQUIRE_GATEWAY() \
  if (!gateway_) STW_SKIP("no test stack (run through scripts/test)")

TEST_F(GatewayE2eTest, AnonymousSearchReadAndJsonLdWithEtagAndCorrelationId) {
  REQUIRE_GATEWAY();
  std::string id = OpenPosting();
  HttpAnswer search = http_->Request("GET", "/v1/postings?tenantId=" + tenant_ + "&pageSize=5");
  ASSERT_EQ(search.status, 200) << search.body;
  json hits = Json(search)["hits"];
  ASSERT_EQ(hits.size(), 1u) << search.body;
  EXPECT_EQ(hits[0]["posting"]["id"], id);

  HttpAnswer read =
      http_->Request("GET", "/v1/postings/" + id, "", {{"X-Correlation-Id", "corr-gw-1"}});
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(read.header("x-correlation-id"), "corr-gw-1");
  json posting = Json(read);
  EXPECT_EQ(posting["id"], id);
  EXPECT_EQ(read.header("etag"), "\"" + posting["etag"].get<std::string>() + "\"");
  HttpAnswer again =
      http_->Request("GET", "/v1/postings/" + id, "", {{"If-None-Match", read.header("etag")}});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_FALSE(http_->Request("GET", "/v1/postings/" + id).header("x-correlation-id").empty());

  HttpAnswer ld = http_->Request("GET", "/v1/postings/" + id + "/jobposting.jsonld");
  ASSERT_EQ(ld.status, 200) << ld.body;
  EXPECT_EQ(ld.header("content-type"), "application/ld+json");
  EXPECT_EQ(Json(ld).value("@type", ""), "JobPosting");

  // A draft is not public: NOT_FOUND from the service → 404.
  pv1::Posting draft = postings::CreatedPosting(*posting_stub_, hr_);
  ExpectProblem(http_->Request("GET", "/v1/postings/" + draft.id()), 404);
}

TEST_F(GatewayE2eTest, StaffWritesWithIfMatchAndIdempotencyKey) {
  REQUIRE_GATEWAY();
  pv1::Posting draft = postings::CreatedPosting(*posting_stub_, hr_);
  // Anonymous write: refused at the edge.
  ExpectProblem(http_->Request("POST", "/v1/postings/" + draft.id() + ":publish", "{}"), 401);
  // A stale If-Match → 412, the draft unchanged.
  HttpAnswer stale = http_->Request("POST", "/v1/postings/" + draft.id() + ":publish", "{}",
                                    {{"Authorization", "Bearer " + hr_}, {"If-Match", "\"999\""}});
  ExpectProblem(stale, 412);
  EXPECT_EQ(Json(stale).value("code", ""), "ABORTED");
  HttpAnswer ok = http_->Request(
      "POST", "/v1/postings/" + draft.id() + ":publish", "{}",
      {{"Authorization", "Bearer " + hr_}, {"If-Match", "\"" + draft.etag() + "\""}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(Json(ok)["status"], "PUBLISHED");
  // The wrong role: PERMISSION_DENIED → 403.
  std::string applicant = NewApplicant();
  ExpectProblem(
      http_->Request("POST", "/v1/postings/" + draft.id() + ":close", "{}", Bearer(applicant)),
      403);
}

TEST_F(GatewayE2eTest, BadInputAnswersProblemJson) {
  REQUIRE_GATEWAY();
  auto hr = Bearer(hr_);
  HttpAnswer malformed = http_->Request("POST", "/v1/postings", "{\"title\": ", hr);
  ExpectProblem(malformed, 400);
  EXPECT_EQ(Json(malformed)["violations"][0]["field"], "body");
  auto text = hr;
  text["Content-Type"] = "text/plain";
  ExpectProblem(http_->Request("POST", "/v1/postings", "{}", text), 415);
  ExpectProblem(http_->Request("POST", "/v1/postings", std::string(100 * 1024, ' '), hr), 413);
  HttpAnswer unknown = http_->Request("GET", "/v1/postings?colour=blue");
  ExpectProblem(unknown, 400);
  EXPECT_EQ(Json(unknown)["violations"][0]["field"], "colour");
  ExpectProblem(http_->Request("GET", "/v1/postings?payScheme=NO_SUCH"), 400);
  ExpectProblem(http_->Request("GET", "/v1/nothing-here"), 404);
  ExpectProblem(http_->Request("DELETE", "/v1/postings"), 405);
  ExpectProblem(http_->Request("GET", "/portal/../../CMakeLists.txt"), 404);
  ExpectProblem(http_->Request("GET", "/portal/%2e%2e/CMakeLists.txt"), 404);
  // The field violations of the service (google.rpc.BadRequest) come through.
  HttpAnswer invalid = http_->Request("POST", "/v1/postings", R"({"kennziffer": "x"})", hr);
  ExpectProblem(invalid, 400);
  EXPECT_FALSE(Json(invalid)["violations"].empty()) << invalid.body;
  // A route whose service this gateway has no address for: 503 (scheduling is not started here).
  ExpectProblem(http_->Request("GET", "/v1/me/bookings", "", Bearer(applicant_)), 503);
  // A private route without a token: 401 at the edge; an unknown query parameter: 400.
  ExpectProblem(http_->Request("GET", "/v1/me/inbox"), 401);
  ExpectProblem(http_->Request("GET", "/v1/me/inbox?colour=blue", "", Bearer(applicant_)), 400);
}

TEST_F(GatewayE2eTest, MultipartApplicationIsStreamedIntoUploadDocument) {
  REQUIRE_GATEWAY();
  std::string posting = OpenPosting();
  std::string token = SignIn("gw-applicant-" + tenant_);
  std::string pdf = Pdf(300 * 1024);  // many upload pieces
  std::string boundary = "stwBoundary9f3a";
  HttpAnswer a = http_->Request("POST", "/v1/applications",
                                Multipart(boundary, SubmissionJson(posting, token), "cv", pdf),
                                {{"Authorization", "Bearer " + token},
                                 {"Content-Type", "multipart/form-data; boundary=" + boundary}});
  ASSERT_EQ(a.status, 200) << a.body;
  json app = Json(a);
  EXPECT_EQ(app["status"], "RECEIVED");
  ASSERT_EQ(app["documents"].size(), 1u) << a.body;
  EXPECT_EQ(app["documents"][0]["sizeBytes"], std::to_string(pdf.size()));
  EXPECT_EQ(app["documents"][0]["kind"], "CV");
  // Streamed: the parser never held more than a boundary's worth plus part headers.
  EXPECT_LT(gateway_->upload_buffered_max(), 1024);
  EXPECT_EQ(OwnApplications(token), 1);

  // Cut off mid-file: nothing submitted.
  std::string body = Multipart(boundary, SubmissionJson(posting, token), "cv", pdf);
  std::string raw = absl::StrCat(
      "POST /v1/applications HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ", token,
      "\r\nContent-Type: multipart/form-data; boundary=", boundary,
      "\r\nContent-Length: ", body.size(), "\r\n\r\n", body.substr(0, body.size() / 2));
  HttpClient cut(gateway_->port());
  EXPECT_EQ(cut.Raw(raw, /*close_after_send=*/true).status, -1);  // no answer, closed
  // Unknown file field and missing JSON part: 400 naming the field, nothing submitted.
  HttpAnswer bad =
      http_->Request("POST", "/v1/applications", Multipart(boundary, "{}", "photo", pdf),
                     {{"Authorization", "Bearer " + token},
                      {"Content-Type", "multipart/form-data; boundary=" + boundary}});
  ExpectProblem(bad, 400);
  EXPECT_EQ(Json(bad)["violations"][0]["field"], "photo");
  // Over the upload limit (2 MiB here): 413 at once from Content-Length.
  HttpAnswer big =
      http_->Request("POST", "/v1/applications",
                     Multipart(boundary, SubmissionJson(posting, token), "cv", Pdf(3 << 20)),
                     {{"Authorization", "Bearer " + token},
                      {"Content-Type", "multipart/form-data; boundary=" + boundary}});
  ExpectProblem(big, 413);
  // Anonymous: 401.
  ExpectProblem(http_->Request("POST", "/v1/applications", Multipart(boundary, "{}", "cv", "x"),
                               {{"Content-Type", "multipart/form-data; boundary=" + boundary}}),
                401);
  EXPECT_EQ(OwnApplications(token), 1);
}

TEST_F(GatewayE2eTest, RateLimitPerClientAndRouteFailsOpenWithoutRedis) {
  REQUIRE_GATEWAY();
  // The windows follow a fake clock, at the start of a minute: the counts are exact.
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  auto config = gateway::TestGatewayConfig({{"postings", postings_->address()}}, infra().redis_addr,
                                           infra().jwt_secret);
  config.rate_limit_per_minute = 3;
  config.clock = &clock;
  config.redis_prefix = "stw:gateway-test:" + tenant_ + ":";  // counts of this test alone
  Gateway limited(config);
  ASSERT_TRUE(limited.Start().ok());
  HttpClient client(limited.port());
  std::string path = "/v1/postings?tenantId=" + tenant_;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(client.Request("GET", path).status, 200) << i;
  HttpAnswer over = client.Request("GET", path);
  ExpectProblem(over, 429);
  EXPECT_EQ(Json(over).value("code", ""), "RESOURCE_EXHAUSTED");
  EXPECT_EQ(over.header("retry-after"), "60");
  clock.Advance(absl::Seconds(45));
  EXPECT_EQ(client.Request("GET", path).header("retry-after"), "15");
  // Another route of the same client is counted apart (by its template, not its raw path).
  EXPECT_EQ(client.Request("GET", "/v1/postings/" + OpenPosting()).status, 200);
  // The next window starts afresh.
  clock.Advance(absl::Seconds(15));
  EXPECT_EQ(client.Request("GET", path).status, 200);

  // Redis unreachable: requests pass (fail-open).
  auto dead = gateway::TestGatewayConfig({{"postings", postings_->address()}}, "127.0.0.1:1",
                                         infra().jwt_secret);
  dead.rate_limit_per_minute = 1;
  dead.redis_prefix = config.redis_prefix;
  Gateway open(dead);
  ASSERT_TRUE(open.Start().ok());
  HttpClient c2(open.port());
  for (int i = 0; i < 4; ++i) EXPECT_EQ(c2.Request("GET", path).status, 200);
}

// docs/decisions/0052: the checks run on the limiter's threads, many at once, in two gateways
// counting in one Redis (two processes behind the Service): the limit still holds exactly,
// for requests by address and by verified subject alike.
TEST_F(GatewayE2eTest, RateLimitHoldsExactlyForConcurrentRequestsAcrossTwoGateways) {
  REQUIRE_GATEWAY();
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  auto config = gateway::TestGatewayConfig({{"postings", postings_->address()}}, infra().redis_addr,
                                           infra().jwt_secret);
  config.rate_limit_per_minute = 8;
  config.rate_limit_ip_factor = 2;  // the address with tokens: 16
  config.clock = &clock;
  config.redis_prefix = "stw:gateway-test:" + tenant_ + ":two:";
  config.rate_limit_threads = 3;
  Gateway one(config), two(config);
  ASSERT_TRUE(one.Start().ok());
  ASSERT_TRUE(two.Start().ok());
  const std::string path = "/v1/postings?tenantId=" + tenant_;
  // `callers` at once, each alternating between the gateways: (allowed, refused).
  using Headers = std::map<std::string, std::string>;
  auto run = [&](int callers, int each, const std::function<Headers(int)>& headers) {
    std::atomic<int> allowed{0}, refused{0}, other{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < callers; ++t) {
      threads.emplace_back([&, t] {
        HttpClient a(one.port()), b(two.port());
        for (int i = 0; i < each; ++i) {
          int status = ((t + i) % 2 == 0 ? a : b).Request("GET", path, "", headers(t)).status;
          (status == 200 ? allowed : status == 429 ? refused : other)++;
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(other.load(), 0);
    return std::make_pair(allowed.load(), refused.load());
  };
  // Anonymous: the address's bucket, 8 of 48.
  EXPECT_EQ(run(6, 8, [](int) { return Headers{}; }), std::make_pair(8, 40));
  // Six subjects, 8 requests each (within their own limit): the address's 16 of 48.
  clock.Advance(absl::Seconds(60));
  std::vector<Headers> tokens;
  for (int s = 0; s < 6; ++s) {
    tokens.push_back(
        Bearer(harness().Token(tenant_, {"applicant"}, "rl-two-" + std::to_string(s))));
  }
  EXPECT_EQ(run(6, 8, [&](int t) { return tokens[t]; }), std::make_pair(16, 32));
  // One subject from four callers, 16 requests (the address's limit not reached): its 8.
  clock.Advance(absl::Seconds(60));
  EXPECT_EQ(run(4, 4, [&](int) { return tokens[0]; }), std::make_pair(8, 8));
}

// A full queue of checks makes the I/O thread check the request itself: still counted.
TEST_F(GatewayE2eTest, RateLimitCountsOnTheIoThreadWhenTheLimiterQueueIsFull) {
  REQUIRE_GATEWAY();
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  auto config = gateway::TestGatewayConfig({{"postings", postings_->address()}}, infra().redis_addr,
                                           infra().jwt_secret);
  config.rate_limit_per_minute = 2;
  config.clock = &clock;
  config.redis_prefix = "stw:gateway-test:" + tenant_ + ":full:";
  config.rate_limit_queue = 0;  // always full
  Gateway limited(config);
  ASSERT_TRUE(limited.Start().ok());
  HttpClient client(limited.port());
  const std::string path = "/v1/postings?tenantId=" + tenant_;
  EXPECT_EQ(client.Request("GET", path).status, 200);
  EXPECT_EQ(client.Request("GET", path).status, 200);
  ExpectProblem(client.Request("GET", path), 429);
}

// docs/decisions/0045: a verified token's subject has a bucket of its own (people behind one
// address do not share it), the address a larger one; an invented token is no subject.
TEST_F(GatewayE2eTest, RateLimitKeysOnTheVerifiedSubjectAndNeverOnAnInventedOne) {
  REQUIRE_GATEWAY();
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  auto config = gateway::TestGatewayConfig({{"postings", postings_->address()}}, infra().redis_addr,
                                           infra().jwt_secret);
  config.rate_limit_per_minute = 3;
  config.rate_limit_ip_factor = 2;  // the address: 6 per route and minute
  config.clock = &clock;
  config.redis_prefix = "stw:gateway-test:" + tenant_ + ":subject:";
  Gateway limited(config);
  ASSERT_TRUE(limited.Start().ok());
  HttpClient client(limited.port());
  const std::string path = "/v1/postings?tenantId=" + tenant_;
  auto a = Bearer(harness().Token(tenant_, {"applicant"}, "rl-a"));
  auto b = Bearer(harness().Token(tenant_, {"applicant"}, "rl-b"));
  for (int i = 0; i < 3; ++i) EXPECT_NE(client.Request("GET", path, "", a).status, 429) << i;
  ExpectProblem(client.Request("GET", path, "", a), 429);  // a's own limit
  // b has a bucket of its own; the address's (6) is reached with b's third request.
  EXPECT_NE(client.Request("GET", path, "", b).status, 429);
  EXPECT_NE(client.Request("GET", path, "", b).status, 429);
  ExpectProblem(client.Request("GET", path, "", b), 429);
  HttpAnswer m = client.Request("GET", "/metrics");
  EXPECT_NE(m.body.find("stellenwerk_gateway_rate_limited_total{by=\"subject\""), std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("stellenwerk_gateway_rate_limited_total{by=\"client\""), std::string::npos);

  // Tokens that do not verify (each naming another subject) are counted by address: 3.
  config.redis_prefix = "stw:gateway-test:" + tenant_ + ":forged:";
  config.trusted_proxies = 1;  // behind one proxy: the client is X-Forwarded-For's last entry
  Gateway proxied(config);
  ASSERT_TRUE(proxied.Start().ok());
  HttpClient c2(proxied.port());
  auto forged = [&](int i, const std::string& xff) {
    auth::Claims claims;
    claims.sub = "invented-" + std::to_string(i);
    claims.tenant = tenant_;
    claims.roles = {"applicant"};
    return std::map<std::string, std::string>{
        {"Authorization", "Bearer " + auth::SignHs256(claims, std::string(40, 'x'))},
        {"X-Forwarded-For", xff}};
  };
  for (int i = 0; i < 3; ++i) {
    EXPECT_NE(c2.Request("GET", path, "", forged(i, "203.0.113.7")).status, 429) << i;
  }
  ExpectProblem(c2.Request("GET", path, "", forged(3, "203.0.113.7")), 429);
  // What the client wrote before the proxy's entry does not make it another client.
  ExpectProblem(c2.Request("GET", path, "", forged(4, "198.51.100.9, 203.0.113.7")), 429);
  EXPECT_NE(c2.Request("GET", path, "", forged(5, "198.51.100.1")).status, 429);
}

TEST_F(GatewayE2eTest, InboxListsTheAcknowledgmentAndMarksItRead) {
  REQUIRE_GATEWAY();
  const std::string posting = OpenPosting();
  const std::string token = SignIn("gw-inbox-" + tenant_);
  json app = ApplyThroughGateway(posting, token, Pdf());
  ASSERT_FALSE(app.value("id", "").empty());
  // applications publishes the submission; notifications writes the inbox item.
  json items;
  ASSERT_TRUE(stellenwerk::testing::WaitFor(
      [&] {
        HttpAnswer a = http_->Request("GET", "/v1/me/inbox?pageSize=10", "", Bearer(token));
        items = Json(a).value("items", json::array());
        return a.status == 200 && items.size() == 1;
      },
      absl::Seconds(20)))
      << items.dump();
  EXPECT_EQ(items[0]["kind"], "APPLICATION_RECEIVED");
  EXPECT_EQ(items[0]["applicationId"], app["id"]);
  EXPECT_FALSE(items[0].contains("readTime"));
  const std::string item = items[0]["id"];
  HttpAnswer read =
      http_->Request("POST", "/v1/me/inbox/" + item + ":markRead", "{}",
                     {{"Authorization", "Bearer " + token}, {"Idempotency-Key", "mark-" + item}});
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_TRUE(Json(read).contains("readTime"));
  HttpAnswer unread = http_->Request("GET", "/v1/me/inbox?unreadOnly=true", "", Bearer(token));
  ASSERT_EQ(unread.status, 200) << unread.body;
  EXPECT_TRUE(Json(unread).value("items", json::array()).empty()) << unread.body;
  // Another applicant sees nothing of it and cannot mark it.
  const std::string other = SignIn("gw-inbox-other-" + tenant_);
  HttpAnswer theirs = http_->Request("GET", "/v1/me/inbox", "", Bearer(other));
  ASSERT_EQ(theirs.status, 200);
  EXPECT_TRUE(Json(theirs).value("items", json::array()).empty());
  ExpectProblem(http_->Request("POST", "/v1/me/inbox/" + item + ":markRead", "{}", Bearer(other)),
                404);
  // HR of the tenant sees the delivery of the acknowledgment; the applicant may not.
  HttpAnswer deliveries = http_->Request("GET", "/v1/notification-deliveries", "", Bearer(hr_));
  ASSERT_EQ(deliveries.status, 200) << deliveries.body;
  bool acknowledgment = false;
  for (const auto& d : Json(deliveries).value("deliveries", json::array())) {
    acknowledgment |= d.value("kind", "") == "APPLICATION_RECEIVED" &&
                      d.value("applicationId", "") == app["id"].get<std::string>();
  }
  EXPECT_TRUE(acknowledgment) << deliveries.body;
  ExpectProblem(http_->Request("GET", "/v1/notification-deliveries", "", Bearer(token)), 403);
}

TEST_F(GatewayE2eTest, DocumentDownloadIsStreamedWithTypeAndFileName) {
  REQUIRE_GATEWAY();
  const std::string posting = OpenPosting();
  const std::string token = SignIn("gw-download-" + tenant_);
  const std::string pdf = Pdf(300 * 1024);  // five chunks of the service's 64 KiB
  json app = ApplyThroughGateway(posting, token, pdf, "Lebenslauf Jördis.pdf");
  ASSERT_EQ(app["documents"].size(), 1u) << app.dump();
  const std::string target = "/v1/applications/" + app["id"].get<std::string>() + "/documents/" +
                             app["documents"][0]["id"].get<std::string>();
  HttpAnswer d = http_->Request("GET", target, "", Bearer(token));
  ASSERT_EQ(d.status, 200) << d.body.substr(0, 500);
  EXPECT_EQ(d.header("content-type"), "application/pdf");
  EXPECT_EQ(d.header("content-disposition"),
            "attachment; filename=\"Lebenslauf J__rdis.pdf\"; "
            "filename*=UTF-8''Lebenslauf%20J%C3%B6rdis.pdf");
  EXPECT_EQ(d.header("transfer-encoding"), "chunked");  // streamed, no length known up front
  EXPECT_EQ(d.header("cache-control"), "private, no-store");
  EXPECT_EQ(d.header("x-content-type-options"), "nosniff");
  EXPECT_TRUE(d.body == pdf) << d.body.size() << " bytes instead of " << pdf.size();
  // The connection stays usable after the chunked body.
  EXPECT_EQ(http_->Request("GET", "/livez").status, 200);
  // HR of the posting's tenant reads it too (audited by the service).
  HttpAnswer staff = http_->Request("GET", target, "", Bearer(hr_));
  ASSERT_EQ(staff.status, 200) << staff.body.substr(0, 500);
  EXPECT_TRUE(staff.body == pdf);
  // Nobody else; unknown ids are the service's NOT_FOUND; anonymous is refused at the edge.
  ExpectProblem(http_->Request("GET", target, "", Bearer(SignIn("gw-download-other"))), 404);
  ExpectProblem(http_->Request("GET",
                               "/v1/applications/" + app["id"].get<std::string>() +
                                   "/documents/00000000-0000-4000-8000-000000000000",
                               "", Bearer(token)),
                404);
  ExpectProblem(http_->Request("GET", target), 401);
}

// A small JSON Schema check (the subset the generated document uses).
bool Validates(const json& schema, const json& value, const json& doc, std::string* why,
               const std::string& at = "$") {
  if (schema.contains("$ref")) {
    std::string ref = schema["$ref"];
    std::string name = ref.substr(std::string("#/components/schemas/").size());
    return Validates(doc["components"]["schemas"][name], value, doc, why, at);
  }
  if (schema.contains("type")) {
    std::vector<std::string> types;
    if (schema["type"].is_array()) {
      for (const auto& t : schema["type"]) types.push_back(t);
    } else {
      types.push_back(schema["type"]);
    }
    bool any = false;
    for (const std::string& t : types) {
      any |= (t == "object" && value.is_object()) || (t == "array" && value.is_array()) ||
             (t == "string" && value.is_string()) || (t == "boolean" && value.is_boolean()) ||
             (t == "integer" && value.is_number_integer()) || (t == "number" && value.is_number());
    }
    if (!any) {
      *why = at + ": " + value.dump().substr(0, 80) + " is not " + schema["type"].dump();
      return false;
    }
  }
  if (schema.contains("enum") &&
      std::find(schema["enum"].begin(), schema["enum"].end(), value) == schema["enum"].end()) {
    *why = at + ": not in enum";
    return false;
  }
  if (value.is_object() && schema.contains("properties")) {
    for (const auto& [k, v] : value.items()) {
      if (schema["properties"].contains(k)) {
        if (!Validates(schema["properties"][k], v, doc, why, at + "." + k)) return false;
      } else if (schema.value("additionalProperties", true) == false) {
        *why = at + ": unexpected property " + k;
        return false;
      }
    }
    for (const auto& r : schema.value("required", json::array())) {
      if (!value.contains(r.get<std::string>())) {
        *why = at + ": missing " + r.get<std::string>();
        return false;
      }
    }
  }
  if (value.is_array() && schema.contains("items")) {
    for (size_t i = 0; i < value.size(); ++i) {
      if (!Validates(schema["items"], value[i], doc, why, at + "[" + std::to_string(i) + "]")) {
        return false;
      }
    }
  }
  return true;
}

TEST_F(GatewayE2eTest, EveryOpenApiPathAnswersAndResponsesValidate) {
  REQUIRE_GATEWAY();
  HttpAnswer a = http_->Request("GET", "/openapi.json");
  ASSERT_EQ(a.status, 200);
  json doc = Json(a);
  ASSERT_EQ(doc["openapi"], "3.1.0");
  ASSERT_GT(doc["paths"].size(), 30u);
  std::string id = OpenPosting();
  auto hr = Bearer(hr_);
  std::string why;
  int checked = 0;
  for (const auto& [path, ops] : doc["paths"].items()) {
    for (const auto& [method, op] : ops.items()) {
      // Every path parameter a plausible value: a uuid (NOT_FOUND then is the service's).
      std::string target = path;
      for (const auto& p : op.value("parameters", json::array())) {
        if (p["in"] != "path") continue;
        std::string name = p["name"];
        std::string value = p["schema"].value("type", "") == "integer" ? "2024" : id;
        target = absl::StrReplaceAll(target, {{"{" + name + "}", value}});
      }
      std::string m = method;
      for (char& c : m) c = static_cast<char>(std::toupper(c));
      HttpAnswer r = http_->Request(m, target, op.contains("requestBody") ? "{}" : "", hr);
      ++checked;
      EXPECT_NE(r.status, 501) << m << " " << target << ": " << r.body;
      EXPECT_NE(r.status, 405) << m << " " << target;
      // A 404 must be the service's NOT_FOUND, never "no such route".
      if (r.status == 404) {
        EXPECT_EQ(Json(r).value("code", ""), "NOT_FOUND") << m << " " << target << r.body;
      }
      // Every answer validates: 200 against the operation's schema, errors as Problem.
      json response = op["responses"].contains(std::to_string(r.status))
                          ? op["responses"][std::to_string(r.status)]
                          : op["responses"].value("default", json::object());
      if (!response.contains("content") || r.body.empty()) continue;
      std::string type = r.header("content-type");
      if (!response["content"].contains(type)) {
        ADD_FAILURE() << m << " " << target << ": undeclared content type " << type;
        continue;
      }
      json body = Json(r);
      if (body.is_discarded()) continue;  // text/plain
      EXPECT_TRUE(Validates(response["content"][type]["schema"], body, doc, &why))
          << m << " " << target << ": " << why;
    }
  }
  EXPECT_GT(checked, 40);
  // Real answers of the main reads validate against the document.
  for (const std::string& target : {"/v1/postings/" + id, "/v1/postings?tenantId=" + tenant_,
                                    std::string("/v1/me/applications")}) {
    HttpAnswer r =
        http_->Request("GET", target, "",
                       target == "/v1/me/applications" ? Bearer(applicant_)
                                                       : std::map<std::string, std::string>{});
    ASSERT_EQ(r.status, 200) << target << r.body;
    std::string path = target.substr(0, target.find('?'));
    std::string key = path == "/v1/postings/" + id ? "/v1/postings/{id}" : path;
    EXPECT_TRUE(Validates(
        doc["paths"][key]["get"]["responses"]["200"]["content"]["application/json"]["schema"],
        Json(r), doc, &why))
        << target << ": " << why;
  }
}

TEST_F(GatewayE2eTest, HealthNamesUpstreamsAndMetricsCountRequests) {
  REQUIRE_GATEWAY();
  HttpAnswer h = http_->Request("GET", "/healthz");
  ASSERT_EQ(h.status, 200) << h.body;
  EXPECT_EQ(Json(h)["upstreams"]["postings"], "SERVING");
  EXPECT_EQ(Json(h)["upstreams"]["applications"], "SERVING");
  // An upstream that is down is named, and the answer is 503.
  auto config = gateway::TestGatewayConfig(
      {{"postings", postings_->address()}, {"applications", "127.0.0.1:1"}}, "", "");
  Gateway partial(config);
  ASSERT_TRUE(partial.Start().ok());
  HttpClient probe(partial.port());
  HttpAnswer down = probe.Request("GET", "/healthz");
  EXPECT_EQ(down.status, 503);
  EXPECT_EQ(Json(down)["down"], json::array({"applications"}));
  // The probes' paths ask no upstream: alive and ready all the same; draining: not ready.
  HttpAnswer live = probe.Request("GET", "/livez");
  EXPECT_EQ(live.status, 200);
  EXPECT_EQ(Json(live)["status"], "ok");
  EXPECT_EQ(probe.Request("GET", "/readyz").status, 200);
  partial.Drain();
  EXPECT_EQ(probe.Request("GET", "/readyz").status, 503);
  EXPECT_EQ(probe.Request("GET", "/livez").status, 200);

  http_->Request("GET", "/v1/nothing-here");
  HttpAnswer m = http_->Request("GET", "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("stellenwerk_gateway_requests_total{route=\"unmatched\",status=\"404\"}"),
            std::string::npos)
      << m.body.substr(0, 2000);
  EXPECT_NE(m.body.find("stellenwerk_gateway_request_duration_seconds_bucket"), std::string::npos);
  // CORS: only a configured origin is answered.
  EXPECT_TRUE(http_->Request("GET", "/healthz", "", {{"Origin", "https://evil.example"}})
                  .header("access-control-allow-origin")
                  .empty());
}

TEST_F(GatewayE2eTest, DevSignInIssuesApplicantTokensOnlyWhenEnabled) {
  REQUIRE_GATEWAY();
  std::string token = SignIn("dev-person-1");
  EXPECT_EQ(OwnApplications(token), 0);
  ExpectProblem(http_->Request("POST", "/v1/dev/sign-in", R"({"sub": ""})"), 400);
  auto config = gateway::TestGatewayConfig({}, "", infra().jwt_secret);
  config.dev_signin = false;
  Gateway off(config);
  ASSERT_TRUE(off.Start().ok());
  ExpectProblem(
      HttpClient(off.port()).Request("POST", "/v1/dev/sign-in", R"({"sub":"a","tenant_id":"b"})"),
      404);
}

}  // namespace
}  // namespace stellenwerk::applications
