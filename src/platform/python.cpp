#include "platform/python.h"

#include <string.h>

#include <map>
#include <sstream>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "platform/executables.h"

namespace platform {
namespace {

// Prints one line per package ("name version" or "name !error"), so one failing import does not
// hide the others.
constexpr const char* k_probe = R"(import sys
print("python", sys.version.split()[0])
for name in ("torch", "numpy", "matplotlib"):
    try:
        m = __import__(name)
        print(name, getattr(m, "__version__", "?"))
    except Exception as e:
        print(name, "!" + (str(e).splitlines() or ["import failed"])[-1])
)";

// The last line of `text` with something on it, without trailing whitespace.
std::string last_nonblank_line(std::string_view text) {
  std::size_t end = text.find_last_not_of(" \t\r\n");
  if (end == std::string_view::npos) return "";
  std::size_t start = text.rfind('\n', end);
  start = start == std::string_view::npos ? 0 : start + 1;
  return std::string(text.substr(start, end + 1 - start));
}

// "SIGKILL" for 9; the number alone when the C library has no name for it.
std::string signal_name(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return abbrev ? fmt::format("SIG{}", abbrev) : std::to_string(sig);
}

PythonInfo probe(const std::filesystem::path& interpreter, std::string why,
                 core::ProcessRunner& runner) {
  PythonInfo info;
  info.interpreter = interpreter;
  info.why = std::move(why);
  core::ProcessSpec spec;
  // Isolated (-I: no PYTHON* variables, no user site, no current folder on sys.path), from /,
  // with nothing in the environment but PATH: an idea folder may hold a numpy.py of the agent's
  // that must never be imported here, outside the sandbox, next to the user's API keys.
  spec.argv = {interpreter.string(), "-I", "-c", k_probe};
  spec.cwd = "/";
  spec.env = std::map<std::string, std::string>{{"PATH", "/usr/local/bin:/usr/bin:/bin"}};
  spec.timeout = std::chrono::seconds(120);  // importing torch cold can take a while
  auto result = runner.run(spec);
  if (!result) {
    info.import_error = result.error().message;
    return info;
  }
  if (result->timed_out) {
    info.import_error =
        fmt::format("timed out after {} s importing torch/numpy/matplotlib",
                    std::chrono::duration_cast<std::chrono::seconds>(spec.timeout).count());
    return info;
  }
  if (result->term_signal != 0) {
    info.import_error = fmt::format("the interpreter was killed by signal {} ({})",
                                    result->term_signal, signal_name(result->term_signal));
    return info;
  }
  if (result->exit_code != 0) {
    // A traceback ends with the exception; the lines above it are the stack.
    std::string last = last_nonblank_line(result->err);
    info.import_error =
        last.empty() ? fmt::format("the interpreter exited with status {}", result->exit_code)
                     : fmt::format("the interpreter failed: {}", last);
    return info;
  }
  std::istringstream lines(result->out);
  std::string name, value;
  while (lines >> name && std::getline(lines >> std::ws, value)) {
    if (!value.empty() && value.front() == '!') {
      info.import_error = fmt::format("import {}: {}", name, value.substr(1));
      continue;
    }
    if (name == "python") info.version = value;
    if (name == "torch") info.torch_version = value;
    if (name == "numpy") info.numpy_version = value;
    if (name == "matplotlib") info.matplotlib_version = value;
  }
  return info;
}

}  // namespace

core::Result<PythonInfo> resolve_python(const core::Environment& env, core::ProcessRunner& runner) {
  const std::string path_var = env.get_or("PATH", "/usr/local/bin:/usr/bin:/bin");
  if (auto chosen = env.get("AI_SCIENTIST_PYTHON")) {
    auto found = find_executable(*chosen, path_var);
    if (!found) {
      return core::fail(core::ErrorCode::config,
                        fmt::format("AI_SCIENTIST_PYTHON={} is not an executable; point it at a "
                                    "python3 that has torch, numpy and matplotlib, or unset it",
                                    *chosen));
    }
    return probe(*found, "AI_SCIENTIST_PYTHON", runner);
  }
  std::vector<std::pair<std::filesystem::path, std::string>> candidates;
  if (auto on_path = find_executable("python3", path_var)) {
    candidates.emplace_back(*on_path, "python3 on PATH");
  }
  std::error_code ec;
  if (std::filesystem::exists("/usr/bin/python3") &&
      (candidates.empty() ||
       !std::filesystem::equivalent(candidates.front().first, "/usr/bin/python3", ec))) {
    candidates.emplace_back("/usr/bin/python3", "Debian's /usr/bin/python3");
  }
  if (candidates.empty()) {
    return core::fail(core::ErrorCode::config,
                      "no python3 found on PATH or at /usr/bin/python3; install it with "
                      "scripts/setup.sh (apt-get install python3 python3-torch ...)");
  }
  std::optional<PythonInfo> first;
  for (const auto& [path, why] : candidates) {
    PythonInfo info = probe(path, why, runner);
    if (info.has_template_packages()) return info;
    if (!first) first = std::move(info);
  }
  return *first;
}

}  // namespace platform
