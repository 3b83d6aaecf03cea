#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/http.h"
#include "llm/providers.h"

namespace llm {

// How long the server asked us to wait: `retry-after-ms` (milliseconds), else `retry-after` as
// seconds (fractions allowed). An HTTP-date form is not used by LLM providers and is ignored.
std::optional<std::chrono::milliseconds> retry_after(const core::HttpResponse& response);

// The provider's own words from an error body: error.message in both OpenAI's and Anthropic's
// shapes, else the body itself (shortened). Empty when the body is empty.
std::string provider_message(std::string_view body);

// The Error for a non-2xx answer. Names the provider, the status and the provider's message,
// and says what fixes it (the key variable for 401/403, the model name for 404, ...).
// 429 is `rate_limited` unless the body says insufficient_quota (`quota`, not retryable);
// 408, 409, 5xx and 529 are `server_error`; other 4xx are `bad_request` (400/404/422) or `auth`.
core::Error http_status_error(const ProviderInfo& provider, std::string_view model,
                              const core::HttpResponse& response);

// Prefixes a transport error with the provider's name, keeping its code; when the server could
// not be reached, says which variable or flag sets its address.
core::Error transport_error(const ProviderInfo& provider, core::Error error);

}  // namespace llm
