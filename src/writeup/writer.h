#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/literature.h"
#include "core/llm.h"
#include "core/process.h"
#include "edit/blocks.h"
#include "writeup/compile.h"

// The write-up stage: the coder fills `latex/template.tex` section by section from `notes.txt`
// and the experiment code, adds citations found in the literature (their BibTeX written by the
// engine, never by the model), fixes what the checks and the LaTeX log report, and the paper is
// compiled to `<Name>.pdf` in the idea folder.
namespace writeup {

using Progress = std::function<void(std::string_view line)>;

struct WriteupOptions {
  std::string idea;       // the idea's Name: transcript keys, and `<Name>.pdf` unless pdf_name
  std::string pdf_name;   // the PDF's file name in the idea folder; empty: `<idea>.pdf`
  int cite_rounds = 20;   // --cite-rounds: rounds of search-pick-insert
  int check_rounds = 3;   // rounds of fixing what the checks before compiling find
  int repair_rounds = 5;  // rounds of fixing what the LaTeX log reports, each recompiling
  int results_per_query = 10;
  int max_reflections = 3;  // the coder's automatic follow-ups per request
  std::optional<double> temperature;
  edit::EditFormat format = edit::EditFormat::diff;
  std::chrono::seconds pass_timeout{120};
  // A folder whose prompts/writeup/*.txt (and prompts/coder/*.txt) replace the built-in ones.
  std::filesystem::path prompts_dir;
  // The template's placeholder text ("INTRO HERE"); empty: every "WORDS HERE" in capitals found
  // in template.tex before writing starts.
  std::vector<std::string> placeholders;
  // Runs chktex for the checks (the sandboxed runner in a launch); null: chktex is skipped.
  core::ProcessRunner* check_runner = nullptr;
};

struct WriteupResult {
  CompileResult compile;              // the last compile (the PDF kept may be an earlier one)
  std::vector<std::string> sections;  // the sections written, in order
  std::vector<std::string> cited;     // keys added to the bibliography
  int citation_rounds = 0;
  int check_rounds = 0;   // rounds spent on problems found before compiling
  int repair_rounds = 0;  // rounds spent on LaTeX errors
  // What a reader of the record should know: why citations stopped, problems left, ...
  std::vector<std::string> notes;
  double cost_usd = 0;  // the model calls of this stage, where prices are known
};

// The whole write-up of the idea folder `idea_dir` (which holds latex/template.tex, notes.txt and
// the experiment code). `literature` may be null: the paper is then written without new
// citations and the result says so. Writes `writeup.json` (the result, as the idea's record) in
// the idea folder, after the compile. Fails when the model fails (after its client's retries:
// budget, auth, ...) or the files cannot be used; everything written before stays on disk. A
// paper that still has LaTeX errors after the repair rounds is not a failure: the result holds
// the PDF TeX could produce and the errors left.
core::Result<WriteupResult> write_paper(core::LlmClient& llm, core::LiteratureSource* literature,
                                        const Compiler& compiler,
                                        const std::filesystem::path& idea_dir,
                                        const WriteupOptions& options,
                                        const Progress& progress = {});

// The improvement step: the coder revises the written paper of `idea_dir` from `review` (the
// review form as JSON), without new results, and the paper is compiled again through the same
// check and repair rounds (the best PDF so far is kept). Writes `improvement.json` (the result).
// No citations are added. Fails as write_paper does.
core::Result<WriteupResult> improve_paper(core::LlmClient& llm, const Compiler& compiler,
                                          const std::filesystem::path& idea_dir,
                                          const nlohmann::json& review,
                                          const WriteupOptions& options,
                                          const Progress& progress = {});

// The record written as writeup.json.
nlohmann::json to_json(const WriteupResult& result);

}  // namespace writeup
