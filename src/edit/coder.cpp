#include "edit/coder.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "resources/resources.h"

namespace edit {
namespace {

std::string_view format_prompt_name(EditFormat f) {
  switch (f) {
    case EditFormat::diff:
      return "diff.txt";
    case EditFormat::whole:
      return "whole.txt";
    case EditFormat::udiff:
      return "udiff.txt";
  }
  return "diff.txt";
}

// "1.2k" for token counts in the history, as aider prints them.
std::string human_tokens(std::int64_t n) {
  if (n < 1000) return std::to_string(n);
  return fmt::format("{:.1f}k", static_cast<double>(n) / 1000.0);
}

// The fence that can hold every file in context: four backticks when a file itself has ```.
Fence fence_for(const std::vector<std::string>& contents) {
  for (const auto& c : contents) {
    if (c.find("```") != std::string::npos) return Fence{"````", "````"};
  }
  return Fence{};
}

}  // namespace

Coder::Coder(core::LlmClient& llm, const Workspace& workspace, CoderOptions options, LintHook* lint)
    : m_llm(llm),
      m_workspace(workspace),
      m_options(std::move(options)),
      m_lint(lint),
      m_chat(m_options.history_file),
      m_turn(m_options.first_turn) {}

core::Result<std::string> Coder::prompt(std::string_view name) const {
  std::string path = fmt::format("prompts/coder/{}", name);
  if (auto text = resources::text(path, m_options.prompts_dir)) return *text;
  return core::fail(core::ErrorCode::config,
                    fmt::format("the prompt {} is missing{}", path,
                                m_options.prompts_dir.empty()
                                    ? " from the build"
                                    : " (and not in " + m_options.prompts_dir.string() + ")"));
}

core::Result<std::string> Coder::system_prompt() const {
  std::string system = TRY(prompt("system.txt"));
  system += "\n" + TRY(prompt(format_prompt_name(m_options.format)));
  if (!m_options.task_instructions.empty()) system += "\n" + m_options.task_instructions;
  return system;
}

Coder::FilesMessage Coder::files_message() const {
  FilesMessage m;
  if (m_options.files_in_context.empty() && m_options.reference_files.empty()) return m;
  std::vector<std::string> contents;
  std::string absent;
  std::vector<std::pair<std::string, std::string>> shown;
  for (const auto& file : m_options.files_in_context) {
    auto content = m_workspace.read(file);
    if (!content) {
      absent += fmt::format("{}: cannot be shown ({})\n", file, content.error().message);
    } else if (!*content) {
      absent += fmt::format("{} (does not exist yet; you may create it)\n", file);
    } else {
      shown.emplace_back(file, **content);
      contents.push_back(**content);
    }
  }
  std::vector<std::pair<std::string, std::string>> references;
  for (const auto& file : m_options.reference_files) {
    std::ifstream in(m_workspace.root() / file, std::ios::binary);
    if (!in) continue;  // a reference that does not exist (yet) is simply not shown
    std::ostringstream text;
    text << in.rdbuf();
    references.emplace_back(file, text.str());
    contents.push_back(references.back().second);
  }
  m.fence = fence_for(contents);
  auto show = [&](std::vector<std::pair<std::string, std::string>>& files) {
    for (auto& [file, content] : files) {
      if (!content.empty() && content.back() != '\n') content += '\n';
      m.text += fmt::format("{}\n{}\n{}{}\n\n", file, m.fence.open, content, m.fence.close);
    }
  };
  m.text = "The current contents of the files you may edit:\n\n";
  show(shown);
  if (!absent.empty()) m.text += absent + "\n";
  if (!references.empty()) {
    m.text += "For reference only (do not edit these):\n\n";
    show(references);
  }
  m.text += "---\n\n";
  return m;
}

std::vector<core::Message> Coder::fit_history(std::size_t fixed_chars) const {
  const std::size_t budget = m_options.context_budget_tokens * 4;
  std::size_t used = fixed_chars;
  std::size_t keep_from = m_history.size();
  // Whole user/assistant pairs, newest first, while they fit.
  while (keep_from >= 2) {
    std::size_t pair =
        m_history[keep_from - 2].content.size() + m_history[keep_from - 1].content.size();
    if (used + pair > budget) break;
    used += pair;
    keep_from -= 2;
  }
  std::vector<core::Message> kept(m_history.begin() + static_cast<std::ptrdiff_t>(keep_from),
                                  m_history.end());
  if (keep_from > 0 && !kept.empty()) {
    kept.front().content =
        "[Earlier turns of this conversation were dropped to fit the context budget.]\n\n" +
        kept.front().content;
  }
  return kept;
}

void Coder::note(std::string_view lines) {
  // The history file is a record for people; failing to write it must not stop the work.
  (void)m_chat.tool(lines);
}

core::Result<std::string> Coder::feedback(const ParsedReply* parsed, const core::Error* parse_error,
                                          const ApplyReport* report, const std::string& lint_errors,
                                          bool expect_edits) const {
  const std::string format = TRY(prompt(format_prompt_name(m_options.format)));
  if (parse_error) {
    return resources::fill(TRY(prompt("format_error.txt")),
                           {{"error", parse_error->message}, {"format", format}});
  }
  if (expect_edits && parsed && parsed->edits.empty()) {
    return resources::fill(TRY(prompt("no_edits.txt")), {{"format", format}});
  }
  std::string out;
  if (report && !report->all_ok()) {
    std::string failures;
    std::string applied;
    int failed = 0;
    for (std::size_t i = 0; i < report->blocks.size(); ++i) {
      const auto& b = report->blocks[i];
      if (b.outcome == Outcome::failed || b.outcome == Outcome::refused) {
        ++failed;
        failures += fmt::format("## Edit {} ({}): {}\n{}\n\n", i + 1, b.block.path,
                                to_string(b.outcome), b.message);
      } else {
        applied += fmt::format("- edit {} to {}: {}\n", i + 1, b.path, to_string(b.outcome));
      }
    }
    if (!applied.empty()) applied = "These edits were applied:\n" + applied + "\n";
    while (!failures.empty() && failures.back() == '\n')
      failures.pop_back();
    out = resources::fill(
        TRY(prompt("failed_blocks.txt")),
        {{"failed_count", std::to_string(failed)}, {"failures", failures}, {"applied", applied}});
  }
  if (!lint_errors.empty()) {
    if (!out.empty()) out += "\n\n";
    out += resources::fill(TRY(prompt("lint_errors.txt")), {{"errors", lint_errors}});
  }
  return out;
}

core::Result<CoderTurn> Coder::run(const std::string& message, bool expect_edits) {
  if (!m_started) {
    // The first write tells at once when the history cannot be kept (an unwritable folder).
    TRY_VOID(m_chat.session_started());
    m_started = true;
  }
  CoderTurn turn;
  // Notes owed to the model from earlier replies (edits that went to another file) lead the
  // next message, so it knows what happened to its edits.
  std::string user_text = m_pending_notes.empty() ? message : m_pending_notes + "\n" + message;
  m_pending_notes.clear();
  for (;;) {
    const std::string system = TRY(system_prompt());
    const FilesMessage files = files_message();

    core::CompletionRequest request;
    request.system = system;
    request.messages = fit_history(system.size() + files.text.size() + user_text.size());
    request.messages.push_back({core::Role::user, files.text + user_text});
    request.temperature = m_options.temperature;
    request.max_output_tokens = m_options.max_output_tokens;
    request.context = {m_options.stage, m_options.conversation, m_turn, m_options.idea};

    (void)m_chat.user(user_text);
    auto reply = m_llm.complete(request);
    ++m_turn;
    if (!reply) {
      note(fmt::format("The model call failed: {}", reply.error().message));
      return std::unexpected(reply.error());
    }
    turn.usage += reply->usage;
    if (reply->cost_usd) turn.cost_usd += *reply->cost_usd;
    const std::string& text = reply->text();
    m_history.push_back({core::Role::user, user_text});
    m_history.push_back({core::Role::assistant, text});
    (void)m_chat.assistant(text);
    turn.reply = text;

    std::string notes;
    std::string follow_up;
    if (reply->finish_reason == "length") {
      // A reply cut off by the token limit may end inside a block, or between two blocks that
      // belong together: applying part of it could leave the code half-changed.
      notes += "The reply was cut off at the output token limit; none of its edits were applied.\n";
      follow_up = TRY(prompt("truncated.txt"));
    } else {
      const std::vector<std::string> known = m_workspace.existing_files();
      auto parsed = m_options.format == EditFormat::diff
                        ? parse_diff_blocks(text, files.fence, known)
                        : parse_reply(m_options.format, text, known);
      std::optional<ApplyReport> report;
      if (!parsed) {
        notes += fmt::format(
            "The reply's edit format is broken; none of its edits were applied: "
            "{}\n",
            parsed.error().message);
      } else if (!parsed->edits.empty()) {
        report = apply_edits(m_workspace, parsed->edits);
        for (const auto& b : report->blocks) {
          const bool done = b.outcome == Outcome::applied || b.outcome == Outcome::created;
          if (done && b.path != b.block.path) {
            notes += fmt::format("Applied edit to {} (meant for {}): {}\n", b.path, b.block.path,
                                 b.message);
            m_pending_notes += fmt::format("Note: {}\n", b.message);
          } else if (done) {
            notes += fmt::format("{} edit to {}\n",
                                 b.outcome == Outcome::created ? "Created" : "Applied", b.path);
          } else {
            notes +=
                fmt::format("Edit to {} {}: {}\n", b.block.path, to_string(b.outcome), b.message);
          }
        }
        for (const auto& f : report->changed_files) {
          if (std::find(turn.changed_files.begin(), turn.changed_files.end(), f) ==
              turn.changed_files.end()) {
            turn.changed_files.push_back(f);
          }
        }
        turn.reports.push_back(*report);
      }
      // Lint every file this run changed, not only the last reply's: a fix to one file must not
      // hide an error left in another.
      std::string lint_errors;
      if (parsed && m_lint && !turn.changed_files.empty()) {
        auto linted = m_lint->check(m_workspace.root(), turn.changed_files);
        if (!linted) {
          notes += fmt::format("Lint could not run: {}\n", linted.error().message);
        } else if (!linted->empty()) {
          lint_errors = *linted;
          notes += "Lint found errors:\n" + lint_errors + "\n";
        }
      }
      follow_up = TRY(feedback(parsed ? &*parsed : nullptr, parsed ? nullptr : &parsed.error(),
                               report ? &*report : nullptr, lint_errors, expect_edits));
    }
    notes += fmt::format("Tokens: {} sent, {} received. Cost: {}",
                         human_tokens(reply->usage.input_tokens),
                         human_tokens(reply->usage.output_tokens),
                         reply->cost_usd ? fmt::format("${:.4f}", *reply->cost_usd) : "unknown");
    note(notes);

    if (follow_up.empty()) {
      turn.clean = true;
      return turn;
    }
    if (turn.reflections >= m_options.max_reflections) {
      turn.clean = false;
      turn.unresolved = follow_up;
      note(
          fmt::format("Stopped after {} automatic follow-ups; the last problem is left unresolved.",
                      turn.reflections));
      return turn;
    }
    ++turn.reflections;
    // A follow-up always asks for edits: an apology without them leaves the problem unfixed.
    expect_edits = true;
    user_text = m_pending_notes.empty() ? follow_up : m_pending_notes + "\n" + follow_up;
    m_pending_notes.clear();
  }
}

}  // namespace edit
