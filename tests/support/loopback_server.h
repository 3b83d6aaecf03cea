#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

// A real HTTP server on 127.0.0.1 at a free port, for tests of every HTTP path. It answers from a
// script of replies queued per path (first in, first out) and records every request it receives.
// cpp-httplib underneath; runs on its own threads from construction until destruction.
namespace test_support {

struct RecordedRequest {
  std::string method;
  std::string path;                            // without the query string
  std::string query;                           // raw query string, "" when none
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

struct ScriptedReply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type = "application/json";
  // Sent as one body unless `chunks` is non-empty.
  std::string body;
  // When non-empty: sent with chunked transfer encoding, one write per chunk, `chunk_delay`
  // between writes (how SSE streams are served).
  std::vector<std::string> chunks;
  std::chrono::milliseconds chunk_delay{0};
  // Waited before anything is sent (slow server).
  std::chrono::milliseconds delay{0};
  // When true: announce the full Content-Length of `body` but send only its first half, then
  // close the connection (a body cut short). With `chunks`: stop after the first half of the
  // chunks without the final empty chunk.
  bool truncate = false;
};

class LoopbackServer {
 public:
  LoopbackServer();
  ~LoopbackServer();
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  int port() const { return m_port; }
  // "http://127.0.0.1:PORT"
  std::string base_url() const;

  // Queue a reply for requests to `path` (any method). When a path's queue is empty the
  // fallback reply (if set) answers, else 404 with a JSON body naming the path.
  void enqueue(const std::string& path, ScriptedReply reply);
  void set_fallback(const std::string& path, ScriptedReply reply);

  // A copy of every request received so far, in arrival order.
  std::vector<RecordedRequest> requests() const;
  std::size_t request_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
  int m_port = 0;
};

}  // namespace test_support
