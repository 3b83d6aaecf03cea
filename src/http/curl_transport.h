#pragma once

#include "core/http.h"

namespace http {

// core::HttpTransport over libcurl (TLS, proxies from the usual *_proxy variables, HTTP/1.1 and
// HTTP/2). Each send() uses its own easy handle, so concurrent calls from several threads are
// safe. curl_global_init runs once, on first construction.
class CurlTransport final : public core::HttpTransport {
 public:
  CurlTransport();
  core::Result<core::HttpResponse> send(const core::HttpRequest& request,
                                        const core::BodyCallback& on_body = {}) override;
};

}  // namespace http
