#include "cli/doctor_checks.h"

#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "experiment/sandbox.h"
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

// The first line of `text` that is not blank (latexmk, for one, prints a blank line first).
std::string first_nonblank_line(std::string_view text) {
  std::size_t start = text.find_first_not_of("\n\r \t");
  return start == std::string_view::npos ? "" : first_line(text.substr(start));
}

// `url` without the `user[:password]@` part of its authority, so that doctor can print an
// address someone configured as https://user:token@host/v1 without printing the token. The
// scheme is optional ("bob:pw@host:8000/v1" is cut too); an '@' after the authority (in the path,
// query or fragment) is left alone. The last '@' of the authority is the separator, since an
// unencoded password may itself contain one.
std::string strip_userinfo(std::string_view url) {
  std::size_t authority = url.find("://");
  authority = authority == std::string_view::npos ? 0 : authority + 3;
  std::size_t authority_end = url.find_first_of("/?#", authority);
  if (authority_end == std::string_view::npos) authority_end = url.size();
  std::size_t at = url.substr(authority, authority_end - authority).rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  return std::string(url.substr(0, authority)) + std::string(url.substr(authority + at + 1));
}

// Why a child that ran did not succeed, in one line: the first line of its stderr (of stdout when
// stderr is empty), else how it ended.
std::string describe_failure(const core::ProcessResult& res) {
  if (res.timed_out) return "timed out";
  std::string line = first_nonblank_line(res.err.empty() ? res.out : res.err);
  if (!line.empty()) return line;
  if (res.term_signal != 0) return fmt::format("killed by signal {}", res.term_signal);
  return fmt::format("exited with status {}", res.exit_code);
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
      r.detail += fmt::format("; {}={}", p.base_url_env, strip_userinfo(*base));
    out.push_back(std::move(r));
  }
  int servers = 0;
  for (const auto& p : llm::providers()) {
    if (!p.local) continue;
    std::string base(p.default_base_url);
    if (auto v = env.get(p.base_url_env)) base = *v;
    // The request keeps any credentials in the URL (curl sends them); messages never show them.
    const std::string shown = strip_userinfo(base);
    core::HttpRequest req;
    req.method = "GET";
    req.url = base + "/models";
    // A server started with an API key (vllm --api-key, llama-server --api-key) refuses the
    // probe without it, exactly as it would refuse the pipeline's calls.
    const std::optional<std::string> key = p.key_env.empty() ? std::nullopt : env.get(p.key_env);
    if (key) req.headers.emplace_back("Authorization", "Bearer " + *key);
    req.connect_timeout = std::chrono::seconds(1);
    req.idle_timeout = std::chrono::seconds(2);
    req.total_timeout = std::chrono::seconds(3);
    CheckResult r{"llm", fmt::format("{} server", p.name), CheckStatus::note, "", ""};
    auto resp = transport.send(req);
    if (!resp) {
      // No HTTP answer at all: nothing listens there (or it hangs).
      r.detail = fmt::format("not reachable at {} (start it, or set {})", shown, p.base_url_env);
    } else if (resp->status == 200) {
      auto j = nlohmann::json::parse(resp->body, nullptr, false);
      std::size_t models =
          (!j.is_discarded() && j.is_object() && j.contains("data") && j["data"].is_array())
              ? j["data"].size()
              : 0;
      r.status = CheckStatus::ok;
      r.detail =
          fmt::format("answers at {} ({} model(s)): use --model {}/MODEL", shown, models, p.name);
      ++servers;
    } else {
      // Something answers, so "start it" would mislead; say what it answered.
      r.detail = fmt::format("answers at {} with HTTP {}", shown, resp->status);
      if ((resp->status == 401 || resp->status == 403) && !p.key_env.empty()) {
        r.detail +=
            key ? fmt::format(" ({} is set but was refused: check it)", p.key_env)
                : fmt::format(" (set {} if the server was started with an API key)", p.key_env);
      }
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
    const std::string fix = fmt::format("{} (or: apt-get install {})", k_setup_fix, t.package);
    auto found = platform::find_executable(t.name, path_var);
    if (!found) {
      r.detail = "not found on PATH";
      r.fix = fix;
      out.push_back(std::move(r));
      continue;
    }
    core::ProcessSpec spec;
    spec.argv = {found->string(), t.version_flag};
    spec.timeout = std::chrono::seconds(20);
    auto res = runner.run(spec);
    // A tool that cannot even print its version (a broken install, a missing shared library, a
    // stub left behind by a removed package) will not build a paper either.
    if (!res) {
      r.detail = fmt::format("{} cannot run: {}", found->string(), res.error().message);
      r.fix = fix;
    } else if (!res->ok()) {
      r.detail =
          fmt::format("{} {} failed: {}", found->string(), t.version_flag, describe_failure(*res));
      r.fix = fix;
    } else {
      r.status = CheckStatus::ok;
      r.detail = fmt::format("{}: {}", found->string(),
                             first_nonblank_line(res->out.empty() ? res->err : res->out));
    }
    out.push_back(std::move(r));
  }
}

void check_sandbox(const core::Environment& env, std::vector<CheckResult>& out) {
  CheckResult r{"sandbox", "bubblewrap", CheckStatus::missing, "", ""};
  auto bwrap = platform::find_executable("bwrap", env.get_or("PATH", ""));
  if (!bwrap) {
    r.detail = "bwrap not found on PATH";
    r.fix = fmt::format("{} (or: apt-get install bubblewrap)", k_setup_fix);
    out.push_back(std::move(r));
    return;
  }
  // The same probe the runs use, so what doctor says is what a run gets.
  auto sandbox = experiment::Sandbox::create(true, *bwrap);
  const auto& caps = sandbox->capabilities();
  if (caps.bubblewrap) {
    r.status = CheckStatus::ok;
    r.detail = fmt::format("{}: creates a sandbox here", bwrap->string());
  } else {
    r.detail = fmt::format("{} cannot create a sandbox here: {}", bwrap->string(),
                           caps.bubblewrap_problem);
    r.fix =
        "allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, or on "
        "Ubuntu an AppArmor profile for bwrap), or run inside a container that permits them; "
        "--no-sandbox runs without isolation (not recommended)";
  }
  out.push_back(std::move(r));
  // Which limits a run gets here, as its manifest will record them.
  CheckResult limits{"sandbox", "limits", CheckStatus::ok, "", ""};
  if (!caps.memory_limit || !caps.process_limit) {
    limits.status = CheckStatus::note;
    limits.fix =
        "memory and process limits need a writable cgroup (v2 with delegated memory and "
        "pids controllers, or v1 memory and pids hierarchies); without one a run can "
        "exhaust the machine's memory or processes";
  }
  limits.detail = fmt::format("{}", fmt::join(caps.describe(caps.bubblewrap), "; "));
  out.push_back(std::move(limits));
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
        "no NVIDIA driver found: experiments run on the CPU (slower; full-size runs want a GPU)";
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
  check_sandbox(env, out);
  check_python(env, runner, out);
  check_gpus(env, runner, out);
  return out;
}

}  // namespace cli
