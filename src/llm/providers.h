#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/environment.h"
#include "core/error.h"

namespace llm {

// The wire protocol a provider speaks.
enum class Dialect {
  openai,     // POST {base}/chat/completions
  anthropic,  // POST {base}/v1/messages
};

// What the engine knows about one provider. The table is in providers.cpp; README.md lists it.
struct ProviderInfo {
  std::string_view name;  // the part before the first '/' in a model spec
  Dialect dialect;
  std::string_view default_base_url;  // empty: the user must give one
  std::string_view key_env;           // variable holding the API key; empty: none used
  std::string_view base_url_env;      // variable overriding the base URL
  bool key_required;                  // remote services refuse calls without a key
  bool local;                         // runs on the user's machine: calls cost nothing
  bool native_n;                      // accepts n > 1 in one request
  int default_concurrency;            // calls in flight at once, per process
  std::string_view key_help;          // where a user gets a key, for error messages
};

std::span<const ProviderInfo> providers();
const ProviderInfo* find_provider(std::string_view name);

// A parsed --model value.
struct ModelSpec {
  std::string provider;  // a name from providers(), or "replay"
  std::string model;     // the model id sent to the provider; for replay, the transcript path
  std::string written;   // what the user wrote, for messages
};

// Parses "provider/model" (the model part may itself contain '/' and ':', as in
// "openrouter/meta-llama/llama-3.1-405b-instruct" or "ollama/qwen2.5-coder:32b"),
// "replay/PATH", or one of AI Scientist's bare model names ("gpt-4o-2024-05-13",
// "claude-3-5-sonnet-20240620", "deepseek-coder-v2-0724", "llama3.1-405b", ...).
// Fails with invalid_argument naming the supported providers.
core::Result<ModelSpec> parse_model_spec(std::string_view spec);

// OpenAI's reasoning families (o1, o3, o4, gpt-5): they take max_completion_tokens, no
// temperature, and a `developer` message instead of `system`.
bool is_reasoning_model(std::string_view model);
// The early o1 models that accept neither a system nor a developer message.
bool rejects_system_prompt(std::string_view model);

// The key variables of the remote providers (those that require a key), in table order, and
// which of them are set in `env`.
std::vector<std::string> remote_key_variables();
std::vector<std::string> remote_key_variables_set(const core::Environment& env);

// Where to send a provider's calls and with which key.
struct Endpoint {
  const ProviderInfo* provider = nullptr;
  std::string base_url;  // without a trailing '/'
  std::optional<std::string> api_key;
};

// Base URL: `base_url_flag` (--llm-base-url), else the provider's *_BASE_URL variable, else its
// default. Key: the provider's *_API_KEY variable. Fails with `config` when a required key is
// missing or a provider without a default has no base URL, saying which variable or flag to set.
core::Result<Endpoint> resolve_endpoint(const ModelSpec& spec, const core::Environment& env,
                                        const std::optional<std::string>& base_url_flag);

}  // namespace llm
