#include "pipeline/slots.h"
#include "core/text.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <optional>
#include <set>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace pipeline {

using core::ErrorCode;

namespace {

using core::trim;

// A non-negative decimal integer that fits in an int, and nothing else.
std::optional<int> parse_id(std::string_view s) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  int value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

}  // namespace

core::Result<std::vector<int>> parse_gpu_list(std::string_view text) {
  constexpr std::string_view k_form = "--gpus takes GPU ids separated by commas, e.g. --gpus 0,1";
  if (trim(text).empty()) {
    return core::fail(ErrorCode::invalid_argument,
                      fmt::format("--gpus is empty; {} (leave it out to use the GPUs nvidia-smi "
                                  "finds)",
                                  k_form));
  }
  std::vector<int> gpus;
  std::set<int> seen;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    const std::string_view item =
        trim(text.substr(start, comma == std::string_view::npos ? text.npos : comma - start));
    if (item.empty()) {
      return core::fail(ErrorCode::invalid_argument,
                        fmt::format("--gpus '{}' has an empty item; {}", text, k_form));
    }
    auto id = parse_id(item);
    if (!id) {
      return core::fail(ErrorCode::invalid_argument,
                        fmt::format("--gpus '{}': '{}' is not a GPU id (a number from 0 up, as "
                                    "nvidia-smi lists them); {}",
                                    text, item, k_form));
    }
    if (!seen.insert(*id).second) {
      return core::fail(
          ErrorCode::invalid_argument,
          fmt::format("--gpus '{}' names GPU {} twice; name each GPU once", text, *id));
    }
    gpus.push_back(*id);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return gpus;
}

std::vector<int> parse_gpu_indices(std::string_view output) {
  std::vector<int> gpus;
  std::size_t start = 0;
  while (start < output.size()) {
    std::size_t end = output.find('\n', start);
    if (end == std::string_view::npos) end = output.size();
    if (auto id = parse_id(trim(output.substr(start, end - start)))) gpus.push_back(*id);
    start = end + 1;
  }
  return gpus;
}

std::vector<int> detect_gpus(core::ProcessRunner& runner) {
  core::ProcessSpec spec;
  // Looked up on PATH by the runner; a machine without the driver fails to start it.
  spec.argv = {"nvidia-smi", "--query-gpu=index", "--format=csv,noheader"};
  spec.timeout = std::chrono::seconds(30);
  spec.output_cap = 64 * 1024;
  auto result = runner.run(spec);
  if (!result || !result->ok()) return {};
  return parse_gpu_indices(result->out);
}

// ---- SlotLease ----

SlotLease::SlotLease(SlotLease&& other) noexcept
    : m_pool(std::exchange(other.m_pool, nullptr)),
      m_index(other.m_index),
      m_gpus(std::move(other.m_gpus)) {}

SlotLease& SlotLease::operator=(SlotLease&& other) noexcept {
  if (this != &other) {
    release();
    m_pool = std::exchange(other.m_pool, nullptr);
    m_index = other.m_index;
    m_gpus = std::move(other.m_gpus);
  }
  return *this;
}

SlotLease::~SlotLease() {
  release();
}

void SlotLease::release() {
  if (m_pool != nullptr) std::exchange(m_pool, nullptr)->release(m_index);
}

std::map<std::string, std::string> SlotLease::environment() const {
  if (m_gpus.empty()) return {};
  return {{"CUDA_VISIBLE_DEVICES", fmt::format("{}", fmt::join(m_gpus, ","))}};
}

std::string SlotLease::describe() const {
  if (m_gpus.empty()) return fmt::format("CPU slot {}", m_index);
  return fmt::format("{} {}", m_gpus.size() == 1 ? "GPU" : "GPUs", fmt::join(m_gpus, ","));
}

// ---- SlotPool ----

SlotPool::SlotPool(std::vector<std::vector<int>> slots)
    : m_slots(std::move(slots)), m_busy(m_slots.size(), false) {}

SlotPool::~SlotPool() = default;

core::Result<std::unique_ptr<SlotPool>> SlotPool::for_gpus(std::vector<int> gpus,
                                                           int gpus_per_slot) {
  if (gpus_per_slot < 1) {
    return core::fail(ErrorCode::invalid_argument,
                      fmt::format("a run needs at least one GPU per slot, not {}", gpus_per_slot));
  }
  if (gpus.size() < static_cast<std::size_t>(gpus_per_slot)) {
    return core::fail(ErrorCode::invalid_argument,
                      fmt::format("each run needs {} GPU(s) but {} were given ({}); name more "
                                  "with --gpus, or run on the CPU",
                                  gpus_per_slot, gpus.size(), fmt::join(gpus, ",")));
  }
  std::vector<std::vector<int>> slots;
  const std::size_t per = static_cast<std::size_t>(gpus_per_slot);
  for (std::size_t i = 0; i + per <= gpus.size(); i += per) {
    slots.emplace_back(gpus.begin() + static_cast<std::ptrdiff_t>(i),
                       gpus.begin() + static_cast<std::ptrdiff_t>(i + per));
  }
  return std::unique_ptr<SlotPool>(new SlotPool(std::move(slots)));
}

core::Result<std::unique_ptr<SlotPool>> SlotPool::for_cpu(int count) {
  if (count < 1) {
    return core::fail(ErrorCode::invalid_argument,
                      fmt::format("the launch needs at least one CPU slot, not {}", count));
  }
  return std::unique_ptr<SlotPool>(
      new SlotPool(std::vector<std::vector<int>>(static_cast<std::size_t>(count))));
}

core::Result<SlotLease> SlotPool::acquire() {
  std::unique_lock lock(m_mutex);
  const std::uint64_t ticket = m_next_ticket++;
  m_queue.push_back(ticket);
  const auto free_slot = [this] { return std::find(m_busy.begin(), m_busy.end(), false); };
  m_cv.wait(lock, [&] {
    return m_cancelled || (m_queue.front() == ticket && free_slot() != m_busy.end());
  });
  if (m_cancelled) {
    std::erase(m_queue, ticket);
    return core::fail(ErrorCode::cancelled,
                      fmt::format("no slot was given out: the launch is stopping ({})", m_reason));
  }
  m_queue.pop_front();
  const auto slot = free_slot();
  *slot = true;
  const auto index = static_cast<std::size_t>(slot - m_busy.begin());
  // The next in line may find another slot free.
  m_cv.notify_all();
  return SlotLease(this, index, m_slots[index]);
}

void SlotPool::release(std::size_t index) {
  {
    std::lock_guard lock(m_mutex);
    m_busy[index] = false;
  }
  m_cv.notify_all();
}

void SlotPool::cancel(std::string reason) {
  {
    std::lock_guard lock(m_mutex);
    if (!m_cancelled) m_reason = std::move(reason);
    m_cancelled = true;
  }
  m_cv.notify_all();
}

bool SlotPool::cancelled() const {
  std::lock_guard lock(m_mutex);
  return m_cancelled;
}

std::size_t SlotPool::available() const {
  std::lock_guard lock(m_mutex);
  return static_cast<std::size_t>(std::count(m_busy.begin(), m_busy.end(), false));
}

std::size_t SlotPool::waiting() const {
  std::lock_guard lock(m_mutex);
  return m_queue.size();
}

}  // namespace pipeline
