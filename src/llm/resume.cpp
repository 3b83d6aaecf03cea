#include "llm/resume.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <system_error>

#include <fmt/format.h>

namespace llm {

using core::ErrorCode;
using nlohmann::json;

namespace {

const TranscriptReadOptions k_read_options{.ignore_torn_last_line = true};

}  // namespace

core::Result<std::unique_ptr<ResumeClient>> ResumeClient::from_files(
    const std::vector<std::filesystem::path>& transcripts, std::shared_ptr<core::LlmClient> inner) {
  std::unique_ptr<ResumeClient> client(new ResumeClient(std::move(inner)));
  for (const auto& path : transcripts) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec) && !ec) continue;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      return core::fail(ErrorCode::io,
                        fmt::format("cannot read the transcript {} to resume from: {}; check its "
                                    "permissions, or move it away to pay for those calls again",
                                    path.string(), std::strerror(errno)));
    }
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    TRY_VOID(read_recorded_answers(text, path.string(), client->m_answers, k_read_options));
  }
  client->prune();
  return client;
}

core::Result<std::unique_ptr<ResumeClient>> ResumeClient::from_text(
    std::string_view jsonl, const std::string& source, std::shared_ptr<core::LlmClient> inner) {
  std::unique_ptr<ResumeClient> client(new ResumeClient(std::move(inner)));
  TRY_VOID(read_recorded_answers(jsonl, source, client->m_answers, k_read_options));
  client->prune();
  return client;
}

void ResumeClient::prune() {
  for (auto it = m_answers.begin(); it != m_answers.end();) {
    std::erase_if(it->second, [](const RecordedAnswer& a) { return !a.request || a.was_replayed; });
    it = it->second.empty() ? m_answers.erase(it) : std::next(it);
  }
}

core::Result<core::Completion> ResumeClient::complete(const core::CompletionRequest& request) {
  {
    const auto& ctx = request.context;
    std::lock_guard lock(m_mutex);
    auto it = m_answers.find(AnswerKey{ctx.stage, ctx.conversation, ctx.turn});
    if (it != m_answers.end()) {
      const json now = request_to_json(request);
      const std::size_t samples = request.n < 1 ? 1 : static_cast<std::size_t>(request.n);
      auto& queue = it->second;
      for (auto entry = queue.begin(); entry != queue.end(); ++entry) {
        if (!entry->idea.empty() && entry->idea != ctx.idea) continue;
        if (entry->completion.texts.size() != samples) continue;
        if (request_mismatch(*entry->request, now)) continue;
        core::Completion answer = std::move(entry->completion);
        answer.cost_usd = 0.0;
        queue.erase(entry);
        if (queue.empty()) m_answers.erase(it);
        ++m_answered;
        return answer;
      }
    }
  }
  return m_inner->complete(request);
}

std::size_t ResumeClient::answered_from_record() const {
  std::lock_guard lock(m_mutex);
  return m_answered;
}

std::size_t ResumeClient::remaining() const {
  std::lock_guard lock(m_mutex);
  std::size_t n = 0;
  for (const auto& [key, queue] : m_answers)
    n += queue.size();
  return n;
}

}  // namespace llm
