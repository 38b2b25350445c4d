#include "bench/load.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <fstream>
#include <iostream>
#include <mutex>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace stellenwerk::bench {
namespace {

void Percentiles(LoadResult& r) {
  const auto& all = r.samples_ms;
  if (all.empty()) {
    r.p50_ms = r.p99_ms = r.max_ms = 0;
    return;
  }
  r.p50_ms = all[all.size() / 2];
  r.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  r.max_ms = all.back();
}

}  // namespace

std::map<std::string, std::string> Flags(int argc, char** argv) {
  std::map<std::string, std::string> flags;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0) continue;
    const auto eq = a.find('=');
    flags[a.substr(2, eq - 2)] = eq == std::string::npos ? "1" : a.substr(eq + 1);
  }
  return flags;
}

int IntFlag(const std::map<std::string, std::string>& flags, const std::string& name,
            int fallback) {
  int v = fallback;
  if (auto it = flags.find(name); it != flags.end()) absl::SimpleAtoi(it->second, &v);
  return v;
}

std::string StrFlag(const std::map<std::string, std::string>& flags, const std::string& name,
                    const std::string& fallback) {
  auto it = flags.find(name);
  return it == flags.end() ? fallback : it->second;
}

LoadResult RunClosedLoop(const std::string& name, int concurrency, absl::Duration duration,
                         const AsyncCall& call, uint64_t max_calls) {
  struct Caller {
    std::vector<double> latencies_ms;  // successful calls only
    absl::Time started;
    uint64_t errors = 0;
  };
  std::vector<Caller> callers(concurrency);
  std::mutex mu;
  std::condition_variable cv;
  std::atomic<uint64_t> issued{0};
  // Claims the next call; false once max_calls were issued.
  auto claim = [&] { return max_calls == 0 || issued++ < max_calls; };
  if (max_calls > 0) concurrency = static_cast<int>(std::min<uint64_t>(concurrency, max_calls));
  int active = concurrency;
  const absl::Time start = absl::Now();
  const absl::Time end = start + duration;

  std::function<void(int)> issue = [&](int i) {
    callers[i].started = absl::Now();
    call(i, [&, i](bool ok) {
      const absl::Time now = absl::Now();
      Caller& c = callers[i];
      if (ok) {
        c.latencies_ms.push_back(absl::ToDoubleMilliseconds(now - c.started));
      } else {
        ++c.errors;
      }
      if (now < end && claim()) {
        issue(i);
      } else {
        std::lock_guard lock(mu);
        if (--active == 0) cv.notify_all();
      }
    });
  };
  for (int i = 0; i < concurrency; ++i) {
    claim();
    issue(i);
  }
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return active == 0; });
  }
  LoadResult r;
  r.name = name;
  r.concurrency = concurrency;
  r.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  for (auto& c : callers) {
    r.samples_ms.insert(r.samples_ms.end(), c.latencies_ms.begin(), c.latencies_ms.end());
    r.errors += c.errors;
  }
  r.calls = r.samples_ms.size();
  std::sort(r.samples_ms.begin(), r.samples_ms.end());
  Percentiles(r);
  return r;
}

void Merge(LoadResult& into, const LoadResult& r) {
  if (into.calls == 0 && into.errors == 0 && into.seconds == 0) {
    into = r;
    return;
  }
  into.calls += r.calls;
  into.errors += r.errors;
  into.seconds += r.seconds;
  into.samples_ms.insert(into.samples_ms.end(), r.samples_ms.begin(), r.samples_ms.end());
  std::sort(into.samples_ms.begin(), into.samples_ms.end());
  Percentiles(into);
}

std::string FormatHeader() {
  return "| benchmark | conc. | calls/s | p50 ms | p99 ms | errors |\n"
         "|---|---:|---:|---:|---:|---:|\n";
}

std::string FormatRow(const LoadResult& r) {
  return absl::StrFormat("| %-34s | %4d | %9.0f | %7.3f | %7.3f | %6llu |", r.name, r.concurrency,
                         r.throughput(), r.p50_ms, r.p99_ms,
                         static_cast<unsigned long long>(r.errors));
}

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

RoundsResult RunRounds(const std::string& label, int rounds, const Measure& baseline,
                       const Measure& subject) {
  RoundsResult out;
  out.label = label;
  rounds = std::max(1, rounds);
  for (int i = 0; i < rounds; ++i) {
    out.baseline.push_back(baseline(i));
    out.subject.push_back(subject(i));
    const LoadResult& a = out.baseline.back();
    const LoadResult& b = out.subject.back();
    const double ratio = a.throughput() > 0 ? b.throughput() / a.throughput() : 0;
    out.ratios.push_back(ratio);
    std::cerr << absl::StrFormat("  %s round %d/%d: %.0f vs %.0f calls/s, ratio %.2f\n", label,
                                 i + 1, rounds, b.throughput(), a.throughput(), ratio);
    Merge(out.baseline_all, a);
    Merge(out.subject_all, b);
  }
  out.median = Median(out.ratios);
  out.min = *std::min_element(out.ratios.begin(), out.ratios.end());
  out.max = *std::max_element(out.ratios.begin(), out.ratios.end());
  out.baseline_all.name = out.baseline.front().name + " (all rounds)";
  out.subject_all.name = out.subject.front().name + " (all rounds)";
  return out;
}

std::string FormatRounds(const RoundsResult& r) {
  std::string s = absl::StrCat("\n### ", r.label, "\n\n", FormatHeader());
  for (size_t i = 0; i < r.ratios.size(); ++i) {
    LoadResult a = r.baseline[i], b = r.subject[i];
    a.name = absl::StrCat("r", i + 1, " ", a.name);
    b.name = absl::StrCat("r", i + 1, " ", b.name);
    absl::StrAppend(&s, FormatRow(a), "\n", FormatRow(b), "\n");
  }
  absl::StrAppend(&s, FormatRow(r.baseline_all), "\n", FormatRow(r.subject_all),
                  "\n\nper-round ratios:");
  for (double x : r.ratios) absl::StrAppend(&s, absl::StrFormat(" %.2f", x));
  absl::StrAppend(
      &s,
      absl::StrFormat(
          "\n%s: median %.2f (range %.2f–%.2f) over %d alternated rounds; "
          "p50 %.3f vs %.3f ms, p99 %.3f vs %.3f ms (subject vs baseline, all rounds)\n",
          r.label, r.median, r.min, r.max, static_cast<int>(r.ratios.size()), r.subject_all.p50_ms,
          r.baseline_all.p50_ms, r.subject_all.p99_ms, r.baseline_all.p99_ms));
  return s;
}

void Verdict::Check(bool ok, const std::string& what) { checks_.emplace_back(ok, what); }

void Verdict::NoErrors(const LoadResult& r) {
  Check(r.errors == 0, absl::StrFormat("%s: %llu failed calls", r.name,
                                       static_cast<unsigned long long>(r.errors)));
}

void Verdict::NoErrors(const RoundsResult& r) {
  NoErrors(r.baseline_all);
  NoErrors(r.subject_all);
}

int Verdict::Finish() const {
  int failed = 0;
  std::cout << "\nchecks:\n";
  for (const auto& [ok, what] : checks_) {
    std::cout << "  " << (ok ? "ok     " : "FAILED ") << what << "\n";
    failed += ok ? 0 : 1;
  }
  if (failed == 0) {
    std::cout << "RESULT " << suite_ << ": PASS\n";
    return 0;
  }
  std::cout << "RESULT " << suite_ << ": FAIL (" << failed << " of " << checks_.size()
            << " checks failed)\n";
  return 1;
}

double RssMiB(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return -1;
}

}  // namespace stellenwerk::bench
