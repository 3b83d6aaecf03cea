#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "edit/blocks.h"

// Parsers for the three edit formats. The SEARCH/REPLACE parser follows aider's
// find_original_update_blocks (aider/coders/editblock_coder.py) line for line, including Python's
// str.splitlines() and str.strip() semantics, so that the golden chat history aider tests itself
// with parses identically here (tests/edit/conformance_test.cpp). Where this file departs from
// aider it says so.

namespace edit {
namespace {

using core::ErrorCode;

constexpr std::string_view k_backticks = "```";

// Fence languages that mark a shell block (aider's list). Matched as prefixes of the stripped
// line, as aider does, so "```shell" and "```sh-session" count as well.
constexpr std::array<std::string_view, 12> k_shell_fences = {
    "```bash", "```sh",  "```shell", "```cmd", "```batch", "```powershell",
    "```ps1",  "```zsh", "```fish",  "```ksh", "```csh",   "```tcsh",
};

// ---------------------------------------------------------------------------------------------
// Python text semantics on UTF-8 bytes

// Length of the line boundary that starts at text[pos] as Python's str.splitlines() sees it
// (\n, \r, \r\n, \v, \f, \x1c, \x1d, \x1e, U+0085, U+2028, U+2029), or 0 when there is none.
size_t line_break_length(std::string_view text, size_t pos) {
  const auto byte = [&](size_t k) -> unsigned char {
    return pos + k < text.size() ? static_cast<unsigned char>(text[pos + k]) : 0;
  };
  switch (byte(0)) {
    case '\n':
    case '\v':
    case '\f':
    case 0x1c:
    case 0x1d:
    case 0x1e:
      return 1;
    case '\r':
      return byte(1) == '\n' ? 2 : 1;
    case 0xc2:
      return byte(1) == 0x85 ? 2 : 0;
    case 0xe2:
      return byte(1) == 0x80 && (byte(2) == 0xa8 || byte(2) == 0xa9) ? 3 : 0;
    default:
      return 0;
  }
}

// str.splitlines(keepends=True): every line keeps its line break; a final line without one is
// still a line; an empty text has no lines.
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t length = line_break_length(text, pos);
    if (length == 0) {
      ++pos;
      continue;
    }
    pos += length;
    lines.push_back(text.substr(start, pos - start));
    start = pos;
  }
  if (start < text.size()) lines.push_back(text.substr(start));
  return lines;
}

// Bytes taken by the whitespace character (Python's str.isspace()) that starts `s`, or 0.
size_t leading_space_length(std::string_view s) {
  if (s.empty()) return 0;
  const auto b = [&](size_t k) { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0; };
  const unsigned char c = b(0);
  if (c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f)) return 1;
  if (c == 0xc2 && (b(1) == 0x85 || b(1) == 0xa0)) return 2;
  if (c == 0xe1 && b(1) == 0x9a && b(2) == 0x80) return 3;  // U+1680
  if (c == 0xe2 && b(1) == 0x80 &&
      ((b(2) >= 0x80 && b(2) <= 0x8a) || b(2) == 0xa8 || b(2) == 0xa9 || b(2) == 0xaf)) {
    return 3;  // U+2000..U+200A, U+2028, U+2029, U+202F
  }
  if (c == 0xe2 && b(1) == 0x81 && b(2) == 0x9f) return 3;  // U+205F
  if (c == 0xe3 && b(1) == 0x80 && b(2) == 0x80) return 3;  // U+3000
  return 0;
}

// The same for the whitespace character that ends `s`. Continuation bytes never start a
// character, so trying each possible length from the end cannot split one.
size_t trailing_space_length(std::string_view s) {
  for (size_t length = 1; length <= 3 && length <= s.size(); ++length) {
    if (leading_space_length(s.substr(s.size() - length)) == length) return length;
  }
  return 0;
}

// str.strip() with no argument.
std::string_view py_strip(std::string_view s) {
  while (const size_t n = leading_space_length(s)) {
    s.remove_prefix(n);
  }
  while (const size_t n = trailing_space_length(s)) {
    s.remove_suffix(n);
  }
  return s;
}

std::string_view lstrip_char(std::string_view s, char c) {
  while (!s.empty() && s.front() == c) {
    s.remove_prefix(1);
  }
  return s;
}

std::string_view rstrip_char(std::string_view s, char c) {
  while (!s.empty() && s.back() == c) {
    s.remove_suffix(1);
  }
  return s;
}

std::string_view strip_char(std::string_view s, char c) {
  return rstrip_char(lstrip_char(s, c), c);
}

size_t count_leading(std::string_view s, char c) {
  size_t n = 0;
  while (n < s.size() && s[n] == c) {
    ++n;
  }
  return n;
}

bool contains(std::string_view s, std::string_view part) {
  return s.find(part) != std::string_view::npos;
}

// Reads "\r\n" and a lone "\r" as "\n", as Python's universal newlines do when aider reads a
// file. Line numbers do not change (splitlines counts each of them as one break), and the
// search and replace texts come out with '\n' line ends, which is what match.h expects.
std::string normalize_newlines(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\r') {
      out += text[i];
      continue;
    }
    out += '\n';
    if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
  }
  return out;
}

// Python's Path(name).name on POSIX: the last component, trailing slashes ignored.
std::string_view base_name(std::string_view path) {
  path = rstrip_char(path, '/');
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string line_number(size_t index) {
  return std::to_string(index + 1);
}

// ---------------------------------------------------------------------------------------------
// SEARCH/REPLACE markers. Each takes a line already passed through py_strip(), so aider's
// trailing `\s*$` has nothing left to match.

// `^<{5,9} SEARCH>?\s*$`
bool is_head(std::string_view s) {
  const size_t n = count_leading(s, '<');
  if (n < 5 || n > 9) return false;
  s.remove_prefix(n);
  if (!s.starts_with(" SEARCH")) return false;
  s.remove_prefix(7);
  return s.empty() || s == ">";
}

// `^={5,9}\s*$`
bool is_divider(std::string_view s) {
  const size_t n = count_leading(s, '=');
  return n >= 5 && n <= 9 && n == s.size();
}

// `^>{5,9} REPLACE\s*$`
bool is_updated(std::string_view s) {
  const size_t n = count_leading(s, '>');
  return n >= 5 && n <= 9 && s.substr(n) == " REPLACE";
}

bool is_shell_fence(std::string_view stripped) {
  return std::ranges::any_of(k_shell_fences,
                             [&](std::string_view start) { return stripped.starts_with(start); });
}

// ---------------------------------------------------------------------------------------------
// File names

// What follows the fence opener on a fence line ("```path/to/file.py") is a name only when it
// has a '.' or a '/' (otherwise it is a language tag). Aider returns it verbatim; this trims the
// spaces around it and, for "```python src/app.py", keeps the last word, which is the path
// (aider would return "python src/app.py", a name no file has).
std::string fence_line_name(std::string_view rest) {
  if (!contains(rest, ".") && !contains(rest, "/")) return {};
  rest = py_strip(rest);
  const size_t space = rest.find_last_of(" \t");
  if (space != std::string_view::npos) {
    const std::string_view last = rest.substr(space + 1);
    if (contains(last, ".") || contains(last, "/")) rest = last;
  }
  return std::string(rest);
}

// aider's strip_filename(): the file name a line may hold, or "" for none.
std::string strip_filename(std::string_view line, std::string_view fence_open) {
  std::string_view name = py_strip(line);
  if (name == "...") return {};
  if (!fence_open.empty() && name.starts_with(fence_open)) {
    return fence_line_name(name.substr(fence_open.size()));
  }
  if (name.starts_with(k_backticks)) return fence_line_name(name.substr(k_backticks.size()));
  name = rstrip_char(name, ':');
  name = lstrip_char(name, '#');
  name = py_strip(name);
  name = strip_char(name, '`');
  name = strip_char(name, '*');
  return std::string(name);
}

// aider's find_filename(): looks back through `lines` (the up to 3 lines before a marker),
// newest first, collecting names; it keeps going back only past fence lines (the Deepseek style
// "```python\nfile.py\n```\n```python\n<<<<<<< SEARCH"). Then picks the best: a known file, a
// known file by its base name, the first name with an extension, the first name.
// (Aider also tries difflib.get_close_matches against the known files between the base-name and
// extension steps; that fuzzy step is left out here.)
std::optional<std::string> find_filename(std::span<const std::string_view> lines,
                                         std::string_view fence_open,
                                         const std::vector<std::string>& known_files) {
  std::vector<std::string> names;
  for (size_t k = lines.size(); k-- > 0 && lines.size() - k <= 3;) {
    const std::string_view line = lines[k];
    std::string name = strip_filename(line, fence_open);
    if (!name.empty()) names.push_back(std::move(name));
    const bool fence_line =
        (!fence_open.empty() && line.starts_with(fence_open)) || line.starts_with(k_backticks);
    if (!fence_line) break;
  }
  if (names.empty()) return std::nullopt;
  for (const std::string& name : names) {
    if (std::ranges::find(known_files, name) != known_files.end()) return name;
  }
  for (const std::string& name : names) {
    for (const std::string& known : known_files) {
      if (name == base_name(known)) return known;
    }
  }
  for (const std::string& name : names) {
    if (contains(name, ".")) return name;
  }
  return names.front();
}

// ---------------------------------------------------------------------------------------------
// Error messages: where (1-based reply line), what was expected, and the syntax to use.

std::string diff_syntax(const Fence& fence) {
  return "Write each edit as a SEARCH/REPLACE block:\n"
         "path/to/file.ext\n" +
         fence.open +
         "\n"
         "<<<<<<< SEARCH\n"
         "exact existing lines\n"
         "=======\n"
         "new lines\n"
         ">>>>>>> REPLACE\n" +
         fence.close + "\n";
}

core::Error diff_error(std::string problem, const Fence& fence) {
  return core::Error(ErrorCode::parse, std::move(problem) + "\n" + diff_syntax(fence));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// SEARCH/REPLACE blocks

core::Result<ParsedReply> parse_diff_blocks(std::string_view reply, const Fence& fence,
                                            const std::vector<std::string>& known_files) {
  static const std::vector<std::string> k_no_files;
  const std::string text = normalize_newlines(reply);
  const std::vector<std::string_view> lines = split_lines(text);
  const size_t count = lines.size();
  const auto stripped = [&](size_t k) { return py_strip(lines[k]); };

  ParsedReply parsed;
  std::string current_filename;  // the previous block's file: blocks without a name go there
  size_t i = 0;
  while (i < count) {
    // A shell block, unless a SEARCH marker follows within two lines: then the "```bash" line is
    // the fence of an edit to a shell script.
    const bool next_is_head =
        (i + 1 < count && is_head(stripped(i + 1))) || (i + 2 < count && is_head(stripped(i + 2)));
    if (is_shell_fence(stripped(i)) && !next_is_head) {
      std::string content;
      ++i;
      while (i < count && !stripped(i).starts_with(k_backticks)) {
        content += lines[i++];
      }
      if (i < count) ++i;  // the closing fence
      parsed.shell_blocks.push_back(std::move(content));
      continue;
    }

    if (!is_head(stripped(i))) {
      ++i;
      continue;
    }

    const size_t head = i;
    // A HEAD directly followed by a DIVIDER creates a file, which is not among the known ones:
    // take the name as written.
    const bool new_file = i + 1 < count && is_divider(stripped(i + 1));
    const size_t window = i >= 3 ? i - 3 : 0;
    std::optional<std::string> filename =
        find_filename(std::span(lines).subspan(window, i - window), fence.open,
                      new_file ? k_no_files : known_files);
    if (filename) {
      current_filename = *filename;
    } else if (current_filename.empty()) {
      return std::unexpected(diff_error(
          "Line " + line_number(head) +
              ": Bad/missing filename. The filename must be alone on the line before the opening "
              "fence " +
              fence.open + " (no file name was found before this `<<<<<<< SEARCH`).",
          fence));
    }

    std::string search;
    ++i;
    while (i < count && !is_divider(stripped(i))) {
      search += lines[i++];
    }
    if (i >= count) {
      return std::unexpected(diff_error(
          "Line " + line_number(head) +
              ": Expected `=======`. The SEARCH section that starts with `<<<<<<< SEARCH` on this "
              "line has no `=======` line before the reply ends (line " +
              std::to_string(count) + "). If the reply was cut off, send the block again, whole.",
          fence));
    }

    const size_t divider = i;
    std::string replace;
    ++i;
    // The REPLACE section also ends at another DIVIDER, as in aider (the rest up to the
    // `>>>>>>> REPLACE` is then skipped, being outside any block).
    while (i < count && !is_updated(stripped(i)) && !is_divider(stripped(i))) {
      replace += lines[i++];
    }
    if (i >= count) {
      return std::unexpected(diff_error(
          "Line " + line_number(divider) +
              ": Expected `>>>>>>> REPLACE` or `=======`. The REPLACE section after the `=======` "
              "on this line (in the block that starts at line " +
              line_number(head) + ") has no `>>>>>>> REPLACE` line before the reply ends (line " +
              std::to_string(count) + "). If the reply was cut off, send the block again, whole.",
          fence));
    }

    parsed.edits.push_back(EditBlock{.path = current_filename,
                                     .search = std::move(search),
                                     .replace = std::move(replace),
                                     .whole_file = false,
                                     .line = static_cast<int>(head + 1)});
    ++i;
  }
  return parsed;
}

// ---------------------------------------------------------------------------------------------
// Whole files

namespace {

// A line that opens a fence: 3 or more backticks (after indentation), then an info string without
// backticks (CommonMark's rule, which keeps "```inline```" prose out).
struct FenceOpen {
  size_t ticks = 0;
  std::string_view info;  // language tag or path, stripped
};

std::optional<FenceOpen> fence_open(std::string_view line) {
  const std::string_view s = py_strip(line);
  const size_t ticks = count_leading(s, '`');
  if (ticks < 3) return std::nullopt;
  const std::string_view info = py_strip(s.substr(ticks));
  if (contains(info, "`")) return std::nullopt;
  return FenceOpen{ticks, info};
}

// A line holding only backticks, at least as many as the opening fence: a ```` fence is not
// closed by a ``` line inside it.
bool closes_fence(std::string_view line, size_t ticks) {
  const std::string_view s = py_strip(line);
  return s.size() >= ticks && count_leading(s, '`') == s.size();
}

bool is_known(std::string_view name, const std::vector<std::string>& known_files) {
  return std::ranges::any_of(known_files, [&](const std::string& known) {
    return known == name || base_name(known) == name;
  });
}

bool is_ascii_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Whether a name found on a fence line or alone on the line before a fence can be a path in the
// whole format: one word, no URL, with a '/' or a '.' followed by a letter ("x.py",
// ".gitignore"). "Output", "Usage", "Done." and the language tag "python3.11" are not.
bool looks_like_path(std::string_view name) {
  if (name.empty() || name.find_first_of(" \t") != std::string_view::npos) return false;
  if (contains(name, "://")) return false;
  if (contains(name, "/")) return true;
  for (size_t k = 0; k + 1 < name.size(); ++k) {
    if (name[k] == '.' && is_ascii_letter(name[k + 1])) return true;
  }
  return false;
}

std::string whole_syntax() {
  return "Write each file as its path alone on a line, then the complete new content in a "
         "fence:\n"
         "path/to/file.ext\n"
         "```\n"
         "the whole file\n"
         "```\n"
         "(use ```` as the fence when the file itself contains ```).\n";
}

}  // namespace

core::Result<ParsedReply> parse_whole_blocks(std::string_view reply,
                                             const std::vector<std::string>& known_files) {
  const std::string text = normalize_newlines(reply);
  const std::vector<std::string_view> lines = split_lines(text);
  const size_t count = lines.size();

  ParsedReply parsed;
  size_t previous_end = 0;  // lines before this belong to the previous block
  size_t i = 0;
  while (i < count) {
    const std::optional<FenceOpen> open = fence_open(lines[i]);
    if (!open) {
      ++i;
      continue;
    }
    const std::string opener(open->ticks, '`');

    // The path: on the fence line ("```path/file.py"), else on the line before it, found as for
    // SEARCH/REPLACE blocks. Unlike those, a name must be a known file or look like a path: a
    // language tag ("```python3.11") or a line of prose ("Output:", "Here is the new file:") is
    // not a file name.
    std::optional<std::string> path;
    const std::string on_fence = fence_line_name(open->info);
    if (!on_fence.empty() && (looks_like_path(on_fence) || is_known(on_fence, known_files))) {
      path = on_fence;
    } else {
      const size_t window = std::max(previous_end, i >= 3 ? i - 3 : 0);
      path = find_filename(std::span(lines).subspan(window, i - window), opener, known_files);
      if (path && !is_known(*path, known_files) && !looks_like_path(*path)) path.reset();
    }
    const bool shell = !path && is_shell_fence(std::string(k_backticks) + std::string(open->info));

    const size_t start = i;
    std::string content;
    ++i;
    while (i < count && !closes_fence(lines[i], open->ticks)) {
      content += lines[i++];
    }
    if (i >= count) {
      const std::string what = path    ? "the listing of `" + *path + "`"
                               : shell ? "a shell block"
                                       : "a fenced block";
      return fail(ErrorCode::parse,
                  "Line " + line_number(start) + ": Expected a closing " + opener + ". The " +
                      opener + " fence that opens " + what +
                      " on this line is never closed: the reply ends (line " +
                      std::to_string(count) +
                      ") inside it, so it may have been cut off. Send the complete file again, "
                      "ending with a line holding only " +
                      opener + ".\n" + whole_syntax());
    }
    ++i;  // the closing fence
    previous_end = i;

    // A fenced block without a path is not an edit: it is example output or a snippet, and
    // giving it to a file (aider gives it to the only file in the chat) could overwrite that
    // file with it. A reply whose only listings lack paths has no edits, which the caller
    // reports.
    if (shell) {
      parsed.shell_blocks.push_back(std::move(content));
    } else if (path) {
      parsed.edits.push_back(EditBlock{.path = std::move(*path),
                                       .search = "",
                                       .replace = std::move(content),
                                       .whole_file = true,
                                       .line = static_cast<int>(start + 1)});
    }
  }

  return parsed;
}

// ---------------------------------------------------------------------------------------------
// Unified diffs

namespace {

std::string udiff_syntax() {
  return "Write each change as a unified diff in a ```diff fence:\n"
         "```diff\n"
         "--- path/to/file.ext\n"
         "+++ path/to/file.ext\n"
         "@@ ... @@\n"
         " unchanged line\n"
         "-removed line\n"
         "+added line\n"
         "```\n"
         "(every hunk line starts with ' ', '-' or '+'; `--- /dev/null` creates a file).\n";
}

core::Error udiff_error(size_t index, std::string problem) {
  return core::Error(ErrorCode::parse, "Line " + line_number(index) + ": " + std::move(problem) +
                                           "\n" + udiff_syntax());
}

// The path in a `--- ` or `+++ ` header: a tab and what follows (diff -u's timestamp) dropped.
std::string header_path(std::string_view line) {
  std::string_view path = line.substr(4);
  const size_t tab = path.find('\t');
  if (tab != std::string_view::npos) path = path.substr(0, tab);
  return std::string(py_strip(path));
}

constexpr std::string_view k_dev_null = "/dev/null";

// Git's prefixes: `--- a/path` and `+++ b/path`, with /dev/null for a side that does not exist.
// They are removed only when the pair is written that way, so that a folder named a/ or b/ in
// a plain diff (`--- b/x.py`, `+++ b/x.py`) keeps its name.
void strip_git_prefixes(std::string& old_path, std::string& new_path) {
  const bool old_git = old_path.starts_with("a/");
  const bool new_git = new_path.starts_with("b/");
  if (!old_git && !new_git) return;
  if (!(old_git || old_path == k_dev_null) || !(new_git || new_path == k_dev_null)) return;
  if (old_git) old_path.erase(0, 2);
  if (new_git) new_path.erase(0, 2);
}

bool is_diff_fence(std::string_view line) {
  const std::optional<FenceOpen> open = fence_open(line);
  return open && (open->info == "diff" || open->info == "patch");
}

// A line made of nothing but its line break (or nothing, at the end of the reply).
bool is_empty_line(std::string_view line) {
  return line.empty() || line == "\n";
}

// The text of a hunk line without its one-character prefix; an empty line is an empty context
// line.
std::string_view hunk_text(std::string_view line) {
  return is_empty_line(line) ? std::string_view("\n") : line.substr(1);
}

// One hunk being read.
struct Hunk {
  size_t start = 0;                    // index of its first line (the @@ line)
  std::vector<std::string_view> body;  // its lines as written, prefixes included
};

// Turns a hunk into an EditBlock; nullopt for one that changes nothing (context only). A hunk of
// added lines only creates the file when it is `new_file` (`--- /dev/null`, where an empty line
// is an empty added line, there being no context in a new file); elsewhere it has nothing to
// say where the lines go, and is marked needs_context for the applier to refuse.
std::optional<EditBlock> hunk_to_block(const std::string& path, Hunk hunk, bool new_file) {
  // Blank lines at the end are spacing before the next header or the closing fence, not context
  // the file must contain.
  while (!hunk.body.empty() && is_empty_line(hunk.body.back())) {
    hunk.body.pop_back();
  }
  EditBlock block{.path = path,
                  .search = "",
                  .replace = "",
                  .whole_file = false,
                  .line = static_cast<int>(hunk.start + 1)};
  bool changes = false;
  bool anchored = false;  // has a context or removed line
  for (const std::string_view line : hunk.body) {
    const char op = is_empty_line(line) ? (new_file ? '+' : ' ') : line.front();
    const std::string_view text = hunk_text(line);
    if (op != '-') block.replace += text;
    if (op != '+') block.search += text;
    changes = changes || op != ' ';
    anchored = anchored || op != '+';
  }
  if (!changes) return std::nullopt;
  if (!anchored) {
    block.create_only = new_file;
    block.needs_context = !new_file;
  }
  return block;
}

}  // namespace

core::Result<ParsedReply> parse_udiff(std::string_view reply) {
  const std::string text = normalize_newlines(reply);
  const std::vector<std::string_view> lines = split_lines(text);
  const size_t count = lines.size();

  ParsedReply parsed;
  size_t i = 0;
  while (i < count) {
    const std::string_view stripped = py_strip(lines[i]);
    if (is_shell_fence(stripped)) {
      const size_t ticks = count_leading(stripped, '`');
      std::string content;
      const size_t start = i;
      ++i;
      while (i < count && !closes_fence(lines[i], ticks)) {
        content += lines[i++];
      }
      if (i >= count) {
        return std::unexpected(udiff_error(start,
                                           "Expected a closing ```: the shell block opened "
                                           "on this line is never closed."));
      }
      ++i;
      parsed.shell_blocks.push_back(std::move(content));
      continue;
    }
    if (!is_diff_fence(lines[i])) {
      ++i;
      continue;
    }

    // Inside a ```diff fence. It closes at a line starting with its backticks, unindented: an
    // indented ``` is a context line.
    const size_t fence_line = i;
    const std::string closer(count_leading(stripped, '`'), '`');
    std::string path;       // the file the current hunks change; empty before any header
    bool new_file = false;  // the header is `--- /dev/null`
    // The block that creates the new file, which later hunks of the same header add to.
    std::optional<size_t> created;
    std::optional<Hunk> hunk;
    const auto finish_hunk = [&] {
      if (!hunk) return;
      if (std::optional<EditBlock> block = hunk_to_block(path, std::move(*hunk), new_file)) {
        if (block->create_only && created) {
          parsed.edits[*created].replace += block->replace;
        } else {
          if (block->create_only) created = parsed.edits.size();
          parsed.edits.push_back(std::move(*block));
        }
      }
      hunk.reset();
    };
    bool closed = false;
    for (++i; i < count; ++i) {
      const std::string_view line = lines[i];
      if (line.starts_with(closer)) {
        closed = true;
        ++i;
        break;
      }
      // A file header: `--- old` then `+++ new`. A `--- ` line without `+++ ` after it is a
      // removed line that starts with "--".
      const bool header =
          line.starts_with("--- ") && i + 1 < count && lines[i + 1].starts_with("+++ ");
      if (header || (line.starts_with("+++ ") && !hunk)) {
        finish_hunk();
        std::string old_path = header ? header_path(line) : "";
        if (header) ++i;
        std::string new_path = header_path(lines[i]);
        strip_git_prefixes(old_path, new_path);
        new_file = old_path == k_dev_null;
        created.reset();
        // `+++ /dev/null` deletes the file: its hunks remove everything, leaving it empty.
        path = new_path == k_dev_null ? old_path : new_path;
        if (path.empty() || path == k_dev_null) {
          return std::unexpected(udiff_error(i, "the `+++ ` header names no file."));
        }
        continue;
      }
      if (line.starts_with("--- ") && !hunk) {
        return std::unexpected(udiff_error(i, "Expected `+++ path` after this `--- path` header."));
      }
      if (line.starts_with("@@")) {
        if (path.empty()) {
          return std::unexpected(
              udiff_error(i, "Expected `--- path` and `+++ path` headers before the first hunk."));
        }
        finish_hunk();
        hunk = Hunk{.start = i, .body = {}};
        continue;
      }
      if (line.starts_with("\\")) continue;  // "\ No newline at end of file"
      const bool hunk_line =
          is_empty_line(line) || line.front() == ' ' || line.front() == '-' || line.front() == '+';
      if (!hunk) {
        if (is_empty_line(line)) continue;
        if (path.empty()) {
          if (hunk_line) {
            return std::unexpected(udiff_error(
                i, "Expected `--- path` and `+++ path` headers before the hunk lines."));
          }
          continue;  // git's preamble before the first header ("diff --git ...", "index ...")
        }
        if (!hunk_line) {
          return std::unexpected(
              udiff_error(i, "Expected `@@ ... @@` to start a hunk after the `+++ ` header, not `" +
                                 std::string(py_strip(line)) + "`."));
        }
        hunk = Hunk{.start = i, .body = {}};  // hunk lines with no @@ line: accepted, as aider does
      }
      if (!hunk_line) {
        return std::unexpected(
            udiff_error(i,
                        "Expected a hunk line starting with ' ' (unchanged), '-' (removed) or "
                        "'+' (added), not `" +
                            std::string(py_strip(line)) + "`."));
      }
      hunk->body.push_back(line);
    }
    if (!closed) {
      return std::unexpected(udiff_error(
          fence_line, "Expected a closing " + closer +
                          ". The ```diff fence opened on this line "
                          "is never closed: the reply ends (line " +
                          std::to_string(count) +
                          ") inside it, so it may have been cut off. Send the diff again, whole."));
    }
    finish_hunk();
  }
  return parsed;
}

// ---------------------------------------------------------------------------------------------

core::Result<ParsedReply> parse_reply(EditFormat format, std::string_view reply,
                                      const std::vector<std::string>& known_files) {
  switch (format) {
    case EditFormat::diff:
      return parse_diff_blocks(reply, Fence{}, known_files);
    case EditFormat::whole:
      return parse_whole_blocks(reply, known_files);
    case EditFormat::udiff:
      return parse_udiff(reply);
  }
  return fail(ErrorCode::internal, "parse_reply: unknown EditFormat");
}

core::Result<EditFormat> parse_edit_format(std::string_view name) {
  if (name == "diff") return EditFormat::diff;
  if (name == "whole") return EditFormat::whole;
  if (name == "udiff") return EditFormat::udiff;
  return fail(ErrorCode::invalid_argument,
              "unknown edit format '" + std::string(name) + "': expected diff, whole or udiff");
}

std::string_view to_string(EditFormat format) {
  switch (format) {
    case EditFormat::diff:
      return "diff";
    case EditFormat::whole:
      return "whole";
    case EditFormat::udiff:
      return "udiff";
  }
  return "unknown";
}

}  // namespace edit
