#include "llm/sampling.h"

#include <fmt/format.h>

namespace llm {

void merge_samples(core::Completion& into, core::Completion more) {
  for (auto& t : more.texts)
    into.texts.push_back(std::move(t));
  into.usage += more.usage;
  into.latency += more.latency;
  if (into.model.empty()) into.model = more.model;
  if (into.finish_reason.empty()) into.finish_reason = more.finish_reason;
}

SamplingClient::SamplingClient(std::shared_ptr<core::LlmClient> inner,
                               std::function<void(std::string_view)> notice)
    : m_inner(std::move(inner)), m_notice(std::move(notice)) {}

core::Result<core::Completion> SamplingClient::complete(const core::CompletionRequest& request) {
  if (request.n <= 1) return m_inner->complete(request);
  core::CompletionRequest one = request;
  one.n = 1;
  std::optional<core::Completion> all;
  for (int i = 0; i < request.n; ++i) {
    auto sample = m_inner->complete(one);
    if (!sample) {
      if (!all) return sample;
      if (m_notice) {
        m_notice(fmt::format("{}: kept {} of {} samples; the next one failed: {}", m_inner->spec(),
                             all->texts.size(), request.n, sample.error().message));
      }
      break;
    }
    if (!all) {
      all = std::move(*sample);
    } else {
      merge_samples(*all, std::move(*sample));
    }
  }
  return std::move(*all);
}

}  // namespace llm
