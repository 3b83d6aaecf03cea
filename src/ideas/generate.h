#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/llm.h"

namespace ideas {

// Checks one idea as the model wrote it: the keys of AI Scientist's ideas.json, their types and
// ranges, a Name of lowercase letters, digits and underscores not already in `taken`. Returns the
// problem in words (for the repair request), or an empty string when the idea is valid.
std::string validate_idea(const nlohmann::json& idea, const std::vector<std::string>& taken);

struct GenerateOptions {
  int num_ideas = 50;          // attempts, each a fresh conversation
  int num_reflections = 5;     // rounds per attempt, the first included
  bool include_seeds = false;  // put the seed ideas in the result too
  std::optional<double> temperature = 0.75;
  std::filesystem::path prompts_dir;  // overrides prompts/ideas/*.txt; empty: built-in
};

struct GenerateResult {
  nlohmann::json ideas = nlohmann::json::array();  // ideas.json's content
  int generated = 0;                               // new ideas kept
  std::vector<std::string> failures;               // one line per failed attempt, with the reason
};

// What the generator needs from a template: prompt.json's task and system text, the experiment
// code, and the seed ideas.
struct TemplateText {
  std::string system;
  std::string task_description;
  std::string code;
  nlohmann::json seed_ideas = nlohmann::json::array();
};

using Progress = std::function<void(std::string_view)>;

// Generates ideas as AI Scientist does: per attempt a fresh conversation (stage "ideas",
// conversation "idea-<attempt>") with the task, the code and the ideas so far; the reply's idea
// JSON is validated, and an invalid one gets one repair request quoting the problem before the
// attempt counts as failed (reported, never silently dropped); then up to num_reflections - 1
// reflection rounds that refine it or end with "I am done". Seeds are shown to the model and kept
// out of the result unless include_seeds. An LLM error that retrying cannot fix (auth, quota,
// budget) stops generation with that error; the ideas made so far are in the error's partial
// result via `partial`.
core::Result<GenerateResult> generate_ideas(core::LlmClient& llm, const TemplateText& tmpl,
                                            const GenerateOptions& options,
                                            const Progress& progress = {},
                                            GenerateResult* partial = nullptr);

}  // namespace ideas
