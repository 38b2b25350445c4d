#pragma once
// What every bench client needs to call a service of the bench stack: a token signed with the
// stack's HS256 secret (STELLENWERK_JWT_HS256_SECRET, exported by scripts/bench) and a client
// context carrying it with a deadline.

#include <grpcpp/client_context.h>

#include <memory>
#include <string>

namespace stellenwerk::bench {

// Staff of `tenant` (role hr_clerk).
std::string StaffToken(const std::string& tenant, const std::string& sub = "bench");
// An applicant of the portal (tenant "portal").
std::string ApplicantToken(const std::string& sub);

// Bearer `token` (none when empty), deadline `seconds` from now.
std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token, int seconds = 30);

}  // namespace stellenwerk::bench
