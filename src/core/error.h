#pragma once

#include <chrono>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace core {

// What went wrong, in terms a caller can branch on. Add a code only when some caller needs to
// act differently on it; otherwise reuse the nearest one and say the rest in the message.
enum class ErrorCode {
  invalid_argument,  // the user or caller passed something unusable (bad flag, bad model spec)
  config,            // something the user must set up is missing (API key, binary, file)
  io,                // reading or writing a local file failed
  parse,             // text that should have been JSON/BibTeX/... was not
  network,           // could not connect, connection dropped, body cut short (retryable)
  timeout,           // the peer did not answer in time (retryable)
  rate_limited,      // HTTP 429 (retryable, may carry retry_after)
  server_error,      // HTTP 408/409/5xx/529 or a malformed answer body (retryable)
  auth,              // HTTP 401/403: the key is missing, wrong, or lacks access
  quota,             // the account is out of credit (insufficient_quota): retrying cannot help
  bad_request,       // HTTP 400/404/422: the request itself is wrong (model name, parameters)
  budget_exceeded,   // the run's --budget-usd is spent; no new LLM call starts
  replay_mismatch,   // a replayed transcript has no answer for this call
  process,           // a child process could not be started or was killed
  cancelled,         // stopped on purpose (Ctrl-C, a stream callback said stop)
  internal,          // a bug in this program; the message says where
};

std::string_view to_string(ErrorCode code);

// A failure as a value: a code to branch on and a message for a person. The message says what
// happened and, where there is one, what to do about it ("Set OPENAI_API_KEY ...").
struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string message;
  // When the peer said how long to wait before retrying (Retry-After), how long.
  std::optional<std::chrono::milliseconds> retry_after;

  Error() = default;
  Error(ErrorCode c, std::string m) : code(c), message(std::move(m)) {}

  // "rate_limited: openai: HTTP 429 ..." — for logs and the CLI.
  std::string describe() const;
};

template <typename T>
using Result = std::expected<T, Error>;

// Shorthand for returning a failure: `return fail(ErrorCode::io, "...")`.
inline std::unexpected<Error> fail(ErrorCode code, std::string message) {
  return std::unexpected<Error>(Error(code, std::move(message)));
}
inline std::unexpected<Error> fail(Error error) {
  return std::unexpected<Error>(std::move(error));
}

// True for failures that may succeed when tried again unchanged.
bool is_transient(ErrorCode code);

}  // namespace core

// TRY(expr): evaluates a Result; on failure returns its error from the enclosing function, on
// success yields the value. Uses a GNU statement expression (g++ and clang support it).
#define TRY(expr)                                                    \
  ({                                                                 \
    auto&& try_result_ = (expr);                                     \
    if (!try_result_) return ::std::unexpected(try_result_.error()); \
    std::move(*try_result_);                                         \
  })

// TRY_VOID(expr): the same for Result<void>.
#define TRY_VOID(expr)                                               \
  do {                                                               \
    auto&& try_result_ = (expr);                                     \
    if (!try_result_) return ::std::unexpected(try_result_.error()); \
  } while (0)
