#include "core/clock.h"

#include <ctime>
#include <thread>

#include <fmt/format.h>

namespace core {

Clock::TimePoint SteadyClock::now() const {
  return std::chrono::steady_clock::now();
}

void SteadyClock::sleep_for(Duration d) {
  std::this_thread::sleep_for(d);
}

std::string utc_timestamp() {
  auto now = std::chrono::system_clock::now();
  std::time_t secs = std::chrono::system_clock::to_time_t(now);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

}  // namespace core
