// `ai-scientist review batch` end to end: the real binary on a folder of papers, a scripted model
// on a loopback server, the CSV read back with the review module's reader, resumed, and fed to
// `review-bench`.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/cli_runner.h"
#include "review/csv.h"
#include "support/fake_llm_server.h"
#include "support/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The CSV's columns: the paper id, then the review form's keys in the form's order.
const std::vector<std::string> k_header = {
    "paper_id",     "Summary",      "Strengths", "Weaknesses",  "Originality",      "Quality",
    "Clarity",      "Significance", "Questions", "Limitations", "Ethical Concerns", "Soundness",
    "Presentation", "Contribution", "Overall",   "Confidence",  "Decision"};

json a_review(int overall, const std::string& decision, const std::string& summary) {
  return {{"Summary", summary},
          {"Strengths", {"The question is clear, and \"well\" posed."}},
          {"Weaknesses", {"Only one dataset.", "No error bars."}},
          {"Originality", 2},
          {"Quality", 3},
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

test_support::ScriptedReply reply(const json& review) {
  return test_support::openai_reply(
      {"THOUGHT:\nRead it.\n\nREVIEW JSON:\n```json\n" + review.dump(2) + "\n```\n"});
}

// The cell of `column` in the row of paper `id`; fails the test when either is missing.
std::string cell(const review::CsvTable& table, const std::string& id, const std::string& column) {
  const auto id_col = table.column("paper_id");
  const auto col = table.column(column);
  EXPECT_TRUE(id_col && col) << column;
  if (!id_col || !col) return {};
  for (const auto& row : table.rows) {
    if (row.size() > std::max(*id_col, *col) && row[*id_col] == id) return row[*col];
  }
  ADD_FAILURE() << "no row for " << id;
  return {};
}

std::vector<std::string> ids_of(const review::CsvTable& table) {
  std::vector<std::string> ids;
  for (const auto& row : table.rows)
    ids.push_back(row.at(0));
  return ids;
}

class ReviewBatch : public testing::Test {
 protected:
  ReviewBatch() {
    m_cli.set_env("OPENAI_BASE_URL", m_server.base_url());
    m_cli.set_env("OPENAI_API_KEY", "sk-test");
  }

  fs::path papers() const { return m_work.path() / "papers"; }
  fs::path csv() const { return m_work.path() / "out" / "reviews.csv"; }

  void write_paper(const std::string& name, const std::string& text) const {
    m_work.write_file("papers/" + name, text);
  }

  test_support::CliRun batch(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {
        "review",  "batch",         "--papers",    papers().string(),   "--out", csv().string(),
        "--model", "openai/gpt-4o", "--no-stream", "--num-reflections", "1"};
    args.insert(args.end(), extra.begin(), extra.end());
    return m_cli.run(args);
  }

  // The CSV's text as it is on disk now.
  std::string csv_text() const {
    std::ifstream in(csv(), std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

  review::CsvTable read_back() const {
    auto table = review::read_csv_file(csv());
    EXPECT_TRUE(table) << table.error().message;
    return table ? *table : review::CsvTable{};
  }

  test_support::TempDir m_work;
  test_support::FakeOpenAiServer m_server;
  test_support::Cli m_cli;
};

TEST_F(ReviewBatch, ReviewsEveryPaperIntoOneRowEachWithTheFormsColumns) {
  write_paper("alpha.txt", "Alpha: weight decay and grokking.\n");
  write_paper("beta.txt", "Beta: learning-rate warmup and grokking.\n");
  write_paper("gamma.txt", "Gamma: dropout and grokking.\n");
  write_paper("notes.json", "{\"not\": \"a paper\"}\n");
  // One job: the papers go in name order, so each takes the next reply.
  m_server.enqueue(reply(a_review(3, "Reject", "Alpha, thin; one seed.")));
  m_server.enqueue(reply(a_review(7, "Accept", "Beta: \"solid\",\nwith two lines.")));
  m_server.enqueue(reply(a_review(8, "Accept", "Gamma is good.")));
  auto run = batch({"--jobs", "1"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.err.find("3 paper(s) to review, 0 already in"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("beta: Accept (Overall 7)"), std::string::npos) << run.err;
  EXPECT_NE(run.out.find("3 reviewed, 0 failed"), std::string::npos) << run.out;

  const auto table = read_back();
  EXPECT_EQ(table.header, k_header);
  ASSERT_EQ(table.rows.size(), 3u);
  EXPECT_EQ(ids_of(table), (std::vector<std::string>{"alpha", "beta", "gamma"}));
  for (const auto& row : table.rows)
    EXPECT_EQ(row.size(), k_header.size());
  // Text as written (commas, quotes and line breaks survive the quoting), numbers as numbers,
  // the flag as false, lists as JSON.
  EXPECT_EQ(cell(table, "alpha", "Summary"), "Alpha, thin; one seed.");
  EXPECT_EQ(cell(table, "beta", "Summary"), "Beta: \"solid\",\nwith two lines.");
  EXPECT_EQ(cell(table, "alpha", "Overall"), "3");
  EXPECT_EQ(cell(table, "beta", "Overall"), "7");
  EXPECT_EQ(cell(table, "gamma", "Overall"), "8");
  EXPECT_EQ(cell(table, "gamma", "Decision"), "Accept");
  EXPECT_EQ(cell(table, "alpha", "Decision"), "Reject");
  EXPECT_EQ(cell(table, "alpha", "Quality"), "3");
  EXPECT_EQ(cell(table, "alpha", "Confidence"), "4");
  EXPECT_EQ(cell(table, "alpha", "Ethical Concerns"), "false");
  EXPECT_EQ(json::parse(cell(table, "alpha", "Weaknesses")),
            json::array({"Only one dataset.", "No error bars."}));
  EXPECT_EQ(json::parse(cell(table, "beta", "Strengths")),
            json::array({"The question is clear, and \"well\" posed."}));
  EXPECT_EQ(json::parse(cell(table, "gamma", "Limitations")), json::array());

  // Each paper's text went to the model, in order, with its id as the calls' idea.
  const auto bodies = m_server.bodies();
  ASSERT_EQ(bodies.size(), 3u);
  EXPECT_NE(bodies[0]["messages"].dump().find("Alpha: weight decay"), std::string::npos);
  EXPECT_NE(bodies[1]["messages"].dump().find("Beta: learning-rate warmup"), std::string::npos);
  EXPECT_NE(bodies[2]["messages"].dump().find("Gamma: dropout"), std::string::npos);
  EXPECT_TRUE(fs::exists(csv().parent_path() / "llm_transcript.jsonl"));
}

TEST_F(ReviewBatch, PapersReviewedConcurrentlyEachGetAWholeRow) {
  const std::map<std::string, int> overall = {{"p1", 2}, {"p2", 4}, {"p3", 6}, {"p4", 8}};
  for (const auto& [id, score] : overall) {
    write_paper(id + ".md", "# Paper " + id + "\nResults.\n");
    m_server.enqueue(reply(a_review(score, score >= 6 ? "Accept" : "Reject",
                                    "Summary scored " + std::to_string(score))));
  }
  auto run = batch({"--jobs", "4"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const auto table = read_back();
  ASSERT_EQ(table.rows.size(), 4u);
  std::set<std::string> ids;
  std::set<std::string> scores;
  for (const auto& row : table.rows) {
    ASSERT_EQ(row.size(), k_header.size());
    ids.insert(row[0]);
    scores.insert(row[14]);
    // Each row is one reply, not pieces of two.
    EXPECT_EQ(row[1], "Summary scored " + row[14]);
    EXPECT_EQ(row[16], std::stoi(row[14]) >= 6 ? "Accept" : "Reject");
  }
  EXPECT_EQ(ids, (std::set<std::string>{"p1", "p2", "p3", "p4"}));
  EXPECT_EQ(scores, (std::set<std::string>{"2", "4", "6", "8"}));
  EXPECT_EQ(m_server.bodies().size(), 4u);
}

TEST_F(ReviewBatch, ARerunReviewsOnlyThePapersNotYetInTheCsv) {
  write_paper("alpha.txt", "Alpha paper.\n");
  write_paper("beta.tex", "\\documentclass{article}\\begin{document}Beta paper.\\end{document}\n");
  write_paper("gamma.md", "# Gamma paper\n");
  for (int score : {3, 5, 7})
    m_server.enqueue(reply(a_review(score, "Reject", "First run.")));
  auto first = batch();
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  ASSERT_EQ(m_server.bodies().size(), 3u);

  write_paper("delta.txt", "Delta paper, added later.\n");
  m_server.enqueue(reply(a_review(9, "Accept", "The new one.")));
  auto second = batch();
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_NE(second.err.find("1 paper(s) to review, 3 already in"), std::string::npos) << second.err;
  EXPECT_NE(second.out.find("1 reviewed, 0 failed"), std::string::npos) << second.out;
  // One request more, and it was about the new paper.
  const auto bodies = m_server.bodies();
  ASSERT_EQ(bodies.size(), 4u);
  EXPECT_NE(bodies[3]["messages"].dump().find("Delta paper, added later."), std::string::npos);

  const auto table = read_back();
  EXPECT_EQ(table.header, k_header);
  ASSERT_EQ(table.rows.size(), 4u);
  EXPECT_EQ(ids_of(table).back(), "delta");
  EXPECT_EQ(cell(table, "delta", "Overall"), "9");
  EXPECT_EQ(cell(table, "delta", "Summary"), "The new one.");
  std::set<std::string> ids;
  for (const auto& id : ids_of(table))
    ids.insert(id);
  EXPECT_EQ(ids, (std::set<std::string>{"alpha", "beta", "gamma", "delta"}));

  // Nothing left: no call at all.
  auto third = batch();
  EXPECT_EQ(third.exit_code, 0) << third.out << third.err;
  EXPECT_NE(third.err.find("0 paper(s) to review, 4 already in"), std::string::npos) << third.err;
  EXPECT_EQ(m_server.bodies().size(), 4u);
  EXPECT_EQ(read_back().rows.size(), 4u);
}

TEST_F(ReviewBatch, APaperWhoseReviewNeverValidatesFailsAloneAndARerunRetriesIt) {
  write_paper("alpha.txt", "Alpha paper.\n");
  write_paper("beta.txt", "Beta paper.\n");
  write_paper("gamma.txt", "Gamma paper.\n");
  // One job, so the replies go in paper order. Beta's review is out of range in its first reply
  // and in both repair requests.
  m_server.enqueue(reply(a_review(4, "Reject", "Alpha review.")));
  for (int i = 0; i < 3; ++i)
    m_server.enqueue(reply(a_review(42, "Accept", "Broken.")));
  m_server.enqueue(reply(a_review(6, "Accept", "Gamma review.")));
  auto first = batch({"--jobs", "1"});
  EXPECT_EQ(first.exit_code, 1) << first.out << first.err;
  EXPECT_NE(first.err.find("beta: failed:"), std::string::npos) << first.err;
  EXPECT_NE(first.err.find("\"Overall\" must be an integer from 1 to 10, not 42"),
            std::string::npos)
      << first.err;
  EXPECT_NE(first.out.find("2 reviewed, 1 failed"), std::string::npos) << first.out;
  EXPECT_EQ(m_server.bodies().size(), 5u);
  auto table = read_back();
  EXPECT_EQ(ids_of(table), (std::vector<std::string>{"alpha", "gamma"}));
  EXPECT_EQ(cell(table, "gamma", "Summary"), "Gamma review.");

  // The re-run asks only about beta, and this time the form is valid.
  m_server.enqueue(reply(a_review(5, "Reject", "Beta, second try.")));
  auto second = batch({"--jobs", "1"});
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_NE(second.err.find("1 paper(s) to review, 2 already in"), std::string::npos) << second.err;
  const auto bodies = m_server.bodies();
  ASSERT_EQ(bodies.size(), 6u);
  EXPECT_NE(bodies[5]["messages"].dump().find("Beta paper."), std::string::npos);
  table = read_back();
  EXPECT_EQ(ids_of(table), (std::vector<std::string>{"alpha", "gamma", "beta"}));
  EXPECT_EQ(cell(table, "beta", "Overall"), "5");
}

TEST_F(ReviewBatch, ItsCsvIsWhatReviewBenchReads) {
  write_paper("alpha.txt", "Alpha paper.\n");
  write_paper("beta.txt", "Beta paper.\n");
  write_paper("gamma.txt", "Gamma paper.\n");
  m_server.enqueue(reply(a_review(3, "Reject", "Alpha, weak.")));
  m_server.enqueue(reply(a_review(7, "Accept", "Beta, \"good\".")));
  m_server.enqueue(reply(a_review(6, "Reject", "Gamma,\nborderline.")));
  auto run = batch({"--jobs", "1"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  // gamma: Overall 6 (accepts at the default threshold) but the reviewer said Reject.
  const auto labels = m_work.write_file(
      "labels.csv", "paper_id,decision\nalpha,Reject\nbeta,Accept\ngamma,Accept\nomega,Reject\n");
  auto bench = m_cli.run(
      {"review-bench", "--reviews", csv().string(), "--labels", labels.string(), "--json"});
  ASSERT_EQ(bench.exit_code, 0) << bench.out << bench.err;
  const auto j = json::parse(bench.out);
  EXPECT_EQ(j["matched"], 3);
  EXPECT_EQ(j["overall_threshold"]["n"], 3);
  EXPECT_EQ(j["decision_field"]["n"], 3);
  EXPECT_EQ(j["overall_threshold"]["accuracy"], 1.0);
  EXPECT_EQ(j["decision_field"]["true_positives"], 1);
  EXPECT_EQ(j["decision_field"]["false_negatives"], 1);
  EXPECT_EQ(j["skipped"]["labels_without_review"], json::array({"omega"}));
  EXPECT_TRUE(j["skipped"]["reviews_missing_score"].empty()) << j.dump(2);

  auto text = m_cli.run({"review-bench", "--reviews", csv().string(), "--labels", labels.string()});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("3 paper(s) matched"), std::string::npos) << text.out;
}

TEST_F(ReviewBatch, OnePaperPerIdEvenWhenSeveralFilesShareTheStem) {
  // A paper folder often holds the source beside the PDF (and extensions in capitals): each
  // paper is reviewed once, under its stem, and the CSV has one row per id.
  write_paper("alpha.tex",
              "\\documentclass{article}\\begin{document}Alpha as LaTeX.\\end{document}\n");
  write_paper("alpha.txt", "Alpha as text.\n");
  write_paper("beta.TXT", "Beta in capitals.\n");
  m_server.enqueue(reply(a_review(4, "Reject", "One.")));
  m_server.enqueue(reply(a_review(5, "Reject", "Two.")));
  auto run = batch({"--jobs", "1"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.err.find("alpha.txt"), std::string::npos) << "the skipped file is named\n"
                                                          << run.err;
  const auto table = read_back();
  EXPECT_EQ(ids_of(table), (std::vector<std::string>{"alpha", "beta"}));
  const auto bodies = m_server.bodies();
  ASSERT_EQ(bodies.size(), 2u);
  // The LaTeX source wins over the text file of the same paper.
  EXPECT_NE(bodies[0]["messages"].dump().find("Alpha as LaTeX."), std::string::npos);
  EXPECT_NE(bodies[1]["messages"].dump().find("Beta in capitals."), std::string::npos);
}

TEST_F(ReviewBatch, ARejectedKeyStopsTheBatchAndSaysWhatWasNotTried) {
  write_paper("alpha.txt", "Alpha paper.\n");
  write_paper("beta.txt", "Beta paper.\n");
  write_paper("gamma.txt", "Gamma paper.\n");
  m_server.enqueue(
      test_support::error_reply(401, "Incorrect API key provided.", "invalid_request_error"));
  auto run = batch({"--jobs", "1"});
  EXPECT_EQ(run.exit_code, 1) << run.out << run.err;
  EXPECT_NE(run.err.find("alpha: failed:"), std::string::npos) << run.err;
  // No other paper can do better with the same key: nothing more is asked.
  EXPECT_EQ(m_server.bodies().size(), 1u);
  EXPECT_NE(run.out.find("0 reviewed, 1 failed, 2 not tried"), std::string::npos) << run.out;
  EXPECT_FALSE(fs::exists(csv()) && !read_back().rows.empty());
}

TEST_F(ReviewBatch, AnEmptyCsvIsStartedAndOneCutShortIsNotAppendedTo) {
  write_paper("alpha.txt", "Alpha paper.\n");
  write_paper("beta.txt", "Beta paper.\n");
  // An empty file (made by hand, or by a run stopped before its first row): a fresh CSV.
  m_work.write_file("out/reviews.csv", "");
  m_server.enqueue(reply(a_review(4, "Reject", "Alpha.")));
  m_server.enqueue(reply(a_review(5, "Reject", "Beta.")));
  auto run = batch({"--jobs", "1"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(read_back().header, k_header);
  EXPECT_EQ(ids_of(read_back()), (std::vector<std::string>{"alpha", "beta"}));

  // A last row cut short (a crash while it was written): its id must not count as done, and no
  // review is paid for before the file is repaired.
  const std::string whole = csv_text();
  m_work.write_file("out/reviews.csv", whole.substr(0, whole.size() - 20));
  write_paper("gamma.txt", "Gamma paper.\n");
  m_server.enqueue(reply(a_review(6, "Accept", "Gamma.")));
  auto cut = batch({"--jobs", "1"});
  EXPECT_EQ(cut.exit_code, 1) << cut.out << cut.err;
  EXPECT_NE(cut.err.find("ends in the middle of a row"), std::string::npos) << cut.err;
  EXPECT_EQ(m_server.bodies().size(), 2u);
}

TEST_F(ReviewBatch, BadArgumentsSayWhatToFix) {
  auto missing = batch();
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("is not a folder"), std::string::npos) << missing.err;
  EXPECT_FALSE(fs::exists(csv()));

  write_paper("alpha.txt", "Alpha.\n");
  auto no_model =
      m_cli.run({"review", "batch", "--papers", papers().string(), "--out", csv().string()});
  EXPECT_EQ(no_model.exit_code, 2) << no_model.err;
  EXPECT_NE(no_model.err.find("--model"), std::string::npos) << no_model.err;

  // A CSV of another shape is not appended to.
  m_work.write_file("out/reviews.csv", "id,score\nx,3\n");
  m_server.enqueue(reply(a_review(4, "Reject", "Alpha.")));
  auto other = batch();
  EXPECT_EQ(other.exit_code, 1) << other.out << other.err;
  auto table = review::read_csv_file(csv());
  ASSERT_TRUE(table);
  EXPECT_EQ(table->header, (std::vector<std::string>{"id", "score"}));
  EXPECT_EQ(table->rows.size(), 1u);
  EXPECT_EQ(m_server.bodies().size(), 0u) << "nothing is paid for a row that cannot be written";
  EXPECT_NE(other.err.find("paper_id"), std::string::npos) << other.err;
}

}  // namespace
