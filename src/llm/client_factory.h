#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/environment.h"
#include "core/http.h"
#include "core/llm.h"
#include "llm/concurrency.h"
#include "llm/cost.h"
#include "llm/retry.h"
#include "llm/transcript.h"

namespace llm {

// The idle timeout used at least when no token can arrive before the whole answer is ready (no
// streaming, or a reasoning model).
inline constexpr std::chrono::seconds k_silent_idle_timeout{900};

// What the user chose for one model.
struct ClientOptions {
  std::string model_spec;               // --model
  std::optional<std::string> base_url;  // --llm-base-url
  bool stream = true;
  RetryPolicy retry;
  std::optional<int> concurrency;  // calls in flight per provider; default per provider
  std::chrono::seconds idle_timeout{180};
};

// The process-wide parts every client shares. Owned by the composition root (cli).
struct LlmServices {
  core::HttpTransport& transport;
  core::Clock& clock;
  const core::Environment& env;
  const PriceTable& prices;
  CostLedger& ledger;
  ProviderLimits& limits;
  std::shared_ptr<TranscriptWriter> transcript = nullptr;  // null: calls are not recorded
  std::function<void(std::string_view)> notice = {};  // retries, unknown prices, transcript trouble
  // Jitter source in [0, 1); called from any thread, so it must be thread-safe.
  std::function<double()> unit_random = random_unit;
};

// Builds the client for `options.model_spec`:
//   Recording( CostAccounting( [Sampling]( Retrying( Limited( provider )))))   live providers,
//   Recording( CostAccounting( Replay ))                                     replay/PATH.
// Sampling (n calls of one sample) only for providers without native `n`. Retries wait outside
// the concurrency slot; the budget is checked once per call, before any attempt; the transcript
// records what the caller finally got. Fails with invalid_argument or config before any call is
// made (bad spec, missing key, unreadable transcript).
core::Result<std::shared_ptr<core::LlmClient>> make_client(const ClientOptions& options,
                                                           const LlmServices& services);

// Wraps an already-built client (a replay from embedded text, say) with cost accounting and
// recording, as make_client does.
std::shared_ptr<core::LlmClient> decorate(std::shared_ptr<core::LlmClient> client,
                                          const LlmServices& services);

// The API keys present in `env` (for masking in transcripts and logs).
std::vector<std::string> api_keys(const core::Environment& env);

}  // namespace llm
