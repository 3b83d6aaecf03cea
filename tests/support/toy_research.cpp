#include "support/toy_research.h"

#include <algorithm>
#include <fstream>
#include <thread>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace test_support {
namespace {

namespace fs = std::filesystem;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
}

constexpr const char* k_experiment = R"(import argparse
import json
import os
import time

LR = 0.1
SLEEP_MS = {sleep_ms}

parser = argparse.ArgumentParser()
parser.add_argument("--out_dir", default="run_0")
args = parser.parse_args()
os.makedirs(args.out_dir, exist_ok=True)
if SLEEP_MS > 0:
    time.sleep(SLEEP_MS / 1000.0)
with open(os.path.join(args.out_dir, "final_info.json"), "w") as f:
    json.dump({{"toy": {{"means": {{"loss": round(1 - LR, 3)}}}}}}, f)
)";

// Draws one small (real) PNG per run folder.
constexpr const char* k_plot = R"(import base64
import os

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAEElEQVR4nGP4z8AARwzEcQCukw/x0F8jngAAAABJRU5ErkJggg==")
labels = {"run_0": "Baseline"}
for run in labels:
    if os.path.isdir(run):
        with open("loss_" + run + ".png", "wb") as f:
            f.write(PNG)
)";

constexpr const char* k_tex = R"(\documentclass{article}
\usepackage{graphicx}
\usepackage{natbib}
\title{TITLE HERE}
\begin{document}
\maketitle
\begin{abstract}
ABSTRACT HERE
\end{abstract}
\section{Introduction}
INTRO HERE
\section{Related Work}
RELATED WORK HERE
\section{Background}
BACKGROUND HERE
\section{Method}
METHOD HERE
\section{Experimental Setup}
EXPERIMENTAL SETUP HERE
\section{Results}
RESULTS HERE
\section{Conclusion}
CONCLUSIONS HERE
\nocite{doe2020toy}
\bibliographystyle{plainnat}
\bibliography{references}
\end{document}
)";

const nlohmann::json& review_json() {
  static const nlohmann::json review = {{"Summary", "A toy study of the learning rate."},
                                        {"Strengths", {"Clear."}},
                                        {"Weaknesses", {"Tiny."}},
                                        {"Originality", 2},
                                        {"Quality", 3},
                                        {"Clarity", 3},
                                        {"Significance", 2},
                                        {"Questions", {"Why this rate?"}},
                                        {"Limitations", {"One seed."}},
                                        {"Ethical Concerns", false},
                                        {"Soundness", 3},
                                        {"Presentation", 3},
                                        {"Contribution", 2},
                                        {"Overall", 5},
                                        {"Confidence", 4},
                                        {"Decision", "Reject"}};
  return review;
}

}  // namespace

void write_toy_template(const fs::path& folder, int ideas, int experiment_sleep_ms) {
  write(folder / "experiment.py",
        fmt::format(fmt::runtime(k_experiment), fmt::arg("sleep_ms", experiment_sleep_ms)));
  write(folder / "plot.py", k_plot);
  write(folder / "latex" / "template.tex", k_tex);
  write(folder / "latex" / "references.bib",
        "@article{doe2020toy,\n  title = {Toy Problems},\n  author = {Doe, Jane},\n"
        "  journal = {Journal of Toys},\n  year = {2020}\n}\n");
  write(folder / "prompt.json",
        R"({"system": "You are a careful researcher.", "task_description": "A toy."})");
  nlohmann::json seeds = nlohmann::json::array();
  for (int i = 0; i < ideas; ++i) {
    seeds.push_back({{"Name", fmt::format("idea_{}", i)},
                     {"Title", fmt::format("Learning Rate Study {}", i)},
                     {"Experiment", "Raise the learning rate."},
                     {"Interestingness", 5},
                     {"Feasibility", 9},
                     {"Novelty", 4}});
  }
  write(folder / "seed_ideas.json", seeds.dump(2));
}

std::string edit_reply(const std::string& file, const std::string& search,
                       const std::string& replace) {
  return "Here is the change.\n\n" + file + "\n```\n<<<<<<< SEARCH\n" + search + "\n=======\n" +
         replace + "\n>>>>>>> REPLACE\n```\n";
}

std::string researcher(const core::CompletionRequest& r) {
  const std::string& stage = r.context.stage;
  const std::string& message = r.messages.back().content;
  const std::string ask =
      message.substr(message.rfind("---\n") == std::string::npos ? 0 : message.rfind("---\n"));
  if (stage == "experiments") {
    if (r.context.turn == 0) return edit_reply("experiment.py", "LR = 0.1", "LR = 0.2");
    return "The results are in; nothing more to try.\n\nALL_COMPLETED";
  }
  if (stage == "plots") {
    return edit_reply("plot.py", "labels = {\"run_0\": \"Baseline\"}",
                      "labels = {\"run_0\": \"Baseline\", \"run_1\": \"Higher rate\"}");
  }
  if (stage == "notes") {
    return edit_reply("notes.txt", "Description: Baseline results.",
                      "Description: Baseline results.\nloss_run_1.png: the loss of run 1.");
  }
  if (stage == "review") {
    return "THOUGHT:\nA fair toy.\n\nREVIEW JSON:\n```json\n" + review_json().dump() + "\n```\n";
  }
  if (stage == "writeup") {
    static const std::pair<const char*, std::pair<const char*, const char*>> parts[] = {
        {"Write the Title and Abstract",
         {"\\title{TITLE HERE}", "\\title{A Higher Learning Rate for Toys}"}},
        {"Write the Introduction", {"INTRO HERE", "We raise the rate."}},
        {"Write the Background", {"BACKGROUND HERE", "Rates matter \\citep{doe2020toy}."}},
        {"Write the Method", {"METHOD HERE", "Double the rate."}},
        {"Write the Experimental Setup", {"EXPERIMENTAL SETUP HERE", "One run."}},
        {"Write the Results",
         {"RESULTS HERE",
          "The loss fell to 0.8.\n\\begin{figure}[h]\\centering"
          "\\includegraphics[width=2cm]{loss_run_1.png}\\caption{Loss.}\\label{fig:loss}"
          "\\end{figure}\nSee Figure~\\ref{fig:loss}."}},
        {"Write the Conclusion", {"CONCLUSIONS HERE", "Rates help toys."}},
        {"Write the Related Work", {"RELATED WORK HERE", "Little is known."}},
    };
    for (const auto& [trigger, change] : parts) {
      if (!contains(ask, trigger)) continue;
      std::string answer = edit_reply("latex/template.tex", change.first, change.second);
      if (std::string(trigger) == "Write the Title and Abstract") {
        answer += "\n" + edit_reply("latex/template.tex", "ABSTRACT HERE", "We study toys.");
      }
      return answer;
    }
    return "It reads well; no change is needed.";
  }
  return "I cannot help with that.";
}

core::Result<core::Completion> FunctionLlm::complete(const core::CompletionRequest& request) {
  {
    std::lock_guard lock(m_mutex);
    ++m_calls[request.context.idea];
  }
  if (m_latency.count() > 0) std::this_thread::sleep_for(m_latency);
  auto text = m_answer(request);
  std::lock_guard lock(m_mutex);
  m_events.push_back(request.context.idea + ":" + request.context.stage);
  if (!text) return std::unexpected(text.error());
  ++m_answered[{request.context.idea, request.context.stage, request.context.conversation,
                request.context.turn}];
  core::Completion c;
  c.texts = {*text};
  c.finish_reason = "stop";
  c.usage.input_tokens = 1000;
  c.usage.output_tokens = 100;
  return c;
}

int FunctionLlm::max_answers_per_key() const {
  std::lock_guard lock(m_mutex);
  int most = 0;
  for (const auto& [key, n] : m_answered)
    most = std::max(most, n);
  return most;
}

int FunctionLlm::answered() const {
  std::lock_guard lock(m_mutex);
  int n = 0;
  for (const auto& [key, count] : m_answered)
    n += count;
  return n;
}

std::map<std::string, int> FunctionLlm::calls_per_idea() const {
  std::lock_guard lock(m_mutex);
  return m_calls;
}

std::vector<std::string> FunctionLlm::events() const {
  std::lock_guard lock(m_mutex);
  return m_events;
}

}  // namespace test_support
