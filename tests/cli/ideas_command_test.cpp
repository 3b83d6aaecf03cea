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

namespace {

TEST(IdeasNovelty, ChecksEachIdeaAgainstTheLocalIndexAndRecordsTheVerdict) {
  test_support::TempDir work;
  auto tmpl = work.path() / "grokking";
  std::filesystem::copy(std::filesystem::path(AI_SCIENTIST_SOURCE_DIR) / "templates" / "grokking",
                        tmpl, std::filesystem::copy_options::recursive);
  json ideas = json::array({{{"Name", "decay_sweep"},
                             {"Title", "Weight decay and grokking"},
                             {"Experiment", "Sweep weight decay."},
                             {"Interestingness", 6},
                             {"Feasibility", 9},
                             {"Novelty", 5}}});
  {
    std::ofstream out(tmpl / "ideas.json");
    out << ideas.dump();
  }
  auto dump = work.write_file(
      "arxiv.jsonl",
      R"({"id": "2201.02177", "title": "Grokking: Generalization Beyond Overfitting on Small Algorithmic Datasets", "authors": "Alethea Power", "abstract": "Weight decay helps grokking.", "update_date": "2022-01-06"})"
      "\n");
  auto db = (work.path() / "lit.sqlite").string();
  test_support::Cli cli;
  ASSERT_EQ(
      cli.run({"lit", "import", "--format", "arxiv", dump.string(), "--lit-db", db}).exit_code, 0);
  test_support::FakeOpenAiServer server;
  server.enqueue(test_support::openai_reply(
      {"THOUGHT: search first.\nRESPONSE:\n```json\n{\"Query\": \"grokking weight decay\"}\n```"}));
  server.enqueue(test_support::openai_reply(
      {"THOUGHT: Power et al. already show this. Decision made: not novel."}));
  cli.set_env("OPENAI_BASE_URL", server.base_url());
  auto run = cli.run({"ideas", "novelty", "--ideas", (tmpl / "ideas.json").string(), "--model",
                      "openai/gpt-4o", "--no-stream", "--lit-db", db});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("decay_sweep: not novel"), std::string::npos) << run.out;
  std::ifstream in(tmpl / "ideas.json");
  auto after = json::parse(in);
  EXPECT_EQ(after[0]["novel"], false);
  EXPECT_EQ(after[0]["novelty_evidence"]["papers"][0]["arxiv_id"], "2201.02177");
  auto second = server.bodies().at(1)["messages"];
  EXPECT_NE(second[second.size() - 1]["content"].get<std::string>().find("Grokking"),
            std::string::npos);
}

}  // namespace
