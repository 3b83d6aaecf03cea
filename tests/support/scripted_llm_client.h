#pragma once

#include <chrono>
#include <deque>
#include <optional>
#include <string>

#include "core/llm.h"

namespace test_support {

// An LlmClient that answers with queued results, in order, and counts the calls. When the
// queue is empty it fails with `internal` ("script exhausted"), so a test notices extra calls.
class ScriptedLlmClient final : public core::LlmClient {
 public:
  void push(core::Result<core::Completion> r) { m_script.push_back(std::move(r)); }
  void push_error(core::ErrorCode code, std::string message,
                  std::optional<std::chrono::milliseconds> retry_after = std::nullopt) {
    core::Error e(code, std::move(message));
    e.retry_after = retry_after;
    push(std::unexpected(e));
  }
  void push_text(std::string text, core::Usage usage = {}) {
    core::Completion c;
    c.texts = {std::move(text)};
    c.usage = usage;
    push(c);
  }
  core::Result<core::Completion> complete(const core::CompletionRequest& request) override {
    ++m_calls;
    m_requests.push_back(request);
    if (m_script.empty()) return core::fail(core::ErrorCode::internal, "script exhausted");
    auto r = std::move(m_script.front());
    m_script.pop_front();
    return r;
  }
  std::string spec() const override { return "fake/scripted"; }
  int calls() const { return m_calls; }
  const std::deque<core::CompletionRequest>& requests() const { return m_requests; }

 private:
  std::deque<core::Result<core::Completion>> m_script;
  std::deque<core::CompletionRequest> m_requests;
  int m_calls = 0;
};

}  // namespace test_support
