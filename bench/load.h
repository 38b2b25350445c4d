#pragma once
// A closed-loop load generator: `concurrency` callers, each issuing its next call when the
// previous one completed, for `duration`. The same generator drives the service and its
// baseline, and RunRounds alternates the two (A B A B …) so that the machine's noise, which
// on 2 shared cores moves absolute numbers by 2x between minutes, hits both sides alike.
// Only successful calls count: a failed call adds to `errors`, never to throughput or to the
// latency samples, and any error fails the suite's verdict (Verdict below).

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace stellenwerk::bench {

// Command-line flags of the benches: --name=value (a bare --name is "1").
std::map<std::string, std::string> Flags(int argc, char** argv);
int IntFlag(const std::map<std::string, std::string>& flags, const std::string& name, int fallback);
std::string StrFlag(const std::map<std::string, std::string>& flags, const std::string& name,
                    const std::string& fallback = "");

struct LoadResult {
  std::string name;
  int concurrency = 0;
  uint64_t calls = 0;   // successful calls only
  uint64_t errors = 0;  // failed calls: not in calls, not in the samples
  double seconds = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
  std::vector<double> samples_ms;  // sorted latencies of every successful call
  double throughput() const { return seconds > 0 ? calls / seconds : 0; }
};

// One asynchronous call: invoke `done(ok)` when it finished (from any thread).
using AsyncCall = std::function<void(int caller, std::function<void(bool ok)> done)>;

// Stops after `duration`, or once `max_calls` calls were issued (0: no limit) and finished.
LoadResult RunClosedLoop(const std::string& name, int concurrency, absl::Duration duration,
                         const AsyncCall& call, uint64_t max_calls = 0);

// Adds `r` to `into`: calls, errors and seconds summed, percentiles over the union of the
// samples.
void Merge(LoadResult& into, const LoadResult& r);

std::string FormatHeader();
std::string FormatRow(const LoadResult& r);

// ---- rounds ---------------------------------------------------------------------------------

// One measured period of one side; `round` counts from 0.
using Measure = std::function<LoadResult(int round)>;

struct RoundsResult {
  std::string label;                          // e.g. "GetPosting (anonymous, hot) / Echo"
  std::vector<LoadResult> baseline, subject;  // per round
  std::vector<double> ratios;                 // subject / baseline throughput, per round
  double median = 0, min = 0, max = 0;        // of `ratios`
  LoadResult baseline_all, subject_all;       // all rounds merged (percentiles over all calls)
  uint64_t errors() const { return baseline_all.errors + subject_all.errors; }
};

// Runs baseline, subject, baseline, subject, … — `rounds` of each, strictly alternating —
// and pairs the i-th of each into round i's ratio. The reported ratio is the median of the
// per-round ratios with their range; a ratio of sums would let one lucky (or unlucky) round
// dominate. A round in which either side had no successful call has ratio 0.
RoundsResult RunRounds(const std::string& label, int rounds, const Measure& baseline,
                       const Measure& subject);

// The per-round table rows, a merged row per side and the summary line
// "<label>: median 0.62 (0.55–0.71) over 5 alternated rounds".
std::string FormatRounds(const RoundsResult& r);

double Median(std::vector<double> v);

// ---- verdict --------------------------------------------------------------------------------

// Collects a suite's checks; Finish prints every check and "RESULT <suite>: PASS" or
// "RESULT <suite>: FAIL (…)" and returns the process exit code (0 only on PASS).
class Verdict {
 public:
  explicit Verdict(std::string suite) : suite_(std::move(suite)) {}
  // A target of the issue, e.g. Check(ratio >= 0.5, "GetPosting/Echo median 0.81 >= 0.50").
  void Check(bool ok, const std::string& what);
  // Any failed call fails the verdict.
  void NoErrors(const LoadResult& r);
  void NoErrors(const RoundsResult& r);
  int Finish() const;

 private:
  std::string suite_;
  std::vector<std::pair<bool, std::string>> checks_;
};

// Resident set size of a process in MiB (from /proc/<pid>/status), -1 if unknown.
double RssMiB(int pid);

}  // namespace stellenwerk::bench
