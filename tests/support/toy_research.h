#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "core/llm.h"

// A toy research template and a model that does research on it competently: what the launch
// tests and the launch benchmark run the whole pipeline on.
namespace test_support {

// Writes the toy template into `folder` (created with its parents): experiment.py (LR = 0.1,
// sleeps `experiment_sleep_ms` milliseconds, writes final_info.json), plot.py (one PNG per run
// it labels), latex/template.tex and references.bib, prompt.json, and seed_ideas.json with
// `ideas` seeds named idea_0 .. idea_<ideas-1>.
void write_toy_template(const std::filesystem::path& folder, int ideas,
                        int experiment_sleep_ms = 0);

// A reply that makes one SEARCH/REPLACE edit to `file`.
std::string edit_reply(const std::string& file, const std::string& search,
                       const std::string& replace);

// What a competent model answers at each step of the pipeline on the toy template (by the
// call's stage and turn): one experiment run (LR 0.2) then ALL_COMPLETED, a plot for run 1, notes,
// every section of the paper, a review (Overall 5, Reject).
std::string researcher(const core::CompletionRequest& request);

// A model played by a function, optionally taking `latency` per call (a sleep in complete(),
// before the function answers). Counts the calls per idea and the answers per transcript key.
class FunctionLlm final : public core::LlmClient {
 public:
  using Answer = std::function<core::Result<std::string>(const core::CompletionRequest&)>;
  explicit FunctionLlm(Answer answer,
                       std::chrono::milliseconds latency = std::chrono::milliseconds(0))
      : m_answer(std::move(answer)), m_latency(latency) {}

  core::Result<core::Completion> complete(const core::CompletionRequest& request) override;
  std::string spec() const override { return "fake/function"; }

  // The most answers given to one (idea, stage, conversation, turn).
  int max_answers_per_key() const;
  // Answers given (failures not counted).
  int answered() const;
  // Calls made (failures counted), per idea ("" outside a per-idea stage).
  std::map<std::string, int> calls_per_idea() const;
  // "idea:stage" for every call, in order.
  std::vector<std::string> events() const;

 private:
  Answer m_answer;
  std::chrono::milliseconds m_latency;
  mutable std::mutex m_mutex;
  std::map<std::tuple<std::string, std::string, std::string, int>, int> m_answered;
  std::map<std::string, int> m_calls;
  std::vector<std::string> m_events;
};

}  // namespace test_support
