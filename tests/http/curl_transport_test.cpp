#include "http/curl_transport.h"

#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/loopback_server.h"

namespace {

using core::ErrorCode;
using core::HttpRequest;
using test_support::LoopbackServer;
using test_support::ScriptedReply;

using namespace std::chrono_literals;

std::string lower_copy(std::string text) {
  for (char& c : text) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return text;
}

ScriptedReply reply_with(int status, std::string body) {
  ScriptedReply reply;
  reply.status = status;
  reply.body = std::move(body);
  return reply;
}

HttpRequest get_request(const std::string& url) {
  HttpRequest request;
  request.method = "GET";
  request.url = url;
  request.connect_timeout = 5s;
  request.idle_timeout = 5s;
  return request;
}

HttpRequest post_request(const std::string& url, std::string body) {
  HttpRequest request = get_request(url);
  request.method = "POST";
  request.body = std::move(body);
  request.headers = {{"Content-Type", "application/json"}, {"Authorization", "Bearer sk-secret"}};
  return request;
}

TEST(CurlTransport, GetRoundTrip) {
  LoopbackServer server;
  ScriptedReply reply = reply_with(200, R"({"ok":true})");
  reply.headers = {{"X-Request-Id", "  req-42 "}};
  server.enqueue("/v1/models", reply);

  http::CurlTransport transport;
  HttpRequest request = get_request(server.base_url() + "/v1/models?limit=2&after=x");
  request.headers = {{"X-Custom", "value one"}};
  const auto response = transport.send(request);

  ASSERT_TRUE(response.has_value()) << response.error().describe();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, R"({"ok":true})");
  EXPECT_EQ(response->header("x-request-id"), "req-42");
  EXPECT_EQ(response->header("X-REQUEST-ID"), "req-42");
  EXPECT_EQ(response->header("Content-Type"), "application/json");
  EXPECT_EQ(response->header("x-missing"), std::nullopt);
  for (const auto& [name, value] : response->headers) {
    EXPECT_EQ(name, lower_copy(name)) << "header names are lower-cased";
  }

  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].path, "/v1/models");
  EXPECT_EQ(requests[0].query, "limit=2&after=x");
  EXPECT_EQ(requests[0].headers.at("x-custom"), "value one");
  EXPECT_TRUE(requests[0].body.empty());
}

TEST(CurlTransport, PostRoundTrip) {
  LoopbackServer server;
  server.enqueue("/v1/chat", reply_with(201, R"({"id":"c1"})"));

  http::CurlTransport transport;
  const std::string body = R"({"model":"m","messages":[]})";
  const auto response = transport.send(post_request(server.base_url() + "/v1/chat", body));

  ASSERT_TRUE(response.has_value()) << response.error().describe();
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, R"({"id":"c1"})");

  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].path, "/v1/chat");
  EXPECT_EQ(requests[0].query, "");
  EXPECT_EQ(requests[0].body, body);
  EXPECT_EQ(requests[0].headers.at("content-type"), "application/json");
  EXPECT_EQ(requests[0].headers.at("authorization"), "Bearer sk-secret");
  EXPECT_EQ(requests[0].headers.count("expect"), 0u) << "no 100-continue round trip";
}

TEST(CurlTransport, LargePostBody) {
  LoopbackServer server;
  server.enqueue("/big", reply_with(200, "{}"));

  http::CurlTransport transport;
  const std::string body(3 * 1024 * 1024, 'x');
  const auto response = transport.send(post_request(server.base_url() + "/big", body));

  ASSERT_TRUE(response.has_value()) << response.error().describe();
  EXPECT_EQ(response->status, 200);
  ASSERT_EQ(server.request_count(), 1u);
  EXPECT_EQ(server.requests()[0].body.size(), body.size());
}

TEST(CurlTransport, ExplicitExpectContinueKeepsOnlyFinalResponse) {
  LoopbackServer server;
  ScriptedReply reply = reply_with(200, "done");
  reply.headers = {{"X-Final", "yes"}};
  server.enqueue("/upload", reply);

  http::CurlTransport transport;
  HttpRequest request = post_request(server.base_url() + "/upload", "payload");
  request.headers.emplace_back("Expect", "100-continue");
  const auto response = transport.send(request);

  ASSERT_TRUE(response.has_value()) << response.error().describe();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "done");
  EXPECT_EQ(response->header("x-final"), "yes");
  EXPECT_EQ(server.requests().at(0).body, "payload");
}

TEST(CurlTransport, OtherMethods) {
  LoopbackServer server;
  server.set_fallback("/item", reply_with(204, ""));

  http::CurlTransport transport;
  HttpRequest put = get_request(server.base_url() + "/item");
  put.method = "PUT";
  put.body = "new";
  HttpRequest del = get_request(server.base_url() + "/item");
  del.method = "DELETE";

  const auto put_response = transport.send(put);
  const auto del_response = transport.send(del);
  ASSERT_TRUE(put_response.has_value()) << put_response.error().describe();
  ASSERT_TRUE(del_response.has_value()) << del_response.error().describe();
  EXPECT_EQ(put_response->status, 204);
  EXPECT_EQ(del_response->status, 204);

  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "PUT");
  EXPECT_EQ(requests[0].body, "new");
  EXPECT_EQ(requests[1].method, "DELETE");
  EXPECT_EQ(requests[1].body, "");
}

TEST(CurlTransport, ServerErrorIsAResponse) {
  LoopbackServer server;
  server.enqueue("/fail", reply_with(500, R"({"error":{"message":"boom"}})"));

  http::CurlTransport transport;
  const auto response = transport.send(post_request(server.base_url() + "/fail", "{}"));

  ASSERT_TRUE(response.has_value()) << response.error().describe();
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(response->body, R"({"error":{"message":"boom"}})");
}

TEST(CurlTransport, UnscriptedPathIs404) {
  LoopbackServer server;

  http::CurlTransport transport;
  const auto response = transport.send(get_request(server.base_url() + "/nothing"));

  ASSERT_TRUE(response.has_value()) << response.error().describe();
  EXPECT_EQ(response->status, 404);
  EXPECT_NE(response->body.find("no scripted reply for /nothing"), std::string::npos);
}

TEST(CurlTransport, QueuedRepliesAnswerInOrderThenFallback) {
  LoopbackServer server;
  server.enqueue("/q", reply_with(200, "first"));
  server.enqueue("/q", reply_with(200, "second"));
  server.set_fallback("/q", reply_with(200, "fallback"));

  http::CurlTransport transport;
  std::vector<std::string> bodies;
  for (int i = 0; i < 4; ++i) {
    const auto response = transport.send(get_request(server.base_url() + "/q"));
    ASSERT_TRUE(response.has_value()) << response.error().describe();
    bodies.push_back(response->body);
  }
  EXPECT_EQ(bodies, (std::vector<std::string>{"first", "second", "fallback", "fallback"}));
}

TEST(CurlTransport, StreamsChunksToBodyCallbackInOrder) {
  LoopbackServer server;
  ScriptedReply reply;
  // application/json, which httplib would compress (and so buffer) for a client that accepts
  // gzip; the server must still send each chunk as it comes.
  reply.chunks = {"data: one\n\n", "data: two\n\n", "data: three\n\n", "data: [DONE]\n\n"};
  reply.chunk_delay = 50ms;
  server.enqueue("/stream", reply);

  http::CurlTransport transport;
  std::vector<std::string> pieces;
  const auto response =
      transport.send(post_request(server.base_url() + "/stream", "{}"), [&](std::string_view c) {
        pieces.emplace_back(c);
        return true;
      });

  ASSERT_TRUE(response.has_value()) << response.error().describe();
  const std::string whole = "data: one\n\ndata: two\n\ndata: three\n\ndata: [DONE]\n\n";
  EXPECT_EQ(response->body, whole);
  EXPECT_GE(pieces.size(), 3u) << "chunks should arrive as they are sent";
  std::string joined;
  for (const auto& piece : pieces) {
    joined += piece;
  }
  EXPECT_EQ(joined, whole);
}

TEST(CurlTransport, BodyCallbackCanCancel) {
  LoopbackServer server;
  ScriptedReply reply;
  reply.content_type = "text/event-stream";
  reply.chunks = {"data: 1\n\n", "data: 2\n\n", "data: 3\n\n", "data: 4\n\n"};
  reply.chunk_delay = 20ms;
  server.enqueue("/stream", reply);

  http::CurlTransport transport;
  int calls = 0;
  const auto response =
      transport.send(post_request(server.base_url() + "/stream", "{}"), [&](std::string_view) {
        ++calls;
        return false;
      });

  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, ErrorCode::cancelled) << response.error().describe();
  EXPECT_EQ(calls, 1);
}

TEST(CurlTransport, BodyCallbackExceptionPropagates) {
  LoopbackServer server;
  server.enqueue("/x", reply_with(200, "body"));

  http::CurlTransport transport;
  EXPECT_THROW(transport.send(get_request(server.base_url() + "/x"),
                              [](std::string_view) -> bool { throw std::runtime_error("no"); }),
               std::runtime_error);

  // The thread's handle is still usable afterwards.
  server.enqueue("/x", reply_with(200, "again"));
  const auto response = transport.send(get_request(server.base_url() + "/x"));
  ASSERT_TRUE(response.has_value()) << response.error().describe();
  EXPECT_EQ(response->body, "again");
}

TEST(CurlTransport, TruncatedBodyIsANetworkError) {
  LoopbackServer server;
  ScriptedReply reply = reply_with(200, std::string(200, 'a'));
  reply.truncate = true;
  server.enqueue("/cut", reply);

  http::CurlTransport transport;
  const auto response = transport.send(get_request(server.base_url() + "/cut?key=secret"));

  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, ErrorCode::network);
  EXPECT_NE(response.error().message.find("closed before the response was complete"),
            std::string::npos)
      << response.error().message;
  EXPECT_NE(response.error().message.find(server.base_url() + "/cut"), std::string::npos)
      << response.error().message;
  EXPECT_EQ(response.error().message.find("secret"), std::string::npos) << response.error().message;
}

TEST(CurlTransport, TruncatedStreamIsANetworkError) {
  LoopbackServer server;
  ScriptedReply reply;
  reply.content_type = "text/event-stream";
  reply.chunks = {"data: 1\n\n", "data: 2\n\n", "data: 3\n\n", "data: 4\n\n"};
  reply.truncate = true;
  server.enqueue("/stream", reply);

  http::CurlTransport transport;
  std::string received;
  const auto response =
      transport.send(post_request(server.base_url() + "/stream", "{}"), [&](std::string_view c) {
        received += c;
        return true;
      });

  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, ErrorCode::network) << response.error().describe();
  EXPECT_EQ(received, "data: 1\n\ndata: 2\n\n");
}

TEST(CurlTransport, SilentServerHitsIdleTimeout) {
  LoopbackServer server;
  ScriptedReply reply = reply_with(200, "late");
  reply.delay = 10s;  // the server's destructor cuts this short
  server.enqueue("/slow", reply);

  http::CurlTransport transport;
  HttpRequest request = post_request(server.base_url() + "/slow", "{}");
  request.idle_timeout = 1s;
  const auto start = std::chrono::steady_clock::now();
  const auto response = transport.send(request);
  const auto elapsed = std::chrono::steady_clock::now() - start;

  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, ErrorCode::timeout);
  EXPECT_NE(response.error().message.find("no data from " + server.base_url() + "/slow for 1 s"),
            std::string::npos)
      << response.error().message;
  EXPECT_LT(elapsed, 3s);
}

TEST(CurlTransport, StalledStreamHitsIdleTimeout) {
  LoopbackServer server;
  ScriptedReply reply;
  reply.content_type = "text/event-stream";
  reply.chunks = {"data: first\n\n", "data: never\n\n"};
  reply.chunk_delay = 10s;  // the server's destructor cuts this short
  server.enqueue("/stream", reply);

  http::CurlTransport transport;
  HttpRequest request = post_request(server.base_url() + "/stream", "{}");
  request.idle_timeout = 1s;
  std::string received;
  const auto start = std::chrono::steady_clock::now();
  const auto response = transport.send(request, [&](std::string_view chunk) {
    received += chunk;
    return true;
  });
  const auto elapsed = std::chrono::steady_clock::now() - start;

  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, ErrorCode::timeout) << response.error().describe();
  EXPECT_EQ(received, "data: first\n\n");
  EXPECT_LT(elapsed, 3s);
}

TEST(CurlTransport, SlowStreamHitsTotalTimeout) {
  LoopbackServer server;
  ScriptedReply reply;
  reply.content_type = "text/event-stream";
  reply.chunks = std::vector<std::string>(50, "data: tick\n\n");
  reply.chunk_delay = 100ms;
  server.enqueue("/stream", reply);

  http::CurlTransport transport;
  HttpRequest request = post_request(server.base_url() + "/stream", "{}");
  request.total_timeout = 1s;
  int calls = 0;
  const auto response = transport.send(request, [&](std::string_view) {
    ++calls;
    return true;
  });

  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, ErrorCode::timeout);
  EXPECT_NE(response.error().message.find("timed out after 1 s"), std::string::npos)
      << response.error().message;
  EXPECT_GT(calls, 1) << "the idle timeout alone would not have stopped a steady stream";
}

TEST(CurlTransport, ConnectionRefusedIsANetworkError) {
  std::string base_url;
  {
    LoopbackServer closed;
    base_url = closed.base_url();
  }  // nothing listens on this port any more

  http::CurlTransport transport;
  const auto response = transport.send(post_request(base_url + "/v1/chat?key=secret", "{}"));

  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, ErrorCode::network);
  EXPECT_NE(response.error().message.find("could not connect to " + base_url), std::string::npos)
      << response.error().message;
  EXPECT_EQ(response.error().message.find("secret"), std::string::npos)
      << "neither the query nor request headers belong in messages: " << response.error().message;
}

TEST(CurlTransport, UnsupportedSchemeIsInvalidArgument) {
  http::CurlTransport transport;
  const auto response = transport.send(get_request("file:///etc/passwd"));

  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().code, ErrorCode::invalid_argument) << response.error().describe();
}

TEST(CurlTransport, ConcurrentSendsFromSeveralThreads) {
  LoopbackServer server;
  constexpr int k_threads = 4;
  constexpr int k_calls_per_thread = 5;
  for (int t = 0; t < k_threads; ++t) {
    ScriptedReply reply = reply_with(200, "thread " + std::to_string(t));
    reply.delay = 10ms;
    server.set_fallback("/t" + std::to_string(t), reply);
  }

  http::CurlTransport transport;
  std::vector<int> successes(k_threads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < k_calls_per_thread; ++i) {
        const auto response = transport.send(
            post_request(server.base_url() + "/t" + std::to_string(t), std::to_string(i)));
        if (response.has_value() && response->status == 200 &&
            response->body == "thread " + std::to_string(t)) {
          ++successes[t];
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }

  for (int t = 0; t < k_threads; ++t) {
    EXPECT_EQ(successes[t], k_calls_per_thread) << "thread " << t;
  }
  EXPECT_EQ(server.request_count(), static_cast<std::size_t>(k_threads * k_calls_per_thread));
}

}  // namespace
