#pragma once

#include <optional>
#include <string_view>

namespace pipeline {

// Where an idea stands in a launch. The journal stores these words; the progress view shows them.
enum class IdeaStatus {
  pending,  // not started yet
  running,  // some stage is under way (after a reopen: the process died while it ran)
  done,     // every stage it was meant to go through completed
  failed,   // a stage failed; the journal says which and why
  skipped,  // left out on purpose (not novel, say); the journal says why
};

// "pending", "running", "done", "failed", "skipped".
std::string_view to_string(IdeaStatus status);
// The inverse of to_string; nullopt for any other word.
std::optional<IdeaStatus> parse_idea_status(std::string_view word);

}  // namespace pipeline
