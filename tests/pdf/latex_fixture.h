#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "platform/executables.h"
#include "platform/posix_process_runner.h"

// Papers made by the tests themselves: LaTeX documents compiled with the TeX installed here, so
// that PDFs and logs are real ones and nothing is stored in the repository.
namespace test_support {

// Whether `program` is on PATH.
inline bool have_program(const std::string& program) {
  const char* path = std::getenv("PATH");
  return platform::find_executable(program, path ? path : "/usr/bin:/bin").has_value();
}

// Runs `argv` in `dir` with TeX's caches inside `dir`; returns the exit code (-1: not started).
inline int run_tex_program(const std::filesystem::path& dir, std::vector<std::string> argv) {
  core::ProcessSpec spec;
  spec.argv = std::move(argv);
  spec.cwd = dir;
  const char* path = std::getenv("PATH");
  spec.env = std::map<std::string, std::string>{{"PATH", path ? path : "/usr/bin:/bin"},
                                                {"HOME", dir.string()},
                                                {"TEXMFVAR", (dir / ".texmf-var").string()},
                                                {"TEXMFCONFIG", (dir / ".texmf-config").string()}};
  spec.timeout = std::chrono::seconds(120);
  platform::PosixProcessRunner runner;
  auto result = runner.run(spec);
  if (!result) return -1;
  return result->exit_code;
}

// Writes `document` to dir/name.tex and compiles it with pdflatex (nonstop, so a broken document
// still leaves its log). Returns dir/name.pdf, which exists only when TeX produced it.
inline std::filesystem::path pdflatex(const std::filesystem::path& dir, const std::string& name,
                                      const std::string& document) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir / (name + ".tex")) << document;
  run_tex_program(dir, {"pdflatex", "-interaction=nonstopmode", "-file-line-error",
                        "-no-shell-escape", name + ".tex"});
  return dir / (name + ".pdf");
}

// A document of `pages` pages; page i (from 1) says "This is page number i." followed by enough
// ordinary prose to read as a real page.
inline std::string pages_document(int pages) {
  std::string doc = "\\documentclass{article}\n\\begin{document}\n";
  for (int i = 1; i <= pages; ++i) {
    if (i > 1) doc += "\\newpage\n";
    doc += "This is page number " + std::to_string(i) + ".\n";
    for (int j = 0; j < 4; ++j) {
      doc +=
          "Researchers measured how quickly the small model learned the task, and they wrote "
          "down every result so that others could check the numbers later.\n";
    }
    doc += "\n";
  }
  doc += "\\end{document}\n";
  return doc;
}

}  // namespace test_support
