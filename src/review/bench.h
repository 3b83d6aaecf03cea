#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "review/csv.h"

// review-bench: how well a reviewer's verdicts agree with real accept/reject decisions. Accept
// is the positive class throughout.
namespace review {

// One paper as the metrics see it: the reviewer's Overall score, the verdict under evaluation
// (the score against a threshold, or the review's own Decision), and the true decision.
struct Judgement {
  double score = 0;
  bool predicted_accept = false;
  bool accepted = false;
};

// Binary-classification quality of a set of judgements. A metric whose denominator is zero is
// nullopt — undefined, never 0 or NaN: precision with no predicted accept, recall and the
// false-negative rate with no accepted paper, the false-positive rate with no rejected one,
// balanced accuracy and ROC AUC unless both classes occur, everything when n is 0.
struct ClassifierMetrics {
  std::size_t n = 0;
  std::size_t accepted = 0;  // papers truly accepted (positives)
  std::size_t rejected = 0;  // papers truly rejected (negatives)
  std::size_t true_positives = 0;
  std::size_t false_positives = 0;
  std::size_t true_negatives = 0;
  std::size_t false_negatives = 0;
  std::optional<double> accuracy;             // (TP + TN) / n
  std::optional<double> balanced_accuracy;    // (TP/(TP+FN) + TN/(TN+FP)) / 2
  std::optional<double> precision;            // TP / (TP + FP)
  std::optional<double> recall;               // TP / (TP + FN)
  std::optional<double> f1;                   // harmonic mean of precision and recall; 0 if both 0
  std::optional<double> roc_auc;              // of `score`, ignoring the verdicts (below)
  std::optional<double> false_positive_rate;  // FP / (FP + TN)
  std::optional<double> false_negative_rate;  // FN / (FN + TP)
};

// Metrics of `judgements`. roc_auc is the Mann–Whitney statistic of the scores: the share of
// (accepted, rejected) pairs in which the accepted paper scored higher, a tie counting 1/2;
// computed from average ranks in O(n log n). Pure.
ClassifierMetrics compute_metrics(std::span<const Judgement> judgements);

// A decision as written by a venue or a reviewer, trimmed and compared without regard to ASCII
// case: true for "Accept", "Accept (Oral)", "Accept (Poster)", "Accept (Spotlight)"; false for
// "Reject"; nullopt for anything else ("Withdrawn", "Desk Reject", "Accept (Talk)", ""), which
// callers skip and count.
std::optional<bool> parse_decision(std::string_view text);

// Which columns to read and where to draw the line. The same id column names the paper in both
// tables. The column-missing errors of run_bench name the review-bench flag that sets each one.
struct BenchOptions {
  double threshold = 6;  // a review accepts when Overall >= threshold
  std::string id_column = "paper_id";
  std::string label_column = "decision";  // in the labels table
  std::string score_column = "Overall";   // in the reviews table
  std::string decision_column = "Decision";
};

// The outcome of joining reviews with labels, and the metrics of both verdicts. Every review row
// lands in exactly one of: malformed, without id, duplicate, without label, with an unusable
// label, missing score, matched. Every label row in exactly one of: malformed, without id, other
// decision, duplicate or conflicting, and otherwise a labelled paper (with or without a review).
// Id lists keep file order.
struct BenchReport {
  BenchOptions options;
  std::string reviews_source;
  std::string labels_source;
  std::size_t review_rows = 0;
  std::size_t label_rows = 0;
  std::size_t matched = 0;  // papers with a review, a numeric score and an accept/reject label

  ClassifierMetrics by_threshold;  // verdict: Overall >= threshold, over the matched papers
  // Verdict: the review's Decision, over the matched papers whose Decision parse_decision reads
  // (so its n, and its ROC AUC of the same scores, may differ from by_threshold's).
  ClassifierMetrics by_decision;

  // Rows whose number of fields differs from the header's: a quoting mistake upstream would
  // shift columns, so such rows are skipped rather than guessed at.
  std::size_t malformed_review_rows = 0;
  std::size_t malformed_label_rows = 0;
  std::size_t reviews_without_id = 0;  // empty id cell
  std::size_t labels_without_id = 0;
  // A paper reviewed twice or more: the first row counts, later rows are listed here (one entry
  // per extra row). First-wins matches a resumed batch run, which never rewrites a paper.
  std::vector<std::string> duplicate_review_ids;
  std::vector<std::string> reviews_without_label;  // id absent from the labels
  // Id labelled only with other decisions, or conflicting ones: no ground truth to compare with.
  std::vector<std::string> reviews_with_unusable_label;
  std::vector<std::string> reviews_missing_score;  // Overall empty or not a finite number
  // Matched papers whose Decision is neither accept nor reject: in by_threshold only.
  std::vector<std::string> reviews_unusable_decision;

  // Label rows with a decision parse_decision does not read, by trimmed text ("Withdrawn": 3).
  std::map<std::string, std::size_t> other_label_decisions;
  // A paper labelled again with the same verdict: one entry per extra row, harmless.
  std::vector<std::string> duplicate_label_ids;
  // A paper labelled both accept and reject: left out of the metrics, listed once.
  std::vector<std::string> conflicting_label_ids;
  std::vector<std::string> labels_without_review;  // accept/reject papers nobody reviewed
};

// Joins `reviews` with `labels` on options.id_column and computes both metric sets. Fails with
// ErrorCode::invalid_argument when a column is missing; the message names the table, the columns
// it has and the flag that chooses another (--id-col, --label-col, --score-col, --decision-col).
core::Result<BenchReport> run_bench(const CsvTable& reviews, const CsvTable& labels,
                                    const BenchOptions& options);

// The report as one JSON object: "threshold", "columns", "reviews"/"labels" (sources and row
// counts), "matched", "overall_threshold" and "decision_field" (metrics, undefined ones null),
// "skipped" (every count and id list above).
nlohmann::json report_json(const BenchReport& report);

// The report as a table for people: metrics to three decimals, "n/a" where undefined, then what
// was left out and why (up to five ids per reason).
std::string format_report(const BenchReport& report);

}  // namespace review
