#pragma once
// A closed-loop load generator: `concurrency` callers, each issuing its next call when the
// previous one completed, for `duration`. The same generator drives the service and its
// baseline, so their ratio is honest on a noisy machine.

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace stellenwerk::bench {

// Command-line flags of the benches: --name=value (a bare --name is "1").
std::map<std::string, std::string> Flags(int argc, char** argv);
int IntFlag(const std::map<std::string, std::string>& flags, const std::string& name,
            int fallback);
std::string StrFlag(const std::map<std::string, std::string>& flags, const std::string& name,
                    const std::string& fallback = "");

struct LoadResult {
  std::string name;
  int concurrency = 0;
  uint64_t calls = 0;
  uint64_t errors = 0;
  double seconds = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
  std::vector<double> samples_ms;  // sorted latencies of every call
  double throughput() const { return seconds > 0 ? calls / seconds : 0; }
};

// One asynchronous call: invoke `done(ok)` when it finished (from any thread).
using AsyncCall = std::function<void(int caller, std::function<void(bool ok)> done)>;

// Stops after `duration`, or once `max_calls` calls were issued (0: no limit) and finished.
LoadResult RunClosedLoop(const std::string& name, int concurrency, absl::Duration duration,
                         const AsyncCall& call, uint64_t max_calls = 0);

std::string FormatRow(const LoadResult& r);

// Resident set size of a process in MiB (from /proc/<pid>/status), -1 if unknown.
double RssMiB(int pid);

}  // namespace stellenwerk::bench
