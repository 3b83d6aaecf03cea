#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/llm.h"

namespace llm {

// A counting semaphore: at most `slots` holders at once. Thread-safe.
class ConcurrencyLimiter {
 public:
  explicit ConcurrencyLimiter(int slots);
  void acquire();
  void release();
  int slots() const { return m_slots; }
  int in_use() const;

 private:
  const int m_slots;
  int m_used = 0;
  mutable std::mutex m_mutex;
  std::condition_variable m_cv;
};

// One limiter per provider for the whole process, so every client of a provider (each stage,
// each idea) shares its limit. Thread-safe.
class ProviderLimits {
 public:
  // The provider's limiter, created with `slots` on first request (later values are ignored).
  std::shared_ptr<ConcurrencyLimiter> get(const std::string& provider, int slots);

 private:
  std::mutex m_mutex;
  std::map<std::string, std::shared_ptr<ConcurrencyLimiter>> m_limits;
};

// Holds a slot of `limiter` for the duration of each inner call.
class LimitedClient final : public core::LlmClient {
 public:
  LimitedClient(std::shared_ptr<core::LlmClient> inner,
                std::shared_ptr<ConcurrencyLimiter> limiter);
  core::Result<core::Completion> complete(const core::CompletionRequest& request) override;
  std::string spec() const override { return m_inner->spec(); }

 private:
  std::shared_ptr<core::LlmClient> m_inner;
  std::shared_ptr<ConcurrencyLimiter> m_limiter;
};

}  // namespace llm
