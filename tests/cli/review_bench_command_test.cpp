// `ai-scientist review-bench` end to end: the real binary on review and label files written here.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/cli_runner.h"
#include "support/temp_dir.h"

namespace {

// Reviews as a batch review run writes them: the paper id, then the review form's columns, list
// fields as JSON in a quoted cell, CRLF line ends. Four papers with a usable score:
//   a 8 (accepted), b 6 (rejected), c 6 (accepted), d 3 (rejected); e has no Overall.
constexpr const char* k_reviews =
    "paper_id,Summary,Strengths,Weaknesses,Originality,Quality,Clarity,Significance,Questions,"
    "Limitations,Ethical Concerns,Soundness,Presentation,Contribution,Overall,Confidence,"
    "Decision\r\n"
    "a,\"Studies grokking, with care.\",\"[\"\"clear\"\", \"\"thorough, well run\"\"]\",[],3,3,4,3,"
    "[],[],false,3,4,3,8,4,Accept\r\n"
    "b,\"Two lines:\nsecond\",[],\"[\"\"weak baseline\"\"]\",2,2,2,2,[],[],false,2,"
    "2,2,6,3,Accept\r\n"
    "c,s,[],[],3,3,3,3,[],[],false,3,3,3,6,3,Reject\r\n"
    "d,s,[],[],1,1,1,1,[],[],false,1,1,1,3,5,Reject\r\n"
    "e,s,[],[],1,1,1,1,[],[],false,1,1,1,,5,Reject\r\n";

// Labels as a TSV, with decisions that are neither accept nor reject.
constexpr const char* k_labels =
    "paper_id\tdecision\tvenue\n"
    "a\tAccept (Oral)\tICLR\n"
    "b\tReject\tICLR\n"
    "c\tAccept (Poster)\tICLR\n"
    "d\tReject\tICLR\n"
    "e\tReject\tICLR\n"
    "f\tWithdrawn\tICLR\n"
    "g\tAccept\tICLR\n";

TEST(ReviewBench, PrintsATableOfBothVerdicts) {
  test_support::TempDir dir;
  auto reviews = dir.write_file("reviews.csv", k_reviews);
  auto labels = dir.write_file("labels.tsv", k_labels);
  test_support::Cli cli;
  auto r = cli.run({"review-bench", "--reviews", reviews.string(), "--labels", labels.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // >= 6: a b c accept. TP a c, FP b, TN d: accuracy 3/4, precision 2/3, recall 1, F1 0.8.
  // Decision: a b accept. TP a, FP b, FN c, TN d: accuracy 1/2, precision 1/2, recall 1/2.
  // AUC: positives 8, 6 against negatives 6, 3: 1 + 1 + 1/2 + 1 = 3.5 of 4.
  EXPECT_NE(r.out.find("4 paper(s) matched"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("accuracy              0.750           0.500\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("precision             0.667           0.500\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("F1                    0.800           0.500\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("ROC AUC (Overall)     0.875           0.875\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("1 review(s) whose Overall is missing or not a number: e"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("1 label row(s) with another decision (\"Withdrawn\": 1)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("1 labelled paper(s) without a review: g"), std::string::npos) << r.out;
}

TEST(ReviewBench, JsonAndAnotherThreshold) {
  test_support::TempDir dir;
  auto reviews = dir.write_file("reviews.csv", k_reviews);
  // Same labels, but a .csv name: the header's tabs decide the delimiter.
  auto labels = dir.write_file("labels.csv", k_labels);
  test_support::Cli cli;
  auto r = cli.run({"review-bench", "--reviews", reviews.string(), "--labels", labels.string(),
                    "--threshold", "7", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["threshold"], 7.0);
  EXPECT_EQ(j["matched"], 4);
  // >= 7: only a accepts. TP a, FN c, TN b d.
  const auto& t = j["overall_threshold"];
  EXPECT_EQ(t["true_positives"], 1);
  EXPECT_EQ(t["false_negatives"], 1);
  EXPECT_EQ(t["true_negatives"], 2);
  EXPECT_EQ(t["accuracy"], 0.75);
  EXPECT_EQ(t["precision"], 1.0);
  EXPECT_EQ(t["recall"], 0.5);
  EXPECT_EQ(t["false_positive_rate"], 0.0);
  EXPECT_EQ(t["roc_auc"], 0.875);
  EXPECT_EQ(j["decision_field"]["accuracy"], 0.5);
  EXPECT_EQ(j["skipped"]["reviews_missing_score"], nlohmann::json::array({"e"}));
  EXPECT_EQ(j["skipped"]["other_label_decisions"]["Withdrawn"], 1);
  EXPECT_EQ(j["skipped"]["labels_without_review"], nlohmann::json::array({"g"}));
}

TEST(ReviewBench, OneClassPrintsUndefinedMetricsAsNullAndNa) {
  test_support::TempDir dir;
  auto reviews = dir.write_file("reviews.csv", k_reviews);
  auto labels = dir.write_file("labels.tsv", "paper_id\tdecision\na\tAccept\nc\tAccept\n");
  test_support::Cli cli;
  auto json = cli.run(
      {"review-bench", "--reviews", reviews.string(), "--labels", labels.string(), "--json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto j = nlohmann::json::parse(json.out);
  EXPECT_TRUE(j["overall_threshold"]["roc_auc"].is_null());
  EXPECT_TRUE(j["overall_threshold"]["false_positive_rate"].is_null());
  auto text = cli.run({"review-bench", "--reviews", reviews.string(), "--labels", labels.string()});
  EXPECT_NE(text.out.find("ROC AUC (Overall)     n/a             n/a\n"), std::string::npos)
      << text.out;
}

TEST(ReviewBench, CustomColumnNames) {
  test_support::TempDir dir;
  auto reviews = dir.write_file("r.csv", "id,score,verdict\nx,9,Accept\ny,2,Reject\n");
  auto labels = dir.write_file("l.csv", "id,outcome\nx,Accept\ny,Reject\n");
  test_support::Cli cli;
  auto r = cli.run({"review-bench", "--reviews", reviews.string(), "--labels", labels.string(),
                    "--id-col", "id", "--label-col", "outcome", "--score-col", "score",
                    "--decision-col", "verdict", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["overall_threshold"]["accuracy"], 1.0);
  EXPECT_EQ(j["overall_threshold"]["roc_auc"], 1.0);
  EXPECT_EQ(j["decision_field"]["f1"], 1.0);
}

TEST(ReviewBench, BadInputSaysWhatToFix) {
  test_support::TempDir dir;
  auto reviews = dir.write_file("reviews.csv", k_reviews);
  test_support::Cli cli;

  auto missing = cli.run({"review-bench", "--reviews", reviews.string(), "--labels",
                          (dir.path() / "labels.tsv").string()});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("labels.tsv does not exist"), std::string::npos) << missing.err;

  auto labels = dir.write_file("labels.tsv", "id\tdecision\na\tAccept\n");
  auto no_id =
      cli.run({"review-bench", "--reviews", reviews.string(), "--labels", labels.string()});
  EXPECT_EQ(no_id.exit_code, 2);
  EXPECT_NE(no_id.err.find("has no column \"paper_id\" (its columns: \"id\", \"decision\"); "
                           "pass --id-col NAME"),
            std::string::npos)
      << no_id.err;

  auto broken = dir.write_file("broken.csv", "paper_id,Overall\na,\"8\n");
  auto unclosed = cli.run({"review-bench", "--reviews", broken.string(), "--labels",
                           labels.string(), "--id-col", "id"});
  EXPECT_EQ(unclosed.exit_code, 1);
  EXPECT_NE(unclosed.err.find("is never closed"), std::string::npos) << unclosed.err;

  auto no_flag = cli.run({"review-bench", "--reviews", reviews.string()});
  EXPECT_EQ(no_flag.exit_code, 2);
  EXPECT_NE(no_flag.err.find("--labels"), std::string::npos) << no_flag.err;
}

}  // namespace
