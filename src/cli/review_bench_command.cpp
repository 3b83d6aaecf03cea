// `ai-scientist review-bench`: how well a reviewer's verdicts agree with real decisions.
#include <cmath>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "cli/app.h"
#include "core/json.h"
#include "review/bench.h"
#include "review/csv.h"

namespace cli {
namespace {

struct BenchFlags {
  std::string reviews;
  std::string labels;
  bool json_output = false;
  review::BenchOptions options;
};

int fail_with(const core::Error& e) {
  std::cerr << "error: " << e.message << '\n';
  // A missing column is fixed with a flag; anything else is a problem with the files.
  return e.code == core::ErrorCode::invalid_argument ? k_exit_usage : k_exit_failure;
}

int run_review_bench(const BenchFlags& f) {
  if (!std::isfinite(f.options.threshold)) {
    std::cerr << "error: --threshold must be a number, such as 6\n";
    return k_exit_usage;
  }
  // Both files: CSV or TSV, whichever the header line (or else the extension) says.
  auto reviews = review::read_csv_file(f.reviews);
  if (!reviews) return fail_with(reviews.error());
  auto labels = review::read_csv_file(f.labels);
  if (!labels) return fail_with(labels.error());
  auto report = review::run_bench(*reviews, *labels, f.options);
  if (!report) return fail_with(report.error());
  if (f.json_output) {
    std::cout << core::dump_json(review::report_json(*report), 2) << '\n';
  } else {
    std::cout << review::format_report(*report);
  }
  if (report->matched == 0) {
    std::cerr << fmt::format(
        "warning: no paper has both a usable review and an accept/reject label; check that "
        "{} and {} use the same ids in column \"{}\"\n",
        f.reviews, f.labels, f.options.id_column);
  }
  return k_exit_ok;
}

}  // namespace

Command review_bench_command() {
  return {"review-bench", "Measure a reviewer against labelled accept/reject decisions",
          [](CLI::App& app, const core::Environment&) -> std::function<int()> {
            auto f = std::make_shared<BenchFlags>();
            app.add_option("--reviews", f->reviews,
                           "Reviews as written by a batch review run (CSV: an id column and the "
                           "review form's columns)")
                ->required();
            app.add_option("--labels", f->labels,
                           "True decisions (CSV or TSV with an id and a decision column)")
                ->required();
            app.add_option("--threshold", f->options.threshold,
                           "A review accepts when its score is at least this")
                ->capture_default_str();
            app.add_flag("--json", f->json_output, "Print the report as one JSON object");
            app.add_option("--id-col", f->options.id_column, "The paper id column (both files)")
                ->capture_default_str();
            app.add_option("--label-col", f->options.label_column,
                           "The decision column of the labels")
                ->capture_default_str();
            app.add_option("--score-col", f->options.score_column,
                           "The overall score column of the reviews")
                ->capture_default_str();
            app.add_option("--decision-col", f->options.decision_column,
                           "The reviewer's decision column of the reviews")
                ->capture_default_str();
            return [f] { return run_review_bench(*f); };
          }};
}

}  // namespace cli
