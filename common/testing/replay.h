#pragma once
// The scenario of the cross-tenant replay tests: a mutating RPC's stored first answer
// (CONTRACT.md: a retry with the same request_id returns the first answer) belongs to the caller
// who made the call. Another caller who sends exactly the same request — another tenant with the
// same subject, or the same subject of another token issuer — never gets it back.

#include <functional>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "common/testing/harness.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"

namespace stellenwerk::testing {

// Who replays, and what it may get instead of the first answer.
struct OtherCaller {
  std::string token;
  // The refusals of CONTRACT.md "Errors" it may get; empty: it must succeed in its own right.
  std::set<grpc::StatusCode> refusals = {
      grpc::StatusCode::NOT_FOUND, grpc::StatusCode::PERMISSION_DENIED,
      grpc::StatusCode::FAILED_PRECONDITION, grpc::StatusCode::INVALID_ARGUMENT};
  // It may do the same in its own right: a fresh answer of its own (e.g. a posting of its own).
  bool may_act = false;
};

template <typename Response>
struct ReplayOutcome {
  Response first;  // the first caller's answer
  grpc::Status other_status;
  Response other;  // what the other caller got (empty unless other_status is OK)
};

// Whether `status`/`got` (the other caller's answer to `request`) keeps away from `first`: a
// refusal of `other.refusals` whose message names no secret the request did not carry itself,
// or (with `other.may_act`) a fresh answer that differs from `first` and contains no secret
// at all. Secrets are what identifies the first caller's answer: its ids, names, tenant.
inline ::testing::AssertionResult NotTheFirstAnswer(const grpc::Status& status,
                                                    const google::protobuf::Message& request,
                                                    const google::protobuf::Message& got,
                                                    const google::protobuf::Message& first,
                                                    const OtherCaller& other,
                                                    const std::vector<std::string>& secrets) {
  if (!status.ok()) {
    if (other.refusals.count(status.error_code()) == 0) {
      return ::testing::AssertionFailure()
             << "refused with code " << status.error_code() << " (" << status.error_message()
             << "), not one of the expected refusals";
    }
    const std::string sent = request.SerializeAsString();
    for (const auto& s : secrets) {
      if (!s.empty() && sent.find(s) == std::string::npos &&
          status.error_message().find(s) != std::string::npos) {
        return ::testing::AssertionFailure()
               << "the refusal names \"" << s
               << "\" of the first answer: " << status.error_message();
      }
    }
    return ::testing::AssertionSuccess();
  }
  if (!other.may_act) {
    return ::testing::AssertionFailure()
           << "succeeded (expected a refusal); it got: " << got.ShortDebugString();
  }
  if (google::protobuf::util::MessageDifferencer::Equals(got, first)) {
    return ::testing::AssertionFailure()
           << "got the first caller's answer: " << got.ShortDebugString();
  }
  const std::string bytes = got.SerializeAsString();
  for (const auto& s : secrets) {
    if (!s.empty() && bytes.find(s) != std::string::npos) {
      return ::testing::AssertionFailure() << "its answer contains \"" << s
                                           << "\" of the first answer: " << got.ShortDebugString();
    }
  }
  return ::testing::AssertionSuccess();
}

// The first caller makes the call (it must succeed); the other caller replays exactly the same
// request and must not get the first answer (NotTheFirstAnswer); then the first caller's own
// replay still gets the first answer unchanged. `secrets` names, from the first answer, what the
// other caller must never see.
template <typename Stub, typename Request, typename Response>
ReplayOutcome<Response> ExpectReplayStaysWithItsCaller(
    Stub* stub, grpc::Status (Stub::*rpc)(grpc::ClientContext*, const Request&, Response*),
    const Request& request, const std::string& first_caller, const OtherCaller& other,
    const std::type_identity_t<std::function<std::vector<std::string>(const Response&)>>& secrets) {
  EXPECT_FALSE(request.request_id().empty()) << "the scenario replays a request_id";
  ReplayOutcome<Response> out;
  grpc::Status s = (stub->*rpc)(CallContext(first_caller).get(), request, &out.first);
  if (!s.ok()) {
    ADD_FAILURE() << "the first call failed: " << s.error_message();
    return out;
  }
  out.other_status = (stub->*rpc)(CallContext(other.token).get(), request, &out.other);
  EXPECT_TRUE(NotTheFirstAnswer(out.other_status, request, out.other, out.first, other,
                                secrets(out.first)));
  Response again;
  s = (stub->*rpc)(CallContext(first_caller).get(), request, &again);
  EXPECT_TRUE(s.ok()) << "the first caller's replay: " << s.error_message();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(again, out.first))
      << "the first caller's replay got another answer:\n  first " << out.first.ShortDebugString()
      << "\n  again " << again.ShortDebugString();
  return out;
}

}  // namespace stellenwerk::testing
