#include "llm/providers.h"

#include <array>

#include <fmt/format.h>

namespace llm {
namespace {

using core::ErrorCode;

// Local servers listen on their documented default ports; each has a *_BASE_URL override.
constexpr std::array k_providers = {
    ProviderInfo{"openai", Dialect::openai, "https://api.openai.com/v1", "OPENAI_API_KEY",
                 "OPENAI_BASE_URL", true, false, true, 8, "https://platform.openai.com/api-keys"},
    ProviderInfo{"anthropic", Dialect::anthropic, "https://api.anthropic.com", "ANTHROPIC_API_KEY",
                 "ANTHROPIC_BASE_URL", true, false, false, 8,
                 "https://console.anthropic.com/settings/keys"},
    ProviderInfo{"deepseek", Dialect::openai, "https://api.deepseek.com", "DEEPSEEK_API_KEY",
                 "DEEPSEEK_BASE_URL", true, false, false, 8,
                 "https://platform.deepseek.com/api_keys"},
    ProviderInfo{"openrouter", Dialect::openai, "https://openrouter.ai/api/v1",
                 "OPENROUTER_API_KEY", "OPENROUTER_BASE_URL", true, false, false, 8,
                 "https://openrouter.ai/keys"},
    ProviderInfo{"gemini", Dialect::openai,
                 "https://generativelanguage.googleapis.com/v1beta/openai", "GEMINI_API_KEY",
                 "GEMINI_BASE_URL", true, false, false, 8, "https://aistudio.google.com/apikey"},
    ProviderInfo{"ollama", Dialect::openai, "http://localhost:11434/v1", "OLLAMA_API_KEY",
                 "OLLAMA_BASE_URL", false, true, false, 1, ""},
    ProviderInfo{"llamacpp", Dialect::openai, "http://localhost:8080/v1", "LLAMACPP_API_KEY",
                 "LLAMACPP_BASE_URL", false, true, false, 1, ""},
    ProviderInfo{"vllm", Dialect::openai, "http://localhost:8000/v1", "VLLM_API_KEY",
                 "VLLM_BASE_URL", false, true, true, 4, ""},
    ProviderInfo{"lmstudio", Dialect::openai, "http://localhost:1234/v1", "LMSTUDIO_API_KEY",
                 "LMSTUDIO_BASE_URL", false, true, false, 1, ""},
    // Any other OpenAI-compatible server: --llm-base-url or COMPAT_BASE_URL says where.
    ProviderInfo{"compat", Dialect::openai, "", "COMPAT_API_KEY", "COMPAT_BASE_URL", false, false,
                 false, 4, ""},
};

struct BareName {
  std::string_view name;      // as AI Scientist's users write it
  std::string_view provider;  // where it goes
  std::string_view model;     // the id that provider knows it by; empty: unchanged
};

// AI Scientist's model names whose provider or id is not evident from the prefix rules below.
constexpr std::array k_bare_names = {
    BareName{"deepseek-coder-v2-0724", "deepseek", "deepseek-coder"},
    BareName{"deepseek-v3", "deepseek", "deepseek-chat"},
    BareName{"deepseek-r1", "deepseek", "deepseek-reasoner"},
    BareName{"llama3.1-405b", "openrouter", "meta-llama/llama-3.1-405b-instruct"},
    BareName{"llama3.1-405b-instruct", "openrouter", "meta-llama/llama-3.1-405b-instruct"},
};

struct PrefixRule {
  std::string_view prefix;
  std::string_view provider;
};

constexpr std::array k_prefix_rules = {
    PrefixRule{"gpt-", "openai"},        PrefixRule{"chatgpt-", "openai"},
    PrefixRule{"o1", "openai"},          PrefixRule{"o3", "openai"},
    PrefixRule{"o4", "openai"},          PrefixRule{"claude-", "anthropic"},
    PrefixRule{"deepseek-", "deepseek"}, PrefixRule{"gemini-", "gemini"},
};

std::string provider_names() {
  std::string out;
  for (const auto& p : k_providers) {
    if (!out.empty()) out += ", ";
    out += p.name;
  }
  return out + ", replay";
}

}  // namespace

std::span<const ProviderInfo> providers() {
  return k_providers;
}

const ProviderInfo* find_provider(std::string_view name) {
  for (const auto& p : k_providers) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

core::Result<ModelSpec> parse_model_spec(std::string_view spec) {
  std::string written(spec);
  if (spec.empty()) {
    return core::fail(ErrorCode::invalid_argument,
                      "empty model spec; write provider/model, e.g. openai/gpt-4o or "
                      "ollama/qwen2.5-coder:32b");
  }
  if (auto slash = spec.find('/'); slash != std::string_view::npos) {
    std::string_view provider = spec.substr(0, slash);
    std::string_view model = spec.substr(slash + 1);
    if (model.empty()) {
      return core::fail(ErrorCode::invalid_argument,
                        fmt::format("model spec '{}' names no model after '{}/'", spec, provider));
    }
    if (provider == "replay" || find_provider(provider)) {
      return ModelSpec{std::string(provider), std::string(model), written};
    }
    return core::fail(ErrorCode::invalid_argument,
                      fmt::format("unknown provider '{}' in model spec '{}'; supported providers: "
                                  "{} (any other OpenAI-compatible server: compat/MODEL with "
                                  "--llm-base-url URL)",
                                  provider, spec, provider_names()));
  }
  for (const auto& b : k_bare_names) {
    if (b.name == spec) {
      return ModelSpec{std::string(b.provider), std::string(b.model.empty() ? spec : b.model),
                       written};
    }
  }
  for (const auto& r : k_prefix_rules) {
    if (spec.starts_with(r.prefix)) {
      return ModelSpec{std::string(r.provider), std::string(spec), written};
    }
  }
  return core::fail(ErrorCode::invalid_argument,
                    fmt::format("cannot tell which provider serves model '{}'; write it as "
                                "provider/model, where provider is one of: {}",
                                spec, provider_names()));
}

namespace {

// The model id without a vendor prefix as OpenRouter writes it ("openai/o3-mini" -> "o3-mini").
std::string_view without_vendor(std::string_view model) {
  auto slash = model.rfind('/');
  return slash == std::string_view::npos ? model : model.substr(slash + 1);
}

}  // namespace

bool is_reasoning_model(std::string_view model) {
  model = without_vendor(model);
  if (model.starts_with("gpt-5")) return !model.starts_with("gpt-5-chat");
  return model.starts_with("o1") || model.starts_with("o3") || model.starts_with("o4");
}

bool rejects_system_prompt(std::string_view model) {
  model = without_vendor(model);
  return model.starts_with("o1-mini") || model.starts_with("o1-preview");
}

std::vector<std::string> remote_key_variables() {
  std::vector<std::string> out;
  for (const auto& p : k_providers) {
    if (p.key_required) out.emplace_back(p.key_env);
  }
  return out;
}

std::vector<std::string> remote_key_variables_set(const core::Environment& env) {
  std::vector<std::string> out;
  for (auto& name : remote_key_variables()) {
    if (env.get(name)) out.push_back(std::move(name));
  }
  return out;
}

core::Result<Endpoint> resolve_endpoint(const ModelSpec& spec, const core::Environment& env,
                                        const std::optional<std::string>& base_url_flag) {
  const ProviderInfo* p = find_provider(spec.provider);
  if (!p) {
    return core::fail(ErrorCode::invalid_argument,
                      fmt::format("'{}' is not a provider with an endpoint", spec.provider));
  }
  Endpoint ep;
  ep.provider = p;
  if (base_url_flag && !base_url_flag->empty()) {
    ep.base_url = *base_url_flag;
  } else if (auto v = env.get(p->base_url_env)) {
    ep.base_url = *v;
  } else {
    ep.base_url = std::string(p->default_base_url);
  }
  while (!ep.base_url.empty() && ep.base_url.back() == '/')
    ep.base_url.pop_back();
  if (ep.base_url.empty()) {
    return core::fail(ErrorCode::config,
                      fmt::format("provider '{}' has no default address: pass --llm-base-url "
                                  "http://HOST:PORT/v1 or set {}",
                                  p->name, p->base_url_env));
  }
  if (!p->key_env.empty()) ep.api_key = env.get(p->key_env);
  // A key is only demanded from the provider's real service; a user pointing the base URL at a
  // proxy or a local stand-in may not need one.
  bool default_address = ep.base_url == p->default_base_url;
  if (p->key_required && !ep.api_key && default_address) {
    return core::fail(ErrorCode::config,
                      fmt::format("{} needs an API key: set {} (get one at {}), or use a local "
                                  "model such as ollama/qwen2.5-coder:32b",
                                  p->name, p->key_env, p->key_help));
  }
  return ep;
}

}  // namespace llm
