// `ai-scientist writeup compile DIR`: the paper's LaTeX to PDF, with the checks, no model.
#include "cli/writeup_compile_command.h"

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/app.h"
#include "cli/sandbox_flags.h"
#include "core/json.h"
#include "writeup/compile.h"

namespace cli {
namespace {

namespace fs = std::filesystem;

struct CompileFlags {
  std::string target;
  std::string pdf_name;
  std::vector<std::string> placeholders;
  int pass_timeout = 120;
  bool no_checks = false;
  bool no_chktex = false;
  bool no_sandbox = false;
  bool json_output = false;
};

// The .tex file that `target` means: a .tex path, or a folder holding latex/template.tex (an idea
// folder) or template.tex (a latex/ folder).
core::Result<fs::path> tex_file_of(const std::string& target) {
  std::error_code ec;
  const fs::path path(target);
  if (fs::is_regular_file(path, ec)) {
    if (path.extension() != ".tex") {
      return core::fail(core::ErrorCode::invalid_argument,
                        fmt::format("{} is not a .tex file; give the paper's .tex file or its "
                                    "idea folder",
                                    target));
    }
    return path;
  }
  if (fs::is_directory(path, ec)) {
    for (const fs::path& candidate : {path / "latex" / "template.tex", path / "template.tex"}) {
      if (fs::is_regular_file(candidate, ec)) return candidate;
    }
    return core::fail(core::ErrorCode::invalid_argument,
                      fmt::format("{} holds neither latex/template.tex nor template.tex; give the "
                                  "paper's .tex file",
                                  target));
  }
  return core::fail(core::ErrorCode::invalid_argument,
                    fmt::format("{}: no such file or folder", target));
}

nlohmann::json result_json(const writeup::CompileResult& r) {
  nlohmann::json problems = nlohmann::json::array();
  for (const auto& p : r.problems) {
    problems.push_back({{"file", p.file},
                        {"line", p.line},
                        {"kind", p.kind},
                        {"severity", p.severity == writeup::Severity::error ? "error" : "warning"},
                        {"message", p.message}});
  }
  return {{"pdf", r.pdf.string()},
          {"pages", r.pages},
          {"pdf_produced", r.pdf_produced},
          {"kept_previous", r.kept_previous},
          {"built_pdf", r.built_pdf.string()},
          {"log", r.log.string()},
          {"errors", r.errors},
          {"warnings", r.warnings},
          {"summary", r.summary},
          {"problems", problems}};
}

int run_compile(const CompileFlags& flags) {
  auto tex = tex_file_of(flags.target);
  if (!tex) {
    std::cerr << "error: " << tex.error().message << '\n';
    return k_exit_usage;
  }
  auto sandbox = make_sandbox(flags.no_sandbox);
  if (!sandbox) {
    std::cerr << "error: " << sandbox.error().message << '\n';
    return k_exit_failure;
  }
  writeup::CompileOptions options;
  options.pass_timeout = std::chrono::seconds(flags.pass_timeout);
  options.pdf_name = flags.pdf_name;
  options.run_checks = !flags.no_checks;
  options.checks.chktex = !flags.no_chktex;
  options.checks.placeholders = flags.placeholders;
  writeup::Compiler compiler(**sandbox);
  auto result = compiler.compile(*tex, options);
  if (!result) {
    std::cerr << "error: " << result.error().message << '\n';
    return k_exit_failure;
  }
  const bool ok = result->pdf_produced && result->errors == 0;
  if (flags.json_output) {
    std::cout << core::dump_json(result_json(*result), 2) << '\n';
    return ok ? k_exit_ok : k_exit_failure;
  }
  for (const auto& p : result->problems)
    std::cout << writeup::format_problem(p) << '\n';
  if (!result->pdf.empty()) {
    std::cout << fmt::format("pdf: {} ({} page{}){}\n", fs::absolute(result->pdf).string(),
                             result->pages, result->pages == 1 ? "" : "s",
                             result->kept_previous ? " (kept from an earlier compile)" : "");
  }
  std::cout << result->summary << '\n';
  return ok ? k_exit_ok : k_exit_failure;
}

}  // namespace

void add_writeup_compile(CLI::App& writeup, const core::Environment& /*env*/,
                         std::function<int()>& run) {
  auto flags = std::make_shared<CompileFlags>();
  CLI::App* compile = writeup.add_subcommand(
      "compile",
      "Compile a paper's LaTeX to PDF in the sandbox (no model): run the checks, print each "
      "problem as file:line: message, then the PDF and its page count");
  compile
      ->add_option("dir", flags->target,
                   "The idea folder (with latex/template.tex), or the .tex file")
      ->required();
  compile->add_option("--pdf-name", flags->pdf_name,
                      "The PDF's name in the paper folder (default: the folder's name without "
                      "its date stamp, plus .pdf)");
  compile->add_option("--placeholder", flags->placeholders,
                      "Template text that must not be left in the paper (repeatable), e.g. "
                      "\"TITLE HERE\"");
  compile
      ->add_option("--pass-timeout", flags->pass_timeout,
                   "Seconds one TeX pass may take (latexmk gets four times as much)")
      ->check(CLI::PositiveNumber);
  compile->add_flag("--no-checks", flags->no_checks, "Only compile; skip the checks");
  compile->add_flag("--no-chktex", flags->no_chktex, "Run the checks without chktex");
  compile->add_flag("--no-sandbox", flags->no_sandbox,
                    "Run TeX without isolation (not recommended)");
  compile->add_flag("--json", flags->json_output, "Print the result as JSON");
  compile->final_callback([flags, &run] { run = [flags] { return run_compile(*flags); }; });
}

}  // namespace cli
