#pragma once

#include <chrono>
#include <string>

namespace core {

// Time as the engine sees it. Retry backoff and rate limiters sleep through this seam, so tests
// use a fake whose sleep returns at once and only advances its own time.
class Clock {
 public:
  using Duration = std::chrono::steady_clock::duration;
  using TimePoint = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;
  // Monotonic time, for measuring intervals. Thread-safe.
  virtual TimePoint now() const = 0;
  // Blocks the calling thread for `d` (real clock) or advances time by `d` (fake). Thread-safe.
  virtual void sleep_for(Duration d) = 0;
};

// The real monotonic clock. One shared instance is enough for the whole program.
class SteadyClock final : public Clock {
 public:
  TimePoint now() const override;
  void sleep_for(Duration d) override;
};

// Wall-clock time for records, as "2026-11-28T05:24:37.123Z" (UTC).
std::string utc_timestamp();

}  // namespace core
