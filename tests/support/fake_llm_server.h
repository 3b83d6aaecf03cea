#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/loopback_server.h"

// Loopback stand-ins for LLM providers: an OpenAI-compatible server (POST /v1/chat/completions)
// and an Anthropic server (POST /v1/messages). Tests queue replies in the provider's own wire
// format (plain or streamed as SSE), inject failures, and read back what the client sent.
namespace test_support {

struct ReplyUsage {
  int input_tokens = 11;
  int output_tokens = 7;
  int cached_tokens = 0;
  int cache_write_tokens = 0;  // Anthropic only
};

// A chat.completion body with one choice per text.
ScriptedReply openai_reply(const std::vector<std::string>& texts, ReplyUsage usage = {},
                           std::string model = "fake-model", std::string finish = "stop");
// The same answer as an SSE stream: each piece a delta chunk, then a usage chunk and [DONE].
ScriptedReply openai_stream(const std::vector<std::string>& pieces, ReplyUsage usage = {},
                            std::string model = "fake-model");

// A Messages API body with one text block.
ScriptedReply anthropic_reply(const std::string& text, ReplyUsage usage = {},
                              std::string model = "claude-fake", std::string stop = "end_turn");
// The same answer streamed: message_start, content_block_start/deltas/stop, message_delta,
// message_stop, with a ping in between.
ScriptedReply anthropic_stream(const std::vector<std::string>& pieces, ReplyUsage usage = {},
                               std::string model = "claude-fake");

// An error answer in OpenAI's shape ({"error": {"message", "type", "code"}}), or Anthropic's
// ({"type": "error", "error": {"type", "message"}}) when `anthropic` is set.
ScriptedReply error_reply(int status, const std::string& message, const std::string& type = "",
                          bool anthropic = false);

class FakeOpenAiServer {
 public:
  // What the client's base URL must be ("http://127.0.0.1:PORT/v1").
  std::string base_url() const { return m_server.base_url() + "/v1"; }
  void enqueue(ScriptedReply reply) { m_server.enqueue("/v1/chat/completions", std::move(reply)); }
  // The JSON bodies received, in order.
  std::vector<nlohmann::json> bodies() const;
  LoopbackServer& server() { return m_server; }

 private:
  LoopbackServer m_server;
};

class FakeAnthropicServer {
 public:
  // Anthropic's base URL has no /v1: the client appends /v1/messages.
  std::string base_url() const { return m_server.base_url(); }
  void enqueue(ScriptedReply reply) { m_server.enqueue("/v1/messages", std::move(reply)); }
  std::vector<nlohmann::json> bodies() const;
  LoopbackServer& server() { return m_server; }

 private:
  LoopbackServer m_server;
};

}  // namespace test_support
