#pragma once

#include <optional>
#include <string>
#include <string_view>

// Finding a SEARCH text in a file's content and replacing it: pure text functions. Content,
// search and replace use '\n' line ends (callers convert CRLF files before and after).
namespace edit {

// Which rule found the search text.
enum class MatchKind {
  exact,
  trailing_whitespace,  // equal once trailing spaces and tabs are ignored on every line
  indentation,          // the same lines shifted by a uniform indentation; the replacement is
                        // re-indented alike
  leading_blank,        // the search text's spurious leading blank line dropped
  elision,              // `...` lines in search and replace stand for any run of lines, kept
};

std::string_view to_string(MatchKind kind);

struct Replacement {
  std::string content;  // the whole new content
  MatchKind kind;
};

// Whether `lines` occurs in `content` exactly as whole lines (starting at a line start and ending
// at a line end; a missing final newline on either is taken as present). False for empty `lines`.
bool contains_lines(std::string_view content, std::string_view lines);

// Replaces the first occurrence of `search` in `content` with `replace`, trying the rules in the
// order of MatchKind. nullopt when no rule finds it. An empty `search` is not handled here (it
// means create or append; see apply.h). Never applies a fuzzy match.
std::optional<Replacement> replace_first(std::string_view content, std::string_view search,
                                         std::string_view replace);

// The lines of `content` most similar to `search` (a similarity search over windows of the same
// number of lines), with `context` lines before and after, or nullopt when nothing is similar
// enough (below about 60 % similar). For "did you mean" feedback only; never applied. The work is
// bounded: when scoring every window would compare more than about 20 million pairs of lines,
// only the windows that line up with a search line found in the file (else a similar one) are
// scored, best candidates first, until that budget is spent.
std::optional<std::string> closest_lines(std::string_view content, std::string_view search,
                                         int context = 3);

}  // namespace edit
