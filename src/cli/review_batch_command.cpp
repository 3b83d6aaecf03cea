// `ai-scientist review batch`: reviews every paper of a folder into one CSV (a row per paper, the
// review form's columns), concurrently and resumably, for review-bench.
#include <atomic>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "cli/app.h"
#include "cli/llm_stack.h"
#include "cli/review_batch_command.h"
#include "pdf/pdf_text.h"
#include "review/csv.h"
#include "review/form.h"
#include "review/reviewer.h"

namespace cli {
namespace {

namespace fs = std::filesystem;

struct BatchFlags {
  LlmFlags llm;
  std::string papers;
  std::string out;
  int jobs = 4;
  double temperature = 0.75;
  int num_reflections = 5;
  int ensemble = 1;
  int pages = 0;
  std::string fewshot;
};

// The papers of `dir`, sorted: its .pdf, .tex, .md and .txt files; the id is the file's stem.
std::vector<fs::path> papers_in(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const auto ext = it->path().extension();
    if (ext == ".pdf" || ext == ".tex" || ext == ".md" || ext == ".txt") out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The CSV row of a review: lists as JSON, the flag as true/false, numbers as written.
std::vector<std::string> row_of(const std::string& id, const nlohmann::json& review) {
  std::vector<std::string> row = {id};
  for (const auto& key : review::form_keys()) {
    const auto& v = review[std::string(key)];
    row.push_back(v.is_string() ? v.get<std::string>() : v.dump());
  }
  return row;
}

int run_batch(const BatchFlags& f, const core::Environment& env) {
  if (f.llm.model.empty() || f.papers.empty() || f.out.empty()) {
    std::cerr << "error: pass --papers DIR, --out FILE.csv and --model PROVIDER/MODEL\n";
    return k_exit_usage;
  }
  const fs::path out(f.out);
  std::vector<std::string> header = {"paper_id"};
  for (const auto& key : review::form_keys())
    header.emplace_back(key);
  std::set<std::string> done;
  std::error_code ec;
  if (fs::exists(out, ec)) {
    auto table = review::read_csv_file(out);
    if (!table) {
      std::cerr << "error: " << table.error().message << '\n';
      return k_exit_failure;
    }
    if (auto id = table->column("paper_id")) {
      for (const auto& row : table->rows)
        done.insert(row.at(*id));
    }
  }
  std::vector<fs::path> todo;
  for (const auto& p : papers_in(f.papers)) {
    if (!done.contains(p.stem().string())) todo.push_back(p);
  }
  if (fs::path(f.papers).empty() || !fs::is_directory(f.papers, ec)) {
    std::cerr << "error: --papers " << f.papers << " is not a folder\n";
    return k_exit_failure;
  }
  std::cerr << fmt::format("review batch: {} paper(s) to review, {} already in {}\n", todo.size(),
                           done.size(), out.string());
  auto stack = LlmStack::open(f.llm, env, out.parent_path() / "llm_transcript.jsonl");
  if (!stack) {
    std::cerr << "error: " << stack.error().message << '\n';
    return k_exit_failure;
  }
  auto client = (*stack)->client(f.llm.model);
  if (!client) {
    std::cerr << "error: " << client.error().message << '\n';
    return k_exit_failure;
  }
  std::mutex mutex;
  std::atomic<std::size_t> next = 0;
  std::atomic<int> failed = 0;
  std::atomic<bool> stop = false;
  auto worker = [&] {
    for (std::size_t i = next++; i < todo.size() && !stop; i = next++) {
      const fs::path& paper = todo[i];
      const std::string id = paper.stem().string();
      auto text = pdf::read_paper(paper, {f.pages});
      core::Result<review::ReviewResult> result = std::unexpected(core::Error());
      if (text) {
        review::ReviewOptions options;
        options.temperature = f.temperature;
        options.num_reflections = f.num_reflections;
        options.ensemble = f.ensemble;
        options.fewshot_dir = f.fewshot;
        options.max_pages = f.pages;
        options.idea = id;  // each paper's calls apart in the transcript
        result = review::review_paper(**client, *text, options);
      }
      std::lock_guard lock(mutex);
      if (!text || !result) {
        const auto& error = !text ? text.error() : result.error();
        std::cerr << fmt::format("{}: failed: {}\n", id, error.message);
        ++failed;
        if (error.code == core::ErrorCode::budget_exceeded || error.code == core::ErrorCode::auth ||
            error.code == core::ErrorCode::quota) {
          stop = true;  // no other paper can do better
        }
        continue;
      }
      if (auto r = review::append_csv_row(out, header, row_of(id, result->review)); !r) {
        std::cerr << "error: " << r.error().message << '\n';
        ++failed;
        stop = true;
        continue;
      }
      std::cerr << fmt::format("{}: {} (Overall {})\n", id,
                               result->review["Decision"].get<std::string>(),
                               result->review["Overall"].get<int>());
    }
  };
  {
    std::vector<std::jthread> workers;
    for (int i = 0; i < std::max(1, f.jobs); ++i)
      workers.emplace_back(worker);
  }
  std::cout << fmt::format("{} reviewed, {} failed; {} (run again to retry the failed ones)\n",
                           todo.size() - failed, failed.load(), out.string());
  return failed == 0 ? k_exit_ok : k_exit_failure;
}

}  // namespace

void add_review_batch(CLI::App& review, const core::Environment& env, std::function<int()>& run) {
  auto* app = review.add_subcommand(
      "batch", "Review every paper of a folder into a CSV (for review-bench); resumable");
  auto f = std::make_shared<BatchFlags>();
  f->llm.add_to(*app, "The reviewer's model (provider/model, or replay/PATH)");
  app->add_option("--papers", f->papers, "Folder of papers (.pdf, .tex, .md, .txt)")->required();
  app->add_option("--out", f->out, "The CSV to write (rows already there are kept and skipped)")
      ->required();
  app->add_option("--jobs", f->jobs, "Papers reviewed at once")->check(CLI::Range(1, 64));
  app->add_option("--review-temperature", f->temperature, "Sampling temperature")
      ->check(CLI::Range(0.0, 2.0));
  app->add_option("--num-reflections", f->num_reflections, "Rounds per reviewer")
      ->check(CLI::Range(1, 20));
  app->add_option("--ensemble", f->ensemble, "Reviewers per paper")->check(CLI::Range(1, 20));
  app->add_option("--pages", f->pages, "Read at most this many pages of a PDF (0: all)")
      ->check(CLI::NonNegativeNumber);
  app->add_option("--fewshot", f->fewshot, "Example papers with reviews to show the reviewer");
  app->final_callback([f, &env, &run] { run = [f, &env] { return run_batch(*f, env); }; });
}

}  // namespace cli
