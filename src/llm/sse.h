#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace llm {

struct SseEvent {
  std::string event;  // the `event:` field; empty when the server sent none
  std::string data;   // `data:` lines joined with '\n'
};

// Incremental parser for Server-Sent Events (text/event-stream). Bytes arrive in arbitrary
// pieces; every complete event (ended by a blank line) is handed to `on_event` in order.
// Handles \n, \r\n and \r line ends, comment lines (":..."), and fields without a value.
class SseParser {
 public:
  using Handler = std::function<void(const SseEvent&)>;
  void feed(std::string_view bytes, const Handler& on_event);
  // Delivers a final event that was not followed by a blank line (a server that closed early).
  void finish(const Handler& on_event);

 private:
  void take_line(std::string_view line, const Handler& on_event);

  std::string m_buffer;
  SseEvent m_current;
  bool m_has_data = false;
  bool m_pending_cr = false;
};

}  // namespace llm
