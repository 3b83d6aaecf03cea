#include "writeup/compile.h"
#include "core/text.h"

#include <algorithm>
#include <fstream>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/json.h"
#include "core/temp_dir.h"
#include "experiment/sandboxed_runner.h"
#include "pdf/pdf_text.h"
#include "platform/executables.h"

namespace writeup {

namespace {

using core::read_file;

namespace fs = std::filesystem;
using core::ErrorCode;

// TeX's compile in the sandbox: memory and processes it never comes near, a cap on what it may
// write so that a runaway \write loop cannot fill the disk.
constexpr std::uint64_t k_memory_bytes = 4ull << 30;
constexpr int k_max_processes = 128;
constexpr std::uint64_t k_max_file_bytes = 1ull << 30;
// latexmk makes every pass in one run.
constexpr int k_latexmk_passes = 4;
// Lines of TeX's console output quoted when its log says nothing.
constexpr std::size_t k_output_lines = 6;

std::string last_lines(std::string_view text, std::size_t count) {
  std::size_t end = text.find_last_not_of(" \t\r\n");
  if (end == std::string_view::npos) return "";
  std::size_t start = end + 1;
  for (std::size_t n = 0; n < count && start > 0; ++n) {
    const std::size_t newline = text.rfind('\n', start - 1);
    start = newline == std::string_view::npos ? 0 : newline;
    if (start == 0) break;
  }
  std::string out(text.substr(start, end + 1 - start));
  while (!out.empty() && out.front() == '\n')
    out.erase(0, 1);
  return out;
}

struct PaperPaths {
  fs::path tex;  // absolute
  fs::path tex_dir;
  fs::path paper;  // the paper folder
  std::string stem;
  fs::path built_pdf;
  fs::path log;
  fs::path aux;
  fs::path blg;
  fs::path target;  // <pdf_name> in the paper folder
  fs::path record;  // .<pdf_name>.json beside it

  std::string relative(const fs::path& path) const {
    const fs::path normal = path.lexically_normal();
    const fs::path rel = normal.lexically_relative(paper);
    if (rel.empty() || *rel.begin() == "..") return normal.string();
    return rel.string();
  }
};

// The environment TeX runs in: the sandbox's clean one plus paranoid file access, no shell
// escape, the paper folder as a search path for figures and .bib files (plot.py writes figures
// there while the .tex file lies in latex/; "../fig.png" itself is refused), unwrapped log lines
// (so that file names in the log stay whole), and TeX's caches away from the paper.
std::map<std::string, std::string> tex_env(const PaperPaths& paths, const fs::path& cache) {
  const std::string search = ".:" + paths.paper.string() + ":";
  return experiment::clean_env(paths.paper, {{"openin_any", "p"},
                                             {"openout_any", "p"},
                                             {"shell_escape", "f"},
                                             {"TEXINPUTS", search},
                                             {"BIBINPUTS", search},
                                             {"TEXMFVAR", (cache / "texmf-var").string()},
                                             {"TEXMFCONFIG", (cache / "texmf-config").string()},
                                             {"max_print_line", "1000"}});
}

// The problems of the log, files renamed from TeX's (relative to the .tex folder) to the paper
// folder's; a problem without a file is about the main .tex file.
void rebase(std::vector<Problem>& problems, const PaperPaths& paths, const std::string& fallback) {
  for (Problem& p : problems) {
    if (p.file.empty()) {
      p.file = fallback;
      continue;
    }
    const fs::path file(p.file);
    p.file = paths.relative(file.is_absolute() ? file : paths.tex_dir / file);
  }
}

// Which problems say the same thing, so that one is reported and not three: a cite key missing
// from the .bib (the check, TeX's warning, BibTeX's), a reference without a label, shell escape.
std::string family(const std::string& kind) {
  if (kind == "citation" || kind == "undefined-citation") return "cite";
  if (kind == "label" || kind == "undefined-reference") return "ref";
  return kind;
}

// The checks' problems, then TeX's and BibTeX's that the checks (or TeX) did not already report.
std::vector<Problem> merge(std::vector<Problem> checks, const std::vector<Problem>& log,
                           const std::vector<Problem>& blg) {
  std::set<std::pair<std::string, std::string>> covered;  // (family, subject)
  std::set<std::pair<std::string, int>> check_locations;  // of figure and input problems
  std::set<std::string> bib_files;                        // .bib files the checks found errors in
  bool shell_escape = false;
  for (const Problem& p : checks) {
    covered.insert({family(p.kind), p.subject});
    if (p.kind == "bibtex" && p.severity == Severity::error) bib_files.insert(p.file);
    if (p.kind == "figure" || p.kind == "input") check_locations.insert({p.file, p.line});
    shell_escape = shell_escape || p.kind == "shell-escape";
  }
  std::vector<Problem> out = std::move(checks);
  for (const auto* group : {&log, &blg}) {
    std::vector<std::pair<std::string, std::string>> added;
    for (const Problem& p : *group) {
      const std::string f = family(p.kind);
      if ((f == "cite" || f == "ref") && covered.contains({f, p.subject})) continue;
      if (f == "shell-escape" && shell_escape) continue;
      // "File `x' not found" where a check already said what is wrong with x.
      if (p.kind == "latex" && check_locations.contains({p.file, p.line})) continue;
      // BibTeX's own account of a malformed entry the checks described already.
      if (p.kind == "bibtex" && p.severity == Severity::error && bib_files.contains(p.file)) {
        continue;
      }
      added.push_back({f, p.subject});
      out.push_back(p);
    }
    covered.insert(added.begin(), added.end());
  }
  std::vector<Problem> unique;
  for (Problem& p : out) {
    const bool seen = std::any_of(unique.begin(), unique.end(), [&](const Problem& q) {
      return q.file == p.file && q.line == p.line && q.kind == p.kind && q.message == p.message;
    });
    if (!seen) unique.push_back(std::move(p));
  }
  return unique;
}

// The error count recorded for the PDF kept at `record`'s target; nullopt when there is no
// readable record.
std::optional<int> recorded_errors(const fs::path& record) {
  const auto text = read_file(record);
  if (!text) return std::nullopt;
  const auto j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object() || !j.contains("errors") || !j["errors"].is_number_integer()) {
    return std::nullopt;
  }
  return j["errors"].get<int>();
}

// Copies `from` to `to` through a temporary file and a rename, so that a reader never sees half
// a PDF.
core::Result<void> replace_file(const fs::path& from, const fs::path& to) {
  const fs::path temporary = to.parent_path() / ("." + to.filename().string() + ".tmp");
  std::error_code ec;
  fs::copy_file(from, temporary, fs::copy_options::overwrite_existing, ec);
  if (!ec) fs::rename(temporary, to, ec);
  if (ec) {
    fs::remove(temporary, ec);
    return core::fail(ErrorCode::io, fmt::format("cannot write {}: {}; check the folder's "
                                                 "permissions and free space",
                                                 to.string(), ec.message()));
  }
  return {};
}

core::Result<void> write_record(const fs::path& record, const CompileResult& result,
                                const PaperPaths& paths) {
  const nlohmann::json j = {{"errors", result.errors},
                            {"warnings", result.warnings},
                            {"pages", result.pages},
                            {"source", paths.relative(paths.tex)}};
  const fs::path temporary = record.parent_path() / (record.filename().string() + ".tmp");
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << core::dump_json(j, 2) << '\n';
    if (!out) {
      return core::fail(ErrorCode::io, fmt::format("cannot write {}; check the folder's "
                                                   "permissions and free space",
                                                   temporary.string()));
    }
  }
  std::error_code ec;
  fs::rename(temporary, record, ec);
  if (ec) {
    return core::fail(ErrorCode::io,
                      fmt::format("cannot write {}: {}", record.string(), ec.message()));
  }
  return {};
}

// One run of a TeX program in the sandbox.
struct Pass {
  experiment::SandboxResult result;
  std::string output;  // the end of stdout and stderr
};

}  // namespace

std::string default_pdf_name(const std::filesystem::path& paper_dir) {
  static const std::regex k_stamp(R"(^\d{8}_\d{6}_(.+)$)");
  std::string name = fs::absolute(paper_dir).lexically_normal().filename().string();
  if (name.empty()) {
    name = fs::absolute(paper_dir).lexically_normal().parent_path().filename().string();
  }
  std::smatch m;
  if (std::regex_match(name, m, k_stamp)) name = m[1].str();
  return (name.empty() ? std::string("paper") : name) + ".pdf";
}

Compiler::Compiler(const experiment::Sandbox& sandbox, core::ProcessRunner* chktex_runner)
    : m_sandbox(sandbox), m_chktex_runner(chktex_runner) {}

core::Result<CompileResult> Compiler::compile(const std::filesystem::path& tex_file,
                                              const CompileOptions& options) const {
  std::error_code ec;
  PaperPaths paths;
  paths.tex = fs::absolute(tex_file, ec).lexically_normal();
  if (!fs::is_regular_file(paths.tex, ec)) {
    return core::fail(ErrorCode::io,
                      fmt::format("cannot compile {}: no such file", tex_file.string()));
  }
  paths.tex_dir = paths.tex.parent_path();
  paths.paper = paper_folder(paths.tex);
  paths.stem = paths.tex.stem().string();
  paths.built_pdf = paths.tex_dir / (paths.stem + ".pdf");
  paths.log = paths.tex_dir / (paths.stem + ".log");
  paths.aux = paths.tex_dir / (paths.stem + ".aux");
  paths.blg = paths.tex_dir / (paths.stem + ".blg");
  const std::string pdf_name =
      options.pdf_name.empty() ? default_pdf_name(paths.paper) : options.pdf_name;
  if (pdf_name.find('/') != std::string::npos || pdf_name.starts_with(".")) {
    return core::fail(ErrorCode::invalid_argument,
                      fmt::format("the PDF name '{}' must be a plain file name such as "
                                  "Name.pdf",
                                  pdf_name));
  }
  paths.target = paths.paper / pdf_name;
  paths.record = paths.paper / ("." + pdf_name + ".json");
  const std::string main_file = paths.relative(paths.tex);

  core::ScopedTempDir scratch("ai-scientist-tex");
  if (scratch.path().empty()) {
    return core::fail(ErrorCode::io,
                      "cannot create a temporary folder for TeX's output; check "
                      "TMPDIR and free space");
  }
  // In the sandbox /tmp is private to the run; outside it, the caches go to our own folder.
  const fs::path cache = m_sandbox.isolated() ? fs::path("/tmp") : scratch.path();
  const auto env = tex_env(paths, cache);
  const std::string path_var = env.at("PATH");
  const bool has_latexmk = platform::find_executable("latexmk", path_var).has_value();
  const bool has_pdflatex = platform::find_executable("pdflatex", path_var).has_value();
  const bool latexmk = options.driver == TexDriver::latexmk ||
                       (options.driver == TexDriver::automatic && has_latexmk);
  if ((latexmk && !has_latexmk) || (!latexmk && !has_pdflatex)) {
    return core::fail(
        ErrorCode::config,
        fmt::format("cannot compile the paper: {} is not installed (looked in {}); "
                    "install TeX Live (texlive-latex-base, texlive-latex-recommended, "
                    "latexmk); `ai-scientist doctor` checks it",
                    latexmk ? "latexmk" : "pdflatex", path_var));
  }

  CompileResult result;
  result.log = paths.log;
  std::vector<Problem> checks;
  if (options.run_checks) {
    std::optional<experiment::SandboxedRunner> sandboxed;
    core::ProcessRunner* runner = m_chktex_runner;
    if (runner == nullptr) runner = &sandboxed.emplace(m_sandbox);
    checks = check_paper(paths.tex, options.checks, runner);
  }

  // A PDF or log left from an earlier compile must not pass for this one's.
  fs::remove(paths.built_pdf, ec);
  fs::remove(paths.log, ec);
  int pass_number = 0;
  auto run_pass = [&](std::vector<std::string> program,
                      std::chrono::seconds timeout) -> core::Result<Pass> {
    experiment::SandboxSpec spec;
    // env -C: TeX runs in the .tex file's folder while the whole paper folder is writable.
    spec.argv = {"env", "-C", paths.tex_dir.string()};
    spec.argv.insert(spec.argv.end(), program.begin(), program.end());
    spec.workdir = paths.paper;
    spec.env = env;
    spec.limits.timeout = timeout;
    spec.limits.memory_bytes = k_memory_bytes;
    spec.limits.max_processes = k_max_processes;
    spec.limits.max_file_bytes = k_max_file_bytes;
    spec.limits.kill_grace = std::chrono::milliseconds(2000);
    ++pass_number;
    spec.stdout_path = scratch.path() / fmt::format("pass{}.out", pass_number);
    spec.stderr_path = scratch.path() / fmt::format("pass{}.err", pass_number);
    Pass pass{TRY(m_sandbox.run(spec)), ""};
    pass.output = pass.result.stdout_tail + pass.result.stderr_tail;
    return pass;
  };
  const std::vector<std::string> tex_flags = {"-interaction=nonstopmode", "-file-line-error",
                                              "-no-shell-escape"};
  std::vector<Pass> passes;
  if (latexmk) {
    std::vector<std::string> argv = {"latexmk", "-norc", "-pdf", "-f", "-g"};
    argv.insert(argv.end(), tex_flags.begin(), tex_flags.end());
    argv.push_back(paths.tex.filename().string());
    passes.push_back(TRY(run_pass(argv, options.pass_timeout * k_latexmk_passes)));
  } else {
    std::vector<std::string> pdflatex = {"pdflatex"};
    pdflatex.insert(pdflatex.end(), tex_flags.begin(), tex_flags.end());
    pdflatex.push_back(paths.tex.filename().string());
    passes.push_back(TRY(run_pass(pdflatex, options.pass_timeout)));
    const bool bibliography =
        read_file(paths.aux).value_or("").find("\\bibdata") != std::string::npos;
    if (bibliography && !passes.back().result.timed_out) {
      passes.push_back(TRY(run_pass({"bibtex", paths.stem}, options.pass_timeout)));
    }
    for (int i = 0; i < 2 && !passes.back().result.timed_out; ++i) {
      passes.push_back(TRY(run_pass(pdflatex, options.pass_timeout)));
    }
  }

  std::vector<Problem> log_problems;
  const auto log_text = read_file(paths.log);
  if (log_text) {
    log_problems = parse_latex_log(*log_text);
    rebase(log_problems, paths, main_file);
  }
  std::vector<Problem> blg_problems;
  if (read_file(paths.aux).value_or("").find("\\bibdata") != std::string::npos) {
    if (const auto blg = read_file(paths.blg)) {
      blg_problems = parse_bibtex_log(*blg);
      for (Problem& p : blg_problems) {
        if (!p.file.empty()) p.file = paths.relative(paths.tex_dir / p.file);
      }
    }
  }
  for (const Pass& pass : passes) {
    const auto& r = pass.result;
    if (r.timed_out) {
      log_problems.push_back(
          {main_file, 0,
           fmt::format("compiling was stopped after {} s (the time limit): TeX may be looping "
                       "(a macro that calls itself?) or waiting for input",
                       r.duration.count() / 1000),
           "latex", Severity::error, ""});
    } else if (!r.limit_hit.empty()) {
      log_problems.push_back({main_file, 0,
                              fmt::format("compiling was stopped: it reached the {}", r.limit_hit),
                              "latex", Severity::error, ""});
    }
  }
  result.problems = merge(std::move(checks), log_problems, blg_problems);

  result.pdf_produced = fs::is_regular_file(paths.built_pdf, ec);
  int built_pages = 0;
  if (result.pdf_produced) {
    auto pages = pdf::page_count(paths.built_pdf);
    if (pages) {
      built_pages = *pages;
      result.built_pdf = paths.built_pdf;
    } else {
      result.pdf_produced = false;
      result.problems.push_back({main_file, 0,
                                 "TeX wrote a PDF that cannot be read: " + pages.error().message,
                                 "latex", Severity::error, ""});
    }
  }
  const bool has_error =
      std::any_of(result.problems.begin(), result.problems.end(),
                  [](const Problem& p) { return p.severity == Severity::error; });
  if (!result.pdf_produced && !has_error) {
    const std::string output = last_lines(passes.back().output, k_output_lines);
    result.problems.push_back(
        {main_file, 0,
         log_text ? fmt::format("no PDF was produced and TeX's log names no error; the end of "
                                "its output:\n{}",
                                output)
                  : fmt::format("TeX did not run (no {} was written); the end of its output:\n{}",
                                paths.relative(paths.log), output),
         "latex", Severity::error, ""});
  }
  for (const Problem& p : result.problems) {
    (p.severity == Severity::error ? result.errors : result.warnings) += 1;
  }

  const bool same_file = paths.built_pdf == paths.target;
  const bool target_exists = !same_file && fs::is_regular_file(paths.target, ec);
  std::optional<int> previous_errors;
  if (result.pdf_produced && same_file) {
    result.pdf = paths.built_pdf;
    result.pages = built_pages;
  } else if (result.pdf_produced) {
    previous_errors = target_exists ? recorded_errors(paths.record) : std::nullopt;
    if (previous_errors && *previous_errors < result.errors) {
      result.kept_previous = true;
    } else {
      result.pages = built_pages;
      TRY_VOID(replace_file(paths.built_pdf, paths.target));
      TRY_VOID(write_record(paths.record, result, paths));
      result.pdf = paths.target;
    }
  } else if (target_exists) {
    result.kept_previous = true;
    previous_errors = recorded_errors(paths.record);
  }
  if (result.kept_previous) {
    result.pdf = paths.target;
    result.pages = pdf::page_count(paths.target).value_or(0);
  }

  const std::string counts =
      fmt::format("{} error(s), {} warning(s)", result.errors, result.warnings);
  if (result.pdf_produced && !result.kept_previous) {
    result.summary =
        fmt::format("{} ({} page(s)): {}", paths.relative(result.pdf), result.pages, counts);
  } else if (result.pdf_produced) {
    result.summary = fmt::format(
        "this compile's PDF ({}: {}) has more errors than the earlier {} ({} error(s)), which is "
        "kept",
        paths.relative(paths.built_pdf), counts, paths.relative(paths.target), *previous_errors);
  } else {
    // Why: TeX's own error first, else a file TeX could not read, else whatever error there is.
    auto first = result.problems.end();
    for (const char* kind : {"latex", "input", ""}) {
      first = std::find_if(result.problems.begin(), result.problems.end(), [&](const Problem& p) {
        return p.severity == Severity::error && (*kind == '\0' || p.kind == kind);
      });
      if (first != result.problems.end()) break;
    }
    result.summary = fmt::format("no PDF was produced: {}", format_problem(*first));
    if (result.kept_previous) {
      result.summary += fmt::format(" (the earlier {} is kept)", paths.relative(paths.target));
    }
  }
  return result;
}

}  // namespace writeup
