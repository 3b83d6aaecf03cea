#include "experiment/loops.h"

#include <algorithm>
#include <fstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/json.h"
#include "edit/coder.h"
#include "resources/resources.h"

namespace experiment {
namespace {

constexpr std::size_t k_stderr_chars = 1500;

core::Result<std::string> prompt(const LoopLimits& limits, std::string_view name,
                                 const std::vector<std::pair<std::string, std::string>>& values) {
  std::string path = fmt::format("prompts/experiment/{}", name);
  auto text = resources::text(path, limits.prompts_dir);
  if (!text) {
    return core::fail(core::ErrorCode::config, fmt::format("the prompt {} is missing", path));
  }
  return resources::fill(*text, values);
}

void say(const Progress& progress, std::string line) {
  if (progress) progress(line);
}

// The command as the model should picture it: `python experiment.py --out_dir=run_i`.
std::string command_text(const std::vector<std::string>& argv) {
  return fmt::format("{}", fmt::join(expand_command(argv, "python", "run_i"), " "));
}

std::vector<std::string> pngs(const std::filesystem::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".png") out.push_back(it->path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Files the run depends on changed: edits to notes.txt alone (which the loop asks for after every
// run) do not make a new experiment.
bool code_changed(const std::vector<std::string>& files) {
  return std::any_of(files.begin(), files.end(),
                     [](const std::string& f) { return f != "notes.txt"; });
}

// Copies experiment.py to run_N.py. Neither may be a symlink: sandboxed code could have planted
// one to make the engine copy a file of the user's into the folder, or overwrite one.
void snapshot(const std::filesystem::path& idea_dir, int run) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path from = idea_dir / "experiment.py";
  const fs::path to = idea_dir / fmt::format("run_{}.py", run);
  if (!fs::is_regular_file(fs::symlink_status(from, ec))) return;
  fs::remove(to, ec);
  fs::copy_file(from, to, ec);
}

// Moves a failed run's folder aside, so the next attempt starts clean and the logs survive.
void set_aside(const std::filesystem::path& idea_dir, int run, int attempt) {
  std::error_code ec;
  auto from = idea_dir / fmt::format("run_{}", run);
  if (!std::filesystem::exists(from, ec)) return;
  auto to = idea_dir / "failed_runs" / fmt::format("run_{}_attempt_{}", run, attempt);
  std::filesystem::create_directories(to.parent_path(), ec);
  std::filesystem::remove_all(to, ec);
  std::filesystem::rename(from, to, ec);
  if (ec) std::filesystem::remove_all(from, ec);
}

}  // namespace

core::Result<void> write_initial_notes(const std::filesystem::path& idea_dir, const IdeaText& idea,
                                       const nlohmann::json& baseline_means) {
  std::ofstream out(idea_dir / "notes.txt", std::ios::trunc);
  out << fmt::format(
      "# Title: {}\n# Experiment description: {}\n## Run 0: Baseline\n"
      "Results: {}\nDescription: Baseline results.\n",
      idea.title, idea.experiment, core::dump_json(baseline_means));
  if (!out) {
    return core::fail(core::ErrorCode::io,
                      fmt::format("cannot write {}", (idea_dir / "notes.txt").string()));
  }
  return {};
}

core::Result<ExperimentsResult> run_experiment_loop(edit::Coder& coder, const RunExecutor& executor,
                                                    const std::filesystem::path& idea_dir,
                                                    const IdeaText& idea,
                                                    const nlohmann::json& baseline_means,
                                                    const LoopLimits& limits,
                                                    const Progress& progress) {
  ExperimentsResult result;
  const auto& config = executor.settings().config;
  std::string message = TRY(prompt(limits, "first_run.txt",
                                   {{"title", idea.title},
                                    {"experiment", idea.experiment},
                                    {"max_runs", std::to_string(limits.max_runs)},
                                    {"baseline_results", core::dump_json(baseline_means, 2)},
                                    {"run_command", command_text(config.run_command)}}));
  int run = 1;
  int attempt = 0;
  std::string last_results;
  while (run <= limits.max_runs) {
    if (attempt >= limits.max_iters) {
      result.stop_reason =
          fmt::format("run {} failed {} times in a row; the loop stopped there", run, attempt);
      say(progress, result.stop_reason);
      return result;
    }
    say(progress, fmt::format("run {}/{}: asking the agent for the change", run, limits.max_runs));
    edit::CoderTurn turn = TRY(coder.run(message));
    if (turn.reply.find("ALL_COMPLETED") != std::string::npos) {
      result.agent_completed = true;
      result.stop_reason =
          fmt::format("the agent completed the experiments after {} run(s)", result.runs_completed);
      say(progress, result.stop_reason);
      return result;
    }
    ++attempt;
    if (!code_changed(turn.changed_files)) {
      // Running identical code again would only repeat the last result.
      say(progress, fmt::format("run {}: the reply changed nothing; asking again", run));
      message = TRY(prompt(limits, "run_unchanged.txt", {{"run", std::to_string(run)}}));
      continue;
    }
    snapshot(idea_dir, run);
    say(progress, fmt::format("run {}/{}: running (attempt {} of {})", run, limits.max_runs,
                              attempt, limits.max_iters));
    RunOutcome outcome = TRY(executor.run_experiment(idea_dir, run));
    if (outcome.ok) {
      say(progress,
          fmt::format("run {}: done in {:.1f} s", run, outcome.duration.count() / 1000.0));
      result.runs_completed = run;
      last_results = core::dump_json(outcome.means, 2);
      message = TRY(prompt(limits, "run_succeeded.txt",
                           {{"run", std::to_string(run)},
                            {"next_run", std::to_string(run + 1)},
                            {"results", core::dump_json(outcome.means, 2)}}));
      ++run;
      attempt = 0;
      continue;
    }
    say(progress, fmt::format("run {}: failed: {}", run, outcome.problem));
    set_aside(idea_dir, run, attempt);
    message = TRY(prompt(limits, "run_failed.txt",
                         {{"run", std::to_string(run)},
                          {"attempt", std::to_string(attempt)},
                          {"max_iters", std::to_string(limits.max_iters)},
                          {"reason", outcome.problem},
                          {"stderr", tail(outcome.stderr_tail, k_stderr_chars)}}));
  }
  result.stop_reason = fmt::format("all {} runs were used", limits.max_runs);
  say(progress, result.stop_reason);
  // The last run's results still go to the agent, for the notes the paper is written from
  // (AI Scientist ends the loop without showing them).
  TRY(coder.run(TRY(prompt(limits, "last_run.txt",
                           {{"run", std::to_string(limits.max_runs)},
                            {"max_runs", std::to_string(limits.max_runs)},
                            {"results", last_results}})),
                true));
  return result;
}

core::Result<PlotResult> run_plot_loop(edit::Coder& coder, const RunExecutor& executor,
                                       const std::filesystem::path& idea_dir,
                                       const LoopLimits& limits, const Progress& progress) {
  PlotResult result;
  std::string message =
      TRY(prompt(limits, "plot.txt",
                 {{"plot_command", command_text(executor.settings().config.plot_command)}}));
  for (int attempt = 1; attempt <= limits.max_iters; ++attempt) {
    TRY(coder.run(message, true));
    say(progress, fmt::format("plots: running (attempt {} of {})", attempt, limits.max_iters));
    RunOutcome outcome = TRY(executor.run_plot(idea_dir));
    if (outcome.ok) {
      result.ok = true;
      result.figures = pngs(idea_dir);
      say(progress, fmt::format("plots: {} figure(s)", result.figures.size()));
      return result;
    }
    result.problem = outcome.problem;
    say(progress, fmt::format("plots: failed: {}", outcome.problem));
    message = TRY(prompt(limits, "plot_failed.txt",
                         {{"attempt", std::to_string(attempt)},
                          {"max_iters", std::to_string(limits.max_iters)},
                          {"reason", outcome.problem},
                          {"stderr", tail(outcome.stderr_tail, k_stderr_chars)}}));
  }
  result.figures = pngs(idea_dir);
  return result;
}

core::Result<void> run_notes_step(edit::Coder& coder, const std::vector<std::string>& figures,
                                  const LoopLimits& limits) {
  std::string message =
      TRY(prompt(limits, "notes.txt",
                 {{"figures", figures.empty() ? std::string("none")
                                              : fmt::format("{}", fmt::join(figures, ", "))}}));
  TRY(coder.run(message, true));
  return {};
}

}  // namespace experiment
