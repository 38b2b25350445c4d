#include "common/auth/principal.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace stellenwerk::auth {

std::string Principal::Subject() const {
  return issuer.empty() ? sub : absl::StrCat(issuer, "#", sub);
}

bool Principal::HasRole(std::string_view role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

bool Principal::HasAnyRole(std::initializer_list<std::string_view> wanted) const {
  return std::any_of(wanted.begin(), wanted.end(), [&](std::string_view r) { return HasRole(r); });
}

absl::Status RequireAnyRole(const Principal& p, std::initializer_list<std::string_view> wanted) {
  if (p.HasAnyRole(wanted)) return absl::OkStatus();
  std::string names;
  for (std::string_view r : wanted) {
    if (!names.empty()) names += ", ";
    names += r;
  }
  return absl::PermissionDeniedError("this operation needs one of the roles: " + names);
}

}  // namespace stellenwerk::auth
