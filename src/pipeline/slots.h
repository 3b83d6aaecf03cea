#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/process.h"

namespace pipeline {

// Parses the value of --gpus: GPU ids separated by commas ("0", "0,1,3"; blanks around an id are
// allowed). Fails with invalid_argument, naming the offending item and the expected form, on an
// empty list or item, anything but a non-negative integer, or an id given twice.
core::Result<std::vector<int>> parse_gpu_list(std::string_view text);

// The GPU ids in the output of `nvidia-smi --query-gpu=index --format=csv,noheader` (one per
// line; lines that are not a number are ignored). Pure.
std::vector<int> parse_gpu_indices(std::string_view nvidia_smi_output);

// The GPUs nvidia-smi reports on this machine; empty when nvidia-smi is absent, fails, or finds
// none (the launch then runs on CPU slots). Runs one short process through `runner`.
std::vector<int> detect_gpus(core::ProcessRunner& runner);

class SlotPool;

// The right to run one experiment on one slot, until the lease is released or destroyed.
// Move-only; must not outlive its pool. Not thread-safe itself (one owner at a time).
class SlotLease {
 public:
  SlotLease(SlotLease&& other) noexcept;
  SlotLease& operator=(SlotLease&& other) noexcept;
  SlotLease(const SlotLease&) = delete;
  SlotLease& operator=(const SlotLease&) = delete;
  ~SlotLease();

  // Which slot, 0-based (stable: slot i always has the same GPUs).
  std::size_t index() const { return m_index; }
  // The GPUs of the slot; empty for a CPU slot.
  const std::vector<int>& gpus() const { return m_gpus; }
  // What to add to the environment of the runs made under this lease: CUDA_VISIBLE_DEVICES
  // naming the slot's GPUs ("0", "2,3"). Empty for a CPU slot: the environment is left as the
  // user set it rather than hiding devices the detection may have missed.
  std::map<std::string, std::string> environment() const;
  // "GPU 1", "GPUs 2,3", "CPU slot 0": for logs.
  std::string describe() const;

  // Gives the slot back now (the next waiter gets it). Idempotent.
  void release();
  bool held() const { return m_pool != nullptr; }

 private:
  friend class SlotPool;
  SlotLease(SlotPool* pool, std::size_t index, std::vector<int> gpus)
      : m_pool(pool), m_index(index), m_gpus(std::move(gpus)) {}

  SlotPool* m_pool = nullptr;
  std::size_t m_index = 0;
  std::vector<int> m_gpus;
};

// Hands out slots to the ideas of a launch: one per GPU group, or a fixed number of CPU slots.
//
// acquire() blocks until a slot is free. Waiters are served first come, first served: a slot
// freed while others wait goes to the one that has waited longest, never to a later caller. A
// free slot is the lowest-numbered one, so with fewer runs than slots the first GPUs are used.
//
// cancel() (Ctrl-C, the budget spent) wakes every waiter with ErrorCode::cancelled and makes
// every later acquire() fail the same way at once; leases already held stay valid until
// released.
//
// Thread-safe. The pool must outlive its leases.
class SlotPool {
 public:
  // One slot per `gpus_per_slot` GPUs of `gpus`, in the order given (GPUs left over are not
  // used). Fails with invalid_argument when `gpus` is empty or has fewer than `gpus_per_slot`
  // ids, or `gpus_per_slot` < 1.
  static core::Result<std::unique_ptr<SlotPool>> for_gpus(std::vector<int> gpus,
                                                          int gpus_per_slot = 1);
  // `count` slots without GPUs. Fails with invalid_argument when `count` < 1.
  static core::Result<std::unique_ptr<SlotPool>> for_cpu(int count);

  SlotPool(const SlotPool&) = delete;
  SlotPool& operator=(const SlotPool&) = delete;
  ~SlotPool();

  // Blocks until a slot is free and it is this caller's turn; fails with cancelled (the message
  // carrying cancel()'s reason) once the pool is cancelled.
  core::Result<SlotLease> acquire();
  // Wakes all waiters with `cancelled`; later calls of acquire() fail at once. The first reason
  // given is kept ("the budget of $10.00 is spent").
  void cancel(std::string reason);
  bool cancelled() const;

  std::size_t size() const { return m_slots.size(); }
  std::size_t available() const;
  // Callers blocked in acquire() right now.
  std::size_t waiting() const;

 private:
  explicit SlotPool(std::vector<std::vector<int>> slots);
  friend class SlotLease;
  void release(std::size_t index);

  const std::vector<std::vector<int>> m_slots;  // the GPUs of each slot
  mutable std::mutex m_mutex;
  std::condition_variable m_cv;
  std::vector<bool> m_busy;
  std::deque<std::uint64_t> m_queue;  // tickets of the waiters, longest waiting first
  std::uint64_t m_next_ticket = 0;
  bool m_cancelled = false;
  std::string m_reason;
};

}  // namespace pipeline
