// `ai-scientist review batch`: reviews every paper of a folder into one CSV (a row per paper, the
// review form's columns), concurrently and resumably, for review-bench.
#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <fstream>
#include <iostream>
#include <map>
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

std::string lower(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// How much a file kind is preferred when several files of a folder share a stem (the same paper
// as PDF and LaTeX source, say): the PDF is what the reviewer reads; -1: not a paper.
int paper_rank(const fs::path& file) {
  static const std::array<std::string_view, 4> k_kinds = {".pdf", ".tex", ".md", ".txt"};
  const std::string ext = lower(file.extension().string());
  for (std::size_t i = 0; i < k_kinds.size(); ++i) {
    if (ext == k_kinds[i]) return static_cast<int>(i);
  }
  return -1;
}

// The papers of `dir`, sorted by id: its .pdf, .tex, .md and .txt files (extensions in any case);
// the id is the file's stem. Of several files with one stem only the preferred kind is kept (an id
// is one row of the CSV); the others go to `skipped`.
std::vector<fs::path> papers_in(const fs::path& dir, std::vector<fs::path>& skipped) {
  std::map<std::string, fs::path> by_id;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& file = it->path();
    if (paper_rank(file) < 0 || !it->is_regular_file(ec)) continue;
    auto [at, inserted] = by_id.try_emplace(file.stem().string(), file);
    if (inserted) continue;
    const bool better = paper_rank(file) < paper_rank(at->second) ||
                        (paper_rank(file) == paper_rank(at->second) && file < at->second);
    skipped.push_back(better ? at->second : file);
    if (better) at->second = file;
  }
  std::sort(skipped.begin(), skipped.end());
  std::vector<fs::path> out;
  for (auto& [id, file] : by_id)
    out.push_back(std::move(file));
  return out;
}

// The ids already in the CSV `out`, after making sure that rows can be appended to it: its header
// must be `header` and it must end with a line break. Checked before any paper is reviewed, so no
// review is paid for that cannot be written. A missing or empty file has no ids.
core::Result<std::set<std::string>> ids_done(const fs::path& out,
                                             const std::vector<std::string>& header) {
  std::set<std::string> done;
  std::error_code ec;
  if (!fs::exists(out, ec) || fs::file_size(out, ec) == 0) return done;
  auto table = TRY(review::read_csv_file(out, ','));
  if (table.header != header) {
    review::CsvTable wanted;
    wanted.header = header;
    return core::fail(
        core::ErrorCode::invalid_argument,
        fmt::format("{} has the columns {}, not the ones review batch writes ({}); "
                    "pass another --out or move this file away",
                    out.string(), table.describe_columns(), wanted.describe_columns()));
  }
  {
    std::ifstream in(out, std::ios::binary);
    in.seekg(-1, std::ios::end);
    char last = 0;
    if (in.get(last) && last != '\n' && last != '\r') {
      return core::fail(core::ErrorCode::parse,
                        fmt::format("{} ends in the middle of a row (an earlier run stopped while "
                                    "writing it); delete that incomplete last row and run again",
                                    out.string()));
    }
  }
  for (const auto& row : table.rows) {
    if (!row.empty()) done.insert(row.front());
  }
  return done;
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
  std::error_code ec;
  if (!fs::is_directory(f.papers, ec)) {
    std::cerr << "error: --papers " << f.papers
              << " is not a folder; pass the folder that holds the papers (.pdf, .tex, .md, "
                 ".txt)\n";
    return k_exit_usage;
  }
  std::vector<std::string> header = {"paper_id"};
  for (const auto& key : review::form_keys())
    header.emplace_back(key);
  auto done = ids_done(out, header);
  if (!done) {
    std::cerr << "error: " << done.error().message << '\n';
    return k_exit_failure;
  }
  std::vector<fs::path> skipped;
  std::vector<fs::path> todo;
  for (const auto& p : papers_in(f.papers, skipped)) {
    if (!done->contains(p.stem().string())) todo.push_back(p);
  }
  for (const auto& p : skipped) {
    std::cerr << fmt::format("note: skipping {}: another file of paper {} is reviewed instead\n",
                             p.string(), p.stem().string());
  }
  if (out.has_parent_path()) fs::create_directories(out.parent_path(), ec);
  std::cerr << fmt::format("review batch: {} paper(s) to review, {} already in {}\n", todo.size(),
                           done->size(), out.string());
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
  std::atomic<int> reviewed = 0;
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
      ++reviewed;
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
  // A stop (budget, auth, quota, an unwritable CSV) leaves papers that were never tried.
  const std::size_t untried = todo.size() - static_cast<std::size_t>(reviewed + failed);
  std::cout << fmt::format("{} reviewed, {} failed{}; {} (run again to retry {})\n",
                           reviewed.load(), failed.load(),
                           untried > 0 ? fmt::format(", {} not tried", untried) : "", out.string(),
                           untried > 0 ? "the rest" : "the failed ones");
  return failed == 0 && untried == 0 ? k_exit_ok : k_exit_failure;
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
