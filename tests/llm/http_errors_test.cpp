#include "llm/http_errors.h"

#include <string>

#include <gtest/gtest.h>

namespace {

using core::ErrorCode;
using core::HttpResponse;
using llm::http_status_error;
using llm::provider_message;
using llm::retry_after;
using std::chrono::milliseconds;

HttpResponse response(int status, std::string body,
                      std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

const llm::ProviderInfo& openai() {
  return *llm::find_provider("openai");
}
const llm::ProviderInfo& anthropic() {
  return *llm::find_provider("anthropic");
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(RetryAfter, WholeSeconds) {
  EXPECT_EQ(retry_after(response(429, "", {{"retry-after", "7"}})), milliseconds(7000));
}

TEST(RetryAfter, FractionalSeconds) {
  EXPECT_EQ(retry_after(response(429, "", {{"retry-after", "1.5"}})), milliseconds(1500));
  EXPECT_EQ(retry_after(response(429, "", {{"retry-after", "0.25"}})), milliseconds(250));
}

TEST(RetryAfter, MillisecondsHeaderWins) {
  EXPECT_EQ(retry_after(response(429, "", {{"retry-after", "20"}, {"retry-after-ms", "350"}})),
            milliseconds(350));
  EXPECT_EQ(retry_after(response(429, "", {{"retry-after-ms", "350"}, {"retry-after", "20"}})),
            milliseconds(350));
}

TEST(RetryAfter, HeaderNamesAreCaseInsensitive) {
  EXPECT_EQ(retry_after(response(429, "", {{"Retry-After", "3"}})), milliseconds(3000));
}

TEST(RetryAfter, AbsentOrUnusable) {
  EXPECT_EQ(retry_after(response(429, "")), std::nullopt);
  EXPECT_EQ(retry_after(response(429, "", {{"retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"}})),
            std::nullopt);
  EXPECT_EQ(retry_after(response(429, "", {{"retry-after", "-5"}})), std::nullopt);
  EXPECT_EQ(retry_after(response(429, "", {{"retry-after", ""}})), std::nullopt);
}

TEST(RetryAfter, UnusableMillisecondsFallBackToSeconds) {
  EXPECT_EQ(retry_after(response(429, "", {{"retry-after-ms", "soon"}, {"retry-after", "2"}})),
            milliseconds(2000));
}

TEST(ProviderMessage, OpenAiShape) {
  EXPECT_EQ(
      provider_message(
          R"({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error", "code": "invalid_api_key"}})"),
      "Incorrect API key provided");
}

TEST(ProviderMessage, AnthropicShape) {
  EXPECT_EQ(
      provider_message(
          R"({"type": "error", "error": {"type": "not_found_error", "message": "model: claude-x"}})"),
      "model: claude-x");
}

TEST(ProviderMessage, TopLevelMessageAndStringError) {
  EXPECT_EQ(provider_message(R"({"message": "bad gateway"})"), "bad gateway");
  EXPECT_EQ(provider_message(R"({"error": "model not loaded"})"), "model not loaded");
}

TEST(ProviderMessage, NonJsonBodiesAreQuotedTrimmedAndShortened) {
  EXPECT_EQ(provider_message(""), "");
  EXPECT_EQ(provider_message("upstream connect error\n"), "upstream connect error");
  std::string html = "<html>" + std::string(1000, 'x') + "</html>";
  std::string m = provider_message(html);
  EXPECT_EQ(m.size(), 303u);
  EXPECT_TRUE(m.starts_with("<html>xxx"));
  EXPECT_TRUE(m.ends_with("..."));
}

TEST(ProviderMessage, JsonWithoutMessageIsQuotedAsIs) {
  EXPECT_EQ(provider_message(R"({"detail": "nope"})"), R"({"detail": "nope"})");
}

TEST(HttpStatusError, Unauthorized) {
  auto e = http_status_error(openai(), "gpt-4o",
                             response(401, R"({"error": {"message": "Incorrect API key"}})"));
  EXPECT_EQ(e.code, ErrorCode::auth);
  EXPECT_TRUE(contains(e.message, "openai")) << e.message;
  EXPECT_TRUE(contains(e.message, "401")) << e.message;
  EXPECT_TRUE(contains(e.message, "Incorrect API key")) << e.message;
  EXPECT_TRUE(contains(e.message, "OPENAI_API_KEY")) << e.message;
  EXPECT_FALSE(e.retry_after.has_value());
}

TEST(HttpStatusError, ForbiddenIsAuth) {
  auto e = http_status_error(anthropic(), "claude-3-opus-20240229", response(403, ""));
  EXPECT_EQ(e.code, ErrorCode::auth);
  EXPECT_TRUE(contains(e.message, "ANTHROPIC_API_KEY")) << e.message;
}

TEST(HttpStatusError, NotFoundNamesTheModel) {
  auto e = http_status_error(
      anthropic(), "claude-9-imaginary",
      response(404,
               R"({"type":"error","error":{"type":"not_found_error","message":"not found"}})"));
  EXPECT_EQ(e.code, ErrorCode::bad_request);
  EXPECT_TRUE(contains(e.message, "claude-9-imaginary")) << e.message;
  EXPECT_TRUE(contains(e.message, "ANTHROPIC_BASE_URL")) << e.message;
  EXPECT_TRUE(contains(e.message, "404")) << e.message;
}

TEST(HttpStatusError, RateLimitedCarriesRetryAfter) {
  auto e = http_status_error(
      openai(), "gpt-4o",
      response(429, R"({"error": {"message": "Rate limit reached"}})", {{"retry-after", "12"}}));
  EXPECT_EQ(e.code, ErrorCode::rate_limited);
  EXPECT_EQ(e.retry_after, milliseconds(12000));
  EXPECT_TRUE(contains(e.message, "Rate limit reached")) << e.message;
  EXPECT_TRUE(core::is_transient(e.code));
}

TEST(HttpStatusError, RateLimitedWithoutRetryAfter) {
  auto e = http_status_error(openai(), "gpt-4o", response(429, ""));
  EXPECT_EQ(e.code, ErrorCode::rate_limited);
  EXPECT_FALSE(e.retry_after.has_value());
}

TEST(HttpStatusError, InsufficientQuotaIsNotRetryable) {
  auto by_code = http_status_error(
      openai(), "gpt-4o",
      response(
          429,
          R"({"error": {"message": "You exceeded your current quota", "type": "insufficient_quota", "code": "insufficient_quota"}})",
          {{"retry-after", "1"}}));
  EXPECT_EQ(by_code.code, ErrorCode::quota);
  EXPECT_TRUE(contains(by_code.message, "OPENAI_API_KEY")) << by_code.message;
  EXPECT_TRUE(contains(by_code.message, "exceeded your current quota")) << by_code.message;
  EXPECT_FALSE(by_code.retry_after.has_value());
  EXPECT_FALSE(core::is_transient(by_code.code));

  auto by_type = http_status_error(openai(), "gpt-4o",
                                   response(429, R"({"error": {"type": "insufficient_quota"}})"));
  EXPECT_EQ(by_type.code, ErrorCode::quota);
}

TEST(HttpStatusError, ServerErrors) {
  for (int status : {500, 502, 503, 504, 408, 409}) {
    auto e = http_status_error(openai(), "gpt-4o", response(status, "oops"));
    EXPECT_EQ(e.code, ErrorCode::server_error) << status;
    EXPECT_TRUE(contains(e.message, std::to_string(status))) << e.message;
  }
}

TEST(HttpStatusError, OverloadedCarriesRetryAfter) {
  auto e = http_status_error(
      anthropic(), "claude-3-5-sonnet-20240620",
      response(529,
               R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})",
               {{"retry-after", "0.5"}}));
  EXPECT_EQ(e.code, ErrorCode::server_error);
  EXPECT_EQ(e.retry_after, milliseconds(500));
  EXPECT_TRUE(contains(e.message, "Overloaded")) << e.message;
  EXPECT_TRUE(contains(e.message, "overloaded")) << e.message;
}

TEST(HttpStatusError, BadRequest) {
  for (int status : {400, 422}) {
    auto e = http_status_error(
        openai(), "gpt-4o",
        response(status, R"({"error": {"message": "Unsupported parameter: 'max_tokens'"}})"));
    EXPECT_EQ(e.code, ErrorCode::bad_request) << status;
    EXPECT_TRUE(contains(e.message, "Unsupported parameter")) << e.message;
    EXPECT_FALSE(core::is_transient(e.code));
  }
}

TEST(HttpStatusError, ProviderWithoutKeyVariable) {
  llm::ProviderInfo keyless = *llm::find_provider("ollama");
  keyless.key_env = "";
  auto e = http_status_error(keyless, "llama3", response(401, ""));
  EXPECT_EQ(e.code, ErrorCode::auth);
  EXPECT_TRUE(contains(e.message, "ollama")) << e.message;
}

TEST(TransportError, PrefixesTheProviderAndKeepsTheCode) {
  core::Error in(ErrorCode::timeout, "no data for 180 s");
  in.retry_after = milliseconds(5);
  auto e = llm::transport_error(openai(), in);
  EXPECT_EQ(e.code, ErrorCode::timeout);
  EXPECT_EQ(e.message, "openai: no data for 180 s");
  EXPECT_EQ(e.retry_after, milliseconds(5));
}

}  // namespace

namespace {

TEST(HttpStatusError, ARedirectSaysWhereToAndWhichVariableSetsTheAddress) {
  core::HttpResponse r;
  r.status = 301;
  r.headers = {{"location", "https://api.openai.com/v1/chat/completions"}};
  auto e = llm::http_status_error(*llm::find_provider("openai"), "gpt-4o", r);
  EXPECT_EQ(e.code, core::ErrorCode::bad_request);
  EXPECT_NE(e.message.find("redirects to https://api.openai.com"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("OPENAI_BASE_URL"), std::string::npos) << e.message;
}

TEST(RetryAfter, AnAbsurdValueIsClampedNotOverflowed) {
  core::HttpResponse r;
  r.headers = {{"retry-after", "1e300"}};
  auto wait = llm::retry_after(r);
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, std::chrono::hours(24));
}

}  // namespace
