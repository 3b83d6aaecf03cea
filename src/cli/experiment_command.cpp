// `ai-scientist template ...` and `ai-scientist experiment run`: templates and single runs, in
// the sandbox.
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "cli/app.h"
#include "cli/paths.h"
#include "cli/sandbox_flags.h"
#include "core/json.h"
#include "experiment/runner.h"
#include "experiment/sandbox.h"
#include "experiment/template.h"
#include "platform/posix_process_runner.h"
#include "platform/python.h"

namespace cli {
namespace {

int fail_with(const core::Error& e) {
  std::cerr << "error: " << e.message << '\n';
  return k_exit_failure;
}

// The interpreter for "{python}": the template's own, else the resolved one (see doctor).
core::Result<std::string> python_for(const experiment::TemplateConfig& config,
                                     const core::Environment& env) {
  if (!config.interpreter.empty()) return config.interpreter;
  platform::PosixProcessRunner runner;
  auto py = TRY(platform::resolve_python(env, runner));
  return py.interpreter.string();
}

nlohmann::json outcome_json(const experiment::RunOutcome& o) {
  return {{"ok", o.ok},
          {"exit_code", o.exit_code},
          {"signal", o.term_signal},
          {"timed_out", o.timed_out},
          {"duration_s", o.duration.count() / 1000.0},
          {"problem", o.problem},
          {"stderr_tail", o.stderr_tail},
          {"means", o.means},
          {"stdout", o.stdout_path.string()},
          {"stderr", o.stderr_path.string()}};
}

void print_outcome(const std::string& what, const experiment::RunOutcome& o) {
  if (o.ok) {
    std::cout << fmt::format("{}: ok in {:.1f} s\n", what, o.duration.count() / 1000.0);
    if (!o.means.is_null()) std::cout << core::dump_json(o.means, 2) << '\n';
  } else {
    std::cout << fmt::format("{}: failed: {} (after {:.1f} s)\n", what, o.problem,
                             o.duration.count() / 1000.0);
    if (!o.stderr_tail.empty()) std::cout << "stderr (end):\n" << o.stderr_tail << '\n';
    std::cout << fmt::format("full output: {} and {}\n", o.stdout_path.string(),
                             o.stderr_path.string());
  }
}

struct TemplateFlags {
  std::string target;
  bool smoke = false;
  bool no_sandbox = false;
};

int run_template_list(const core::Environment& env) {
  int found = 0;
  for (const auto& dir : template_dirs(env)) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) continue;
    std::vector<std::filesystem::path> entries;
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      std::error_code type_ec;
      if (it->is_directory(type_ec)) entries.push_back(it->path());
    }
    std::sort(entries.begin(), entries.end());
    for (const auto& t : entries) {
      auto problems = experiment::check_template(t);
      bool baseline = std::filesystem::exists(t / "run_0" / "final_info.json", ec);
      std::cout << fmt::format("{:<16} {}{}\n", t.filename().string(), t.string(),
                               !problems.empty() ? fmt::format("  ({} problem(s): `ai-scientist "
                                                               "template check {}`)",
                                                               problems.size(), t.string())
                               : !baseline       ? "  (no baseline yet: `ai-scientist template "
                                                   "baseline` makes run_0)"
                                                 : "");
      ++found;
    }
  }
  if (found == 0) {
    std::cout << "no templates found; set AI_SCIENTIST_TEMPLATES to a folder of templates\n";
  }
  return k_exit_ok;
}

int run_template_check(const TemplateFlags& f, const core::Environment& env) {
  auto dir = find_template(f.target, env);
  if (!dir) return fail_with(dir.error());
  auto problems = experiment::check_template(*dir);
  std::error_code ec;
  if (!std::filesystem::exists(*dir / "run_0" / "final_info.json", ec)) {
    problems.push_back(
        "run_0/final_info.json: no baseline yet (`ai-scientist template baseline` "
        "makes it)");
  }
  if (problems.empty()) {
    std::cout << fmt::format("{}: complete\n", dir->string());
    return k_exit_ok;
  }
  std::cout << fmt::format("{}: {} problem(s)\n", dir->string(), problems.size());
  for (const auto& p : problems)
    std::cout << "  " << p << '\n';
  return k_exit_failure;
}

int run_template_baseline(const TemplateFlags& f, const core::Environment& env) {
  auto dir = find_template(f.target, env);
  if (!dir) return fail_with(dir.error());
  auto tmpl = experiment::load_template(*dir);
  if (!tmpl) return fail_with(tmpl.error());
  auto python = python_for(tmpl->config, env);
  if (!python) return fail_with(python.error());
  auto sandbox = make_sandbox(f.no_sandbox);
  if (!sandbox) return fail_with(sandbox.error());
  experiment::RunSettings settings{tmpl->config, *python, f.smoke, {}, std::nullopt};
  experiment::RunExecutor executor(**sandbox, settings);
  std::cout << fmt::format("baseline of {}{}: running run_0 in {}\n", tmpl->name,
                           f.smoke ? " (smoke size)" : "", tmpl->dir.string())
            << std::flush;
  auto run = executor.run_experiment(tmpl->dir, 0);
  if (!run) return fail_with(run.error());
  print_outcome("run_0", *run);
  if (!run->ok) return k_exit_failure;
  std::cout << "plotting\n" << std::flush;
  auto plot = executor.run_plot(tmpl->dir);
  if (!plot) return fail_with(plot.error());
  print_outcome("plot", *plot);
  return plot->ok ? k_exit_ok : k_exit_failure;
}

struct RunFlags {
  std::string dir;
  int run = 1;
  std::optional<int> timeout;
  bool no_sandbox = false;
  bool smoke = false;
  bool json_output = false;
};

int run_experiment_run(const RunFlags& f, const core::Environment& env) {
  std::error_code ec;
  if (!std::filesystem::is_directory(f.dir, ec)) {
    std::cerr << fmt::format("error: --dir {} is not a folder\n", f.dir);
    return k_exit_usage;
  }
  experiment::TemplateConfig config;
  if (std::filesystem::exists(std::filesystem::path(f.dir) / "template.toml", ec)) {
    std::ifstream in(std::filesystem::path(f.dir) / "template.toml");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto parsed = experiment::parse_template_toml(text, "template.toml");
    if (!parsed) return fail_with(parsed.error());
    config = *parsed;
  }
  auto python = python_for(config, env);
  if (!python) return fail_with(python.error());
  auto sandbox = make_sandbox(f.no_sandbox);
  if (!sandbox) return fail_with(sandbox.error());
  experiment::RunSettings settings{config, *python, f.smoke, {}, std::nullopt};
  if (f.timeout) settings.timeout = std::chrono::seconds(*f.timeout);
  if (auto gpus = env.get("CUDA_VISIBLE_DEVICES"))
    settings.extra_env["CUDA_VISIBLE_DEVICES"] = *gpus;
  experiment::RunExecutor executor(**sandbox, settings);
  auto out = executor.run_experiment(std::filesystem::absolute(f.dir, ec), f.run);
  if (!out) return fail_with(out.error());
  if (f.json_output) {
    std::cout << core::dump_json(outcome_json(*out), 2) << '\n';
  } else {
    print_outcome(fmt::format("run_{}", f.run), *out);
  }
  return out->ok ? k_exit_ok : k_exit_failure;
}

}  // namespace

Command template_command() {
  return {"template", "List, check and run the baseline of research templates",
          [](CLI::App& app, const core::Environment& env) -> std::function<int()> {
            app.require_subcommand(1);
            auto flags = std::make_shared<TemplateFlags>();
            auto chosen = std::make_shared<std::function<int()>>();
            CLI::App* list = app.add_subcommand("list", "The templates found, and their state");
            list->final_callback(
                [chosen, &env] { *chosen = [&env] { return run_template_list(env); }; });
            CLI::App* check = app.add_subcommand("check", "Say what is missing or malformed");
            check->add_option("dir", flags->target, "Template folder or name")->required();
            check->final_callback([chosen, flags, &env] {
              *chosen = [flags, &env] { return run_template_check(*flags, env); };
            });
            CLI::App* baseline = app.add_subcommand(
                "baseline", "Run run_0 and the plots of a template, in the sandbox");
            baseline->add_option("template", flags->target, "Template name or folder")->required();
            baseline->add_flag("--smoke", flags->smoke, "Tiny sizes that finish in seconds");
            baseline->add_flag("--no-sandbox", flags->no_sandbox,
                               "Run without isolation (not recommended)");
            baseline->final_callback([chosen, flags, &env] {
              *chosen = [flags, &env] { return run_template_baseline(*flags, env); };
            });
            return [chosen] { return (*chosen) ? (*chosen)() : k_exit_usage; };
          }};
}

Command experiment_command() {
  return {"experiment", "Run an idea folder's experiment in the sandbox",
          [](CLI::App& app, const core::Environment& env) -> std::function<int()> {
            app.require_subcommand(1);
            auto flags = std::make_shared<RunFlags>();
            CLI::App* run = app.add_subcommand("run", "Run one run (run_N) of an idea folder");
            run->add_option("--dir", flags->dir, "The idea folder")->required();
            run->add_option("--run", flags->run, "The run number N (out_dir=run_N)")
                ->check(CLI::NonNegativeNumber);
            run->add_option("--timeout", flags->timeout, "Seconds before the run is stopped")
                ->check(CLI::PositiveNumber);
            run->add_flag("--no-sandbox", flags->no_sandbox,
                          "Run without isolation (not recommended)");
            run->add_flag("--smoke", flags->smoke, "The template's tiny sizes");
            run->add_flag("--json", flags->json_output, "Print the outcome as JSON");
            return [flags, &env] { return run_experiment_run(*flags, env); };
          }};
}

}  // namespace cli
