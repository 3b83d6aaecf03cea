#include "edit/lint.h"

#include <fmt/format.h>

#include "core/temp_dir.h"

namespace edit {
namespace {

constexpr std::chrono::seconds k_lint_timeout{60};

// What a failed check printed, for the model: stdout and stderr, trimmed.
std::string output_of(const core::ProcessResult& r) {
  std::string text = r.out;
  if (!r.err.empty()) {
    if (!text.empty() && text.back() != '\n') text += '\n';
    text += r.err;
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  if (r.timed_out)
    text += fmt::format("\n(the check timed out after {} s)", k_lint_timeout.count());
  return text;
}

}  // namespace

PythonLint::PythonLint(core::ProcessRunner& runner, std::filesystem::path python,
                       std::optional<std::filesystem::path> flake8)
    : m_runner(runner), m_python(std::move(python)), m_flake8(std::move(flake8)) {}

core::Result<std::string> PythonLint::check(const std::filesystem::path& root,
                                            const std::vector<std::string>& files) {
  std::string report;
  core::ScopedTempDir cache("ai-scientist-pyc");
  if (cache.path().empty()) {
    return core::fail(core::ErrorCode::io,
                      "cannot create a folder for Python bytecode under the temporary directory; "
                      "check TMPDIR");
  }
  for (const auto& file : files) {
    if (std::filesystem::path(file).extension() != ".py") continue;
    // "./" keeps a file name that starts with '-' from being read as an option.
    const std::string arg = "./" + file;
    core::ProcessSpec compile;
    compile.argv = {m_python.string(), "-Xpycache_prefix=" + cache.path().string(), "-m",
                    "py_compile", arg};
    compile.cwd = root;
    compile.timeout = k_lint_timeout;
    auto compiled = TRY(m_runner.run(compile));
    if (!compiled.ok()) {
      report += fmt::format("## {}: python -m py_compile\n{}\n\n", file, output_of(compiled));
      continue;  // flake8 would only repeat the syntax error
    }
    if (!m_flake8) continue;
    core::ProcessSpec flake;
    flake.argv = {m_flake8->string(), "--isolated", "--show-source",
                  std::string("--select=") + k_flake8_fatal, arg};
    flake.cwd = root;
    flake.timeout = k_lint_timeout;
    auto linted = TRY(m_runner.run(flake));
    if (!linted.ok()) {
      report +=
          fmt::format("## {}: flake8 --select={}\n{}\n\n", file, k_flake8_fatal, output_of(linted));
    }
  }
  while (!report.empty() && report.back() == '\n')
    report.pop_back();
  return report;
}

CommandLint::CommandLint(core::ProcessRunner& runner, std::vector<std::string> argv)
    : m_runner(runner), m_argv(std::move(argv)) {}

core::Result<std::string> CommandLint::check(const std::filesystem::path& root,
                                             const std::vector<std::string>& files) {
  std::string report;
  for (const auto& file : files) {
    core::ProcessSpec spec;
    for (const auto& arg : m_argv) {
      std::string a = arg;
      for (auto pos = a.find("{file}"); pos != std::string::npos; pos = a.find("{file}", pos)) {
        a.replace(pos, 6, file);
        pos += file.size();
      }
      spec.argv.push_back(std::move(a));
    }
    spec.cwd = root;
    spec.timeout = k_lint_timeout;
    auto r = TRY(m_runner.run(spec));
    if (!r.ok()) report += fmt::format("## {}: {}\n{}\n\n", file, m_argv.front(), output_of(r));
  }
  while (!report.empty() && report.back() == '\n')
    report.pop_back();
  return report;
}

}  // namespace edit
