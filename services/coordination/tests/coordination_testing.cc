#include "services/coordination/tests/coordination_testing.h"

#include "common/auth/jwt.h"

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

void PairTenants(v1::CoordinationService::Stub& stub, const stellenwerk::testing::TestInfra& infra,
                 const std::string& city, const std::string& district) {
  for (const std::string& side : {city, district}) {
    v1::DeclareCoordinationPairRequest r;
    r.set_city_tenant_id(city);
    r.set_district_tenant_id(district);
    v1::CoordinationPair out;
    const std::string admin = stellenwerk::testing::Token(infra, side, {"admin"}, "admin-" + side);
    grpc::Status s =
        stub.DeclareCoordinationPair(stellenwerk::testing::CallContext(admin).get(), r, &out);
    ASSERT_TRUE(s.ok()) << "DeclareCoordinationPair: " << s.error_message();
    if (side == district) {
      EXPECT_TRUE(out.in_force()) << city << " / " << district;
    }
  }
}

void SetJobAgencyHead(v1::CoordinationService::Stub& stub,
                      const stellenwerk::testing::TestInfra& infra, const std::string& district,
                      const std::string& head_sub) {
  v1::SetJobAgencyHeadRequest r;
  r.set_head_sub(head_sub);
  v1::JobAgency out;
  const std::string admin = stellenwerk::testing::Token(infra, district, {"admin"}, "admin");
  grpc::Status s = stub.SetJobAgencyHead(stellenwerk::testing::CallContext(admin).get(), r, &out);
  ASSERT_TRUE(s.ok()) << "SetJobAgencyHead: " << s.error_message();
}

v1::StaffingNotice FiledNotice(v1::CoordinationService::Stub& stub, const std::string& city_token,
                               const v1::FileStaffingNoticeRequest& request) {
  v1::StaffingNotice out;
  auto infra = stellenwerk::testing::TestInfra::FromEnv();
  EXPECT_TRUE(infra.has_value());
  if (!infra) return out;
  auto verifier = auth::JwtVerifier::Hs256(infra->jwt_secret);
  EXPECT_TRUE(verifier.ok());
  if (!verifier.ok()) return out;
  auto claims = verifier->Verify(city_token, absl::Now());
  EXPECT_TRUE(claims.ok()) << claims.status();
  if (!claims.ok()) return out;
  PairTenants(stub, *infra, claims->tenant, request.district_tenant_id());
  grpc::Status s =
      stub.FileStaffingNotice(stellenwerk::testing::CallContext(city_token).get(), request, &out);
  EXPECT_TRUE(s.ok()) << "FileStaffingNotice: " << s.error_message();
  return out;
}

}  // namespace stellenwerk::coordination
