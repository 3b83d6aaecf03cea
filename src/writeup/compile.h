#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/process.h"
#include "experiment/sandbox.h"
#include "writeup/checks.h"
#include "writeup/latex_log.h"

// Compiling a paper's LaTeX to PDF, in the sandbox, keeping the best PDF made so far.
namespace writeup {

// What runs TeX's passes.
enum class TexDriver {
  automatic,  // latexmk where it is installed, else pdflatex
  latexmk,    // latexmk -pdf: as many passes as the paper needs, BibTeX when it has a bibliography
  pdflatex,   // pdflatex, bibtex (when the .aux names a bibliography), pdflatex, pdflatex
};

struct CompileOptions {
  // Each pdflatex or bibtex pass may take this long; latexmk, which makes all passes in one run,
  // gets four times as much.
  std::chrono::seconds pass_timeout{120};
  // "<Name>.pdf": where the PDF goes, in the paper's folder (next to latex/). Empty: the paper
  // folder's name without a leading "YYYYmmdd_HHMMSS_" stamp, plus ".pdf" (AI Scientist's idea
  // folders are "<stamp>_<Name>").
  std::string pdf_name;
  bool run_checks = true;  // check_paper before compiling, its problems reported with TeX's
  CheckOptions checks;     // what the checks look for (placeholders, chktex)
  TexDriver driver = TexDriver::automatic;
};

struct CompileResult {
  bool pdf_produced = false;  // this compile made a PDF (TeX ran to the end)
  // The paper's PDF (<pdf_name> in the paper folder): this compile's, or an earlier, better one
  // (kept_previous); empty when there is none at all.
  std::filesystem::path pdf;
  int pages = 0;  // of `pdf`
  // This compile's problems: the checks', then TeX's and BibTeX's, without duplicates (a cite key
  // missing from the .bib is reported once, by the check, not again by TeX and BibTeX).
  std::vector<Problem> problems;
  std::filesystem::path log;        // TeX's log of the last pass (latex/<stem>.log)
  bool kept_previous = false;       // `pdf` is an earlier one: this compile's was worse or missing
  std::filesystem::path built_pdf;  // the PDF TeX made this time (latex/<stem>.pdf), if any
  int errors = 0;                   // problems of severity error
  int warnings = 0;                 // problems of severity warning
  // One line for a person: "<pdf> (N pages): E errors, W warnings", or why there is no PDF
  // ("no PDF was produced: latex/template.tex:7: LaTeX Error: File `x' not found.").
  std::string summary;
};

// Compiles papers under a sandbox policy (see experiment::Sandbox): TeX runs with the paper's
// folder as its only writable place, no network, no shell escape (-no-shell-escape and
// shell_escape=f), paranoid file access (openin_any=p, openout_any=p: nothing outside the .tex
// file's folder, apart from the system's TeX files and the paper folder as a search path for
// figures), TeX's caches (TEXMFVAR, TEXMFCONFIG) under /tmp, and a time limit.
class Compiler {
 public:
  // `sandbox` must outlive the Compiler. `chktex_runner` runs chktex for the checks; null: chktex
  // runs in `sandbox` too.
  explicit Compiler(const experiment::Sandbox& sandbox,
                    core::ProcessRunner* chktex_runner = nullptr);

  // Compiles `tex_file` (latex/template.tex of an idea folder, or any .tex file) in its folder:
  // latexmk -pdf -f (carrying on past errors TeX can recover from, so that a PDF still comes out),
  // or pdflatex, bibtex, pdflatex, pdflatex where latexmk is missing. Then:
  // - reads TeX's log and BibTeX's .blg into problems (with the checks' when run_checks);
  // - copies the PDF to <pdf_name> in the paper folder, unless that already holds a PDF with
  //   fewer errors (recorded in ".<pdf_name>.json" beside it): the best PDF so far is never
  //   replaced by a worse one. A PDF there without that record is replaced.
  // When the .tex file lies in the paper folder itself and <pdf_name> is TeX's own output name,
  // there is nothing to copy and no earlier PDF is kept.
  // Fails only when the compile could not be attempted: the .tex file is missing (`io`), no
  // pdflatex (or the driver asked for) is installed (`config`), the sandbox cannot run
  // (`config`, `process`). A paper
  // that does not compile is a result with pdf_produced false, its problems and summary.
  core::Result<CompileResult> compile(const std::filesystem::path& tex_file,
                                      const CompileOptions& options) const;

 private:
  const experiment::Sandbox& m_sandbox;
  core::ProcessRunner* m_chktex_runner;
};

// The default <pdf_name> for a paper folder (see CompileOptions::pdf_name).
std::string default_pdf_name(const std::filesystem::path& paper_dir);

}  // namespace writeup
