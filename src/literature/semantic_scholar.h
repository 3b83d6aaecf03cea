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

struct SemanticScholarSettings {
  // The value of S2_API_KEY, read by the caller; empty: anonymous requests (a low, shared limit).
  // Sent as the x-api-key header, never in a URL or a message.
  std::string api_key;
  // remote.base_url: the value of S2_BASE_URL, read by the caller; empty: the public API.
  RemoteOptions remote;
};

// Semantic Scholar's Graph API: GET {base}/graph/v1/paper/search with the title, authors, venue,
// year, abstract, citation count, identifiers, URL and BibTeX (citationStyles) of each result.
// Requests are spaced one second apart (the service's limit with a key), transient failures
// (429, 5xx, network, malformed bodies) are retried a bounded number of times honouring
// Retry-After. A result without citationStyles.bibtex gets it from GET
// {base}/graph/v1/paper/{paperId}?fields=citationStyles, and when that fails too, BibTeX built
// from its metadata (bibtex_from_metadata). Thread-safe.
class SemanticScholar final : public core::LiteratureSource {
 public:
  static constexpr std::string_view k_default_base_url = "https://api.semanticscholar.org";
  static constexpr std::chrono::milliseconds k_interval{1000};
  static constexpr int k_max_limit = 100;  // the most the search endpoint returns at once

  // `transport` and `clock` must outlive this object.
  SemanticScholar(core::HttpTransport& transport, core::Clock& clock,
                  SemanticScholarSettings settings = {});

  // At most `limit` papers (none for limit <= 0), each with source "s2" and a BibTeX entry.
  // An empty query is invalid_argument.
  core::Result<std::vector<core::Paper>> search(const std::string& query, int limit) override;
  std::string name() const override { return "s2"; }

 private:
  core::Result<std::string> fetch_bibtex(const std::string& paper_id);
  std::vector<std::pair<std::string, std::string>> headers() const;

  core::HttpTransport& m_transport;
  core::Clock& m_clock;
  SemanticScholarSettings m_settings;
  std::string m_base_url;
  std::shared_ptr<RateLimiter> m_limiter;
  ServiceInfo m_service;
};

// One paper object of the Graph API (paperId, title, authors[].name, venue, year, abstract,
// citationCount, externalIds.DOI/ArXiv, url, citationStyles.bibtex) as a Paper with source
// "s2". Missing and null fields stay empty. Pure.
core::Paper parse_s2_paper(const nlohmann::json& paper);

// The body of a search answer: {"total": N, "data": [...]}; "data" may be absent when nothing
// matched. Anything else fails with server_error quoting the body. Pure.
core::Result<std::vector<core::Paper>> parse_s2_search(std::string_view body);

}  // namespace literature
