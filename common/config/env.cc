#include "common/config/env.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace stellenwerk::config {
namespace {

const char* Lookup(const char* name) {
  const char* value = std::getenv(name);
  return (value != nullptr && *value != '\0') ? value : nullptr;
}

}  // namespace

std::string EnvReader::String(const char* name, std::string fallback) {
  const char* value = Lookup(name);
  return value != nullptr ? std::string(value) : std::move(fallback);
}

std::string EnvReader::RequiredString(const char* name) {
  const char* value = Lookup(name);
  if (value == nullptr) {
    Problem(absl::StrCat(name, " is required but not set"));
    return "";
  }
  return value;
}

int EnvReader::Int(const char* name, int fallback, int min, int max) {
  const char* value = Lookup(name);
  if (value == nullptr) return fallback;
  int parsed = 0;
  if (!absl::SimpleAtoi(value, &parsed) || parsed < min || parsed > max) {
    Problem(absl::StrCat(name, "=\"", value, "\" is not an integer in [", min, ", ", max, "]"));
    return fallback;
  }
  return parsed;
}

bool EnvReader::Bool(const char* name, bool fallback) {
  const char* value = Lookup(name);
  if (value == nullptr) return fallback;
  const std::string v = absl::AsciiStrToLower(value);
  if (v == "1" || v == "true" || v == "yes" || v == "on") return true;
  if (v == "0" || v == "false" || v == "no" || v == "off") return false;
  Problem(absl::StrCat(name, "=\"", value, "\" is not a boolean (1/0, true/false)"));
  return fallback;
}

absl::Duration EnvReader::Duration(const char* name, absl::Duration fallback) {
  const char* value = Lookup(name);
  if (value == nullptr) return fallback;
  absl::Duration parsed;
  if (!absl::ParseDuration(value, &parsed) || parsed < absl::ZeroDuration()) {
    Problem(absl::StrCat(name, "=\"", value, "\" is not a duration like 500ms, 2s, 1m"));
    return fallback;
  }
  return parsed;
}

std::string EnvReader::Secret(const char* name) {
  const std::string file_var = absl::StrCat(name, "_FILE");
  const char* value = Lookup(name);
  const char* file = Lookup(file_var.c_str());
  if (file == nullptr) return value != nullptr ? std::string(value) : "";
  if (value != nullptr) {
    Problem(absl::StrCat(name, " and ", file_var, " are both set; set one"));
    return "";
  }
  std::ifstream in(file, std::ios::binary);
  if (!in.is_open()) {
    Problem(absl::StrCat(file_var, "=\"", file, "\": cannot read it (", std::strerror(errno), ")"));
    return "";
  }
  std::string secret((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.empty()) Problem(absl::StrCat(file_var, "=\"", file, "\": the file is empty"));
  return secret;
}

absl::Status EnvReader::status() const {
  if (problems_.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(problems_.front());
}

void EnvReader::Problem(std::string text) { problems_.push_back(std::move(text)); }

void ExitWithConfigError(std::string_view service, const absl::Status& status) {
  std::fprintf(stderr, "%.*s: configuration error: %.*s\n", static_cast<int>(service.size()),
               service.data(), static_cast<int>(status.message().size()), status.message().data());
  std::fflush(stderr);
  std::_Exit(2);
}

}  // namespace stellenwerk::config
