#include "writeup/checks.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "pdf/latex_fixture.h"
#include "platform/posix_process_runner.h"
#include "support/temp_dir.h"
#include "writeup/compile.h"
#include "writeup/problems.h"

// The checks on idea folders made by the tests: <root>/idea/latex/template.tex and its files.
namespace {

namespace fs = std::filesystem;
using test_support::TempDir;
using writeup::Problem;
using writeup::Severity;
using writeup_test::describe;
using writeup_test::k_png;
using writeup_test::of_kind;

class ChecksTest : public testing::Test {
 protected:
  fs::path idea() const { return m_root.path() / "idea"; }
  fs::path tex() const { return idea() / "latex" / "template.tex"; }
  void write(const std::string& name, const std::string& text) const {
    m_root.write_file("idea/" + name, text);
  }
  std::vector<Problem> check(writeup::CheckOptions options = {}) {
    options.chktex = false;
    return writeup::check_paper(tex(), options, nullptr);
  }

  TempDir m_root;
};

TEST(PaperFolder, IsTheParentOfLatexElseTheTexFilesFolder) {
  EXPECT_EQ(writeup::paper_folder("/r/idea/latex/template.tex"), fs::path("/r/idea"));
  EXPECT_EQ(writeup::paper_folder("/r/paper/main.tex"), fs::path("/r/paper"));
  EXPECT_EQ(writeup::default_pdf_name("/r/20240521_123456_grokking_lr"), "grokking_lr.pdf");
  EXPECT_EQ(writeup::default_pdf_name("/r/my_paper"), "my_paper.pdf");
  EXPECT_EQ(writeup::default_pdf_name("/r/my_paper/"), "my_paper.pdf");
}

TEST_F(ChecksTest, ACleanPaperHasNoProblems) {
  write("train_loss.png", k_png);
  write("latex/figures/curve.png", k_png);
  write("latex/references.bib", R"(@string{icml = "International Conference on Machine Learning"}
@inproceedings{smith2020,
  title = {A {GPU} Study},
  author = "Smith, Jane and Doe, John",
  booktitle = icml # " 2020",
  year = 2020,
}
@article{doe2021, title={Another}, author={Doe, John}, journal={J}, year={2021}}
)");
  write("latex/sections/method.tex",
        "\\section{Method}\\label{sec:method}\nAs in \\cite{doe2021}.\n");
  write("latex/template.tex", R"(\documentclass{article}
\usepackage{graphicx}
\graphicspath{{./}{figures/}{../}}
\begin{document}
\section{Introduction}\label{sec:intro}
Prior work \citep[see][p.~3]{smith2020, doe2021} and Section~\ref{sec:method}, \cref{fig:a,sec:intro}.
100\% of the text % a comment with \cite{commented} and \ref{commented}
\input{sections/method}
\subsection{Setup}
\section{Results}
\subsection{Setup}
\begin{figure}\includegraphics[width=\linewidth]{train_loss}\label{fig:a}\end{figure}
\includegraphics{curve.png}
\nocite{*}
\bibliographystyle{plain}
\bibliography{references}
\end{document}
)");
  const auto problems = check();
  EXPECT_TRUE(problems.empty()) << describe(problems);
}

TEST_F(ChecksTest, CiteKeysMustBeInTheBibliography) {
  write("latex/refs.bib",
        "@article{Smith2020, title={T}, author={A}, year={2020}}\n"
        "@misc{known, title={K}}\n");
  write("latex/template.tex", R"(\documentclass{article}
\begin{document}
\cite{known,missing}
\citet{smith2020} % \cite{commented}
\citeauthor{gone} \nocite{*}
\bibliography{refs}
\end{document}
)");
  const auto problems = check();
  ASSERT_EQ(problems.size(), 3u) << describe(problems);
  for (const Problem& p : problems) {
    EXPECT_EQ(p.kind, "citation");
    EXPECT_EQ(p.file, "latex/template.tex");
    EXPECT_EQ(p.severity, Severity::error);
  }
  EXPECT_EQ(problems[0].line, 3);
  EXPECT_EQ(problems[0].subject, "missing");
  EXPECT_NE(problems[0].message.find("latex/refs.bib"), std::string::npos) << problems[0].message;
  EXPECT_EQ(problems[1].line, 4);
  EXPECT_NE(problems[1].message.find("differs in case"), std::string::npos);
  EXPECT_EQ(problems[2].line, 5);
  EXPECT_EQ(problems[2].subject, "gone");
}

TEST_F(ChecksTest, ABibliographyInAFilecontentsBlock) {
  // AI Scientist's templates carry their references in the .tex file itself.
  write("latex/template.tex", R"(\documentclass{article}
\begin{filecontents*}{references.bib}
@article{inside2020,
  title = {Inside},
  author = {A}
  year = {2020}
}
@article{fine2021, title={Fine}, year={2021}}
\end{filecontents*}
\begin{document}
\cite{inside2020,fine2021,outside}
\bibliography{references}
\end{document}
)");
  const auto problems = check();
  ASSERT_EQ(problems.size(), 2u) << describe(problems);
  EXPECT_EQ(problems[0], (Problem{"latex/template.tex", 5,
                                  "entry 'inside2020': a comma is missing after the value of "
                                  "field 'author'",
                                  "bibtex", Severity::error, ""}));
  EXPECT_EQ(problems[1].kind, "citation");
  EXPECT_EQ(problems[1].subject, "outside");
  EXPECT_EQ(problems[1].line, 11);
}

TEST_F(ChecksTest, MalformedBibEntries) {
  write("latex/references.bib", R"(Text outside entries is a comment for BibTeX.
@article{good, title={Good}, year={2020}}
@article{nocomma title = {X}}
@article{, title = {No key}}
@article{unclosed,
  title = {An {unbalanced title},
  year = {2020}
}
@article{GOOD, title={Same key in other case}}
@article{novalue, title = , year={1}}
@article{last, title={Last}, year={2020}}
)");
  write("latex/template.tex",
        "\\documentclass{article}\n\\begin{document}\n\\cite{good,last}\n"
        "\\bibliography{references}\n\\end{document}\n");
  const auto problems = check();
  ASSERT_EQ(problems.size(), 5u) << describe(problems);
  for (const Problem& p : problems) {
    EXPECT_EQ(p.kind, "bibtex");
    EXPECT_EQ(p.file, "latex/references.bib");
  }
  EXPECT_EQ(problems[0].line, 3);
  EXPECT_NE(problems[0].message.find("comma is missing after the key"), std::string::npos);
  EXPECT_EQ(problems[1].line, 4);
  EXPECT_NE(problems[1].message.find("has no key"), std::string::npos);
  EXPECT_EQ(problems[2].line, 6);
  EXPECT_NE(problems[2].message.find("unbalanced braces"), std::string::npos);
  EXPECT_NE(problems[2].message.find("next field starts (line 7)"), std::string::npos)
      << problems[2].message;
  EXPECT_EQ(problems[3].line, 10);
  EXPECT_NE(problems[3].message.find("'title' has no value"), std::string::npos);
  EXPECT_EQ(problems[4].line, 9);
  EXPECT_NE(problems[4].message.find("used a second time (first at latex/references.bib:2)"),
            std::string::npos)
      << problems[4].message;
}

TEST_F(ChecksTest, AMissingBibFileIsOneProblem) {
  write("latex/template.tex",
        "\\documentclass{article}\n\\begin{document}\n\\cite{a,b}\n\\bibliography{nosuch}\n"
        "\\end{document}\n");
  const auto problems = check();
  ASSERT_EQ(problems.size(), 1u) << describe(problems);
  EXPECT_EQ(problems[0].kind, "bibtex");
  EXPECT_EQ(problems[0].line, 4);
  EXPECT_NE(problems[0].message.find("no nosuch.bib"), std::string::npos) << problems[0].message;
}

TEST_F(ChecksTest, FiguresMustExistInsideTheFolderOnceAndNotAsEps) {
  write("train_loss.png", k_png);
  write("latex/figures/curve.pdf", "%PDF-1.4\n");
  write("old.eps", "%!PS-Adobe-3.0 EPSF-3.0\n");
  write("latex/template.tex", R"(\documentclass{article}
\graphicspath{{figures/}{../}}
\begin{document}
\includegraphics{train_loss.png}
\includegraphics[width=2cm]{curve}
\includegraphics{missing.png}
\includegraphics{../train_loss.png}
\includegraphics{/etc/logo.png}
\includegraphics[scale=0.5]{train_loss}
\includegraphics{old}
% \includegraphics{commented_out.png}
\end{document}
)");
  const auto problems = check();
  ASSERT_EQ(problems.size(), 5u) << describe(problems);
  for (const Problem& p : problems)
    EXPECT_EQ(p.kind, "figure");
  EXPECT_EQ(problems[0].line, 6);
  EXPECT_NE(problems[0].message.find("no such figure file; the figures there are: "
                                     "train_loss.png"),
            std::string::npos)
      << problems[0].message;
  EXPECT_EQ(problems[1].line, 7);
  EXPECT_NE(problems[1].message.find("\\includegraphics{train_loss.png}"), std::string::npos)
      << problems[1].message;
  EXPECT_EQ(problems[2].line, 8);
  EXPECT_EQ(problems[3].line, 9);
  EXPECT_NE(problems[3].message.find("second time (first at latex/template.tex:4)"),
            std::string::npos)
      << problems[3].message;
  EXPECT_EQ(problems[4].line, 10);
  EXPECT_NE(problems[4].message.find("EPS"), std::string::npos);
}

TEST_F(ChecksTest, DuplicateSectionHeaders) {
  write("latex/template.tex", R"(\documentclass{article}
\begin{document}
\section{Results}
\subsection{Setup}
\subsection{Setup}
\section{Method}
\subsection{Setup}
\section{results}
\section{Two  words}
\section{Two
words}
\end{document}
)");
  const auto problems = check();
  ASSERT_EQ(problems.size(), 3u) << describe(problems);
  for (const Problem& p : problems)
    EXPECT_EQ(p.kind, "section");
  EXPECT_EQ(problems[0].line, 5);
  EXPECT_EQ(problems[1].line, 8);
  EXPECT_NE(problems[1].message.find("first at latex/template.tex:3"), std::string::npos);
  EXPECT_EQ(problems[2].line, 10);
}

TEST_F(ChecksTest, InputFilesAreCheckedWhereThePaperReadsThem) {
  // Each section's "Setup" is its own: the \input file's subsection belongs to section A.
  write("latex/sections/a.tex", "\\subsection{Setup}\n\\label{sec:dup}\n");
  write("latex/template.tex", R"(\documentclass{article}
\begin{document}
\section{A}
\input{sections/a}
\section{B}
\subsection{Setup}
\label{sec:dup}
\end{document}
)");
  const auto problems = check();
  ASSERT_EQ(problems.size(), 1u) << describe(problems);
  EXPECT_EQ(problems[0].kind, "label");
  EXPECT_EQ(problems[0].file, "latex/template.tex");
  EXPECT_EQ(problems[0].line, 7);
  EXPECT_NE(problems[0].message.find("first at latex/sections/a.tex:2"), std::string::npos)
      << problems[0].message;
}

TEST_F(ChecksTest, EveryReferenceNeedsALabelAndLabelsAreUnique) {
  write("latex/template.tex", R"(\documentclass{article}
\begin{document}
\section{A}\label{sec:a}
See \ref{sec:a}, \cref{sec:a,fig:none}, \eqref{eq:none}
and \autoref{tab:none}.
\label{sec:a}
% \ref{commented}
\end{document}
)");
  const auto problems = check();
  ASSERT_EQ(problems.size(), 4u) << describe(problems);
  for (const Problem& p : problems)
    EXPECT_EQ(p.kind, "label");
  EXPECT_EQ(problems[0].line, 6);
  EXPECT_EQ(problems[0].subject, "sec:a");
  EXPECT_EQ(problems[1].subject, "fig:none");
  EXPECT_EQ(problems[1].line, 4);
  EXPECT_EQ(problems[2].subject, "eq:none");
  EXPECT_EQ(problems[3].subject, "tab:none");
  EXPECT_EQ(problems[3].line, 5);
}

TEST_F(ChecksTest, ShellEscapeAndFilesOutsideTheFolder) {
  write("latex/sections/intro.tex", "Intro.\n\\immediate\\write18{curl evil}\n");
  write("latex/template.tex", R"(\documentclass{article}
\begin{document}
\immediate\write18{rm -rf ~}
\write 18{ls}
\ShellEscape{ls}
\input{|"ls /"}
\input{/etc/passwd}
\input{../secret}
\include{../../elsewhere/x}
\input{sections/intro}
% \write18{commented}
50\%\write18 is not a comment
\end{document}
)");
  const auto problems = check();
  ASSERT_EQ(problems.size(), 9u) << describe(problems);
  const auto inputs = of_kind(problems, "input");
  ASSERT_EQ(inputs.size(), 3u);
  EXPECT_EQ(inputs[0].line, 7);
  EXPECT_EQ(inputs[0].subject, "/etc/passwd");
  EXPECT_EQ(inputs[1].line, 8);
  EXPECT_EQ(inputs[2].line, 9);
  const auto shell = of_kind(problems, "shell-escape");
  ASSERT_EQ(shell.size(), 6u) << describe(problems);
  std::vector<std::pair<std::string, int>> where;
  for (const Problem& p : shell)
    where.push_back({p.file, p.line});
  std::sort(where.begin(), where.end());
  const std::vector<std::pair<std::string, int>> expected = {
      {"latex/sections/intro.tex", 2}, {"latex/template.tex", 3}, {"latex/template.tex", 4},
      {"latex/template.tex", 5},       {"latex/template.tex", 6}, {"latex/template.tex", 12}};
  EXPECT_EQ(where, expected) << describe(problems);
}

TEST_F(ChecksTest, PlaceholdersLeftOutsideComments) {
  write("latex/template.tex", R"(\documentclass{article}
\title{TITLE HERE}
\begin{document}
% ABSTRACT HERE
Results: RESULTS HERE and RESULTS HERE.
\end{document}
)");
  writeup::CheckOptions options;
  options.placeholders = {"TITLE HERE", "ABSTRACT HERE", "RESULTS HERE", ""};
  const auto problems = check(options);
  ASSERT_EQ(problems.size(), 3u) << describe(problems);
  EXPECT_EQ(problems[0].line, 2);
  EXPECT_EQ(problems[0].subject, "TITLE HERE");
  EXPECT_EQ(problems[1].line, 5);
  EXPECT_EQ(problems[2].line, 5);
  for (const Problem& p : problems)
    EXPECT_EQ(p.kind, "placeholder");
}

TEST_F(ChecksTest, AnUnreadableTexFileIsAProblem) {
  const auto problems = check();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].file, "latex/template.tex");
  EXPECT_NE(problems[0].message.find("cannot read"), std::string::npos);
}

TEST_F(ChecksTest, ChktexKeepsRealMistakesOnly) {
  if (!test_support::have_program("chktex")) GTEST_SKIP() << "chktex is not installed";
  write("latex/template.tex", R"(\documentclass{article}
\begin{document}
An interval $[0, 1)$, an ellipsis ... and Mr. Smith.
A "quoted" word.
\begin{itemize}
\item one
\end{enumerate}
\end{document}
)");
  platform::PosixProcessRunner runner;
  writeup::CheckOptions options;
  const auto problems = writeup::check_paper(tex(), options, &runner);
  ASSERT_EQ(problems.size(), 3u) << describe(problems);
  for (const Problem& p : problems) {
    EXPECT_EQ(p.kind, "chktex");
    EXPECT_EQ(p.severity, Severity::warning);
    EXPECT_EQ(p.file, "latex/template.tex");
  }
  EXPECT_EQ(problems[0].line, 4);
  EXPECT_EQ(problems[1].line, 4);
  EXPECT_EQ(problems[2].line, 7);
  EXPECT_NE(problems[2].message.find("`itemize' expected, found `enumerate'"), std::string::npos);

  options.chktex = false;
  EXPECT_TRUE(writeup::check_paper(tex(), options, &runner).empty());
  EXPECT_TRUE(writeup::check_paper(tex(), writeup::CheckOptions{}, nullptr).empty());
}

TEST(ParseChktexOutput, KeepsEnvironmentsMathAndQuotes) {
  const std::string output =
      "template.tex:3:19:9:`]' expected, found `)'.\n"
      "template.tex:8:1:9:`itemize' expected, found `enumerate'.\n"
      "template.tex:4:11:11:You should use \\ldots to achieve an ellipsis.\n"
      "template.tex:5:40:18:Use either `` or '' as an alternative to `\"'.\n"
      "template.tex:9:1:15:No match found for `('.\n"
      "template.tex:9:1:15:No match found for `document'.\n"
      "template.tex:11:1:16:Mathmode still on at end of LaTeX file.\n"
      "template.tex:11:1:17:Number of `(' doesn't match the number of `)'!\n"
      "sections/a.tex:2:1:32:Use ` to begin quotation, not '.\n"
      "/etc/passwd:1:1:18:Use either `` or '' as an alternative to `\"'.\n"
      "garbage line\n";
  const auto problems = writeup::parse_chktex_output(output, "/r/idea/latex", "/r/idea");
  ASSERT_EQ(problems.size(), 5u) << describe(problems);
  EXPECT_EQ(writeup::format_problem(problems[0]),
            "latex/template.tex:8: chktex: `itemize' expected, found `enumerate'. (warning)");
  EXPECT_EQ(problems[1].line, 5);
  EXPECT_NE(problems[2].message.find("`document'"), std::string::npos);
  EXPECT_EQ(problems[3].line, 11);
  EXPECT_EQ(problems[4].file, "latex/sections/a.tex");
}

}  // namespace
