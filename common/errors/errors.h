#pragma once
// Errors are values (absl::Status), with google.rpc.BadRequest details for field problems.
// Their one mapping to gRPC is common/errors/grpc_status.h.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace stellenwerk::errors {

struct FieldViolation {
  std::string field;
  std::string description;
};

// INVALID_ARGUMENT naming the field(s), carrying google.rpc.BadRequest details.
absl::Status InvalidField(std::string_view field, std::string_view description);
absl::Status InvalidFields(const std::vector<FieldViolation>& violations);

// Field violations attached to a status by InvalidField(s); empty if none.
std::vector<FieldViolation> FieldViolationsOf(const absl::Status& status);

// Collects field problems while validating a request.
class Validator {
 public:
  void Check(bool ok, std::string_view field, std::string_view description) {
    if (!ok) violations_.push_back({std::string(field), std::string(description)});
  }
  void Add(std::string_view field, std::string_view description) {
    violations_.push_back({std::string(field), std::string(description)});
  }
  bool ok() const { return violations_.empty(); }
  absl::Status status() const {
    return violations_.empty() ? absl::OkStatus() : InvalidFields(violations_);
  }

 private:
  std::vector<FieldViolation> violations_;
};

}  // namespace stellenwerk::errors
