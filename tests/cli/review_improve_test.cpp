// `ai-scientist review IDEA_DIR --improve` end to end: an idea folder made from the grokking
// template and compiled by `writeup compile`, reviewed by a scripted model on a loopback server,
// revised by the coder with a real SEARCH/REPLACE edit, recompiled by TeX in the sandbox and
// reviewed again.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/cli_runner.h"
#include "experiment/sandbox.h"
#include "pdf/latex_fixture.h"
#include "pdf/pdf_text.h"
#include "support/fake_llm_server.h"
#include "support/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path k_source_dir = AI_SCIENTIST_SOURCE_DIR;

constexpr const char* k_old_sentence = "Our first draft said little here.";
constexpr const char* k_new_sentence = "Decaying the weight decay halves the wait for grokking.";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

json read_json(const fs::path& file) {
  return json::parse(read_file(file));
}

// Runs of whitespace as one space: where TeX breaks lines does not matter.
std::string squeeze(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

void replace_once(std::string& text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  text.replace(at, from.size(), to);
}

json a_review(int overall, const std::string& decision, const std::string& summary) {
  return {{"Summary", summary},
          {"Strengths", {"The question is clear."}},
          {"Weaknesses", {"The introduction does not state the finding."}},
          {"Originality", 2},
          {"Quality", 2},
          {"Clarity", overall >= 6 ? 3 : 1},
          {"Significance", 2},
          {"Questions", {"What does the decay schedule change?"}},
          {"Limitations", {"One task only."}},
          {"Ethical Concerns", false},
          {"Soundness", 2},
          {"Presentation", overall >= 6 ? 3 : 1},
          {"Contribution", 2},
          {"Overall", overall},
          {"Confidence", 4},
          {"Decision", decision}};
}

test_support::ScriptedReply review_reply(const json& review) {
  return test_support::openai_reply(
      {"THOUGHT:\nI read the paper.\n\nREVIEW JSON:\n```json\n" + review.dump(2) + "\n```\n"});
}

// The coder's edit of the paper, in the SEARCH/REPLACE format.
std::string edit(const std::string& search, const std::string& replace) {
  return "latex/template.tex\n```latex\n<<<<<<< SEARCH\n" + search + "\n=======\n" + replace +
         "\n>>>>>>> REPLACE\n```\n";
}

class ReviewImprove : public testing::Test {
 protected:
  void SetUp() override {
    if (!test_support::have_program("latexmk") && !test_support::have_program("pdflatex")) {
      GTEST_SKIP() << "TeX is not installed";
    }
    // Where bubblewrap cannot create a sandbox, TeX runs without isolation.
    if (!experiment::Sandbox::create(true)->capabilities().bubblewrap) {
      m_sandbox_flag = {"--no-sandbox"};
    }
    m_cli.set_env("OPENAI_BASE_URL", m_server.base_url());
    m_cli.set_env("OPENAI_API_KEY", "sk-test");
  }

  fs::path idea() const { return m_work.path() / "20260101_000000_toy_idea"; }

  // An idea folder as a launch leaves it after the write-up: the template's LaTeX with every
  // placeholder filled, notes, the experiment, and toy_idea.pdf compiled from it.
  void make_idea_folder() {
    fs::create_directories(idea());
    fs::copy(k_source_dir / "templates" / "grokking" / "latex", idea() / "latex",
             fs::copy_options::recursive);
    std::string tex = read_file(idea() / "latex" / "template.tex");
    replace_once(tex, "TITLE HERE", "Weight Decay Schedules and the Timing of Grokking");
    replace_once(tex, "ABSTRACT HERE",
                 "We train a small transformer on modular division and vary how its weight "
                 "decay coefficient changes over training.");
    replace_once(tex, "INTRO HERE",
                 std::string("Grokking is generalisation that arrives long after the training "
                             "data is fit.\n\n") +
                     k_old_sentence);
    replace_once(tex, "RELATED WORK HERE",
                 "Grokking was first reported on small algorithmic datasets.");
    replace_once(tex, "BACKGROUND HERE", "A transformer is trained with AdamW.");
    replace_once(tex, "METHOD HERE", "The weight decay coefficient decays linearly to zero.");
    replace_once(tex, "EXPERIMENTAL SETUP HERE", "Three seeds per setting, 5000 steps each.");
    replace_once(tex, "RESULTS HERE",
                 "Validation accuracy reaches 99 percent after 2400 steps instead of 4100.");
    replace_once(tex, "CONCLUSIONS HERE", "Schedules of weight decay matter for grokking.");
    write_file(idea() / "latex" / "template.tex", tex);
    write_file(idea() / "notes.txt",
               "# Title: Weight decay schedules\n## Run 1: linear decay\nval acc 0.99 at step "
               "2400 (baseline: step 4100).\n");
    write_file(idea() / "experiment.py", "print('a toy experiment')\n");

    std::vector<std::string> args = {"writeup", "compile", idea().string()};
    args.insert(args.end(), m_sandbox_flag.begin(), m_sandbox_flag.end());
    auto compiled = m_cli.run(args, std::chrono::seconds(300));
    ASSERT_EQ(compiled.exit_code, 0) << compiled.out << compiled.err;
    ASSERT_TRUE(fs::exists(pdf()));
    auto text = pdf::read_text(pdf());
    ASSERT_TRUE(text) << text.error().message;
    ASSERT_NE(squeeze(*text).find(k_old_sentence), std::string::npos) << *text;
  }

  fs::path pdf() const { return idea() / "toy_idea.pdf"; }

  test_support::TempDir m_work;
  test_support::FakeOpenAiServer m_server;
  test_support::Cli m_cli;
  std::vector<std::string> m_sandbox_flag;
};

TEST_F(ReviewImprove, RevisesThePaperFromTheReviewRecompilesAndReviewsItAgain) {
  ASSERT_NO_FATAL_FAILURE(make_idea_folder());
  // In order: the first review, the coder's revision, the second review. A clean edit leaves
  // nothing for the check and compile-repair rounds to ask.
  m_server.enqueue(review_reply(a_review(3, "Reject", "First: the introduction is vague.")));
  m_server.enqueue(test_support::openai_reply(
      {"The introduction should state the finding.\n\n" + edit(k_old_sentence, k_new_sentence)}));
  m_server.enqueue(review_reply(a_review(6, "Accept", "Second: the finding is now stated.")));

  std::vector<std::string> args = {
      "review",    idea().string(), "--model", "openai/gpt-4o",     "--no-stream",
      "--improve", "--ensemble",    "1",       "--num-reflections", "1"};
  args.insert(args.end(), m_sandbox_flag.begin(), m_sandbox_flag.end());
  auto run = m_cli.run(args, std::chrono::seconds(300));
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("Before: Reject (Overall 3); after improvement: Accept (Overall 6)"),
            std::string::npos)
      << run.out;

  // review.txt keeps the first review; review_improved.txt holds the second; both full forms.
  const json first = read_json(idea() / "review.txt");
  const json second = read_json(idea() / "review_improved.txt");
  EXPECT_EQ(first.size(), 16u);
  EXPECT_EQ(second.size(), 16u);
  EXPECT_EQ(first["Overall"], 3);
  EXPECT_EQ(first["Decision"], "Reject");
  EXPECT_EQ(first["Summary"], "First: the introduction is vague.");
  EXPECT_EQ(second["Overall"], 6);
  EXPECT_EQ(second["Decision"], "Accept");
  EXPECT_EQ(second["Summary"], "Second: the finding is now stated.");
  const json record = read_json(idea() / "review_improved.json");
  EXPECT_EQ(record["review"], second);
  EXPECT_EQ(record["paper"], pdf().string());
  EXPECT_EQ(read_json(idea() / "review.json")["review"], first);

  // The source and the recompiled PDF carry the revision.
  const std::string tex = read_file(idea() / "latex" / "template.tex");
  EXPECT_NE(tex.find(k_new_sentence), std::string::npos);
  EXPECT_EQ(tex.find(k_old_sentence), std::string::npos);
  auto text = pdf::read_text(pdf());
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_NE(squeeze(*text).find(k_new_sentence), std::string::npos) << *text;
  EXPECT_EQ(squeeze(*text).find(k_old_sentence), std::string::npos) << *text;

  // improvement.json: the write-up's record of the step, with no repair needed.
  ASSERT_TRUE(fs::exists(idea() / "improvement.json"));
  const json improvement = read_json(idea() / "improvement.json");
  EXPECT_EQ(improvement["pdf_produced"], true) << improvement.dump(2);
  EXPECT_EQ(improvement["repair_rounds"], 0) << improvement.dump(2);
  EXPECT_TRUE(improvement["cited"].empty());

  // Three calls: the coder saw the first review and the paper's source; the second reviewer read
  // the new PDF.
  const auto bodies = m_server.bodies();
  ASSERT_EQ(bodies.size(), 3u);
  const std::string coder = bodies[1]["messages"].dump();
  EXPECT_NE(coder.find("A reviewer read the paper and wrote this review"), std::string::npos);
  EXPECT_NE(coder.find("First: the introduction is vague."), std::string::npos);
  EXPECT_NE(coder.find(k_old_sentence), std::string::npos);
  EXPECT_NE(bodies[0]["messages"].dump().find(k_old_sentence), std::string::npos);
  EXPECT_NE(bodies[2]["messages"].dump().find(k_new_sentence), std::string::npos);
}

TEST_F(ReviewImprove, APaperFileCannotBeImprovedAndNothingIsPaidFor) {
  const fs::path paper = m_work.path() / "paper.txt";
  write_file(paper, "Weight decay and grokking: a text paper.\n");
  auto run =
      m_cli.run({"review", paper.string(), "--model", "openai/gpt-4o", "--no-stream", "--improve"});
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_NE(run.err.find("--improve needs an idea folder"), std::string::npos) << run.err;
  EXPECT_TRUE(m_server.bodies().empty());
  EXPECT_FALSE(fs::exists(m_work.path() / "review.json"));
}

TEST_F(ReviewImprove, AnIdeaFolderWithoutItsPdfCannotBeImproved) {
  write_file(idea() / "latex" / "template.tex",
             "\\documentclass{article}\n\\begin{document}\nA paper.\n\\end{document}\n");
  write_file(idea() / "notes.txt", "notes\n");
  auto run = m_cli.run(
      {"review", idea().string(), "--model", "openai/gpt-4o", "--no-stream", "--improve"});
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_NE(run.err.find("holds no compiled PDF"), std::string::npos) << run.err;
  EXPECT_TRUE(m_server.bodies().empty());
  EXPECT_FALSE(fs::exists(idea() / "review.txt"));
}

}  // namespace
