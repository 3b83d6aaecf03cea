#include "llm/retry.h"

#include <algorithm>
#include <cmath>
#include <random>

#include <fmt/format.h>

namespace llm {

using std::chrono::milliseconds;

double random_unit() {
  thread_local std::mt19937_64 engine(std::random_device{}());
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

milliseconds backoff_delay(const RetryPolicy& policy, int retry, double unit_random) {
  double ceiling = static_cast<double>(policy.initial_delay.count()) *
                   std::pow(policy.multiplier, std::max(0, retry - 1));
  ceiling = std::min(ceiling, static_cast<double>(policy.max_delay.count()));
  unit_random = std::clamp(unit_random, 0.0, 1.0);
  return milliseconds(std::llround(ceiling / 2 + unit_random * ceiling / 2));
}

RetryingClient::RetryingClient(std::shared_ptr<core::LlmClient> inner, RetryPolicy policy,
                               core::Clock& clock, std::function<double()> unit_random,
                               Notice notice)
    : m_inner(std::move(inner)),
      m_policy(policy),
      m_clock(clock),
      m_unit_random(std::move(unit_random)),
      m_notice(std::move(notice)) {}

core::Result<core::Completion> RetryingClient::complete(const core::CompletionRequest& request) {
  const auto started = m_clock.now();
  auto elapsed_s = [&] { return std::chrono::duration<double>(m_clock.now() - started).count(); };
  for (int attempt = 1;; ++attempt) {
    auto result = m_inner->complete(request);
    if (result || !core::is_transient(result.error().code)) return result;
    core::Error error = result.error();
    if (attempt >= m_policy.max_attempts) {
      error.message +=
          fmt::format(" [gave up after {} attempts over {:.0f} s]", attempt, elapsed_s());
      return std::unexpected(error);
    }
    milliseconds wait = backoff_delay(m_policy, attempt, m_unit_random());
    if (error.retry_after) {
      if (*error.retry_after > m_policy.max_retry_after) {
        error.message += fmt::format(
            " [the provider asked to wait {:.0f} s before retrying, "
            "longer than the {:.0f} s this engine waits]",
            error.retry_after->count() / 1000.0, m_policy.max_retry_after.count() / 1000.0);
        return std::unexpected(error);
      }
      wait = *error.retry_after;
    }
    if (m_notice) {
      m_notice(fmt::format("{} — retrying in {:.1f} s (attempt {} of {})", error.message,
                           wait.count() / 1000.0, attempt + 1, m_policy.max_attempts));
    }
    m_clock.sleep_for(wait);
  }
}

}  // namespace llm
