#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <string>

#include "pdf/latex_fixture.h"
#include "pdf/pdf_text.h"
#include "support/temp_dir.h"
#include "writeup/compile.h"

// Every shipped template's LaTeX compiles as it is (placeholders and all), copied into an idea
// folder under /tmp and compiled in the sandbox as the write-up does.
namespace {

namespace fs = std::filesystem;

TEST(TemplateCompile, EveryShippedTemplateCompiles) {
  if (!test_support::have_program("latexmk") && !test_support::have_program("pdflatex")) {
    GTEST_SKIP() << "TeX is not installed";
  }
  auto sandbox = experiment::Sandbox::create(true);
  if (!sandbox->capabilities().bubblewrap) {
    std::cout << "[ note ] no sandbox here (" << sandbox->capabilities().bubblewrap_problem
              << "): compiling without isolation\n";
    sandbox = experiment::Sandbox::create(false);
  }
  writeup::Compiler compiler(*sandbox);
  const fs::path templates = fs::path(AI_SCIENTIST_SOURCE_DIR) / "templates";
  int compiled = 0;
  for (const auto& entry : fs::directory_iterator(templates)) {
    const fs::path latex = entry.path() / "latex";
    if (!fs::is_regular_file(latex / "template.tex")) continue;
    const std::string name = entry.path().filename().string();
    SCOPED_TRACE(name);
    test_support::TempDir root;
    const fs::path idea = root.path() / ("20240101_120000_" + name);
    fs::create_directories(idea);
    fs::copy(latex, idea / "latex", fs::copy_options::recursive);
    writeup::CompileOptions options;
    options.checks.placeholders = {"TITLE HERE"};
    auto result = compiler.compile(idea / "latex" / "template.tex", options);
    ASSERT_TRUE(result) << result.error().message;
    std::string problems;
    for (const auto& p : result->problems)
      problems += writeup::format_problem(p) + "\n";
    EXPECT_TRUE(result->pdf_produced) << result->summary << "\n" << problems;
    EXPECT_EQ(result->pdf, idea / (name + ".pdf"));
    EXPECT_GE(result->pages, 1);
    // The one problem: the placeholder the check was asked about.
    ASSERT_EQ(result->problems.size(), 1u) << problems;
    EXPECT_EQ(result->problems[0].kind, "placeholder");
    auto text = pdf::read_text(result->pdf);
    ASSERT_TRUE(text) << text.error().message;
    EXPECT_NE(text->find("Introduction"), std::string::npos);
    EXPECT_NE(text->find("References"), std::string::npos) << *text;
    ++compiled;
  }
  EXPECT_GE(compiled, 3);
}

}  // namespace
