#include "http/curl_transport.h"
#include "core/text.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <exception>
#include <mutex>
#include <string>
#include <string_view>

namespace http {

namespace {

using core::trim;

using core::ErrorCode;

// Sent when the caller gives no User-Agent; some API front ends refuse requests without one.
constexpr const char* k_user_agent = "ai-scientist";

// Result of curl_global_init, which runs once per process.
CURLcode g_global_init_result = CURLE_OK;
std::once_flag g_global_init_once;

std::string lower(std::string_view text) {
  std::string result(text);
  std::ranges::transform(result, result.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return result;
}

// The parts of `url` that are safe and useful in a message: scheme, host, port and (with
// `with_path`) the path. User info, query and fragment may hold secrets and are left out. Falls
// back to cutting `url` at '?' or '#' when curl cannot parse it.
std::string describe_url(const std::string& url, bool with_path) {
  std::string result;
  CURLU* parsed = curl_url();
  if (parsed != nullptr && curl_url_set(parsed, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK) {
    char* scheme = nullptr;
    char* host = nullptr;
    char* port = nullptr;
    char* path = nullptr;
    if (curl_url_get(parsed, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(parsed, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(parsed, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
      result = std::string(scheme) + "://" + host + ":" + port;
      if (with_path && curl_url_get(parsed, CURLUPART_PATH, &path, 0) == CURLUE_OK) {
        result += path;
      }
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
  }
  curl_url_cleanup(parsed);
  if (result.empty()) {
    result = url.substr(0, url.find_first_of("?#"));
  }
  return result;
}

// The easy handle a send() works with. Each thread keeps one handle and resets it between
// transfers: a reset keeps the handle's connection cache, so calls to the same server reuse the
// connection (and its TLS session). A send() nested inside another on the same thread (from a
// body callback) gets a handle of its own.
class EasyHandle {
 public:
  EasyHandle() {
    auto& cached = cached_handle();
    if (!cached.busy) {
      if (cached.handle == nullptr) {
        cached.handle = curl_easy_init();
      } else {
        curl_easy_reset(cached.handle);
      }
      cached.busy = true;
      m_handle = cached.handle;
      m_cached = true;
    } else {
      m_handle = curl_easy_init();
    }
  }
  ~EasyHandle() {
    if (m_cached) {
      cached_handle().busy = false;
    } else if (m_handle != nullptr) {
      curl_easy_cleanup(m_handle);
    }
  }
  EasyHandle(const EasyHandle&) = delete;
  EasyHandle& operator=(const EasyHandle&) = delete;

  CURL* get() const { return m_handle; }

 private:
  struct Cached {
    CURL* handle = nullptr;
    bool busy = false;
    ~Cached() {
      if (handle != nullptr) {
        curl_easy_cleanup(handle);
      }
    }
  };
  static Cached& cached_handle() {
    thread_local Cached cached;
    return cached;
  }

  CURL* m_handle = nullptr;
  bool m_cached = false;
};

// Owns a curl_slist.
class HeaderList {
 public:
  HeaderList() = default;
  ~HeaderList() { curl_slist_free_all(m_list); }
  HeaderList(const HeaderList&) = delete;
  HeaderList& operator=(const HeaderList&) = delete;

  // False when curl could not allocate.
  bool append(const std::string& line) {
    curl_slist* appended = curl_slist_append(m_list, line.c_str());
    if (appended == nullptr) {
      return false;
    }
    m_list = appended;
    return true;
  }
  curl_slist* get() const { return m_list; }

 private:
  curl_slist* m_list = nullptr;
};

// What the curl callbacks fill in during one transfer.
struct Transfer {
  const core::BodyCallback* on_body = nullptr;
  core::HttpResponse response;
  // The body callback asked to stop.
  bool cancelled = false;
  // The body callback threw; rethrown once curl has returned.
  std::exception_ptr exception;

  // Idle detection: the last time a byte moved either way, and the counts seen then. The clock
  // starts with the transfer, so connecting counts as idle time too.
  std::chrono::steady_clock::duration idle_timeout{};
  std::chrono::steady_clock::time_point last_activity = std::chrono::steady_clock::now();
  curl_off_t last_downloaded = 0;
  curl_off_t last_uploaded = 0;
  bool idle_timed_out = false;
};

// Called by curl while the transfer runs, at least about once a second. CURLOPT_LOW_SPEED_TIME
// alone measures an average over several seconds, so a request whose upload was fast would be
// noticed as idle seconds late; this notices "nothing moved for idle_timeout" on the dot.
int on_progress(void* user, curl_off_t, curl_off_t downloaded, curl_off_t, curl_off_t uploaded) {
  auto& transfer = *static_cast<Transfer*>(user);
  const auto now = std::chrono::steady_clock::now();
  if (downloaded != transfer.last_downloaded || uploaded != transfer.last_uploaded) {
    transfer.last_downloaded = downloaded;
    transfer.last_uploaded = uploaded;
    transfer.last_activity = now;
    return 0;
  }
  if (transfer.idle_timeout.count() > 0 && now - transfer.last_activity >= transfer.idle_timeout) {
    transfer.idle_timed_out = true;
    return 1;  // curl stops with CURLE_ABORTED_BY_CALLBACK
  }
  return 0;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  const std::size_t length = size * count;
  transfer.last_activity = std::chrono::steady_clock::now();
  std::string_view line(data, length);
  auto& headers = transfer.response.headers;
  if (line.starts_with("HTTP/")) {
    // A new response begins (after 100 Continue, say): only the final one's headers count.
    headers.clear();
    return length;
  }
  if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
    // An obsolete folded continuation of the previous header's value.
    if (!headers.empty() && !trim(line).empty()) {
      headers.back().second += " ";
      headers.back().second += trim(line);
    }
    return length;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) {
    return length;  // the blank line that ends the headers
  }
  headers.emplace_back(lower(trim(line.substr(0, colon))),
                       std::string(trim(line.substr(colon + 1))));
  return length;
}

std::size_t on_write(char* data, std::size_t size, std::size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  const std::size_t length = size * count;
  transfer.last_activity = std::chrono::steady_clock::now();
  const std::string_view chunk(data, length);
  transfer.response.body.append(chunk);
  if (transfer.on_body != nullptr && *transfer.on_body) {
    // No exception may cross libcurl's C frames.
    try {
      if (!(*transfer.on_body)(chunk)) {
        transfer.cancelled = true;
        return 0;  // anything but `length` makes curl stop with CURLE_WRITE_ERROR
      }
    } catch (...) {
      transfer.exception = std::current_exception();
      return 0;
    }
  }
  return length;
}

bool is_tls_error(CURLcode code) {
  switch (code) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
      return true;
    default:
      return false;
  }
}

core::Error idle_error(const core::HttpRequest& request) {
  return {ErrorCode::timeout, "no data from " + describe_url(request.url, true) + " for " +
                                  std::to_string(request.idle_timeout.count()) + " s"};
}

// Turns a failed transfer into an Error. `detail` is curl's error buffer (falls back to
// curl_easy_strerror); it names hosts and ports, never request headers.
core::Error to_error(CURLcode code, const core::HttpRequest& request, std::string detail) {
  if (detail.empty()) {
    detail = curl_easy_strerror(code);
  }
  while (!detail.empty() && (detail.back() == '\n' || detail.back() == '\r')) {
    detail.pop_back();
  }
  const std::string url = describe_url(request.url, true);
  const std::string origin = describe_url(request.url, false);

  switch (code) {
    case CURLE_OPERATION_TIMEDOUT: {
      // curl reports all three timeouts with this one code; its message tells them apart.
      if (detail.find("too slow") != std::string::npos) {
        return idle_error(request);
      }
      if (request.total_timeout.count() > 0 && detail.starts_with("Operation timed out")) {
        return {ErrorCode::timeout, "request to " + url + " timed out after " +
                                        std::to_string(request.total_timeout.count()) + " s"};
      }
      return {ErrorCode::timeout, "could not connect to " + origin + " within " +
                                      std::to_string(request.connect_timeout.count()) + " s (" +
                                      detail + "); is the server running and the URL right?"};
    }
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return {ErrorCode::network, "could not connect to " + origin + ": " + detail +
                                      "; is the server running and the URL right?"};
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_SEND_ERROR:
      return {ErrorCode::network,
              "connection to " + url + " closed before the response was complete (" + detail + ")"};
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      // Retrying cannot fix the URL itself.
      return {ErrorCode::invalid_argument, "cannot use URL " + url + ": " + detail};
    default:
      break;
  }
  if (is_tls_error(code)) {
    return {ErrorCode::network, "TLS with " + origin + " failed: " + detail};
  }
  std::string message = "request to " + url + " failed: " + curl_easy_strerror(code);
  if (detail != curl_easy_strerror(code)) {
    message += " (" + detail + ")";
  }
  return {ErrorCode::network, std::move(message)};
}

long to_long(std::chrono::seconds seconds) {
  return static_cast<long>(seconds.count());
}

}  // namespace

CurlTransport::CurlTransport() {
  std::call_once(g_global_init_once,
                 [] { g_global_init_result = curl_global_init(CURL_GLOBAL_DEFAULT); });
}

core::Result<core::HttpResponse> CurlTransport::send(const core::HttpRequest& request,
                                                     const core::BodyCallback& on_body) {
  if (g_global_init_result != CURLE_OK) {
    return core::fail(ErrorCode::internal, std::string("curl_global_init failed: ") +
                                               curl_easy_strerror(g_global_init_result));
  }
  EasyHandle easy;
  CURL* curl = easy.get();
  if (curl == nullptr) {
    return core::fail(ErrorCode::internal, "curl_easy_init failed");
  }

  HeaderList headers;
  bool has_expect = false;
  for (const auto& [name, value] : request.headers) {
    has_expect = has_expect || lower(name) == "expect";
    // "Name;" is curl's way of sending a header with an empty value.
    if (!headers.append(value.empty() ? name + ";" : name + ": " + value)) {
      return core::fail(ErrorCode::internal, "curl_slist_append failed");
    }
  }
  // curl would ask large bodies for "100 Continue" first and wait up to a second for servers
  // that never answer it.
  if (!has_expect && !headers.append("Expect:")) {
    return core::fail(ErrorCode::internal, "curl_slist_append failed");
  }

  Transfer transfer;
  transfer.on_body = &on_body;
  char error_buffer[CURL_ERROR_SIZE] = {};

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, k_user_agent);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());

  if (request.connect_timeout.count() > 0) {
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, to_long(request.connect_timeout));
  }
  if (request.idle_timeout.count() > 0) {
    // Nothing moved for idle_timeout: on_progress sees it first; "below 1 byte per second for
    // idle_timeout seconds" stays as curl's own backstop.
    transfer.idle_timeout = request.idle_timeout;
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, to_long(request.idle_timeout));
  }
  if (request.total_timeout.count() > 0) {
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, to_long(request.total_timeout) * 1000L);
  }

  const bool has_body = !request.body.empty();
  if (request.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
  } else if (request.method == "GET" && !has_body) {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  if (request.method == "POST" || has_body) {
    // Not copied: `request` outlives the transfer.
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  }

  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);

  const CURLcode code = curl_easy_perform(curl);
  // The cached handle must not keep pointers into this frame.
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);

  if (transfer.exception) {
    std::rethrow_exception(transfer.exception);
  }
  if (transfer.cancelled) {
    return core::fail(ErrorCode::cancelled, "stopped receiving from " +
                                                describe_url(request.url, true) +
                                                ": the body callback asked to stop");
  }
  if (transfer.idle_timed_out) {
    return core::fail(idle_error(request));
  }
  if (code != CURLE_OK) {
    return core::fail(to_error(code, request, error_buffer));
  }

  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  transfer.response.status = static_cast<int>(status);
  return std::move(transfer.response);
}

}  // namespace http
