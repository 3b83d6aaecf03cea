#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "experiment/sandbox.h"
#include "experiment/template.h"

namespace experiment {

// Where experiment runs may go: one slot per GPU (or a number of CPU slots), held for the length
// of one run. The launch's scheduler implements it; a RunExecutor without one runs at once.
class RunSlots {
 public:
  virtual ~RunSlots() = default;
  // Blocks until a slot is free (or fails: cancelled when the launch stops). The slot is free
  // again when the returned lease is destroyed; its map is added to the run's environment
  // (CUDA_VISIBLE_DEVICES for a GPU slot).
  struct Lease {
    virtual ~Lease() = default;
    virtual std::map<std::string, std::string> env() const = 0;
  };
  virtual core::Result<std::unique_ptr<Lease>> acquire() = 0;
};

// How runs of one idea folder are started.
struct RunSettings {
  TemplateConfig config;  // the idea folder's copy of the template's settings
  std::string python;     // the interpreter "{python}" stands for
  bool smoke = false;     // add the template's smoke settings (tests, demos)
  std::map<std::string, std::string> extra_env;  // CUDA_VISIBLE_DEVICES from the scheduler, ...
  std::optional<std::chrono::seconds> timeout;   // overrides the template's run/plot timeout
  // Experiment runs take a slot from here first (plots do not); null: no scheduler.
  RunSlots* slots = nullptr;
};

// What one run or plot did, in terms the loops and the user need.
struct RunOutcome {
  bool ok = false;
  bool timed_out = false;
  int exit_code = -1;
  int term_signal = 0;
  std::chrono::milliseconds duration{0};
  std::string stderr_tail;  // the end of stderr, for the agent
  std::string problem;      // when not ok: what went wrong, in one sentence
  nlohmann::json means;     // final_info.json's means by condition (experiments that succeed)
  std::filesystem::path stdout_path, stderr_path;
};

// Runs an idea folder's experiment and plot commands under the sandbox. Thread-safe.
class RunExecutor {
 public:
  RunExecutor(const Sandbox& sandbox, RunSettings settings);

  // `run_command` with out_dir=run_N in `idea_dir`; stdout and stderr go to run_N/stdout.txt and
  // run_N/stderr.txt. A run that exits 0 without a valid run_N/final_info.json is not ok, and
  // `problem` says so. Errors only when the sandbox refuses to start (see Sandbox::run).
  core::Result<RunOutcome> run_experiment(const std::filesystem::path& idea_dir, int run) const;

  // `plot_command` in `idea_dir`; output to plot_stdout.txt / plot_stderr.txt there.
  core::Result<RunOutcome> run_plot(const std::filesystem::path& idea_dir) const;

  const RunSettings& settings() const { return m_settings; }

 private:
  core::Result<RunOutcome> execute(const std::filesystem::path& idea_dir,
                                   std::vector<std::string> argv, std::chrono::seconds timeout,
                                   const std::filesystem::path& log_dir,
                                   const std::string& log_prefix,
                                   const std::map<std::string, std::string>& slot_env = {}) const;

  const Sandbox& m_sandbox;
  RunSettings m_settings;
};

// The last `max_chars` characters of `text` (AI Scientist sends the last 1,500 of stderr).
std::string tail(std::string_view text, std::size_t max_chars);

}  // namespace experiment
