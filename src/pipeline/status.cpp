#include "pipeline/status.h"

#include <array>
#include <utility>

namespace pipeline {

namespace {

constexpr std::array<std::pair<IdeaStatus, std::string_view>, 5> k_words = {{
    {IdeaStatus::pending, "pending"},
    {IdeaStatus::running, "running"},
    {IdeaStatus::done, "done"},
    {IdeaStatus::failed, "failed"},
    {IdeaStatus::skipped, "skipped"},
}};

}  // namespace

std::string_view to_string(IdeaStatus status) {
  for (const auto& [s, word] : k_words) {
    if (s == status) return word;
  }
  return "pending";
}

std::optional<IdeaStatus> parse_idea_status(std::string_view word) {
  for (const auto& [s, w] : k_words) {
    if (w == word) return s;
  }
  return std::nullopt;
}

}  // namespace pipeline
