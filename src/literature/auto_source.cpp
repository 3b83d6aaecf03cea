#include "literature/auto_source.h"

#include <algorithm>
#include <utility>

namespace literature {

namespace {

bool is_permanent(core::ErrorCode code) {
  return code == core::ErrorCode::auth || code == core::ErrorCode::config ||
         code == core::ErrorCode::quota;
}

}  // namespace

AutoSource::AutoSource(std::vector<std::shared_ptr<core::LiteratureSource>> sources,
                       core::Clock& clock, AutoOptions options)
    : m_sources(std::move(sources)),
      m_clock(clock),
      m_options(options),
      m_states(m_sources.size()) {}

std::string AutoSource::last_served_by() const {
  std::lock_guard lock(m_mutex);
  return m_last_served_by;
}

core::Result<std::vector<core::Paper>> AutoSource::search(const std::string& query, int limit) {
  auto served = TRY(search_served(query, limit));
  return std::move(served.papers);
}

core::Result<Served> AutoSource::search_served(const std::string& query, int limit) {
  if (m_sources.empty()) {
    return core::fail(core::ErrorCode::config, "auto: no literature sources configured");
  }
  const int threshold = std::max(1, m_options.failure_threshold);
  std::vector<std::string> failures;
  std::optional<core::ErrorCode> first_transient;
  std::optional<core::ErrorCode> first_code;
  std::optional<Served> empty_answer;

  for (std::size_t i = 0; i < m_sources.size(); ++i) {
    const auto& source = m_sources[i];
    const std::string name = source->name();
    {
      std::lock_guard lock(m_mutex);
      State& state = m_states[i];
      if (state.disabled) {
        failures.push_back(name + ": disabled (" + state.last_error->describe() + ")");
        if (!first_code) first_code = state.last_error->code;
        continue;
      }
      const auto now = m_clock.now();
      if (state.open_until && now < *state.open_until) {
        const auto left = std::chrono::ceil<std::chrono::seconds>(*state.open_until - now).count();
        failures.push_back(name + ": skipped for " + std::to_string(left) + " s after " +
                           std::to_string(state.consecutive_failures) +
                           " consecutive failures (last: " + state.last_error->describe() + ")");
        if (!first_transient) first_transient = state.last_error->code;
        if (!first_code) first_code = state.last_error->code;
        continue;
      }
    }

    auto result = source->search(query, limit);

    std::lock_guard lock(m_mutex);
    State& state = m_states[i];
    if (result) {
      state.consecutive_failures = 0;
      state.open_until.reset();
      Served served{std::move(*result), name};
      for (auto& paper : served.papers)
        paper.source = name;
      if (served.papers.empty() && m_options.empty_falls_through) {
        if (!empty_answer) empty_answer = std::move(served);
        continue;
      }
      m_last_served_by = name;
      return served;
    }

    const core::Error& error = result.error();
    if (error.code == core::ErrorCode::cancelled) return std::unexpected(error);
    failures.push_back(name + ": " + error.describe());
    if (!first_code) first_code = error.code;
    if (is_permanent(error.code)) {
      state.disabled = true;
      state.last_error = error;
    } else if (core::is_transient(error.code)) {
      if (!first_transient) first_transient = error.code;
      state.last_error = error;
      if (++state.consecutive_failures >= threshold) {
        state.open_until = m_clock.now() + m_options.cool_down;
      }
    }
  }

  if (empty_answer) {
    std::lock_guard lock(m_mutex);
    m_last_served_by = empty_answer->source;
    return std::move(*empty_answer);
  }
  std::string message = "auto: every literature source failed: ";
  for (std::size_t i = 0; i < failures.size(); ++i) {
    if (i > 0) message += "; ";
    message += failures[i];
  }
  return core::fail(first_transient.value_or(first_code.value_or(core::ErrorCode::internal)),
                    std::move(message));
}

}  // namespace literature
