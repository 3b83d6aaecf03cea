#include "llm/providers.h"

#include <map>
#include <string>

#include <gtest/gtest.h>

namespace {

using core::Environment;
using core::ErrorCode;
using llm::ModelSpec;
using llm::parse_model_spec;
using llm::resolve_endpoint;
using Vars = std::map<std::string, std::string>;

ModelSpec parse_ok(std::string_view text) {
  auto spec = parse_model_spec(text);
  EXPECT_TRUE(spec.has_value()) << text << ": " << (spec ? "" : spec.error().describe());
  return spec.value_or(ModelSpec{});
}

void expect_names_providers(const std::string& message) {
  for (const char* name : {"openai", "anthropic", "deepseek", "openrouter", "gemini", "ollama",
                           "llamacpp", "vllm", "lmstudio", "compat", "replay"}) {
    EXPECT_NE(message.find(name), std::string::npos) << name << " missing from: " << message;
  }
}

TEST(ProvidersTable, FindsEveryListedProviderByName) {
  ASSERT_FALSE(llm::providers().empty());
  for (const auto& p : llm::providers()) {
    const llm::ProviderInfo* found = llm::find_provider(p.name);
    ASSERT_NE(found, nullptr) << p.name;
    EXPECT_EQ(found->name, p.name);
    EXPECT_GE(p.default_concurrency, 1) << p.name;
  }
  EXPECT_EQ(llm::find_provider("nope"), nullptr);
  EXPECT_EQ(llm::find_provider("replay"), nullptr);
}

TEST(ProvidersTable, AnthropicSpeaksItsOwnDialectAndLocalServersAreLocal) {
  EXPECT_EQ(llm::find_provider("anthropic")->dialect, llm::Dialect::anthropic);
  EXPECT_EQ(llm::find_provider("openai")->dialect, llm::Dialect::openai);
  EXPECT_TRUE(llm::find_provider("ollama")->local);
  EXPECT_FALSE(llm::find_provider("ollama")->key_required);
  EXPECT_FALSE(llm::find_provider("openai")->local);
  EXPECT_TRUE(llm::find_provider("openai")->key_required);
}

TEST(ParseModelSpec, SplitsProviderAndModel) {
  auto spec = parse_ok("openai/gpt-4o");
  EXPECT_EQ(spec.provider, "openai");
  EXPECT_EQ(spec.model, "gpt-4o");
  EXPECT_EQ(spec.written, "openai/gpt-4o");
}

TEST(ParseModelSpec, ModelMayContainSlashes) {
  auto spec = parse_ok("openrouter/meta-llama/llama-3.1-405b-instruct");
  EXPECT_EQ(spec.provider, "openrouter");
  EXPECT_EQ(spec.model, "meta-llama/llama-3.1-405b-instruct");
}

TEST(ParseModelSpec, ModelMayContainColons) {
  auto spec = parse_ok("ollama/qwen2.5-coder:32b");
  EXPECT_EQ(spec.provider, "ollama");
  EXPECT_EQ(spec.model, "qwen2.5-coder:32b");
}

TEST(ParseModelSpec, ReplayTakesThePathAsModel) {
  auto relative = parse_ok("replay/runs/a/transcript.jsonl");
  EXPECT_EQ(relative.provider, "replay");
  EXPECT_EQ(relative.model, "runs/a/transcript.jsonl");

  auto absolute = parse_ok("replay//tmp/t.jsonl");
  EXPECT_EQ(absolute.provider, "replay");
  EXPECT_EQ(absolute.model, "/tmp/t.jsonl");
}

TEST(ParseModelSpec, AiScientistBareNamesMapToTheirProvider) {
  struct Case {
    const char* written;
    const char* provider;
    const char* model;
  };
  const Case cases[] = {
      {"gpt-4o-2024-05-13", "openai", "gpt-4o-2024-05-13"},
      {"gpt-4o-mini", "openai", "gpt-4o-mini"},
      {"claude-3-5-sonnet-20240620", "anthropic", "claude-3-5-sonnet-20240620"},
      {"deepseek-coder-v2-0724", "deepseek", "deepseek-coder"},
      {"llama3.1-405b", "openrouter", "meta-llama/llama-3.1-405b-instruct"},
      {"o1-mini", "openai", "o1-mini"},
      {"o1-preview-2024-09-12", "openai", "o1-preview-2024-09-12"},
      {"gemini-1.5-pro", "gemini", "gemini-1.5-pro"},
  };
  for (const auto& c : cases) {
    auto spec = parse_ok(c.written);
    EXPECT_EQ(spec.provider, c.provider) << c.written;
    EXPECT_EQ(spec.model, c.model) << c.written;
    EXPECT_EQ(spec.written, c.written);
  }
}

TEST(ParseModelSpec, UnknownProviderNamesTheSupportedOnes) {
  auto spec = parse_model_spec("acme/rocket-1");
  ASSERT_FALSE(spec);
  EXPECT_EQ(spec.error().code, ErrorCode::invalid_argument);
  EXPECT_NE(spec.error().message.find("acme"), std::string::npos);
  expect_names_providers(spec.error().message);
}

TEST(ParseModelSpec, UnknownBareNameNamesTheSupportedProviders) {
  auto spec = parse_model_spec("mystery-model-7b");
  ASSERT_FALSE(spec);
  EXPECT_EQ(spec.error().code, ErrorCode::invalid_argument);
  EXPECT_NE(spec.error().message.find("mystery-model-7b"), std::string::npos);
  expect_names_providers(spec.error().message);
}

TEST(ParseModelSpec, EmptySpecAndMissingModelFail) {
  auto empty = parse_model_spec("");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::invalid_argument);

  auto no_model = parse_model_spec("openai/");
  ASSERT_FALSE(no_model);
  EXPECT_EQ(no_model.error().code, ErrorCode::invalid_argument);
  EXPECT_NE(no_model.error().message.find("openai/"), std::string::npos);
}

TEST(IsReasoningModel, RecognisesTheReasoningFamilies) {
  for (const char* m : {"o1", "o1-mini", "o1-preview", "o3", "o3-mini", "o4-mini", "gpt-5",
                        "gpt-5-mini", "openai/o3-mini"}) {
    EXPECT_TRUE(llm::is_reasoning_model(m)) << m;
  }
  for (const char* m :
       {"gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-5-chat-latest", "claude-3-5-sonnet-20240620",
        "deepseek-chat", "llama3.1-405b", "meta-llama/llama-3.1-405b-instruct"}) {
    EXPECT_FALSE(llm::is_reasoning_model(m)) << m;
  }
}

TEST(RejectsSystemPrompt, OnlyTheEarlyO1Models) {
  EXPECT_TRUE(llm::rejects_system_prompt("o1-mini"));
  EXPECT_TRUE(llm::rejects_system_prompt("o1-mini-2024-09-12"));
  EXPECT_TRUE(llm::rejects_system_prompt("o1-preview"));
  EXPECT_TRUE(llm::rejects_system_prompt("openai/o1-mini"));
  EXPECT_FALSE(llm::rejects_system_prompt("o1"));
  EXPECT_FALSE(llm::rejects_system_prompt("o3-mini"));
  EXPECT_FALSE(llm::rejects_system_prompt("gpt-4o"));
}

ModelSpec spec_of(const char* provider, const char* model) {
  return ModelSpec{provider, model, std::string(provider) + "/" + model};
}

TEST(ResolveEndpoint, DefaultBaseUrlAndKeyFromEnvironment) {
  Environment env(Vars{{"OPENAI_API_KEY", "sk-test-123456789"}});
  auto ep = resolve_endpoint(spec_of("openai", "gpt-4o"), env, std::nullopt);
  ASSERT_TRUE(ep) << ep.error().describe();
  EXPECT_EQ(ep->provider, llm::find_provider("openai"));
  EXPECT_EQ(ep->base_url, "https://api.openai.com/v1");
  EXPECT_EQ(ep->api_key, "sk-test-123456789");
}

TEST(ResolveEndpoint, EnvironmentOverridesDefault) {
  Environment env(Vars{{"OPENAI_API_KEY", "k"}, {"OPENAI_BASE_URL", "http://proxy.local:9000/v1"}});
  auto ep = resolve_endpoint(spec_of("openai", "gpt-4o"), env, std::nullopt);
  ASSERT_TRUE(ep) << ep.error().describe();
  EXPECT_EQ(ep->base_url, "http://proxy.local:9000/v1");
}

TEST(ResolveEndpoint, FlagOverridesEnvironment) {
  Environment env(Vars{{"OPENAI_API_KEY", "k"}, {"OPENAI_BASE_URL", "http://proxy.local:9000/v1"}});
  auto ep =
      resolve_endpoint(spec_of("openai", "gpt-4o"), env, std::string("http://127.0.0.1:7777/v1"));
  ASSERT_TRUE(ep) << ep.error().describe();
  EXPECT_EQ(ep->base_url, "http://127.0.0.1:7777/v1");
}

TEST(ResolveEndpoint, EmptyFlagFallsBackToEnvironment) {
  Environment env(Vars{{"OPENAI_API_KEY", "k"}, {"OPENAI_BASE_URL", "http://proxy.local:9000/v1"}});
  auto ep = resolve_endpoint(spec_of("openai", "gpt-4o"), env, std::string());
  ASSERT_TRUE(ep) << ep.error().describe();
  EXPECT_EQ(ep->base_url, "http://proxy.local:9000/v1");
}

TEST(ResolveEndpoint, TrailingSlashesAreStripped) {
  Environment env(Vars{{"OLLAMA_BASE_URL", "http://gpu-box:11434/v1//"}});
  auto from_env = resolve_endpoint(spec_of("ollama", "llama3"), env, std::nullopt);
  ASSERT_TRUE(from_env) << from_env.error().describe();
  EXPECT_EQ(from_env->base_url, "http://gpu-box:11434/v1");

  auto from_flag = resolve_endpoint(spec_of("ollama", "llama3"), Environment(),
                                    std::string("http://localhost:1/v1/"));
  ASSERT_TRUE(from_flag) << from_flag.error().describe();
  EXPECT_EQ(from_flag->base_url, "http://localhost:1/v1");
}

TEST(ResolveEndpoint, MissingKeyNamesTheVariable) {
  auto ep = resolve_endpoint(spec_of("anthropic", "claude-3-5-sonnet-20240620"), Environment(),
                             std::nullopt);
  ASSERT_FALSE(ep);
  EXPECT_EQ(ep.error().code, ErrorCode::config);
  EXPECT_NE(ep.error().message.find("ANTHROPIC_API_KEY"), std::string::npos);
}

TEST(ResolveEndpoint, EmptyKeyCountsAsMissing) {
  Environment env(Vars{{"OPENAI_API_KEY", ""}});
  auto ep = resolve_endpoint(spec_of("openai", "gpt-4o"), env, std::nullopt);
  ASSERT_FALSE(ep);
  EXPECT_EQ(ep.error().code, ErrorCode::config);
  EXPECT_NE(ep.error().message.find("OPENAI_API_KEY"), std::string::npos);
}

TEST(ResolveEndpoint, KeyStillDemandedWhenFlagRepeatsTheDefaultAddress) {
  auto ep = resolve_endpoint(spec_of("openai", "gpt-4o"), Environment(),
                             std::string("https://api.openai.com/v1/"));
  ASSERT_FALSE(ep);
  EXPECT_EQ(ep.error().code, ErrorCode::config);
}

TEST(ResolveEndpoint, KeyNotDemandedWhenBaseUrlOverridden) {
  auto by_flag = resolve_endpoint(spec_of("openai", "gpt-4o"), Environment(),
                                  std::string("http://127.0.0.1:8081/v1"));
  ASSERT_TRUE(by_flag) << by_flag.error().describe();
  EXPECT_FALSE(by_flag->api_key.has_value());

  Environment env(Vars{{"DEEPSEEK_BASE_URL", "http://127.0.0.1:8082"}});
  auto by_env = resolve_endpoint(spec_of("deepseek", "deepseek-chat"), env, std::nullopt);
  ASSERT_TRUE(by_env) << by_env.error().describe();
  EXPECT_FALSE(by_env->api_key.has_value());
}

TEST(ResolveEndpoint, LocalProvidersNeedNoKey) {
  auto ep = resolve_endpoint(spec_of("ollama", "qwen2.5-coder:32b"), Environment(), std::nullopt);
  ASSERT_TRUE(ep) << ep.error().describe();
  EXPECT_EQ(ep->base_url, "http://localhost:11434/v1");
  EXPECT_FALSE(ep->api_key.has_value());
}

TEST(ResolveEndpoint, OptionalKeyIsPassedWhenSet) {
  Environment env(Vars{{"VLLM_API_KEY", "vllm-secret-key"}});
  auto ep = resolve_endpoint(spec_of("vllm", "m"), env, std::nullopt);
  ASSERT_TRUE(ep) << ep.error().describe();
  EXPECT_EQ(ep->api_key, "vllm-secret-key");
}

TEST(ResolveEndpoint, CompatWithoutBaseUrlIsAConfigError) {
  auto ep = resolve_endpoint(spec_of("compat", "my-model"), Environment(), std::nullopt);
  ASSERT_FALSE(ep);
  EXPECT_EQ(ep.error().code, ErrorCode::config);
  EXPECT_NE(ep.error().message.find("--llm-base-url"), std::string::npos);
  EXPECT_NE(ep.error().message.find("COMPAT_BASE_URL"), std::string::npos);
}

TEST(ResolveEndpoint, CompatWithBaseUrlWorks) {
  Environment env(Vars{{"COMPAT_BASE_URL", "http://10.0.0.5:5000/v1/"}});
  auto ep = resolve_endpoint(spec_of("compat", "my-model"), env, std::nullopt);
  ASSERT_TRUE(ep) << ep.error().describe();
  EXPECT_EQ(ep->base_url, "http://10.0.0.5:5000/v1");
}

TEST(ResolveEndpoint, ReplayHasNoEndpoint) {
  auto ep = resolve_endpoint(spec_of("replay", "t.jsonl"), Environment(), std::nullopt);
  ASSERT_FALSE(ep);
  EXPECT_EQ(ep.error().code, ErrorCode::invalid_argument);
}

}  // namespace
