#include "llm/anthropic.h"

#include <fmt/format.h>

#include "core/json.h"
#include "llm/exchange.h"
#include "llm/http_errors.h"

namespace llm {

using core::Completion;
using core::CompletionRequest;
using core::ErrorCode;
using nlohmann::json;

json build_anthropic_request(std::string_view model, const CompletionRequest& request,
                             bool stream) {
  // The Messages API has no JSON mode: the schema itself goes into the instruction.
  const std::string system = system_prompt_for(request, true);
  json body = {{"model", model}, {"max_tokens", request.max_output_tokens}};
  if (!system.empty()) {
    body["system"] = json::array(
        {{{"type", "text"}, {"text", system}, {"cache_control", {{"type", "ephemeral"}}}}});
  }
  json messages = json::array();
  for (const auto& m : request.messages) {
    messages.push_back({{"role", m.role == core::Role::user ? "user" : "assistant"},
                        {"content", json::array({{{"type", "text"}, {"text", m.content}}})}});
  }
  if (!messages.empty()) {
    messages.back()["content"].back()["cache_control"] = {{"type", "ephemeral"}};
  }
  body["messages"] = messages;
  if (request.temperature) body["temperature"] = *request.temperature;
  if (!request.stop.empty()) body["stop_sequences"] = request.stop;
  if (stream) body["stream"] = true;
  return body;
}

namespace {

// Anthropic reports uncached, cache-read and cache-written prompt tokens separately; Usage
// counts all prompt tokens in input_tokens.
void add_usage(core::Usage& usage, const json& u) {
  if (!u.is_object()) return;
  auto get = [&](const char* k) {
    return u.contains(k) && u[k].is_number_integer() ? u[k].get<std::int64_t>() : 0;
  };
  std::int64_t read = get("cache_read_input_tokens");
  std::int64_t written = get("cache_creation_input_tokens");
  usage.input_tokens += get("input_tokens") + read + written;
  usage.cached_input_tokens += read;
  usage.cache_write_tokens += written;
  usage.output_tokens += get("output_tokens");
}

}  // namespace

core::Result<Completion> parse_anthropic_response(std::string_view body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return core::fail(ErrorCode::server_error,
                      fmt::format("malformed answer (not JSON): {}", provider_message(body)));
  }
  if (j.value("type", "") == "error") {
    return core::fail(ErrorCode::server_error,
                      fmt::format("error in the answer body: {}", provider_message(body)));
  }
  if (!j.contains("content") || !j["content"].is_array()) {
    return core::fail(ErrorCode::server_error,
                      fmt::format("malformed answer (no content): {}", provider_message(body)));
  }
  Completion c;
  std::string text;
  for (const auto& block : j["content"]) {
    if (block.is_object() && block.value("type", "") == "text" && block.contains("text") &&
        block["text"].is_string()) {
      text += block["text"].get<std::string>();
    }
  }
  c.texts.push_back(std::move(text));
  c.model = j.value("model", "");
  if (j.contains("stop_reason") && j["stop_reason"].is_string()) {
    c.finish_reason = normalize_finish_reason(j["stop_reason"].get<std::string>());
  }
  add_usage(c.usage, j.value("usage", json()));
  return c;
}

core::Result<void> AnthropicStream::feed(const SseEvent& event) {
  json j = json::parse(event.data, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    if (event.data.empty()) return {};
    return core::fail(ErrorCode::server_error,
                      fmt::format("malformed stream event: {}", provider_message(event.data)));
  }
  std::string type = j.value("type", event.event);
  if (type == "error") {
    // Overloaded and API errors mid-stream are worth a retry.
    return core::fail(ErrorCode::server_error,
                      fmt::format("error during the stream: {}", provider_message(event.data)));
  }
  if (type == "message_start" && j.contains("message") && j["message"].is_object()) {
    m_model = j["message"].value("model", "");
    add_usage(m_usage, j["message"].value("usage", json()));
  } else if (type == "content_block_delta" && j.contains("delta") && j["delta"].is_object()) {
    const auto& d = j["delta"];
    if (d.value("type", "") == "text_delta" && d.contains("text") && d["text"].is_string()) {
      m_text += d["text"].get<std::string>();
    }
  } else if (type == "message_delta") {
    if (j.contains("delta") && j["delta"].is_object() && j["delta"].contains("stop_reason") &&
        j["delta"]["stop_reason"].is_string()) {
      m_stop_reason = normalize_finish_reason(j["delta"]["stop_reason"].get<std::string>());
    }
    // message_delta carries the final output count (cumulative), not an increment.
    if (j.contains("usage") && j["usage"].is_object()) {
      const auto& u = j["usage"];
      if (u.contains("output_tokens") && u["output_tokens"].is_number_integer()) {
        m_usage.output_tokens = u["output_tokens"].get<std::int64_t>();
      }
    }
  } else if (type == "message_stop") {
    m_stopped = true;
  }
  return {};
}

core::Result<Completion> AnthropicStream::finish() {
  if (!m_stopped) {
    return core::fail(ErrorCode::network,
                      fmt::format("the answer stream ended before message_stop ({} characters "
                                  "received)",
                                  m_text.size()));
  }
  Completion c;
  c.texts.push_back(std::move(m_text));
  c.usage = m_usage;
  c.model = m_model;
  c.finish_reason = m_stop_reason;
  return c;
}

AnthropicClient::AnthropicClient(ProviderOptions options, core::HttpTransport& transport)
    : m_options(std::move(options)), m_transport(transport) {}

std::string AnthropicClient::spec() const {
  return "anthropic/" + m_options.model;
}

core::Result<Completion> AnthropicClient::complete(const CompletionRequest& request) {
  if (request.n > 1) {
    return core::fail(ErrorCode::internal,
                      "the Messages API gives one sample per call: wrap AnthropicClient in a "
                      "SamplingClient for n > 1 (make_client does)");
  }
  const ProviderInfo& provider = *m_options.endpoint.provider;
  core::HttpRequest http;
  http.url = m_options.endpoint.base_url + "/v1/messages";
  http.idle_timeout = m_options.idle_timeout;
  http.headers.emplace_back("Content-Type", "application/json");
  http.headers.emplace_back("anthropic-version", std::string(k_anthropic_version));
  if (m_options.endpoint.api_key) {
    http.headers.emplace_back("x-api-key", *m_options.endpoint.api_key);
  }
  http.body = core::dump_json(build_anthropic_request(m_options.model, request, m_options.stream));

  return exchange<AnthropicStream>(m_transport, http, m_options.stream, provider, m_options.model,
                                   parse_anthropic_response);
}

}  // namespace llm
