// The gateway in process in front of real postings and applications services (harness, real
// PostgreSQL, RabbitMQ and Redis): transcoding, errors as problem+json, ETag/If-None-Match,
// If-Match → 412, the streamed multipart application, rate limits, OpenAPI, health, metrics.
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "services/applications/tests/applications_testing.h"
#include "services/gateway/tests/gateway_testing.h"

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
    auto config = gateway::TestGatewayConfig(
        {{"postings", postings_->address()}, {"applications", apps_->address()}},
        infra().redis_addr, infra().jwt_secret);
    config.upload_chunk_bytes = 16 * 1024;  // a file of 300 KiB arrives in many pieces
    config.max_body_bytes = 64 * 1024;
    config.max_upload_bytes = 2 << 20;
    gateway_ = std::make_unique<Gateway>(config);
    ASSERT_TRUE(gateway_->Start().ok());
  }
  static void TearDownTestSuite() {
    gateway_.reset();
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
                               const std::string& file_field, const std::string& file) {
    return "--" + boundary +
           "\r\nContent-Disposition: form-data; name=\"application\"\r\nContent-Type: "
           "application/json\r\n\r\n" +
           application + "\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"" +
           file_field + "\"; filename=\"lebenslauf.pdf\"\r\nContent-Type: application/pdf\r\n\r\n" +
           file + "\r\n--" + boundary + "--\r\n";
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
  int OwnApplications(const std::string& token) {
    HttpAnswer a = http_->Request("GET", "/v1/me/applications", "", Bearer(token));
    EXPECT_EQ(a.status, 200) << a.body;
    return static_cast<int>(Json(a).value("applications", json::array()).size());
  }

  static inline std::unique_ptr<Gateway> gateway_;
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
  // Routes of services that are not there yet.
  ExpectProblem(http_->Request("GET", "/v1/me/inbox", "", Bearer(applicant_)), 503);
  ExpectProblem(http_->Request("GET", "/v1/me/bookings", "", Bearer(applicant_)), 503);
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
  auto config = gateway::TestGatewayConfig({{"postings", postings_->address()}}, infra().redis_addr,
                                           infra().jwt_secret);
  config.rate_limit_per_minute = 3;
  config.redis_prefix = "stw:gateway-test:" + tenant_ + ":";  // counts of this test alone
  Gateway limited(config);
  ASSERT_TRUE(limited.Start().ok());
  HttpClient client(limited.port());
  std::string path = "/v1/postings?tenantId=" + tenant_;
  // The window may turn over between requests: then the count restarts, so allow one more.
  int ok = 0;
  HttpAnswer last;
  for (int i = 0; i < 8 && last.status != 429; ++i) {
    last = client.Request("GET", path);
    if (last.status == 200) ++ok;
  }
  ExpectProblem(last, 429);
  EXPECT_GE(ok, 3);
  EXPECT_LE(ok, 6);
  int retry = std::stoi(last.header("retry-after"));
  EXPECT_GE(retry, 1);
  EXPECT_LE(retry, 60);
  // Another route of the same client is counted apart.
  EXPECT_EQ(client.Request("GET", "/v1/postings/" + OpenPosting()).status, 200);

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
  HttpAnswer down = HttpClient(partial.port()).Request("GET", "/healthz");
  EXPECT_EQ(down.status, 503);
  EXPECT_EQ(Json(down)["down"], json::array({"applications"}));

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
