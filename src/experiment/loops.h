#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "edit/coder.h"
#include "experiment/runner.h"

// AI Scientist's experiment, plot and notes loops, with its known bugs fixed: a run that exits 0
// without results is a failed attempt (not a crash), a reply that changes nothing is not re-run,
// a failed run's output is kept (moved aside) instead of deleted, and every step is reported.
namespace experiment {

struct IdeaText {
  std::string name;
  std::string title;
  std::string experiment;  // the idea's "Experiment" description
};

struct LoopLimits {
  int max_runs = 5;   // --max-runs
  int max_iters = 4;  // --max-iters: attempts per run (and per plot)
  // A folder whose prompts/experiment/*.txt replace the built-in prompts; empty: built-in.
  std::filesystem::path prompts_dir;
};

using Progress = std::function<void(std::string_view line)>;

struct ExperimentsResult {
  int runs_completed = 0;        // successful runs, run_1 .. run_N
  bool agent_completed = false;  // the agent said ALL_COMPLETED
  std::string stop_reason;       // why the loop ended, in words
};

// notes.txt's first lines, as AI Scientist writes them: the title, the experiment description
// and the baseline's results. Overwrites notes.txt.
core::Result<void> write_initial_notes(const std::filesystem::path& idea_dir, const IdeaText& idea,
                                       const nlohmann::json& baseline_means);

// The experiment loop: up to max_runs runs, up to max_iters attempts each. Before each attempt
// the experiment code is snapshotted to run_N.py; a failed attempt's folder is moved to
// failed_runs/run_N_attempt_K (so its logs survive) and the end of its stderr goes back to the
// agent; a success sends the means and asks for notes; ALL_COMPLETED ends the loop. When all
// max_runs runs were used, the last run's means still go to the agent, asking for its notes. Fails only
// when the model or the sandbox cannot be used at all (the error says which); what was done
// before stays on disk.
core::Result<ExperimentsResult> run_experiment_loop(edit::Coder& coder, const RunExecutor& executor,
                                                    const std::filesystem::path& idea_dir,
                                                    const IdeaText& idea,
                                                    const nlohmann::json& baseline_means,
                                                    const LoopLimits& limits,
                                                    const Progress& progress = {});

struct PlotResult {
  bool ok = false;
  std::vector<std::string> figures;  // PNG files in the idea folder after plotting
  std::string problem;               // when not ok: the last failure
};

// The plot loop: the agent edits plot.py, the engine runs it, errors go back, up to max_iters
// attempts. A plot failure is a result (recorded), not an error.
core::Result<PlotResult> run_plot_loop(edit::Coder& coder, const RunExecutor& executor,
                                       const std::filesystem::path& idea_dir,
                                       const LoopLimits& limits, const Progress& progress = {});

// The notes step: the agent describes every figure in notes.txt.
core::Result<void> run_notes_step(edit::Coder& coder, const std::vector<std::string>& figures,
                                  const LoopLimits& limits);

}  // namespace experiment
