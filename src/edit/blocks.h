#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

// Edit blocks: what a model asks to change, parsed from its reply. Parsing is pure (no files);
// applying is in apply.h.
namespace edit {

// How the model writes its edits (--edit-format).
enum class EditFormat {
  diff,   // SEARCH/REPLACE blocks, aider's syntax (the default)
  whole,  // a path line and a fenced block holding the complete new file
  udiff,  // unified-diff hunks in a ```diff fence, located by content (line numbers ignored)
};

core::Result<EditFormat> parse_edit_format(std::string_view name);
std::string_view to_string(EditFormat format);

// One requested change to one file.
struct EditBlock {
  std::string path;         // as the model wrote it, relative to the workspace
  std::string search;       // the existing lines, each ending in '\n'; empty: create or append
  std::string replace;      // the lines to put in their place
  bool whole_file = false;  // `replace` is the file's complete new content (whole format)
  int line = 0;             // 1-based line in the reply where the block starts, for feedback
  // udiff `--- /dev/null`: `replace` is a new file's content. Unlike an empty SEARCH in the diff
  // format, it is never appended to a file that exists: that fails (unless the file already has
  // exactly this content).
  bool create_only = false;
  // udiff: a hunk of added lines only, with no unchanged or removed lines saying where they go,
  // for a file that is not `--- /dev/null`. Nothing is applied: the block fails, asking for
  // context lines.
  bool needs_context = false;
};

struct ParsedReply {
  std::vector<EditBlock> edits;
  // Fenced shell blocks (```bash, ```sh, ...) the model included. Never run; reported.
  std::vector<std::string> shell_blocks;
};

// The fence around blocks: ``` by default; a file that itself contains ``` is shown to the model
// inside ```` (four backticks), and the model answers with that fence.
struct Fence {
  std::string open = "```";
  std::string close = "```";
};

// SEARCH/REPLACE blocks in aider's syntax:
//
//     path/to/file.py
//     ```python
//     <<<<<<< SEARCH
//     existing lines
//     =======
//     new lines
//     >>>>>>> REPLACE
//     ```
//
// The path stands alone on the line before the fence, on the fence line ("```path/file.py"), or
// inside the fence before the markers; bold or backticked names and trailing colons are stripped.
// Marker lengths 5 to 9. A block with no path anywhere belongs to the previous block's file.
// `known_files` (may be empty) picks the right name when several candidates are seen.
// Fails with ErrorCode::parse when a block is malformed (no divider, no end marker, no file name
// anywhere): the message names the line and the marker that was expected. A reply with no blocks
// at all is not an error (edits == empty).
core::Result<ParsedReply> parse_diff_blocks(std::string_view reply, const Fence& fence = {},
                                            const std::vector<std::string>& known_files = {});

// `whole` format: a path line (as for diff blocks) followed by a fenced block with the complete
// new content of that file. Each block becomes an EditBlock with whole_file = true. The path is
// on the fence line ("```src/app.py"; a language tag such as "python3.11" is not a path: it needs
// a '/' or a '.' followed by a letter) or alone on the line before the fence, where it must be a
// known file or a single word with a '/' or such a '.' ("Output:" and "Usage:" are prose). A
// fenced block without a path is not an edit (example output, a snippet): it is skipped, not
// given to any file; one in a shell language is a shell block.
core::Result<ParsedReply> parse_whole_blocks(std::string_view reply,
                                             const std::vector<std::string>& known_files = {});

// `udiff` format: ```diff fences holding `--- path` / `+++ path` headers and `@@ ... @@` hunks.
// Each hunk becomes an EditBlock: search = its context and removed lines, replace = its context
// and added lines. Line numbers in the @@ headers are ignored. Git's a/ and b/ prefixes are
// removed only when both headers have them (`--- a/x`, `+++ b/x`; /dev/null stands in for
// either). `--- /dev/null` creates a file: its hunks become one block with create_only set. A
// hunk of added lines only in any other file gets needs_context (the applier fails it).
core::Result<ParsedReply> parse_udiff(std::string_view reply);

// Dispatches on `format`.
core::Result<ParsedReply> parse_reply(EditFormat format, std::string_view reply,
                                      const std::vector<std::string>& known_files = {});

}  // namespace edit
