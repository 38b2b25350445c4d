#pragma once
// Time is injected everywhere. Production uses SystemClock; tests and the fake-clock mode
// (STELLENWERK_FAKE_CLOCK=1) use FakeClock, which stands still until set or advanced.

#include <functional>
#include <mutex>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace stellenwerk {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start) : now_(start) {}

  absl::Time Now() const override {
    std::lock_guard lock(mu_);
    return now_;
  }
  void Set(absl::Time t) {
    Change([t](absl::Time) { return t; });
  }
  void Advance(absl::Duration d) {
    Change([d](absl::Time now) { return now + d; });
  }
  // Called (outside the lock) after every change, e.g. to wake the timer loop.
  void OnChange(std::function<void(absl::Time)> listener) {
    std::lock_guard lock(mu_);
    listeners_.push_back(std::move(listener));
  }

 private:
  template <typename F>
  void Change(F f) {
    absl::Time now;
    std::vector<std::function<void(absl::Time)>> listeners;
    {
      std::lock_guard lock(mu_);
      now_ = f(now_);
      now = now_;
      listeners = listeners_;
    }
    for (auto& l : listeners) l(now);
  }

  mutable std::mutex mu_;
  absl::Time now_;
  std::vector<std::function<void(absl::Time)>> listeners_;
};

}  // namespace stellenwerk
