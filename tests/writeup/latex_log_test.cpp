#include "writeup/latex_log.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "pdf/latex_fixture.h"
#include "support/temp_dir.h"
#include "writeup/problems.h"

// The log parsers on snippets of real TeX and BibTeX output, and on logs of broken papers that
// the tests compile.
namespace {

namespace fs = std::filesystem;
using test_support::TempDir;
using writeup::parse_bibtex_log;
using writeup::parse_latex_log;
using writeup::Problem;
using writeup::Severity;
using writeup_test::describe;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(FormatProblem, NamesFileAndLineWhenKnown) {
  EXPECT_EQ(writeup::format_problem({"latex/template.tex", 12, "Undefined control sequence.",
                                     "latex", Severity::error, ""}),
            "latex/template.tex:12: Undefined control sequence.");
  EXPECT_EQ(
      writeup::format_problem({"latex/references.bib", 0, "m", "bibtex", Severity::error, ""}),
      "latex/references.bib: m");
  EXPECT_EQ(writeup::format_problem({"", 0, "m", "bibtex", Severity::error, ""}), "m");
  EXPECT_EQ(writeup::format_problem({"a.tex", 3, "quotes", "chktex", Severity::warning, ""}),
            "a.tex:3: quotes (warning)");
}

TEST(ParseLatexLog, FileLineErrorsWithWhatTexWasReading) {
  const std::string log = R"(This is pdfTeX, Version 3.141592653-2.6-1.40.24
(./template.tex
LaTeX2e <2022-11-01> patch level 1
(/usr/share/texlive/texmf-dist/tex/latex/base/article.cls
Document Class: article 2022/07/02 v1.4n Standard LaTeX document class
)
./template.tex:12: Undefined control sequence.
l.12 \badmacro
              
The control sequence at the end of the top line
of your error message was never \def'ed.

(./sections/method.tex
./sections/method.tex:3: Missing $ inserted.
<inserted text> 
                $
l.3 x^
      2 more (and an unbalanced parenthesis
I've inserted a begin-math/end-math symbol since I think
you left one out. Proceed, with fingers crossed.

)
Overfull \hbox (12.0pt too wide) in paragraph at lines 10--12
[]\OT1/cmr/m/n/10 text
)
)";
  const auto problems = parse_latex_log(log);
  ASSERT_EQ(problems.size(), 2u) << describe(problems);
  EXPECT_EQ(problems[0],
            (Problem{"template.tex", 12, "Undefined control sequence. (near \"\\badmacro\")",
                     "latex", Severity::error, ""}));
  EXPECT_EQ(problems[1], (Problem{"sections/method.tex", 3, "Missing $ inserted. (near \"x^\")",
                                  "latex", Severity::error, ""}));
}

TEST(ParseLatexLog, ErrorsWithoutFileLineErrorTakeTheFileFromTheNesting) {
  const std::string log = R"((./paper.tex (/usr/share/texlive/texmf-dist/tex/latex/base/article.cls
Document Class: article 2022/07/02 v1.4n Standard LaTeX document class
(/usr/share/texlive/texmf-dist/tex/latex/base/size10.clo))
(./intro.tex
! Undefined control sequence.
l.7 \foo
        
? 
) [1] (./paper.aux) )
)";
  const auto problems = parse_latex_log(log);
  ASSERT_EQ(problems.size(), 1u) << describe(problems);
  EXPECT_EQ(problems[0], (Problem{"intro.tex", 7, "Undefined control sequence. (near \"\\foo\")",
                                  "latex", Severity::error, ""}));
}

TEST(ParseLatexLog, UndefinedCitationsReferencesAndDoubleLabels) {
  const std::string log = R"((./paper.tex (./paper.aux)
(/usr/share/texlive/texmf-dist/tex/latex/natbib/natbib.sty)

Package natbib Warning: Citation `smith2020' on page 1 undefined on input line 8.

(./sections/method.tex

LaTeX Warning: Reference `fig:missing' on page 2 undefined on input line 4.

) (see the transcript file for additional information)

LaTeX Warning: Citation `jones' on page 3 undefined on input line 20.


LaTeX Warning: Label `sec:a' multiply defined.


LaTeX Warning: Label `sec:a@cref' multiply defined.

LaTeX Font Warning: Font shape `OT1/cmr/bx/sc' undefined
(Font)              using `OT1/cmr/bx/n' instead on input line 30.

Underfull \vbox (badness 10000) has occurred while \output is active []

Package hyperref Warning: Token not allowed in a PDF string (Unicode):
(hyperref)                removing `math shift' on input line 31.


LaTeX Warning: There were undefined references.

)
)";
  const auto problems = parse_latex_log(log);
  ASSERT_EQ(problems.size(), 4u) << describe(problems);
  EXPECT_EQ(problems[0].kind, "undefined-citation");
  EXPECT_EQ(problems[0].subject, "smith2020");
  EXPECT_EQ(problems[0].file, "paper.tex");
  EXPECT_EQ(problems[0].line, 8);
  EXPECT_EQ(problems[1].kind, "undefined-reference");
  EXPECT_EQ(problems[1].subject, "fig:missing");
  EXPECT_EQ(problems[1].file, "sections/method.tex");
  EXPECT_EQ(problems[1].line, 4);
  EXPECT_EQ(problems[2].kind, "undefined-citation");
  EXPECT_EQ(problems[2].subject, "jones");
  EXPECT_EQ(problems[2].file, "paper.tex");
  EXPECT_EQ(problems[2].line, 20);
  EXPECT_EQ(problems[3].kind, "label");
  EXPECT_EQ(problems[3].subject, "sec:a");
  for (const Problem& p : problems)
    EXPECT_EQ(p.severity, Severity::error);
}

TEST(ParseLatexLog, AFileTexCannotReadIsOneErrorWithItsLine) {
  const std::string log = R"((./paper.tex
! LaTeX Error: File `../secret.tex' not found.

Type X to quit or <RETURN> to proceed,
or enter new name. (Default extension: tex)

Enter file name: 
./paper.tex:4: Emergency stop.
<read *> 
         
l.4 \input{../secret}
                     ^^M
*** (cannot \read from terminal in nonstop modes)
./paper.tex:4:  ==> Fatal error occurred, no output PDF file produced!
)";
  const auto problems = parse_latex_log(log);
  ASSERT_EQ(problems.size(), 1u) << describe(problems);
  EXPECT_EQ(problems[0], (Problem{"paper.tex", 4,
                                  "LaTeX Error: File `../secret.tex' not found. (near "
                                  "\"\\input{../secret}\")",
                                  "latex", Severity::error, ""}));
}

TEST(ParseLatexLog, ShellEscapeAttempts) {
  const auto problems = parse_latex_log("(./paper.tex\nrunsystem(touch pwned)...disabled.\n)\n");
  ASSERT_EQ(problems.size(), 1u) << describe(problems);
  EXPECT_EQ(problems[0].kind, "shell-escape");
  EXPECT_EQ(problems[0].file, "paper.tex");
  EXPECT_EQ(problems[0].subject, "touch pwned");
  EXPECT_NE(problems[0].message.find("did not run"), std::string::npos);
}

TEST(ParseLatexLog, JoinsLinesTexWrappedAt79Characters) {
  // pdflatex's default max_print_line breaks long lines at 79 characters, mid-word.
  const std::string long_file =
      "(./sections/a_rather_long_folder_name/another_long_folder/results_discussion.tex";
  const std::string warning =
      "Package natbib Warning: Citation `averyveryverylongcitationkey2020' on page 1 undefined "
      "on input line 42.";
  auto wrap = [](const std::string& line) {
    std::string out;
    for (std::size_t i = 0; i < line.size(); i += 79)
      out += line.substr(i, 79) + "\n";
    return out;
  };
  ASSERT_GT(long_file.size(), 79u);
  const std::string log = "(./paper.tex\n" + wrap(long_file) + "\n" + wrap(warning) + "\n)\n)\n";
  const auto problems = parse_latex_log(log);
  ASSERT_EQ(problems.size(), 1u) << describe(problems) << log;
  EXPECT_EQ(problems[0].subject, "averyveryverylongcitationkey2020");
  EXPECT_EQ(problems[0].line, 42);
  EXPECT_EQ(problems[0].file,
            "sections/a_rather_long_folder_name/another_long_folder/results_discussion.tex");
}

TEST(ParseLatexLog, BoxesFontsAndOtherWarningsAreNotProblems) {
  const std::string log = R"((./paper.tex
Overfull \hbox (12.0pt too wide) in paragraph at lines 10--12
Underfull \hbox (badness 10000) in paragraph at lines 3--4
LaTeX Font Warning: Size substitutions with differences
Package hyperref Warning: Rerun to get /PageLabels entry.
LaTeX Warning: There were undefined references.
pdfTeX warning (ext4): destination with the same identifier (name{page.1}) has been already used, duplicate ignored
)
)";
  EXPECT_TRUE(parse_latex_log(log).empty()) << describe(parse_latex_log(log));
}

TEST(ParseBibtexLog, ErrorsWithFileAndLineAndMissingEntries) {
  const std::string blg = R"(This is BibTeX, Version 0.99d (TeX Live 2022/Debian)
The top-level auxiliary file: paper.aux
The style file: plainnat.bst
Database file #1: references.bib
I was expecting a `,' or a `}'---line 5 of file references.bib
 :   title = {A}
 :              author = {B},
(Error may have been on previous line)
I'm skipping whatever remains of this entry
Repeated entry---line 12 of file references.bib
 : @article{smith2020
 :                   ,
I'm skipping whatever remains of this entry
I couldn't open database file missing.bib
---line 3 of file paper.aux
 : \bibdata{references,missing
 :                            }
I'm skipping whatever remains of this command
Warning--I didn't find a database entry for "jones"
Warning--empty journal in smith2020
You've used 1 entry,
(There were 3 error messages)
)";
  const auto problems = parse_bibtex_log(blg);
  ASSERT_EQ(problems.size(), 5u) << describe(problems);
  EXPECT_EQ(problems[0].file, "references.bib");
  EXPECT_EQ(problems[0].line, 5);
  EXPECT_EQ(problems[0].kind, "bibtex");
  EXPECT_EQ(problems[0].message,
            "BibTeX: I was expecting a `,' or a `}' (near \"title = {A} author = {B},\"); the "
            "mistake may be on the line before");
  EXPECT_EQ(problems[1].line, 12);
  EXPECT_NE(problems[1].message.find("Repeated entry"), std::string::npos);
  EXPECT_EQ(problems[2].file, "paper.aux");
  EXPECT_EQ(problems[2].line, 3);
  EXPECT_NE(problems[2].message.find("I couldn't open database file missing.bib"),
            std::string::npos)
      << problems[2].message;
  EXPECT_EQ(problems[3].kind, "citation");
  EXPECT_EQ(problems[3].subject, "jones");
  EXPECT_EQ(problems[3].severity, Severity::error);
  EXPECT_EQ(problems[4].kind, "bibtex");
  EXPECT_EQ(problems[4].severity, Severity::warning);
  EXPECT_EQ(problems[4].message, "BibTeX: empty journal in smith2020");
}

// ---- Logs of papers compiled here -------------------------------------------------------------

class RealLogTest : public testing::Test {
 protected:
  void SetUp() override {
    if (!test_support::have_program("pdflatex")) GTEST_SKIP() << "pdflatex is not installed";
    m_dir.write_file("sections/method.tex",
                     "Our method builds on earlier work.\n\\badmacro\nIt works.\n");
    m_dir.write_file("paper.tex", R"(\documentclass{article}
\usepackage[numbers]{natbib}
\begin{document}
\section{Introduction}
\label{sec:intro}
We build on \citep{nosuchkey} and
refer to Section~\ref{sec:nowhere} and Section~\ref{sec:intro}.
\input{sections/method}
Some text (with an unbalanced parenthesis in it.
A second \undefinedhere macro.
\bibliographystyle{plainnat}
\bibliography{references}
\end{document}
)");
    m_dir.write_file("references.bib", R"(@article{good2020,
  title = {A Good Entry},
  author = {Smith, Jane}
  journal = {Journal},
  year = {2020}
}
)");
  }

  std::vector<Problem> compile(bool file_line_error) {
    std::vector<std::string> argv = {"pdflatex", "-interaction=nonstopmode", "-no-shell-escape"};
    if (file_line_error) argv.push_back("-file-line-error");
    argv.push_back("paper.tex");
    // Twice, as for a real paper: the second pass knows the labels of the first.
    test_support::run_tex_program(m_dir.path(), argv);
    test_support::run_tex_program(m_dir.path(), argv);
    return parse_latex_log(read_file(m_dir.path() / "paper.log"));
  }

  void expect_problems(const std::vector<Problem>& problems) {
    ASSERT_EQ(problems.size(), 4u) << describe(problems);
    EXPECT_EQ(problems[0].kind, "undefined-citation");
    EXPECT_EQ(problems[0].file, "paper.tex");
    EXPECT_EQ(problems[0].line, 6);
    EXPECT_EQ(problems[0].subject, "nosuchkey");
    EXPECT_EQ(problems[1].kind, "undefined-reference");
    EXPECT_EQ(problems[1].file, "paper.tex");
    EXPECT_EQ(problems[1].line, 7);
    EXPECT_EQ(problems[1].subject, "sec:nowhere");
    EXPECT_EQ(problems[2], (Problem{"sections/method.tex", 2,
                                    "Undefined control sequence. (near \"\\badmacro\")", "latex",
                                    Severity::error, ""}));
    EXPECT_EQ(problems[3].file, "paper.tex");
    EXPECT_EQ(problems[3].line, 10);
    EXPECT_EQ(problems[3].message,
              "Undefined control sequence. (near \"A second \\undefinedhere\")");
  }

  TempDir m_dir;
};

TEST_F(RealLogTest, PdflatexWithFileLineError) {
  expect_problems(compile(true));
}

TEST_F(RealLogTest, PdflatexWithoutFileLineError) {
  expect_problems(compile(false));
}

TEST_F(RealLogTest, BibtexLogOfAMalformedBibliography) {
  if (!test_support::have_program("bibtex")) GTEST_SKIP() << "bibtex is not installed";
  compile(true);
  test_support::run_tex_program(m_dir.path(), {"bibtex", "paper"});
  const auto problems = parse_bibtex_log(read_file(m_dir.path() / "paper.blg"));
  ASSERT_EQ(problems.size(), 2u) << describe(problems);
  EXPECT_EQ(problems[0].kind, "bibtex");
  EXPECT_EQ(problems[0].file, "references.bib");
  EXPECT_EQ(problems[0].line, 4);
  EXPECT_NE(problems[0].message.find("I was expecting a `,' or a `}'"), std::string::npos)
      << problems[0].message;
  EXPECT_EQ(problems[1].kind, "citation");
  EXPECT_EQ(problems[1].subject, "nosuchkey");
}

}  // namespace
