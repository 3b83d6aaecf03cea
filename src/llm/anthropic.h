#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/http.h"
#include "core/llm.h"
#include "llm/openai_compat.h"
#include "llm/sse.h"

namespace llm {

inline constexpr std::string_view k_anthropic_version = "2023-06-01";

// The body of POST {base}/v1/messages for `request`. Pure.
// The system prompt is a top-level block; the system block and the last message carry
// cache_control, so each turn of a conversation reads the stable prefix from Anthropic's prompt
// cache. max_tokens is always set (the API requires it). The Messages API has no JSON mode: for
// json_object/json_schema the system prompt asks for one JSON object (and gives the schema).
nlohmann::json build_anthropic_request(std::string_view model,
                                       const core::CompletionRequest& request, bool stream);

core::Result<core::Completion> parse_anthropic_response(std::string_view body);

// Accumulates a streamed Messages answer (message_start, content_block_delta, message_delta,
// message_stop; `error` events fail with the provider's message).
class AnthropicStream {
 public:
  core::Result<void> feed(const SseEvent& event);
  core::Result<core::Completion> finish();

 private:
  std::string m_text;
  core::Usage m_usage;
  std::string m_model;
  std::string m_stop_reason;
  bool m_stopped = false;
};

// core::LlmClient on Anthropic's native Messages API (x-api-key, anthropic-version). One sample
// per call (the API has no `n`); make_client puts a SamplingClient above it for n > 1.
class AnthropicClient final : public core::LlmClient {
 public:
  AnthropicClient(ProviderOptions options, core::HttpTransport& transport);
  core::Result<core::Completion> complete(const core::CompletionRequest& request) override;
  std::string spec() const override;

 private:
  ProviderOptions m_options;
  core::HttpTransport& m_transport;
};

}  // namespace llm
