#pragma once

#include <mutex>
#include <vector>

#include "core/clock.h"

namespace test_support {

// A clock whose sleep returns at once and advances its own time; it records every sleep, so a
// test can assert the exact backoff schedule.
class FakeClock final : public core::Clock {
 public:
  TimePoint now() const override;
  void sleep_for(Duration d) override;
  void advance(Duration d);
  std::vector<Duration> sleeps() const;

 private:
  mutable std::mutex m_mutex;
  TimePoint m_now{};
  std::vector<Duration> m_sleeps;
};

}  // namespace test_support
