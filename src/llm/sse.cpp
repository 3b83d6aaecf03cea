#include "llm/sse.h"

namespace llm {

void SseParser::feed(std::string_view bytes, const Handler& on_event) {
  for (char c : bytes) {
    if (m_pending_cr) {
      m_pending_cr = false;
      if (c == '\n') continue;  // the \n of a \r\n pair
    }
    if (c == '\r' || c == '\n') {
      m_pending_cr = c == '\r';
      take_line(m_buffer, on_event);
      m_buffer.clear();
    } else {
      m_buffer.push_back(c);
    }
  }
}

void SseParser::finish(const Handler& on_event) {
  if (!m_buffer.empty()) {
    take_line(m_buffer, on_event);
    m_buffer.clear();
  }
  take_line("", on_event);
}

void SseParser::take_line(std::string_view line, const Handler& on_event) {
  if (line.empty()) {
    if (m_has_data || !m_current.event.empty()) on_event(m_current);
    m_current = SseEvent{};
    m_has_data = false;
    return;
  }
  if (line.front() == ':') return;
  std::string_view field = line;
  std::string_view value;
  if (auto colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (m_has_data) m_current.data.push_back('\n');
    m_current.data.append(value);
    m_has_data = true;
  } else if (field == "event") {
    m_current.event = std::string(value);
  }
  // `id` and `retry` are not used by LLM providers.
}

}  // namespace llm
