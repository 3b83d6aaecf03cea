#include "review/bench.h"
#include "core/text.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

namespace review {
namespace {

using core::trim;

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::optional<double> ratio(std::size_t numerator, std::size_t denominator) {
  if (denominator == 0) return std::nullopt;
  return static_cast<double>(numerator) / static_cast<double>(denominator);
}

// Mann–Whitney U / (P * N) from the rank sum of the positives, with tied scores sharing their
// average rank (which is what makes a tied pair count 1/2).
std::optional<double> mann_whitney_auc(std::span<const Judgement> judgements, std::size_t positives,
                                       std::size_t negatives) {
  if (positives == 0 || negatives == 0) return std::nullopt;
  std::vector<std::size_t> order(judgements.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return judgements[a].score < judgements[b].score;
  });
  double positive_rank_sum = 0;
  for (std::size_t start = 0; start < order.size();) {
    std::size_t end = start;
    while (end < order.size() && judgements[order[end]].score == judgements[order[start]].score) {
      ++end;
    }
    // Ranks start+1 .. end (1-based) share their mean.
    const double rank = (static_cast<double>(start + 1) + static_cast<double>(end)) / 2.0;
    for (std::size_t i = start; i < end; ++i) {
      if (judgements[order[i]].accepted) positive_rank_sum += rank;
    }
    start = end;
  }
  const double p = static_cast<double>(positives);
  const double u = positive_rank_sum - p * (p + 1) / 2.0;
  return u / (p * static_cast<double>(negatives));
}

std::optional<double> parse_score(std::string_view cell) {
  cell = trim(cell);
  if (cell.starts_with('+')) cell.remove_prefix(1);  // from_chars refuses a plus sign
  double value = 0;
  const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
  if (cell.empty() || ec != std::errc() || end != cell.data() + cell.size() ||
      !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

core::Result<std::size_t> require_column(const CsvTable& table, const std::string& name,
                                         std::string_view flag, std::string_view holds) {
  if (auto index = table.column(name)) return *index;
  return core::fail(core::ErrorCode::invalid_argument,
                    fmt::format("{} has no column \"{}\" (its columns: {}); pass {} NAME to name "
                                "the column that holds {}",
                                table.source, name, table.describe_columns(), flag, holds));
}

nlohmann::json optional_json(const std::optional<double>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

nlohmann::json metrics_json(const ClassifierMetrics& m) {
  return {{"n", m.n},
          {"accepted", m.accepted},
          {"rejected", m.rejected},
          {"true_positives", m.true_positives},
          {"false_positives", m.false_positives},
          {"true_negatives", m.true_negatives},
          {"false_negatives", m.false_negatives},
          {"accuracy", optional_json(m.accuracy)},
          {"balanced_accuracy", optional_json(m.balanced_accuracy)},
          {"precision", optional_json(m.precision)},
          {"recall", optional_json(m.recall)},
          {"f1", optional_json(m.f1)},
          {"roc_auc", optional_json(m.roc_auc)},
          {"false_positive_rate", optional_json(m.false_positive_rate)},
          {"false_negative_rate", optional_json(m.false_negative_rate)}};
}

std::string show(const std::optional<double>& value) {
  return value ? fmt::format("{:.3f}", *value) : "n/a";
}

// "p1, p2, p3, p4, p5 and 3 more"
std::string some_ids(const std::vector<std::string>& ids) {
  constexpr std::size_t k_shown = 5;
  std::string out;
  for (std::size_t i = 0; i < ids.size() && i < k_shown; ++i) {
    if (i > 0) out += ", ";
    out += ids[i];
  }
  if (ids.size() > k_shown) out += fmt::format(" and {} more", ids.size() - k_shown);
  return out;
}

}  // namespace

ClassifierMetrics compute_metrics(std::span<const Judgement> judgements) {
  ClassifierMetrics m;
  m.n = judgements.size();
  for (const auto& j : judgements) {
    if (j.accepted) {
      ++m.accepted;
      ++(j.predicted_accept ? m.true_positives : m.false_negatives);
    } else {
      ++m.rejected;
      ++(j.predicted_accept ? m.false_positives : m.true_negatives);
    }
  }
  m.accuracy = ratio(m.true_positives + m.true_negatives, m.n);
  m.precision = ratio(m.true_positives, m.true_positives + m.false_positives);
  m.recall = ratio(m.true_positives, m.accepted);
  const auto specificity = ratio(m.true_negatives, m.rejected);
  if (m.recall && specificity) m.balanced_accuracy = (*m.recall + *specificity) / 2.0;
  // The harmonic mean of precision and recall, written as 2TP / (2TP + FP + FN): the same value
  // (0 when both are 0) without the rounding of dividing twice.
  if (m.precision && m.recall) {
    m.f1 =
        ratio(2 * m.true_positives, 2 * m.true_positives + m.false_positives + m.false_negatives);
  }
  m.false_positive_rate = ratio(m.false_positives, m.rejected);
  m.false_negative_rate = ratio(m.false_negatives, m.accepted);
  m.roc_auc = mann_whitney_auc(judgements, m.accepted, m.rejected);
  return m;
}

std::optional<bool> parse_decision(std::string_view text) {
  const std::string d = ascii_lower(trim(text));
  if (d == "accept" || d == "accept (oral)" || d == "accept (poster)" ||
      d == "accept (spotlight)") {
    return true;
  }
  if (d == "reject") return false;
  return std::nullopt;
}

core::Result<BenchReport> run_bench(const CsvTable& reviews, const CsvTable& labels,
                                    const BenchOptions& options) {
  const std::size_t review_id =
      TRY(require_column(reviews, options.id_column, "--id-col", "the paper ids"));
  const std::size_t score =
      TRY(require_column(reviews, options.score_column, "--score-col", "the Overall scores"));
  const std::size_t decision = TRY(require_column(reviews, options.decision_column,
                                                  "--decision-col", "the reviewer's decisions"));
  const std::size_t label_id =
      TRY(require_column(labels, options.id_column, "--id-col", "the paper ids"));
  const std::size_t label = TRY(require_column(labels, options.label_column, "--label-col",
                                               "the true accept/reject decisions"));

  BenchReport r;
  r.options = options;
  r.reviews_source = reviews.source;
  r.labels_source = labels.source;
  r.review_rows = reviews.rows.size();
  r.label_rows = labels.rows.size();

  // Ground truth per id. `other`: only decisions parse_decision does not read were seen.
  enum class Truth { accept, reject, other, conflict };
  std::unordered_map<std::string, Truth> truth;
  std::vector<std::string> labelled_in_order;  // ids when they first got accept or reject
  for (const auto& row : labels.rows) {
    if (row.size() != labels.header.size()) {
      ++r.malformed_label_rows;
      continue;
    }
    const std::string id(trim(row[label_id]));
    if (id.empty()) {
      ++r.labels_without_id;
      continue;
    }
    const auto verdict = parse_decision(row[label]);
    auto it = truth.find(id);
    if (!verdict) {
      ++r.other_label_decisions[std::string(trim(row[label]))];
      if (it == truth.end()) truth.emplace(id, Truth::other);
      continue;
    }
    const Truth t = *verdict ? Truth::accept : Truth::reject;
    if (it == truth.end() || it->second == Truth::other) {
      truth[id] = t;
      labelled_in_order.push_back(id);
    } else if (it->second == t) {
      r.duplicate_label_ids.push_back(id);
    } else if (it->second != Truth::conflict) {
      it->second = Truth::conflict;
      r.conflicting_label_ids.push_back(id);
    }
  }

  std::unordered_set<std::string> reviewed;
  std::vector<Judgement> by_threshold;
  std::vector<Judgement> by_decision;
  for (const auto& row : reviews.rows) {
    if (row.size() != reviews.header.size()) {
      ++r.malformed_review_rows;
      continue;
    }
    const std::string id(trim(row[review_id]));
    if (id.empty()) {
      ++r.reviews_without_id;
      continue;
    }
    if (!reviewed.insert(id).second) {
      r.duplicate_review_ids.push_back(id);
      continue;
    }
    const auto it = truth.find(id);
    if (it == truth.end()) {
      r.reviews_without_label.push_back(id);
      continue;
    }
    if (it->second != Truth::accept && it->second != Truth::reject) {
      r.reviews_with_unusable_label.push_back(id);
      continue;
    }
    const auto overall = parse_score(row[score]);
    if (!overall) {
      r.reviews_missing_score.push_back(id);
      continue;
    }
    const bool accepted = it->second == Truth::accept;
    ++r.matched;
    by_threshold.push_back({*overall, *overall >= options.threshold, accepted});
    if (const auto said = parse_decision(row[decision])) {
      by_decision.push_back({*overall, *said, accepted});
    } else {
      r.reviews_unusable_decision.push_back(id);
    }
  }
  for (const auto& id : labelled_in_order) {
    const Truth t = truth.at(id);
    if ((t == Truth::accept || t == Truth::reject) && !reviewed.contains(id)) {
      r.labels_without_review.push_back(id);
    }
  }
  r.by_threshold = compute_metrics(by_threshold);
  r.by_decision = compute_metrics(by_decision);
  return r;
}

nlohmann::json report_json(const BenchReport& r) {
  nlohmann::json other = nlohmann::json::object();
  for (const auto& [text, count] : r.other_label_decisions)
    other[text] = count;
  return {
      {"threshold", r.options.threshold},
      {"columns",
       {{"id", r.options.id_column},
        {"label", r.options.label_column},
        {"score", r.options.score_column},
        {"decision", r.options.decision_column}}},
      {"reviews", {{"source", r.reviews_source}, {"rows", r.review_rows}}},
      {"labels", {{"source", r.labels_source}, {"rows", r.label_rows}}},
      {"matched", r.matched},
      {"overall_threshold", metrics_json(r.by_threshold)},
      {"decision_field", metrics_json(r.by_decision)},
      {"skipped",
       {{"malformed_review_rows", r.malformed_review_rows},
        {"malformed_label_rows", r.malformed_label_rows},
        {"reviews_without_id", r.reviews_without_id},
        {"labels_without_id", r.labels_without_id},
        {"duplicate_review_ids", r.duplicate_review_ids},
        {"reviews_without_label", r.reviews_without_label},
        {"reviews_with_unusable_label", r.reviews_with_unusable_label},
        {"reviews_missing_score", r.reviews_missing_score},
        {"reviews_unusable_decision", r.reviews_unusable_decision},
        {"other_label_decisions", other},
        {"duplicate_label_ids", r.duplicate_label_ids},
        {"conflicting_label_ids", r.conflicting_label_ids},
        {"labels_without_review", r.labels_without_review}}},
  };
}

std::string format_report(const BenchReport& r) {
  const ClassifierMetrics& t = r.by_threshold;
  const ClassifierMetrics& d = r.by_decision;
  std::string out = fmt::format(
      "{} paper(s) matched: reviewed with a numeric {} and labelled ({} accepted, {} rejected)\n"
      "reviews: {} ({} rows); labels: {} ({} rows)\n\n",
      r.matched, r.options.score_column, t.accepted, t.rejected, r.reviews_source, r.review_rows,
      r.labels_source, r.label_rows);

  const std::string by_score =
      fmt::format("{} >= {:g}", r.options.score_column, r.options.threshold);
  auto line = [&out](std::string_view name, const std::string& a, const std::string& b) {
    out += fmt::format("{:<22}{:<16}{}\n", name, a, b);
  };
  auto counts = [](const ClassifierMetrics& m) {
    return fmt::format("{}/{}/{}/{}", m.true_positives, m.false_positives, m.true_negatives,
                       m.false_negatives);
  };
  line("verdict", by_score, r.options.decision_column);
  line("papers", std::to_string(t.n), std::to_string(d.n));
  line("accuracy", show(t.accuracy), show(d.accuracy));
  line("balanced accuracy", show(t.balanced_accuracy), show(d.balanced_accuracy));
  line("precision", show(t.precision), show(d.precision));
  line("recall", show(t.recall), show(d.recall));
  line("F1", show(t.f1), show(d.f1));
  line(fmt::format("ROC AUC ({})", r.options.score_column), show(t.roc_auc), show(d.roc_auc));
  line("false-positive rate", show(t.false_positive_rate), show(d.false_positive_rate));
  line("false-negative rate", show(t.false_negative_rate), show(d.false_negative_rate));
  line("TP/FP/TN/FN", counts(t), counts(d));

  std::vector<std::string> notes;
  auto count_note = [&notes](std::size_t n, std::string_view what) {
    if (n > 0) notes.push_back(fmt::format("{} {}", n, what));
  };
  auto ids_note = [&notes](const std::vector<std::string>& ids, std::string_view what) {
    if (!ids.empty()) notes.push_back(fmt::format("{} {}: {}", ids.size(), what, some_ids(ids)));
  };
  count_note(r.malformed_review_rows, "review row(s) with more or fewer fields than the header");
  count_note(r.reviews_without_id, "review row(s) with an empty id");
  ids_note(r.duplicate_review_ids, "repeated review(s), only the first row of a paper counts");
  ids_note(r.reviews_without_label, "review(s) of papers the labels do not list");
  ids_note(r.reviews_with_unusable_label,
           "review(s) of papers labelled neither accept nor reject, or both");
  ids_note(r.reviews_missing_score,
           fmt::format("review(s) whose {} is missing or not a number", r.options.score_column));
  ids_note(r.reviews_unusable_decision,
           fmt::format("review(s) whose {} is neither Accept nor Reject (left out of that column)",
                       r.options.decision_column));
  count_note(r.malformed_label_rows, "label row(s) with more or fewer fields than the header");
  count_note(r.labels_without_id, "label row(s) with an empty id");
  if (!r.other_label_decisions.empty()) {
    std::size_t total = 0;
    std::string kinds;
    for (const auto& [text, count] : r.other_label_decisions) {
      total += count;
      if (!kinds.empty()) kinds += ", ";
      kinds += fmt::format("\"{}\": {}", text, count);
    }
    notes.push_back(fmt::format("{} label row(s) with another decision ({})", total, kinds));
  }
  ids_note(r.duplicate_label_ids, "repeated label row(s) with the same decision");
  ids_note(r.conflicting_label_ids, "paper(s) labelled both accept and reject, left out");
  ids_note(r.labels_without_review, "labelled paper(s) without a review");
  if (!notes.empty()) {
    out += "\nnot counted:\n";
    for (const auto& note : notes)
      out += "  " + note + '\n';
  }
  return out;
}

}  // namespace review
