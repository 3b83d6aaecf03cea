#include "llm/http_errors.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace llm {

using core::Error;
using core::ErrorCode;

std::optional<std::chrono::milliseconds> retry_after(const core::HttpResponse& response) {
  // Clamped to a day, so that an absurd value cannot overflow into a negative wait; the retry
  // policy refuses waits that long anyway.
  auto parse_number = [](const std::string& s) -> std::optional<double> {
    char* end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    if (end == s.c_str() || !std::isfinite(v) || v < 0) return std::nullopt;
    return v;
  };
  constexpr double k_day_s = 86400.0;
  if (auto ms = response.header("retry-after-ms")) {
    if (auto v = parse_number(*ms)) {
      return std::chrono::milliseconds(std::llround(std::min(*v, k_day_s * 1000)));
    }
  }
  if (auto s = response.header("retry-after")) {
    if (auto v = parse_number(*s)) {
      return std::chrono::milliseconds(std::llround(std::min(*v, k_day_s) * 1000));
    }
  }
  return std::nullopt;
}

std::string provider_message(std::string_view body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_discarded() && j.is_object()) {
    const auto& e = j.contains("error") ? j["error"] : j;
    if (e.is_object() && e.contains("message") && e["message"].is_string()) {
      return e["message"].get<std::string>();
    }
    if (e.is_string()) return e.get<std::string>();
  }
  std::string text(body.substr(0, 300));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  if (body.size() > 300) text += "...";
  return text;
}

namespace {

bool says_insufficient_quota(std::string_view body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("error") || !j["error"].is_object()) {
    return false;
  }
  const auto& e = j["error"];
  for (const char* field : {"code", "type"}) {
    if (e.contains(field) && e[field].is_string() && e[field] == "insufficient_quota") return true;
  }
  return false;
}

}  // namespace

Error http_status_error(const ProviderInfo& provider, std::string_view model,
                        const core::HttpResponse& response) {
  const int status = response.status;
  std::string said = provider_message(response.body);
  std::string head =
      fmt::format("{}: HTTP {}{}{}", provider.name, status, said.empty() ? "" : ": ", said);
  std::string key_var = provider.key_env.empty() ? std::string("the provider's API key variable")
                                                 : std::string(provider.key_env);
  ErrorCode code;
  std::string fix;
  if (status == 429 && says_insufficient_quota(response.body)) {
    code = ErrorCode::quota;
    fix = "the account behind " + key_var +
          " is out of credit: add credit or choose another provider with --model";
  } else if (status == 429) {
    code = ErrorCode::rate_limited;
    fix =
        "the provider is rate-limiting this key: wait and run again, make fewer calls at once, "
        "or ask the provider for a higher rate limit";
  } else if (status == 408 || status == 409 || status == 529 || status >= 500) {
    code = ErrorCode::server_error;
    fix = status == 529 ? "the provider is overloaded: try again later"
                        : "the provider failed to answer: try again later";
  } else if (status == 401 || status == 403) {
    code = ErrorCode::auth;
    fix = provider.key_env.empty()
              ? "the server refused the call: check its access settings"
              : fmt::format("check {}: it is missing, wrong, or has no access to model '{}'",
                            key_var, model);
  } else if (status >= 300 && status < 400) {
    code = ErrorCode::bad_request;
    auto location = response.header("location");
    fix = fmt::format(
        "the server redirects{}{}; set {} or --llm-base-url to the final address "
        "(https rather than http?)",
        location ? " to " : "", location.value_or(""), provider.base_url_env);
  } else if (status == 404) {
    code = ErrorCode::bad_request;
    fix = fmt::format("check the model name '{}' and the base URL (set {} or --llm-base-url)",
                      model, provider.base_url_env);
  } else {
    code = ErrorCode::bad_request;
    fix = "the provider rejected the request; check the model name and the options used";
  }
  Error e(code, fmt::format("{} ({})", head, fix));
  if (code == ErrorCode::rate_limited || code == ErrorCode::server_error) {
    e.retry_after = retry_after(response);
  }
  return e;
}

Error transport_error(const ProviderInfo& provider, Error error) {
  std::string fix;
  if (error.message.starts_with("could not connect") || error.code == ErrorCode::invalid_argument) {
    // Local servers and `compat` (no default address) are the user's own to start.
    fix = provider.local || provider.default_base_url.empty()
              ? fmt::format(
                    " (start the {} server, or set {} or --llm-base-url to where it "
                    "listens)",
                    provider.name, provider.base_url_env)
              : fmt::format(
                    " (check the network and any proxy in https_proxy, or the address "
                    "in {} / --llm-base-url)",
                    provider.base_url_env);
  }
  error.message = fmt::format("{}: {}{}", provider.name, error.message, fix);
  return error;
}

}  // namespace llm
