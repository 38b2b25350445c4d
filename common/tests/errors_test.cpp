#include "common/errors/errors.h"

#include "common/errors/grpc_status.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"

namespace stellenwerk::errors {
namespace {

TEST(ErrorsTest, InvalidFieldCarriesBadRequestDetailsToGrpc) {
  Validator v;
  v.Check(false, "posting.title", "must not be empty");
  v.Check(true, "posting.location", "never reported");
  v.Add("posting.pay[0].min_cents", "minimum pay is above the maximum");
  const grpc::Status g = ToGrpc(v.status());
  EXPECT_EQ(g.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(g.error_message().find("posting.title"), std::string::npos);
  google::rpc::Status rich;
  ASSERT_TRUE(rich.ParseFromString(g.error_details()));
  ASSERT_EQ(rich.details_size(), 1);
  google::rpc::BadRequest bad;
  ASSERT_TRUE(rich.details(0).UnpackTo(&bad));
  ASSERT_EQ(bad.field_violations_size(), 2);
  EXPECT_EQ(bad.field_violations(0).field(), "posting.title");
  EXPECT_EQ(bad.field_violations(1).field(), "posting.pay[0].min_cents");
}

TEST(ErrorsTest, CodesMapOneToOne) {
  EXPECT_EQ(ToGrpc(absl::NotFoundError("x")).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ToGrpc(absl::AbortedError("x")).error_code(), grpc::StatusCode::ABORTED);
  EXPECT_EQ(ToGrpc(absl::FailedPreconditionError("x")).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ToGrpc(absl::UnauthenticatedError("x")).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(ToGrpc(absl::OkStatus()).ok());
  EXPECT_TRUE(ToGrpc(absl::NotFoundError("x")).error_details().empty());
}

TEST(ErrorsTest, FromGrpcRestoresFieldViolations) {
  const absl::Status original = InvalidField("kennziffer", "expected YY/NNNN");
  const absl::Status back = FromGrpc(ToGrpc(original));
  EXPECT_EQ(back.code(), absl::StatusCode::kInvalidArgument);
  auto violations = FieldViolationsOf(back);
  ASSERT_EQ(violations.size(), 1u);
  EXPECT_EQ(violations[0].field, "kennziffer");
}

}  // namespace
}  // namespace stellenwerk::errors
