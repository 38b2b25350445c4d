#include "common/errors/errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/rpc/error_details.pb.h"

namespace stellenwerk::errors {
namespace {

constexpr char kBadRequestUrl[] = "type.googleapis.com/google.rpc.BadRequest";

}  // namespace

absl::Status InvalidField(std::string_view field, std::string_view description) {
  return InvalidFields({{std::string(field), std::string(description)}});
}

absl::Status InvalidFields(const std::vector<FieldViolation>& violations) {
  google::rpc::BadRequest details;
  std::vector<std::string> parts;
  for (const auto& v : violations) {
    auto* fv = details.add_field_violations();
    fv->set_field(v.field);
    fv->set_description(v.description);
    parts.push_back(absl::StrCat(v.field, ": ", v.description));
  }
  absl::Status status = absl::InvalidArgumentError(absl::StrJoin(parts, "; "));
  status.SetPayload(kBadRequestUrl, absl::Cord(details.SerializeAsString()));
  return status;
}

std::vector<FieldViolation> FieldViolationsOf(const absl::Status& status) {
  std::vector<FieldViolation> out;
  auto payload = status.GetPayload(kBadRequestUrl);
  if (!payload) return out;
  google::rpc::BadRequest details;
  if (!details.ParseFromString(std::string(*payload))) return out;
  for (const auto& fv : details.field_violations()) {
    out.push_back({fv.field(), fv.description()});
  }
  return out;
}

}  // namespace stellenwerk::errors
