#pragma once

#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/llm.h"

namespace llm {

// A transcript is a JSONL file, one object per LLM call, appended as calls finish:
//   {"v":1, "time", "stage", "conversation", "turn", "idea", "model" (the spec),
//    "request": {"system", "messages": [{"role","content"}], "temperature", "max_output_tokens",
//                "n", "format", "json_schema", "stop"},
//    "response": {"texts": [...], "model", "provider", "finish_reason"}  or  "error": {"code",
//    "message"},
//    "usage": {...}, "cost_usd" (null when unknown), "latency_ms", "replayed"}
// It never holds an API key or an HTTP header: requests are recorded as the engine's own
// CompletionRequest, and any secret handed to the writer is masked wherever it appears.

nlohmann::json request_to_json(const core::CompletionRequest& request);
nlohmann::json usage_to_json(const core::Usage& usage);
nlohmann::json transcript_entry(const std::string& model_spec,
                                const core::CompletionRequest& request,
                                const core::Result<core::Completion>& result);

// Appends entries to a transcript file. Each line is written and flushed whole, under a lock, so
// a crash loses at most the call in flight. Thread-safe.
class TranscriptWriter {
 public:
  // Opens (creating folders as needed) `path` for appending. `secrets`: strings to mask as
  // "[redacted]" should they appear anywhere in an entry (API keys; shorter than 8 characters
  // are ignored, as masking them would garble ordinary text).
  static core::Result<std::shared_ptr<TranscriptWriter>> open(const std::filesystem::path& path,
                                                              std::vector<std::string> secrets);
  core::Result<void> append(const nlohmann::json& entry);
  const std::filesystem::path& path() const { return m_path; }

 private:
  TranscriptWriter(std::filesystem::path path, std::vector<std::string> secrets);

  std::filesystem::path m_path;
  std::vector<std::string> m_secrets;
  std::mutex m_mutex;
  std::ofstream m_out;
};

// Records every call of the inner client, answered or failed. A failure to write the transcript
// does not fail the call (the answer is already paid for); it is reported through `notice` once.
class RecordingClient final : public core::LlmClient {
 public:
  RecordingClient(std::shared_ptr<core::LlmClient> inner, std::shared_ptr<TranscriptWriter> writer,
                  std::function<void(std::string_view)> notice = {});
  core::Result<core::Completion> complete(const core::CompletionRequest& request) override;
  std::string spec() const override { return m_inner->spec(); }

 private:
  std::shared_ptr<core::LlmClient> m_inner;
  std::shared_ptr<TranscriptWriter> m_writer;
  std::function<void(std::string_view)> m_notice;
  std::once_flag m_warned;
};

// One successful call read back from a transcript, for replay and resume.
struct RecordedAnswer {
  std::optional<nlohmann::json> request;  // absent: the entry recorded none
  core::Completion completion;            // provider "replay", replayed = true, cost unset
  std::string idea;                       // the entry's "idea" ("" when it named none)
  bool was_replayed = false;              // the entry itself recorded an answer from a record
  std::size_t line = 0;                   // 1-based, in `source`
};

// (stage, conversation, turn): the key a call is recorded and answered under.
using AnswerKey = std::tuple<std::string, std::string, int>;
// Successful answers by key, each key's in recorded order.
using RecordedAnswers = std::map<AnswerKey, std::deque<RecordedAnswer>>;

struct TranscriptReadOptions {
  // Drop a last line that has no newline and is not valid JSON: what a process killed in the
  // middle of an append leaves behind. Otherwise such a line is a parse error like any other.
  bool ignore_torn_last_line = false;
};

// Reads a transcript's successful entries (recorded failures are skipped) and appends them to
// `into`, so several transcripts can be merged in order. `source` names the text in messages.
// Fails with `parse`, naming the source and line, on a line that is not a JSON object or whose
// fields have the wrong type; `into` then holds the answers read before that line.
core::Result<void> read_recorded_answers(std::string_view jsonl, const std::string& source,
                                         RecordedAnswers& into,
                                         const TranscriptReadOptions& options = {});

// The one matcher replay and resume share: the first of "system", "messages" whose recorded
// value differs from the same field of `now` (request_to_json of the new call); nullopt when
// they match. A field the record lacks is not compared.
std::optional<std::string> request_mismatch(const nlohmann::json& recorded,
                                            const nlohmann::json& now);

// Answers from a transcript instead of a model. Calls are matched by (stage, conversation,
// turn); several answers under one key are given out in recorded order. When the recorded entry
// holds a request, its system prompt and messages must equal the new call's, so a replay never
// answers a question it was not asked. Entries that recorded an error are skipped. A call with no
// matching answer fails with replay_mismatch, naming the call and what the transcript holds.
class ReplayClient final : public core::LlmClient {
 public:
  static core::Result<std::unique_ptr<ReplayClient>> from_file(const std::filesystem::path& path);
  // `source` names where the text came from, for messages.
  static core::Result<std::unique_ptr<ReplayClient>> from_text(std::string_view jsonl,
                                                               std::string source);

  core::Result<core::Completion> complete(const core::CompletionRequest& request) override;
  std::string spec() const override { return "replay/" + m_source; }
  std::size_t remaining() const;

 private:
  explicit ReplayClient(std::string source) : m_source(std::move(source)) {}

  std::string m_source;
  mutable std::mutex m_mutex;
  RecordedAnswers m_answers;
  std::size_t m_total = 0;
};

}  // namespace llm
