#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace core {

struct HttpRequest {
  std::string method = "POST";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::seconds connect_timeout{30};
  // Fails with `timeout` when no byte arrives for this long. Streaming answers keep a slow but
  // working model alive, while a hung server is still noticed.
  std::chrono::seconds idle_timeout{180};
  // Upper bound on the whole exchange; zero means none (the idle timeout still applies).
  std::chrono::seconds total_timeout{0};
};

struct HttpResponse {
  int status = 0;
  // Header names lower-cased; values as sent, trimmed.
  std::vector<std::pair<std::string, std::string>> headers;
  // The whole body, also when it was delivered to a BodyCallback piece by piece.
  std::string body;

  // The first header called `name` (compared case-insensitively).
  std::optional<std::string> header(std::string_view name) const;
};

// Receives the body as it arrives; return false to abort the transfer (send() then fails with
// ErrorCode::cancelled). Called on the thread that called send().
using BodyCallback = std::function<bool(std::string_view chunk)>;

// One HTTP exchange. Any status the server sends, 4xx and 5xx included, is a successful
// HttpResponse; an Error means no complete response arrived: connection refused or dropped
// (`network`), a body cut short (`network`), no data within the timeouts (`timeout`).
// Implementations are safe to call from several threads at once.
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  virtual Result<HttpResponse> send(const HttpRequest& request,
                                    const BodyCallback& on_body = {}) = 0;
};

}  // namespace core
