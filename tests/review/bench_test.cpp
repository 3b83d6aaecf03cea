// review-bench metrics and the join of reviews with labels, against values computed by hand.
#include "review/bench.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace {

using review::ClassifierMetrics;
using review::Judgement;

// (score, truly accepted) pairs judged by `score >= threshold`.
std::vector<Judgement> by_threshold(const std::vector<std::pair<double, bool>>& papers,
                                    double threshold) {
  std::vector<Judgement> out;
  for (const auto& [score, accepted] : papers)
    out.push_back({score, score >= threshold, accepted});
  return out;
}

// Seven papers, three accepted. Scores tie at 6 across the classes (D accepted; C, G rejected).
//   A 8 acc, B 7 acc, C 6 rej, D 6 acc, E 5 rej, F 4 rej, G 6 rej
// AUC by pairs (3 x 4 = 12): A beats all 4, B beats all 4, D ties C and G (1/2 each) and beats
// E and F: 4 + 4 + 3 = 11, so 11/12.
const std::vector<std::pair<double, bool>> k_papers = {
    {8, true}, {7, true}, {6, false}, {6, true}, {5, false}, {4, false}, {6, false}};

void expect_value(const std::optional<double>& actual, double expected, const char* what) {
  ASSERT_TRUE(actual.has_value()) << what << " is undefined";
  EXPECT_NEAR(*actual, expected, 1e-12) << what;
}

TEST(BenchMetrics, ThresholdSixWithTies) {
  const ClassifierMetrics m = review::compute_metrics(by_threshold(k_papers, 6));
  EXPECT_EQ(m.n, 7u);
  EXPECT_EQ(m.accepted, 3u);
  EXPECT_EQ(m.rejected, 4u);
  // Predicted accept: A B C D G. TP = A B D, FP = C G, TN = E F, FN none.
  EXPECT_EQ(m.true_positives, 3u);
  EXPECT_EQ(m.false_positives, 2u);
  EXPECT_EQ(m.true_negatives, 2u);
  EXPECT_EQ(m.false_negatives, 0u);
  expect_value(m.accuracy, 5.0 / 7.0, "accuracy");
  expect_value(m.balanced_accuracy, (1.0 + 0.5) / 2, "balanced accuracy");
  expect_value(m.precision, 3.0 / 5.0, "precision");
  expect_value(m.recall, 1.0, "recall");
  expect_value(m.f1, 2 * 0.6 * 1.0 / 1.6, "f1");  // 0.75
  expect_value(m.roc_auc, 11.0 / 12.0, "roc auc");
  expect_value(m.false_positive_rate, 2.0 / 4.0, "fpr");
  expect_value(m.false_negative_rate, 0.0, "fnr");
}

TEST(BenchMetrics, ThresholdSevenAndNineAndFour) {
  // >= 7: A B predicted. TP 2, FP 0, TN 4, FN 1 (D).
  const ClassifierMetrics seven = review::compute_metrics(by_threshold(k_papers, 7));
  EXPECT_EQ(seven.true_positives, 2u);
  EXPECT_EQ(seven.false_negatives, 1u);
  expect_value(seven.accuracy, 6.0 / 7.0, "accuracy");
  expect_value(seven.balanced_accuracy, (2.0 / 3.0 + 1.0) / 2, "balanced accuracy");
  expect_value(seven.precision, 1.0, "precision");
  expect_value(seven.recall, 2.0 / 3.0, "recall");
  expect_value(seven.f1, 0.8, "f1");  // 2 * 1 * 2/3 / (5/3)
  expect_value(seven.false_positive_rate, 0.0, "fpr");
  expect_value(seven.false_negative_rate, 1.0 / 3.0, "fnr");
  // The AUC does not depend on the threshold.
  expect_value(seven.roc_auc, 11.0 / 12.0, "roc auc");

  // >= 9: nothing predicted accept, so precision and F1 are undefined, not 0.
  const ClassifierMetrics nine = review::compute_metrics(by_threshold(k_papers, 9));
  EXPECT_EQ(nine.true_negatives, 4u);
  EXPECT_EQ(nine.false_negatives, 3u);
  expect_value(nine.accuracy, 4.0 / 7.0, "accuracy");
  EXPECT_FALSE(nine.precision.has_value());
  expect_value(nine.recall, 0.0, "recall");
  EXPECT_FALSE(nine.f1.has_value());
  expect_value(nine.balanced_accuracy, 0.5, "balanced accuracy");
  expect_value(nine.false_positive_rate, 0.0, "fpr");
  expect_value(nine.false_negative_rate, 1.0, "fnr");

  // >= 4: everything predicted accept. TP 3, FP 4.
  const ClassifierMetrics four = review::compute_metrics(by_threshold(k_papers, 4));
  expect_value(four.accuracy, 3.0 / 7.0, "accuracy");
  expect_value(four.precision, 3.0 / 7.0, "precision");
  expect_value(four.f1, 0.6, "f1");  // 2 * 3/7 * 1 / (10/7)
  expect_value(four.balanced_accuracy, 0.5, "balanced accuracy");
  expect_value(four.false_positive_rate, 1.0, "fpr");
}

TEST(BenchMetrics, AllWrongGivesZeroF1NotUndefined) {
  // Accepted papers predicted reject, rejected ones predicted accept: precision 0, recall 0.
  const std::vector<Judgement> j = {{3, false, true}, {8, true, false}};
  const ClassifierMetrics m = review::compute_metrics(j);
  expect_value(m.precision, 0.0, "precision");
  expect_value(m.recall, 0.0, "recall");
  expect_value(m.f1, 0.0, "f1");
  expect_value(m.accuracy, 0.0, "accuracy");
  expect_value(m.roc_auc, 0.0, "roc auc");  // the accepted paper scored lower
}

TEST(BenchMetrics, AucOfPerfectTiedAndHalfTiedScores) {
  const ClassifierMetrics perfect =
      review::compute_metrics(by_threshold({{9, true}, {7, true}, {2, false}, {1, false}}, 5));
  expect_value(perfect.roc_auc, 1.0, "perfect");
  const ClassifierMetrics tied =
      review::compute_metrics(by_threshold({{5, true}, {5, false}, {5, true}, {5, false}}, 5));
  expect_value(tied.roc_auc, 0.5, "all tied");
  // Pairs: (6 vs 6) 1/2, (6 vs 2) 1, (3 vs 6) 0, (3 vs 2) 1 -> 2.5 / 4.
  const ClassifierMetrics mixed =
      review::compute_metrics(by_threshold({{6, true}, {3, true}, {6, false}, {2, false}}, 5));
  expect_value(mixed.roc_auc, 2.5 / 4.0, "mixed");
}

TEST(BenchMetrics, RankFormulaEqualsCountingPairs) {
  // Many ties at a few distinct scores, in no particular order.
  std::vector<Judgement> j;
  for (int i = 0; i < 60; ++i)
    j.push_back({double((i * 7) % 5), false, (i * 11) % 3 == 0});
  double wins = 0;
  double pairs = 0;
  for (const auto& p : j) {
    for (const auto& q : j) {
      if (!p.accepted || q.accepted) continue;
      pairs += 1;
      wins += p.score > q.score ? 1.0 : p.score == q.score ? 0.5 : 0.0;
    }
  }
  expect_value(review::compute_metrics(j).roc_auc, wins / pairs, "roc auc");
}

TEST(BenchMetrics, OneClassLeavesClassDependentMetricsUndefined) {
  const ClassifierMetrics m =
      review::compute_metrics(by_threshold({{8, true}, {4, true}, {6, true}}, 6));
  EXPECT_EQ(m.rejected, 0u);
  expect_value(m.accuracy, 2.0 / 3.0, "accuracy");
  expect_value(m.recall, 2.0 / 3.0, "recall");
  expect_value(m.precision, 1.0, "precision");
  EXPECT_FALSE(m.roc_auc.has_value());
  EXPECT_FALSE(m.balanced_accuracy.has_value());
  EXPECT_FALSE(m.false_positive_rate.has_value());
  expect_value(m.false_negative_rate, 1.0 / 3.0, "fnr");

  const ClassifierMetrics none = review::compute_metrics({});
  EXPECT_EQ(none.n, 0u);
  EXPECT_FALSE(none.accuracy || none.balanced_accuracy || none.precision || none.recall ||
               none.f1 || none.roc_auc || none.false_positive_rate || none.false_negative_rate);
}

TEST(BenchDecisions, ReadsTheVenueDecisionsAndNothingElse) {
  EXPECT_EQ(review::parse_decision("Accept"), true);
  EXPECT_EQ(review::parse_decision(" accept (oral) "), true);
  EXPECT_EQ(review::parse_decision("Accept (Poster)"), true);
  EXPECT_EQ(review::parse_decision("ACCEPT (SPOTLIGHT)\r"), true);
  EXPECT_EQ(review::parse_decision("Reject"), false);
  EXPECT_EQ(review::parse_decision("\treject"), false);
  // Only "Reject" is a reject: a desk rejection or a withdrawal says nothing about the reviews.
  EXPECT_EQ(review::parse_decision("Desk Reject"), std::nullopt);
  EXPECT_EQ(review::parse_decision("Withdrawn"), std::nullopt);
  EXPECT_EQ(review::parse_decision("Accept (Talk)"), std::nullopt);
  EXPECT_EQ(review::parse_decision(""), std::nullopt);
}

// The seven papers above as p1..p7 (A..G), plus one row for every way a row can be left out.
constexpr const char* k_reviews =
    "paper_id,Summary,Overall,Decision\n"
    "p1,\"Clear, strong\",8,Accept\n"
    "p2,s,7,Accept\n"
    "p3,s,6,Reject\n"
    "p4,s,6,Reject\n"
    "p5,s,5,Borderline\n"  // matched, but its Decision is unusable
    "p6,s,4,Reject\n"
    "p7,s,6.0,Accept\n"
    "p1,second review of p1,1,Reject\n"  // duplicate: the first row counts
    "p8,s,n/a,Accept\n"                  // score not a number
    "p9,s,7,Accept\n"                    // labelled Withdrawn only
    "p10,s,7,Accept\n"                   // not in the labels
    "p11,s,7,Accept\n"                   // labelled both ways
    " ,s,7,Accept\n"                     // no id
    "p12,too few fields\n";

constexpr const char* k_labels =
    "paper_id\tdecision\n"
    "p1\tAccept (Oral)\n"
    "p2\taccept (spotlight)\n"
    "p3\tReject\n"
    "p4\tAccept (Poster)\n"
    "p5\t reject \n"
    "p6\tReject\n"
    "p7\tReject\n"
    "p8\tAccept\n"
    "p9\tWithdrawn\n"
    "p11\tAccept\n"
    "p11\tReject\n"
    "p6\tReject\n"
    "p13\tReject\n"
    "p14\tDesk Reject\n"
    "\tAccept\n";

review::BenchReport bench(const review::BenchOptions& options = {}) {
  auto reviews = review::parse_csv(k_reviews, ',', "reviews.csv");
  auto labels = review::parse_csv(k_labels, '\t', "labels.tsv");
  EXPECT_TRUE(reviews && labels);
  auto report = review::run_bench(*reviews, *labels, options);
  EXPECT_TRUE(report) << report.error().message;
  return *report;
}

TEST(BenchJoin, CountsEveryRowAndScoresTheMatchedPapers) {
  const review::BenchReport r = bench();
  EXPECT_EQ(r.review_rows, 14u);
  EXPECT_EQ(r.label_rows, 15u);
  EXPECT_EQ(r.matched, 7u);
  EXPECT_EQ(r.malformed_review_rows, 1u);
  EXPECT_EQ(r.reviews_without_id, 1u);
  using Ids = std::vector<std::string>;
  EXPECT_EQ(r.duplicate_review_ids, Ids{"p1"});
  EXPECT_EQ(r.reviews_without_label, Ids{"p10"});
  EXPECT_EQ(r.reviews_with_unusable_label, (Ids{"p9", "p11"}));
  EXPECT_EQ(r.reviews_missing_score, Ids{"p8"});
  EXPECT_EQ(r.reviews_unusable_decision, Ids{"p5"});
  EXPECT_EQ(r.labels_without_id, 1u);
  EXPECT_EQ(r.other_label_decisions,
            (std::map<std::string, std::size_t>{{"Desk Reject", 1}, {"Withdrawn", 1}}));
  EXPECT_EQ(r.duplicate_label_ids, Ids{"p6"});
  EXPECT_EQ(r.conflicting_label_ids, Ids{"p11"});
  EXPECT_EQ(r.labels_without_review, Ids{"p13"});

  // Overall >= 6 over the seven: the table of ThresholdSixWithTies.
  const ClassifierMetrics& t = r.by_threshold;
  EXPECT_EQ(t.n, 7u);
  expect_value(t.accuracy, 5.0 / 7.0, "accuracy");
  expect_value(t.precision, 0.6, "precision");
  expect_value(t.roc_auc, 11.0 / 12.0, "roc auc");

  // Decision field over six (p5 left out): p1 p2 TP, p3 p6 TN, p4 FN, p7 FP.
  const ClassifierMetrics& d = r.by_decision;
  EXPECT_EQ(d.n, 6u);
  EXPECT_EQ(d.true_positives, 2u);
  EXPECT_EQ(d.false_positives, 1u);
  EXPECT_EQ(d.true_negatives, 2u);
  EXPECT_EQ(d.false_negatives, 1u);
  expect_value(d.accuracy, 4.0 / 6.0, "accuracy");
  expect_value(d.balanced_accuracy, 2.0 / 3.0, "balanced accuracy");
  expect_value(d.precision, 2.0 / 3.0, "precision");
  expect_value(d.recall, 2.0 / 3.0, "recall");
  expect_value(d.f1, 2.0 / 3.0, "f1");
  expect_value(d.false_positive_rate, 1.0 / 3.0, "fpr");
  expect_value(d.false_negative_rate, 1.0 / 3.0, "fnr");
  // Positives 8, 7, 6 against negatives 6, 4, 6: 3 + 3 + (1/2 + 1 + 1/2) = 8 of 9 pairs.
  expect_value(d.roc_auc, 8.0 / 9.0, "roc auc");
}

TEST(BenchJoin, ThresholdChangesOnlyTheThresholdVerdict) {
  review::BenchOptions options;
  options.threshold = 7;
  const review::BenchReport r = bench(options);
  expect_value(r.by_threshold.accuracy, 6.0 / 7.0, "accuracy");
  expect_value(r.by_threshold.f1, 0.8, "f1");
  expect_value(r.by_decision.accuracy, 4.0 / 6.0, "decision accuracy");
}

TEST(BenchJoin, AMissingColumnNamesTheColumnsAndTheFlag) {
  auto reviews = review::parse_csv(k_reviews, ',', "reviews.csv");
  auto labels = review::parse_csv("id\tdecision\np1\tAccept\n", '\t', "labels.tsv");
  ASSERT_TRUE(reviews && labels);
  auto r = review::run_bench(*reviews, *labels, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, core::ErrorCode::invalid_argument);
  EXPECT_EQ(r.error().message,
            "labels.tsv has no column \"paper_id\" (its columns: \"id\", \"decision\"); pass "
            "--id-col NAME to name the column that holds the paper ids");

  review::BenchOptions options;
  options.score_column = "Rating";
  auto no_score = review::run_bench(*reviews, *labels, options);
  ASSERT_FALSE(no_score);
  EXPECT_NE(no_score.error().message.find("reviews.csv has no column \"Rating\""),
            std::string::npos);
  EXPECT_NE(no_score.error().message.find("--score-col"), std::string::npos);
}

TEST(BenchReport, JsonHasNullForUndefinedAndTheTextSaysNa) {
  // Every matched paper accepted: AUC, balanced accuracy and FPR are undefined.
  auto reviews = review::parse_csv("paper_id,Overall,Decision\na,8,Accept\nb,3,Reject\n");
  auto labels = review::parse_csv("paper_id,decision\na,Accept\nb,Accept (Poster)\n");
  ASSERT_TRUE(reviews && labels);
  auto r = review::run_bench(*reviews, *labels, {});
  ASSERT_TRUE(r) << r.error().message;
  const nlohmann::json j = review::report_json(*r);
  EXPECT_EQ(j["matched"], 2);
  EXPECT_EQ(j["threshold"], 6.0);
  EXPECT_TRUE(j["overall_threshold"]["roc_auc"].is_null());
  EXPECT_TRUE(j["overall_threshold"]["balanced_accuracy"].is_null());
  EXPECT_TRUE(j["overall_threshold"]["false_positive_rate"].is_null());
  EXPECT_EQ(j["overall_threshold"]["accuracy"], 0.5);
  EXPECT_EQ(j["overall_threshold"]["precision"], 1.0);
  EXPECT_EQ(j["decision_field"]["recall"], 0.5);
  EXPECT_EQ(j["skipped"]["reviews_without_label"], nlohmann::json::array());

  const std::string text = review::format_report(*r);
  EXPECT_NE(text.find("2 paper(s) matched: reviewed with a numeric Overall and labelled "
                      "(2 accepted, 0 rejected)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("verdict               Overall >= 6    Decision\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("accuracy              0.500           0.500\n"), std::string::npos) << text;
  EXPECT_NE(text.find("ROC AUC (Overall)     n/a             n/a\n"), std::string::npos) << text;
  EXPECT_NE(text.find("TP/FP/TN/FN           1/0/0/1         1/0/0/1\n"), std::string::npos)
      << text;
  EXPECT_EQ(text.find("not counted"), std::string::npos) << text;  // nothing was left out
}

TEST(BenchReport, TextListsWhatWasLeftOut) {
  const std::string text = review::format_report(bench());
  EXPECT_NE(text.find("not counted:\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  1 repeated review(s), only the first row of a paper counts: p1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  2 review(s) of papers labelled neither accept nor reject, or both: "
                      "p9, p11\n"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find("  2 label row(s) with another decision (\"Desk Reject\": 1, \"Withdrawn\": 1)\n"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("  1 labelled paper(s) without a review: p13\n"), std::string::npos) << text;
}

}  // namespace
