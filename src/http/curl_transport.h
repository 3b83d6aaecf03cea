#pragma once

#include "core/http.h"

namespace http {

// core::HttpTransport over libcurl (TLS, proxies from the usual *_proxy variables, HTTP/1.1 and
// HTTP/2). Each thread keeps one easy handle and resets it between its calls, so calls from one
// thread reuse connections and concurrent calls from several threads are safe. curl_global_init
// runs once, on first construction.
class CurlTransport final : public core::HttpTransport {
 public:
  CurlTransport();
  core::Result<core::HttpResponse> send(const core::HttpRequest& request,
                                        const core::BodyCallback& on_body = {}) override;
};

}  // namespace http
