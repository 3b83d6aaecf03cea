#include "llm/openai_compat.h"
#include "llm/sampling.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

using core::CompletionRequest;
using core::ErrorCode;
using core::Message;
using core::Role;
using llm::build_openai_request;
using llm::OpenAiStream;
using llm::parse_openai_response;
using llm::SseEvent;
using nlohmann::json;

CompletionRequest chat_request() {
  CompletionRequest r;
  r.system = "You are a careful scientist.";
  r.messages = {Message{Role::user, "Propose an idea."}, Message{Role::assistant, "Idea A."},
                Message{Role::user, "Refine it."}};
  r.max_output_tokens = 1234;
  return r;
}

TEST(BuildOpenAiRequest, SystemMessageThenConversation) {
  json body = build_openai_request("gpt-4o", chat_request(), false, 1);
  EXPECT_EQ(body["model"], "gpt-4o");
  json expected = json::array({{{"role", "system"}, {"content", "You are a careful scientist."}},
                               {{"role", "user"}, {"content", "Propose an idea."}},
                               {{"role", "assistant"}, {"content", "Idea A."}},
                               {{"role", "user"}, {"content", "Refine it."}}});
  EXPECT_EQ(body["messages"], expected);
}

TEST(BuildOpenAiRequest, NoSystemMessageWhenSystemIsEmpty) {
  CompletionRequest r = chat_request();
  r.system.clear();
  json body = build_openai_request("gpt-4o", r, false, 1);
  ASSERT_EQ(body["messages"].size(), 3u);
  EXPECT_EQ(body["messages"][0]["role"], "user");
}

TEST(BuildOpenAiRequest, TemperatureAndMaxTokens) {
  CompletionRequest r = chat_request();
  r.temperature = 0.75;
  json body = build_openai_request("gpt-4o", r, false, 1);
  EXPECT_EQ(body["max_tokens"], 1234);
  EXPECT_DOUBLE_EQ(body["temperature"].get<double>(), 0.75);
  EXPECT_FALSE(body.contains("max_completion_tokens"));
}

TEST(BuildOpenAiRequest, MinimalBodyHasNoOptionalFields) {
  json body = build_openai_request("gpt-4o", chat_request(), false, 1);
  for (const char* field :
       {"temperature", "n", "stop", "response_format", "stream", "stream_options"}) {
    EXPECT_FALSE(body.contains(field)) << field;
  }
}

TEST(BuildOpenAiRequest, SamplesAndStopSequences) {
  CompletionRequest r = chat_request();
  r.stop = {"</end>", "STOP"};
  json body = build_openai_request("gpt-4o", r, false, 3);
  EXPECT_EQ(body["n"], 3);
  EXPECT_EQ(body["stop"], json::array({"</end>", "STOP"}));
}

TEST(BuildOpenAiRequest, JsonObjectFormat) {
  CompletionRequest r = chat_request();
  r.format = core::ResponseFormat::json_object;
  json body = build_openai_request("gpt-4o", r, false, 1);
  EXPECT_EQ(body["response_format"], json({{"type", "json_object"}}));
}

TEST(BuildOpenAiRequest, JsonSchemaFormat) {
  CompletionRequest r = chat_request();
  r.format = core::ResponseFormat::json_schema;
  r.json_schema = {{"type", "object"},
                   {"properties", {{"score", {{"type", "integer"}}}}},
                   {"required", {"score"}}};
  json body = build_openai_request("gpt-4o", r, false, 1);
  const json& rf = body["response_format"];
  EXPECT_EQ(rf["type"], "json_schema");
  EXPECT_EQ(rf["json_schema"]["schema"], r.json_schema);
  EXPECT_EQ(rf["json_schema"]["strict"], true);
  EXPECT_TRUE(rf["json_schema"]["name"].is_string());
}

TEST(BuildOpenAiRequest, StreamAsksForUsage) {
  json body = build_openai_request("gpt-4o", chat_request(), true, 1);
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["stream_options"], json({{"include_usage", true}}));
}

TEST(BuildOpenAiRequest, ReasoningModelsUseCompletionTokensDeveloperRoleAndNoTemperature) {
  CompletionRequest r = chat_request();
  r.temperature = 0.7;
  for (const char* model : {"o1", "o3-mini", "o4-mini", "gpt-5"}) {
    json body = build_openai_request(model, r, false, 1);
    EXPECT_EQ(body["max_completion_tokens"], 1234) << model;
    EXPECT_FALSE(body.contains("max_tokens")) << model;
    EXPECT_FALSE(body.contains("temperature")) << model;
    ASSERT_EQ(body["messages"].size(), 4u) << model;
    EXPECT_EQ(body["messages"][0]["role"], "developer") << model;
    EXPECT_EQ(body["messages"][0]["content"], "You are a careful scientist.") << model;
  }
}

TEST(BuildOpenAiRequest, O1MiniFoldsSystemIntoFirstUserMessage) {
  CompletionRequest r = chat_request();
  for (const char* model : {"o1-mini", "o1-preview", "openai/o1-mini"}) {
    json body = build_openai_request(model, r, false, 1);
    const json& messages = body["messages"];
    ASSERT_EQ(messages.size(), 3u) << model;
    for (const auto& m : messages) {
      EXPECT_NE(m["role"], "system") << model;
      EXPECT_NE(m["role"], "developer") << model;
    }
    EXPECT_EQ(messages[0]["role"], "user") << model;
    EXPECT_EQ(messages[0]["content"], "You are a careful scientist.\n\nPropose an idea.") << model;
    // Only the first user message carries the system prompt.
    EXPECT_EQ(messages[2]["content"], "Refine it.") << model;
    EXPECT_EQ(body["max_completion_tokens"], 1234) << model;
  }
}

TEST(ParseOpenAiResponse, TextUsageFinishReasonAndModel) {
  const char* body = R"({
    "id": "chatcmpl-1", "object": "chat.completion", "model": "gpt-4o-2024-08-06",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello there"},
                 "finish_reason": "length"}],
    "usage": {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150,
              "prompt_tokens_details": {"cached_tokens": 64}}
  })";
  auto c = parse_openai_response(body);
  ASSERT_TRUE(c) << c.error().describe();
  ASSERT_EQ(c->texts.size(), 1u);
  EXPECT_EQ(c->text(), "Hello there");
  EXPECT_EQ(c->model, "gpt-4o-2024-08-06");
  EXPECT_EQ(c->finish_reason, "length");
  EXPECT_EQ(c->usage.input_tokens, 120);
  EXPECT_EQ(c->usage.output_tokens, 30);
  EXPECT_EQ(c->usage.cached_input_tokens, 64);
  EXPECT_EQ(c->usage.cache_write_tokens, 0);
  EXPECT_FALSE(c->replayed);
}

TEST(ParseOpenAiResponse, SeveralChoicesAndContentParts) {
  const char* body = R"({
    "model": "m",
    "choices": [
      {"index": 0, "message": {"content": "first"}, "finish_reason": "stop"},
      {"index": 1, "message": {"content": [{"type": "text", "text": "sec"},
                                           {"type": "text", "text": "ond"}]},
       "finish_reason": "stop"},
      {"index": 2, "message": {"content": null}, "finish_reason": "content_filter"}
    ]
  })";
  auto c = parse_openai_response(body);
  ASSERT_TRUE(c) << c.error().describe();
  EXPECT_EQ(c->texts, (std::vector<std::string>{"first", "second", ""}));
  EXPECT_EQ(c->finish_reason, "stop");
  EXPECT_EQ(c->usage.input_tokens, 0);
}

TEST(ParseOpenAiResponse, MalformedBodiesAreServerErrors) {
  for (const char* body :
       {"<html><body>502 Bad Gateway</body></html>", "", "[1, 2]", R"({"choices": []})",
        R"({"id": "x"})", R"({"choices": [{"index": 0}]})", R"({"choices": [{"message": "x"}]})",
        R"({"choices": [{"message": {"content": "cut off"})"}) {
    auto c = parse_openai_response(body);
    ASSERT_FALSE(c) << body;
    EXPECT_EQ(c.error().code, ErrorCode::server_error) << body;
  }
}

TEST(ParseOpenAiResponse, ErrorObjectInA200Body) {
  auto c = parse_openai_response(R"({"error": {"message": "upstream model crashed"}})");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::server_error);
  EXPECT_NE(c.error().message.find("upstream model crashed"), std::string::npos);
}

TEST(NormalizeFinishReason, MapsProviderWords) {
  EXPECT_EQ(llm::normalize_finish_reason("stop"), "stop");
  EXPECT_EQ(llm::normalize_finish_reason("end_turn"), "stop");
  EXPECT_EQ(llm::normalize_finish_reason("stop_sequence"), "stop");
  EXPECT_EQ(llm::normalize_finish_reason("length"), "length");
  EXPECT_EQ(llm::normalize_finish_reason("max_tokens"), "length");
  EXPECT_EQ(llm::normalize_finish_reason("content_filter"), "content_filter");
  EXPECT_EQ(llm::normalize_finish_reason("refusal"), "content_filter");
  EXPECT_EQ(llm::normalize_finish_reason("tool_calls"), "tool_calls");
}

TEST(MergeSamples, AppendsTextsAndAddsUsage) {
  core::Completion a;
  a.texts = {"one"};
  a.usage.input_tokens = 10;
  a.usage.output_tokens = 2;
  a.latency = std::chrono::milliseconds(100);
  core::Completion b;
  b.texts = {"two"};
  b.model = "m";
  b.finish_reason = "stop";
  b.usage.input_tokens = 10;
  b.usage.output_tokens = 3;
  b.usage.cached_input_tokens = 8;
  b.latency = std::chrono::milliseconds(50);
  llm::merge_samples(a, b);
  EXPECT_EQ(a.texts, (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(a.usage.input_tokens, 20);
  EXPECT_EQ(a.usage.output_tokens, 5);
  EXPECT_EQ(a.usage.cached_input_tokens, 8);
  EXPECT_EQ(a.latency, std::chrono::milliseconds(150));
  EXPECT_EQ(a.model, "m");
  EXPECT_EQ(a.finish_reason, "stop");
}

SseEvent data(std::string d) {
  return SseEvent{"", std::move(d)};
}

core::Result<void> feed_all(OpenAiStream& s, const std::vector<std::string>& events) {
  for (const auto& e : events)
    TRY_VOID(s.feed(data(e)));
  return {};
}

TEST(OpenAiStream, AccumulatesDeltasAcrossEvents) {
  OpenAiStream s;
  auto fed = feed_all(
      s,
      {R"({"model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]})",
       R"({"choices":[{"index":0,"delta":{"content":"Hel"}}]})",
       R"({"choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":null}]})",
       R"({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})",
       R"({"choices":[],"usage":{"prompt_tokens":11,"completion_tokens":2,"prompt_tokens_details":{"cached_tokens":4}}})",
       "[DONE]"});
  ASSERT_TRUE(fed) << fed.error().describe();
  auto c = s.finish();
  ASSERT_TRUE(c) << c.error().describe();
  EXPECT_EQ(c->texts, (std::vector<std::string>{"Hello"}));
  EXPECT_EQ(c->model, "gpt-4o-2024-08-06");
  EXPECT_EQ(c->finish_reason, "stop");
  EXPECT_EQ(c->usage.input_tokens, 11);
  EXPECT_EQ(c->usage.output_tokens, 2);
  EXPECT_EQ(c->usage.cached_input_tokens, 4);
}

TEST(OpenAiStream, SeveralSamplesByIndex) {
  OpenAiStream s;
  auto fed =
      feed_all(s, {R"({"choices":[{"index":1,"delta":{"content":"B1"}}]})",
                   R"({"choices":[{"index":0,"delta":{"content":"A1"}}]})",
                   R"({"choices":[{"index":0,"delta":{"content":"A2"}},
                                         {"index":1,"delta":{"content":"B2"}}]})",
                   R"({"choices":[{"index":0,"delta":{},"finish_reason":"length"}]})",
                   R"({"choices":[{"index":1,"delta":{},"finish_reason":"stop"}]})", "[DONE]"});
  ASSERT_TRUE(fed) << fed.error().describe();
  auto c = s.finish();
  ASSERT_TRUE(c) << c.error().describe();
  EXPECT_EQ(c->texts, (std::vector<std::string>{"A1A2", "B1B2"}));
  EXPECT_EQ(c->finish_reason, "length");
}

TEST(OpenAiStream, DoneWithoutFinishReasonIsComplete) {
  OpenAiStream s;
  ASSERT_TRUE(feed_all(s, {R"({"choices":[{"index":0,"delta":{"content":"hi"}}]})", "[DONE]"}));
  auto c = s.finish();
  ASSERT_TRUE(c) << c.error().describe();
  EXPECT_EQ(c->text(), "hi");
}

TEST(OpenAiStream, AllFinishReasonsWithoutDoneIsComplete) {
  OpenAiStream s;
  ASSERT_TRUE(feed_all(
      s, {R"({"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]})"}));
  auto c = s.finish();
  ASSERT_TRUE(c) << c.error().describe();
  EXPECT_EQ(c->text(), "hi");
  EXPECT_EQ(c->finish_reason, "stop");
}

TEST(OpenAiStream, StreamThatEndsEarlyIsANetworkError) {
  OpenAiStream s;
  ASSERT_TRUE(feed_all(s, {R"({"choices":[{"index":0,"delta":{"content":"Hel"}}]})"}));
  auto c = s.finish();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::network);
  EXPECT_NE(c.error().message.find("3 characters"), std::string::npos) << c.error().message;
}

TEST(OpenAiStream, OneSampleUnfinishedIsANetworkError) {
  OpenAiStream s;
  ASSERT_TRUE(
      feed_all(s, {R"({"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":"stop"},
                                          {"index":1,"delta":{"content":"b"}}]})"}));
  auto c = s.finish();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::network);
}

TEST(OpenAiStream, EmptyStreamIsANetworkError) {
  OpenAiStream s;
  auto c = s.finish();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::network);
}

TEST(OpenAiStream, DoneWithoutAnyAnswerIsAServerError) {
  OpenAiStream s;
  ASSERT_TRUE(s.feed(data("[DONE]")));
  auto c = s.finish();
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::server_error);
}

TEST(OpenAiStream, ErrorObjectMidStreamIsAServerError) {
  OpenAiStream s;
  ASSERT_TRUE(s.feed(data(R"({"choices":[{"index":0,"delta":{"content":"par"}}]})")));
  auto r = s.feed(data(R"({"error":{"message":"Provider returned error","code":502}})"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::server_error);
  EXPECT_NE(r.error().message.find("Provider returned error"), std::string::npos);
}

TEST(OpenAiStream, MalformedEventIsAServerError) {
  OpenAiStream s;
  auto r = s.feed(data("{not json"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::server_error);
}

}  // namespace
