#pragma once

#include <string>
#include <string_view>
#include <vector>

// Problems in a paper, and reading them out of what TeX and BibTeX wrote.
namespace writeup {

enum class Severity {
  error,    // the paper is visibly wrong (TeX error, "??" or "[?]" in the PDF, missing figure, ...)
  warning,  // worth fixing, but the paper reads correctly (a quote mark, an empty .bib field)
};

// One problem found in a paper, by a check or by TeX; each is fed back to the model.
struct Problem {
  std::string file;  // relative to the paper's folder where possible ("latex/template.tex")
  int line = 0;      // 0 when unknown
  std::string message;
  // "latex" (TeX error), "undefined-citation", "undefined-reference", "citation" (a cite key
  // missing from the .bib), "bibtex" (malformed entry, missing .bib file), "figure" (missing,
  // unreadable or duplicated), "section" (duplicate header), "label" (\ref without \label, label
  // defined twice), "chktex", "placeholder", "shell-escape" (\write18 and the like), "input" (a
  // file outside the paper's folder).
  std::string kind;
  Severity severity = Severity::error;
  // What the problem is about, for telling duplicates apart: the cite key, the label, the file
  // name; empty when nothing in particular.
  std::string subject;

  friend bool operator==(const Problem&, const Problem&) = default;
};

// "file:line: message" ("file: message" when the line is unknown, the message alone when the
// file is too), with " (warning)" after a warning's message.
std::string format_problem(const Problem& problem);

// The problems in a TeX log (pdflatex's .log, or latexmk's console output), best with
// -file-line-error but also without it:
// - errors ("./file.tex:12: message" or "! message" followed by "l.12 ..."), kind "latex", with
//   what TeX was reading when it stopped ("near ...") appended; "Emergency stop" and "Fatal error
//   occurred" lines, which only repeat the error before them, are left out;
// - "Citation `x' ... undefined on input line N" (LaTeX's and natbib's), kind
//   "undefined-citation"; "Reference `y' ... undefined", kind "undefined-reference"; "Label `z'
//   multiply defined", kind "label"; "runsystem(...)...disabled", kind "shell-escape". The file of
//   such a warning is the .tex file TeX was reading (followed through the log's parentheses).
// Overfull and underfull boxes, font warnings and everything else are ignored. File names are
// as TeX wrote them, without a leading "./". Lines wrapped at TeX's default 79 characters are
// joined again first.
std::vector<Problem> parse_latex_log(std::string_view log);

// The problems in BibTeX's .blg: errors ("I was expecting a `,' or a `}'---line 4 of file
// references.bib", "Repeated entry", "I couldn't open database file ...") as kind "bibtex" with
// the file and line BibTeX names; "I didn't find a database entry for "x"" as kind "citation";
// BibTeX's other warnings ("empty journal in x") as kind "bibtex" warnings.
std::vector<Problem> parse_bibtex_log(std::string_view blg);

}  // namespace writeup
