// `ai-scientist paper text` and `ai-scientist writeup compile` end to end: the real binary on
// papers the tests write and compile.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/cli_runner.h"
#include "experiment/sandbox.h"
#include "pdf/latex_fixture.h"
#include "support/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using test_support::Cli;
using test_support::TempDir;

class PaperTextCommand : public testing::Test {
 protected:
  void SetUp() override {
    if (!test_support::have_program("pdflatex")) GTEST_SKIP() << "pdflatex is not installed";
  }
  TempDir m_dir;
  Cli m_cli;
};

TEST_F(PaperTextCommand, PrintsThePagesTheReviewerReads) {
  const fs::path pdf =
      test_support::pdflatex(m_dir.path(), "paper", test_support::pages_document(3));
  auto all = m_cli.run({"paper", "text", pdf.string()});
  EXPECT_EQ(all.exit_code, 0) << all.err;
  EXPECT_NE(all.out.find("This is page number 3."), std::string::npos) << all.out;

  auto first = m_cli.run({"paper", "text", pdf.string(), "--pages", "1"});
  EXPECT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("This is page number 1."), std::string::npos) << first.out;
  EXPECT_EQ(first.out.find("This is page number 2."), std::string::npos) << first.out;
  EXPECT_EQ(first.err, "");
}

TEST_F(PaperTextCommand, SaysWhyAFileCannotBeRead) {
  const fs::path fake = m_dir.write_file("fake.pdf", "not a pdf at all\n");
  auto run = m_cli.run({"paper", "text", fake.string()});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.out, "");
  EXPECT_NE(run.err.find("error: " + fake.string() + ": not a PDF"), std::string::npos) << run.err;

  const fs::path docx = m_dir.write_file("paper.docx", "x");
  run = m_cli.run({"paper", "text", docx.string()});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find(".pdf, .tex, .md or .txt"), std::string::npos) << run.err;

  run = m_cli.run({"paper", "text", fake.string(), "--pages", "0"});
  EXPECT_EQ(run.exit_code, 2) << run.err;
}

// ---- writeup compile --------------------------------------------------------------------------

class WriteupCompileCommand : public testing::Test {
 protected:
  void SetUp() override {
    if (!test_support::have_program("latexmk") && !test_support::have_program("pdflatex")) {
      GTEST_SKIP() << "TeX is not installed";
    }
    // A machine without a usable bubblewrap compiles without isolation.
    if (!experiment::Sandbox::create(true)->capabilities().bubblewrap) {
      m_sandbox_flag = {"--no-sandbox"};
    }
  }

  fs::path idea() const { return m_root.path() / "20240101_120000_cli_idea"; }

  void write_paper(const std::string& body) {
    m_root.write_file("20240101_120000_cli_idea/latex/template.tex",
                      "\\documentclass{article}\n\\begin{document}\n\\section{Intro}\n"
                      "\\label{sec:intro}\n" +
                          body + "\n\\end{document}\n");
  }

  test_support::CliRun compile(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"writeup", "compile", idea().string()};
    args.insert(args.end(), m_sandbox_flag.begin(), m_sandbox_flag.end());
    args.insert(args.end(), extra.begin(), extra.end());
    return m_cli.run(args);
  }

  TempDir m_root;
  Cli m_cli;
  std::vector<std::string> m_sandbox_flag;
};

TEST_F(WriteupCompileCommand, ACleanPaperPrintsItsPdfAndExitsZero) {
  write_paper("A clean paper about Section~\\ref{sec:intro}, with words enough.");
  auto run = compile();
  EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
  const fs::path pdf = idea() / "cli_idea.pdf";
  EXPECT_NE(run.out.find("pdf: " + pdf.string() + " (1 page)\n"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("cli_idea.pdf (1 page(s)): 0 error(s), 0 warning(s)"), std::string::npos)
      << run.out;
  EXPECT_TRUE(fs::exists(pdf));
  // The .tex file's path works as well as the folder's, and --pdf-name names the PDF.
  std::vector<std::string> args = {"writeup", "compile",
                                   (idea() / "latex" / "template.tex").string(), "--pdf-name",
                                   "Other.pdf"};
  args.insert(args.end(), m_sandbox_flag.begin(), m_sandbox_flag.end());
  auto by_file = m_cli.run(args);
  EXPECT_EQ(by_file.exit_code, 0) << by_file.out << by_file.err;
  EXPECT_TRUE(fs::exists(idea() / "Other.pdf"));
}

TEST_F(WriteupCompileCommand, ProblemsArePrintedAsFileLineMessageAndExitOne) {
  write_paper("See \\ref{sec:nowhere}.\n\\undefinedmacro\nTITLE HERE");
  auto run = compile({"--placeholder", "TITLE HERE"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_NE(run.out.find("latex/template.tex:5: \\ref{sec:nowhere}: there is no "
                         "\\label{sec:nowhere}"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("latex/template.tex:6: Undefined control sequence."), std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("latex/template.tex:7: the template's placeholder 'TITLE HERE'"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("pdf: " + (idea() / "cli_idea.pdf").string() + " (1 page)"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("3 error(s)"), std::string::npos) << run.out;

  auto json = compile({"--json", "--no-checks"});
  EXPECT_EQ(json.exit_code, 1);
  const auto j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["pdf_produced"], true);
  EXPECT_EQ(j["errors"], 2);  // TeX's: the undefined reference and the undefined macro
  ASSERT_EQ(j["problems"].size(), 2u) << json.out;
  EXPECT_EQ(j["problems"][0]["kind"], "undefined-reference");
  EXPECT_EQ(j["problems"][0]["line"], 5);
  EXPECT_EQ(j["problems"][1]["kind"], "latex");
  EXPECT_EQ(j["problems"][1]["file"], "latex/template.tex");
}

TEST_F(WriteupCompileCommand, NoPdfSaysWhy) {
  write_paper("\\input{/etc/passwd}");
  auto run = compile();
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.out.find("no PDF was produced: latex/template.tex:5: \\input{/etc/passwd} reads "
                         "a file outside"),
            std::string::npos)
      << run.out;
  EXPECT_EQ(run.out.find("pdf: "), std::string::npos) << run.out;
  EXPECT_FALSE(fs::exists(idea() / "cli_idea.pdf"));
}

TEST_F(WriteupCompileCommand, AFolderWithoutAPaperIsAUsageError) {
  auto run = m_cli.run({"writeup", "compile", m_root.path().string()});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("holds neither latex/template.tex nor template.tex"), std::string::npos)
      << run.err;
}

}  // namespace
