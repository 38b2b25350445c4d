#include "bench/load.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace stellenwerk::bench {

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
    std::vector<double> latencies_ms;
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
      c.latencies_ms.push_back(absl::ToDoubleMilliseconds(now - c.started));
      if (!ok) ++c.errors;
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
  std::vector<double> all;
  for (auto& c : callers) {
    all.insert(all.end(), c.latencies_ms.begin(), c.latencies_ms.end());
    r.errors += c.errors;
  }
  r.calls = all.size();
  if (!all.empty()) {
    std::sort(all.begin(), all.end());
    r.p50_ms = all[all.size() / 2];
    r.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
    r.max_ms = all.back();
  }
  r.samples_ms = std::move(all);
  return r;
}

std::string FormatRow(const LoadResult& r) {
  return absl::StrFormat("| %-34s | %4d | %9.0f | %7.3f | %7.3f | %6llu |", r.name, r.concurrency,
                         r.throughput(), r.p50_ms, r.p99_ms,
                         static_cast<unsigned long long>(r.errors));
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
