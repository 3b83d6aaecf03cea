#include "llm/concurrency.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace {

using core::Completion;
using core::CompletionRequest;
using core::Result;
using llm::ConcurrencyLimiter;
using llm::LimitedClient;
using llm::ProviderLimits;

// Tracks how many calls are inside complete() at once; each call sleeps briefly so that calls
// overlap when nothing stops them.
class OverlapTrackingClient final : public core::LlmClient {
 public:
  Result<Completion> complete(const CompletionRequest& request) override {
    int now = ++m_inside;
    int seen = m_max.load();
    while (now > seen && !m_max.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    --m_inside;
    ++m_calls;
    Completion c;
    c.texts = {request.context.conversation};
    return c;
  }
  std::string spec() const override { return "fake/overlap"; }
  int max_inside() const { return m_max.load(); }
  int calls() const { return m_calls.load(); }

 private:
  std::atomic<int> m_inside{0};
  std::atomic<int> m_max{0};
  std::atomic<int> m_calls{0};
};

int run_in_threads(core::LlmClient& client, int threads, int calls_per_thread) {
  std::atomic<int> ok{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < calls_per_thread; ++i) {
        CompletionRequest r;
        r.context.conversation = "t" + std::to_string(t);
        auto c = client.complete(r);
        if (c && c->text() == r.context.conversation) ++ok;
      }
    });
  }
  for (auto& th : pool)
    th.join();
  return ok.load();
}

TEST(LimitedClient, NeverMoreThanNCallsAtOnce) {
  for (int slots : {1, 3}) {
    auto inner = std::make_shared<OverlapTrackingClient>();
    auto limiter = std::make_shared<ConcurrencyLimiter>(slots);
    LimitedClient client(inner, limiter);
    int ok = run_in_threads(client, 8, 4);
    EXPECT_EQ(ok, 32) << slots;
    EXPECT_EQ(inner->calls(), 32) << slots;
    EXPECT_LE(inner->max_inside(), slots) << slots;
    EXPECT_GE(inner->max_inside(), 1) << slots;
    EXPECT_EQ(limiter->in_use(), 0) << slots;
  }
}

TEST(LimitedClient, WithoutALimitCallsDoOverlap) {
  // Shows that the tracking fake sees overlap at all, so the test above is meaningful.
  auto inner = std::make_shared<OverlapTrackingClient>();
  auto limiter = std::make_shared<ConcurrencyLimiter>(64);
  LimitedClient client(inner, limiter);
  run_in_threads(client, 8, 4);
  EXPECT_GT(inner->max_inside(), 1);
}

TEST(LimitedClient, TwoClientsSharingALimiterShareTheLimit) {
  auto inner = std::make_shared<OverlapTrackingClient>();
  auto limiter = std::make_shared<ConcurrencyLimiter>(2);
  LimitedClient a(inner, limiter);
  LimitedClient b(inner, limiter);
  std::thread ta([&] { run_in_threads(a, 4, 3); });
  std::thread tb([&] { run_in_threads(b, 4, 3); });
  ta.join();
  tb.join();
  EXPECT_EQ(inner->calls(), 24);
  EXPECT_LE(inner->max_inside(), 2);
}

class FailingClient final : public core::LlmClient {
 public:
  Result<Completion> complete(const CompletionRequest&) override {
    return core::fail(core::ErrorCode::network, "down");
  }
  std::string spec() const override { return "fake/failing"; }
};

TEST(LimitedClient, ReleasesTheSlotOnFailureAndPassesTheErrorOn) {
  auto limiter = std::make_shared<ConcurrencyLimiter>(1);
  LimitedClient client(std::make_shared<FailingClient>(), limiter);
  for (int i = 0; i < 3; ++i) {
    auto r = client.complete(CompletionRequest{});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, core::ErrorCode::network);
  }
  EXPECT_EQ(limiter->in_use(), 0);
  EXPECT_EQ(client.spec(), "fake/failing");
}

TEST(ConcurrencyLimiter, CountsHoldersAndHasAtLeastOneSlot) {
  ConcurrencyLimiter limiter(2);
  EXPECT_EQ(limiter.slots(), 2);
  limiter.acquire();
  limiter.acquire();
  EXPECT_EQ(limiter.in_use(), 2);
  limiter.release();
  EXPECT_EQ(limiter.in_use(), 1);
  limiter.release();
  EXPECT_EQ(limiter.in_use(), 0);

  EXPECT_EQ(ConcurrencyLimiter(0).slots(), 1);
  EXPECT_EQ(ConcurrencyLimiter(-4).slots(), 1);
}

TEST(ConcurrencyLimiter, AcquireBlocksUntilASlotIsReleased) {
  ConcurrencyLimiter limiter(1);
  limiter.acquire();
  std::atomic<bool> acquired{false};
  std::thread waiter([&] {
    limiter.acquire();
    acquired = true;
    limiter.release();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(acquired.load());
  limiter.release();
  waiter.join();
  EXPECT_TRUE(acquired.load());
  EXPECT_EQ(limiter.in_use(), 0);
}

TEST(ProviderLimits, SameLimiterPerProvider) {
  ProviderLimits limits;
  auto a1 = limits.get("openai", 8);
  auto a2 = limits.get("openai", 2);
  auto b = limits.get("anthropic", 3);
  EXPECT_EQ(a1, a2);
  EXPECT_NE(a1, b);
  // The first request sets the size; later values are ignored.
  EXPECT_EQ(a1->slots(), 8);
  EXPECT_EQ(b->slots(), 3);
}

TEST(ProviderLimits, ConcurrentFirstRequestsGetOneLimiter) {
  ProviderLimits limits;
  std::vector<std::shared_ptr<ConcurrencyLimiter>> got(8);
  std::vector<std::thread> pool;
  for (int i = 0; i < 8; ++i) {
    pool.emplace_back([&, i] { got[i] = limits.get("ollama", i + 1); });
  }
  for (auto& t : pool)
    t.join();
  for (const auto& g : got)
    EXPECT_EQ(g, got[0]);
}

}  // namespace
