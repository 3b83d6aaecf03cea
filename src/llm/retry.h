#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string_view>

#include "core/clock.h"
#include "core/llm.h"

namespace llm {

struct RetryPolicy {
  int max_attempts = 6;  // the first call included
  std::chrono::milliseconds initial_delay{1000};
  double multiplier = 2.0;
  std::chrono::milliseconds max_delay{60000};
  // A Retry-After longer than this is not waited out: the call fails at once, saying so.
  std::chrono::milliseconds max_retry_after{300000};
};

// The wait before retry number `retry` (1 for the first retry): "equal jitter" on an exponential
// ceiling, i.e. ceiling/2 + unit_random * ceiling/2 with ceiling = min(max_delay,
// initial_delay * multiplier^(retry-1)). `unit_random` is in [0, 1). Pure.
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry, double unit_random);

// A uniform random number in [0, 1) for backoff jitter. Thread-safe (one generator per thread,
// seeded from std::random_device).
double random_unit();

// Reports each retry to the user: what failed and how long the wait is.
using Notice = std::function<void(std::string_view message)>;

// Retries the inner client's transient failures (network, timeout, rate_limited, server_error)
// with bounded backoff, honouring the provider's Retry-After when it gave one. Other failures
// (auth, quota, bad_request, parse, budget_exceeded, ...) return at once. The final error keeps
// the last failure's code and message and adds how many attempts were made over how long.
class RetryingClient final : public core::LlmClient {
 public:
  RetryingClient(std::shared_ptr<core::LlmClient> inner, RetryPolicy policy, core::Clock& clock,
                 std::function<double()> unit_random, Notice notice = {});
  core::Result<core::Completion> complete(const core::CompletionRequest& request) override;
  std::string spec() const override { return m_inner->spec(); }

 private:
  std::shared_ptr<core::LlmClient> m_inner;
  RetryPolicy m_policy;
  core::Clock& m_clock;
  std::function<double()> m_unit_random;
  Notice m_notice;
};

}  // namespace llm
