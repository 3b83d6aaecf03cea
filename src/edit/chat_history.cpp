#include "edit/chat_history.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "core/clock.h"

namespace edit {

core::Result<void> ChatHistory::append(std::string_view text) {
  if (m_path.empty()) return {};
  std::ofstream out(m_path, std::ios::app | std::ios::binary);
  out << text;
  out.flush();
  if (!out) {
    return core::fail(core::ErrorCode::io, fmt::format("cannot append to {}: {}", m_path.string(),
                                                       std::strerror(errno)));
  }
  return {};
}

core::Result<void> ChatHistory::session_started() {
  return append(
      fmt::format("\n# ai-scientist coder session started {}\n\n", core::utc_timestamp()));
}

core::Result<void> ChatHistory::user(std::string_view message) {
  // Every line of a user turn is marked, as aider does, so multi-line messages stay readable.
  std::string text;
  std::size_t start = 0;
  while (start <= message.size()) {
    std::size_t end = message.find('\n', start);
    if (end == std::string_view::npos) end = message.size();
    text += fmt::format("#### {}\n", message.substr(start, end - start));
    start = end + 1;
  }
  return append(text + "\n");
}

core::Result<void> ChatHistory::assistant(std::string_view reply) {
  std::string text(reply);
  if (!text.empty() && text.back() != '\n') text += '\n';
  return append(text + "\n");
}

core::Result<void> ChatHistory::tool(std::string_view lines) {
  std::string text;
  std::size_t start = 0;
  while (start < lines.size()) {
    std::size_t end = lines.find('\n', start);
    if (end == std::string_view::npos) end = lines.size();
    std::string_view line = lines.substr(start, end - start);
    text += line.empty() ? ">\n" : fmt::format("> {}\n", line);
    start = end + 1;
  }
  return append(text + "\n");
}

}  // namespace edit
