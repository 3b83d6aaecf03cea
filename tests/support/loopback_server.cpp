#include "support/loopback_server.h"

// Debian's cpp-httplib is a compiled library (libcpp-httplib.so) built with TLS, zlib and brotli
// support; the declarations must see the same configuration the library was built with, or the
// layout of its classes would differ between this file and the library.
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
#define CPPHTTPLIB_OPENSSL_SUPPORT
#endif
#ifndef CPPHTTPLIB_ZLIB_SUPPORT
#define CPPHTTPLIB_ZLIB_SUPPORT
#endif
#ifndef CPPHTTPLIB_BROTLI_SUPPORT
#define CPPHTTPLIB_BROTLI_SUPPORT
#endif
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <deque>
#include <stdexcept>
#include <thread>
#include <utility>

namespace test_support {

namespace {

// Sleeps are cut into slices this long so that a stopping server is never held up by a reply
// that is still waiting.
constexpr std::chrono::milliseconds k_sleep_slice{10};

std::string lower(std::string text) {
  std::ranges::transform(text, text.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return std::ranges::equal(
      a, b, [](unsigned char x, unsigned char y) { return std::tolower(x) == std::tolower(y); });
}

}  // namespace

struct LoopbackServer::Impl {
  httplib::Server server;
  std::thread listener;
  // Set first thing in the destructor; every wait in a handler gives up when it is set.
  std::atomic<bool> stopping{false};
  // Set by the listener thread when listen_after_bind() returns.
  std::atomic<bool> listen_returned{false};

  mutable std::mutex mutex;
  std::map<std::string, std::deque<ScriptedReply>> queues;
  std::map<std::string, ScriptedReply> fallbacks;
  std::vector<RecordedRequest> requests;

  // Waits `duration` unless the server stops first; returns false when it is stopping.
  bool wait(std::chrono::milliseconds duration) const {
    const auto end = std::chrono::steady_clock::now() + duration;
    while (!stopping) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= end) {
        return true;
      }
      std::this_thread::sleep_for(
          std::min<std::chrono::steady_clock::duration>(k_sleep_slice, end - now));
    }
    return false;
  }

  static RecordedRequest record(const httplib::Request& request) {
    RecordedRequest recorded;
    recorded.method = request.method;
    // The target as sent (not percent-decoded), split at the first '?'.
    const auto& target = request.target;
    const auto question = target.find('?');
    recorded.path = target.substr(0, question);
    recorded.query = question == std::string::npos ? "" : target.substr(question + 1);
    for (const auto& [name, value] : request.headers) {
      auto [it, inserted] = recorded.headers.emplace(lower(name), value);
      if (!inserted) {
        // A repeated header reads as one, its values joined as HTTP allows.
        it->second += ", " + value;
      }
    }
    recorded.body = request.body;
    return recorded;
  }

  // The reply for `path`: the head of its queue, else its fallback, else a 404.
  ScriptedReply next_reply(const std::string& path) {
    if (auto queue = queues.find(path); queue != queues.end() && !queue->second.empty()) {
      ScriptedReply reply = std::move(queue->second.front());
      queue->second.pop_front();
      return reply;
    }
    if (auto fallback = fallbacks.find(path); fallback != fallbacks.end()) {
      return fallback->second;
    }
    ScriptedReply missing;
    missing.status = 404;
    missing.body = R"({"error":{"message":"no scripted reply for )" + path + R"("}})";
    return missing;
  }

  void handle(const httplib::Request& request, httplib::Response& response) {
    ScriptedReply reply;
    {
      std::lock_guard lock(mutex);
      requests.push_back(record(request));
      reply = next_reply(requests.back().path);
    }

    // httplib compresses text and JSON answers when the client accepts it, and a compressed
    // stream no longer arrives chunk by chunk. Scripted replies go out byte for byte as written,
    // so the request forgets what it accepts once it has been recorded. The Request object is
    // httplib's own non-const local, only handed to handlers as const.
    auto& mutable_request = const_cast<httplib::Request&>(request);
    for (auto it = mutable_request.headers.begin(); it != mutable_request.headers.end();) {
      it = equals_ignoring_case(it->first, "accept-encoding") ? mutable_request.headers.erase(it)
                                                              : std::next(it);
    }

    if (!wait(reply.delay)) {
      response.status = 503;
      return;
    }

    response.status = reply.status;
    std::string content_type = reply.content_type;
    for (const auto& [name, value] : reply.headers) {
      if (equals_ignoring_case(name, "content-type")) {
        content_type = value;  // one Content-Type only; the scripted header wins
      } else {
        response.set_header(name, value);
      }
    }

    if (!reply.chunks.empty()) {
      serve_chunks(response, content_type, std::move(reply));
    } else if (reply.truncate) {
      serve_truncated(response, content_type, std::move(reply.body));
    } else {
      response.set_content(reply.body, content_type);
    }
  }

  void serve_chunks(httplib::Response& response, const std::string& content_type,
                    ScriptedReply reply) {
    const std::size_t count = reply.truncate ? reply.chunks.size() / 2 : reply.chunks.size();
    response.set_chunked_content_provider(
        content_type, [this, chunks = std::move(reply.chunks), delay = reply.chunk_delay,
                       truncate = reply.truncate, count](std::size_t, httplib::DataSink& sink) {
          for (std::size_t i = 0; i < count; ++i) {
            if (i > 0 && !wait(delay)) {
              return false;
            }
            // An empty write would read as the end of the stream; there is nothing to send.
            if (!chunks[i].empty() && !sink.write(chunks[i].data(), chunks[i].size())) {
              return false;  // the client went away
            }
          }
          if (truncate) {
            return false;  // no final empty chunk: httplib closes the connection
          }
          sink.done();
          return true;
        });
  }

  static void serve_truncated(httplib::Response& response, const std::string& content_type,
                              std::string body) {
    const std::size_t length = body.size();
    const std::size_t half = length / 2;
    response.set_content_provider(
        length, content_type,
        [body = std::move(body), half](std::size_t offset, std::size_t, httplib::DataSink& sink) {
          if (offset >= half) {
            return false;  // Content-Length promised more: httplib closes the connection
          }
          return sink.write(body.data() + offset, half - offset);
        });
  }
};

LoopbackServer::LoopbackServer() : m_impl(std::make_unique<Impl>()) {
  auto& server = m_impl->server;
  // One request per connection: an idle keep-alive connection would hold a worker thread, and
  // with it the destructor, for the whole keep-alive timeout.
  server.set_keep_alive_max_count(1);
  server.set_keep_alive_timeout(1);

  const auto handler = [impl = m_impl.get()](const httplib::Request& request,
                                             httplib::Response& response) {
    impl->handle(request, response);
  };
  const std::string any_path = ".*";
  server.Get(any_path, handler);
  server.Post(any_path, handler);
  server.Put(any_path, handler);
  server.Delete(any_path, handler);

  m_port = server.bind_to_any_port("127.0.0.1");
  if (m_port <= 0) {
    throw std::runtime_error("LoopbackServer: cannot bind a port on 127.0.0.1");
  }
  m_impl->listener = std::thread([impl = m_impl.get()] {
    impl->server.listen_after_bind();
    impl->listen_returned = true;
  });
  while (!server.is_running()) {
    if (m_impl->listen_returned) {
      m_impl->listener.join();
      throw std::runtime_error("LoopbackServer: the server did not start listening");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

LoopbackServer::~LoopbackServer() {
  m_impl->stopping = true;
  m_impl->server.stop();
  // listen_after_bind() returns once the worker threads have finished their connections.
  m_impl->listener.join();
}

std::string LoopbackServer::base_url() const {
  return "http://127.0.0.1:" + std::to_string(m_port);
}

void LoopbackServer::enqueue(const std::string& path, ScriptedReply reply) {
  std::lock_guard lock(m_impl->mutex);
  m_impl->queues[path].push_back(std::move(reply));
}

void LoopbackServer::set_fallback(const std::string& path, ScriptedReply reply) {
  std::lock_guard lock(m_impl->mutex);
  m_impl->fallbacks[path] = std::move(reply);
}

std::vector<RecordedRequest> LoopbackServer::requests() const {
  std::lock_guard lock(m_impl->mutex);
  return m_impl->requests;
}

std::size_t LoopbackServer::request_count() const {
  std::lock_guard lock(m_impl->mutex);
  return m_impl->requests.size();
}

}  // namespace test_support
