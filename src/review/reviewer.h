#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/llm.h"

// The reviewer: AI Scientist's perform_review method (a critical reviewer fills the form, refines
// it over reflection rounds, an ensemble of such reviews is merged by an area chair's
// meta-review with the scores averaged), with its model, temperature and sizes as parameters,
// every prompt filled in, invalid forms repaired, and failures reported instead of dropped.
namespace review {

// `text` cut to at most `max_chars` bytes, at the last line break in the final fifth of that
// span when there is one (else at a UTF-8 character boundary), followed by a line saying how much
// was left out. Text within the limit comes back unchanged.
std::string truncate_text(std::string_view text, std::size_t max_chars);

// One few-shot example: a paper and the review written for it.
struct FewShotExample {
  std::string id;  // the file name without its extension
  std::filesystem::path paper_file;
  std::string paper_text;  // truncated to the limit the loader was given
  bool truncated = false;
  nlohmann::json review;  // the <id>.json object as the file holds it
};

// The few-shot examples in `dir`, sorted by id: every `<id>.json` (a JSON object, shown to the
// model as written) with its paper `<id>.txt`, `.md`, `.tex` or `.pdf` (the first of these that
// exists, read with pdf::read_paper; of a PDF at most `max_pages` pages, 0: all), the paper's
// text truncated to `max_chars`. Papers without a review are not examples and are ignored.
// Fails with `config` when `dir` is not a folder, holds no pair, a review has no paper or a paper
// no text; with `io`/`parse`/`invalid_argument` when a file cannot be read, a review is not a
// JSON object or a PDF cannot be read; each message names the file and what to do.
core::Result<std::vector<FewShotExample>> load_fewshot_examples(const std::filesystem::path& dir,
                                                                std::size_t max_chars,
                                                                int max_pages);

struct ReviewOptions {
  // Sampling temperature of every reviewer call (members, reflections, meta-review). AI Scientist
  // hard-codes 0.75 for its ensemble; here it is the default. Unset: the provider's default.
  std::optional<double> temperature = 0.75;
  // Rounds per reviewer, the first included (1: no reflection). A round may end the reviewer's
  // conversation early when the model writes "I am done".
  int num_reflections = 5;
  // Independent reviewers; with more than one, an area chair's meta-review merges them.
  int ensemble = 5;
  // Repair requests per conversation when a reply's form is invalid, before giving up.
  int max_repairs = 2;
  // Few-shot examples (see load_fewshot_examples); empty: none.
  std::filesystem::path fewshot_dir;
  int fewshot_limit = 0;                  // examples used, first by id; 0: all in the folder
  std::size_t fewshot_max_chars = 20000;  // of each example paper's text
  int max_pages = 0;                      // pages read from an example PDF; 0: all
  std::filesystem::path prompts_dir;      // overrides prompts/review/*.txt; empty: built in
  std::string idea;                       // CallContext::idea of every call
  int max_output_tokens = 4096;
};

// One reviewer of the ensemble.
struct ReviewerOutcome {
  int index = 0;  // 1-based; its calls are conversation "reviewer-<index>" of stage "review"
  // The last valid review it wrote; empty when it failed.
  std::optional<nlohmann::json> review;
  // Why it failed, or, with a review, why its reflection stopped before the model was done
  // (an unusable reply, a model error). Empty otherwise.
  std::string note;
  int rounds = 0;          // the round its kept review comes from (1: the first reply)
  bool said_done = false;  // it ended with "I am done"
};

struct ReviewResult {
  // The final review: a valid, normalised form. With an ensemble, the meta-review's text and
  // Decision with each score replaced by the rounded mean of the valid reviews' scores.
  nlohmann::json review;
  // Every reviewer, in index order, failed ones included.
  std::vector<ReviewerOutcome> reviewers;
  // The area chair's review as it wrote it (ensemble only; empty when it failed).
  std::optional<nlohmann::json> meta_review;
  // The unrounded mean of each score over the valid reviews (with one reviewer, its scores).
  std::map<std::string, double> mean_scores;
  // One line per reviewer that failed and for a failed meta-review, saying why.
  std::vector<std::string> failures;
  int fewshot_examples = 0;
  int calls = 0;  // model calls made
  core::Usage usage;
  double cost_usd = 0;        // summed over the calls with a known price
  bool cost_complete = true;  // false when some call's price was unknown
};

// The final review of an ensemble: `meta_review` (when given; every review must be valid and
// normalised, `reviews` not empty) with each score replaced by the mean over `reviews` rounded
// half away from zero, keeping its Decision. Without a meta-review, the text comes from the first
// review, "Ethical Concerns" is true when any review says so, and the Decision is the reviewers'
// majority (a tie rejects). `mean_scores`, when given, receives the unrounded means.
nlohmann::json aggregate_reviews(const std::vector<nlohmann::json>& reviews,
                                 const std::optional<nlohmann::json>& meta_review,
                                 std::map<std::string, double>* mean_scores = nullptr);

// Progress lines ("reviewer 2/5: Reject, Overall 3, 4 round(s)"); called from reviewer threads,
// one call at a time.
using Progress = std::function<void(std::string_view)>;

// Reviews `paper_text` as AI Scientist's perform_review does, with these differences:
//   - each of the `ensemble` reviewers is its own conversation (stage "review", conversation
//     "reviewer-<i>", turns from 0), all run concurrently; each reflects on its own review
//     (up to num_reflections rounds, ending early on "I am done"), so the meta-review merges
//     refined reviews and its Decision is final;
//   - a reply whose form is invalid gets a repair request naming every problem, up to
//     max_repairs per conversation; a reflection reply that stays invalid ends that reviewer's
//     reflection and keeps its last valid review;
//   - with ensemble > 1 an area chair (conversation "meta") writes the meta-review from the valid
//     reviews; see aggregate_reviews for how the final review is made, also when the
//     meta-review fails.
// A reviewer that fails (no valid review after the repairs, or a model error after the client's
// retries) is reported in `failures` and excluded. Errors: the first error no other call could
// avoid (auth, quota, budget_exceeded, config, bad_request, replay_mismatch), after every
// running reviewer finished; a prompt or few-shot folder that cannot be read; or, when every
// reviewer failed, an error listing each reviewer's reason.
core::Result<ReviewResult> review_paper(core::LlmClient& llm, const std::string& paper_text,
                                        const ReviewOptions& options,
                                        const Progress& progress = {});

}  // namespace review
