#include "support/fake_clock.h"

namespace test_support {

FakeClock::TimePoint FakeClock::now() const {
  std::lock_guard lock(m_mutex);
  return m_now;
}

void FakeClock::sleep_for(Duration d) {
  std::lock_guard lock(m_mutex);
  m_sleeps.push_back(d);
  m_now += d;
}

void FakeClock::advance(Duration d) {
  std::lock_guard lock(m_mutex);
  m_now += d;
}

std::vector<FakeClock::Duration> FakeClock::sleeps() const {
  std::lock_guard lock(m_mutex);
  return m_sleeps;
}

}  // namespace test_support
