#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "core/error.h"

namespace edit {

// The readable record of a coder conversation, `coder_history.md`, in the layout of aider's
// chat history so that people who know that format can read it: user turns as "#### " lines,
// the model's replies as they came, and the engine's own lines (edits applied or failed, lint
// errors, tokens and cost) quoted with "> ". Appended and flushed entry by entry, so a crash
// loses nothing already said. An empty path disables it.
class ChatHistory {
 public:
  explicit ChatHistory(std::filesystem::path path) : m_path(std::move(path)) {}

  core::Result<void> session_started();
  core::Result<void> user(std::string_view message);
  core::Result<void> assistant(std::string_view reply);
  // One or more "> " lines.
  core::Result<void> tool(std::string_view lines);

  const std::filesystem::path& path() const { return m_path; }

 private:
  core::Result<void> append(std::string_view text);

  std::filesystem::path m_path;
};

}  // namespace edit
