#include "ideas/novelty.h"

#include <fstream>
#include <mutex>

#include <gtest/gtest.h>

#include "support/scripted_llm_client.h"
#include "support/temp_dir.h"

namespace {

using nlohmann::json;
using test_support::ScriptedLlmClient;

// A literature source with one fixed answer; records the queries.
class FixedSource final : public core::LiteratureSource {
 public:
  core::Result<std::vector<core::Paper>> search(const std::string& query, int limit) override {
    std::lock_guard lock(m_mutex);
    queries.push_back(query);
    last_limit = limit;
    core::Paper p;
    p.title = "Grokking: Generalization Beyond Overfitting";
    p.authors = {"Alethea Power", "Yuri Burda"};
    p.year = 2022;
    p.venue = "arXiv";
    p.citation_count = 500;
    p.abstract = "Small algorithmic datasets.";
    p.source = "local";
    return std::vector<core::Paper>{p};
  }
  std::string name() const override { return "local"; }
  std::vector<std::string> queries;
  int last_limit = 0;

 private:
  std::mutex m_mutex;
};

json idea(const std::string& name) {
  return {{"Name", name},         {"Title", "T"},     {"Experiment", "E"},
          {"Interestingness", 5}, {"Feasibility", 5}, {"Novelty", 5}};
}

ideas::TemplateText tmpl() {
  ideas::TemplateText t;
  t.task_description = "Study grokking.";
  t.code = "print(1)\n";
  return t;
}

TEST(Novelty, SearchesThenDecidesNovelWithEvidence) {
  ScriptedLlmClient llm;
  llm.push_text(
      "THOUGHT: Let me search.\nRESPONSE:\n```json\n{\"Query\": \"grokking weight decay\"}\n```");
  llm.push_text("THOUGHT: Nothing overlaps. Decision made: novel.");
  FixedSource source;
  ideas::NoveltyOptions options;
  auto verdict = ideas::check_novelty(llm, source, tmpl(), idea("a"), 3, options);
  ASSERT_TRUE(verdict) << verdict.error().message;
  EXPECT_TRUE(verdict->novel);
  EXPECT_FALSE(verdict->exhausted);
  EXPECT_EQ(verdict->rounds, 2);
  EXPECT_EQ(source.queries, (std::vector<std::string>{"grokking weight decay"}));
  ASSERT_EQ(verdict->papers.size(), 1u);
  EXPECT_EQ(verdict->papers[0]["title"], "Grokking: Generalization Beyond Overfitting");
  // The second round showed the results to the model.
  const auto& second = llm.requests().at(1).messages.back().content;
  EXPECT_NE(second.find("Number of citations: 500"), std::string::npos) << second;
  EXPECT_NE(second.find("Round 2/10"), std::string::npos);
  EXPECT_EQ(llm.requests().at(1).context.conversation, "novelty-3");
  EXPECT_NE(llm.requests().at(0).system.find("Study grokking."), std::string::npos);
}

TEST(Novelty, NotNovelIsNotMistakenForNovel) {
  ScriptedLlmClient llm;
  llm.push_text("THOUGHT: This is Power et al. exactly. Decision made: not novel.");
  FixedSource source;
  auto verdict = ideas::check_novelty(llm, source, tmpl(), idea("a"), 0, {});
  ASSERT_TRUE(verdict) << verdict.error().message;
  EXPECT_FALSE(verdict->novel);
  EXPECT_NE(verdict->reason.find("Power et al."), std::string::npos);
}

TEST(Novelty, RunningOutOfRoundsMeansNotNovelAndSaysSo) {
  ScriptedLlmClient llm;
  llm.push_text("THOUGHT: hmm\nRESPONSE:\n```json\n{\"Query\": \"one\"}\n```");
  llm.push_text("THOUGHT: no query this time");
  FixedSource source;
  ideas::NoveltyOptions options;
  options.max_rounds = 2;
  auto verdict = ideas::check_novelty(llm, source, tmpl(), idea("a"), 0, options);
  ASSERT_TRUE(verdict) << verdict.error().message;
  EXPECT_FALSE(verdict->novel);
  EXPECT_TRUE(verdict->exhausted);
  EXPECT_NE(verdict->reason.find("no decision within 2 rounds"), std::string::npos);
}

TEST(Novelty, TheIdeasFileGainsVerdictsAndCheckedIdeasAreSkipped) {
  test_support::TempDir dir;
  json ideas = json::array({idea("first"), idea("second")});
  ideas[1]["novel"] = false;  // checked in an earlier run
  auto path = dir.write_file("ideas.json", ideas.dump());
  ScriptedLlmClient llm;
  llm.push_text("THOUGHT: fine. Decision made: novel.");
  FixedSource source;
  ideas::NoveltyOptions options;
  options.concurrency = 1;
  std::vector<std::string> lines;
  auto checked = ideas::check_ideas_file(llm, source, tmpl(), path, options,
                                         [&](std::string_view l) { lines.emplace_back(l); });
  ASSERT_TRUE(checked) << checked.error().message;
  EXPECT_EQ(*checked, 1);
  EXPECT_EQ(llm.calls(), 1);
  std::ifstream in(path);
  auto after = json::parse(in);
  EXPECT_EQ(after[0]["novel"], true);
  EXPECT_EQ(after[0]["novelty_evidence"]["rounds"], 1);
  EXPECT_EQ(after[1]["novel"], false);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "first: novel");
}

}  // namespace
