#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/http.h"
#include "core/llm.h"
#include "llm/providers.h"
#include "llm/sse.h"

namespace llm {

// Settings shared by the HTTP providers (OpenAI-compatible and Anthropic).
struct ProviderOptions {
  std::string model;
  Endpoint endpoint;
  bool stream = true;
  std::chrono::seconds idle_timeout{180};
};

// The system prompt to send: request.system, plus, for the JSON formats, an instruction to answer
// with one JSON object (OpenAI refuses json_object mode unless the prompt mentions JSON; the
// Messages API has no JSON mode at all) and, `with_schema`, the schema itself. Pure.
std::string system_prompt_for(const core::CompletionRequest& request, bool with_schema);

// The body of POST {base}/chat/completions for `request`. Pure.
// Reasoning models get max_completion_tokens, no temperature, and the system prompt as a
// `developer` message (folded into the first user message for models that take neither).
nlohmann::json build_openai_request(std::string_view model, const core::CompletionRequest& request,
                                    bool stream, int n);

// A non-streamed answer body. Fails with server_error when the body is not the expected JSON
// (a proxy's HTML page, a cut-off body), since retrying may get a whole answer.
core::Result<core::Completion> parse_openai_response(std::string_view body);

// Accumulates a streamed answer from its SSE events. feed() returns an error when the stream
// carries one (an `error` object mid-stream); finish() fails with `network` when the stream
// ended before `[DONE]` and before every sample had a finish reason.
class OpenAiStream {
 public:
  core::Result<void> feed(const SseEvent& event);
  core::Result<core::Completion> finish();

 private:
  std::map<int, std::string> m_texts;
  std::map<int, std::string> m_finish;
  core::Usage m_usage;
  std::string m_model;
  bool m_done = false;
};

// core::LlmClient for every provider that speaks OpenAI's chat-completions protocol. Sends
// request.n as `n`; for providers without native `n`, make_client puts a SamplingClient above.
class OpenAiCompatClient final : public core::LlmClient {
 public:
  OpenAiCompatClient(ProviderOptions options, core::HttpTransport& transport);
  core::Result<core::Completion> complete(const core::CompletionRequest& request) override;
  std::string spec() const override;

 private:
  ProviderOptions m_options;
  core::HttpTransport& m_transport;
};

// Normalises provider finish reasons to "stop", "length", "content_filter", or passes them on.
std::string normalize_finish_reason(std::string_view reason);

}  // namespace llm
