#include "pipeline/launch.h"

#include <atomic>
#include <cstdio>
#include <ctime>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "core/clock.h"
#include "core/json.h"
#include "edit/apply.h"
#include "edit/coder.h"
#include "edit/lint.h"
#include "pdf/pdf_text.h"
#include "platform/executables.h"

namespace pipeline {
namespace {

namespace fs = std::filesystem;

// Experiment runs through the launch's slot pool.
class PoolSlots final : public experiment::RunSlots {
 public:
  explicit PoolSlots(SlotPool& pool) : m_pool(pool) {}
  core::Result<std::unique_ptr<Lease>> acquire() override {
    auto lease = TRY(m_pool.acquire());
    return std::make_unique<PoolLease>(std::move(lease));
  }

 private:
  struct PoolLease final : Lease {
    explicit PoolLease(SlotLease l) : lease(std::move(l)) {}
    std::map<std::string, std::string> env() const override { return lease.environment(); }
    SlotLease lease;
  };
  SlotPool& m_pool;
};

core::Result<nlohmann::json> read_json(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::fail(core::ErrorCode::io, fmt::format("cannot read {}", path.string()));
  std::ostringstream s;
  s << in.rdbuf();
  auto j = nlohmann::json::parse(s.str(), nullptr, false);
  if (j.is_discarded()) {
    return core::fail(core::ErrorCode::parse,
                      fmt::format("{} is not valid JSON; fix or delete it", path.string()));
  }
  return j;
}

core::Result<void> write_text(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.parent_path() / ("." + path.filename().string() + ".tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) {
      return core::fail(core::ErrorCode::io, fmt::format("cannot write {}", tmp.string()));
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    return core::fail(core::ErrorCode::io,
                      fmt::format("cannot write {}: {}", path.string(), ec.message()));
  }
  return {};
}

bool is_run_folder(const fs::path& name) {
  const std::string s = name.string();
  return s.starts_with("run_") && s.size() > 4 &&
         s.find_first_not_of("0123456789", 4) == std::string::npos;
}

// Copies the template into an idea folder: everything but its run folders (the baseline comes
// separately), caches and files a launch writes itself.
core::Result<void> copy_template(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::create_directories(to, ec);
  for (fs::directory_iterator it(from, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path name = it->path().filename();
    if (is_run_folder(name) || name == "__pycache__" || name == "ideas.json" ||
        name == "llm_transcript.jsonl") {
      continue;
    }
    std::error_code copy_ec;
    fs::copy(it->path(), to / name,
             fs::copy_options::recursive | fs::copy_options::overwrite_existing, copy_ec);
    if (copy_ec) {
      return core::fail(core::ErrorCode::io,
                        fmt::format("cannot copy {} to {}: {}", it->path().string(), to.string(),
                                    copy_ec.message()));
    }
  }
  if (ec) {
    return core::fail(core::ErrorCode::io,
                      fmt::format("cannot read the template {}: {}", from.string(), ec.message()));
  }
  return {};
}

// The files a stage may change, saved when it starts and put back when an interrupted stage
// starts again, so that its replayed edits meet the files they were made on.
std::vector<fs::path> stage_files(const fs::path& folder, const experiment::TemplateConfig& c) {
  std::vector<fs::path> files;
  for (const auto& f : c.editable)
    files.emplace_back(f);
  std::error_code ec;
  for (fs::directory_iterator it(folder / "latex", ec), end; !ec && it != end; it.increment(ec)) {
    const auto ext = it->path().extension();
    if (ext == ".tex" || ext == ".bib") files.push_back(fs::path("latex") / it->path().filename());
  }
  return files;
}

core::Result<void> checkpoint(const fs::path& folder, const std::string& stage,
                              const experiment::TemplateConfig& config, bool& restored) {
  const fs::path dir = folder / ".checkpoints" / stage;
  std::error_code ec;
  restored = fs::exists(dir / "complete", ec);
  for (const auto& rel : stage_files(folder, config)) {
    const fs::path saved = dir / rel;
    const fs::path live = folder / rel;
    if (restored) {
      if (fs::exists(saved, ec)) {
        fs::copy_file(saved, live, fs::copy_options::overwrite_existing, ec);
      } else {
        fs::remove(live, ec);  // it did not exist when the stage began
      }
    } else if (fs::exists(live, ec)) {
      fs::create_directories(saved.parent_path(), ec);
      fs::copy_file(live, saved, fs::copy_options::overwrite_existing, ec);
    }
    if (ec) {
      return core::fail(core::ErrorCode::io,
                        fmt::format("cannot checkpoint {}: {}", live.string(), ec.message()));
    }
  }
  if (!restored) std::ofstream(dir / "complete") << stage << '\n';
  return {};
}

std::string local_stamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d_%H%M%S", &tm);
  return buf;
}

std::string idea_name(const nlohmann::json& idea, std::size_t index) {
  if (idea.contains("Name") && idea["Name"].is_string()) return idea["Name"].get<std::string>();
  return fmt::format("idea_{}", index + 1);
}

std::string text_field(const nlohmann::json& idea, const char* key) {
  return idea.contains(key) && idea[key].is_string() ? idea[key].get<std::string>() : "";
}

// One idea's way through the stages.
class IdeaRun {
 public:
  IdeaRun(const LaunchConfig& config, LaunchParts& parts, const writeup::Compiler& compiler,
          experiment::RunSlots& slots, const nlohmann::json& idea, const Journal::Idea& record,
          const nlohmann::json& baseline_means, std::atomic<bool>& budget_spent)
      : m_config(config),
        m_parts(parts),
        m_compiler(compiler),
        m_slots(slots),
        m_idea(idea),
        m_name(record.name),
        m_folder(record.folder),
        m_baseline_means(baseline_means),
        m_budget_spent(budget_spent) {}

  // Runs the stages not completed yet. Never throws; records the outcome in the journal.
  void run();

 private:
  core::Result<nlohmann::json> stage(const std::string& name);
  core::Result<nlohmann::json> experiments();
  core::Result<nlohmann::json> plots();
  core::Result<nlohmann::json> notes();
  core::Result<nlohmann::json> write();
  core::Result<nlohmann::json> review(const std::string& out_file);
  core::Result<nlohmann::json> improve();
  edit::Coder coder(const std::string& stage, edit::LintHook* lint);
  std::unique_ptr<edit::LintHook> lint();
  void say(std::string_view line);
  double spent() const;
  std::string pdf_name() const { return folder_safe(m_name) + ".pdf"; }

  const LaunchConfig& m_config;
  LaunchParts& m_parts;
  const writeup::Compiler& m_compiler;
  experiment::RunSlots& m_slots;
  const nlohmann::json& m_idea;
  std::string m_name;
  fs::path m_folder;
  const nlohmann::json& m_baseline_means;
  std::atomic<bool>& m_budget_spent;
  IdeaClients m_clients;
  std::shared_ptr<IdeaLog> m_log;
  std::unique_ptr<edit::Workspace> m_workspace;
};

void IdeaRun::say(std::string_view line) {
  if (m_log) (void)m_log->write(line);
  int run = 0, runs = 0;
  if (std::sscanf(std::string(line).c_str(), "run %d/%d", &run, &runs) == 2) {
    m_parts.view.experiment_run(m_name, run, runs);
  }
}

double IdeaRun::spent() const {
  const auto per_idea = m_parts.ledger.per_idea();
  auto it = per_idea.find(m_name);
  return it == per_idea.end() ? 0.0 : it->second;
}

std::unique_ptr<edit::LintHook> IdeaRun::lint() {
  const auto& c = m_config.tmpl.config;
  if (!c.lint_command.empty()) {
    return std::make_unique<edit::CommandLint>(m_parts.lint_runner, c.lint_command);
  }
  return std::make_unique<edit::PythonLint>(
      m_parts.lint_runner, m_config.python,
      platform::find_executable("flake8", "/usr/bin:/bin:/usr/local/bin"));
}

edit::Coder IdeaRun::coder(const std::string& stage, edit::LintHook* lint) {
  edit::CoderOptions options;
  options.files_in_context = m_config.tmpl.config.editable;
  options.stage = stage;
  options.conversation = stage;
  options.idea = m_name;
  options.history_file = m_folder / "coder_history.md";
  options.prompts_dir = m_config.loops.prompts_dir;
  return edit::Coder(*m_clients.writer, *m_workspace, options, lint);
}

experiment::IdeaText idea_text(const nlohmann::json& idea, const std::string& name) {
  return {name, text_field(idea, "Title"), text_field(idea, "Experiment")};
}

core::Result<nlohmann::json> IdeaRun::experiments() {
  experiment::RunSettings settings;
  settings.config = m_config.tmpl.config;
  settings.python = m_config.python;
  settings.smoke = m_config.smoke;
  settings.slots = &m_slots;
  experiment::RunExecutor executor(m_parts.sandbox, settings);
  auto hook = lint();
  auto agent = coder("experiments", hook.get());
  auto result = TRY(experiment::run_experiment_loop(
      agent, executor, m_folder, idea_text(m_idea, m_name), m_baseline_means, m_config.loops,
      [this](std::string_view line) { say(line); }));
  if (result.runs_completed == 0) {
    return core::fail(core::ErrorCode::process,
                      fmt::format("no experiment run succeeded ({}); the attempts are in "
                                  "failed_runs/ and coder_history.md",
                                  result.stop_reason));
  }
  return nlohmann::json{{"runs_completed", result.runs_completed},
                        {"agent_completed", result.agent_completed},
                        {"stop_reason", result.stop_reason}};
}

core::Result<nlohmann::json> IdeaRun::plots() {
  experiment::RunSettings settings;
  settings.config = m_config.tmpl.config;
  settings.python = m_config.python;
  settings.smoke = m_config.smoke;
  experiment::RunExecutor executor(m_parts.sandbox, settings);
  auto hook = lint();
  auto agent = coder("plots", hook.get());
  auto result = TRY(experiment::run_plot_loop(agent, executor, m_folder, m_config.loops,
                                              [this](std::string_view line) { say(line); }));
  // A plot that never works is recorded, not fatal: the paper can still be written.
  return nlohmann::json{
      {"ok", result.ok}, {"figures", result.figures}, {"problem", result.problem}};
}

core::Result<nlohmann::json> IdeaRun::notes() {
  std::vector<std::string> figures;
  std::error_code ec;
  for (fs::directory_iterator it(m_folder, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".png") figures.push_back(it->path().filename().string());
  }
  std::sort(figures.begin(), figures.end());
  auto agent = coder("notes", nullptr);
  TRY_VOID(experiment::run_notes_step(agent, figures, m_config.loops));
  return nlohmann::json{{"figures", figures}};
}

core::Result<nlohmann::json> IdeaRun::write() {
  writeup::WriteupOptions options = m_config.writeup;
  options.idea = m_name;
  options.pdf_name = pdf_name();
  options.check_runner = &m_parts.lint_runner;
  auto result =
      TRY(writeup::write_paper(*m_clients.writer, m_parts.literature, m_compiler, m_folder, options,
                               [this](std::string_view line) { say(line); }));
  const fs::path pdf = m_folder / pdf_name();
  std::error_code ec;
  if (!fs::exists(pdf, ec)) {
    return core::fail(core::ErrorCode::process,
                      fmt::format("{}; see writeup.json and latex/", result.compile.summary));
  }
  return nlohmann::json{{"pdf", pdf.filename().string()},
                        {"pages", result.compile.pages},
                        {"errors", result.compile.errors},
                        {"citations", result.cited.size()}};
}

core::Result<nlohmann::json> IdeaRun::review(const std::string& out_file) {
  const fs::path pdf = m_folder / pdf_name();
  const std::string text = TRY(pdf::read_paper(pdf, {m_config.review.max_pages}));
  review::ReviewOptions options = m_config.review;
  options.idea = m_name;
  auto result = TRY(review::review_paper(*m_clients.reviewer, text, options,
                                         [this](std::string_view line) { say(line); }));
  TRY_VOID(write_text(m_folder / out_file, core::dump_json(result.review, 4) + "\n"));
  for (const auto& failure : result.failures)
    say("review: " + failure);
  return nlohmann::json{{"score", result.review.value("Overall", 0)},
                        {"decision", result.review.value("Decision", std::string())},
                        {"review", out_file},
                        {"pdf", pdf.filename().string()}};
}

core::Result<nlohmann::json> IdeaRun::improve() {
  const auto first_review = TRY(read_json(m_folder / "review.txt"));
  writeup::WriteupOptions options = m_config.writeup;
  options.idea = m_name;
  options.pdf_name = pdf_name();
  options.check_runner = &m_parts.lint_runner;
  TRY(writeup::improve_paper(*m_clients.writer, m_compiler, m_folder, first_review, options,
                             [this](std::string_view line) { say(line); }));
  // AI Scientist's name for the second review; the first stays as it was.
  return review("review_improved.txt");
}

core::Result<nlohmann::json> IdeaRun::stage(const std::string& name) {
  if (name == "experiments") return experiments();
  if (name == "plots") return plots();
  if (name == "notes") return notes();
  if (name == "writeup") return write();
  if (name == "review") return review("review.txt");
  return improve();
}

void IdeaRun::run() {
  auto fail_idea = [&](const std::string& stage, const std::string& reason) {
    (void)m_parts.journal.set_status(m_name, IdeaStatus::failed, stage, reason);
    m_parts.view.finished(m_name, IdeaStatus::failed, stage + ": " + reason);
    say(fmt::format("failed at {}: {}", stage, reason));
  };
  std::error_code ec;
  const bool fresh = !fs::exists(m_folder / "notes.txt", ec);
  if (fresh) {
    auto copied = copy_template(m_config.tmpl.dir, m_folder);
    if (copied) {
      fs::copy(m_config.run_dir / "baseline" / "run_0", m_folder / "run_0",
               fs::copy_options::recursive | fs::copy_options::overwrite_existing, ec);
      if (ec) {
        copied = core::fail(core::ErrorCode::io,
                            fmt::format("cannot copy the baseline: {}", ec.message()));
      }
    }
    if (copied) {
      copied =
          experiment::write_initial_notes(m_folder, idea_text(m_idea, m_name), m_baseline_means);
    }
    if (!copied) return fail_idea("setup", copied.error().message);
  }
  auto log = IdeaLog::open(m_folder / "log.txt");
  if (log) m_log = *log;
  Manifest manifest = m_config.manifest;
  manifest.idea = m_name;
  manifest.started = core::utc_timestamp();
  (void)write_manifest(m_folder / std::string(k_manifest_file), manifest);

  auto clients = m_parts.clients(m_name, m_folder / "llm_transcript.jsonl");
  if (!clients) return fail_idea("setup", clients.error().message);
  m_clients = *clients;
  edit::EditPolicy policy;
  policy.allowed_files = m_config.tmpl.config.editable;
  m_workspace = std::make_unique<edit::Workspace>(m_folder, policy);

  std::set<std::string> done;
  if (auto completed = m_parts.journal.completed_stages(m_name)) {
    for (const auto& s : *completed)
      done.insert(s.stage);
  }
  (void)m_parts.journal.set_status(m_name, IdeaStatus::running);
  m_parts.view.cost(m_name, spent());
  for (const char* stage_name : k_stages) {
    const std::string name = stage_name;
    if (name == "improvement" && !m_config.improvement) continue;
    if (done.contains(name)) continue;
    if (m_budget_spent) {
      return fail_idea(name, "not started: the budget is spent (raise --budget-usd and resume)");
    }
    m_parts.view.stage(m_name, name);
    say("stage: " + name);
    bool restored = false;
    if (auto cp = checkpoint(m_folder, name, m_config.tmpl.config, restored); !cp) {
      return fail_idea(name, cp.error().message);
    }
    if (restored) say(name + ": starting again from the files it began with");
    Journal::Stage record;
    record.stage = name;
    record.started = core::utc_timestamp();
    const double before = spent();
    auto artifacts = stage(name);
    record.ended = core::utc_timestamp();
    record.cost_usd = spent() - before;
    m_parts.view.cost(m_name, spent());
    m_parts.view.total_cost(m_parts.ledger.total_usd());
    if (!artifacts) {
      const auto& error = artifacts.error();
      if (error.code == core::ErrorCode::budget_exceeded) {
        m_budget_spent = true;
        m_parts.slots.cancel("the budget is spent");
      }
      record.outcome = Journal::StageOutcome::failed;
      record.error = error.message;
      (void)m_parts.journal.record_stage(m_name, record);
      return fail_idea(name, error.message);
    }
    record.artifacts = *artifacts;
    if (auto r = m_parts.journal.record_stage(m_name, record); !r) {
      return fail_idea(name, r.error().message);
    }
    fs::remove_all(m_folder / ".checkpoints" / name, ec);
  }
  manifest.finished = core::utc_timestamp();
  (void)write_manifest(m_folder / std::string(k_manifest_file), manifest);
  (void)m_parts.journal.set_status(m_name, IdeaStatus::done);
  m_parts.view.finished(m_name, IdeaStatus::done);
  say("done");
}

}  // namespace

std::string folder_safe(std::string_view name) {
  std::string out;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    out += ok ? c : '_';
    if (out.size() == 80) break;
  }
  return out.empty() ? "idea" : out;
}

ideas::TemplateText template_text(const experiment::Template& tmpl) {
  std::ifstream code_in(tmpl.dir / "experiment.py", std::ios::binary);
  ideas::TemplateText text;
  text.system = tmpl.prompt.value("system", std::string());
  text.task_description = tmpl.prompt.value("task_description", std::string());
  text.code.assign(std::istreambuf_iterator<char>(code_in), std::istreambuf_iterator<char>());
  text.seed_ideas = tmpl.seed_ideas;
  return text;
}

core::Result<LaunchOutcome> run_launch(const LaunchConfig& config, LaunchParts& parts) {
  LaunchOutcome outcome;
  std::error_code ec;
  fs::create_directories(config.run_dir, ec);
  const auto text = template_text(config.tmpl);
  auto note = [&](const std::string& line) { parts.view.message(line); };

  // 1. The ideas: kept from an interrupted run, else the template's, else generated.
  const fs::path ideas_file = config.run_dir / "ideas.json";
  outcome.ideas_file = ideas_file.string();
  if (!fs::exists(ideas_file, ec)) {
    nlohmann::json list;
    if (config.skip_idea_generation) {
      const fs::path own = config.tmpl.dir / "ideas.json";
      if (fs::exists(own, ec)) {
        list = TRY(read_json(own));
      } else {
        list = config.tmpl.seed_ideas;
      }
      note(fmt::format("ideas: {} from the template (--skip-idea-generation)", list.size()));
    } else {
      note(fmt::format("ideas: generating {} ...", config.generate.num_ideas));
      auto generated =
          TRY(ideas::generate_ideas(parts.ideation, text, config.generate,
                                    [&](std::string_view l) { note(std::string(l)); }));
      for (const auto& failure : generated.failures)
        note("ideas: " + failure);
      list = generated.ideas;
      if (list.empty() && !generated.failures.empty()) {
        return core::fail(core::ErrorCode::config,
                          fmt::format("no idea could be generated; the first attempt failed: {}",
                                      generated.failures.front()));
      }
    }
    if (!list.is_array() || list.empty()) {
      return core::fail(core::ErrorCode::config,
                        "no ideas to run: the template has none and generation made none (see "
                        "the transcript in " +
                            config.run_dir.string() + ")");
    }
    TRY_VOID(ideas::write_ideas_file(ideas_file, list));
  }
  // 2. The novelty check (it skips ideas already checked, so a resume goes on where it stopped).
  if (!config.skip_novelty_check) {
    if (parts.literature == nullptr) {
      return core::fail(core::ErrorCode::config,
                        "the novelty check needs a literature source: pass --engine, or "
                        "--skip-novelty-check");
    }
    auto checked =
        ideas::check_ideas_file(parts.ideation, *parts.literature, text, ideas_file, config.novelty,
                                [&](std::string_view l) { note(std::string(l)); });
    if (!checked) {
      if (checked.error().code == core::ErrorCode::budget_exceeded) {
        outcome.budget_spent = true;
        outcome.summary = TRY(parts.journal.summary());
        return outcome;
      }
      note("novelty: " + checked.error().message + " (unchecked ideas are not run)");
    }
  }
  const nlohmann::json ideas = TRY(read_json(ideas_file));
  if (!ideas.is_array()) {
    return core::fail(core::ErrorCode::parse,
                      ideas_file.string() + " must hold a JSON list of ideas; fix or delete it");
  }

  // 3. The baseline every idea starts from (run once per launch, at the launch's size).
  const fs::path baseline = config.run_dir / "baseline";
  if (!fs::exists(baseline / "run_0" / "final_info.json", ec)) {
    note("baseline: running the template's experiment as run_0");
    TRY_VOID(copy_template(config.tmpl.dir, baseline));
    experiment::RunSettings settings;
    settings.config = config.tmpl.config;
    settings.python = config.python;
    settings.smoke = config.smoke;
    PoolSlots slots(parts.slots);
    settings.slots = &slots;
    experiment::RunExecutor executor(parts.sandbox, settings);
    auto run = TRY(executor.run_experiment(baseline, 0));
    if (!run.ok) {
      return core::fail(
          core::ErrorCode::process,
          fmt::format("the template's baseline run failed: {}; its output is in {} "
                      "and {}",
                      run.problem, run.stdout_path.string(), run.stderr_path.string()));
    }
  }
  const nlohmann::json baseline_means = TRY(experiment::read_means(baseline / "run_0"));

  // 4. The ideas to run, each with its folder (an interrupted run's folders are kept).
  const std::string stamp = local_stamp();
  std::vector<std::pair<nlohmann::json, Journal::Idea>> to_run;
  std::set<std::string> names;
  for (std::size_t i = 0; i < ideas.size(); ++i) {
    const auto& idea = ideas[i];
    std::string name = idea_name(idea, i);
    if (!names.insert(name).second) name = fmt::format("{}_{}", name, i + 1);
    const fs::path folder = config.idea_root / fmt::format("{}_{}", stamp, folder_safe(name));
    auto record = TRY(parts.journal.add_idea(name, folder, static_cast<int>(i)));
    parts.view.add_idea(name);
    if (record.status == IdeaStatus::done || record.status == IdeaStatus::skipped) {
      parts.view.finished(name, record.status, record.reason);
      continue;
    }
    if (!config.skip_novelty_check) {
      if (!idea.contains("novel") || !idea["novel"].is_boolean()) {
        TRY_VOID(parts.journal.set_status(name, IdeaStatus::skipped, {},
                                          "its novelty check did not finish (see above)"));
        parts.view.finished(name, IdeaStatus::skipped, "novelty not checked");
        continue;
      }
      if (!idea["novel"].get<bool>()) {
        TRY_VOID(parts.journal.set_status(name, IdeaStatus::skipped, {}, "not novel"));
        parts.view.finished(name, IdeaStatus::skipped, "not novel");
        continue;
      }
    }
    to_run.emplace_back(idea, record);
  }

  // 5. The ideas side by side: `parallel` at once; experiment runs wait for a slot.
  writeup::Compiler compiler(parts.sandbox, &parts.lint_runner);
  PoolSlots slots(parts.slots);
  std::atomic<bool> budget_spent = false;
  std::mutex queue_mutex;
  std::size_t next = 0;
  auto worker = [&] {
    for (;;) {
      std::size_t mine;
      {
        std::lock_guard lock(queue_mutex);
        if (next >= to_run.size()) return;
        mine = next++;
      }
      IdeaRun run(config, parts, compiler, slots, to_run[mine].first, to_run[mine].second,
                  baseline_means, budget_spent);
      run.run();
    }
  };
  {
    std::vector<std::jthread> workers;
    const int n = std::max(1, std::min<int>(config.parallel, static_cast<int>(to_run.size())));
    for (int i = 0; i < n; ++i)
      workers.emplace_back(worker);
  }
  outcome.budget_spent = budget_spent;
  outcome.summary = TRY(parts.journal.summary());
  for (const auto& row : outcome.summary) {
    if (row.idea.status == IdeaStatus::failed) ++outcome.failed;
  }
  return outcome;
}

}  // namespace pipeline
