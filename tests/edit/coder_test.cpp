// The coder over the real client stack (libcurl, retries, costs, transcript) against a loopback
// OpenAI-compatible server that plays a scripted model, on real files, with real lint.
#include "edit/coder.h"

#include <fstream>

#include <gtest/gtest.h>

#include "http/curl_transport.h"
#include "llm/client_factory.h"
#include "platform/executables.h"
#include "platform/posix_process_runner.h"
#include "resources/resources.h"
#include "support/fake_clock.h"
#include "support/fake_llm_server.h"
#include "support/temp_dir.h"

namespace {

using test_support::FakeOpenAiServer;
using test_support::openai_reply;
using test_support::TempDir;

constexpr const char* k_experiment = R"(import argparse


def train(lr):
    loss = 1.0
    for step in range(10):
        loss = loss * (1 - lr)
    return loss


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--out_dir", default="run_0")
    args = parser.parse_args()
    print(train(0.1))
)";

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A reply with one SEARCH/REPLACE block.
std::string block(const std::string& file, const std::string& search, const std::string& replace,
                  const std::string& prose = "Here is the change.") {
  return prose + "\n\n" + file + "\n```python\n<<<<<<< SEARCH\n" + search + "=======\n" + replace +
         ">>>>>>> REPLACE\n```\n";
}

struct CoderRig {
  FakeOpenAiServer server;
  TempDir dir;
  http::CurlTransport transport;
  test_support::FakeClock clock;
  core::Environment env;
  llm::CostLedger ledger;
  llm::ProviderLimits limits;
  std::shared_ptr<core::LlmClient> client;
  platform::PosixProcessRunner runner;
  std::unique_ptr<edit::PythonLint> lint;
  std::unique_ptr<edit::Workspace> workspace;

  CoderRig() {
    dir.write_file("experiment.py", k_experiment);
    env.set("OPENAI_BASE_URL", server.base_url());
    llm::ClientOptions options;
    options.model_spec = "openai/gpt-4o";
    options.stream = false;
    llm::LlmServices services{transport, clock,  env,    llm::PriceTable::builtin(),
                              ledger,    limits, nullptr};
    client = *llm::make_client(options, services);
    auto flake8 = platform::find_executable("flake8", "/usr/bin:/bin");
    lint = std::make_unique<edit::PythonLint>(runner, "/usr/bin/python3", flake8);
    edit::EditPolicy policy;
    policy.allowed_files = {"experiment.py", "plot.py", "notes.txt"};
    policy.allowed_patterns = {"*.py"};
    workspace = std::make_unique<edit::Workspace>(dir.path(), policy);
  }

  edit::Coder coder(int max_reflections = 3) {
    edit::CoderOptions options;
    options.files_in_context = {"experiment.py"};
    options.max_reflections = max_reflections;
    options.history_file = dir.path() / "coder_history.md";
    options.stage = "experiments";
    return edit::Coder(*client, *workspace, options, lint.get());
  }

  std::string last_user_message(std::size_t request) {
    auto body = server.bodies().at(request);
    return body["messages"].back()["content"].get<std::string>();
  }
};

TEST(Coder, AppliesAnEditAndSendsTheFilesAndTheFormat) {
  CoderRig rig;
  rig.server.enqueue(
      openai_reply({block("experiment.py", "    print(train(0.1))\n", "    print(train(0.2))\n")},
                   {1200, 80, 0}));
  auto coder = rig.coder();
  auto turn = coder.run("Use a learning rate of 0.2.", true);
  ASSERT_TRUE(turn) << turn.error().message;
  EXPECT_TRUE(turn->clean);
  EXPECT_EQ(turn->reflections, 0);
  EXPECT_EQ(turn->changed_files, (std::vector<std::string>{"experiment.py"}));
  EXPECT_NE(read_file(rig.dir.path() / "experiment.py").find("train(0.2)"), std::string::npos);
  EXPECT_GT(turn->cost_usd, 0.0);

  auto body = rig.server.bodies().at(0);
  EXPECT_NE(body["messages"][0]["content"].get<std::string>().find("<<<<<<< SEARCH"),
            std::string::npos);
  std::string user = rig.last_user_message(0);
  EXPECT_NE(user.find("def train(lr):"), std::string::npos);
  EXPECT_NE(user.find("Use a learning rate of 0.2."), std::string::npos);

  std::string history = read_file(rig.dir.path() / "coder_history.md");
  EXPECT_NE(history.find("#### Use a learning rate of 0.2."), std::string::npos) << history;
  EXPECT_NE(history.find("> Applied edit to experiment.py"), std::string::npos) << history;
  EXPECT_NE(history.find("> Tokens: 1.2k sent, 80 received. Cost: $"), std::string::npos)
      << history;
}

TEST(Coder, ReferenceFilesAreShownButAnEditToThemIsRefused) {
  CoderRig rig;
  rig.dir.write_file("results.txt", "accuracy 0.93\n");
  rig.dir.write_file("plot.py", "print('plot')\n");
  // The model tries to "improve" the reference file, then edits the file it may edit.
  rig.server.enqueue(openai_reply({block("results.txt", "accuracy 0.93\n", "accuracy 0.99\n")}));
  rig.server.enqueue(openai_reply({block("plot.py", "print('plot')\n", "print('plots')\n")}));
  edit::EditPolicy policy;
  policy.allowed_files = {"plot.py"};
  edit::Workspace workspace(rig.dir.path(), policy);
  edit::CoderOptions options;
  options.files_in_context = {"plot.py"};
  options.reference_files = {"results.txt", "absent.txt"};
  edit::Coder coder(*rig.client, workspace, options);
  auto turn = coder.run("Rename the output.", true);
  ASSERT_TRUE(turn) << turn.error().message;
  EXPECT_EQ(read_file(rig.dir.path() / "results.txt"), "accuracy 0.93\n");
  EXPECT_EQ(read_file(rig.dir.path() / "plot.py"), "print('plots')\n");
  const std::string first = rig.last_user_message(0);
  const auto reference = first.find("For reference only (do not edit these):");
  ASSERT_NE(reference, std::string::npos) << first;
  EXPECT_GT(first.find("accuracy 0.93"), reference);
  EXPECT_LT(first.find("print('plot')"), reference);
  EXPECT_EQ(first.find("absent.txt"), std::string::npos);
}

TEST(Coder, AFailedEditIsExplainedAndFixedFromTheFeedback) {
  CoderRig rig;
  // The model misremembers the loop; the feedback shows the real lines and it tries again.
  rig.server.enqueue(openai_reply({block("experiment.py",
                                         "    for step in range(100):\n"
                                         "        loss = loss * (1 - lr)\n",
                                         "    for step in range(20):\n"
                                         "        loss = loss * (1 - lr)\n")}));
  rig.server.enqueue(openai_reply({block("experiment.py",
                                         "    for step in range(10):\n"
                                         "        loss = loss * (1 - lr)\n",
                                         "    for step in range(20):\n"
                                         "        loss = loss * (1 - lr)\n")}));
  auto coder = rig.coder();
  auto turn = coder.run("Train for 20 steps.", true);
  ASSERT_TRUE(turn) << turn.error().message;
  EXPECT_TRUE(turn->clean);
  EXPECT_EQ(turn->reflections, 1);
  EXPECT_NE(read_file(rig.dir.path() / "experiment.py").find("range(20)"), std::string::npos);
  std::string feedback = rig.last_user_message(1);
  EXPECT_NE(feedback.find("1 of your edits could not be applied"), std::string::npos) << feedback;
  EXPECT_NE(feedback.find("for step in range(10):"), std::string::npos) << feedback;
  // The conversation keeps the first exchange.
  auto body = rig.server.bodies().at(1);
  EXPECT_EQ(body["messages"].size(), 4u);  // system, user, assistant, user
}

TEST(Coder, LintErrorsGoBackToTheModel) {
  CoderRig rig;
  rig.server.enqueue(
      openai_reply({block("experiment.py", "    print(train(0.1))\n", "    print(train(0.1)\n")}));
  rig.server.enqueue(
      openai_reply({block("experiment.py", "    print(train(0.1)\n", "    print(train(0.1))\n")}));
  auto coder = rig.coder();
  auto turn = coder.run("Tidy the print.", true);
  ASSERT_TRUE(turn) << turn.error().message;
  EXPECT_TRUE(turn->clean);
  EXPECT_EQ(turn->reflections, 1);
  std::string feedback = rig.last_user_message(1);
  EXPECT_NE(feedback.find("py_compile"), std::string::npos) << feedback;
  EXPECT_NE(feedback.find("experiment.py"), std::string::npos) << feedback;
  // No bytecode is left in the workspace.
  EXPECT_FALSE(std::filesystem::exists(rig.dir.path() / "__pycache__"));
}

TEST(Coder, UndefinedNamesAreCaughtWhenFlake8IsInstalled) {
  if (!platform::find_executable("flake8", "/usr/bin:/bin")) {
    GTEST_SKIP() << "flake8 is not installed (scripts/setup.sh installs it)";
  }
  CoderRig rig;
  rig.server.enqueue(openai_reply(
      {block("experiment.py", "    print(train(0.1))\n", "    print(train(learning_rate))\n")}));
  rig.server.enqueue(openai_reply(
      {block("experiment.py", "    print(train(learning_rate))\n", "    print(train(0.1))\n")}));
  auto coder = rig.coder();
  auto turn = coder.run("Use the learning rate variable.", true);
  ASSERT_TRUE(turn) << turn.error().message;
  EXPECT_TRUE(turn->clean);
  std::string feedback = rig.last_user_message(1);
  EXPECT_NE(feedback.find("F821"), std::string::npos) << feedback;
  EXPECT_NE(feedback.find("learning_rate"), std::string::npos) << feedback;
}

TEST(Coder, TheReflectionLimitHolds) {
  CoderRig rig;
  for (int i = 0; i < 3; ++i) {
    rig.server.enqueue(openai_reply({block("experiment.py", "    not in the file\n", "    x\n")}));
  }
  auto coder = rig.coder(2);
  auto turn = coder.run("Change something.", true);
  ASSERT_TRUE(turn) << turn.error().message;
  EXPECT_FALSE(turn->clean);
  EXPECT_EQ(turn->reflections, 2);
  EXPECT_EQ(rig.server.server().request_count(), 3u);
  EXPECT_NE(turn->unresolved.find("could not be applied"), std::string::npos);
  EXPECT_EQ(read_file(rig.dir.path() / "experiment.py"), k_experiment);
}

TEST(Coder, ABrokenFormatAppliesNothingAndShowsTheSyntax) {
  CoderRig rig;
  // The divider is missing: the reply may have been cut off, so even the good block waits.
  std::string broken =
      block("experiment.py", "    print(train(0.1))\n", "    print(train(0.3))\n") +
      "\nexperiment.py\n```python\n<<<<<<< SEARCH\n    loss = 1.0\n```\n";
  rig.server.enqueue(openai_reply({broken}));
  rig.server.enqueue(
      openai_reply({block("experiment.py", "    print(train(0.1))\n", "    print(train(0.3))\n")}));
  auto coder = rig.coder();
  auto turn = coder.run("Use 0.3.", true);
  ASSERT_TRUE(turn) << turn.error().message;
  EXPECT_TRUE(turn->clean);
  EXPECT_EQ(turn->reports.size(), 1u);
  std::string feedback = rig.last_user_message(1);
  EXPECT_NE(feedback.find("did not follow the edit format"), std::string::npos) << feedback;
  EXPECT_NE(feedback.find("======="), std::string::npos) << feedback;
}

TEST(Coder, AMissingEditIsPointedOutOnlyWhenOneWasExpected) {
  CoderRig rig;
  rig.server.enqueue(openai_reply({"ALL_COMPLETED"}));
  rig.server.enqueue(openai_reply({"Sure, I will do that."}));
  rig.server.enqueue(
      openai_reply({block("experiment.py", "    print(train(0.1))\n", "    print(train(0.5))\n")}));
  auto coder = rig.coder();
  auto done = coder.run("Are you done?", false);
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_TRUE(done->clean);
  EXPECT_EQ(done->reply, "ALL_COMPLETED");
  auto turn = coder.run("Use 0.5.", true);
  ASSERT_TRUE(turn) << turn.error().message;
  EXPECT_EQ(turn->reflections, 1);
  EXPECT_NE(rig.last_user_message(2).find("contained no edits"), std::string::npos);
}

TEST(Coder, AnLlmFailureEndsTheRunWithItsErrorAndKeepsTheHistory) {
  CoderRig rig;
  rig.server.enqueue(test_support::error_reply(401, "Incorrect API key provided"));
  auto coder = rig.coder();
  auto turn = coder.run("Anything.", true);
  ASSERT_FALSE(turn);
  EXPECT_EQ(turn.error().code, core::ErrorCode::auth);
  std::string history = read_file(rig.dir.path() / "coder_history.md");
  EXPECT_NE(history.find("> The model call failed: openai: HTTP 401"), std::string::npos)
      << history;
}

TEST(Coder, OldTurnsAreDroppedToFitTheContextBudget) {
  CoderRig rig;
  for (int i = 0; i < 3; ++i)
    rig.server.enqueue(openai_reply({std::string(3000, 'x')}));
  edit::CoderOptions options;
  options.context_budget_tokens = 1500;  // ~6000 characters: the prompts, one pair, the message
  edit::Coder coder(*rig.client, *rig.workspace, options, nullptr);
  ASSERT_TRUE(coder.run("first"));
  ASSERT_TRUE(coder.run("second"));
  ASSERT_TRUE(coder.run("third"));
  auto messages = rig.server.bodies().at(2)["messages"];
  // system + one kept pair + the new message.
  ASSERT_EQ(messages.size(), 4u);
  EXPECT_NE(messages[1]["content"].get<std::string>().find("dropped to fit the context budget"),
            std::string::npos);
  EXPECT_NE(messages[1]["content"].get<std::string>().find("second"), std::string::npos);
}

}  // namespace

namespace {

TEST(Coder, AReplyCutOffAtTheTokenLimitAppliesNothing) {
  CoderRig rig;
  rig.server.enqueue(
      openai_reply({block("experiment.py", "    print(train(0.1))\n", "    print(train(0.7))\n")},
                   {}, "gpt-4o", "length"));
  rig.server.enqueue(
      openai_reply({block("experiment.py", "    print(train(0.1))\n", "    print(train(0.2))\n")}));
  auto coder = rig.coder();
  auto turn = coder.run("Change the rate.", true);
  ASSERT_TRUE(turn) << turn.error().message;
  EXPECT_TRUE(turn->clean);
  EXPECT_EQ(turn->reports.size(), 1u);
  std::string file = read_file(rig.dir.path() / "experiment.py");
  EXPECT_NE(file.find("train(0.2)"), std::string::npos);
  EXPECT_EQ(file.find("train(0.7)"), std::string::npos);
  EXPECT_NE(rig.last_user_message(1).find("cut off"), std::string::npos);
}

TEST(Coder, AnApologyWithoutEditsDoesNotCountAsAFix) {
  CoderRig rig;
  rig.server.enqueue(openai_reply({block("experiment.py", "    not in the file\n", "    x\n")}));
  rig.server.enqueue(openai_reply({"Sorry about that."}));
  auto coder = rig.coder(1);
  // Edits were not required by the request itself, but the follow-up about the failed block is.
  auto turn = coder.run("Maybe change something.", false);
  ASSERT_TRUE(turn) << turn.error().message;
  EXPECT_FALSE(turn->clean);
  EXPECT_NE(turn->unresolved.find("no edits"), std::string::npos) << turn->unresolved;
}

TEST(Coder, LintCoversEveryFileTheRunChanged) {
  CoderRig rig;
  rig.dir.write_file("helpers.py", "def double(x):\n    return 2 * x\n");
  // The first reply breaks helpers.py; the second only touches experiment.py.
  rig.server.enqueue(
      openai_reply({block("helpers.py", "    return 2 * x\n", "    return (2 * x\n")}));
  rig.server.enqueue(
      openai_reply({block("experiment.py", "    print(train(0.1))\n", "    print(train(0.3))\n")}));
  rig.server.enqueue(
      openai_reply({block("helpers.py", "    return (2 * x\n", "    return 2 * x\n")}));
  auto coder = rig.coder();
  auto turn = coder.run("Refactor.", true);
  ASSERT_TRUE(turn) << turn.error().message;
  EXPECT_TRUE(turn->clean);
  EXPECT_EQ(turn->reflections, 2);
  EXPECT_NE(rig.last_user_message(2).find("helpers.py"), std::string::npos);
}

TEST(Coder, AnEditAppliedToAnotherFileIsReportedToTheModel) {
  CoderRig rig;
  rig.dir.write_file("plot.py", "labels = {}\n");
  // The model names plot.py for a change that belongs in experiment.py.
  rig.server.enqueue(
      openai_reply({block("plot.py", "    print(train(0.1))\n", "    print(train(0.4))\n")}));
  rig.server.enqueue(openai_reply({"ALL_COMPLETED"}));
  auto coder = rig.coder();
  auto first = coder.run("Use 0.4.", true);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(first->clean);
  EXPECT_NE(read_file(rig.dir.path() / "experiment.py").find("train(0.4)"), std::string::npos);
  ASSERT_TRUE(coder.run("Anything else?"));
  std::string next = rig.last_user_message(1);
  EXPECT_NE(next.find("experiment.py"), std::string::npos) << next;
  EXPECT_NE(next.find("Anything else?"), std::string::npos) << next;
}

TEST(Coder, TurnsAreNumberedAcrossRunsFromTheFirstTurn) {
  CoderRig rig;
  rig.server.enqueue(openai_reply({"one"}));
  rig.server.enqueue(openai_reply({"two"}));
  auto transcript_path = rig.dir.path() / "t.jsonl";
  auto writer = *llm::TranscriptWriter::open(transcript_path, {});
  auto recorded = std::make_shared<llm::RecordingClient>(rig.client, writer);
  edit::CoderOptions options;
  options.first_turn = 5;
  options.conversation = "idea-7";
  edit::Coder coder(*recorded, *rig.workspace, options, nullptr);
  ASSERT_TRUE(coder.run("a"));
  ASSERT_TRUE(coder.run("b"));
  std::string text = read_file(transcript_path);
  EXPECT_NE(text.find(R"("turn":5)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("turn":6)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("conversation":"idea-7")"), std::string::npos) << text;
}

TEST(Fill, SubstitutesInOnePassSoInsertedTextIsNotRescanned) {
  EXPECT_EQ(resources::fill("{a} and {b} and {c}", {{"a", "x {b}"}, {"b", "y"}}),
            "x {b} and y and {c}");
}

}  // namespace
