#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "edit/blocks.h"
#include "edit/match.h"

namespace edit {

// Which files an edit may touch. Paths are relative to the workspace root, '/'-separated.
struct EditPolicy {
  // Files that may be edited, or created if absent.
  std::vector<std::string> allowed_files;
  // Glob patterns (fnmatch, no '/' crossing for '*') for files that may be created or edited
  // besides those, e.g. "*.py" for new helper modules at the top of an idea folder.
  std::vector<std::string> allowed_patterns;
  // Any file inside the root may be edited or created (`edit apply` without --allow).
  bool allow_any = false;
};

// A folder the agent edits, with its policy. Every path is checked before use: an absolute path,
// a path with a `..` component, or one that resolves (through symlinks) outside the root is
// refused; so is a path the policy does not allow, as written or as resolved (both must be
// allowed), and a path with a hidden component (a name starting with '.': .git/hooks/..., .venv,
// .env) unless it is listed in allowed_files, even with allow_any. Refusals name the path and
// the rule.
class Workspace {
 public:
  Workspace(std::filesystem::path root, EditPolicy policy);

  const std::filesystem::path& root() const { return m_root; }
  const EditPolicy& policy() const { return m_policy; }

  // The absolute path for `relative`, or an Error (invalid_argument) saying which rule refused
  // it: "absolute path", "'..' in path", "resolves outside the workspace", "hidden path",
  // "not a file this stage may edit (allowed: ...)"; for the resolved file, "it resolves to
  // '<path>', " and the rule.
  core::Result<std::filesystem::path> resolve(std::string_view relative) const;

  // Reads a file; nullopt when it does not exist.
  core::Result<std::optional<std::string>> read(std::string_view relative) const;
  // Writes atomically: a temporary file in the same folder, then rename(2). Creates folders.
  core::Result<void> write(std::string_view relative, std::string_view content) const;

  // The allowed files that exist now (allowed_files that exist, plus files matching
  // allowed_patterns), sorted; with allow_any, every regular file under the root except hidden
  // ones and those under hidden folders.
  std::vector<std::string> existing_files() const;

 private:
  std::filesystem::path m_root;
  EditPolicy m_policy;
};

enum class Outcome { applied, created, already_applied, failed, refused };
std::string_view to_string(Outcome outcome);

struct BlockResult {
  EditBlock block;
  Outcome outcome = Outcome::failed;
  std::string path;  // the file it went to (differs from block.path when redirected)
  MatchKind match = MatchKind::exact;  // for applied blocks
  // For people and for the model: what happened; for failures, why, and the closest lines in
  // the file ("did you mean"), or a note that the replacement is already present.
  std::string message;
};

struct ApplyReport {
  std::vector<BlockResult> blocks;
  std::vector<std::string> changed_files;  // each once, in the order first changed

  // True when every block was applied, created or already applied.
  bool all_ok() const;
};

// Applies blocks in order, each on the file as the previous ones left it. A block that fails
// does not stop the others. Rules: see match.h for how SEARCH is found (first occurrence only);
// an empty SEARCH creates the file or appends to it (a create_only block fails on a file that
// exists; a needs_context block always fails); a block whose SEARCH is not in the file is
// `already_applied` only when its REPLACE text is non-blank, is in the file exactly as whole
// lines, and is not part of the SEARCH text (else it fails, with a note when the REPLACE lines
// are there); a block whose SEARCH is not in the file it names but in exactly one other existing
// allowed file is applied there (and the message says so), unless there are more than 200 such
// files. Files keep their line ends: a file whose line ends are mostly CRLF is written with CRLF
// on every line, any other keeps its bytes and replaced lines get LF. Files keep their final
// newline or lack of one. Each changed file is written once, atomically, after all blocks were
// tried.
ApplyReport apply_edits(const Workspace& workspace, const std::vector<EditBlock>& blocks);

}  // namespace edit
