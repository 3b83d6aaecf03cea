#include "pipeline/slots.h"

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace {

using core::ErrorCode;
using pipeline::SlotLease;
using pipeline::SlotPool;

// Waits (without asserting anything about time) until `pool` has `n` callers blocked in acquire.
void wait_for_waiters(const SlotPool& pool, std::size_t n) {
  while (pool.waiting() != n)
    std::this_thread::yield();
}

std::unique_ptr<SlotPool> gpu_pool(std::vector<int> gpus, int per_slot = 1) {
  auto p = SlotPool::for_gpus(std::move(gpus), per_slot);
  EXPECT_TRUE(p) << (p ? "" : p.error().describe());
  return p ? std::move(*p) : nullptr;
}

std::unique_ptr<SlotPool> cpu_pool(int n) {
  auto p = SlotPool::for_cpu(n);
  EXPECT_TRUE(p) << (p ? "" : p.error().describe());
  return p ? std::move(*p) : nullptr;
}

TEST(ParseGpuList, AcceptsIdsSeparatedByCommas) {
  EXPECT_EQ(pipeline::parse_gpu_list("0"), (std::vector<int>{0}));
  EXPECT_EQ(pipeline::parse_gpu_list("0,1,3"), (std::vector<int>{0, 1, 3}));
  EXPECT_EQ(pipeline::parse_gpu_list(" 2 , 5\t"), (std::vector<int>{2, 5}));
  EXPECT_EQ(pipeline::parse_gpu_list("7,0"), (std::vector<int>{7, 0}));  // order kept
}

TEST(ParseGpuList, RejectsWhatIsNotAListOfIdsSayingWhy) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "empty"},
      {"  ", "empty"},
      {"0,,1", "empty item"},
      {"0,", "empty item"},
      {",1", "empty item"},
      {"a", "'a' is not a GPU id"},
      {"-1", "'-1'"},
      {"1.5", "'1.5'"},
      {"0x1", "'0x1'"},
      {"+1", "'+1'"},
      {"1 2", "'1 2'"},
      {"99999999999", "'99999999999'"},
      {"1,0,1", "GPU 1 twice"},
      {"all", "'all'"},
  };
  for (const auto& [text, expected] : cases) {
    auto r = pipeline::parse_gpu_list(text);
    ASSERT_FALSE(r) << "'" << text << "' was accepted";
    EXPECT_EQ(r.error().code, ErrorCode::invalid_argument);
    EXPECT_NE(r.error().message.find(expected), std::string::npos)
        << "'" << text << "': " << r.error().message;
    EXPECT_NE(r.error().message.find("--gpus"), std::string::npos) << r.error().message;
  }
}

TEST(ParseGpuIndices, ReadsNvidiaSmiOutput) {
  EXPECT_EQ(pipeline::parse_gpu_indices("0\n1\n"), (std::vector<int>{0, 1}));
  EXPECT_EQ(pipeline::parse_gpu_indices("0\r\n 3 \n\nNo devices were found\n"),
            (std::vector<int>{0, 3}));
  EXPECT_TRUE(pipeline::parse_gpu_indices("").empty());
}

class FakeRunner final : public core::ProcessRunner {
 public:
  core::Result<core::ProcessResult> run(const core::ProcessSpec& spec) override {
    specs.push_back(spec);
    return result;
  }
  core::Result<core::ProcessResult> result;
  std::vector<core::ProcessSpec> specs;
};

TEST(DetectGpus, AsksNvidiaSmiAndFallsBackToNone) {
  FakeRunner runner;
  core::ProcessResult ok;
  ok.exit_code = 0;
  ok.out = "0\n1\n";
  runner.result = ok;
  EXPECT_EQ(pipeline::detect_gpus(runner), (std::vector<int>{0, 1}));
  ASSERT_EQ(runner.specs.size(), 1u);
  EXPECT_EQ(runner.specs[0].argv,
            (std::vector<std::string>{"nvidia-smi", "--query-gpu=index", "--format=csv,noheader"}));
  EXPECT_GT(runner.specs[0].timeout.count(), 0);

  core::ProcessResult broken;
  broken.exit_code = 9;
  broken.out = "0\n";
  broken.err = "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver";
  runner.result = broken;
  EXPECT_TRUE(pipeline::detect_gpus(runner).empty());

  runner.result = core::fail(ErrorCode::process, "nvidia-smi: not found on PATH");
  EXPECT_TRUE(pipeline::detect_gpus(runner).empty());
}

TEST(SlotPool, GpuSlotsExposeTheirDevices) {
  auto pool = gpu_pool({3, 1, 0, 2, 5}, 2);
  ASSERT_TRUE(pool);
  EXPECT_EQ(pool->size(), 2u);  // GPU 5 is left over
  auto a = pool->acquire();
  auto b = pool->acquire();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->index(), 0u);
  EXPECT_EQ(a->gpus(), (std::vector<int>{3, 1}));
  EXPECT_EQ(a->environment(),
            (std::map<std::string, std::string>{{"CUDA_VISIBLE_DEVICES", "3,1"}}));
  EXPECT_EQ(a->describe(), "GPUs 3,1");
  EXPECT_EQ(b->gpus(), (std::vector<int>{0, 2}));

  auto single = gpu_pool({4});
  ASSERT_TRUE(single);
  auto s = single->acquire();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->environment().at("CUDA_VISIBLE_DEVICES"), "4");
  EXPECT_EQ(s->describe(), "GPU 4");
}

TEST(SlotPool, CpuSlotsLeaveTheEnvironmentAlone) {
  auto pool = cpu_pool(2);
  ASSERT_TRUE(pool);
  auto a = pool->acquire();
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->gpus().empty());
  EXPECT_TRUE(a->environment().empty());
  EXPECT_EQ(a->describe(), "CPU slot 0");
}

TEST(SlotPool, BadShapesAreRejected) {
  auto none = SlotPool::for_gpus({});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::invalid_argument);
  auto too_few = SlotPool::for_gpus({0, 1}, 4);
  ASSERT_FALSE(too_few);
  EXPECT_EQ(too_few.error().code, ErrorCode::invalid_argument);
  EXPECT_NE(too_few.error().message.find("4 GPU(s)"), std::string::npos) << too_few.error().message;
  EXPECT_FALSE(SlotPool::for_gpus({0}, 0));
  EXPECT_FALSE(SlotPool::for_cpu(0));
  EXPECT_FALSE(SlotPool::for_cpu(-2));
}

TEST(SlotPool, LeasesGiveTheLowestFreeSlotAndReturnItWhenTheyEnd) {
  auto pool = gpu_pool({0, 1, 2});
  ASSERT_TRUE(pool);
  auto a = pool->acquire();
  auto b = pool->acquire();
  auto c = pool->acquire();
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(pool->available(), 0u);
  b->release();
  EXPECT_FALSE(b->held());
  b->release();  // idempotent
  EXPECT_EQ(pool->available(), 1u);
  auto again = pool->acquire();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->index(), 1u);  // the one given back
  {
    SlotLease moved = std::move(*again);
    EXPECT_FALSE(again->held());
    EXPECT_TRUE(moved.held());
    EXPECT_EQ(pool->available(), 0u);
  }  // destroyed: returned
  EXPECT_EQ(pool->available(), 1u);
  SlotLease assigned = std::move(*a);
  assigned = std::move(*c);  // releases what `assigned` held (slot 0)
  EXPECT_EQ(pool->available(), 2u);
  EXPECT_EQ(assigned.index(), 2u);
}

TEST(SlotPool, WaitersAreServedInTheOrderTheyArrived) {
  auto pool = cpu_pool(1);
  ASSERT_TRUE(pool);
  auto held = pool->acquire();
  ASSERT_TRUE(held);

  constexpr int k_waiters = 6;
  std::mutex mutex;
  std::vector<int> order;
  std::vector<std::thread> threads;
  for (int i = 0; i < k_waiters; ++i) {
    threads.emplace_back([&, i] {
      auto lease = pool->acquire();
      ASSERT_TRUE(lease) << lease.error().describe();
      std::lock_guard lock(mutex);
      order.push_back(i);
    });
    // The next thread starts only once this one is queued, so arrival order is i.
    wait_for_waiters(*pool, static_cast<std::size_t>(i + 1));
  }
  held->release();
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(pool->available(), 1u);
}

TEST(SlotPool, AFreedSlotGoesToTheWaiterNotToALaterCaller) {
  auto pool = cpu_pool(1);
  ASSERT_TRUE(pool);
  auto held = pool->acquire();
  ASSERT_TRUE(held);
  std::vector<std::string> order;
  std::mutex mutex;
  std::atomic<bool> waiter_has_it{false};
  std::thread waiter([&] {
    auto lease = pool->acquire();
    ASSERT_TRUE(lease);
    {
      std::lock_guard lock(mutex);
      order.push_back("waiter");
    }
    waiter_has_it = true;
    // Hold the slot until the main thread is queued behind us.
    wait_for_waiters(*pool, 1);
  });
  wait_for_waiters(*pool, 1);
  // Give the slot back and ask again at once: the waiter is first in line.
  held->release();
  auto mine = pool->acquire();
  ASSERT_TRUE(mine);
  {
    std::lock_guard lock(mutex);
    order.push_back("main");
  }
  EXPECT_TRUE(waiter_has_it.load());
  mine->release();  // were the order wrong, the waiter would still be waiting for it
  waiter.join();
  EXPECT_EQ(order, (std::vector<std::string>{"waiter", "main"}));
}

TEST(SlotPool, CancelWakesEveryWaiterWithCancelledAndRefusesLaterCalls) {
  auto pool = gpu_pool({0});
  ASSERT_TRUE(pool);
  auto held = pool->acquire();
  ASSERT_TRUE(held);

  constexpr int k_waiters = 4;
  std::vector<core::Result<SlotLease>> results;
  results.reserve(k_waiters);
  for (int i = 0; i < k_waiters; ++i)
    results.push_back(core::fail(ErrorCode::internal, "not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < k_waiters; ++i)
    threads.emplace_back([&, i] { results[static_cast<std::size_t>(i)] = pool->acquire(); });
  wait_for_waiters(*pool, k_waiters);

  EXPECT_FALSE(pool->cancelled());
  pool->cancel("the budget of $10.00 is spent");
  pool->cancel("a later reason is not kept");
  for (auto& t : threads)
    t.join();
  EXPECT_TRUE(pool->cancelled());
  EXPECT_EQ(pool->waiting(), 0u);
  for (const auto& r : results) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::cancelled);
    EXPECT_NE(r.error().message.find("the budget of $10.00 is spent"), std::string::npos)
        << r.error().message;
  }

  // Held leases stay valid; new callers are refused even with a slot free.
  EXPECT_TRUE(held->held());
  held->release();
  EXPECT_EQ(pool->available(), 1u);
  auto late = pool->acquire();
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, ErrorCode::cancelled);
}

TEST(SlotPool, NeverMoreRunsAtOnceThanSlots) {
  auto pool = gpu_pool({0, 1, 2});
  ASSERT_TRUE(pool);
  std::atomic<int> in_use{0};
  std::atomic<int> most{0};
  std::mutex mutex;
  std::vector<bool> busy(3, false);  // no two holders may share a slot
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        auto lease = pool->acquire();
        ASSERT_TRUE(lease);
        {
          std::lock_guard lock(mutex);
          ASSERT_FALSE(busy[lease->index()]) << "slot " << lease->index() << " given twice";
          busy[lease->index()] = true;
        }
        const int now = ++in_use;
        int prev = most.load();
        while (now > prev && !most.compare_exchange_weak(prev, now)) {
        }
        --in_use;
        {
          std::lock_guard lock(mutex);
          busy[lease->index()] = false;
        }
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_LE(most.load(), 3);
  EXPECT_GE(most.load(), 1);
  EXPECT_EQ(pool->available(), 3u);
}

}  // namespace
