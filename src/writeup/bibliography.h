#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/literature.h"

namespace writeup {

// The paper's BibTeX file as the write-up grows it. Entries come only from the literature layer
// (a source's own BibTeX or one built from its metadata), never from the model: the model picks
// papers, the engine writes their entries.
class Bibliography {
 public:
  // Reads `path` (a missing file is an empty bibliography). Fails only when it cannot be read.
  static core::Result<Bibliography> load(const std::filesystem::path& path);

  // Adds the paper under a key no other entry has (literature::bibtex_key, then "b", "c", ...
  // appended on a clash) and returns that key. A paper already present (same DOI, arXiv id,
  // Semantic Scholar id or title) is not added twice: its existing key is returned.
  std::string add(const core::Paper& paper);

  // Writes the file atomically (temporary file, then rename).
  core::Result<void> save() const;

  const std::set<std::string>& keys() const { return m_keys; }
  const std::filesystem::path& path() const { return m_path; }

 private:
  std::filesystem::path m_path;
  std::string m_text;
  std::set<std::string> m_keys;
  std::set<std::string> m_identities;  // normalised titles and identifiers already present
};

// The .bib file a LaTeX source reads: the first name in its \bibliography{...}, relative to the
// .tex file's folder, with ".bib" added; `references.bib` beside it when there is none.
std::filesystem::path bibliography_path(const std::filesystem::path& tex_file,
                                        std::string_view tex_source);

}  // namespace writeup
