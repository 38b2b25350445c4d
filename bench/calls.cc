#include "bench/calls.h"

#include <chrono>
#include <cstdlib>

#include "absl/time/clock.h"
#include "common/auth/jwt.h"

namespace stellenwerk::bench {
namespace {

std::string Sign(auth::Claims c) {
  const char* secret = std::getenv("STELLENWERK_JWT_HS256_SECRET");
  c.issued_at = absl::Now();
  c.expires = absl::Now() + absl::Hours(2);
  return auth::SignHs256(c, secret == nullptr ? "" : secret);
}

}  // namespace

std::string StaffToken(const std::string& tenant, const std::string& sub) {
  auth::Claims c;
  c.sub = sub;
  c.tenant = tenant;
  c.roles = {"hr_clerk"};
  return Sign(std::move(c));
}

std::string ApplicantToken(const std::string& sub) {
  auth::Claims c;
  c.sub = sub;
  c.tenant = "portal";
  c.roles = {"applicant"};
  return Sign(std::move(c));
}

std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token, int seconds) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  return ctx;
}

}  // namespace stellenwerk::bench
