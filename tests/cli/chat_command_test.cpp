// `ai-scientist llm chat` end to end: the real binary, real HTTP, loopback provider fakes.
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/cli_runner.h"
#include "support/fake_llm_server.h"

namespace {

using test_support::Cli;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(CliBasics, HelpListsTheSubcommandsAndVersionPrintsOne) {
  Cli cli;
  auto help = cli.run({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_TRUE(contains(help.out, "llm")) << help.out;
  EXPECT_TRUE(contains(help.out, "doctor")) << help.out;
  auto version = cli.run({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_TRUE(contains(version.out, "0.")) << version.out;
  auto bad = cli.run({"no-such-command"});
  EXPECT_EQ(bad.exit_code, 2);
}

TEST(LlmChat, WithoutAKeyAnswersFromTheBuiltInTranscriptAndSaysSo) {
  Cli cli;
  auto run = cli.run({"llm", "chat", "Say hello"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(contains(run.out, "Hello")) << run.out;
  EXPECT_TRUE(contains(run.err, "recorded transcript")) << run.err;
  EXPECT_TRUE(contains(run.err, "not a live model")) << run.err;

  auto other = cli.run({"llm", "chat", "What is 2+2?"});
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_TRUE(contains(other.err, "does not match")) << other.err;
  EXPECT_TRUE(contains(other.err, "Say hello")) << other.err;
}

TEST(LlmChat, TalksToAnOpenAiCompatibleServerAndPrintsJson) {
  test_support::FakeOpenAiServer server;
  server.enqueue(test_support::openai_stream({"Hello", " from the fake"}, {40, 8, 0}, "gpt-4o"));
  Cli cli;
  cli.set_env("OPENAI_API_KEY", "sk-cli-test-abcdef123456");
  cli.set_env("OPENAI_BASE_URL", server.base_url());
  auto run = cli.run({"llm", "chat", "--model", "openai/gpt-4o", "--system", "Be brief.",
                      "--temperature", "0.3", "--json", "Say hello"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  auto j = nlohmann::json::parse(run.out);
  EXPECT_EQ(j["text"], "Hello from the fake");
  EXPECT_EQ(j["usage"]["input_tokens"], 40);
  EXPECT_EQ(j["usage"]["output_tokens"], 8);
  EXPECT_NEAR(j["cost_usd"].get<double>(), (40 * 2.5 + 8 * 10.0) / 1e6, 1e-12);
  EXPECT_EQ(j["replayed"], false);
  auto body = server.bodies().at(0);
  EXPECT_EQ(body["messages"][0]["content"], "Be brief.");
  EXPECT_DOUBLE_EQ(body["temperature"].get<double>(), 0.3);

  // The transcript records the call and not the key.
  std::string transcript = read_file(j["transcript"].get<std::string>());
  EXPECT_TRUE(contains(transcript, "Hello from the fake"));
  EXPECT_FALSE(contains(transcript, "sk-cli-test-abcdef123456"));
}

TEST(LlmChat, RetriesARateLimitAndTellsTheUser) {
  test_support::FakeOpenAiServer server;
  auto limited = test_support::error_reply(429, "Rate limit reached", "rate_limit_exceeded");
  limited.headers.emplace_back("retry-after-ms", "50");
  server.enqueue(limited);
  server.enqueue(test_support::openai_stream({"after the wait"}));
  Cli cli;
  cli.set_env("OPENAI_BASE_URL", server.base_url());
  auto run = cli.run({"llm", "chat", "--model", "openai/gpt-4o", "hi"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_TRUE(contains(run.out, "after the wait"));
  EXPECT_TRUE(contains(run.err, "HTTP 429")) << run.err;
  EXPECT_TRUE(contains(run.err, "retrying in 0.1 s")) << run.err;
}

TEST(LlmChat, ARefusedKeyFailsWithTheProviderMessageAndTheVariableToFix) {
  test_support::FakeAnthropicServer server;
  server.enqueue(test_support::error_reply(401, "invalid x-api-key", "authentication_error", true));
  Cli cli;
  cli.set_env("ANTHROPIC_API_KEY", "sk-ant-wrong-key-000000");
  cli.set_env("ANTHROPIC_BASE_URL", server.base_url());
  auto run = cli.run({"llm", "chat", "--model", "anthropic/claude-sonnet-4-5", "hi"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(contains(run.err, "anthropic: HTTP 401: invalid x-api-key")) << run.err;
  EXPECT_TRUE(contains(run.err, "ANTHROPIC_API_KEY")) << run.err;
  EXPECT_EQ(server.server().request_count(), 1u);
}

TEST(LlmChat, TalksToAnthropicAndToALocalServerThroughTheBaseUrlFlag) {
  test_support::FakeAnthropicServer anthropic;
  anthropic.enqueue(test_support::anthropic_stream({"Bonjour"}));
  test_support::FakeOpenAiServer local;
  local.enqueue(test_support::openai_stream({"from ollama"}));
  Cli cli;
  cli.set_env("ANTHROPIC_API_KEY", "sk-ant-test-123456789");
  cli.set_env("ANTHROPIC_BASE_URL", anthropic.base_url());
  auto a = cli.run({"llm", "chat", "--model", "anthropic/claude-sonnet-4-5", "hi"});
  EXPECT_EQ(a.exit_code, 0) << a.err;
  EXPECT_TRUE(contains(a.out, "Bonjour"));
  auto o = cli.run({"llm", "chat", "--model", "ollama/qwen2.5-coder:32b", "--llm-base-url",
                    local.base_url(), "hi"});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_TRUE(contains(o.out, "from ollama"));
  EXPECT_EQ(local.bodies().at(0)["model"], "qwen2.5-coder:32b");
}

TEST(LlmChat, ExplainsAMissingKeyAndAnUnknownProviderBeforeAnyCall) {
  Cli cli;
  auto no_key = cli.run({"llm", "chat", "--model", "openai/gpt-4o", "hi"});
  EXPECT_EQ(no_key.exit_code, 1);
  EXPECT_TRUE(contains(no_key.err, "set OPENAI_API_KEY")) << no_key.err;
  auto unknown = cli.run({"llm", "chat", "--model", "bedrock/claude", "hi"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_TRUE(contains(unknown.err, "unknown provider 'bedrock'")) << unknown.err;
}

TEST(LlmChat, ReplaysATranscriptWrittenByAnEarlierRun) {
  test_support::FakeOpenAiServer server;
  server.enqueue(test_support::openai_stream({"worth keeping"}));
  Cli cli;
  cli.set_env("OPENAI_BASE_URL", server.base_url());
  auto transcript = (cli.home() / "run.jsonl").string();
  auto live = cli.run({"llm", "chat", "--model", "openai/gpt-4o", "--transcript", transcript, "q"});
  ASSERT_EQ(live.exit_code, 0) << live.err;
  auto replayed = cli.run({"llm", "chat", "--model", "replay/" + transcript, "--json", "q"});
  ASSERT_EQ(replayed.exit_code, 0) << replayed.err;
  auto j = nlohmann::json::parse(replayed.out);
  EXPECT_EQ(j["text"], "worth keeping");
  EXPECT_EQ(j["replayed"], true);
  EXPECT_EQ(server.server().request_count(), 1u);
}

}  // namespace

namespace {

TEST(LlmChat, OnlyAProvidersKeyTurnsTheDemoOff) {
  Cli cli;
  cli.set_env("S2_API_KEY", "s2-key-not-an-llm-key");
  auto demo = cli.run({"llm", "chat", "Say hello"});
  EXPECT_EQ(demo.exit_code, 0) << demo.err;
  cli.set_env("OPENAI_API_KEY", "sk-set-but-no-model-123");
  auto no_model = cli.run({"llm", "chat", "Say hello"});
  EXPECT_EQ(no_model.exit_code, 1);
  EXPECT_TRUE(contains(no_model.err, "OPENAI_API_KEY is set: pass --model")) << no_model.err;
  EXPECT_FALSE(contains(no_model.err, "sk-set-but-no-model-123"));
}

}  // namespace
