// The whole pipeline in process on a toy template: a scripted model (called with the stages'
// real requests), real edits, real runs in the sandbox, LaTeX compiled, the PDF read back and
// reviewed. Covers resuming after an interruption, ideas side by side, a failing idea and the
// budget.
#include "pipeline/launch.h"

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "experiment/sandboxed_runner.h"
#include "llm/cost.h"
#include "llm/resume.h"
#include "llm/transcript.h"
#include "pdf/pdf_text.h"
#include "support/temp_dir.h"
#include "support/toy_research.h"

namespace {

namespace fs = std::filesystem;
using test_support::edit_reply;
using test_support::FunctionLlm;
using test_support::researcher;
using test_support::TempDir;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// ---- the rig (the toy template and its model: support/toy_research.h) ---------------------------

struct LaunchRig {
  TempDir dir;
  std::unique_ptr<experiment::Sandbox> sandbox = experiment::Sandbox::create(true);
  std::unique_ptr<experiment::SandboxedRunner> lint_runner;
  llm::PriceTable prices = *llm::PriceTable::parse(
      R"({"models": {"fake/function": {"input": 1000, "output": 1000}}})", "test prices");
  std::ostringstream view_out;
  core::SteadyClock clock;

  explicit LaunchRig(int ideas = 1) {
    test_support::write_toy_template(dir.path() / "toy", ideas);
    lint_runner = std::make_unique<experiment::SandboxedRunner>(*sandbox);
  }

  pipeline::LaunchConfig config(int parallel = 1) {
    pipeline::LaunchConfig c;
    c.tmpl = *experiment::load_template(dir.path() / "toy");
    c.run_dir = dir.path() / "results" / "toy" / "launch_1";
    c.idea_root = dir.path() / "results" / "toy";
    c.python = "/usr/bin/python3";
    c.skip_idea_generation = true;
    c.skip_novelty_check = true;
    c.parallel = parallel;
    c.loops.max_runs = 2;
    c.loops.max_iters = 2;
    c.writeup.cite_rounds = 0;
    c.review.ensemble = 1;
    c.review.num_reflections = 1;
    c.manifest.engine_version = "test";
    return c;
  }

  // One launch (or resumed launch) of `config` with `model` behind a transcript per idea, as the
  // CLI builds it: Recording(Resume(CostAccounting(model))).
  core::Result<pipeline::LaunchOutcome> launch(const pipeline::LaunchConfig& c,
                                               std::shared_ptr<core::LlmClient> model,
                                               std::optional<double> budget = std::nullopt,
                                               int slots = 1) {
    llm::CostLedger ledger(budget);
    auto priced = std::make_shared<llm::CostAccountingClient>(model, prices, ledger);
    std::unique_ptr<pipeline::Journal> journal;
    if (fs::exists(c.run_dir / "journal.sqlite")) {
      journal = TRY(pipeline::Journal::open(c.run_dir));
    } else {
      journal = TRY(pipeline::Journal::create(c.run_dir, {"toy", {}, core::utc_timestamp()}));
    }
    auto pool = TRY(pipeline::SlotPool::for_cpu(slots));
    pipeline::ProgressView view(view_out, clock);
    pipeline::ClientFactory clients =
        [&](const std::string&, const fs::path& transcript) -> core::Result<pipeline::IdeaClients> {
      std::shared_ptr<core::LlmClient> client = priced;
      if (fs::exists(transcript)) {
        client = TRY(llm::ResumeClient::from_files({transcript}, client));
      }
      auto writer = TRY(llm::TranscriptWriter::open(transcript, {}));
      client = std::make_shared<llm::RecordingClient>(client, writer);
      return pipeline::IdeaClients{client, client};
    };
    pipeline::LaunchParts parts{*priced,  nullptr, *sandbox, *lint_runner, *pool,
                                *journal, view,    ledger,   clients};
    return pipeline::run_launch(c, parts);
  }

  fs::path idea_folder(const pipeline::LaunchOutcome& outcome, std::size_t i = 0) {
    return outcome.summary.at(i).idea.folder;
  }
};

void expect_complete_idea(const fs::path& folder, const std::string& name) {
  EXPECT_TRUE(fs::exists(folder / "run_1" / "final_info.json")) << folder;
  EXPECT_TRUE(fs::exists(folder / "loss_run_1.png"));
  EXPECT_TRUE(contains(read_file(folder / "notes.txt"), "loss_run_1.png"));
  auto text = pdf::read_text(folder / (name + ".pdf"));
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_TRUE(contains(*text, "A Higher Learning Rate for Toys")) << *text;
  auto review = nlohmann::json::parse(read_file(folder / "review.txt"));
  EXPECT_EQ(review["Overall"], 5);
  EXPECT_EQ(review["Decision"], "Reject");
  auto manifest = nlohmann::json::parse(read_file(folder / "manifest.json"));
  EXPECT_EQ(manifest["idea"], name);
  EXPECT_FALSE(manifest["finished"].get<std::string>().empty());
  EXPECT_TRUE(contains(read_file(folder / "log.txt"), "stage: review"));
}

TEST(Launch, RunsAnIdeaThroughEveryStageToAReviewedPdf) {
  LaunchRig rig;
  if (!rig.sandbox->capabilities().bubblewrap) GTEST_SKIP() << "no bubblewrap here";
  auto model = std::make_shared<FunctionLlm>(
      [](const core::CompletionRequest& r) -> core::Result<std::string> { return researcher(r); });
  auto outcome = rig.launch(rig.config(), model);
  ASSERT_TRUE(outcome) << outcome.error().message;
  ASSERT_EQ(outcome->summary.size(), 1u);
  const auto& row = outcome->summary[0];
  EXPECT_EQ(row.idea.status, pipeline::IdeaStatus::done) << row.idea.reason;
  EXPECT_EQ(row.completed,
            (std::vector<std::string>{"experiments", "plots", "notes", "writeup", "review"}));
  EXPECT_EQ(row.review_score, 5.0);
  ASSERT_TRUE(row.pdf);
  EXPECT_GT(row.cost_usd, 0.0);
  expect_complete_idea(row.idea.folder, "idea_0");
  EXPECT_TRUE(contains(row.idea.folder.filename().string(), "_idea_0"));
  EXPECT_TRUE(fs::exists(rig.config().run_dir / "baseline" / "run_0" / "final_info.json"));
}

// The model fails once at `fail_stage` (turn `fail_turn`), as a crash there would end the run;
// the launch is started again and must finish without asking anything twice.
void interrupted_then_resumed(const std::string& fail_stage, int fail_turn) {
  LaunchRig rig;
  if (!rig.sandbox->capabilities().bubblewrap) GTEST_SKIP() << "no bubblewrap here";
  bool failed_once = false;
  auto model = std::make_shared<FunctionLlm>(
      [&](const core::CompletionRequest& r) -> core::Result<std::string> {
        if (!failed_once && r.context.stage == fail_stage && r.context.turn == fail_turn) {
          failed_once = true;
          return core::fail(core::ErrorCode::cancelled, "killed here");
        }
        return researcher(r);
      });
  auto first = rig.launch(rig.config(), model);
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_EQ(first->summary[0].idea.status, pipeline::IdeaStatus::failed);
  EXPECT_EQ(first->summary[0].idea.failed_stage, fail_stage);
  const int answered_before = model->answered();

  auto second = rig.launch(rig.config(), model);
  ASSERT_TRUE(second) << second.error().message;
  const auto& row = second->summary[0];
  EXPECT_EQ(row.idea.status, pipeline::IdeaStatus::done) << row.idea.reason;
  expect_complete_idea(row.idea.folder, "idea_0");
  // Every call the first launch got an answer to was answered from its transcript.
  EXPECT_EQ(model->max_answers_per_key(), 1);
  EXPECT_GT(model->answered(), answered_before);
}

TEST(Launch, ResumesAfterAnInterruptionMidExperimentWithoutRepeatingACall) {
  interrupted_then_resumed("experiments", 1);
}

TEST(Launch, ResumesAfterAnInterruptionMidWriteupWithoutRepeatingACall) {
  interrupted_then_resumed("writeup", 5);
}

TEST(Launch, IdeasRunSideBySideAndAFailingIdeaDoesNotStopTheOthers) {
  LaunchRig rig(3);
  if (!rig.sandbox->capabilities().bubblewrap) GTEST_SKIP() << "no bubblewrap here";
  // Each idea's first call waits until every idea has made one: only ideas that run side by side
  // get past it (a sequential launch would time out here and fail the ideas).
  std::mutex mutex;
  std::condition_variable cv;
  std::set<std::string> arrived;
  auto model = std::make_shared<FunctionLlm>(
      [&](const core::CompletionRequest& r) -> core::Result<std::string> {
        if (r.context.stage == "experiments" && r.context.turn == 0) {
          std::unique_lock lock(mutex);
          arrived.insert(r.context.idea);
          cv.notify_all();
          if (!cv.wait_for(lock, std::chrono::seconds(60), [&] { return arrived.size() == 3; })) {
            return core::fail(core::ErrorCode::timeout, "the ideas did not run side by side");
          }
        }
        // idea_1's code crashes on every attempt.
        if (r.context.idea == "idea_1" && r.context.stage == "experiments") {
          return edit_reply("experiment.py", "LR = 0.1", "LR = 0.1\nraise SystemExit(3)");
        }
        return researcher(r);
      });
  auto outcome = rig.launch(rig.config(3), model);
  ASSERT_TRUE(outcome) << outcome.error().message;
  ASSERT_EQ(outcome->summary.size(), 3u);
  EXPECT_EQ(outcome->summary[0].idea.status, pipeline::IdeaStatus::done)
      << outcome->summary[0].idea.reason;
  EXPECT_EQ(outcome->summary[1].idea.status, pipeline::IdeaStatus::failed);
  EXPECT_EQ(outcome->summary[1].idea.failed_stage, "experiments");
  EXPECT_TRUE(contains(outcome->summary[1].idea.reason, "no experiment run succeeded"))
      << outcome->summary[1].idea.reason;
  EXPECT_EQ(outcome->summary[2].idea.status, pipeline::IdeaStatus::done);
  EXPECT_EQ(outcome->failed, 1);
  // The failed idea kept its attempts.
  EXPECT_TRUE(fs::exists(outcome->summary[1].idea.folder / "failed_runs"));
}

TEST(Launch, StopsCleanlyWhenTheBudgetIsSpentAndKeepsWhatWasWritten) {
  LaunchRig rig;
  if (!rig.sandbox->capabilities().bubblewrap) GTEST_SKIP() << "no bubblewrap here";
  auto model = std::make_shared<FunctionLlm>(
      [](const core::CompletionRequest& r) -> core::Result<std::string> { return researcher(r); });
  // Each call costs $1.10 at the test's prices: the budget ends the run during the write-up.
  auto outcome = rig.launch(rig.config(), model, 6.0);
  ASSERT_TRUE(outcome) << outcome.error().message;
  EXPECT_TRUE(outcome->budget_spent);
  const auto& row = outcome->summary[0];
  EXPECT_EQ(row.idea.status, pipeline::IdeaStatus::failed);
  EXPECT_TRUE(contains(row.idea.reason, "budget")) << row.idea.reason;
  EXPECT_TRUE(fs::exists(row.idea.folder / "run_1" / "final_info.json"));
  EXPECT_LE(model->answered(), 6);
}

}  // namespace
