#include "edit/apply.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace edit {

namespace fs = std::filesystem;

namespace {

// Symlinks followed while resolving one path before it counts as a loop (Linux's MAXSYMLINKS).
constexpr int k_max_symlinks = 40;
// Files larger than this, or holding a NUL byte, are not searched when a block is redirected to
// the file that has its SEARCH text: they are not source files.
constexpr std::uintmax_t k_max_redirect_size = 4 * 1024 * 1024;
// With more existing allowed files than this, a block whose SEARCH text is not in its file is not
// looked for in the others (a whole repository with --allow-any, not an idea folder).
constexpr std::size_t k_max_redirect_files = 200;

std::string errno_text(int err) {
  return std::strerror(err);
}

// `path` with every symlink in it resolved, dangling ones included (weakly_canonical leaves a
// dangling link unresolved, and writing through it could land outside the root). nullopt on a
// symlink loop or an unreadable link. `path` must be absolute.
std::optional<fs::path> resolve_symlinks(const fs::path& path) {
  std::deque<fs::path> todo;
  for (const fs::path& part : path.relative_path())
    todo.push_back(part);
  fs::path out = path.root_path();
  int links = 0;
  while (!todo.empty()) {
    const fs::path part = todo.front();
    todo.pop_front();
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      out = out.parent_path();
      continue;
    }
    const fs::path next = out / part;
    std::error_code ec;
    const fs::file_status status = fs::symlink_status(next, ec);
    if (!ec && fs::is_symlink(status)) {
      if (++links > k_max_symlinks) return std::nullopt;
      const fs::path target = fs::read_symlink(next, ec);
      if (ec) return std::nullopt;
      const fs::path target_parts = target.relative_path();
      std::vector<fs::path> parts(target_parts.begin(), target_parts.end());
      todo.insert(todo.begin(), parts.begin(), parts.end());
      if (target.is_absolute()) out = target.root_path();
      continue;
    }
    out = next;
  }
  return out;
}

// True when `path` is `root` or below it (both absolute and normal).
bool is_within(const fs::path& path, const fs::path& root) {
  auto p = path.begin();
  for (auto r = root.begin(); r != root.end(); ++r, ++p) {
    if (r->empty()) continue;  // a trailing separator on the root
    if (p == path.end() || *p != *r) return false;
  }
  return true;
}

bool is_hidden(const fs::path& name) {
  const std::string text = name.filename().string();
  return !text.empty() && text[0] == '.' && text != "." && text != "..";
}

// The first component of `relative` (normal, '/'-separated) whose name starts with '.', or "".
std::string hidden_component(const std::string& relative) {
  for (const fs::path& part : fs::path(relative)) {
    if (is_hidden(part)) return part.string();
  }
  return {};
}

std::string allowed_list(const EditPolicy& policy) {
  std::string allowed;
  for (const std::string& file : policy.allowed_files) {
    allowed += (allowed.empty() ? "" : ", ") + file;
  }
  if (!policy.allowed_patterns.empty()) {
    allowed += allowed.empty() ? "patterns " : ", patterns ";
    for (std::size_t i = 0; i < policy.allowed_patterns.size(); ++i) {
      allowed += (i ? ", " : "") + policy.allowed_patterns[i];
    }
  }
  return allowed.empty() ? "none" : allowed;
}

// Why `policy` does not let `relative` (normal, '/'-separated, inside the root) be edited, or
// nullopt when it does. A path with a hidden component (.git/hooks/pre-commit, .venv/..., .env)
// is allowed only when listed in allowed_files, whatever allow_any and the patterns say.
std::optional<std::string> policy_refusal(const EditPolicy& policy, const std::string& relative) {
  const bool listed = std::any_of(
      policy.allowed_files.begin(), policy.allowed_files.end(), [&](const std::string& allowed) {
        return fs::path(allowed).lexically_normal().generic_string() == relative;
      });
  if (listed) return std::nullopt;
  const std::string hidden = hidden_component(relative);
  if (!hidden.empty()) {
    return "hidden path ('" + hidden +
           "' starts with '.'); hidden files and folders may be edited only when listed "
           "explicitly among the allowed files";
  }
  if (policy.allow_any) return std::nullopt;
  for (const std::string& pattern : policy.allowed_patterns) {
    if (::fnmatch(pattern.c_str(), relative.c_str(), FNM_PATHNAME) == 0) return std::nullopt;
  }
  return "not a file this stage may edit (allowed: " + allowed_list(policy) + ")";
}

// The permission bits a new file gets (0666 less the umask), read from /proc/self/status so that
// no thread has to change the umask to learn it. 0644 when that is unavailable.
mode_t new_file_mode() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("Umask:")) {
      try {
        return static_cast<mode_t>(0666 & ~std::stoul(line.substr(6), nullptr, 8));
      } catch (...) {
        break;
      }
    }
  }
  return 0644;
}

std::string read_whole(const fs::path& path, std::error_code& ec) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ec = std::error_code(errno ? errno : EIO, std::generic_category());
    return {};
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) ec = std::error_code(EIO, std::generic_category());
  return buffer.str();
}

std::string normalise_crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    out += text[i];
  }
  return out;
}

std::string to_crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

// True when most of the text's line ends are "\r\n". Such a file is edited with "\n" line ends
// and written back with "\r\n" on every line; any other file keeps its bytes, a "\r" before
// some "\n" included, and replaced lines get "\n".
bool is_crlf(std::string_view text) {
  std::size_t crlf = 0;
  std::size_t lf = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\n') continue;
    if (i > 0 && text[i - 1] == '\r') {
      ++crlf;
    } else {
      ++lf;
    }
  }
  return crlf > lf;
}

std::string with_final_newline(std::string text) {
  if (!text.empty() && text.back() != '\n') text += '\n';
  return text;
}

bool is_blank_text(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

// `line` without the leading and trailing whitespace match.h ignores at most.
std::string_view strip_line(std::string_view line) {
  constexpr std::string_view k_space = " \t\r\f\v";
  const auto first = line.find_first_not_of(k_space);
  if (first == std::string_view::npos) return {};
  const auto last = line.find_last_not_of(k_space);
  return line.substr(first, last - first + 1);
}

// A text every file that replace_first() can apply `search` to must contain: the first line of
// `search` that is neither blank nor `...`, stripped. "" when there is none.
std::string_view required_text(std::string_view search) {
  std::size_t start = 0;
  while (start < search.size()) {
    std::size_t end = search.find('\n', start);
    if (end == std::string_view::npos) end = search.size();
    const std::string_view line = strip_line(search.substr(start, end - start));
    if (!line.empty() && line != "...") return line;
    start = end + 1;
  }
  return {};
}

std::string at_line(const EditBlock& block) {
  return block.line > 0 ? " at line " + std::to_string(block.line) : "";
}

std::string match_note(MatchKind kind) {
  switch (kind) {
    case MatchKind::exact:
      return "";
    case MatchKind::trailing_whitespace:
      return " (matched ignoring trailing whitespace)";
    case MatchKind::indentation:
      return " (matched with different indentation; the replacement was re-indented)";
    case MatchKind::leading_blank:
      return " (matched without the SEARCH text's leading blank line)";
    case MatchKind::elision:
      return " (matched with `...` standing for unchanged lines)";
  }
  return "";
}

// One file as the blocks so far have left it.
struct FileState {
  std::string display;   // relative path, normalised, for messages and the report
  fs::path absolute;     // resolved
  bool existed = false;  // on disk before any block
  bool exists = false;   // now, in memory
  std::string original;  // bytes on disk before any block
  bool crlf = false;     // written back with "\r\n" line ends
  // The original had content and no final newline: `text` has one added, taken off again when
  // written.
  bool lacks_final_newline = false;
  std::string text;  // '\n' line ends, ending in '\n' unless empty
  bool touched = false;
  std::vector<std::size_t> blocks;  // indices of the blocks that changed it
};

class Applier {
 public:
  explicit Applier(const Workspace& workspace) : m_workspace(workspace) {}

  ApplyReport run(const std::vector<EditBlock>& blocks) {
    for (const EditBlock& block : blocks) {
      m_report.blocks.push_back(apply_one(block));
    }
    write_all();
    return std::move(m_report);
  }

 private:
  // The state of the file at `relative`, loaded on first use, or an Error (refusals,
  // unreadable files).
  core::Result<FileState*> state_for(std::string_view relative) {
    const fs::path absolute = TRY(m_workspace.resolve(relative));
    const auto known = m_files.find(absolute);
    if (known != m_files.end()) return &known->second;
    FileState state;
    state.display = fs::path(relative).lexically_normal().generic_string();
    state.absolute = absolute;
    std::optional<std::string> content = TRY(m_workspace.read(relative));
    if (content) {
      state.existed = state.exists = true;
      state.original = *content;
      state.crlf = is_crlf(*content);
      std::string text = state.crlf ? normalise_crlf(*content) : *content;
      state.lacks_final_newline = !text.empty() && text.back() != '\n';
      state.text = with_final_newline(std::move(text));
    }
    return &m_files.emplace(absolute, std::move(state)).first->second;
  }

  void mark_changed(FileState& state, std::string text) {
    state.text = std::move(text);
    state.exists = true;
    state.blocks.push_back(m_report.blocks.size());
    if (!state.touched) {
      state.touched = true;
      m_order.push_back(&state);
    }
  }

  BlockResult apply_one(const EditBlock& block) {
    BlockResult result;
    result.block = block;
    result.path = block.path;

    auto loaded = state_for(block.path);
    if (!loaded) {
      const bool refused = loaded.error().code == core::ErrorCode::invalid_argument;
      result.outcome = refused ? Outcome::refused : Outcome::failed;
      result.message = loaded.error().message;
      return result;
    }
    FileState& state = **loaded;
    result.path = state.display;

    if (block.whole_file) {
      // The new content keeps the file's final newline or lack of one; a new file takes the
      // content's.
      const std::string given = normalise_crlf(block.replace);
      if (!state.exists) state.lacks_final_newline = !given.empty() && given.back() != '\n';
      std::string text = with_final_newline(given);
      if (state.exists && text == state.text) {
        result.outcome = Outcome::already_applied;
        result.message = state.display + " already has this content";
        return result;
      }
      result.outcome = state.exists ? Outcome::applied : Outcome::created;
      result.message = (state.exists ? "replaced the content of " : "created ") + state.display;
      mark_changed(state, std::move(text));
      return result;
    }

    const std::string search = with_final_newline(normalise_crlf(block.search));
    const std::string replace = with_final_newline(normalise_crlf(block.replace));

    if (block.needs_context) {
      result.outcome = Outcome::failed;
      result.message = "the hunk" + at_line(block) + " adds lines to " + state.display +
                       " but has no unchanged or removed lines, so there is no telling where "
                       "they go: include a few unchanged lines (starting with ' ') around the "
                       "addition";
      if (!state.exists) {
        result.message += "; to create " + state.display + ", use `--- /dev/null` as the old file";
      }
      return result;
    }

    if (search.empty()) {
      if (!state.exists) {
        result.outcome = Outcome::created;
        result.message = "created " + state.display;
        mark_changed(state, replace);
        return result;
      }
      if (block.create_only) {
        if (state.text == replace) {
          result.outcome = Outcome::already_applied;
          result.message = state.display + " already exists with this content";
          return result;
        }
        result.outcome = Outcome::failed;
        result.message = state.display +
                         " already exists, so it cannot be created (`--- /dev/null`); nothing "
                         "was appended. To change it, send hunks with `--- " +
                         state.display + "` and `+++ " + state.display +
                         "` headers and a few unchanged lines around each change";
        return result;
      }
      if (!replace.empty() && state.text.ends_with(replace)) {
        result.outcome = Outcome::already_applied;
        result.message = state.display + " already ends with these lines; nothing appended";
        return result;
      }
      result.outcome = Outcome::applied;
      result.message = "appended to " + state.display;
      mark_changed(state, state.text + replace);
      return result;
    }

    if (state.exists) {
      if (auto done = replace_first(state.text, search, replace)) {
        result.outcome = Outcome::applied;
        result.match = done->kind;
        result.message = "applied to " + state.display + match_note(done->kind);
        mark_changed(state, std::move(done->content));
        return result;
      }
      // Already applied: the REPLACE lines are in the file exactly, as whole lines, and they
      // are not simply part of the SEARCH text (a deletion leaves lines that were there before).
      if (!is_blank_text(replace) && search.find(replace) == std::string::npos &&
          contains_lines(state.text, replace)) {
        result.outcome = Outcome::already_applied;
        result.message = "SEARCH text not in " + state.display +
                         ", but the REPLACE lines are already there; nothing to do";
        return result;
      }
    }

    if (auto redirected = redirect(state, search, replace)) {
      FileState& target = *redirected->first;
      result.outcome = Outcome::applied;
      result.path = target.display;
      result.match = redirected->second.kind;
      result.message = "SEARCH text not in " + state.display + "; applied to " + target.display +
                       ", where it is" + match_note(redirected->second.kind);
      mark_changed(target, std::move(redirected->second.content));
      return result;
    }

    result.outcome = Outcome::failed;
    if (!state.exists) {
      result.message = state.display +
                       " does not exist; to create it, use an empty SEARCH section and put "
                       "its whole content in REPLACE";
      return result;
    }
    result.message = "SEARCH block in " + state.display + " did not match any lines exactly";
    if (auto closest = closest_lines(state.text, search)) {
      result.message += "\nDid you mean to match these lines?\n```\n" + *closest + "```";
    }
    if (!is_blank_text(replace) && contains_lines(state.text, replace)) {
      result.message += "\nNote: the REPLACE text is already in " + state.display +
                        "; check whether this edit is still needed.";
    }
    return result;
  }

  // The single other existing allowed file whose content has the SEARCH text, with the result of
  // replacing it there; nullopt when none or several have it.
  std::optional<std::pair<FileState*, Replacement>> redirect(const FileState& named,
                                                             std::string_view search,
                                                             std::string_view replace) {
    std::optional<std::pair<FileState*, Replacement>> found;
    // A cheap test first: a file without this text cannot match under any rule.
    const std::string_view required = required_text(search);
    for (FileState* candidate : candidates(named)) {
      if (!required.empty() && candidate->text.find(required) == std::string::npos) continue;
      auto done = replace_first(candidate->text, search, replace);
      if (!done) continue;
      if (found) return std::nullopt;
      found.emplace(candidate, std::move(*done));
    }
    return found;
  }

  // Existing allowed files other than `named`: those on disk (listed once per apply_edits) and
  // those created in memory by earlier blocks. None when there are too many to search.
  std::vector<FileState*> candidates(const FileState& named) {
    if (!m_listed) {
      m_listed = true;
      m_listing = m_workspace.existing_files();
    }
    if (m_listing.size() > k_max_redirect_files) return {};
    std::vector<FileState*> out;
    std::set<const FileState*> seen{&named};
    for (const std::string& relative : m_listing) {
      auto resolved = m_workspace.resolve(relative);
      if (!resolved) continue;
      const auto known = m_files.find(*resolved);
      if (known == m_files.end()) {
        std::error_code ec;
        const auto size = fs::file_size(*resolved, ec);
        if (ec || size > k_max_redirect_size) continue;
      }
      auto state = state_for(relative);
      if (!state || !(*state)->exists) continue;
      if ((*state)->text.find('\0') != std::string::npos) continue;
      if (seen.insert(*state).second) out.push_back(*state);
    }
    for (auto& [path, state] : m_files) {
      if (state.exists && seen.insert(&state).second) out.push_back(&state);
    }
    return out;
  }

  // Writes every file a block changed, once, in the order first changed. A file whose write
  // fails turns the blocks that changed it into failures.
  void write_all() {
    for (FileState* state : m_order) {
      std::string text = state->text;
      if (state->lacks_final_newline && !text.empty() && text.back() == '\n') text.pop_back();
      if (state->crlf) text = to_crlf(text);
      if (state->existed && text == state->original) continue;
      auto written = m_workspace.write(state->display, text);
      if (!written) {
        for (std::size_t index : state->blocks) {
          BlockResult& result = m_report.blocks[index];
          result.outcome = Outcome::failed;
          result.message +=
              "\nbut writing " + state->display + " failed: " + written.error().message;
        }
        continue;
      }
      m_report.changed_files.push_back(state->display);
    }
  }

  const Workspace& m_workspace;
  ApplyReport m_report;
  std::map<fs::path, FileState> m_files;
  std::vector<FileState*> m_order;
  bool m_listed = false;
  std::vector<std::string> m_listing;
};

}  // namespace

Workspace::Workspace(fs::path root, EditPolicy policy) : m_policy(std::move(policy)) {
  std::error_code ec;
  fs::path canonical = fs::weakly_canonical(root, ec);
  if (ec) canonical = fs::absolute(root, ec).lexically_normal();
  // No trailing separator, so that prefix comparisons see whole components.
  if (canonical.has_relative_path() && !canonical.has_filename()) {
    canonical = canonical.parent_path();
  }
  m_root = canonical;
}

core::Result<fs::path> Workspace::resolve(std::string_view relative) const {
  using core::ErrorCode;
  const std::string quoted = "'" + std::string(relative) + "'";
  if (relative.empty()) {
    return core::fail(ErrorCode::invalid_argument, "refused an empty path: name a file");
  }
  const fs::path path(relative);
  if (path.is_absolute() || relative.front() == '/') {
    return core::fail(
        ErrorCode::invalid_argument,
        "refused " + quoted + ": absolute path; name files relative to the workspace root");
  }
  for (const fs::path& part : path) {
    if (part == "..") {
      return core::fail(ErrorCode::invalid_argument,
                        "refused " + quoted +
                            ": '..' in path; files outside the workspace "
                            "may not be edited");
    }
  }
  const std::string normal = path.lexically_normal().generic_string();
  if (normal.empty() || normal == "." || normal.ends_with('/')) {
    return core::fail(ErrorCode::invalid_argument, "refused " + quoted + ": not a file name");
  }
  const auto resolved = resolve_symlinks(m_root / path);
  if (!resolved) {
    return core::fail(ErrorCode::invalid_argument,
                      "refused " + quoted + ": resolves outside the workspace (a symlink loop)");
  }
  if (!is_within(*resolved, m_root) || *resolved == m_root) {
    return core::fail(
        ErrorCode::invalid_argument,
        "refused " + quoted + ": resolves outside the workspace (to " + resolved->string() + ")");
  }

  // The policy must allow both the path as written and the file it resolves to, so that a
  // symlink "ok.py" -> "secret.cfg" does not pass as "*.py".
  if (const auto refusal = policy_refusal(m_policy, normal)) {
    return core::fail(ErrorCode::invalid_argument, "refused " + quoted + ": " + *refusal);
  }
  const std::string target = resolved->lexically_relative(m_root).generic_string();
  if (target != normal) {
    if (const auto refusal = policy_refusal(m_policy, target)) {
      return core::fail(ErrorCode::invalid_argument,
                        "refused " + quoted + ": it resolves to '" + target + "', " + *refusal);
    }
  }
  return *resolved;
}

core::Result<std::optional<std::string>> Workspace::read(std::string_view relative) const {
  const fs::path path = TRY(resolve(relative));
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) {
    if (!ec || ec == std::errc::no_such_file_or_directory) return std::nullopt;
    return core::fail(core::ErrorCode::io, "cannot read " + path.string() + ": " + ec.message());
  }
  if (!fs::is_regular_file(status)) {
    return core::fail(core::ErrorCode::io, "cannot read " + path.string() + ": not a file");
  }
  errno = 0;
  std::string content = read_whole(path, ec);
  if (ec) {
    return core::fail(core::ErrorCode::io, "cannot read " + path.string() + ": " + ec.message());
  }
  return std::optional<std::string>(std::move(content));
}

core::Result<void> Workspace::write(std::string_view relative, std::string_view content) const {
  using core::ErrorCode;
  const fs::path path = TRY(resolve(relative));
  const fs::path folder = path.parent_path();
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) {
    return core::fail(ErrorCode::io,
                      "cannot create folder " + folder.string() + ": " + ec.message());
  }

  // Keep the permission bits of the file being replaced; a new file gets the usual ones.
  mode_t mode = 0;
  struct stat existing {};
  if (::stat(path.c_str(), &existing) == 0) {
    if (!S_ISREG(existing.st_mode)) {
      return core::fail(ErrorCode::io, "cannot write " + path.string() + ": not a file");
    }
    mode = existing.st_mode & 07777;
  } else {
    mode = new_file_mode();
  }

  std::string temp = (folder / ("." + path.filename().string() + ".tmp.XXXXXX")).string();
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) {
    return core::fail(ErrorCode::io, "cannot create a temporary file in " + folder.string() + ": " +
                                         errno_text(errno));
  }
  const auto give_up = [&](const std::string& what) {
    const int err = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    return core::fail(ErrorCode::io,
                      "cannot write " + path.string() + ": " + what + ": " + errno_text(err));
  };
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return give_up("write");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fchmod(fd, mode) != 0) return give_up("fchmod");
  if (::fsync(fd) != 0) return give_up("fsync");
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return core::fail(ErrorCode::io,
                      "cannot write " + path.string() + ": close: " + errno_text(err));
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return core::fail(ErrorCode::io,
                      "cannot write " + path.string() + ": rename: " + errno_text(err));
  }
  // Make the rename itself durable; failing to is not worth failing the write for.
  const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return {};
}

std::vector<std::string> Workspace::existing_files() const {
  std::set<std::string> found;
  const auto add_if_file = [&](const std::string& relative) {
    auto resolved = resolve(relative);
    std::error_code ec;
    if (resolved && fs::is_regular_file(*resolved, ec)) found.insert(relative);
  };

  if (!m_policy.allow_any) {
    for (const std::string& file : m_policy.allowed_files) {
      add_if_file(fs::path(file).lexically_normal().generic_string());
    }
  }
  if (m_policy.allow_any || !m_policy.allowed_patterns.empty()) {
    // Hidden files and folders (.git, .venv, ...) are never listed; symlinks are not followed.
    // An entry whose type cannot be read is skipped; only an error moving on ends the walk.
    std::error_code walk_ec;
    fs::recursive_directory_iterator it(m_root, fs::directory_options::skip_permission_denied,
                                        walk_ec);
    for (; !walk_ec && it != fs::recursive_directory_iterator(); it.increment(walk_ec)) {
      const fs::directory_entry& entry = *it;
      std::error_code type_ec;
      if (is_hidden(entry.path())) {
        // Not descended into, whatever it is (a symlink to a folder is not followed anyway).
        it.disable_recursion_pending();
        continue;
      }
      const bool symlink = entry.is_symlink(type_ec);
      if (type_ec || symlink) continue;
      const bool regular = entry.is_regular_file(type_ec);
      if (type_ec || !regular) continue;
      const std::string relative = entry.path().lexically_relative(m_root).generic_string();
      if (m_policy.allow_any) {
        found.insert(relative);
        continue;
      }
      for (const std::string& pattern : m_policy.allowed_patterns) {
        if (::fnmatch(pattern.c_str(), relative.c_str(), FNM_PATHNAME) == 0) {
          found.insert(relative);
          break;
        }
      }
    }
  }
  return {found.begin(), found.end()};
}

std::string_view to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::applied:
      return "applied";
    case Outcome::created:
      return "created";
    case Outcome::already_applied:
      return "already_applied";
    case Outcome::failed:
      return "failed";
    case Outcome::refused:
      return "refused";
  }
  return "unknown";
}

bool ApplyReport::all_ok() const {
  return std::all_of(blocks.begin(), blocks.end(), [](const BlockResult& block) {
    return block.outcome == Outcome::applied || block.outcome == Outcome::created ||
           block.outcome == Outcome::already_applied;
  });
}

ApplyReport apply_edits(const Workspace& workspace, const std::vector<EditBlock>& blocks) {
  return Applier(workspace).run(blocks);
}

}  // namespace edit
