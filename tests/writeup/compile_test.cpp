#include "writeup/compile.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "pdf/latex_fixture.h"
#include "pdf/pdf_text.h"
#include "support/temp_dir.h"
#include "writeup/problems.h"

// Papers compiled in the sandbox, as the write-up compiles them: idea folders made by the tests
// (<root>/20240101_120000_test_idea/latex/template.tex), which lie under /tmp, where the sandbox
// has a private /tmp of its own and binds the idea folder back in.
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test_support::TempDir;
using writeup::CompileOptions;
using writeup::CompileResult;
using writeup::Problem;
using writeup::Severity;
using writeup_test::describe;
using writeup_test::k_png;
using writeup_test::of_kind;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

constexpr const char* k_bib = R"(@article{smith2020,
  title = {Learning Quickly},
  author = {Smith, Jane},
  journal = {Journal of Tests},
  year = {2020}
}
)";

// A paper that compiles without a single problem; `extra` goes before \end{document}.
std::string good_paper(const std::string& extra = "") {
  return R"(\documentclass{article}
\usepackage{graphicx}
\usepackage[numbers]{natbib}
\graphicspath{{./}{../}}
\begin{document}
\section{Introduction}
\label{sec:intro}
Small models learn quickly \citep{smith2020}, as Section~\ref{sec:intro} shows in
Figure~\ref{fig:loss}. This sentence is here so that the page has plenty of ordinary text.
\begin{figure}[h]
\centering
\includegraphics[width=2cm]{train_loss.png}
\caption{Training loss.}
\label{fig:loss}
\end{figure}
)" + extra +
         R"(
\bibliographystyle{plainnat}
\bibliography{references}
\end{document}
)";
}

class CompileTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_sandbox = experiment::Sandbox::create(true);
    if (!s_sandbox->capabilities().bubblewrap) {
      // TeX's own protections (paranoid file access, no shell escape) are tested all the same.
      std::cout << "[ note ] no sandbox here (" << s_sandbox->capabilities().bubblewrap_problem
                << "): compiling without isolation\n";
      s_sandbox = experiment::Sandbox::create(false);
    }
  }
  static void TearDownTestSuite() { s_sandbox.reset(); }

  void SetUp() override {
    if (!test_support::have_program("latexmk") && !test_support::have_program("pdflatex")) {
      GTEST_SKIP() << "TeX is not installed";
    }
    write("train_loss.png", k_png);
    write("latex/references.bib", k_bib);
  }

  fs::path idea() const { return m_root.path() / "20240101_120000_test_idea"; }
  fs::path tex() const { return idea() / "latex" / "template.tex"; }
  fs::path target() const { return idea() / "test_idea.pdf"; }
  void write(const std::string& name, const std::string& text) const {
    m_root.write_file("20240101_120000_test_idea/" + name, text);
  }

  CompileResult compile(const CompileOptions& options = {}) {
    writeup::Compiler compiler(*s_sandbox);
    auto result = compiler.compile(tex(), options);
    EXPECT_TRUE(result) << result.error().message;
    return result ? *result : CompileResult{};
  }

  static std::unique_ptr<experiment::Sandbox> s_sandbox;
  TempDir m_root;
};

std::unique_ptr<experiment::Sandbox> CompileTest::s_sandbox;

TEST_F(CompileTest, ACleanPaperBecomesNamePdfInTheIdeaFolder) {
  write("latex/template.tex", good_paper());
  const CompileResult result = compile();
  EXPECT_TRUE(result.problems.empty()) << describe(result.problems);
  ASSERT_TRUE(result.pdf_produced) << result.summary;
  EXPECT_EQ(result.pdf, target());
  EXPECT_EQ(result.built_pdf, idea() / "latex" / "template.pdf");
  EXPECT_EQ(result.log, idea() / "latex" / "template.log");
  EXPECT_EQ(result.pages, 1);
  EXPECT_EQ(result.errors, 0);
  EXPECT_FALSE(result.kept_previous);
  EXPECT_EQ(result.summary, "test_idea.pdf (1 page(s)): 0 error(s), 0 warning(s)");
  EXPECT_EQ(read_file(result.pdf), read_file(result.built_pdf));
  auto text = pdf::read_text(result.pdf);
  ASSERT_TRUE(text) << text.error().message;
  // The citation and the references resolved: BibTeX and the later passes ran.
  EXPECT_NE(text->find("Small models learn quickly [1]"), std::string::npos) << *text;
  EXPECT_NE(text->find("Jane Smith. Learning quickly."), std::string::npos) << *text;
  EXPECT_EQ(text->find("??"), std::string::npos) << *text;
  const auto record = nlohmann::json::parse(read_file(idea() / ".test_idea.pdf.json"));
  EXPECT_EQ(record["errors"], 0);
  EXPECT_EQ(record["pages"], 1);
  // TeX's caches went to /tmp, not into the idea folder (its HOME).
  EXPECT_FALSE(fs::exists(idea() / ".texlive2022"));
  EXPECT_FALSE(fs::exists(idea() / ".texmf-var"));
}

TEST_F(CompileTest, BrokenReferenceMissingFigureAndSyntaxErrorStillGiveAPdf) {
  write("latex/sections/method.tex", "Our method.\n\\badmacro{}\n");
  write("latex/template.tex", good_paper(R"(See Section~\ref{sec:nowhere}.
\includegraphics{missing_plot.png}
$x^$ and \undefinedmacro
\input{sections/method}
)"));
  const CompileResult result = compile();
  EXPECT_TRUE(result.pdf_produced) << result.summary;
  EXPECT_EQ(result.pdf, target());
  const std::string all = describe(result.problems);
  // Each said once: the check's account, not TeX's again.
  const auto labels = of_kind(result.problems, "label");
  ASSERT_EQ(labels.size(), 1u) << all;
  EXPECT_EQ(labels[0].line, 16);
  EXPECT_EQ(labels[0].file, "latex/template.tex");
  EXPECT_TRUE(of_kind(result.problems, "undefined-reference").empty()) << all;
  const auto figures = of_kind(result.problems, "figure");
  ASSERT_EQ(figures.size(), 1u) << all;
  EXPECT_EQ(figures[0].line, 17);
  EXPECT_NE(figures[0].message.find("train_loss.png"), std::string::npos);
  const auto latex = of_kind(result.problems, "latex");
  auto has = [&](const std::string& formatted) {
    return std::any_of(latex.begin(), latex.end(),
                       [&](const Problem& p) { return writeup::format_problem(p) == formatted; });
  };
  EXPECT_TRUE(has("latex/template.tex:18: Missing { inserted. (near \"$x^$\")")) << all;
  EXPECT_TRUE(
      has("latex/template.tex:18: Undefined control sequence. (near \"$x^$ and "
          "\\undefinedmacro\")"))
      << all;
  EXPECT_TRUE(
      has("latex/sections/method.tex:2: Undefined control sequence. (near "
          "\"\\badmacro\")"))
      << all;
  // "File `missing_plot.png' not found" at line 17 is the figure check's problem already.
  EXPECT_EQ(all.find("missing_plot.png' not found"), std::string::npos) << all;
  EXPECT_EQ(result.errors, static_cast<int>(result.problems.size()));
}

TEST_F(CompileTest, ShellEscapeIsRefusedAndReported) {
  write("latex/template.tex",
        good_paper("\\immediate\\write18{touch pwned}\n\\immediate\\write18{touch ../pwned}\n"));
  const CompileResult result = compile();
  EXPECT_TRUE(result.pdf_produced) << result.summary;
  const auto shell = of_kind(result.problems, "shell-escape");
  ASSERT_EQ(shell.size(), 2u) << describe(result.problems);
  EXPECT_EQ(shell[0].line, 16);
  EXPECT_FALSE(fs::exists(idea() / "latex" / "pwned"));
  EXPECT_FALSE(fs::exists(idea() / "pwned"));
  // TeX itself said it did not run them.
  EXPECT_NE(read_file(result.log).find("runsystem(touch pwned)...disabled"), std::string::npos);
}

TEST_F(CompileTest, InputOfAFileOutsideTheFolderIsRefusedAndReported) {
  write("secret.tex", "SECRETMARKER in the idea folder\n");
  m_root.write_file("outside.tex", "OUTSIDEMARKER above the idea folder\n");
  for (const std::string input : {"/etc/passwd", "../secret", "../../outside"}) {
    SCOPED_TRACE(input);
    write("latex/template.tex", good_paper("\\input{" + input + "}\n"));
    const CompileResult result = compile();
    EXPECT_FALSE(result.pdf_produced);
    EXPECT_TRUE(result.pdf.empty());
    EXPECT_FALSE(fs::exists(idea() / "latex" / "template.pdf"));
    const auto inputs = of_kind(result.problems, "input");
    ASSERT_EQ(inputs.size(), 1u) << describe(result.problems);
    EXPECT_EQ(inputs[0].line, 16);
    EXPECT_EQ(inputs[0].subject, input);
    EXPECT_TRUE(result.summary.starts_with("no PDF was produced: latex/template.tex:16: \\input{" +
                                           input + "} reads a file outside"))
        << result.summary;
    const std::string log = read_file(result.log);
    EXPECT_NE(log.find("File `" + input + ".tex' not found"), std::string::npos) << log;
    EXPECT_EQ(log.find("SECRETMARKER"), std::string::npos);
    EXPECT_EQ(log.find("OUTSIDEMARKER"), std::string::npos);
    EXPECT_EQ(log.find("root:x:0:0"), std::string::npos);
  }
}

TEST_F(CompileTest, TheBestPdfIsNeverReplacedByAWorseOne) {
  write("latex/template.tex", good_paper("First version.\n"));
  const CompileResult good = compile();
  ASSERT_TRUE(good.pdf_produced) << good.summary;
  ASSERT_EQ(good.errors, 0) << describe(good.problems);
  const std::string good_bytes = read_file(target());

  // Worse: a PDF with an error in it.
  write("latex/template.tex", good_paper("Second version, see \\ref{sec:nowhere}.\n"));
  const CompileResult worse = compile();
  EXPECT_TRUE(worse.pdf_produced);
  EXPECT_TRUE(worse.kept_previous);
  EXPECT_EQ(worse.errors, 1) << describe(worse.problems);
  EXPECT_EQ(worse.pdf, target());
  EXPECT_EQ(worse.pages, 1);
  EXPECT_EQ(read_file(target()), good_bytes);
  // TeX's own PDF of this attempt is left where TeX wrote it.
  auto built = pdf::read_text(worse.built_pdf);
  ASSERT_TRUE(built) << built.error().message;
  EXPECT_NE(built->find("Second version"), std::string::npos);
  EXPECT_NE(worse.summary.find("is kept"), std::string::npos) << worse.summary;

  // Worse still: no PDF at all.
  write("latex/template.tex", good_paper("\\input{/etc/passwd}\n"));
  const CompileResult none = compile();
  EXPECT_FALSE(none.pdf_produced);
  EXPECT_TRUE(none.kept_previous);
  EXPECT_EQ(none.pdf, target());
  EXPECT_EQ(read_file(target()), good_bytes);
  EXPECT_NE(none.summary.find("(the earlier test_idea.pdf is kept)"), std::string::npos)
      << none.summary;

  // As good (no errors either): the newer one wins.
  write("latex/template.tex", good_paper("Third version.\n"));
  const CompileResult better = compile();
  EXPECT_TRUE(better.pdf_produced);
  EXPECT_FALSE(better.kept_previous);
  auto text = pdf::read_text(target());
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_NE(text->find("Third version"), std::string::npos);
}

TEST_F(CompileTest, WithoutChecksTexAndBibtexStillReportProblems) {
  write("latex/template.tex", good_paper("See \\ref{sec:nowhere} and \\cite{nokey}.\n"));
  CompileOptions options;
  options.run_checks = false;
  const CompileResult result = compile(options);
  EXPECT_TRUE(result.pdf_produced);
  const std::string all = describe(result.problems);
  const auto refs = of_kind(result.problems, "undefined-reference");
  ASSERT_EQ(refs.size(), 1u) << all;
  EXPECT_EQ(writeup::format_problem(refs[0]),
            "latex/template.tex:16: reference 'sec:nowhere' is undefined: no \\label{sec:nowhere} "
            "in the paper");
  const auto cites = of_kind(result.problems, "undefined-citation");
  ASSERT_EQ(cites.size(), 1u) << all;
  EXPECT_EQ(cites[0].line, 16);
  // BibTeX said the same about the key: reported once.
  EXPECT_TRUE(of_kind(result.problems, "citation").empty()) << all;
}

TEST_F(CompileTest, ThePdflatexDriverMakesEveryPassItself) {
  // What runs where latexmk is not installed.
  write("latex/template.tex", good_paper("And \\citep{nokey}.\n"));
  CompileOptions options;
  options.driver = writeup::TexDriver::pdflatex;
  const CompileResult result = compile(options);
  ASSERT_TRUE(result.pdf_produced) << result.summary;
  ASSERT_EQ(result.problems.size(), 1u) << describe(result.problems);
  EXPECT_EQ(result.problems[0].kind, "citation");
  EXPECT_EQ(result.problems[0].line, 16);
  auto text = pdf::read_text(result.pdf);
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_NE(text->find("Small models learn quickly [1]"), std::string::npos) << *text;
  EXPECT_NE(text->find("Jane Smith. Learning quickly."), std::string::npos) << *text;
  EXPECT_NE(text->find("as Section 1 shows in Figure 1"), std::string::npos) << *text;
  EXPECT_NE(read_file(idea() / "latex" / "template.blg").find("nokey"), std::string::npos);
}

TEST_F(CompileTest, ATexThatLoopsIsStopped) {
  write("latex/template.tex",
        "\\documentclass{article}\n\\begin{document}\n\\def\\loop{\\loop}\\loop\n"
        "\\end{document}\n");
  CompileOptions options;
  options.pass_timeout = 1s;
  const CompileResult result = compile(options);
  EXPECT_FALSE(result.pdf_produced);
  ASSERT_FALSE(result.problems.empty());
  EXPECT_NE(describe(result.problems).find("compiling was stopped after"), std::string::npos)
      << describe(result.problems);
  EXPECT_TRUE(result.summary.starts_with("no PDF was produced")) << result.summary;
}

TEST_F(CompileTest, AMissingTexFileIsAnError) {
  writeup::Compiler compiler(*s_sandbox);
  auto result = compiler.compile(idea() / "latex" / "nowhere.tex", {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, core::ErrorCode::io);
  EXPECT_NE(result.error().message.find("no such file"), std::string::npos);
}

TEST_F(CompileTest, ATexFileInThePaperFolderItself) {
  // No latex/ folder: the paper folder is the .tex file's, and "../" leaves it.
  m_root.write_file("flat/secret.tex", "FLATSECRET\n");
  m_root.write_file("flat/paper/paper.tex",
                    "\\documentclass{article}\n\\begin{document}\nA flat paper with enough "
                    "words.\n\\end{document}\n");
  writeup::Compiler compiler(*s_sandbox);
  auto result = compiler.compile(m_root.path() / "flat" / "paper" / "paper.tex", {});
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_TRUE(result->pdf_produced) << result->summary;
  EXPECT_EQ(result->pdf, m_root.path() / "flat" / "paper" / "paper.pdf");
  EXPECT_TRUE(result->problems.empty()) << describe(result->problems);
}

}  // namespace
