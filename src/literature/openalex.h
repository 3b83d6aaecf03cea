#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/http.h"
#include "core/literature.h"
#include "literature/remote.h"

namespace literature {

struct OpenAlexSettings {
  // An e-mail address for OpenAlex's "polite pool" (sent as mailto=), read by the caller;
  // empty: none.
  std::string mailto;
  // An OpenAlex API key (sent as api_key=), read by the caller; empty: none.
  std::string api_key;
  // remote.base_url: the value of OPENALEX_BASE_URL, read by the caller; empty: the public API.
  RemoteOptions remote;
};

// OpenAlex: GET {base}/works?search=...&per-page=N. Abstracts are rebuilt from the inverted
// index, BibTeX is built from the metadata (OpenAlex has none of its own). Requests are spaced
// 100 ms apart (OpenAlex allows 10 per second); transient failures (429, 5xx, network, malformed
// bodies) are retried a bounded number of times honouring Retry-After. Thread-safe.
class OpenAlex final : public core::LiteratureSource {
 public:
  static constexpr std::string_view k_default_base_url = "https://api.openalex.org";
  static constexpr std::chrono::milliseconds k_interval{100};
  static constexpr int k_max_limit = 200;  // OpenAlex's largest page

  // `transport` and `clock` must outlive this object.
  OpenAlex(core::HttpTransport& transport, core::Clock& clock, OpenAlexSettings settings = {});

  // At most `limit` papers (none for limit <= 0), each with source "openalex" and BibTeX.
  // An empty query is invalid_argument.
  core::Result<std::vector<core::Paper>> search(const std::string& query, int limit) override;
  std::string name() const override { return "openalex"; }

 private:
  core::HttpTransport& m_transport;
  core::Clock& m_clock;
  OpenAlexSettings m_settings;
  std::string m_base_url;
  std::shared_ptr<RateLimiter> m_limiter;
  ServiceInfo m_service;
};

// The text of an abstract_inverted_index ({"word": [positions], ...}): the words in position
// order, separated by single spaces. Positions missing from the index are skipped; a malformed
// index yields what could be read. Pure.
std::string rebuild_abstract(const nlohmann::json& inverted_index);

// One work object as a Paper with source "openalex" (no BibTeX yet). Pure.
core::Paper parse_openalex_work(const nlohmann::json& work);

// The body of a /works answer: {"meta": ..., "results": [...]}. Anything else fails with
// server_error quoting the body. Pure.
core::Result<std::vector<core::Paper>> parse_openalex_search(std::string_view body);

}  // namespace literature
