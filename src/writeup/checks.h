#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/process.h"
#include "writeup/latex_log.h"

// Checks of a paper's LaTeX source before it is compiled: mistakes the model makes that TeX
// either does not report or reports badly. Each problem is fed back to the model.
namespace writeup {

struct CheckOptions {
  bool chktex = true;  // run chktex (through the runner given to check_paper) and keep what matters
  // Template placeholder texts ("TITLE HERE", ...): any still present outside comments is a
  // problem.
  std::vector<std::string> placeholders;
};

// The paper's folder for `tex_file`: the parent of the .tex file's folder when that folder is
// called "latex" (an idea folder: latex/template.tex), else the .tex file's own folder. Problems
// name files relative to it.
std::filesystem::path paper_folder(const std::filesystem::path& tex_file);

// The problems of the paper whose main file is `tex_file`, following its \input and \include of
// files inside its folder; text after an unescaped % is ignored. Never fails: a file that cannot
// be read is itself a problem. Checked:
// - every key of \cite, \citep, \citet, \citeauthor, \nocite (except *) and their kin is an entry
//   of a .bib file that \bibliography{...} (or \addbibresource) names, looked for beside the .tex
//   file and in the paper's folder, or of a filecontents(*) block of that name in the .tex file
//   (AI Scientist's templates carry their references that way) ("citation");
// - each .bib entry has an "@type{key," header, balanced braces, "name = value" fields separated
//   by commas, and a key no other entry has; each named .bib file exists ("bibtex");
// - every \includegraphics file exists (as named, or with .pdf .png .jpg .jpeg .eps added), in a
//   \graphicspath folder, the .tex file's folder or the paper's folder, is not read through ".."
//   or an absolute path (TeX refuses those), is not EPS (which needs shell escape), and is not
//   included twice ("figure");
// - no \section header text twice, no \subsection header twice within a section ("section");
// - every \ref, \eqref, \autoref, \cref, \Cref, \pageref, \nameref key has a \label, and no
//   \label is defined twice ("label");
// - no \write18 or \ShellEscape ("shell-escape"), no \input or \include of a file outside the
//   .tex file's folder ("input");
// - no placeholder of options.placeholders left ("placeholder");
// - when options.chktex and `runner` is not null: chktex's warnings about real mistakes
//   (mismatched environments, math mode left open, wrong quote marks), as warnings ("chktex").
//   chktex runs in the .tex file's folder; when it cannot run, this check is skipped.
std::vector<Problem> check_paper(const std::filesystem::path& tex_file, const CheckOptions& options,
                                 core::ProcessRunner* runner);

// chktex's -v0 output ("file:line:column:number:message" lines) reduced to the warnings that
// matter (see check_paper), files named relative to `paper_dir` when `tex_dir` lies inside it.
std::vector<Problem> parse_chktex_output(std::string_view output,
                                         const std::filesystem::path& tex_dir,
                                         const std::filesystem::path& paper_dir);

}  // namespace writeup
