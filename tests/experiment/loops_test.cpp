// The experiment and plot loops on a tiny template, with a scripted model on a loopback server,
// real edits, and real runs in the sandbox.
#include "experiment/loops.h"
#include "experiment/sandboxed_runner.h"

#include <fstream>

#include <gtest/gtest.h>

#include "http/curl_transport.h"
#include "llm/client_factory.h"
#include "support/fake_clock.h"
#include "support/fake_llm_server.h"
#include "support/temp_dir.h"

namespace {

using test_support::FakeOpenAiServer;
using test_support::openai_reply;
using test_support::TempDir;

constexpr const char* k_experiment = R"(import argparse
import json
import os

LR = 0.1

parser = argparse.ArgumentParser()
parser.add_argument("--out_dir", default="run_0")
args = parser.parse_args()
os.makedirs(args.out_dir, exist_ok=True)
with open(os.path.join(args.out_dir, "final_info.json"), "w") as f:
    json.dump({"toy": {"means": {"loss": 1 - LR}}}, f)
print("done")
)";

constexpr const char* k_plot = R"(import os

labels = {"run_0": "Baseline"}
for run in labels:
    if os.path.isdir(run):
        open(run + "_figure.png", "wb").write(b"not really a png")
)";

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string edit_reply(const std::string& file, const std::string& search,
                       const std::string& replace) {
  return "Changing it.\n\n" + file + "\n```python\n<<<<<<< SEARCH\n" + search + "=======\n" +
         replace + ">>>>>>> REPLACE\n```\n";
}

struct LoopRig {
  FakeOpenAiServer server;
  TempDir dir;
  http::CurlTransport transport;
  test_support::FakeClock clock;
  core::Environment env;
  llm::CostLedger ledger;
  llm::ProviderLimits limits;
  std::shared_ptr<core::LlmClient> client;
  std::unique_ptr<edit::Workspace> workspace;
  std::unique_ptr<experiment::Sandbox> sandbox = experiment::Sandbox::create(true);
  experiment::IdeaText idea{"lr_sweep", "Learning rate sweep", "Try larger learning rates."};
  experiment::LoopLimits loop_limits;
  std::vector<std::string> progress;

  LoopRig() {
    dir.write_file("experiment.py", k_experiment);
    dir.write_file("plot.py", k_plot);
    env.set("OPENAI_BASE_URL", server.base_url());
    llm::ClientOptions options;
    options.model_spec = "openai/gpt-4o";
    options.stream = false;
    llm::LlmServices services{transport, clock, env, llm::PriceTable::builtin(), ledger, limits};
    client = *llm::make_client(options, services);
    edit::EditPolicy policy;
    policy.allowed_files = {"experiment.py", "plot.py", "notes.txt"};
    workspace = std::make_unique<edit::Workspace>(dir.path(), policy);
    EXPECT_TRUE(experiment::write_initial_notes(dir.path(), idea,
                                                nlohmann::json{{"toy", {{"loss", 0.9}}}}));
  }

  edit::Coder coder() {
    edit::CoderOptions options;
    options.files_in_context = {"experiment.py", "plot.py", "notes.txt"};
    options.stage = "experiments";
    return edit::Coder(*client, *workspace, options);
  }

  experiment::RunExecutor executor(std::optional<std::chrono::seconds> timeout = {}) {
    experiment::RunSettings settings;
    settings.python = "/usr/bin/python3";
    settings.timeout = timeout;
    return experiment::RunExecutor(*sandbox, settings);
  }

  core::Result<experiment::ExperimentsResult> run_loop(edit::Coder& coder,
                                                       const experiment::RunExecutor& executor) {
    return experiment::run_experiment_loop(
        coder, executor, dir.path(), idea, nlohmann::json{{"toy", {{"loss", 0.9}}}}, loop_limits,
        [this](std::string_view line) { progress.emplace_back(line); });
  }

  std::string user_message(std::size_t request) {
    return server.bodies().at(request)["messages"].back()["content"].get<std::string>();
  }
};

TEST(ExperimentLoop, RunsEachChangeRecordsResultsAndStopsWhenTheAgentIsDone) {
  LoopRig rig;
  rig.server.enqueue(openai_reply({edit_reply("experiment.py", "LR = 0.1\n", "LR = 0.2\n")}));
  rig.server.enqueue(openai_reply({edit_reply("experiment.py", "LR = 0.2\n", "LR = 0.3\n")}));
  rig.server.enqueue(openai_reply({"ALL_COMPLETED"}));
  auto coder = rig.coder();
  auto executor = rig.executor();
  auto result = rig.run_loop(coder, executor);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->runs_completed, 2);
  EXPECT_TRUE(result->agent_completed);
  EXPECT_NE(read_file(rig.dir.path() / "run_1" / "final_info.json").find("0.8"), std::string::npos);
  EXPECT_NE(read_file(rig.dir.path() / "run_2" / "final_info.json").find("0.7"), std::string::npos);
  EXPECT_NE(read_file(rig.dir.path() / "run_1.py").find("LR = 0.2"), std::string::npos);
  // The first prompt carries the idea and the baseline; the second the run's means.
  EXPECT_NE(rig.user_message(0).find("Learning rate sweep"), std::string::npos);
  EXPECT_NE(rig.user_message(0).find("0.9"), std::string::npos);
  std::string second = rig.user_message(1);
  EXPECT_NE(second.find("Run 1 completed"), std::string::npos) << second;
  EXPECT_NE(second.find("notes.txt"), std::string::npos);
  EXPECT_NE(read_file(rig.dir.path() / "notes.txt").find("# Title: Learning rate sweep"),
            std::string::npos);
}

TEST(ExperimentLoop, ACrashIsFixedFromTheStderrFeedbackAndItsOutputIsKept) {
  LoopRig rig;
  rig.server.enqueue(openai_reply({edit_reply("experiment.py", "LR = 0.1\n",
                                              "LR = 0.2\nraise RuntimeError('exploded lr')\n")}));
  rig.server.enqueue(
      openai_reply({edit_reply("experiment.py", "raise RuntimeError('exploded lr')\n", "\n")}));
  rig.server.enqueue(openai_reply({"ALL_COMPLETED"}));
  auto coder = rig.coder();
  auto executor = rig.executor();
  auto result = rig.run_loop(coder, executor);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->runs_completed, 1);
  std::string feedback = rig.user_message(1);
  EXPECT_NE(feedback.find("Run 1 failed"), std::string::npos) << feedback;
  EXPECT_NE(feedback.find("exploded lr"), std::string::npos) << feedback;
  EXPECT_NE(read_file(rig.dir.path() / "failed_runs" / "run_1_attempt_1" / "stderr.txt")
                .find("exploded lr"),
            std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(rig.dir.path() / "run_1" / "final_info.json"));
}

TEST(ExperimentLoop, AMissingFinalInfoAndATimeoutAreFailedAttemptsThatSaySo) {
  LoopRig rig;
  rig.loop_limits.max_iters = 2;
  rig.server.enqueue(openai_reply(
      {edit_reply("experiment.py", "    json.dump({\"toy\": {\"means\": {\"loss\": 1 - LR}}}, f)\n",
                  "    pass\n")}));
  rig.server.enqueue(openai_reply(
      {edit_reply("experiment.py", "print(\"done\")\n", "import time\ntime.sleep(60)\n")}));
  auto coder = rig.coder();
  auto executor = rig.executor(std::chrono::seconds(2));
  auto result = rig.run_loop(coder, executor);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->runs_completed, 0);
  EXPECT_NE(result->stop_reason.find("failed 2 times"), std::string::npos) << result->stop_reason;
  // The experiment opened final_info.json but wrote nothing into it.
  EXPECT_NE(rig.user_message(1).find("it exited 0, but"), std::string::npos) << rig.user_message(1);
  EXPECT_NE(rig.user_message(1).find("final_info.json is not valid JSON"), std::string::npos)
      << rig.user_message(1);
  EXPECT_EQ(rig.server.server().request_count(), 2u);
  bool saw_timeout = false;
  for (const auto& line : rig.progress)
    saw_timeout |= line.find("timed out") != std::string::npos;
  EXPECT_TRUE(saw_timeout);
}

TEST(ExperimentLoop, AReplyThatChangesNothingIsNotRunAgain) {
  LoopRig rig;
  rig.server.enqueue(openai_reply({"I think the code is fine as it is."}));
  rig.server.enqueue(openai_reply({"ALL_COMPLETED"}));
  auto coder = rig.coder();
  auto executor = rig.executor();
  auto result = rig.run_loop(coder, executor);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->runs_completed, 0);
  EXPECT_TRUE(result->agent_completed);
  EXPECT_FALSE(std::filesystem::exists(rig.dir.path() / "run_1"));
  EXPECT_NE(rig.user_message(1).find("did not change any file"), std::string::npos);
}

TEST(PlotLoop, EditsThePlotsRunsThemAndRetriesAFailure) {
  LoopRig rig;
  rig.server.enqueue(openai_reply({edit_reply("plot.py", "labels = {\"run_0\": \"Baseline\"}\n",
                                              "labels = {\"run_0\": \"Baseline\"}\nboom()\n")}));
  rig.server.enqueue(openai_reply({edit_reply("plot.py", "boom()\n", "\n")}));
  std::filesystem::create_directories(rig.dir.path() / "run_0");
  auto coder = rig.coder();
  auto executor = rig.executor();
  auto result = experiment::run_plot_loop(coder, executor, rig.dir.path(), rig.loop_limits);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_TRUE(result->ok) << result->problem;
  EXPECT_EQ(result->figures, (std::vector<std::string>{"run_0_figure.png"}));
  EXPECT_NE(rig.user_message(1).find("NameError"), std::string::npos) << rig.user_message(1);
}

}  // namespace

namespace {

TEST(PlotLoop, APlotThatNeverWorksIsRecordedNotFatal) {
  LoopRig rig;
  rig.loop_limits.max_iters = 2;
  rig.server.enqueue(openai_reply({edit_reply("plot.py", "labels = {\"run_0\": \"Baseline\"}\n",
                                              "labels = {\"run_0\": \"Baseline\"}\nboom()\n")}));
  rig.server.enqueue(openai_reply({edit_reply("plot.py", "boom()\n", "bang()\n")}));
  auto coder = rig.coder();
  auto executor = rig.executor();
  auto result = experiment::run_plot_loop(coder, executor, rig.dir.path(), rig.loop_limits);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_FALSE(result->ok);
  EXPECT_NE(result->problem.find("exited with status 1"), std::string::npos) << result->problem;
  EXPECT_EQ(rig.server.server().request_count(), 2u);
}

TEST(NotesStep, AsksForEveryFigureToBeDescribed) {
  LoopRig rig;
  rig.server.enqueue(openai_reply({edit_reply(
      "notes.txt", "Description: Baseline results.\n",
      "Description: Baseline results.\n\n## Figures\nloss.png shows the loss of every run.\n")}));
  auto coder = rig.coder();
  ASSERT_TRUE(experiment::run_notes_step(coder, {"loss.png"}, rig.loop_limits));
  EXPECT_NE(rig.user_message(0).find("loss.png"), std::string::npos);
  EXPECT_NE(read_file(rig.dir.path() / "notes.txt").find("loss.png shows"), std::string::npos);
}

}  // namespace

namespace {

TEST(SandboxedLint, PythonChecksRunInsideTheSandbox) {
  TempDir dir;
  dir.write_file("broken.py", "def f(:\n    pass\n");
  dir.write_file("fine.py", "x = 1\n");
  auto sandbox = experiment::Sandbox::create(true);
  experiment::SandboxedRunner runner(*sandbox);
  edit::PythonLint lint(runner, "/usr/bin/python3", std::nullopt);
  auto report = lint.check(dir.path(), {"broken.py", "fine.py"});
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_NE(report->find("broken.py"), std::string::npos) << *report;
  EXPECT_NE(report->find("SyntaxError"), std::string::npos) << *report;
  EXPECT_EQ(report->find("fine.py"), std::string::npos) << *report;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "__pycache__"));
}

}  // namespace

namespace {

TEST(RunExecutor, AStaleResultDoesNotPassForANewRunAndPlantedLinksAreMovedAside) {
  LoopRig rig;
  TempDir outside;
  auto victim = outside.write_file("victim.txt", "keep me");
  // An earlier attempt left results; a planted symlink waits where a log will be written.
  rig.dir.write_file("run_1/final_info.json", R"({"toy": {"means": {"loss": 0.1}}})");
  std::filesystem::create_directories(rig.dir.path() / "run_2");
  std::filesystem::create_symlink(victim, rig.dir.path() / "run_2" / "stdout.txt");
  rig.dir.write_file("experiment.py", "print('writes nothing')\n");
  auto executor = rig.executor();
  auto first = executor.run_experiment(rig.dir.path(), 1);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_FALSE(first->ok);
  EXPECT_NE(first->problem.find("final_info.json was not written"), std::string::npos);
  EXPECT_TRUE(
      std::filesystem::exists(rig.dir.path() / "previous_runs" / "run_1_1" / "final_info.json"));
  auto second = executor.run_experiment(rig.dir.path(), 2);
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(read_file(victim), "keep me");
  EXPECT_NE(read_file(rig.dir.path() / "run_2" / "stdout.txt").find("writes nothing"),
            std::string::npos);
}

TEST(ExperimentLoop, EditingOnlyTheNotesIsNotANewExperiment) {
  LoopRig rig;
  rig.server.enqueue(openai_reply({edit_reply("notes.txt", "Description: Baseline results.\n",
                                              "Description: Baseline results. Planned: LR.\n")}));
  rig.server.enqueue(openai_reply({"ALL_COMPLETED"}));
  auto coder = rig.coder();
  auto executor = rig.executor();
  auto result = rig.run_loop(coder, executor);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_FALSE(std::filesystem::exists(rig.dir.path() / "run_1"));
  EXPECT_NE(rig.user_message(0).find("--out_dir=run_i"), std::string::npos) << rig.user_message(0);
}

}  // namespace

namespace {

// Slots that count leases and hand out one GPU id.
class CountingSlots final : public experiment::RunSlots {
 public:
  struct GpuLease final : Lease {
    explicit GpuLease(int& held) : m_held(held) { ++m_held; }
    ~GpuLease() override { --m_held; }
    std::map<std::string, std::string> env() const override {
      return {{"CUDA_VISIBLE_DEVICES", "3"}};
    }
    int& m_held;
  };
  core::Result<std::unique_ptr<Lease>> acquire() override {
    ++acquired;
    if (refuse) return core::fail(core::ErrorCode::cancelled, "the launch is stopping");
    return std::make_unique<GpuLease>(held);
  }
  int acquired = 0;
  int held = 0;
  bool refuse = false;
};

TEST(RunExecutor, AnExperimentRunHoldsASlotAndSeesItsGpuButAPlotDoesNot) {
  LoopRig rig;
  rig.dir.write_file(
      "experiment.py",
      "import json, os, sys\nout = sys.argv[1].split('=')[1]\n"
      "os.makedirs(out, exist_ok=True)\n"
      "json.dump({'t': {'means': {'gpu': int(os.environ['CUDA_VISIBLE_DEVICES'])}}}, "
      "open(os.path.join(out, 'final_info.json'), 'w'))\n");
  CountingSlots slots;
  experiment::RunSettings settings;
  settings.python = "/usr/bin/python3";
  settings.slots = &slots;
  experiment::RunExecutor executor(*rig.sandbox, settings);
  auto run = executor.run_experiment(rig.dir.path(), 1);
  ASSERT_TRUE(run) << run.error().message;
  ASSERT_TRUE(run->ok) << run->problem << run->stderr_tail;
  EXPECT_EQ(run->means["t"]["gpu"], 3);
  EXPECT_EQ(slots.acquired, 1);
  EXPECT_EQ(slots.held, 0);  // released when the run ended
  ASSERT_TRUE(executor.run_plot(rig.dir.path()));
  EXPECT_EQ(slots.acquired, 1);
  // A scheduler that is stopping refuses the slot: the run does not start and says why.
  slots.refuse = true;
  auto refused = executor.run_experiment(rig.dir.path(), 2);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, core::ErrorCode::cancelled);
  EXPECT_FALSE(std::filesystem::exists(rig.dir.path() / "run_2" / "stdout.txt"));
}

}  // namespace
