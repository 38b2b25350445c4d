#include "services/coordination/tests/coordination_testing.h"

namespace stellenwerk::coordination {

CoordinationUnderTest& StartCoordination(stellenwerk::testing::Harness& harness,
                                         stellenwerk::testing::ServiceOptions options) {
  return harness.Start<CoordinationApp>(kCoordinationService, std::move(options));
}

v1::FileStaffingNoticeRequest StaffingFiling(const std::string& district) {
  v1::FileStaffingNoticeRequest r;
  r.set_district_tenant_id(district);
  r.set_position_title("Fachberater*in (w/m/d) Regionalstelle Witten");
  r.set_role_category(v1::ACTIVE);
  r.set_regional_office("Regionalstelle Witten");
  auto* c = r.add_candidates();
  c->set_qualification("Diplom-Sozialpädagogin (FH)");
  c->set_experience("4 Jahre Fachberatung in der Schuldnerberatung");
  return r;
}

v1::StaffingNotice FiledNotice(v1::CoordinationService::Stub& stub, const std::string& city_token,
                               const v1::FileStaffingNoticeRequest& request) {
  v1::StaffingNotice out;
  grpc::Status s =
      stub.FileStaffingNotice(stellenwerk::testing::CallContext(city_token).get(), request, &out);
  EXPECT_TRUE(s.ok()) << "FileStaffingNotice: " << s.error_message();
  return out;
}

}  // namespace stellenwerk::coordination
