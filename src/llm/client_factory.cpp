#include "llm/client_factory.h"

#include "llm/anthropic.h"
#include "llm/openai_compat.h"
#include "llm/providers.h"
#include "llm/sampling.h"

namespace llm {

std::shared_ptr<core::LlmClient> decorate(std::shared_ptr<core::LlmClient> client,
                                          const LlmServices& services) {
  client = std::make_shared<CostAccountingClient>(std::move(client), services.prices,
                                                  services.ledger, services.notice);
  if (services.transcript) {
    client =
        std::make_shared<RecordingClient>(std::move(client), services.transcript, services.notice);
  }
  return client;
}

core::Result<std::shared_ptr<core::LlmClient>> make_client(const ClientOptions& options,
                                                           const LlmServices& services) {
  ModelSpec spec = TRY(parse_model_spec(options.model_spec));
  if (spec.provider == "replay") {
    std::shared_ptr<core::LlmClient> replay = TRY(ReplayClient::from_file(spec.model));
    return decorate(std::move(replay), services);
  }
  Endpoint endpoint = TRY(resolve_endpoint(spec, services.env, options.base_url));
  // Without streaming, and for reasoning models that think silently before the first token,
  // nothing arrives until the answer is ready: a short idle timeout would cut (and a retry would
  // pay for) a long answer again.
  auto idle_timeout = options.idle_timeout;
  if (!options.stream || is_reasoning_model(spec.model)) {
    idle_timeout = std::max(idle_timeout, k_silent_idle_timeout);
  }
  ProviderOptions provider_options{spec.model, endpoint, options.stream, idle_timeout};
  std::shared_ptr<core::LlmClient> client;
  if (endpoint.provider->dialect == Dialect::anthropic) {
    client = std::make_shared<AnthropicClient>(provider_options, services.transport);
  } else {
    client = std::make_shared<OpenAiCompatClient>(provider_options, services.transport);
  }
  int slots = options.concurrency.value_or(endpoint.provider->default_concurrency);
  client = std::make_shared<LimitedClient>(
      std::move(client), services.limits.get(std::string(endpoint.provider->name), slots));
  client = std::make_shared<RetryingClient>(std::move(client), options.retry, services.clock,
                                            services.unit_random, services.notice);
  if (!endpoint.provider->native_n) {
    client = std::make_shared<SamplingClient>(std::move(client), services.notice);
  }
  return decorate(std::move(client), services);
}

std::vector<std::string> api_keys(const core::Environment& env) {
  std::vector<std::string> keys;
  for (const auto& p : providers()) {
    if (p.key_env.empty()) continue;
    if (auto k = env.get(p.key_env)) keys.push_back(*k);
  }
  for (const char* extra : {"S2_API_KEY", "OPENALEX_API_KEY"}) {
    if (auto k = env.get(extra)) keys.push_back(*k);
  }
  return keys;
}

}  // namespace llm
