#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/literature.h"
#include "core/llm.h"
#include "core/process.h"
#include "experiment/loops.h"
#include "experiment/runner.h"
#include "experiment/sandbox.h"
#include "experiment/template.h"
#include "ideas/generate.h"
#include "ideas/novelty.h"
#include "llm/cost.h"
#include "pipeline/journal.h"
#include "pipeline/manifest.h"
#include "pipeline/progress.h"
#include "pipeline/slots.h"
#include "review/reviewer.h"
#include "writeup/compile.h"
#include "writeup/writer.h"

// `ai-scientist launch`: the whole pipeline for the ideas of one template, ideas side by side.
//
//   ideas (generated, or the template's) -> novelty check -> for each idea kept, in its own
//   folder results/<template>/<YYYYmmdd_HHMMSS>_<Name>/: experiments -> plots -> notes ->
//   write-up (PDF) -> review [-> improvement -> review again]
//
// Experiment runs take a slot of the SlotPool (one per GPU, or CPU slots); everything else of an
// idea (its LLM-bound stages) runs whenever the idea's thread gets to it, within the providers'
// limits. Each stage that completes is recorded in the journal with its artifacts and cost, so a
// resumed launch (the same command again, or --resume) continues every idea after its last
// completed stage; a stage that was interrupted starts again from the files it began with (see
// the checkpoints in launch.cpp), its model calls answered from the idea's transcript.
namespace pipeline {

// The stages of an idea, in order.
inline constexpr const char* k_stages[] = {"experiments", "plots",  "notes",
                                           "writeup",     "review", "improvement"};

// The model clients of one idea: both record to the idea's transcript and, in a resumed launch,
// answer from it what was asked before.
struct IdeaClients {
  std::shared_ptr<core::LlmClient> writer;
  std::shared_ptr<core::LlmClient> reviewer;
};
using ClientFactory = std::function<core::Result<IdeaClients>(
    const std::string& idea, const std::filesystem::path& transcript)>;

struct LaunchConfig {
  experiment::Template tmpl;        // read from the template folder, never from an idea's copy
  std::filesystem::path run_dir;    // the launch's own folder: journal, ideas.json, summary.json
  std::filesystem::path idea_root;  // where idea folders go: results/<template>/
  std::string python;               // the interpreter "{python}" stands for
  bool smoke = false;               // the template's smoke settings (demo, tests)
  bool skip_idea_generation = false;
  bool skip_novelty_check = false;
  bool improvement = false;
  int parallel = 2;  // ideas in flight at once
  ideas::GenerateOptions generate;
  ideas::NoveltyOptions novelty;
  experiment::LoopLimits loops;
  writeup::WriteupOptions writeup;  // idea, prompts and check runner are set per idea
  review::ReviewOptions review;
  Manifest manifest;  // the launch's part (engine, models, flags, template hash, sandbox)
};

struct LaunchParts {
  core::LlmClient& ideation;           // idea generation and novelty (the run's transcript)
  core::LiteratureSource* literature;  // novelty and citations; null: none
  const experiment::Sandbox& sandbox;
  core::ProcessRunner& lint_runner;  // the sandboxed runner: lint of LLM-written code
  SlotPool& slots;
  Journal& journal;
  ProgressView& view;
  llm::CostLedger& ledger;
  ClientFactory clients;
};

struct LaunchOutcome {
  std::vector<Journal::Summary> summary;  // one row per idea, by position
  bool budget_spent = false;              // the run stopped at --budget-usd
  int failed = 0;
  std::string ideas_file;  // the run's ideas.json
};

// Runs (or resumes) the launch. Fails only when the launch cannot go on at all: the ideas cannot
// be generated or read, the baseline run fails, the journal cannot be written. A failing idea is
// recorded with its stage and reason and the others go on. When the budget is spent, no new
// model call starts, running stages end at their next call, and the outcome says so.
core::Result<LaunchOutcome> run_launch(const LaunchConfig& config, LaunchParts& parts);

// The text of a template that idea generation and novelty checks show the model.
ideas::TemplateText template_text(const experiment::Template& tmpl);

// An idea's Name as a folder name: letters, digits, '_' and '-' kept, anything else '_', at
// most 80 characters; "idea" when nothing is left.
std::string folder_safe(std::string_view name);

}  // namespace pipeline
