#include "llm/sampling.h"

#include <gtest/gtest.h>

#include "support/scripted_llm_client.h"

namespace {

using core::ErrorCode;
using test_support::ScriptedLlmClient;

core::CompletionRequest asking_for(int n) {
  core::CompletionRequest r;
  r.messages.push_back({core::Role::user, "review this"});
  r.n = n;
  return r;
}

TEST(SamplingClient, MakesOneCallPerSampleAndMergesThem) {
  auto inner = std::make_shared<ScriptedLlmClient>();
  inner->push_text("a", {10, 1, 0, 0});
  inner->push_text("b", {10, 2, 0, 0});
  inner->push_text("c", {10, 3, 5, 0});
  llm::SamplingClient client(inner);
  auto reply = client.complete(asking_for(3));
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(reply->texts, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(reply->usage.input_tokens, 30);
  EXPECT_EQ(reply->usage.output_tokens, 6);
  EXPECT_EQ(reply->usage.cached_input_tokens, 5);
  ASSERT_EQ(inner->calls(), 3);
  for (const auto& r : inner->requests())
    EXPECT_EQ(r.n, 1);
}

TEST(SamplingClient, KeepsTheSamplesPaidForWhenALaterOneFails) {
  auto inner = std::make_shared<ScriptedLlmClient>();
  inner->push_text("first");
  inner->push_error(ErrorCode::rate_limited, "HTTP 429");
  std::vector<std::string> notices;
  llm::SamplingClient client(inner, [&](std::string_view m) { notices.emplace_back(m); });
  auto reply = client.complete(asking_for(3));
  ASSERT_TRUE(reply) << reply.error().message;
  EXPECT_EQ(reply->texts, (std::vector<std::string>{"first"}));
  EXPECT_EQ(inner->calls(), 2);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_NE(notices[0].find("kept 1 of 3 samples"), std::string::npos) << notices[0];
  EXPECT_NE(notices[0].find("HTTP 429"), std::string::npos) << notices[0];
}

TEST(SamplingClient, FailsWhenNoSampleSucceeds) {
  auto inner = std::make_shared<ScriptedLlmClient>();
  inner->push_error(ErrorCode::auth, "bad key");
  llm::SamplingClient client(inner);
  auto reply = client.complete(asking_for(2));
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().code, ErrorCode::auth);
  EXPECT_EQ(inner->calls(), 1);
}

TEST(SamplingClient, PassesSingleSamplesStraightThrough) {
  auto inner = std::make_shared<ScriptedLlmClient>();
  inner->push_text("only");
  llm::SamplingClient client(inner);
  auto reply = client.complete(asking_for(1));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->text(), "only");
  EXPECT_EQ(inner->calls(), 1);
}

}  // namespace
