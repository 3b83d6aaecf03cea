#include "literature/remote.h"

#include <nlohmann/json.hpp>

#include "llm/http_errors.h"

namespace literature {

using core::Error;
using core::ErrorCode;

void RateLimiter::acquire() {
  core::Clock::Duration wait{0};
  {
    std::lock_guard lock(m_mutex);
    const auto now = m_clock.now();
    const auto start = m_next && *m_next > now ? *m_next : now;
    m_next = start + m_interval;
    wait = start - now;
  }
  if (wait > core::Clock::Duration::zero()) m_clock.sleep_for(wait);
}

std::string url_encode(std::string_view text) {
  static constexpr char k_hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (unsigned char c : text) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += k_hex[c >> 4];
      out += k_hex[c & 0x0F];
    }
  }
  return out;
}

std::string quote(std::string_view text, std::size_t max) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\n' || text.front() == '\r' ||
                           text.front() == '\t')) {
    text.remove_prefix(1);
  }
  bool cut = false;
  if (text.size() > max) {
    std::size_t end = max;
    // Do not end inside a UTF-8 sequence: back up over continuation bytes.
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
      --end;
    text = text.substr(0, end);
    cut = true;
  }
  std::string out;
  out.reserve(text.size() + 3);
  for (char c : text)
    out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  while (!out.empty() && out.back() == ' ')
    out.pop_back();
  if (cut) out += "...";
  return out;
}

std::string service_message(std::string_view body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_discarded() && j.is_object()) {
    // OpenAlex sends {"error": "short", "message": "long"}; Semantic Scholar {"message": ...} or
    // {"error": ...}; some gateways {"error": {"message": ...}}.
    std::string error_text;
    std::string message_text;
    if (j.contains("error")) {
      const auto& e = j["error"];
      if (e.is_string()) error_text = e.get<std::string>();
      if (e.is_object() && e.contains("message") && e["message"].is_string()) {
        error_text = e["message"].get<std::string>();
      }
    }
    if (j.contains("message") && j["message"].is_string()) {
      message_text = j["message"].get<std::string>();
    }
    if (!error_text.empty() && !message_text.empty() && error_text != message_text) {
      return quote(error_text + " " + message_text, 300);
    }
    if (!message_text.empty()) return quote(message_text, 300);
    if (!error_text.empty()) return quote(error_text, 300);
  }
  return quote(body, 300);
}

Error status_error(const ServiceInfo& service, const core::HttpResponse& response) {
  const int status = response.status;
  const std::string said =
      service.message_of ? service.message_of(response.body) : service_message(response.body);
  const std::string head = fmt::format("{} ({}): HTTP {}{}{}", service.display_name, service.name,
                                       status, said.empty() ? "" : ": ", said);
  ErrorCode code;
  std::string fix;
  if (status == 429) {
    code = ErrorCode::rate_limited;
    if (!service.key_hint.empty() && !service.key_set) {
      fix = fmt::format(
          "the service is rate-limiting anonymous requests: set {} for a higher limit, or wait "
          "and run again",
          service.key_hint);
    } else {
      fix =
          "the service is rate-limiting these requests: wait and run again, search less often, "
          "or use another source (--source)";
    }
  } else if (status == 408 || status == 409 || status >= 500) {
    code = ErrorCode::server_error;
    fix = "the service failed to answer: try again later or use another source (--source)";
  } else if (status == 401 || status == 403) {
    code = ErrorCode::auth;
    if (service.key_hint.empty()) {
      fix = fmt::format("the service refused the request: check the address in {}",
                        service.base_url_env);
    } else if (service.key_set) {
      fix = fmt::format("check {}: it is wrong, expired or has no access", service.key_hint);
    } else {
      fix = fmt::format("the service refused an anonymous request: set {}", service.key_hint);
    }
  } else if (status >= 300 && status < 400) {
    code = ErrorCode::bad_request;
    auto location = response.header("location");
    fix = fmt::format("the server redirects{}{}; set {} to the final address (https?)",
                      location ? " to " : "", location.value_or(""), service.base_url_env);
  } else if (status == 404) {
    code = ErrorCode::bad_request;
    fix = fmt::format("check the address in {}", service.base_url_env);
  } else {
    code = ErrorCode::bad_request;
    fix = "the service rejected the query: rephrase it with plain words";
  }
  Error e(code, fmt::format("{} ({})", head, fix));
  if (code == ErrorCode::rate_limited || code == ErrorCode::server_error) {
    e.retry_after = llm::retry_after(response);
  }
  return e;
}

Error transport_error(const ServiceInfo& service, Error error) {
  std::string fix;
  if (error.message.starts_with("could not connect") || error.code == ErrorCode::invalid_argument) {
    fix = fmt::format(" (check the network and any proxy in https_proxy, or the address in {})",
                      service.base_url_env);
  }
  error.message =
      fmt::format("{} ({}): {}{}", service.display_name, service.name, error.message, fix);
  return error;
}

Error malformed_body(const ServiceInfo& service, std::string_view what, std::string_view body) {
  return Error(ErrorCode::server_error,
               fmt::format("{} ({}): unexpected answer: {}; the body starts \"{}\"",
                           service.display_name, service.name, what, quote(body, 120)));
}

core::Result<core::HttpResponse> get_once(
    core::HttpTransport& transport, RateLimiter& limiter, const RemoteOptions& options,
    const ServiceInfo& service, const std::string& url,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  core::HttpRequest request;
  request.method = "GET";
  request.url = url;
  request.headers = headers;
  request.connect_timeout = options.connect_timeout;
  request.idle_timeout = options.idle_timeout;
  limiter.acquire();
  auto response = transport.send(request);
  if (!response) return std::unexpected(transport_error(service, response.error()));
  if (response->status < 200 || response->status >= 300) {
    return std::unexpected(status_error(service, *response));
  }
  return response;
}

std::string base_url_of(const RemoteOptions& options, std::string_view fallback) {
  std::string url = options.base_url.empty() ? std::string(fallback) : options.base_url;
  while (!url.empty() && url.back() == '/')
    url.pop_back();
  return url;
}

std::shared_ptr<RateLimiter> limiter_of(const RemoteOptions& options, core::Clock& clock,
                                        core::Clock::Duration interval) {
  return options.limiter ? options.limiter : std::make_shared<RateLimiter>(clock, interval);
}

std::string json_string(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

core::Result<std::vector<core::Paper>> fetch_papers(
    core::HttpTransport& transport, RateLimiter& limiter, core::Clock& clock,
    const RemoteOptions& options, const ServiceInfo& service, const std::string& url,
    const std::vector<std::pair<std::string, std::string>>& headers, std::string_view query,
    int limit,
    const std::function<core::Result<std::vector<core::Paper>>(std::string_view)>& parse) {
  std::function<core::Result<std::vector<core::Paper>>()> attempt =
      [&]() -> core::Result<std::vector<core::Paper>> {
    auto response = TRY(get_once(transport, limiter, options, service, url, headers));
    auto papers = parse(response.body);
    if (!papers) {
      core::Error e = papers.error();
      e.message += fmt::format(" (query \"{}\")", quote(query, 80));
      return std::unexpected(e);
    }
    return papers;
  };
  auto papers = TRY(with_retries(clock, options, options.retry.max_attempts, attempt));
  if (papers.size() > static_cast<std::size_t>(limit)) papers.resize(limit);
  return papers;
}

}  // namespace literature
