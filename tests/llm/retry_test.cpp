#include "llm/retry.h"

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/fake_clock.h"
#include "support/scripted_llm_client.h"

namespace {

using core::Completion;
using core::CompletionRequest;
using core::Error;
using core::ErrorCode;
using core::Result;
using llm::backoff_delay;
using llm::RetryingClient;
using llm::RetryPolicy;
using std::chrono::milliseconds;

using ScriptedClient = test_support::ScriptedLlmClient;

std::vector<milliseconds> in_ms(const std::vector<test_support::FakeClock::Duration>& d) {
  std::vector<milliseconds> out;
  for (auto x : d)
    out.push_back(std::chrono::duration_cast<milliseconds>(x));
  return out;
}

RetryPolicy small_policy(int max_attempts) {
  RetryPolicy p;
  p.max_attempts = max_attempts;
  p.initial_delay = milliseconds(100);
  p.multiplier = 2.0;
  p.max_delay = milliseconds(1000);
  p.max_retry_after = milliseconds(10000);
  return p;
}

TEST(BackoffDelay, DefaultScheduleAtBothEndsOfTheJitter) {
  RetryPolicy p;  // 1 s initial, doubling, capped at 60 s
  const long long ceilings[] = {1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000};
  for (int retry = 1; retry <= 8; ++retry) {
    long long ceiling = ceilings[retry - 1];
    EXPECT_EQ(backoff_delay(p, retry, 0.0), milliseconds(ceiling / 2)) << retry;
    EXPECT_EQ(backoff_delay(p, retry, 1.0), milliseconds(ceiling)) << retry;
  }
  EXPECT_EQ(backoff_delay(p, 1, 0.5), milliseconds(750));
}

TEST(BackoffDelay, CappedAtMaxDelay) {
  RetryPolicy p;
  p.max_delay = milliseconds(5000);
  EXPECT_EQ(backoff_delay(p, 3, 1.0), milliseconds(4000));
  EXPECT_EQ(backoff_delay(p, 4, 1.0), milliseconds(5000));
  EXPECT_EQ(backoff_delay(p, 4, 0.0), milliseconds(2500));
  EXPECT_EQ(backoff_delay(p, 60, 1.0), milliseconds(5000));
  EXPECT_EQ(backoff_delay(p, 1000, 0.0), milliseconds(2500));
}

TEST(BackoffDelay, CustomMultiplierAndOutOfRangeRandom) {
  RetryPolicy p;
  p.initial_delay = milliseconds(200);
  p.multiplier = 3.0;
  EXPECT_EQ(backoff_delay(p, 1, 1.0), milliseconds(200));
  EXPECT_EQ(backoff_delay(p, 2, 1.0), milliseconds(600));
  EXPECT_EQ(backoff_delay(p, 3, 1.0), milliseconds(1800));
  // Values outside [0, 1] are clamped.
  EXPECT_EQ(backoff_delay(p, 1, -3.0), milliseconds(100));
  EXPECT_EQ(backoff_delay(p, 1, 7.0), milliseconds(200));
  // A retry number below 1 is treated as the first.
  EXPECT_EQ(backoff_delay(p, 0, 1.0), milliseconds(200));
}

struct RetryFixture : ::testing::Test {
  std::shared_ptr<ScriptedClient> inner = std::make_shared<ScriptedClient>();
  test_support::FakeClock clock;
  std::vector<std::string> notices;
  double random_value = 0.0;

  RetryingClient make(RetryPolicy policy) {
    return RetryingClient(
        inner, policy, clock, [this] { return random_value; },
        [this](std::string_view m) { notices.emplace_back(m); });
  }
};

TEST_F(RetryFixture, RetriesTransientCodesAndReturnsTheSuccess) {
  inner->push_error(ErrorCode::network, "connection reset");
  inner->push_error(ErrorCode::timeout, "no data");
  inner->push_error(ErrorCode::rate_limited, "slow down");
  inner->push_error(ErrorCode::server_error, "HTTP 503");
  inner->push_text("finally");
  auto client = make(small_policy(5));
  auto r = client.complete(CompletionRequest{});
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->text(), "finally");
  EXPECT_EQ(inner->calls(), 5);
  EXPECT_EQ(in_ms(clock.sleeps()),
            (std::vector<milliseconds>{milliseconds(50), milliseconds(100), milliseconds(200),
                                       milliseconds(400)}));
}

TEST_F(RetryFixture, SuccessAtOnceNeverSleeps) {
  inner->push_text("ok");
  auto client = make(small_policy(3));
  auto r = client.complete(CompletionRequest{});
  ASSERT_TRUE(r);
  EXPECT_EQ(inner->calls(), 1);
  EXPECT_TRUE(clock.sleeps().empty());
  EXPECT_TRUE(notices.empty());
}

TEST_F(RetryFixture, JitterComesFromTheRandomSource) {
  random_value = 0.5;
  inner->push_error(ErrorCode::network, "x");
  inner->push_error(ErrorCode::network, "x");
  inner->push_text("ok");
  auto client = make(small_policy(3));
  ASSERT_TRUE(client.complete(CompletionRequest{}));
  EXPECT_EQ(in_ms(clock.sleeps()),
            (std::vector<milliseconds>{milliseconds(75), milliseconds(150)}));
}

TEST_F(RetryFixture, HonoursRetryAfterExactly) {
  inner->push_error(ErrorCode::rate_limited, "HTTP 429", milliseconds(3210));
  inner->push_error(ErrorCode::server_error, "HTTP 529", milliseconds(7));
  inner->push_text("ok");
  auto client = make(small_policy(3));
  auto r = client.complete(CompletionRequest{});
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(in_ms(clock.sleeps()),
            (std::vector<milliseconds>{milliseconds(3210), milliseconds(7)}));
}

TEST_F(RetryFixture, GivesUpAfterMaxAttempts) {
  for (int i = 0; i < 5; ++i)
    inner->push_error(ErrorCode::network, "connection refused");
  auto client = make(small_policy(3));
  auto r = client.complete(CompletionRequest{});
  ASSERT_FALSE(r);
  EXPECT_EQ(inner->calls(), 3);
  EXPECT_EQ(r.error().code, ErrorCode::network);
  EXPECT_NE(r.error().message.find("connection refused"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("3 attempts"), std::string::npos) << r.error().message;
  EXPECT_EQ(clock.sleeps().size(), 2u);
}

TEST_F(RetryFixture, FinalErrorReportsTheTimeSpent) {
  for (int i = 0; i < 3; ++i)
    inner->push_error(ErrorCode::rate_limited, "429", milliseconds(4000));
  auto client = make(small_policy(3));
  auto r = client.complete(CompletionRequest{});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::rate_limited);
  EXPECT_NE(r.error().message.find("3 attempts over 8 s"), std::string::npos) << r.error().message;
}

TEST_F(RetryFixture, SingleAttemptPolicyNeverRetries) {
  inner->push_error(ErrorCode::network, "down");
  auto client = make(small_policy(1));
  auto r = client.complete(CompletionRequest{});
  ASSERT_FALSE(r);
  EXPECT_EQ(inner->calls(), 1);
  EXPECT_NE(r.error().message.find("1 attempts"), std::string::npos) << r.error().message;
}

TEST_F(RetryFixture, PermanentFailuresReturnAtOnceUnchanged) {
  for (ErrorCode code :
       {ErrorCode::auth, ErrorCode::quota, ErrorCode::bad_request, ErrorCode::budget_exceeded,
        ErrorCode::parse, ErrorCode::config, ErrorCode::replay_mismatch, ErrorCode::cancelled}) {
    auto local = std::make_shared<ScriptedClient>();
    local->push_error(code, "permanent failure");
    local->push_text("should not be reached");
    test_support::FakeClock local_clock;
    int notices_seen = 0;
    RetryingClient client(
        local, small_policy(5), local_clock, [] { return 0.0; },
        [&](std::string_view) { ++notices_seen; });
    auto r = client.complete(CompletionRequest{});
    ASSERT_FALSE(r) << core::to_string(code);
    EXPECT_EQ(r.error().code, code);
    EXPECT_EQ(r.error().message, "permanent failure");
    EXPECT_EQ(local->calls(), 1) << core::to_string(code);
    EXPECT_TRUE(local_clock.sleeps().empty()) << core::to_string(code);
    EXPECT_EQ(notices_seen, 0);
  }
}

TEST_F(RetryFixture, RetryAfterBeyondTheLimitFailsAtOnce) {
  inner->push_error(ErrorCode::rate_limited, "HTTP 429", milliseconds(3'600'000));
  inner->push_text("should not be reached");
  auto client = make(small_policy(5));
  auto r = client.complete(CompletionRequest{});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::rate_limited);
  EXPECT_EQ(inner->calls(), 1);
  EXPECT_TRUE(clock.sleeps().empty());
  EXPECT_TRUE(notices.empty());
  EXPECT_NE(r.error().message.find("HTTP 429"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("3600 s"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("10 s"), std::string::npos) << r.error().message;
}

TEST_F(RetryFixture, RetryAfterEqualToTheLimitIsWaited) {
  inner->push_error(ErrorCode::rate_limited, "HTTP 429", milliseconds(10000));
  inner->push_text("ok");
  auto client = make(small_policy(2));
  ASSERT_TRUE(client.complete(CompletionRequest{}));
  EXPECT_EQ(in_ms(clock.sleeps()), (std::vector<milliseconds>{milliseconds(10000)}));
}

TEST_F(RetryFixture, NoticePerRetry) {
  random_value = 1.0;
  inner->push_error(ErrorCode::server_error, "openai: HTTP 500");
  inner->push_error(ErrorCode::timeout, "openai: no data");
  inner->push_text("ok");
  auto client = make(small_policy(4));
  ASSERT_TRUE(client.complete(CompletionRequest{}));
  ASSERT_EQ(notices.size(), 2u);
  EXPECT_NE(notices[0].find("openai: HTTP 500"), std::string::npos) << notices[0];
  EXPECT_NE(notices[0].find("0.1 s"), std::string::npos) << notices[0];
  EXPECT_NE(notices[0].find("attempt 2 of 4"), std::string::npos) << notices[0];
  EXPECT_NE(notices[1].find("openai: no data"), std::string::npos) << notices[1];
  EXPECT_NE(notices[1].find("0.2 s"), std::string::npos) << notices[1];
  EXPECT_NE(notices[1].find("attempt 3 of 4"), std::string::npos) << notices[1];
}

TEST_F(RetryFixture, NoNoticeWhenGivingUp) {
  for (int i = 0; i < 2; ++i)
    inner->push_error(ErrorCode::network, "x");
  auto client = make(small_policy(2));
  ASSERT_FALSE(client.complete(CompletionRequest{}));
  EXPECT_EQ(notices.size(), 1u);
}

TEST_F(RetryFixture, WorksWithoutANoticeCallback) {
  inner->push_error(ErrorCode::network, "x");
  inner->push_text("ok");
  RetryingClient client(inner, small_policy(2), clock, [] { return 0.0; });
  ASSERT_TRUE(client.complete(CompletionRequest{}));
  EXPECT_EQ(inner->calls(), 2);
}

TEST_F(RetryFixture, SpecIsTheInnerClients) {
  auto client = make(small_policy(2));
  EXPECT_EQ(client.spec(), "fake/scripted");
}

}  // namespace
