#include "llm/anthropic.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

using core::CompletionRequest;
using core::ErrorCode;
using core::Message;
using core::Role;
using llm::AnthropicStream;
using llm::build_anthropic_request;
using llm::parse_anthropic_response;
using llm::SseEvent;
using nlohmann::json;

const json k_ephemeral = {{"type", "ephemeral"}};

CompletionRequest chat_request() {
  CompletionRequest r;
  r.system = "You are a reviewer.";
  r.messages = {Message{Role::user, "Review this."}, Message{Role::assistant, "Draft review."},
                Message{Role::user, "Be stricter."}};
  r.max_output_tokens = 2048;
  return r;
}

TEST(BuildAnthropicRequest, SystemIsATopLevelCachedBlock) {
  json body = build_anthropic_request("claude-3-5-sonnet-20240620", chat_request(), false);
  EXPECT_EQ(body["model"], "claude-3-5-sonnet-20240620");
  ASSERT_TRUE(body["system"].is_array());
  ASSERT_EQ(body["system"].size(), 1u);
  EXPECT_EQ(body["system"][0]["type"], "text");
  EXPECT_EQ(body["system"][0]["text"], "You are a reviewer.");
  EXPECT_EQ(body["system"][0]["cache_control"], k_ephemeral);
  for (const auto& m : body["messages"])
    EXPECT_NE(m["role"], "system");
}

TEST(BuildAnthropicRequest, OnlyTheLastMessageCarriesCacheControl) {
  json body = build_anthropic_request("claude-3-5-sonnet-20240620", chat_request(), false);
  const json& messages = body["messages"];
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0]["role"], "user");
  EXPECT_EQ(messages[1]["role"], "assistant");
  EXPECT_EQ(messages[2]["role"], "user");
  EXPECT_EQ(messages[0]["content"][0]["text"], "Review this.");
  EXPECT_FALSE(messages[0]["content"][0].contains("cache_control"));
  EXPECT_FALSE(messages[1]["content"][0].contains("cache_control"));
  EXPECT_EQ(messages[2]["content"][0]["type"], "text");
  EXPECT_EQ(messages[2]["content"][0]["text"], "Be stricter.");
  EXPECT_EQ(messages[2]["content"][0]["cache_control"], k_ephemeral);
}

TEST(BuildAnthropicRequest, MaxTokensAlwaysPresent) {
  CompletionRequest r;
  r.messages = {Message{Role::user, "hi"}};
  json body = build_anthropic_request("claude-3-5-haiku-latest", r, false);
  EXPECT_EQ(body["max_tokens"], 4096);
  EXPECT_FALSE(body.contains("system"));
  EXPECT_FALSE(body.contains("temperature"));
  EXPECT_FALSE(body.contains("stop_sequences"));
  EXPECT_FALSE(body.contains("stream"));
}

TEST(BuildAnthropicRequest, TemperatureStopSequencesAndStream) {
  CompletionRequest r = chat_request();
  r.temperature = 0.2;
  r.stop = {"</review>"};
  json body = build_anthropic_request("claude-3-5-sonnet-20240620", r, true);
  EXPECT_EQ(body["max_tokens"], 2048);
  EXPECT_DOUBLE_EQ(body["temperature"].get<double>(), 0.2);
  EXPECT_EQ(body["stop_sequences"], json::array({"</review>"}));
  EXPECT_EQ(body["stream"], true);
  EXPECT_FALSE(body.contains("stop"));
}

TEST(BuildAnthropicRequest, JsonModeAddsAnInstructionToTheSystemPrompt) {
  CompletionRequest r = chat_request();
  r.format = core::ResponseFormat::json_object;
  json body = build_anthropic_request("claude-3-5-sonnet-20240620", r, false);
  std::string system = body["system"][0]["text"];
  EXPECT_TRUE(system.starts_with("You are a reviewer.")) << system;
  EXPECT_NE(system.find("JSON object"), std::string::npos) << system;
  EXPECT_FALSE(body.contains("response_format"));
}

TEST(BuildAnthropicRequest, JsonModeWithoutSystemStillInstructs) {
  CompletionRequest r;
  r.messages = {Message{Role::user, "rate it"}};
  r.format = core::ResponseFormat::json_schema;
  r.json_schema = {{"type", "object"}, {"required", {"overall_score"}}};
  json body = build_anthropic_request("claude-3-5-sonnet-20240620", r, false);
  ASSERT_TRUE(body.contains("system"));
  std::string system = body["system"][0]["text"];
  EXPECT_NE(system.find("JSON"), std::string::npos) << system;
  EXPECT_NE(system.find("overall_score"), std::string::npos) << system;
  EXPECT_EQ(body["system"][0]["cache_control"], k_ephemeral);
}

TEST(ParseAnthropicResponse, TextUsageAndStopReason) {
  const char* body = R"({
    "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-3-5-sonnet-20240620",
    "content": [{"type": "text", "text": "Hello "}, {"type": "tool_use", "id": "t"},
                {"type": "text", "text": "world"}],
    "stop_reason": "end_turn",
    "usage": {"input_tokens": 10, "cache_read_input_tokens": 200,
              "cache_creation_input_tokens": 30, "output_tokens": 7}
  })";
  auto c = parse_anthropic_response(body);
  ASSERT_TRUE(c) << c.error().describe();
  ASSERT_EQ(c->texts.size(), 1u);
  EXPECT_EQ(c->text(), "Hello world");
  EXPECT_EQ(c->model, "claude-3-5-sonnet-20240620");
  EXPECT_EQ(c->finish_reason, "stop");
  EXPECT_EQ(c->usage.input_tokens, 240);
  EXPECT_EQ(c->usage.cached_input_tokens, 200);
  EXPECT_EQ(c->usage.cache_write_tokens, 30);
  EXPECT_EQ(c->usage.output_tokens, 7);
}

TEST(ParseAnthropicResponse, StopReasonsAreNormalised) {
  auto length = parse_anthropic_response(
      R"({"content": [{"type": "text", "text": "x"}], "stop_reason": "max_tokens"})");
  ASSERT_TRUE(length) << length.error().describe();
  EXPECT_EQ(length->finish_reason, "length");

  auto stop_seq = parse_anthropic_response(
      R"({"content": [{"type": "text", "text": "x"}], "stop_reason": "stop_sequence"})");
  ASSERT_TRUE(stop_seq) << stop_seq.error().describe();
  EXPECT_EQ(stop_seq->finish_reason, "stop");
}

TEST(ParseAnthropicResponse, UsageWithoutCacheFields) {
  auto c = parse_anthropic_response(
      R"({"content": [], "usage": {"input_tokens": 5, "output_tokens": 1}})");
  ASSERT_TRUE(c) << c.error().describe();
  EXPECT_EQ(c->text(), "");
  EXPECT_EQ(c->usage.input_tokens, 5);
  EXPECT_EQ(c->usage.cached_input_tokens, 0);
  EXPECT_EQ(c->usage.cache_write_tokens, 0);
}

TEST(ParseAnthropicResponse, ErrorsAndMalformedBodiesAreServerErrors) {
  auto overloaded = parse_anthropic_response(
      R"({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})");
  ASSERT_FALSE(overloaded);
  EXPECT_EQ(overloaded.error().code, ErrorCode::server_error);
  EXPECT_NE(overloaded.error().message.find("Overloaded"), std::string::npos);

  for (const char* body : {"not json", "", R"({"type": "message"})", R"({"content": "x"})"}) {
    auto c = parse_anthropic_response(body);
    ASSERT_FALSE(c) << body;
    EXPECT_EQ(c.error().code, ErrorCode::server_error) << body;
  }
}

core::Result<void> feed_all(AnthropicStream& s, const std::vector<SseEvent>& events) {
  for (const auto& e : events)
    TRY_VOID(s.feed(e));
  return {};
}

std::vector<SseEvent> normal_stream() {
  return {
      {"message_start",
       R"({"type":"message_start","message":{"id":"msg_1","model":"claude-3-5-sonnet-20240620","usage":{"input_tokens":12,"cache_read_input_tokens":100,"cache_creation_input_tokens":20,"output_tokens":1}}})"},
      {"content_block_start",
       R"({"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}})"},
      {"ping", R"({"type":"ping"})"},
      {"content_block_delta",
       R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}})"},
      {"content_block_delta",
       R"({"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":", world"}})"},
      {"content_block_stop", R"({"type":"content_block_stop","index":0})"},
      {"message_delta",
       R"({"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{"output_tokens":15}})"},
  };
}

TEST(AnthropicStream, AccumulatesAMessage) {
  AnthropicStream s;
  auto events = normal_stream();
  events.push_back({"message_stop", R"({"type":"message_stop"})"});
  ASSERT_TRUE(feed_all(s, events));
  auto c = s.finish();
  ASSERT_TRUE(c) << c.error().describe();
  EXPECT_EQ(c->text(), "Hello, world");
  EXPECT_EQ(c->model, "claude-3-5-sonnet-20240620");
  EXPECT_EQ(c->finish_reason, "length");
  EXPECT_EQ(c->usage.input_tokens, 132);
  EXPECT_EQ(c->usage.cached_input_tokens, 100);
  EXPECT_EQ(c->usage.cache_write_tokens, 20);
  // message_delta's output count is cumulative: it replaces message_start's.
  EXPECT_EQ(c->usage.output_tokens, 15);
}

TEST(AnthropicStream, TypeFromDataWinsAndEventNameIsTheFallback) {
  AnthropicStream s;
  ASSERT_TRUE(
      s.feed({"", R"({"type":"content_block_delta","delta":{"type":"text_delta","text":"a"}})"}));
  ASSERT_TRUE(s.feed({"content_block_delta", R"({"delta":{"type":"text_delta","text":"b"}})"}));
  ASSERT_TRUE(s.feed({"message_stop", "{}"}));
  auto c = s.finish();
  ASSERT_TRUE(c) << c.error().describe();
  EXPECT_EQ(c->text(), "ab");
}

TEST(AnthropicStream, NonTextDeltasAreIgnored) {
  AnthropicStream s;
  ASSERT_TRUE(feed_all(
      s,
      {{"content_block_delta",
        R"({"type":"content_block_delta","delta":{"type":"input_json_delta","partial_json":"{"}})"},
       {"content_block_delta",
        R"({"type":"content_block_delta","delta":{"type":"text_delta","text":"ok"}})"},
       {"message_stop", R"({"type":"message_stop"})"}}));
  auto c = s.finish();
  ASSERT_TRUE(c) << c.error().describe();
  EXPECT_EQ(c->text(), "ok");
}

TEST(AnthropicStream, NoMessageStopIsANetworkError) {
  AnthropicStream s;
  ASSERT_TRUE(feed_all(s, normal_stream()));
  auto c = s.finish();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::network);
  EXPECT_NE(c.error().message.find("message_stop"), std::string::npos);
  EXPECT_NE(c.error().message.find("12 characters"), std::string::npos) << c.error().message;
}

TEST(AnthropicStream, ErrorEventIsAServerError) {
  AnthropicStream s;
  ASSERT_TRUE(s.feed(normal_stream()[0]));
  auto r = s.feed(
      {"error", R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::server_error);
  EXPECT_NE(r.error().message.find("Overloaded"), std::string::npos);
}

TEST(AnthropicStream, EmptyDataIsIgnoredButGarbageIsAnError) {
  AnthropicStream s;
  EXPECT_TRUE(s.feed({"ping", ""}));
  auto r = s.feed({"content_block_delta", "{broken"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::server_error);
}

}  // namespace
