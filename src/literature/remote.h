#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json_fwd.hpp>

#include "core/clock.h"
#include "core/error.h"
#include "core/http.h"
#include "core/literature.h"
#include "llm/retry.h"

// What the remote literature sources (Semantic Scholar, OpenAlex, arXiv) share: request pacing,
// bounded retries, URL encoding and the errors they report.
namespace literature {

// Spaces the starts of requests at least `interval` apart, across every thread that shares it.
// A caller reserves the next free slot under a lock and then waits for it outside the lock, so
// concurrent callers queue up one interval apart. Waits go through the Clock (tests use a fake);
// no wait of zero is ever requested. Thread-safe.
class RateLimiter {
 public:
  RateLimiter(core::Clock& clock, core::Clock::Duration interval)
      : m_clock(clock), m_interval(interval) {}
  // Returns when this caller may start its request.
  void acquire();
  core::Clock::Duration interval() const { return m_interval; }

 private:
  std::mutex m_mutex;
  core::Clock& m_clock;
  core::Clock::Duration m_interval;
  std::optional<core::Clock::TimePoint> m_next;  // the earliest start of the next request
};

// Settings every remote source takes. The caller reads the environment (base URL variables,
// keys) and passes the values in; these modules never read the environment themselves.
struct RemoteOptions {
  // Empty: the service's public address. No trailing slash needed.
  std::string base_url;
  // Bounded: the first try included. Retry-After longer than max_retry_after fails at once.
  llm::RetryPolicy retry{.max_attempts = 4,
                         .initial_delay = std::chrono::milliseconds(1000),
                         .multiplier = 2.0,
                         .max_delay = std::chrono::milliseconds(30000),
                         .max_retry_after = std::chrono::milliseconds(120000)};
  // Jitter for backoff, in [0, 1).
  std::function<double()> unit_random = llm::random_unit;
  // Null: the source makes its own at the service's pace. Pass one shared_ptr to several
  // instances of a source so that together they keep the service's limit.
  std::shared_ptr<RateLimiter> limiter;
  // Told about each retry (what failed, how long the wait is); may be empty.
  llm::Notice notice;
  std::chrono::seconds connect_timeout{20};
  std::chrono::seconds idle_timeout{60};
};

// How a service is named in errors and what the user can change about it.
struct ServiceInfo {
  std::string name;          // "s2": the source's name()
  std::string display_name;  // "Semantic Scholar"
  std::string key_hint;      // "S2_API_KEY": what gives a key or a higher limit; may be empty
  bool key_set = false;      // whether a key (or mailto) was configured
  std::string base_url_env;  // "S2_BASE_URL"
  // The service's own words from an error body; empty: service_message.
  std::function<std::string(std::string_view body)> message_of;
};

// RFC 3986 percent-encoding: everything but A-Z a-z 0-9 - . _ ~ becomes %XX (a space is %20).
std::string url_encode(std::string_view text);

// `text` cut to at most `max` bytes (not inside a UTF-8 sequence), newlines folded to spaces,
// with "..." when cut: for quoting a body in an error message.
std::string quote(std::string_view text, std::size_t max = 160);

// The service's own words from an error body: `message`, `error` (a string or an object with a
// message), else the start of the body. Empty when the body is empty.
std::string service_message(std::string_view body);

// The Error for a non-2xx answer, naming the service, the status, the service's message and what
// fixes it: 429 rate_limited (the key to set when none is, else wait), 408/409/5xx
// server_error (both carry Retry-After), 401/403 auth, 3xx/400/404/422 and other 4xx
// bad_request.
core::Error status_error(const ServiceInfo& service, const core::HttpResponse& response);

// A transport failure (no complete response) prefixed with the service's name, keeping its code,
// and with the base URL variable named when the server could not be reached.
core::Error transport_error(const ServiceInfo& service, core::Error error);

// A body that is not what the service sends: server_error (retryable: a proxy's page or a
// cut-off answer may be whole next time), naming `what` was wrong and quoting the body's start.
core::Error malformed_body(const ServiceInfo& service, std::string_view what,
                           std::string_view body);

// One GET, paced by `limiter`: a 2xx answer, or the Error status_error / transport_error give.
core::Result<core::HttpResponse> get_once(
    core::HttpTransport& transport, RateLimiter& limiter, const RemoteOptions& options,
    const ServiceInfo& service, const std::string& url,
    const std::vector<std::pair<std::string, std::string>>& headers = {});

// Runs `attempt` until it succeeds, fails with a code that retrying cannot fix, or
// `max_attempts` tries are spent, sleeping on `clock` between tries: the backoff delay, or the
// Retry-After the service gave (when it is longer than retry.max_retry_after, fails at once
// saying so). The final error keeps the last failure's code and message and says how many
// attempts were made.
template <typename T>
core::Result<T> with_retries(core::Clock& clock, const RemoteOptions& options, int max_attempts,
                             const std::function<core::Result<T>()>& attempt) {
  max_attempts = std::max(1, max_attempts);
  for (int n = 1;; ++n) {
    core::Result<T> result = attempt();
    if (result || !core::is_transient(result.error().code)) return result;
    core::Error error = std::move(result.error());
    if (n >= max_attempts) {
      if (max_attempts > 1) error.message += fmt::format(" [gave up after {} attempts]", n);
      return std::unexpected(std::move(error));
    }
    std::chrono::milliseconds wait =
        llm::backoff_delay(options.retry, n, options.unit_random ? options.unit_random() : 0.5);
    if (error.retry_after) {
      if (*error.retry_after > options.retry.max_retry_after) {
        error.message += fmt::format(
            " [the service asked to wait {:.0f} s before retrying, longer than the {:.0f} s "
            "this engine waits]",
            error.retry_after->count() / 1000.0, options.retry.max_retry_after.count() / 1000.0);
        return std::unexpected(std::move(error));
      }
      wait = *error.retry_after;
    }
    if (options.notice) {
      options.notice(fmt::format("{} — retrying in {:.1f} s (attempt {} of {})", error.message,
                                 wait.count() / 1000.0, n + 1, max_attempts));
    }
    if (wait.count() > 0) clock.sleep_for(wait);
  }
}

// The service's address: options.base_url, else `fallback`, without trailing slashes.
std::string base_url_of(const RemoteOptions& options, std::string_view fallback);

// options.limiter when the caller shares one, else a new limiter at `interval`.
std::shared_ptr<RateLimiter> limiter_of(const RemoteOptions& options, core::Clock& clock,
                                        core::Clock::Duration interval);

// The string at j[key], or "" when j is not an object or the value is missing or not a string.
std::string json_string(const nlohmann::json& j, const char* key);

// One search: GET `url` (paced by `limiter`, retried as with_retries does), its body turned into
// papers by `parse`; a body `parse` rejects is retried like any malformed answer, its error naming
// `query`. At most `limit` papers. BibTeX is left to the caller.
core::Result<std::vector<core::Paper>> fetch_papers(
    core::HttpTransport& transport, RateLimiter& limiter, core::Clock& clock,
    const RemoteOptions& options, const ServiceInfo& service, const std::string& url,
    const std::vector<std::pair<std::string, std::string>>& headers, std::string_view query,
    int limit,
    const std::function<core::Result<std::vector<core::Paper>>(std::string_view)>& parse);

}  // namespace literature
