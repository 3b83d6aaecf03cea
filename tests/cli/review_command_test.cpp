// `ai-scientist review` end to end: the real binary, papers as LaTeX and text files, a scripted
// model on a loopback server.
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/cli_runner.h"
#include "support/fake_llm_server.h"
#include "support/temp_dir.h"

namespace {

using nlohmann::json;

json a_review(int overall, const std::string& decision, const std::string& summary) {
  return {{"Summary", summary},
          {"Strengths", {"The question is clear."}},
          {"Weaknesses", {"Only one dataset.", "No error bars."}},
          {"Originality", 2},
          {"Quality", 2},
          {"Clarity", 3},
          {"Significance", 2},
          {"Questions", {"Do the results hold for other seeds?"}},
          {"Limitations", json::array()},
          {"Ethical Concerns", false},
          {"Soundness", 2},
          {"Presentation", 3},
          {"Contribution", 2},
          {"Overall", overall},
          {"Confidence", 4},
          {"Decision", decision}};
}

std::string reply(const json& review, const std::string& thought) {
  return "THOUGHT:\n" + thought + "\n\nREVIEW JSON:\n```json\n" + review.dump(2) + "\n```\n";
}

json read_json(const std::filesystem::path& file) {
  std::ifstream in(file);
  return json::parse(in);
}

const char* k_latex =
    "\\documentclass{article}\n\\title{Weight Decay and Grokking}\n\\begin{document}\n"
    "\\section{Introduction}\nWe study how weight decay changes when grokking happens.\n"
    "\\end{document}\n";

TEST(ReviewCommand, ReviewsAnIdeaFolderWithAnEnsembleAndWritesReviewTxt) {
  test_support::TempDir work;
  const auto idea = work.path() / "20240501_101500_decay_sweep";
  work.write_file("20240501_101500_decay_sweep/latex/template.tex", k_latex);
  test_support::FakeOpenAiServer server;
  // The two reviewers run concurrently and may take either reply; the mean is the same.
  server.enqueue(test_support::openai_reply(
      {reply(a_review(3, "Reject", "A thin study."), "Weak evidence. I am done")}));
  server.enqueue(test_support::openai_reply(
      {reply(a_review(6, "Accept", "A useful study."), "Solid enough. I am done")}));
  server.enqueue(test_support::openai_reply(
      {reply(a_review(9, "Accept", "The chair's summary."), "Consensus: accept.")}));
  test_support::Cli cli;
  cli.set_env("OPENAI_BASE_URL", server.base_url());
  auto run = cli.run({"review", idea.string(), "--model", "openai/gpt-4o", "--no-stream",
                      "--ensemble", "2", "--num-reflections", "3", "--review-temperature", "0.5"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;

  // review.txt is AI Scientist's: the final form alone.
  const json form = read_json(idea / "review.txt");
  EXPECT_EQ(form.size(), 16u);
  EXPECT_EQ(form["Decision"], "Accept");               // the meta-review's
  EXPECT_EQ(form["Overall"], 5);                       // mean of 3 and 6, rounded
  EXPECT_EQ(form["Summary"], "The chair's summary.");  // the meta-review's text
  // review.json holds the record behind it.
  const json record = read_json(idea / "review.json");
  EXPECT_EQ(record["review"], form);
  EXPECT_EQ(record["reviewers"].size(), 2u);
  EXPECT_EQ(record["meta_review"]["Overall"], 9);
  EXPECT_DOUBLE_EQ(record["mean_scores"]["Overall"].get<double>(), 4.5);
  EXPECT_EQ(record["reviewer"]["model"], "openai/gpt-4o");
  EXPECT_EQ(record["calls"], 3);
  EXPECT_TRUE(std::filesystem::exists(idea / "llm_transcript.jsonl"));

  // The readable summary, and a note that the LaTeX source stood in for the missing PDF.
  EXPECT_NE(run.out.find("Decision: Accept"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("Overall: 5/10 (mean 4.50 of 2 review(s))"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("  - Only one dataset."), std::string::npos);
  EXPECT_NE(run.out.find("review.txt"), std::string::npos);
  EXPECT_NE(run.err.find("holds no PDF"), std::string::npos) << run.err;

  // Every call saw the paper or the reviews, at the chosen temperature.
  const auto bodies = server.bodies();
  ASSERT_EQ(bodies.size(), 3u);
  int chair_calls = 0;
  for (const auto& body : bodies) {
    EXPECT_DOUBLE_EQ(body["temperature"].get<double>(), 0.5);
    const std::string all = body["messages"].dump();
    if (all.find("area chair") != std::string::npos) {
      ++chair_calls;
      EXPECT_NE(all.find("A thin study."), std::string::npos);
      EXPECT_NE(all.find("A useful study."), std::string::npos);
    } else {
      EXPECT_NE(all.find("how weight decay changes"), std::string::npos);
    }
  }
  EXPECT_EQ(chair_calls, 1);
}

TEST(ReviewCommand, ReviewsATextPaperWithTheReviewModelAndPrintsJson) {
  test_support::TempDir work;
  const auto paper = work.write_file("paper.txt", "Weight decay and grokking: a text paper.\n");
  test_support::FakeOpenAiServer server;
  server.enqueue(test_support::openai_reply({reply(a_review(4, "Reject", "Thin."), "First.")}));
  server.enqueue(
      test_support::openai_reply({reply(a_review(3, "Reject", "Thinner."), "I am done")}));
  test_support::Cli cli;
  cli.set_env("OPENAI_BASE_URL", server.base_url());
  // --review-model wins over --model: no Anthropic key is needed.
  auto run =
      cli.run({"review", paper.string(), "--model", "anthropic/claude-sonnet-4", "--review-model",
               "openai/gpt-4o", "--no-stream", "--ensemble", "1", "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const json printed = json::parse(run.out);
  EXPECT_EQ(printed["review"]["Overall"], 3);
  EXPECT_EQ(printed["reviewer"]["model"], "openai/gpt-4o");
  EXPECT_TRUE(printed["meta_review"].is_null());
  EXPECT_EQ(read_json(work.path() / "review.json"), printed);
  EXPECT_FALSE(std::filesystem::exists(work.path() / "review.txt"));
  EXPECT_EQ(server.bodies().at(0)["model"], "gpt-4o");
}

TEST(ReviewCommand, WritesWhereOutSays) {
  test_support::TempDir work;
  const auto paper = work.write_file("paper.md", "# A markdown paper\nSome results.\n");
  test_support::FakeOpenAiServer server;
  server.enqueue(test_support::openai_reply({reply(a_review(2, "Reject", "Weak."), "I am done")}));
  test_support::Cli cli;
  cli.set_env("OPENAI_BASE_URL", server.base_url());
  const auto out = work.path() / "reviews" / "mine.json";
  auto run = cli.run({"review", paper.string(), "--model", "openai/gpt-4o", "--no-stream",
                      "--ensemble", "1", "--out", out.string()});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(read_json(out)["review"]["Overall"], 2);
  EXPECT_FALSE(std::filesystem::exists(work.path() / "review.json"));
}

TEST(ReviewCommand, AReviewThatNeverFillsTheFormFailsNamingTheProblems) {
  test_support::TempDir work;
  const auto paper = work.write_file("paper.tex", k_latex);
  test_support::FakeOpenAiServer server;
  json bad = a_review(42, "Reject", "Bad.");
  for (int i = 0; i < 3; ++i)
    server.enqueue(test_support::openai_reply({reply(bad, "Hmm.")}));
  test_support::Cli cli;
  cli.set_env("OPENAI_BASE_URL", server.base_url());
  auto run = cli.run({"review", paper.string(), "--model", "openai/gpt-4o", "--no-stream",
                      "--ensemble", "1", "--num-reflections", "1"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_NE(run.err.find("\"Overall\" must be an integer from 1 to 10, not 42"), std::string::npos)
      << run.err;
  EXPECT_FALSE(std::filesystem::exists(work.path() / "review.json"));
}

TEST(ReviewCommand, AnIdeaFolderWithSeveralPdfsMustBeDisambiguated) {
  test_support::TempDir work;
  work.write_file("20240501_101500_decay_sweep/draft_a.pdf", "%PDF-1.4\n");
  work.write_file("20240501_101500_decay_sweep/draft_b.pdf", "%PDF-1.4\n");
  test_support::Cli cli;
  auto run = cli.run({"review", (work.path() / "20240501_101500_decay_sweep").string(), "--model",
                      "openai/gpt-4o"});
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_NE(run.err.find("draft_a.pdf, draft_b.pdf"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("decay_sweep.pdf"), std::string::npos) << run.err;
}

TEST(ReviewCommand, NeedsAModel) {
  test_support::TempDir work;
  const auto paper = work.write_file("paper.txt", "text");
  test_support::Cli cli;
  auto run = cli.run({"review", paper.string()});
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.err.find("--model"), std::string::npos) << run.err;
}

}  // namespace
