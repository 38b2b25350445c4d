#pragma once
// The coordination service for the test harness (common/testing/harness.h), and the staffing
// notice its tests (and the applications suites' coordination gate) file.

#include <string>

#include "common/testing/harness.h"
#include "common/time/berlin_calendar.h"
#include "services/coordination/app.h"
#include "stellenwerk/coordination/v1/coordination.grpc.pb.h"

namespace stellenwerk::coordination {

inline const stellenwerk::testing::ServiceDef kCoordinationService{
    .name = "coordination",
    .binary = "services/coordination/stellenwerk-coordination",
    .consumes = true};

using CoordinationUnderTest = stellenwerk::testing::InProcess<CoordinationApp>;

// CoordinationApp in process, on a schema of its own (or options.schema, for a replica).
CoordinationUnderTest& StartCoordination(stellenwerk::testing::Harness& harness,
                                         stellenwerk::testing::ServiceOptions options = {});

// A complete notice to `district` for an ACTIVE post in the Regionalstelle Witten with one
// candidate (seed 004: qualification and experience).
v1::FileStaffingNoticeRequest StaffingFiling(const std::string& district);

// Declares city and district a coordination pair as the administrators of both (decision
// 0040); harmless when they are one already. Fails the test if that does not work.
void PairTenants(v1::CoordinationService::Stub& stub, const stellenwerk::testing::TestInfra& infra,
                 const std::string& city, const std::string& district);

// Sets the head of `district`'s JobAgentur as its administrator; fails the test otherwise.
void SetJobAgencyHead(v1::CoordinationService::Stub& stub,
                      const stellenwerk::testing::TestInfra& infra, const std::string& district,
                      const std::string& head_sub);

// Files `request` as the holder of `city_token` — after pairing the token's city with the
// request's district, as every real filing needs; fails the test if that does not work.
v1::StaffingNotice FiledNotice(v1::CoordinationService::Stub& stub, const std::string& city_token,
                               const v1::FileStaffingNoticeRequest& request);

// When the coordination suites start: Friday before Easter 2025, so the window of a notice
// filed then ends Tuesday 2025-04-22 24:00 Europe/Berlin.
inline const absl::Time kCoordinationSuiteStart =
    absl::FromCivil(absl::CivilSecond(2025, 4, 11, 10, 0, 0), calendar::Berlin());

// The base of a suite that runs one coordination service in process for all its tests
// (started at kCoordinationSuiteStart; the clocks are reset in every SetUp by ServiceTest).
class CoordinationServiceTest : public stellenwerk::testing::ServiceTest {
 protected:
  static void SetUpTestSuite() {
    if (stellenwerk::testing::Harness* h = NewHarness(kCoordinationSuiteStart)) {
      coordination_ = &StartCoordination(*h);
      stub_ = coordination_->Stub<v1::CoordinationService>();
    }
  }
  static void TearDownTestSuite() {
    stub_.reset();
    coordination_ = nullptr;
    ServiceTest::TearDownTestSuite();
  }

  static inline CoordinationUnderTest* coordination_ = nullptr;
  static inline std::unique_ptr<v1::CoordinationService::Stub> stub_;
};

}  // namespace stellenwerk::coordination
