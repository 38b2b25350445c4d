#pragma once
// Typed configuration from environment variables. Every accessor records a problem instead
// of throwing, so a process can report the first bad value in one clear line and exit 2.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace stellenwerk::config {

class EnvReader {
 public:
  std::string String(const char* name, std::string fallback);
  std::string RequiredString(const char* name);
  int Int(const char* name, int fallback, int min, int max);
  bool Bool(const char* name, bool fallback);
  // Durations in Go/absl syntax: "500ms", "2s", "1h30m".
  absl::Duration Duration(const char* name, absl::Duration fallback);
  // A secret from `name` or from the file named by `name`_FILE (a mounted Kubernetes Secret),
  // not both; "" when neither is set. Trailing newlines of the file are dropped (as the
  // shell's $(cat file) does). An unreadable or empty file is a problem; no problem quotes the
  // value.
  std::string Secret(const char* name);

  // The first problem (naming the variable), or OK.
  absl::Status status() const;

 private:
  void Problem(std::string text);
  std::vector<std::string> problems_;
};

// Prints "<service>: configuration error: <message>" on stderr and exits with status 2.
[[noreturn]] void ExitWithConfigError(std::string_view service, const absl::Status& status);

}  // namespace stellenwerk::config
