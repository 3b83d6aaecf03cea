#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/http.h"
#include "core/llm.h"
#include "llm/http_errors.h"
#include "llm/providers.h"
#include "llm/sse.h"

namespace llm {

// One HTTP call to a provider and its answer, shared by the protocol clients. When `streaming`,
// the body is parsed as Server-Sent Events while it arrives, through `Stream` (feed(SseEvent) ->
// Result<void>, finish() -> Result<Completion>); a server that answers a streaming request with a
// plain JSON body is parsed with `parse_body`. Non-2xx statuses become http_status_error; every
// error is prefixed with the provider's name. Fills provider, model (if the answer named none)
// and latency.
template <typename Stream, typename ParseBody>
core::Result<core::Completion> exchange(core::HttpTransport& transport,
                                        const core::HttpRequest& http, bool streaming,
                                        const ProviderInfo& provider, std::string_view model,
                                        ParseBody parse_body) {
  auto started = std::chrono::steady_clock::now();
  SseParser parser;
  Stream stream;
  std::optional<core::Error> stream_error;
  // A field of an unexpected type makes nlohmann throw; here that is a malformed answer
  // (retryable), never an exception crossing libcurl or the decorators.
  auto malformed = [](const nlohmann::json::exception& e) {
    return core::Error(
        core::ErrorCode::server_error,
        std::string("malformed answer: a field has an unexpected type (") + e.what() + ")");
  };
  auto feed = [&](const SseEvent& e) {
    if (stream_error) return;
    try {
      if (auto r = stream.feed(e); !r) stream_error = r.error();
    } catch (const nlohmann::json::exception& ex) {
      stream_error = malformed(ex);
    }
  };
  core::BodyCallback on_body;
  if (streaming) {
    // Error answers arrive as JSON bodies, which hold no SSE fields and so feed nothing.
    on_body = [&](std::string_view chunk) {
      parser.feed(chunk, feed);
      return true;
    };
  }
  auto response = transport.send(http, on_body);
  if (!response) return std::unexpected(transport_error(provider, response.error()));
  if (response->status < 200 || response->status >= 300) {
    return std::unexpected(http_status_error(provider, model, *response));
  }
  const bool sse =
      response->header("content-type").value_or("").find("text/event-stream") != std::string::npos;
  core::Result<core::Completion> result;
  try {
    if (streaming && sse) {
      parser.finish(feed);
      if (stream_error) return std::unexpected(transport_error(provider, *stream_error));
      result = stream.finish();
    } else {
      result = parse_body(response->body);
    }
  } catch (const nlohmann::json::exception& ex) {
    result = std::unexpected(malformed(ex));
  }
  if (!result) return std::unexpected(transport_error(provider, result.error()));
  result->provider = std::string(provider.name);
  if (result->model.empty()) result->model = std::string(model);
  result->latency = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  return result;
}

}  // namespace llm
