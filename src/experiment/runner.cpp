#include "experiment/runner.h"

#include <fmt/format.h>

namespace experiment {

std::string tail(std::string_view text, std::size_t max_chars) {
  if (text.size() <= max_chars) return std::string(text);
  return "..." + std::string(text.substr(text.size() - max_chars));
}

RunExecutor::RunExecutor(const Sandbox& sandbox, RunSettings settings)
    : m_sandbox(sandbox), m_settings(std::move(settings)) {}

core::Result<RunOutcome> RunExecutor::execute(
    const std::filesystem::path& idea_dir, std::vector<std::string> argv,
    std::chrono::seconds timeout, const std::filesystem::path& log_dir,
    const std::string& log_prefix, const std::map<std::string, std::string>& slot_env) const {
  const auto& c = m_settings.config;
  std::map<std::string, std::string> extra = m_settings.extra_env;
  for (const auto& [k, v] : slot_env)
    extra[k] = v;
  if (m_settings.smoke) {
    for (const auto& [k, v] : c.smoke_env)
      extra[k] = v;
  }
  std::error_code ec;
  std::filesystem::create_directories(log_dir, ec);
  if (ec) {
    return core::fail(core::ErrorCode::io,
                      fmt::format("cannot create {}: {}", log_dir.string(), ec.message()));
  }
  SandboxSpec spec;
  spec.argv = std::move(argv);
  spec.workdir = idea_dir;
  for (const auto& ro : c.read_only)
    spec.read_only.push_back(idea_dir / ro);
  spec.env = clean_env(idea_dir, extra);
  spec.limits.timeout = timeout;
  spec.limits.memory_bytes = c.memory_mb * 1024ull * 1024ull;
  spec.limits.max_processes = c.processes;
  spec.stdout_path = log_dir / (log_prefix + "stdout.txt");
  spec.stderr_path = log_dir / (log_prefix + "stderr.txt");
  SandboxResult r = TRY(m_sandbox.run(spec));

  RunOutcome out;
  out.ok = r.ok();
  out.timed_out = r.timed_out;
  out.exit_code = r.exit_code;
  out.term_signal = r.term_signal;
  out.duration = r.duration;
  out.stderr_tail = r.stderr_tail;
  out.stdout_path = spec.stdout_path;
  out.stderr_path = spec.stderr_path;
  if (r.timed_out) {
    out.problem = fmt::format("it timed out after {} s and was stopped", timeout.count());
  } else if (!r.limit_hit.empty()) {
    out.problem = fmt::format("it ran into the {} and was stopped", r.limit_hit);
  } else if (r.term_signal != 0) {
    out.problem = fmt::format("it was killed by signal {}", r.term_signal);
  } else if (r.exit_code != 0) {
    out.problem = fmt::format("it exited with status {}", r.exit_code);
  }
  return out;
}

namespace {

// Makes `idea_dir`/`name` a fresh, empty folder of ours. Whatever was there (a folder left by an
// earlier attempt, whose stale final_info.json must not pass for this run's, or a symlink planted
// by sandboxed code) is moved to previous_runs/ rather than deleted. No sandboxed process runs at
// this point, so nothing can swap the folder between these steps and the run.
core::Result<void> fresh_run_folder(const std::filesystem::path& idea_dir,
                                    const std::string& name) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path folder = idea_dir / name;
  if (fs::exists(fs::symlink_status(folder, ec))) {
    fs::create_directories(idea_dir / "previous_runs", ec);
    for (int k = 1;; ++k) {
      fs::path to = idea_dir / "previous_runs" / fmt::format("{}_{}", name, k);
      if (fs::exists(fs::symlink_status(to, ec))) continue;
      fs::rename(folder, to, ec);  // moves a symlink itself, never its target
      break;
    }
    if (ec) {
      return core::fail(core::ErrorCode::io, fmt::format("cannot move the old {} aside: {}",
                                                         folder.string(), ec.message()));
    }
  }
  fs::create_directory(folder, ec);
  if (ec) {
    return core::fail(core::ErrorCode::io,
                      fmt::format("cannot create {}: {}", folder.string(), ec.message()));
  }
  return {};
}

}  // namespace

core::Result<RunOutcome> RunExecutor::run_experiment(const std::filesystem::path& idea_dir,
                                                     int run) const {
  const auto& c = m_settings.config;
  const std::string out_dir = fmt::format("run_{}", run);
  TRY_VOID(fresh_run_folder(idea_dir, out_dir));
  std::vector<std::string> command = c.run_command;
  if (m_settings.smoke) command.insert(command.end(), c.smoke_args.begin(), c.smoke_args.end());
  auto argv = expand_command(command, m_settings.python, out_dir);
  std::unique_ptr<RunSlots::Lease> lease;
  if (m_settings.slots != nullptr) lease = TRY(m_settings.slots->acquire());
  RunOutcome out =
      TRY(execute(idea_dir, argv, m_settings.timeout.value_or(c.run_timeout), idea_dir / out_dir,
                  "", lease ? lease->env() : decltype(lease->env()){}));
  if (out.ok) {
    auto means = read_means(idea_dir / out_dir);
    if (means) {
      out.means = *means;
    } else {
      out.ok = false;
      out.problem = fmt::format("it exited 0, but {}", means.error().message);
    }
  }
  return out;
}

core::Result<RunOutcome> RunExecutor::run_plot(const std::filesystem::path& idea_dir) const {
  const auto& c = m_settings.config;
  auto argv = expand_command(c.plot_command, m_settings.python, "");
  return execute(idea_dir, argv, m_settings.timeout.value_or(c.plot_timeout), idea_dir, "plot_");
}

}  // namespace experiment
