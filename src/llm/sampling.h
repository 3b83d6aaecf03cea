#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "core/llm.h"

namespace llm {

// Appends the answers of `more` to `into` and adds its usage and latency.
void merge_samples(core::Completion& into, core::Completion more);

// Serves n > 1 for providers without a native `n`: n calls of one sample each through the inner
// client, so each sample is retried on its own and a late failure does not throw away (or re-buy)
// the samples already paid for. When some samples fail after others succeeded, the answer holds
// the samples that succeeded (texts.size() < n) and the failure is reported through `notice`; it
// fails only when no sample succeeded. n <= 1 passes straight through.
class SamplingClient final : public core::LlmClient {
 public:
  SamplingClient(std::shared_ptr<core::LlmClient> inner,
                 std::function<void(std::string_view)> notice = {});
  core::Result<core::Completion> complete(const core::CompletionRequest& request) override;
  std::string spec() const override { return m_inner->spec(); }

 private:
  std::shared_ptr<core::LlmClient> m_inner;
  std::function<void(std::string_view)> m_notice;
};

}  // namespace llm
