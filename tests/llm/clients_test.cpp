// The provider clients over real HTTP (libcurl) against loopback fakes of OpenAI and Anthropic:
// request shape and headers, streamed and plain answers, retries, failures, and what the
// transcript keeps.
#include <fstream>

#include <gtest/gtest.h>

#include "http/curl_transport.h"
#include "llm/client_factory.h"
#include "support/fake_clock.h"
#include "support/fake_llm_server.h"
#include "support/temp_dir.h"

namespace {

using core::ErrorCode;
using test_support::FakeAnthropicServer;
using test_support::FakeOpenAiServer;
using test_support::ScriptedReply;

constexpr const char* k_openai_key = "sk-test-0123456789abcdef";
constexpr const char* k_anthropic_key = "sk-ant-test-0123456789abcdef";

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The composition the CLI uses, with a fake clock (retries do not really sleep) and a
// transcript in a temp folder.
struct Stack {
  http::CurlTransport transport;
  test_support::FakeClock clock;
  core::Environment env;
  llm::CostLedger ledger;
  llm::ProviderLimits limits;
  std::vector<std::string> notices;
  test_support::TempDir dir;
  std::filesystem::path transcript_path = dir.path() / "transcript.jsonl";
  std::shared_ptr<llm::TranscriptWriter> transcript;

  explicit Stack(std::optional<double> budget = std::nullopt) : ledger(budget) {
    env.set("OPENAI_API_KEY", k_openai_key);
    env.set("ANTHROPIC_API_KEY", k_anthropic_key);
    transcript = *llm::TranscriptWriter::open(transcript_path, llm::api_keys(env));
  }

  core::Result<std::shared_ptr<core::LlmClient>> client(const std::string& spec,
                                                        llm::ClientOptions options = {}) {
    options.model_spec = spec;
    llm::LlmServices services{transport,
                              clock,
                              env,
                              llm::PriceTable::builtin(),
                              ledger,
                              limits,
                              transcript,
                              [this](std::string_view m) { notices.emplace_back(m); },
                              [] { return 0.5; }};
    return llm::make_client(options, services);
  }
};

core::CompletionRequest ask(const std::string& prompt, const std::string& system = "") {
  core::CompletionRequest r;
  r.system = system;
  r.messages.push_back({core::Role::user, prompt});
  r.temperature = 0.2;
  r.max_output_tokens = 256;
  return r;
}

TEST(OpenAiClient, StreamsAnAnswerAndSendsTheRequestOpenAiExpects) {
  FakeOpenAiServer server;
  server.enqueue(
      test_support::openai_stream({"Hel", "lo", "!"}, {120, 30, 100}, "gpt-4o-2024-08-06"));
  Stack stack;
  stack.env.set("OPENAI_BASE_URL", server.base_url());
  auto client = stack.client("openai/gpt-4o");
  ASSERT_TRUE(client) << client.error().message;

  auto reply = (*client)->complete(ask("Say hello", "Be brief."));
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(reply->text(), "Hello!");
  EXPECT_EQ(reply->model, "gpt-4o-2024-08-06");
  EXPECT_EQ(reply->finish_reason, "stop");
  EXPECT_EQ(reply->usage.input_tokens, 120);
  EXPECT_EQ(reply->usage.cached_input_tokens, 100);
  EXPECT_EQ(reply->usage.output_tokens, 30);
  // gpt-4o: $2.50/M uncached input, $1.25/M cached, $10/M output.
  ASSERT_TRUE(reply->cost_usd);
  EXPECT_NEAR(*reply->cost_usd, (20 * 2.5 + 100 * 1.25 + 30 * 10.0) / 1e6, 1e-12);
  EXPECT_NEAR(stack.ledger.total_usd(), *reply->cost_usd, 1e-12);

  auto requests = server.server().requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].path, "/v1/chat/completions");
  EXPECT_EQ(requests[0].headers.at("authorization"), std::string("Bearer ") + k_openai_key);
  auto body = server.bodies()[0];
  EXPECT_EQ(body["model"], "gpt-4o");
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["messages"][0]["role"], "system");
  EXPECT_EQ(body["messages"][1]["content"], "Say hello");
  EXPECT_DOUBLE_EQ(body["temperature"].get<double>(), 0.2);
  EXPECT_EQ(body["max_tokens"], 256);
}

TEST(OpenAiClient, ReadsAPlainAnswerWhenStreamingIsOff) {
  FakeOpenAiServer server;
  server.enqueue(test_support::openai_reply({"plain answer"}));
  Stack stack;
  llm::ClientOptions options;
  options.stream = false;
  options.base_url = server.base_url();
  auto client = stack.client("ollama/qwen2.5-coder:32b", options);
  ASSERT_TRUE(client) << client.error().message;
  auto reply = (*client)->complete(ask("hi"));
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(reply->text(), "plain answer");
  EXPECT_EQ(reply->provider, "ollama");
  // Local servers cost nothing, and are sent no key.
  EXPECT_EQ(reply->cost_usd.value(), 0.0);
  EXPECT_EQ(server.server().requests()[0].headers.count("authorization"), 0u);
  EXPECT_FALSE(server.bodies()[0].contains("stream"));
}

TEST(OpenAiClient, RetriesA429HonouringRetryAfterThenSucceeds) {
  FakeOpenAiServer server;
  auto limited =
      test_support::error_reply(429, "Rate limit reached for gpt-4o", "rate_limit_exceeded");
  limited.headers.emplace_back("Retry-After", "7");
  server.enqueue(limited);
  server.enqueue(test_support::error_reply(500, "The server had an error"));
  server.enqueue(test_support::openai_stream({"ok"}));
  Stack stack;
  stack.env.set("OPENAI_BASE_URL", server.base_url());
  auto reply = (*stack.client("openai/gpt-4o"))->complete(ask("hi"));
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(reply->text(), "ok");
  EXPECT_EQ(server.server().request_count(), 3u);
  auto sleeps = stack.clock.sleeps();
  ASSERT_EQ(sleeps.size(), 2u);
  EXPECT_EQ(sleeps[0], std::chrono::seconds(7));  // Retry-After
  // Second retry: equal jitter on a 2 s ceiling with random 0.5 -> 1.5 s.
  EXPECT_EQ(sleeps[1], std::chrono::milliseconds(1500));
  ASSERT_EQ(stack.notices.size(), 2u);
  EXPECT_NE(stack.notices[0].find("HTTP 429"), std::string::npos);
}

TEST(OpenAiClient, RetriesAnAnswerCutShortAndAStreamThatStopsEarly) {
  FakeOpenAiServer server;
  auto cut = test_support::openai_reply({"this body is cut in half by the server"});
  cut.truncate = true;
  server.enqueue(cut);
  auto stream_cut = test_support::openai_stream({"a", "b", "c", "d"});
  stream_cut.truncate = true;
  server.enqueue(stream_cut);
  server.enqueue(test_support::openai_stream({"whole"}));
  Stack stack;
  stack.env.set("OPENAI_BASE_URL", server.base_url());
  auto reply = (*stack.client("openai/gpt-4o"))->complete(ask("hi"));
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(reply->text(), "whole");
  EXPECT_EQ(server.server().request_count(), 3u);
}

TEST(OpenAiClient, GivesUpAfterMaxAttemptsSayingWhatHappened) {
  FakeOpenAiServer server;
  server.server().set_fallback("/v1/chat/completions",
                               test_support::error_reply(503, "Service Unavailable"));
  Stack stack;
  stack.env.set("OPENAI_BASE_URL", server.base_url());
  llm::ClientOptions options;
  options.retry.max_attempts = 3;
  auto reply = (*stack.client("openai/gpt-4o", options))->complete(ask("hi"));
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().code, ErrorCode::server_error);
  EXPECT_NE(reply.error().message.find("openai: HTTP 503: Service Unavailable"), std::string::npos);
  EXPECT_NE(reply.error().message.find("gave up after 3 attempts"), std::string::npos);
  EXPECT_EQ(server.server().request_count(), 3u);
}

TEST(OpenAiClient, DoesNotRetryAuthOrQuotaFailuresAndSaysWhichVariableToFix) {
  FakeOpenAiServer server;
  server.enqueue(test_support::error_reply(401, "Incorrect API key provided", "invalid_api_key"));
  server.enqueue(
      test_support::error_reply(429, "You exceeded your current quota", "insufficient_quota"));
  Stack stack;
  stack.env.set("OPENAI_BASE_URL", server.base_url());
  auto client = *stack.client("openai/gpt-4o");
  auto auth = client->complete(ask("hi"));
  ASSERT_FALSE(auth);
  EXPECT_EQ(auth.error().code, ErrorCode::auth);
  EXPECT_NE(auth.error().message.find("OPENAI_API_KEY"), std::string::npos);
  EXPECT_NE(auth.error().message.find("Incorrect API key provided"), std::string::npos);
  auto quota = client->complete(ask("hi"));
  ASSERT_FALSE(quota);
  EXPECT_EQ(quota.error().code, ErrorCode::quota);
  EXPECT_EQ(server.server().request_count(), 2u);
  EXPECT_TRUE(stack.clock.sleeps().empty());
}

TEST(OpenAiClient, ASlowServerTimesOutAndIsRetried) {
  FakeOpenAiServer server;
  auto slow = test_support::openai_stream({"late"});
  slow.delay = std::chrono::milliseconds(2500);
  server.enqueue(slow);
  server.enqueue(test_support::openai_stream({"on time"}));
  Stack stack;
  stack.env.set("OPENAI_BASE_URL", server.base_url());
  llm::ClientOptions options;
  options.idle_timeout = std::chrono::seconds(1);
  auto reply = (*stack.client("openai/gpt-4o", options))->complete(ask("hi"));
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(reply->text(), "on time");
  ASSERT_FALSE(stack.notices.empty());
  EXPECT_NE(stack.notices[0].find("openai:"), std::string::npos);
}

TEST(OpenAiClient, ConnectionRefusedNamesTheAddress) {
  int port;
  {
    test_support::LoopbackServer closed;  // take a free port, then close it
    port = closed.port();
  }
  Stack stack;
  llm::ClientOptions options;
  options.retry.max_attempts = 1;
  options.base_url = "http://127.0.0.1:" + std::to_string(port) + "/v1";
  auto reply = (*stack.client("ollama/llama3", options))->complete(ask("hi"));
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().code, ErrorCode::network);
  EXPECT_NE(reply.error().message.find("ollama:"), std::string::npos);
  EXPECT_NE(reply.error().message.find(std::to_string(port)), std::string::npos);
  EXPECT_NE(reply.error().message.find("OLLAMA_BASE_URL or --llm-base-url"), std::string::npos)
      << reply.error().message;
}

TEST(OpenAiClient, SamplesNWithOneCallOnOpenAiAndNCallsElsewhere) {
  FakeOpenAiServer openai;
  openai.enqueue(test_support::openai_reply({"one", "two", "three"}));
  FakeOpenAiServer deepseek;
  for (const char* t : {"a", "b", "c"})
    deepseek.enqueue(test_support::openai_reply({t}));
  Stack stack;
  stack.env.set("OPENAI_BASE_URL", openai.base_url());
  stack.env.set("DEEPSEEK_BASE_URL", deepseek.base_url());
  llm::ClientOptions options;
  options.stream = false;
  auto request = ask("ideas");
  request.n = 3;
  auto from_openai = (*stack.client("openai/gpt-4o", options))->complete(request);
  ASSERT_TRUE(from_openai) << from_openai.error().message;
  EXPECT_EQ(from_openai->texts, (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_EQ(openai.bodies()[0]["n"], 3);
  auto from_deepseek = (*stack.client("deepseek-coder-v2-0724", options))->complete(request);
  ASSERT_TRUE(from_deepseek) << from_deepseek.error().message;
  EXPECT_EQ(from_deepseek->texts, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(deepseek.server().request_count(), 3u);
  EXPECT_EQ(deepseek.bodies()[0]["model"], "deepseek-coder");
  EXPECT_EQ(from_deepseek->usage.output_tokens, 21);
}

TEST(AnthropicClient, StreamsAnAnswerOnTheMessagesApiWithPromptCaching) {
  FakeAnthropicServer server;
  server.enqueue(test_support::anthropic_stream({"Hi", " there"}, {50, 12, 1000, 0},
                                                "claude-3-5-sonnet-20241022"));
  Stack stack;
  stack.env.set("ANTHROPIC_BASE_URL", server.base_url());
  auto client = stack.client("claude-3-5-sonnet-20240620");
  ASSERT_TRUE(client) << client.error().message;
  auto reply = (*client)->complete(ask("Say hello", "You are a reviewer."));
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(reply->text(), "Hi there");
  EXPECT_EQ(reply->provider, "anthropic");
  EXPECT_EQ(reply->usage.input_tokens, 1050);
  EXPECT_EQ(reply->usage.cached_input_tokens, 1000);
  EXPECT_EQ(reply->usage.output_tokens, 12);
  ASSERT_TRUE(reply->cost_usd);
  EXPECT_NEAR(*reply->cost_usd, (50 * 3.0 + 1000 * 0.3 + 12 * 15.0) / 1e6, 1e-12);

  auto req = server.server().requests().at(0);
  EXPECT_EQ(req.path, "/v1/messages");
  EXPECT_EQ(req.headers.at("x-api-key"), k_anthropic_key);
  EXPECT_EQ(req.headers.at("anthropic-version"), "2023-06-01");
  EXPECT_EQ(req.headers.count("authorization"), 0u);
  auto body = server.bodies()[0];
  EXPECT_EQ(body["model"], "claude-3-5-sonnet-20240620");
  EXPECT_EQ(body["max_tokens"], 256);
  EXPECT_EQ(body["system"][0]["text"], "You are a reviewer.");
  EXPECT_EQ(body["system"][0]["cache_control"]["type"], "ephemeral");
  EXPECT_EQ(body["messages"][0]["content"][0]["cache_control"]["type"], "ephemeral");
}

TEST(AnthropicClient, RetriesOverloaded529AndAnErrorEventMidStream) {
  FakeAnthropicServer server;
  server.enqueue(test_support::error_reply(529, "Overloaded", "overloaded_error", true));
  auto broken = test_support::anthropic_stream({"partial"});
  broken.chunks.resize(3);
  broken.chunks.push_back(
      "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
      "\"message\":\"Overloaded\"}}\n\n");
  server.enqueue(broken);
  server.enqueue(test_support::anthropic_reply("done"));
  Stack stack;
  stack.env.set("ANTHROPIC_BASE_URL", server.base_url());
  auto reply = (*stack.client("anthropic/claude-sonnet-4-5"))->complete(ask("hi"));
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(reply->text(), "done");
  EXPECT_EQ(server.server().request_count(), 3u);
  EXPECT_EQ(stack.clock.sleeps().size(), 2u);
}

TEST(AnthropicClient, ABadRequestFailsAtOnceWithTheProvidersMessage) {
  FakeAnthropicServer server;
  server.enqueue(
      test_support::error_reply(400, "max_tokens: field required", "invalid_request_error", true));
  Stack stack;
  stack.env.set("ANTHROPIC_BASE_URL", server.base_url());
  auto reply = (*stack.client("anthropic/claude-sonnet-4-5"))->complete(ask("hi"));
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().code, ErrorCode::bad_request);
  EXPECT_NE(reply.error().message.find("anthropic: HTTP 400: max_tokens: field required"),
            std::string::npos);
}

TEST(Transcript, RecordsEveryCallAndNeverTheKey) {
  FakeOpenAiServer server;
  server.enqueue(test_support::openai_stream({"first"}));
  server.enqueue(test_support::error_reply(401, "bad key"));
  Stack stack;
  stack.env.set("OPENAI_BASE_URL", server.base_url());
  auto client = *stack.client("openai/gpt-4o");
  auto request = ask(std::string("my key is ") + k_openai_key, "system text");
  request.context = {"ideas", "idea-3", 2, "grokking_idea"};
  ASSERT_TRUE(client->complete(request));
  ASSERT_FALSE(client->complete(request));

  std::string text = read_file(stack.transcript_path);
  EXPECT_EQ(text.find(k_openai_key), std::string::npos);
  EXPECT_EQ(text.find("Bearer"), std::string::npos);
  std::istringstream lines(text);
  std::string line;
  std::vector<nlohmann::json> entries;
  while (std::getline(lines, line))
    entries.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0]["stage"], "ideas");
  EXPECT_EQ(entries[0]["conversation"], "idea-3");
  EXPECT_EQ(entries[0]["turn"], 2);
  EXPECT_EQ(entries[0]["idea"], "grokking_idea");
  EXPECT_EQ(entries[0]["model"], "openai/gpt-4o");
  EXPECT_EQ(entries[0]["request"]["system"], "system text");
  EXPECT_EQ(entries[0]["response"]["texts"][0], "first");
  EXPECT_TRUE(entries[0]["usage"]["input_tokens"].is_number());
  EXPECT_TRUE(entries[0]["cost_usd"].is_number());
  EXPECT_TRUE(entries[0]["latency_ms"].is_number());
  EXPECT_EQ(entries[1]["error"]["code"], "auth");
}

TEST(Replay, ARecordedRunReplaysWithoutTheServer) {
  Stack stack;
  {
    FakeOpenAiServer server;
    server.enqueue(test_support::openai_stream({"recorded answer"}));
    stack.env.set("OPENAI_BASE_URL", server.base_url());
    ASSERT_TRUE((*stack.client("openai/gpt-4o"))->complete(ask("question")));
  }
  Stack replay_stack;
  auto replay = replay_stack.client("replay/" + stack.transcript_path.string());
  ASSERT_TRUE(replay) << replay.error().message;
  auto reply = (*replay)->complete(ask("question"));
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(reply->text(), "recorded answer");
  EXPECT_TRUE(reply->replayed);
  EXPECT_EQ(replay_stack.ledger.total_usd(), 0.0);
  auto next = (*replay)->complete(ask("question"));
  ASSERT_FALSE(next);
  EXPECT_EQ(next.error().code, ErrorCode::replay_mismatch);
}

TEST(Budget, NoCallStartsOnceTheBudgetIsSpent) {
  FakeOpenAiServer server;
  server.server().set_fallback("/v1/chat/completions",
                               test_support::openai_reply({"x"}, {1000000, 0, 0}));
  Stack stack(2.0);  // $2; each call costs $2.50 of gpt-4o input
  stack.env.set("OPENAI_BASE_URL", server.base_url());
  llm::ClientOptions options;
  options.stream = false;
  auto client = *stack.client("openai/gpt-4o", options);
  ASSERT_TRUE(client->complete(ask("hi")));
  auto second = client->complete(ask("hi"));
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::budget_exceeded);
  EXPECT_NE(second.error().message.find("--budget-usd"), std::string::npos);
  EXPECT_EQ(server.server().request_count(), 1u);
}

}  // namespace

namespace {

TEST(OpenAiClient, AFieldOfTheWrongTypeIsAMalformedAnswerThatIsRetried) {
  FakeOpenAiServer server;
  test_support::ScriptedReply odd;
  odd.body = R"({"model": null, "choices": [{"index": 0, "message": {"content": "x"}}],
                "usage": {"prompt_tokens": "many"}})";
  server.enqueue(odd);
  auto odd_stream = test_support::openai_stream({"a"});
  odd_stream.chunks[1] = "data: {\"choices\": [{\"index\": \"zero\", \"delta\": {}}]}\n\n";
  server.enqueue(odd_stream);
  server.enqueue(test_support::openai_reply({"well formed"}));
  Stack stack;
  stack.env.set("OPENAI_BASE_URL", server.base_url());
  auto reply = (*stack.client("openai/gpt-4o"))->complete(ask("hi"));
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(reply->text(), "well formed");
  ASSERT_EQ(stack.notices.size(), 2u);
  EXPECT_NE(stack.notices[0].find("malformed answer"), std::string::npos) << stack.notices[0];
}

TEST(OpenAiClient, TextThatIsNotValidUtf8IsSentAndRecordedWithoutFailing) {
  FakeOpenAiServer server;
  server.enqueue(test_support::openai_reply({"ok"}));
  Stack stack;
  stack.env.set("OPENAI_BASE_URL", server.base_url());
  auto reply = (*stack.client("openai/gpt-4o"))->complete(ask("log tail: \xff\xfe cut"));
  ASSERT_TRUE(reply) << reply.error().message;
  auto sent = server.bodies().at(0)["messages"][0]["content"].get<std::string>();
  EXPECT_NE(sent.find("cut"), std::string::npos);
  EXPECT_NE(read_file(stack.transcript_path).find("cut"), std::string::npos);
}

TEST(OpenAiClient, JsonModeTellsTheModelToAnswerInJson) {
  FakeOpenAiServer server;
  server.enqueue(test_support::openai_reply({R"({"a": 1})"}));
  Stack stack;
  stack.env.set("OPENAI_BASE_URL", server.base_url());
  auto request = ask("Give me a number");
  request.format = core::ResponseFormat::json_object;
  ASSERT_TRUE((*stack.client("openai/gpt-4o"))->complete(request));
  auto body = server.bodies().at(0);
  EXPECT_EQ(body["response_format"]["type"], "json_object");
  // OpenAI refuses json_object unless a message mentions JSON.
  EXPECT_NE(body["messages"][0]["content"].get<std::string>().find("JSON"), std::string::npos);
}

TEST(AnthropicClient, SamplesNWithNCallsThroughTheFactory) {
  FakeAnthropicServer server;
  server.enqueue(test_support::anthropic_reply("first"));
  server.enqueue(test_support::error_reply(529, "Overloaded", "overloaded_error", true));
  server.enqueue(test_support::anthropic_reply("second"));
  Stack stack;
  stack.env.set("ANTHROPIC_BASE_URL", server.base_url());
  llm::ClientOptions options;
  options.stream = false;
  auto request = ask("review");
  request.n = 2;
  auto reply = (*stack.client("anthropic/claude-sonnet-4-5", options))->complete(request);
  ASSERT_TRUE(reply) << reply.error().message;
  // The overloaded answer was retried for the second sample alone.
  EXPECT_EQ(reply->texts, (std::vector<std::string>{"first", "second"}));
  EXPECT_EQ(server.server().request_count(), 3u);
}

}  // namespace
