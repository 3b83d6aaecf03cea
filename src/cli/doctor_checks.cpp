#include "cli/doctor_checks.h"

#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "llm/providers.h"
#include "platform/executables.h"
#include "platform/python.h"

namespace cli {
namespace {

constexpr std::string_view k_setup_fix = "run scripts/setup.sh (as root, or with sudo)";

std::string first_line(std::string_view text) {
  auto end = text.find('\n');
  std::string line(text.substr(0, end));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
    line.pop_back();
  return line;
}

void check_llm(const core::Environment& env, core::HttpTransport& transport,
               std::vector<CheckResult>& out) {
  int keys = 0;
  for (const auto& p : llm::providers()) {
    if (!p.key_required) continue;
    CheckResult r{"llm", std::string(p.key_env), CheckStatus::note, "", ""};
    if (env.get(p.key_env)) {
      r.status = CheckStatus::ok;
      r.detail = fmt::format("set: {}/MODEL can be used", p.name);
      ++keys;
    } else {
      r.detail = fmt::format("not set (keys: {})", p.key_help);
    }
    if (auto base = env.get(p.base_url_env))
      r.detail += fmt::format("; {}={}", p.base_url_env, *base);
    out.push_back(std::move(r));
  }
  int servers = 0;
  for (const auto& p : llm::providers()) {
    if (!p.local) continue;
    std::string base(p.default_base_url);
    if (auto v = env.get(p.base_url_env)) base = *v;
    core::HttpRequest req;
    req.method = "GET";
    req.url = base + "/models";
    req.connect_timeout = std::chrono::seconds(1);
    req.idle_timeout = std::chrono::seconds(2);
    req.total_timeout = std::chrono::seconds(3);
    CheckResult r{"llm", fmt::format("{} server", p.name), CheckStatus::note, "", ""};
    auto resp = transport.send(req);
    if (resp && resp->status == 200) {
      auto j = nlohmann::json::parse(resp->body, nullptr, false);
      std::size_t models =
          (!j.is_discarded() && j.is_object() && j.contains("data") && j["data"].is_array())
              ? j["data"].size()
              : 0;
      r.status = CheckStatus::ok;
      r.detail =
          fmt::format("answers at {} ({} model(s)): use --model {}/MODEL", base, models, p.name);
      ++servers;
    } else {
      r.detail = fmt::format("not reachable at {} (start it, or set {})", base, p.base_url_env);
    }
    out.push_back(std::move(r));
  }
  if (keys == 0 && servers == 0) {
    out.push_back({"llm", "any model", CheckStatus::note,
                   "no API key and no local server: only replayed transcripts can answer",
                   "export one provider's API key (e.g. OPENAI_API_KEY), or start a local "
                   "server such as ollama"});
  }
}

void check_tools(const core::Environment& env, core::ProcessRunner& runner,
                 std::vector<CheckResult>& out) {
  struct Tool {
    const char* name;
    const char* version_flag;
    const char* group;
    const char* package;
  };
  const Tool tools[] = {
      {"pdflatex", "--version", "latex", "texlive-latex-base"},
      {"bibtex", "--version", "latex", "texlive-binaries"},
      {"latexmk", "-v", "latex", "latexmk"},
      {"chktex", "--version", "latex", "chktex"},
      {"pdftotext", "-v", "latex", "poppler-utils"},
  };
  const std::string path_var = env.get_or("PATH", "");
  for (const auto& t : tools) {
    CheckResult r{t.group, t.name, CheckStatus::missing, "", ""};
    auto found = platform::find_executable(t.name, path_var);
    if (!found) {
      r.detail = "not found on PATH";
      r.fix = fmt::format("{} (or: apt-get install {})", k_setup_fix, t.package);
    } else {
      core::ProcessSpec spec;
      spec.argv = {found->string(), t.version_flag};
      spec.timeout = std::chrono::seconds(20);
      auto res = runner.run(spec);
      r.status = CheckStatus::ok;
      std::string text = res ? (res->out.empty() ? res->err : res->out) : "";
      // latexmk prints a blank line first.
      std::size_t start = text.find_first_not_of("\n\r ");
      r.detail = fmt::format("{}: {}", found->string(),
                             first_line(start == std::string::npos ? "" : text.substr(start)));
    }
    out.push_back(std::move(r));
  }
}

void check_sandbox(const core::Environment& env, core::ProcessRunner& runner,
                   std::vector<CheckResult>& out) {
  CheckResult r{"sandbox", "bubblewrap", CheckStatus::missing, "", ""};
  auto bwrap = platform::find_executable("bwrap", env.get_or("PATH", ""));
  if (!bwrap) {
    r.detail = "bwrap not found on PATH";
    r.fix = fmt::format("{} (or: apt-get install bubblewrap)", k_setup_fix);
    out.push_back(std::move(r));
    return;
  }
  core::ProcessSpec spec;
  spec.argv = {bwrap->string(),
               "--unshare-net",
               "--unshare-pid",
               "--die-with-parent",
               "--ro-bind",
               "/",
               "/",
               "--dev",
               "/dev",
               "--proc",
               "/proc",
               "--tmpfs",
               "/tmp",
               "/bin/sh",
               "-c",
               "echo sandboxed"};
  spec.timeout = std::chrono::seconds(20);
  auto res = runner.run(spec);
  if (res && res->ok() && res->out.find("sandboxed") != std::string::npos) {
    r.status = CheckStatus::ok;
    r.detail = fmt::format(
        "{}: created a sandbox (no network, own PID namespace, read-only "
        "system)",
        bwrap->string());
  } else {
    r.detail = fmt::format("{} is installed but cannot create a sandbox here: {}", bwrap->string(),
                           res ? first_line(res->err) : res.error().message);
    r.fix =
        "allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, or on "
        "Ubuntu an AppArmor profile for bwrap), or run inside a container that permits them";
  }
  out.push_back(std::move(r));
}

void check_python(const core::Environment& env, core::ProcessRunner& runner,
                  std::vector<CheckResult>& out) {
  CheckResult r{"python", "python3", CheckStatus::missing, "", ""};
  auto py = platform::resolve_python(env, runner);
  if (!py) {
    r.detail = py.error().message;
    r.fix = fmt::format("{} (or: apt-get install python3)", k_setup_fix);
    out.push_back(std::move(r));
    return;
  }
  if (py->has_template_packages()) {
    r.status = CheckStatus::ok;
    r.detail = fmt::format("{} ({}), Python {}: torch {}, numpy {}, matplotlib {}",
                           py->interpreter.string(), py->why, py->version, py->torch_version,
                           py->numpy_version, py->matplotlib_version);
  } else {
    r.detail = fmt::format("{} ({}) lacks a template package: {}", py->interpreter.string(),
                           py->why, py->import_error);
    r.fix = fmt::format(
        "{} (or: apt-get install python3-torch python3-numpy python3-matplotlib); "
        "set AI_SCIENTIST_PYTHON to use another interpreter",
        k_setup_fix);
  }
  out.push_back(std::move(r));
}

void check_gpus(const core::Environment& env, core::ProcessRunner& runner,
                std::vector<CheckResult>& out) {
  CheckResult r{"gpu", "nvidia-smi", CheckStatus::note, "", ""};
  auto smi = platform::find_executable("nvidia-smi", env.get_or("PATH", ""));
  if (!smi) {
    r.detail =
        "no NVIDIA driver found: experiments run on the CPU (use the templates' --smoke "
        "sizes, or a machine with a GPU for full runs)";
    out.push_back(std::move(r));
    return;
  }
  core::ProcessSpec spec;
  spec.argv = {smi->string(), "--query-gpu=index,name,memory.total", "--format=csv,noheader"};
  spec.timeout = std::chrono::seconds(30);
  auto res = runner.run(spec);
  if (res && res->ok() && !res->out.empty()) {
    std::istringstream lines(res->out);
    std::string line;
    std::vector<std::string> gpus;
    while (std::getline(lines, line)) {
      if (!line.empty()) gpus.push_back(line);
    }
    r.status = CheckStatus::ok;
    r.detail = fmt::format("{} GPU(s): {}", gpus.size(), fmt::join(gpus, "; "));
  } else {
    r.detail =
        fmt::format("nvidia-smi failed: {}",
                    res ? first_line(res->err.empty() ? res->out : res->err) : res.error().message);
    r.fix = "check the NVIDIA driver installation";
  }
  out.push_back(std::move(r));
}

}  // namespace

std::string_view to_string(CheckStatus status) {
  switch (status) {
    case CheckStatus::ok:
      return "ok";
    case CheckStatus::note:
      return "note";
    case CheckStatus::missing:
      return "missing";
  }
  return "missing";
}

std::vector<CheckResult> run_checks(const core::Environment& env, core::ProcessRunner& runner,
                                    core::HttpTransport& transport) {
  std::vector<CheckResult> out;
  check_llm(env, transport, out);
  check_tools(env, runner, out);
  check_sandbox(env, runner, out);
  check_python(env, runner, out);
  check_gpus(env, runner, out);
  return out;
}

}  // namespace cli
