#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/literature.h"
#include "core/llm.h"
#include "ideas/generate.h"

namespace ideas {

struct NoveltyOptions {
  int max_rounds = 10;
  int results_per_query = 10;
  std::optional<double> temperature = 0.75;
  int concurrency = 2;                // ideas checked at once (check_ideas_file)
  std::filesystem::path prompts_dir;  // overrides prompts/ideas/*.txt; empty: built-in
};

struct NoveltyVerdict {
  bool novel = false;
  bool exhausted = false;  // the rounds ran out before a decision (counted as not novel)
  int rounds = 0;
  std::string reason;  // the model's final thought, or why no decision was reached
  nlohmann::json papers = nlohmann::json::array();  // the papers it was shown, deduplicated
};

// The novelty dialogue for one idea, as AI Scientist runs it: each round the model reasons and
// either asks for one search query (JSON {"Query": ...}) or ends with "Decision made: novel." /
// "Decision made: not novel."; each query's top results (title, authors, venue, year, citations,
// abstract) go back to it. Running out of rounds means not novel, and the verdict says so. A reply
// without a decision or a usable query gets the round's prompt again (it costs the round). The
// conversation is keyed (stage "novelty", conversation "novelty-<index>"). Errors: the model's
// (after its retries), or a literature source's that no retry could fix.
core::Result<NoveltyVerdict> check_novelty(core::LlmClient& llm, core::LiteratureSource& source,
                                           const TemplateText& tmpl, const nlohmann::json& idea,
                                           int index, const NoveltyOptions& options);

// Writes `ideas` to `path` atomically (a temporary file beside it, then rename), so an interrupted
// write never leaves half a file where a complete one was.
core::Result<void> write_ideas_file(const std::filesystem::path& path, const nlohmann::json& ideas);

// Checks every idea in `ideas_file` (AI Scientist's ideas.json) that has no "novel" key yet, up to
// options.concurrency at a time, adding "novel" and "novelty_evidence" ({reason, rounds,
// exhausted, papers}) to each. The file is rewritten atomically after each idea, so an
// interruption loses nothing and a re-run goes on where it stopped. An idea whose check fails
// is left unchecked and reported through `progress`; the first such error is returned at the
// end, after the others were tried.
core::Result<int> check_ideas_file(core::LlmClient& llm, core::LiteratureSource& source,
                                   const TemplateText& tmpl,
                                   const std::filesystem::path& ideas_file,
                                   const NoveltyOptions& options, const Progress& progress = {});

}  // namespace ideas
