#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace core {

enum class Role { user, assistant };

struct Message {
  Role role = Role::user;
  std::string content;
};

enum class ResponseFormat {
  text,
  json_object,  // the reply must be one JSON object
  json_schema,  // the reply must match CompletionRequest::json_schema
};

// Where a call comes from. The transcript keys every call by (stage, conversation, turn); replay
// answers by the same key, so a stage must number the turns of each conversation from 0.
struct CallContext {
  std::string stage = "chat";
  std::string conversation = "default";
  int turn = 0;
  std::string idea;  // empty outside a per-idea stage
};

struct CompletionRequest {
  std::string system;
  // The conversation so far, oldest first, ending with the new user message.
  std::vector<Message> messages;
  // Unset: the provider's default. Ignored by reasoning models, which accept none.
  std::optional<double> temperature;
  int max_output_tokens = 4096;
  // Independent samples of the same prompt (providers without native `n` are called n times).
  int n = 1;
  ResponseFormat format = ResponseFormat::text;
  // A JSON Schema object, used when format is json_schema.
  nlohmann::json json_schema;
  std::vector<std::string> stop;
  CallContext context;
};

struct Usage {
  std::int64_t input_tokens = 0;         // all prompt tokens, cached ones included
  std::int64_t output_tokens = 0;        // generated tokens, reasoning tokens included
  std::int64_t cached_input_tokens = 0;  // prompt tokens read from the provider's cache
  std::int64_t cache_write_tokens = 0;   // prompt tokens written to the cache (Anthropic)

  Usage& operator+=(const Usage& o);
};

struct Completion {
  std::vector<std::string> texts;  // one per sample; never empty on success
  Usage usage;
  std::string provider;       // "openai", "anthropic", ..., or "replay"
  std::string model;          // the model that answered, as the provider named it
  std::string finish_reason;  // "stop", "length", "content_filter", or the provider's word
  std::chrono::milliseconds latency{0};
  // Dollars for this call; nullopt when the model is not in the price table.
  std::optional<double> cost_usd;
  // True when the answer came from a transcript rather than a live model.
  bool replayed = false;

  const std::string& text() const { return texts.front(); }
};

// The one way stages talk to a language model. Providers implement it; decorators add retries,
// concurrency limits, cost accounting, recording and replay, so a stage never knows which
// provider or which decorators it talks to.
//
// complete() returns the model's answer or an Error whose code says what a caller can do:
// retry on transient codes (see is_transient), re-prompt on `parse`, stop on `budget_exceeded`,
// tell the user on `auth`, `quota`, `config`, `bad_request`. Implementations are thread-safe.
class LlmClient {
 public:
  virtual ~LlmClient() = default;
  virtual Result<Completion> complete(const CompletionRequest& request) = 0;
  // "provider/model", as the user would write it in --model.
  virtual std::string spec() const = 0;
};

}  // namespace core
