#include "llm/openai_compat.h"

#include <fmt/format.h>

#include "core/json.h"
#include "llm/exchange.h"
#include "llm/http_errors.h"

namespace llm {

using core::Completion;
using core::CompletionRequest;
using core::ErrorCode;
using nlohmann::json;

std::string normalize_finish_reason(std::string_view reason) {
  if (reason == "stop" || reason == "end_turn" || reason == "stop_sequence") return "stop";
  if (reason == "length" || reason == "max_tokens") return "length";
  if (reason == "content_filter" || reason == "refusal") return "content_filter";
  return std::string(reason);
}

std::string system_prompt_for(const CompletionRequest& request, bool with_schema) {
  std::string system = request.system;
  if (request.format == core::ResponseFormat::text) return system;
  if (!system.empty()) system += "\n\n";
  system += "Reply with a single JSON object and nothing else.";
  if (with_schema && request.format == core::ResponseFormat::json_schema) {
    system += " It must match this JSON Schema:\n" + core::dump_json(request.json_schema, 2);
  }
  return system;
}

json build_openai_request(std::string_view model, const CompletionRequest& request, bool stream,
                          int n) {
  const bool reasoning = is_reasoning_model(model);
  json messages = json::array();
  const std::string system = system_prompt_for(request, false);
  std::string folded_system;
  if (!system.empty()) {
    if (reasoning && rejects_system_prompt(model)) {
      folded_system = system + "\n\n";
    } else {
      messages.push_back({{"role", reasoning ? "developer" : "system"}, {"content", system}});
    }
  }
  for (const auto& m : request.messages) {
    std::string content = m.content;
    if (!folded_system.empty() && m.role == core::Role::user) {
      content = folded_system + content;
      folded_system.clear();
    }
    messages.push_back(
        {{"role", m.role == core::Role::user ? "user" : "assistant"}, {"content", content}});
  }
  json body = {{"model", model}, {"messages", messages}};
  if (reasoning) {
    body["max_completion_tokens"] = request.max_output_tokens;
  } else {
    body["max_tokens"] = request.max_output_tokens;
    if (request.temperature) body["temperature"] = *request.temperature;
  }
  if (n > 1) body["n"] = n;
  if (!request.stop.empty()) body["stop"] = request.stop;
  if (request.format == core::ResponseFormat::json_object) {
    body["response_format"] = {{"type", "json_object"}};
  } else if (request.format == core::ResponseFormat::json_schema) {
    body["response_format"] = {
        {"type", "json_schema"},
        {"json_schema", {{"name", "reply"}, {"schema", request.json_schema}, {"strict", true}}}};
  }
  if (stream) {
    body["stream"] = true;
    body["stream_options"] = {{"include_usage", true}};
  }
  return body;
}

namespace {

core::Usage parse_usage(const json& u) {
  core::Usage usage;
  if (!u.is_object()) return usage;
  usage.input_tokens = u.value("prompt_tokens", std::int64_t{0});
  usage.output_tokens = u.value("completion_tokens", std::int64_t{0});
  if (u.contains("prompt_tokens_details") && u["prompt_tokens_details"].is_object()) {
    const auto& d = u["prompt_tokens_details"];
    if (d.contains("cached_tokens") && d["cached_tokens"].is_number_integer()) {
      usage.cached_input_tokens = d["cached_tokens"].get<std::int64_t>();
    }
  }
  return usage;
}

std::string content_text(const json& content) {
  if (content.is_string()) return content.get<std::string>();
  // Some servers send a list of parts: [{"type":"text","text":"..."}].
  std::string out;
  if (content.is_array()) {
    for (const auto& part : content) {
      if (part.is_object() && part.contains("text") && part["text"].is_string()) {
        out += part["text"].get<std::string>();
      }
    }
  }
  return out;
}

core::Error malformed(std::string_view what, std::string_view body) {
  return core::Error(ErrorCode::server_error,
                     fmt::format("malformed answer ({}): {}", what, provider_message(body)));
}

}  // namespace

core::Result<Completion> parse_openai_response(std::string_view body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::unexpected(malformed("not JSON", body));
  if (j.contains("error") && !j["error"].is_null()) {
    return core::fail(ErrorCode::server_error,
                      fmt::format("error in the answer body: {}", provider_message(body)));
  }
  if (!j.contains("choices") || !j["choices"].is_array() || j["choices"].empty()) {
    return std::unexpected(malformed("no choices", body));
  }
  Completion c;
  c.model = j.value("model", "");
  c.usage = parse_usage(j.value("usage", json()));
  for (const auto& choice : j["choices"]) {
    if (!choice.is_object() || !choice.contains("message") || !choice["message"].is_object()) {
      return std::unexpected(malformed("a choice without a message", body));
    }
    c.texts.push_back(content_text(choice["message"].value("content", json())));
    if (c.finish_reason.empty() && choice.contains("finish_reason") &&
        choice["finish_reason"].is_string()) {
      c.finish_reason = normalize_finish_reason(choice["finish_reason"].get<std::string>());
    }
  }
  return c;
}

core::Result<void> OpenAiStream::feed(const SseEvent& event) {
  // Keep-alive frames (an empty data line, an event without data) carry nothing.
  if (event.data.empty()) return {};
  if (event.data == "[DONE]") {
    m_done = true;
    return {};
  }
  json j = json::parse(event.data, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return core::fail(ErrorCode::server_error,
                      fmt::format("malformed stream event: {}", provider_message(event.data)));
  }
  if (j.contains("error") && !j["error"].is_null()) {
    return core::fail(ErrorCode::server_error,
                      fmt::format("error during the stream: {}", provider_message(event.data)));
  }
  if (m_model.empty() && j.contains("model") && j["model"].is_string()) {
    m_model = j["model"].get<std::string>();
  }
  if (j.contains("usage") && j["usage"].is_object()) m_usage = parse_usage(j["usage"]);
  if (j.contains("choices") && j["choices"].is_array()) {
    for (const auto& choice : j["choices"]) {
      int index = choice.value("index", 0);
      std::string& text = m_texts[index];
      if (choice.contains("delta") && choice["delta"].is_object()) {
        const auto& delta = choice["delta"];
        if (delta.contains("content")) text += content_text(delta["content"]);
      }
      if (choice.contains("finish_reason") && choice["finish_reason"].is_string()) {
        m_finish[index] = normalize_finish_reason(choice["finish_reason"].get<std::string>());
      }
    }
  }
  return {};
}

core::Result<Completion> OpenAiStream::finish() {
  bool all_finished = !m_texts.empty() && m_finish.size() == m_texts.size();
  if (!m_done && !all_finished) {
    return core::fail(ErrorCode::network,
                      fmt::format("the answer stream ended before the answer was complete ({} "
                                  "characters received)",
                                  m_texts.empty() ? 0 : m_texts.begin()->second.size()));
  }
  if (m_texts.empty()) {
    return core::fail(ErrorCode::server_error, "the answer stream held no answer");
  }
  Completion c;
  c.model = m_model;
  c.usage = m_usage;
  for (auto& [index, text] : m_texts)
    c.texts.push_back(std::move(text));
  c.finish_reason = m_finish.empty() ? "" : m_finish.begin()->second;
  return c;
}

OpenAiCompatClient::OpenAiCompatClient(ProviderOptions options, core::HttpTransport& transport)
    : m_options(std::move(options)), m_transport(transport) {}

std::string OpenAiCompatClient::spec() const {
  return fmt::format("{}/{}", m_options.endpoint.provider->name, m_options.model);
}

core::Result<Completion> OpenAiCompatClient::complete(const CompletionRequest& request) {
  const int n = std::max(1, request.n);
  const ProviderInfo& provider = *m_options.endpoint.provider;
  core::HttpRequest http;
  http.url = m_options.endpoint.base_url + "/chat/completions";
  http.idle_timeout = m_options.idle_timeout;
  http.headers.emplace_back("Content-Type", "application/json");
  if (m_options.endpoint.api_key) {
    http.headers.emplace_back("Authorization", "Bearer " + *m_options.endpoint.api_key);
  }
  http.body = core::dump_json(build_openai_request(m_options.model, request, m_options.stream, n));

  return exchange<OpenAiStream>(m_transport, http, m_options.stream, provider, m_options.model,
                                parse_openai_response);
}

}  // namespace llm
