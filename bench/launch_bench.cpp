// The launch engine's own overhead: the wall time of a whole launch of K ideas against the
// critical-path lower bound that the model's latency and the experiments' durations set.
//
//   build/bench/launch_bench [--latency-ms L] [--sleep-ms T] [--slots S] [--ideas 1,4,16]
//                            [--no-sandbox]
//
// Each launch runs the toy template of the launch tests (tests/support/toy_research.h) with the
// scripted researcher: ideas = K seeds (no generation, no novelty check), parallel = K, S CPU
// slots, a fake model that sleeps L per call, an experiment.py that sleeps T per run, runs in
// the sandbox (bubblewrap; --no-sandbox or a machine without it: straight processes, and the
// output says which). Per idea i the model gets C_i calls and the experiment is run R_i times
// (counted after the launch); the baseline is run once per launch. Lower bound:
//
//   bound = T + max( max_i (C_i*L + R_i*T),  ceil(sum_i R_i / S) * T )
//
// i.e. the baseline, then the longest idea if every call and run took exactly its latency, or
// the runs packed into the S slots. The bound leaves out real work that is neither model latency
// nor experiment sleep: starting the sandbox, flake8 on every edit, plot.py, pdflatex/bibtex,
// reading the PDF back, the journal and transcripts. That work is measured separately by the
// same launch with L = 0 and T = 0 ("work" column), so the ratio can be read as
// wall ~ bound + the work that does not overlap with waiting; "wall-bound-work" is what is left
// for the engine itself (scheduling, slots, threads) when none of the work overlaps (with more
// ideas than slots, ideas waiting for a slot overlap some of it, and it can go negative).
// Defaults: L = 200 ms, T = 2000 ms, S = 4, K = 1, 4, 16: about 2 minutes on 2 cores.

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/temp_dir.h"
#include "experiment/sandboxed_runner.h"
#include "llm/cost.h"
#include "llm/transcript.h"
#include "pipeline/launch.h"
#include "support/toy_research.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct Options {
  int latency_ms = 200;
  int sleep_ms = 2000;
  int slots = 4;
  std::vector<int> ideas = {1, 4, 16};
  bool sandbox = true;
};

struct Measured {
  double wall_s = 0;
  int done = 0;
  std::vector<int> calls;  // per idea
  std::vector<int> runs;   // per idea (experiment runs, failed ones included)
  std::string problem;     // why the launch failed, if it did
};

// Experiment runs made in an idea folder: run_1.. (kept) and the attempts in failed_runs/.
int count_runs(const fs::path& folder) {
  int runs = 0;
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (it->is_directory() && name.starts_with("run_") && name != "run_0") ++runs;
  }
  for (fs::directory_iterator it(folder / "failed_runs", ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->is_directory()) ++runs;
  }
  return runs;
}

// One launch of `ideas` toy ideas in a fresh folder, as the CLI builds it (a transcript per idea,
// costs counted), timed from run_launch's start to its return.
Measured launch(const Options& o, const experiment::Sandbox& sandbox, int ideas, int latency_ms,
                int sleep_ms) {
  Measured m;
  core::ScopedTempDir dir("launch-bench");
  if (dir.path().empty()) {
    m.problem = "cannot make a temporary folder";
    return m;
  }
  test_support::write_toy_template(dir.path() / "toy", ideas, sleep_ms);
  auto tmpl = experiment::load_template(dir.path() / "toy");
  if (!tmpl) {
    m.problem = tmpl.error().message;
    return m;
  }
  pipeline::LaunchConfig c;
  c.tmpl = *tmpl;
  c.run_dir = dir.path() / "results" / "toy" / "launch";
  c.idea_root = dir.path() / "results" / "toy";
  c.python = "/usr/bin/python3";
  c.skip_idea_generation = true;
  c.skip_novelty_check = true;
  c.parallel = ideas;
  c.loops.max_runs = 2;
  c.loops.max_iters = 2;
  c.writeup.cite_rounds = 0;
  c.review.ensemble = 1;
  c.review.num_reflections = 1;
  c.manifest.engine_version = "bench";

  auto model = std::make_shared<test_support::FunctionLlm>(
      [](const core::CompletionRequest& r) -> core::Result<std::string> {
        return test_support::researcher(r);
      },
      milliseconds(latency_ms));
  const auto prices = llm::PriceTable::parse(
      R"({"models": {"fake/function": {"input": 1, "output": 1}}})", "bench prices");
  if (!prices) {
    m.problem = prices.error().message;
    return m;
  }
  llm::CostLedger ledger(std::nullopt);
  auto priced = std::make_shared<llm::CostAccountingClient>(model, *prices, ledger);
  auto journal = pipeline::Journal::create(c.run_dir, {"toy", {}, core::utc_timestamp()});
  auto pool = pipeline::SlotPool::for_cpu(o.slots);
  if (!journal || !pool) {
    m.problem = !journal ? journal.error().message : pool.error().message;
    return m;
  }
  experiment::SandboxedRunner lint_runner(sandbox);
  std::ostringstream view_out;
  core::SteadyClock clock;
  pipeline::ProgressView view(view_out, clock);
  pipeline::ClientFactory clients =
      [&](const std::string&, const fs::path& transcript) -> core::Result<pipeline::IdeaClients> {
    auto writer = TRY(llm::TranscriptWriter::open(transcript, {}));
    std::shared_ptr<core::LlmClient> client =
        std::make_shared<llm::RecordingClient>(priced, writer);
    return pipeline::IdeaClients{client, client};
  };
  pipeline::LaunchParts parts{*priced,   nullptr, sandbox, lint_runner, **pool,
                              **journal, view,    ledger,  clients};

  const auto start = Clock::now();
  auto outcome = pipeline::run_launch(c, parts);
  m.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  if (!outcome) {
    m.problem = outcome.error().message;
    return m;
  }
  const auto calls = model->calls_per_idea();
  for (const auto& row : outcome->summary) {
    if (row.idea.status == pipeline::IdeaStatus::done) {
      ++m.done;
    } else if (m.problem.empty()) {
      m.problem =
          fmt::format("{} failed at {}: {}", row.idea.name, row.idea.failed_stage, row.idea.reason);
    }
    auto it = calls.find(row.idea.name);
    m.calls.push_back(it == calls.end() ? 0 : it->second);
    m.runs.push_back(count_runs(row.idea.folder));
  }
  return m;
}

// The critical-path lower bound of a launch from its counted calls and runs (seconds).
double lower_bound(const Measured& m, int slots, int latency_ms, int sleep_ms) {
  const double L = latency_ms / 1000.0;
  const double T = sleep_ms / 1000.0;
  double longest = 0;
  int total_runs = 0;
  for (std::size_t i = 0; i < m.calls.size(); ++i) {
    longest = std::max(longest, m.calls[i] * L + m.runs[i] * T);
    total_runs += m.runs[i];
  }
  const double packed = ((total_runs + slots - 1) / slots) * T;
  return T + std::max(longest, packed);
}

std::string range(const std::vector<int>& v) {
  if (v.empty()) return "-";
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  return *lo == *hi ? std::to_string(*lo) : fmt::format("{}-{}", *lo, *hi);
}

bool parse(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= argc) return std::nullopt;
      return std::string(argv[++i]);
    };
    if (a == "--no-sandbox") {
      o.sandbox = false;
    } else if (a == "--latency-ms" || a == "--sleep-ms" || a == "--slots") {
      auto v = value();
      if (!v) return false;
      const int n = std::atoi(v->c_str());
      if (n < 0 || (a == "--slots" && n < 1)) return false;
      (a == "--latency-ms" ? o.latency_ms : a == "--sleep-ms" ? o.sleep_ms : o.slots) = n;
    } else if (a == "--ideas") {
      auto v = value();
      if (!v) return false;
      o.ideas.clear();
      std::stringstream s(*v);
      for (std::string part; std::getline(s, part, ',');) {
        const int n = std::atoi(part.c_str());
        if (n < 1) return false;
        o.ideas.push_back(n);
      }
      if (o.ideas.empty()) return false;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, o)) {
    std::fprintf(stderr,
                 "usage: launch_bench [--latency-ms L] [--sleep-ms T] [--slots S] "
                 "[--ideas 1,4,16] [--no-sandbox]\n");
    return 2;
  }
  auto sandbox = experiment::Sandbox::create(o.sandbox);
  std::string isolation = "bubblewrap sandbox";
  if (!o.sandbox) {
    isolation = "no sandbox (--no-sandbox)";
  } else if (!sandbox->capabilities().bubblewrap) {
    isolation = fmt::format("no sandbox (bubblewrap cannot run here: {})",
                            sandbox->capabilities().bubblewrap_problem);
    sandbox = experiment::Sandbox::create(false);
  }
  fmt::print(
      "launch_bench: model latency L = {} ms per call, experiment sleep T = {} ms per run, "
      "S = {} CPU slots, parallel = K, runs: {}, {} hardware threads\n",
      o.latency_ms, o.sleep_ms, o.slots, isolation, std::thread::hardware_concurrency());
  fmt::print(
      "bound = T + max(max_i C_i*L + R_i*T, ceil(sum R_i / S)*T); work = the same launch with "
      "L = 0, T = 0 (sandbox, lint, plot, LaTeX, PDF, journal)\n\n");
  fmt::print("{:>3} {:>6} {:>6} {:>9} {:>9} {:>7} {:>9} {:>11} {:>16}\n", "K", "C/idea", "R/idea",
             "wall s", "bound s", "ratio", "work s", "wall-bound", "wall-bound-work");
  int status = 0;
  for (int k : o.ideas) {
    const Measured work = launch(o, *sandbox, k, 0, 0);
    const Measured timed = launch(o, *sandbox, k, o.latency_ms, o.sleep_ms);
    for (const Measured* m : {&work, &timed}) {
      if (!m->problem.empty()) {
        fmt::print("{:>3} launch{} failed: {}\n", k, m == &work ? " (L = 0, T = 0)" : "",
                   m->problem);
        status = 1;
      }
    }
    if (timed.calls.empty()) continue;
    const double bound = lower_bound(timed, o.slots, o.latency_ms, o.sleep_ms);
    fmt::print("{:>3} {:>6} {:>6} {:>9.2f} {:>9.2f} {:>7.2f} {:>9.2f} {:>11.2f} {:>16.2f}\n", k,
               range(timed.calls), range(timed.runs), timed.wall_s, bound, timed.wall_s / bound,
               work.wall_s, timed.wall_s - bound, timed.wall_s - bound - work.wall_s);
    std::fflush(stdout);
  }
  return status;
}
