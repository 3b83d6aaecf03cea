#include "support/fake_llm_server.h"

using nlohmann::json;

namespace test_support {
namespace {

std::string sse(const json& data, const std::string& event = "") {
  std::string out;
  if (!event.empty()) out += "event: " + event + "\n";
  return out + "data: " + data.dump() + "\n\n";
}

std::vector<json> parse_bodies(const LoopbackServer& server) {
  std::vector<json> out;
  for (const auto& r : server.requests())
    out.push_back(json::parse(r.body, nullptr, false));
  return out;
}

}  // namespace

ScriptedReply openai_reply(const std::vector<std::string>& texts, ReplyUsage usage,
                           std::string model, std::string finish) {
  json choices = json::array();
  for (std::size_t i = 0; i < texts.size(); ++i) {
    choices.push_back({{"index", i},
                       {"message", {{"role", "assistant"}, {"content", texts[i]}}},
                       {"finish_reason", finish}});
  }
  json body = {{"id", "chatcmpl-fake"},
               {"object", "chat.completion"},
               {"model", model},
               {"choices", choices},
               {"usage",
                {{"prompt_tokens", usage.input_tokens},
                 {"completion_tokens", usage.output_tokens},
                 {"total_tokens", usage.input_tokens + usage.output_tokens},
                 {"prompt_tokens_details", {{"cached_tokens", usage.cached_tokens}}}}}};
  ScriptedReply r;
  r.body = body.dump();
  return r;
}

ScriptedReply openai_stream(const std::vector<std::string>& pieces, ReplyUsage usage,
                            std::string model) {
  ScriptedReply r;
  r.content_type = "text/event-stream";
  json first = {{"id", "chatcmpl-fake"},
                {"object", "chat.completion.chunk"},
                {"model", model},
                {"choices", {{{"index", 0}, {"delta", {{"role", "assistant"}, {"content", ""}}}}}}};
  r.chunks.push_back(sse(first));
  for (const auto& p : pieces) {
    json chunk = {{"object", "chat.completion.chunk"},
                  {"model", model},
                  {"choices", {{{"index", 0}, {"delta", {{"content", p}}}}}}};
    r.chunks.push_back(sse(chunk));
  }
  json last = {{"object", "chat.completion.chunk"},
               {"model", model},
               {"choices", {{{"index", 0}, {"delta", json::object()}, {"finish_reason", "stop"}}}}};
  r.chunks.push_back(sse(last));
  json usage_chunk = {{"object", "chat.completion.chunk"},
                      {"model", model},
                      {"choices", json::array()},
                      {"usage",
                       {{"prompt_tokens", usage.input_tokens},
                        {"completion_tokens", usage.output_tokens},
                        {"prompt_tokens_details", {{"cached_tokens", usage.cached_tokens}}}}}};
  r.chunks.push_back(sse(usage_chunk));
  r.chunks.push_back("data: [DONE]\n\n");
  return r;
}

ScriptedReply anthropic_reply(const std::string& text, ReplyUsage usage, std::string model,
                              std::string stop) {
  json body = {{"id", "msg_fake"},
               {"type", "message"},
               {"role", "assistant"},
               {"model", model},
               {"content", {{{"type", "text"}, {"text", text}}}},
               {"stop_reason", stop},
               {"usage",
                {{"input_tokens", usage.input_tokens},
                 {"output_tokens", usage.output_tokens},
                 {"cache_read_input_tokens", usage.cached_tokens},
                 {"cache_creation_input_tokens", usage.cache_write_tokens}}}};
  ScriptedReply r;
  r.body = body.dump();
  return r;
}

ScriptedReply anthropic_stream(const std::vector<std::string>& pieces, ReplyUsage usage,
                               std::string model) {
  ScriptedReply r;
  r.content_type = "text/event-stream";
  r.chunks.push_back(sse({{"type", "message_start"},
                          {"message",
                           {{"id", "msg_fake"},
                            {"type", "message"},
                            {"role", "assistant"},
                            {"model", model},
                            {"content", json::array()},
                            {"usage",
                             {{"input_tokens", usage.input_tokens},
                              {"output_tokens", 1},
                              {"cache_read_input_tokens", usage.cached_tokens},
                              {"cache_creation_input_tokens", usage.cache_write_tokens}}}}}},
                         "message_start"));
  r.chunks.push_back(sse({{"type", "content_block_start"},
                          {"index", 0},
                          {"content_block", {{"type", "text"}, {"text", ""}}}},
                         "content_block_start"));
  r.chunks.push_back(sse({{"type", "ping"}}, "ping"));
  for (const auto& p : pieces) {
    r.chunks.push_back(sse({{"type", "content_block_delta"},
                            {"index", 0},
                            {"delta", {{"type", "text_delta"}, {"text", p}}}},
                           "content_block_delta"));
  }
  r.chunks.push_back(sse({{"type", "content_block_stop"}, {"index", 0}}, "content_block_stop"));
  r.chunks.push_back(sse({{"type", "message_delta"},
                          {"delta", {{"stop_reason", "end_turn"}}},
                          {"usage", {{"output_tokens", usage.output_tokens}}}},
                         "message_delta"));
  r.chunks.push_back(sse({{"type", "message_stop"}}, "message_stop"));
  return r;
}

ScriptedReply error_reply(int status, const std::string& message, const std::string& type,
                          bool anthropic) {
  json body;
  if (anthropic) {
    body = {{"type", "error"}, {"error", {{"type", type}, {"message", message}}}};
  } else {
    body = {{"error", {{"message", message}, {"type", type}, {"code", type}}}};
  }
  ScriptedReply r;
  r.status = status;
  r.body = body.dump();
  return r;
}

std::vector<json> FakeOpenAiServer::bodies() const {
  return parse_bodies(m_server);
}
std::vector<json> FakeAnthropicServer::bodies() const {
  return parse_bodies(m_server);
}

}  // namespace test_support
