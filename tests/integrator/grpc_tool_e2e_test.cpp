// scripts/grpc (ADR 0031) against a real postings service: reflection, the JSON mapping both
// ways, tokens, and the exit status and status name of an error.
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "common/testing/harness.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "services/postings/tests/postings_testing.h"

namespace stellenwerk {
namespace {

namespace pv1 = stellenwerk::postings::v1;

struct ToolRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

class GrpcToolTest : public postings::PostingsServiceTest {
 protected:
  // scripts/grpc ADDR args... with the output and exit status.
  ToolRun Tool(const std::string& args, const std::string& input = "") {
    const std::string err_file = testing::UniqueName("/tmp/grpc_tool_err_");
    const std::string cmd = "printf '%s' " + Quote(input) + " | " + std::string(STW_SOURCE_DIR) +
                            "/scripts/grpc 127.0.0.1:" + std::to_string(postings_->port()) + " " +
                            args + " 2>" + err_file;
    ToolRun r;
    FILE* p = popen(cmd.c_str(), "r");
    if (p == nullptr) return r;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
    int status = pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::ifstream in(err_file);
    std::stringstream ss;
    ss << in.rdbuf();
    r.err = ss.str();
    std::remove(err_file.c_str());
    return r;
  }
  std::string Staff() const { return harness().Token("stadt-herne", {"hr_clerk"}, "clerk"); }
};

TEST_F(GrpcToolTest, ListsServicesAndMethodsByReflection) {
  ToolRun all = Tool("--list");
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_NE(all.out.find("stellenwerk.postings.v1.PostingService\n"), std::string::npos) << all.out;
  EXPECT_NE(all.out.find("grpc.health.v1.Health\n"), std::string::npos) << all.out;

  ToolRun methods = Tool("--list PostingService");
  ASSERT_EQ(methods.exit_code, 0) << methods.err;
  EXPECT_NE(methods.out.find("stellenwerk.postings.v1.PostingService/CreatePosting\n"),
            std::string::npos)
      << methods.out;
  EXPECT_NE(methods.out.find("stellenwerk.postings.v1.PostingService/SearchPostings\n"),
            std::string::npos);

  ToolRun pay = Tool("--describe stellenwerk.postings.v1.Pay");
  ASSERT_EQ(pay.exit_code, 0) << pay.err;
  EXPECT_NE(pay.out.find("int64 min_cents = 3;  // JSON: minCents"), std::string::npos) << pay.out;
  ToolRun method = Tool("--describe stellenwerk.postings.v1.PostingService/GetPosting");
  ASSERT_EQ(method.exit_code, 0) << method.err;
  EXPECT_NE(method.out.find("message GetPostingRequest"), std::string::npos) << method.out;
}

TEST_F(GrpcToolTest, CreatesWithASignedTokenAndReadsItBackWithAGivenOne) {
  pv1::CreatePostingRequest create;
  *create.mutable_posting() = postings::HernePosting();
  create.set_request_id(testing::UniqueName("grpc-tool"));
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(create, &json).ok());

  ToolRun created = Tool("PostingService/CreatePosting " + Quote(json) +
                         " --tenant stadt-herne --role hr_clerk --sub grpc-tool");
  ASSERT_EQ(created.exit_code, 0) << created.err;
  nlohmann::json posting = nlohmann::json::parse(created.out);
  ASSERT_TRUE(posting.contains("id")) << created.out;
  EXPECT_EQ(posting["status"], "DRAFT");
  EXPECT_EQ(posting["title"], create.posting().title());
  EXPECT_EQ(posting["tenantId"], "stadt-herne");
  EXPECT_FALSE(posting["kennziffer"].get<std::string>().empty());
  EXPECT_EQ(posting["pay"][0]["scheme"], "TVOED");  // enums by name, as the JSON mapping says

  // The full service name, a token passed as it is, the request from standard input.
  ToolRun got = Tool("stellenwerk.postings.v1.PostingService/GetPosting - --token " + Staff(),
                     nlohmann::json{{"id", posting["id"]}}.dump());
  ASSERT_EQ(got.exit_code, 0) << got.err;
  nlohmann::json read = nlohmann::json::parse(got.out);
  EXPECT_EQ(read["id"], posting["id"]);
  EXPECT_EQ(read["kennziffer"], posting["kennziffer"]);

  // What the service stored is what the tool sent.
  pv1::GetPostingRequest get;
  get.set_id(posting["id"].get<std::string>());
  pv1::Posting stored;
  ASSERT_TRUE(stub_->GetPosting(testing::CallContext(Staff()).get(), get, &stored).ok());
  EXPECT_EQ(stored.department(), create.posting().department());
  EXPECT_EQ(stored.tasks_size(), create.posting().tasks_size());
}

TEST_F(GrpcToolTest, AnErrorExitsWithItsStatus) {
  ToolRun missing = Tool(
      "PostingService/GetPosting '{\"id\": \"1b4e28ba-2fa1-11d2-883f-0016d3cca427\"}'"
      " --token " +
      Staff());
  EXPECT_EQ(missing.exit_code, 64 + 5) << missing.out << missing.err;  // NOT_FOUND = 5
  nlohmann::json e = nlohmann::json::parse(missing.err, nullptr, false);
  ASSERT_FALSE(e.is_discarded()) << missing.err;
  EXPECT_EQ(e["code"], "NOT_FOUND");
  EXPECT_TRUE(missing.out.empty());

  ToolRun anonymous = Tool("PostingService/CreatePosting '{\"posting\": {\"title\": \"x\"}}'");
  EXPECT_EQ(anonymous.exit_code, 64 + 16) << anonymous.err;  // UNAUTHENTICATED = 16
  EXPECT_NE(anonymous.err.find("\"UNAUTHENTICATED\""), std::string::npos) << anonymous.err;

  ToolRun applicant = Tool(
      "PostingService/CreatePosting '{\"posting\": {\"title\": \"x\"}}'"
      " --tenant stadt-herne --role applicant");
  EXPECT_EQ(applicant.exit_code, 64 + 7) << applicant.err;  // PERMISSION_DENIED = 7
}

TEST_F(GrpcToolTest, NamesAndJsonTheServerDoesNotKnowAreUsageErrors) {
  ToolRun method = Tool("PostingService/NoSuchMethod '{}'");
  EXPECT_EQ(method.exit_code, 2);
  EXPECT_NE(method.err.find("has no method"), std::string::npos) << method.err;
  ToolRun service = Tool("NoSuchService/Get '{}'");
  EXPECT_EQ(service.exit_code, 2);
  EXPECT_NE(service.err.find("unknown"), std::string::npos) << service.err;
  ToolRun field = Tool("PostingService/GetPosting '{\"no_such_field\": 1}'");
  EXPECT_EQ(field.exit_code, 2);
  EXPECT_NE(field.err.find("GetPostingRequest"), std::string::npos) << field.err;
  ToolRun broken = Tool("PostingService/GetPosting '{\"id\": '");
  EXPECT_EQ(broken.exit_code, 2);
  EXPECT_NE(broken.err.find("not JSON"), std::string::npos) << broken.err;
}

}  // namespace
}  // namespace stellenwerk
