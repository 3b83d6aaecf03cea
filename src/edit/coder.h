#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/llm.h"
#include "edit/apply.h"
#include "edit/blocks.h"
#include "edit/chat_history.h"
#include "edit/lint.h"

namespace edit {

struct CoderOptions {
  EditFormat format = EditFormat::diff;
  // Files whose current content is sent with every request (relative to the workspace root).
  std::vector<std::string> files_in_context;
  // Files shown with every request for reference only (notes, the experiment code while the
  // paper is written): named by the engine, read from the workspace root, never editable unless
  // the policy also allows them.
  std::vector<std::string> reference_files;
  // Automatic follow-ups per run(): failed edits, format errors, lint errors.
  int max_reflections = 3;
  // Rough size of the conversation the model may see, in tokens (estimated as characters / 4).
  // Older turns are dropped when the history, files and new message would exceed it.
  std::size_t context_budget_tokens = 100'000;
  std::optional<double> temperature;
  int max_output_tokens = 8192;
  // Keys for the transcript (core::CallContext). Turns are numbered by the coder.
  // (stage, conversation) must be unique for each Coder of a run, so that transcript keys never
  // collide; a Coder that continues an earlier conversation starts at that conversation's next
  // turn (first_turn).
  std::string stage = "coder";
  std::string conversation = "coder";
  int first_turn = 0;
  std::string idea;
  // coder_history.md; empty: not written.
  std::filesystem::path history_file;
  // A folder whose prompts/coder/*.txt replace the built-in prompts; empty: built-in.
  std::filesystem::path prompts_dir;
  // Extra system-prompt text for the task (a template's own instructions, say).
  std::string task_instructions;
};

// What one run() did.
struct CoderTurn {
  std::string reply;                 // the model's last reply
  std::vector<ApplyReport> reports;  // one per reply that carried edits
  std::vector<std::string> changed_files;
  int reflections = 0;     // follow-ups sent automatically
  bool clean = true;       // the last reply's edits all applied and lint was clean
  std::string unresolved;  // when not clean: the problem left after the last reflection
  core::Usage usage;       // summed over the run's calls
  double cost_usd = 0;     // summed over the calls with a known price
};

// The code-editing agent: one conversation with a model about the files of a workspace.
//
// run(message) sends the message with the current content of the files in context, parses the
// reply's edits in the configured format and applies them (apply_edits), then lints the changed
// files. When the reply's format is broken, when it was cut off at the token limit (nothing is
// applied then), when blocks fail, when an edit was expected and none came, or when lint finds
// errors in any file the run changed, it tells the model exactly what went wrong and asks again,
// up to max_reflections times. An edit applied to another file than the one it named is reported
// to the model in the next message. Every exchange is appended to coder_history.md.
//
// An LLM failure (after the client's own retries) ends run() with that error; edits applied
// before it stay applied and recorded. Not thread-safe: one Coder per conversation.
class Coder {
 public:
  Coder(core::LlmClient& llm, const Workspace& workspace, CoderOptions options,
        LintHook* lint = nullptr);

  // `expect_edits`: a reply without edits is a mistake to point out (experiment and plot
  // requests), rather than a normal answer (a question, "ALL_COMPLETED").
  core::Result<CoderTurn> run(const std::string& message, bool expect_edits = false);

  // The conversation so far (user and assistant turns, without the file contents).
  const std::vector<core::Message>& history() const { return m_history; }
  CoderOptions& options() { return m_options; }

 private:
  core::Result<std::string> prompt(std::string_view name) const;
  core::Result<std::string> system_prompt() const;
  struct FilesMessage {
    std::string text;  // the files in context, fenced, for the start of the user message
    Fence fence;       // the fence used, which the model's edits will use too
  };
  FilesMessage files_message() const;
  std::vector<core::Message> fit_history(std::size_t fixed_chars) const;
  core::Result<std::string> feedback(const ParsedReply* parsed, const core::Error* parse_error,
                                     const ApplyReport* report, const std::string& lint_errors,
                                     bool expect_edits) const;
  void note(std::string_view lines);

  core::LlmClient& m_llm;
  const Workspace& m_workspace;
  CoderOptions m_options;
  LintHook* m_lint;
  ChatHistory m_chat;
  std::vector<core::Message> m_history;
  int m_turn;
  std::string m_pending_notes;
  bool m_started = false;
};

}  // namespace edit
