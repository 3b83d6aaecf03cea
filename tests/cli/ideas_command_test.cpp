// `ai-scientist ideas generate` end to end: the real binary, a shipped template, a scripted model
// on a loopback server.
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/cli_runner.h"
#include "support/fake_llm_server.h"
#include "support/temp_dir.h"

namespace {

using nlohmann::json;

std::string idea_reply(const std::string& name, const std::string& thought) {
  json idea = {
      {"Name", name},         {"Title", "On " + name}, {"Experiment", "Vary the weight decay."},
      {"Interestingness", 6}, {"Feasibility", 9},      {"Novelty", 5}};
  return "THOUGHT:\n" + thought + "\n\nNEW IDEA JSON:\n```json\n" + idea.dump() + "\n```\n";
}

TEST(IdeasGenerate, WritesTheIdeasAndReportsFailedAttempts) {
  test_support::TempDir work;
  auto tmpl = work.path() / "grokking";
  std::filesystem::copy(std::filesystem::path(AI_SCIENTIST_SOURCE_DIR) / "templates" / "grokking",
                        tmpl, std::filesystem::copy_options::recursive);
  test_support::FakeOpenAiServer server;
  server.enqueue(test_support::openai_reply({idea_reply("decay_sweep", "First draft.")}));
  server.enqueue(test_support::openai_reply({idea_reply("decay_sweep", "Good. I am done")}));
  server.enqueue(test_support::openai_reply({"I have no idea."}));
  server.enqueue(test_support::openai_reply({"Still nothing."}));
  test_support::Cli cli;
  cli.set_env("OPENAI_BASE_URL", server.base_url());
  auto run =
      cli.run({"ideas", "generate", "--experiment", tmpl.string(), "--model", "openai/gpt-4o",
               "--num-ideas", "2", "--num-reflections", "2", "--no-stream"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("1 idea(s) written"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("attempt 2 failed"), std::string::npos) << run.out;
  std::ifstream in(tmpl / "ideas.json");
  auto ideas = json::parse(in);
  ASSERT_EQ(ideas.size(), 1u);
  EXPECT_EQ(ideas[0]["Name"], "decay_sweep");
  // The model saw the template's task and its seed ideas.
  auto first = server.bodies().at(0)["messages"].back()["content"].get<std::string>();
  EXPECT_NE(first.find("experiment.py"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(tmpl / "llm_transcript.jsonl"));
}

}  // namespace
