#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/llm.h"
#include "llm/transcript.h"

namespace llm {

// Answers a resumed run's calls from what the interrupted run already paid for, and sends the
// rest to a live model.
//
// A call is answered from the record when some recorded successful entry has
//   - the call's key (stage, conversation, turn),
//   - a recorded request whose system prompt and messages equal the call's (request_mismatch),
//   - as many samples as the call asks for (request.n), and
//   - the call's idea, when the entry names one (transcripts of several ideas may be merged);
// among the entries under one key that fit, the earliest is given out first, and each is given
// out once. Such an answer has replayed = true, provider "replay" and cost_usd = 0 (it was paid
// for when recorded). Every other call goes to `inner`, unchanged, and its result (answer or
// error) is returned as is.
//
// Entries without a recorded request never answer (nothing shows they were asked the same
// question), nor do entries that were themselves answered from a record ("replayed": true): they
// are copies that a recorder wrapped around an earlier resume wrote, and giving them out as well
// would hand one answer to two calls.
//
// Once a prompt differs (an edited template, a changed prompt file), that call goes live, and so
// does the rest of its conversation: each later turn carries the new answer in its messages.
//
// Thread-safe: the record is consulted under a lock; live calls run outside it.
class ResumeClient final : public core::LlmClient {
 public:
  // Reads `transcripts` in order (an earlier file's answers under a key are given out before a
  // later file's). A file that does not exist counts as empty (an idea interrupted before its
  // first call has none); a last line cut short by a kill is ignored. Fails with `io` when a
  // file exists but cannot be read, and with `parse`, naming the file and line, on any other
  // malformed line.
  static core::Result<std::unique_ptr<ResumeClient>> from_files(
      const std::vector<std::filesystem::path>& transcripts,
      std::shared_ptr<core::LlmClient> inner);
  // The same for transcript text already in memory; `source` names it in messages.
  static core::Result<std::unique_ptr<ResumeClient>> from_text(
      std::string_view jsonl, const std::string& source, std::shared_ptr<core::LlmClient> inner);

  core::Result<core::Completion> complete(const core::CompletionRequest& request) override;
  // The inner client's spec: cost accounting prices live answers by it.
  std::string spec() const override { return m_inner->spec(); }

  // Calls answered from the record so far.
  std::size_t answered_from_record() const;
  // Recorded answers not given out yet (ones that can never answer excluded).
  std::size_t remaining() const;

 private:
  explicit ResumeClient(std::shared_ptr<core::LlmClient> inner) : m_inner(std::move(inner)) {}
  // Drops the entries that may never answer (see the class comment).
  void prune();

  std::shared_ptr<core::LlmClient> m_inner;
  mutable std::mutex m_mutex;
  RecordedAnswers m_answers;
  std::size_t m_answered = 0;
};

}  // namespace llm
