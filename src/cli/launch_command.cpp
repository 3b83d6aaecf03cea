// `ai-scientist launch`: the whole pipeline for a template's ideas (see pipeline/launch.h). With
// no API key, no --model and no --template it runs the offline demo: the grokking template at
// smoke size with the model's answers replayed from a transcript that ships with the program.
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli/app.h"
#include "cli/literature_sources.h"
#include "cli/llm_stack.h"
#include "cli/paths.h"
#include "cli/sandbox_flags.h"
#include "core/clock.h"
#include "core/json.h"
#include "experiment/sandboxed_runner.h"
#include "experiment/template.h"
#include "literature/recorded_source.h"
#include "llm/providers.h"
#include "llm/transcript.h"
#include "pipeline/launch.h"
#include "pipeline/manifest.h"
#include "platform/posix_process_runner.h"
#include "platform/python.h"
#include "resources/resources.h"
#include "version.h"

namespace cli {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view k_demo_transcript = "data/demo/launch_transcript.jsonl";
constexpr std::string_view k_demo_literature = "data/demo/launch_literature.json";
constexpr const char* k_demo_template = "grokking";

struct LaunchFlags {
  LlmFlags llm;
  std::string template_name;
  int num_ideas = 50;
  int num_reflections = 5;
  std::string engine = "auto";
  std::string lit_db;
  bool skip_idea_generation = false;
  bool skip_novelty_check = false;
  int parallel = 0;
  std::string gpus;
  int cpu_slots = 1;
  std::string writeup = "latex";
  bool improvement = false;
  std::string review_model;
  std::optional<double> review_temperature;
  int review_ensemble = 5;
  int review_reflections = 5;
  int cite_rounds = 20;
  int max_runs = 5;
  int max_iters = 4;
  std::string results = "results";
  std::string resume;
  bool no_sandbox = false;
  bool smoke = false;
};

int fail_with(const core::Error& e) {
  std::cerr << "error: " << e.message << '\n';
  return k_exit_failure;
}

// The flags that decide what a launch computes: a re-run of the same command resumes the run
// whose journal holds the same ones.
nlohmann::json flags_json(const LaunchFlags& f, const std::string& model) {
  return {{"template", f.template_name},
          {"model", model},
          {"review_model", f.review_model.empty() ? model : f.review_model},
          {"num_ideas", f.num_ideas},
          {"num_reflections", f.num_reflections},
          {"engine", f.engine},
          {"skip_idea_generation", f.skip_idea_generation},
          {"skip_novelty_check", f.skip_novelty_check},
          {"improvement", f.improvement},
          {"review_ensemble", f.review_ensemble},
          {"review_reflections", f.review_reflections},
          {"cite_rounds", f.cite_rounds},
          {"max_runs", f.max_runs},
          {"max_iters", f.max_iters},
          {"smoke", f.smoke},
          {"no_sandbox", f.no_sandbox}};
}

// The newest launch folder under `root` whose journal has `flags` and ideas still to run.
std::optional<fs::path> unfinished_run(const fs::path& root, const nlohmann::json& flags) {
  std::vector<fs::path> runs;
  std::error_code ec;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename().string().starts_with("launch_") &&
        fs::exists(it->path() / std::string(pipeline::Journal::k_file_name), ec)) {
      runs.push_back(it->path());
    }
  }
  std::sort(runs.rbegin(), runs.rend());
  for (const auto& run : runs) {
    auto journal = pipeline::Journal::open(run);
    if (!journal || (*journal)->run().flags != flags) continue;
    auto summary = (*journal)->summary();
    if (!summary) continue;
    bool open = summary->empty();
    for (const auto& row : *summary) {
      open = open || row.idea.status == pipeline::IdeaStatus::pending ||
             row.idea.status == pipeline::IdeaStatus::running;
    }
    if (open) return run;
  }
  return std::nullopt;
}

void print_summary(const pipeline::LaunchOutcome& outcome, const fs::path& run_dir,
                   const llm::CostLedger& ledger, bool demo) {
  std::cout << "\nSummary (" << run_dir.string() << "):\n";
  for (const auto& row : outcome.summary) {
    const auto& idea = row.idea;
    std::string how = std::string(pipeline::to_string(idea.status));
    if (!idea.failed_stage.empty()) how += " at " + idea.failed_stage;
    if (!idea.reason.empty()) how += ": " + idea.reason;
    std::cout << fmt::format("  {:<28} {:<60} score {:>4}  ${:.2f}\n", idea.name, how,
                             row.review_score ? fmt::format("{:.0f}", *row.review_score) : "-",
                             row.cost_usd);
    if (row.pdf) std::cout << "      paper:  " << row.pdf->string() << '\n';
    std::error_code ec;
    if (fs::exists(idea.folder / "review.txt", ec)) {
      std::cout << "      review: " << (idea.folder / "review.txt").string() << '\n';
    }
    std::cout << "      folder: " << idea.folder.string() << '\n';
  }
  std::cout << fmt::format(
      "  total cost ${:.2f}{}\n", ledger.total_usd(),
      ledger.budget_usd() ? fmt::format(" of ${:.2f}", *ledger.budget_usd()) : "");
  if (outcome.budget_spent) {
    std::cout << "  The budget was spent: no new model call was started. Everything written is "
                 "kept; raise --budget-usd and run the same command again to go on.\n";
  }
  if (demo) {
    std::cout << "\nThis was the offline demo: the model's answers were replayed from a recorded "
                 "transcript, not written by a live model; everything else (edits, sandboxed "
                 "runs, plots, LaTeX, review parsing) ran for real. To run live, set a key and "
                 "pass a model, e.g.:\n  OPENAI_API_KEY=... ai-scientist launch --template "
                 "grokking --model openai/gpt-4o --num-ideas 2\n";
  }
}

int run_launch_command(LaunchFlags f, const core::Environment& env) {
  // The offline demo: no key, no model, no template.
  bool demo = false;
  std::string model = f.llm.model;
  if (model.empty()) {
    if (auto keys = llm::remote_key_variables_set(env); !keys.empty()) {
      std::cerr << fmt::format(
          "error: {} is set: pass --model PROVIDER/MODEL (e.g. --model "
          "openai/gpt-4o)\n",
          fmt::join(keys, " and "));
      return k_exit_usage;
    }
    if (!f.template_name.empty() && f.template_name != k_demo_template) {
      std::cerr << "error: pass --model PROVIDER/MODEL (the recorded demo covers the grokking "
                   "template only)\n";
      return k_exit_usage;
    }
    demo = true;
    model = "replay/demo";
    f.template_name = k_demo_template;
    f.smoke = true;
    f.num_ideas = 1;
    f.num_reflections = 2;
    f.review_ensemble = 1;
    f.review_reflections = 2;
    f.cite_rounds = 3;
    f.max_runs = 2;
    f.engine = "recorded";
    std::cerr << "note: no API key and no --model: running the offline demo on the grokking "
                 "template at smoke size. The model's answers are REPLAYED from a transcript "
                 "that ships with ai-scientist, not written live; the edits, sandboxed runs, "
                 "plots, LaTeX and review are real. Run live with --model (and a key).\n";
  }
  if (f.template_name.empty()) {
    std::cerr << "error: pass --template NAME (ai-scientist template list shows them)\n";
    return k_exit_usage;
  }
  if (f.writeup != "latex") {
    std::cerr << "error: --writeup latex is the only write-up format\n";
    return k_exit_usage;
  }
  auto tmpl_dir = find_template(f.template_name, env);
  if (!tmpl_dir) return fail_with(tmpl_dir.error());
  if (auto problems = experiment::check_template(*tmpl_dir); !problems.empty()) {
    std::cerr << fmt::format(
        "error: the template {} is not usable: {}. `ai-scientist template "
        "check {}` lists every problem\n",
        tmpl_dir->string(), problems.front(), tmpl_dir->string());
    return k_exit_failure;
  }
  auto tmpl = experiment::load_template(*tmpl_dir);
  if (!tmpl) return fail_with(tmpl.error());
  f.template_name = tmpl->name;

  // The launch folder: --resume, an unfinished run of the same command, or a new one.
  // Absolute: the sandbox binds the folders by their full paths.
  const fs::path idea_root = fs::absolute(f.results) / tmpl->name;
  const nlohmann::json flags = flags_json(f, model);
  fs::path run_dir;
  bool resuming = false;
  if (!f.resume.empty()) {
    run_dir = fs::absolute(f.resume);
    resuming = true;
  } else if (auto found = unfinished_run(idea_root, flags)) {
    run_dir = *found;
    resuming = true;
    std::cerr << "note: resuming the unfinished run in " << run_dir.string()
              << " (same command); completed stages are kept and recorded answers replayed\n";
  } else {
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    localtime_r(&now, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%d_%H%M%S", &tm);
    run_dir = idea_root / (std::string("launch_") + stamp);
  }
  std::unique_ptr<pipeline::Journal> journal;
  if (resuming) {
    auto opened = pipeline::Journal::open(run_dir);
    if (!opened) return fail_with(opened.error());
    journal = std::move(*opened);
  } else {
    auto created = pipeline::Journal::create(run_dir, {tmpl->name, flags, core::utc_timestamp()});
    if (!created) return fail_with(created.error());
    journal = std::move(*created);
  }

  // The machinery: sandbox, interpreter, models, literature, slots, the view.
  auto sandbox = make_sandbox(f.no_sandbox);
  if (!sandbox) return fail_with(sandbox.error());
  std::string python = tmpl->config.interpreter;
  if (python.empty()) {
    platform::PosixProcessRunner runner;
    auto py = platform::resolve_python(env, runner);
    if (!py) return fail_with(py.error());
    python = py->interpreter.string();
  }
  auto stack = LlmStack::open(f.llm, env, {});
  if (!stack) return fail_with(stack.error());
  std::shared_ptr<core::LlmClient> demo_model;
  if (demo) {
    auto replay = llm::ReplayClient::from_text(resources::find(k_demo_transcript).value_or(""),
                                               "the built-in demo transcript");
    if (!replay) return fail_with(replay.error());
    demo_model = std::move(*replay);
  }
  const std::string review_model = f.review_model.empty() ? model : f.review_model;
  auto ideation =
      (*stack)->recorded_client(model, run_dir / "llm_transcript.jsonl", resuming, demo_model);
  if (!ideation) return fail_with(ideation.error());
  pipeline::ClientFactory clients =
      [&](const std::string&, const fs::path& transcript) -> core::Result<pipeline::IdeaClients> {
    std::error_code ec;
    const bool resume = fs::exists(transcript, ec);
    pipeline::IdeaClients c;
    c.writer = TRY((*stack)->recorded_client(model, transcript, resume, demo_model));
    c.reviewer = review_model == model
                     ? c.writer
                     : TRY((*stack)->recorded_client(review_model, transcript, resume));
    return c;
  };

  std::shared_ptr<core::LiteratureSource> literature;
  if (demo) {
    auto recorded = literature::RecordedSource::from_json(
        resources::find(k_demo_literature).value_or(""), "the built-in demo literature");
    if (!recorded) return fail_with(recorded.error());
    literature = std::move(*recorded);
  } else {
    auto index = open_literature_index(f.lit_db, env);
    if (!index) return fail_with(index.error());
    auto source =
        literature_source(f.engine, env, (*stack)->services().transport, (*stack)->services().clock,
                          *index, literature_db_path(f.lit_db, env));
    if (!source) return fail_with(source.error());
    literature = *source;
  }

  std::unique_ptr<pipeline::SlotPool> pool;
  if (!f.gpus.empty()) {
    auto gpus = pipeline::parse_gpu_list(f.gpus);
    if (!gpus) return fail_with(gpus.error());
    auto made = pipeline::SlotPool::for_gpus(*gpus, std::max(1, tmpl->config.gpus));
    if (!made) return fail_with(made.error());
    pool = std::move(*made);
  } else {
    platform::PosixProcessRunner runner;
    auto detected = pipeline::detect_gpus(runner);
    auto made = !detected.empty() && tmpl->config.gpus > 0
                    ? pipeline::SlotPool::for_gpus(detected, tmpl->config.gpus)
                    : pipeline::SlotPool::for_cpu(std::max(1, f.cpu_slots));
    if (!made) return fail_with(made.error());
    pool = std::move(*made);
  }

  core::SteadyClock view_clock;
  pipeline::ProgressOptions view_options;
  view_options.tty = pipeline::is_terminal(1);
  view_options.columns = pipeline::terminal_columns(1);
  view_options.budget_usd = f.llm.budget_usd;
  pipeline::ProgressView view(std::cout, view_clock, view_options);
  experiment::SandboxedRunner lint_runner(**sandbox);

  pipeline::LaunchConfig config;
  config.tmpl = *tmpl;
  config.run_dir = run_dir;
  config.idea_root = idea_root;
  config.python = python;
  config.smoke = f.smoke;
  config.skip_idea_generation = f.skip_idea_generation;
  config.skip_novelty_check = f.skip_novelty_check;
  config.improvement = f.improvement;
  config.parallel = f.parallel > 0 ? f.parallel : std::max<int>(2, 2 * pool->size());
  config.generate.num_ideas = f.num_ideas;
  config.generate.num_reflections = f.num_reflections;
  config.loops.max_runs = f.max_runs;
  config.loops.max_iters = f.max_iters;
  config.writeup.cite_rounds = f.cite_rounds;
  config.review.ensemble = f.review_ensemble;
  config.review.num_reflections = f.review_reflections;
  if (f.review_temperature) config.review.temperature = f.review_temperature;
  auto hash = pipeline::hash_template(tmpl->dir);
  config.manifest.engine_version = AI_SCIENTIST_VERSION;
  config.manifest.template_name = tmpl->name;
  config.manifest.template_hash = hash ? *hash : "";
  config.manifest.writer_model = model;
  config.manifest.reviewer_model = review_model;
  config.manifest.flags = flags;
  config.manifest.sandbox = (*sandbox)->capabilities().describe((*sandbox)->isolated());
  config.manifest.no_sandbox = f.no_sandbox;

  std::cout << fmt::format("launch: template {}, model {}, {} slot(s), run folder {}\n", tmpl->name,
                           demo ? "recorded demo transcript" : model, pool->size(),
                           run_dir.string());
  pipeline::LaunchParts parts{**ideation, literature.get(), **sandbox, lint_runner,
                              *pool,      *journal,         view,      (*stack)->ledger(),
                              clients};
  // On a terminal the clocks of the view move once a second.
  std::jthread refresher;
  if (view_options.tty) {
    refresher = std::jthread([&view](std::stop_token stop) {
      while (!stop.stop_requested()) {
        std::this_thread::sleep_for(std::chrono::seconds(1));
        view.refresh();
      }
    });
  }
  auto outcome = pipeline::run_launch(config, parts);
  refresher = {};
  if (!outcome) {
    std::cerr << "error: " << outcome.error().message << "\n(the run is kept in "
              << run_dir.string() << "; run the same command again to resume it)\n";
    return k_exit_failure;
  }
  print_summary(*outcome, run_dir, (*stack)->ledger(), demo);
  nlohmann::json summary = nlohmann::json::array();
  for (const auto& row : outcome->summary) {
    summary.push_back({{"idea", row.idea.name},
                       {"status", pipeline::to_string(row.idea.status)},
                       {"failed_stage", row.idea.failed_stage},
                       {"reason", row.idea.reason},
                       {"stages", row.completed},
                       {"score", row.review_score ? nlohmann::json(*row.review_score) : nullptr},
                       {"cost_usd", row.cost_usd},
                       {"pdf", row.pdf ? row.pdf->string() : ""},
                       {"folder", row.idea.folder.string()}});
  }
  std::ofstream(run_dir / "summary.json")
      << core::dump_json({{"budget_spent", outcome->budget_spent}, {"ideas", summary}}, 2) << '\n';
  int done = 0;
  for (const auto& row : outcome->summary) {
    if (row.idea.status == pipeline::IdeaStatus::done) ++done;
  }
  return done > 0 || outcome->summary.empty() ? k_exit_ok : k_exit_failure;
}

}  // namespace

Command launch_command() {
  return {
      "launch", "Run the whole pipeline: ideas, novelty, experiments, paper, review",
      [](CLI::App& app, const core::Environment& env) -> std::function<int()> {
        auto f = std::make_shared<LaunchFlags>();
        f->llm.add_to(app,
                      "Model that writes ideas, code and paper (openai/gpt-4o, "
                      "anthropic/claude-3-5-sonnet-20241022, ollama/MODEL, replay/PATH). "
                      "Without it and without any API key: the offline demo");
        app.add_option("--template,--experiment", f->template_name,
                       "Template name or folder (ai-scientist template list)");
        app.add_option("--num-ideas", f->num_ideas, "Ideas to generate")
            ->check(CLI::PositiveNumber);
        app.add_option("--num-reflections", f->num_reflections, "Reflection rounds per idea")
            ->check(CLI::PositiveNumber);
        app.add_option("--engine", f->engine,
                       "Literature for novelty and citations: local, s2, openalex, arxiv, auto")
            ->check(CLI::IsMember({"local", "s2", "openalex", "arxiv", "auto"}));
        app.add_option("--lit-db", f->lit_db, "The local literature index (SQLite)");
        app.add_flag("--skip-idea-generation", f->skip_idea_generation,
                     "Use the template's ideas.json (or seed_ideas.json)");
        app.add_flag("--skip-novelty-check", f->skip_novelty_check,
                     "Run every idea without checking the literature");
        app.add_option("--parallel", f->parallel,
                       "Ideas in flight at once (default: twice the slots, at least 2)")
            ->check(CLI::NonNegativeNumber);
        app.add_option("--gpus", f->gpus, "GPU ids for runs, e.g. 0,1 (default: all found)");
        app.add_option("--cpu-slots", f->cpu_slots, "Runs at once when there is no GPU")
            ->check(CLI::PositiveNumber);
        app.add_option("--writeup", f->writeup, "Write-up format (latex)");
        app.add_flag("--improvement", f->improvement,
                     "Revise the paper from its review and review it again");
        app.add_option("--review-model", f->review_model,
                       "Model of the reviewer (default: --model)");
        app.add_option("--review-temperature", f->review_temperature,
                       "Sampling temperature of the reviewer");
        app.add_option("--review-ensemble", f->review_ensemble, "Independent reviews per paper")
            ->check(CLI::PositiveNumber);
        app.add_option("--review-reflections", f->review_reflections,
                       "Reflection rounds per review")
            ->check(CLI::PositiveNumber);
        app.add_option("--cite-rounds", f->cite_rounds, "Rounds of adding citations")
            ->check(CLI::NonNegativeNumber);
        app.add_option("--max-runs", f->max_runs, "Experiment runs per idea")
            ->check(CLI::PositiveNumber);
        app.add_option("--max-iters", f->max_iters, "Attempts per run")->check(CLI::PositiveNumber);
        app.add_option("--results", f->results, "Where results go (results/<template>/...)");
        app.add_option("--resume", f->resume,
                       "Continue the launch in this folder (results/<template>/launch_...)");
        app.add_flag("--no-sandbox", f->no_sandbox,
                     "Run LLM-written code without isolation (not recommended)");
        app.add_flag("--smoke", f->smoke, "Run experiments at the template's smoke size");
        return [f, &env] { return run_launch_command(*f, env); };
      }};
}

}  // namespace cli
