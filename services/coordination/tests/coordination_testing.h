#pragma once
// The coordination service for the test harness (common/testing/harness.h), and the staffing
// notice its tests (and the applications suites' coordination gate) file.

#include <string>

#include "common/testing/harness.h"
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

// Files `request` as the holder of `city_token`; fails the test if that does not work.
v1::StaffingNotice FiledNotice(v1::CoordinationService::Stub& stub, const std::string& city_token,
                               const v1::FileStaffingNoticeRequest& request);

}  // namespace stellenwerk::coordination
