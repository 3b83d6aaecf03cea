#include "llm/concurrency.h"

#include <algorithm>

namespace llm {

ConcurrencyLimiter::ConcurrencyLimiter(int slots) : m_slots(std::max(1, slots)) {}

void ConcurrencyLimiter::acquire() {
  std::unique_lock lock(m_mutex);
  m_cv.wait(lock, [&] { return m_used < m_slots; });
  ++m_used;
}

void ConcurrencyLimiter::release() {
  {
    std::lock_guard lock(m_mutex);
    --m_used;
  }
  m_cv.notify_one();
}

int ConcurrencyLimiter::in_use() const {
  std::lock_guard lock(m_mutex);
  return m_used;
}

std::shared_ptr<ConcurrencyLimiter> ProviderLimits::get(const std::string& provider, int slots) {
  std::lock_guard lock(m_mutex);
  auto& limiter = m_limits[provider];
  if (!limiter) limiter = std::make_shared<ConcurrencyLimiter>(slots);
  return limiter;
}

LimitedClient::LimitedClient(std::shared_ptr<core::LlmClient> inner,
                             std::shared_ptr<ConcurrencyLimiter> limiter)
    : m_inner(std::move(inner)), m_limiter(std::move(limiter)) {}

core::Result<core::Completion> LimitedClient::complete(const core::CompletionRequest& request) {
  m_limiter->acquire();
  struct Release {
    ConcurrencyLimiter& l;
    ~Release() { l.release(); }
  } release{*m_limiter};
  return m_inner->complete(request);
}

}  // namespace llm
