#include "literature/semantic_scholar.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "literature/bibtex.h"

namespace literature {

using core::ErrorCode;
using core::Paper;
using nlohmann::json;

namespace {

constexpr std::string_view k_search_fields =
    "title,authors,venue,year,abstract,citationCount,externalIds,url,citationStyles";

ServiceInfo s2_service(bool key_set) {
  return ServiceInfo{.name = "s2",
                     .display_name = "Semantic Scholar",
                     .key_hint = "S2_API_KEY",
                     .key_set = key_set,
                     .base_url_env = "S2_BASE_URL",
                     .message_of = {}};
}

}  // namespace

Paper parse_s2_paper(const json& j) {
  Paper p;
  p.source = "s2";
  if (!j.is_object()) return p;
  p.s2_id = json_string(j, "paperId");
  p.title = json_string(j, "title");
  p.venue = json_string(j, "venue");
  p.abstract = json_string(j, "abstract");
  p.url = json_string(j, "url");
  if (auto it = j.find("authors"); it != j.end() && it->is_array()) {
    for (const auto& a : *it) {
      std::string name = json_string(a, "name");
      if (!name.empty()) p.authors.push_back(std::move(name));
    }
  }
  if (auto it = j.find("year"); it != j.end() && it->is_number_integer()) {
    p.year = it->get<int>();
  }
  if (auto it = j.find("citationCount"); it != j.end() && it->is_number_integer()) {
    p.citation_count = it->get<long long>();
  }
  if (auto it = j.find("externalIds"); it != j.end() && it->is_object()) {
    p.doi = json_string(*it, "DOI");
    p.arxiv_id = json_string(*it, "ArXiv");
  }
  if (auto it = j.find("citationStyles"); it != j.end() && it->is_object()) {
    p.bibtex = json_string(*it, "bibtex");
  }
  return p;
}

core::Result<std::vector<Paper>> parse_s2_search(std::string_view body) {
  const ServiceInfo service = s2_service(false);
  auto j = json::parse(body, nullptr, false);
  if (j.is_discarded()) return std::unexpected(malformed_body(service, "not JSON", body));
  if (!j.is_object()) return std::unexpected(malformed_body(service, "not a JSON object", body));
  std::vector<Paper> papers;
  auto data = j.find("data");
  if (data == j.end() || data->is_null()) {
    // Semantic Scholar leaves "data" out when nothing matched.
    if (j.contains("total") && j["total"].is_number()) return papers;
    return std::unexpected(malformed_body(service, "no \"data\" list of papers", body));
  }
  if (!data->is_array()) {
    return std::unexpected(malformed_body(service, "\"data\" is not a list", body));
  }
  for (const auto& item : *data) {
    if (!item.is_object()) {
      return std::unexpected(malformed_body(service, "a result is not an object", body));
    }
    Paper p = parse_s2_paper(item);
    if (p.title.empty()) continue;  // nothing to cite or show
    papers.push_back(std::move(p));
  }
  return papers;
}

SemanticScholar::SemanticScholar(core::HttpTransport& transport, core::Clock& clock,
                                 SemanticScholarSettings settings)
    : m_transport(transport),
      m_clock(clock),
      m_settings(std::move(settings)),
      m_base_url(base_url_of(m_settings.remote, k_default_base_url)),
      m_limiter(limiter_of(m_settings.remote, clock, k_interval)),
      m_service(s2_service(!m_settings.api_key.empty())) {}

std::vector<std::pair<std::string, std::string>> SemanticScholar::headers() const {
  std::vector<std::pair<std::string, std::string>> h{{"Accept", "application/json"}};
  if (!m_settings.api_key.empty()) h.emplace_back("x-api-key", m_settings.api_key);
  return h;
}

core::Result<std::vector<Paper>> SemanticScholar::search(const std::string& query, int limit) {
  if (std::all_of(query.begin(), query.end(), [](unsigned char c) { return std::isspace(c); })) {
    return core::fail(ErrorCode::invalid_argument, "Semantic Scholar (s2): the query is empty");
  }
  if (limit <= 0) return std::vector<Paper>{};
  const int asked = std::min(limit, k_max_limit);
  const std::string url = fmt::format("{}/graph/v1/paper/search?query={}&limit={}&fields={}",
                                      m_base_url, url_encode(query), asked, k_search_fields);
  auto papers = TRY(fetch_papers(m_transport, *m_limiter, m_clock, m_settings.remote, m_service,
                                 url, headers(), query, limit, parse_s2_search));

  // BibTeX for results that came without it: by id first, then from the metadata. Once the
  // service rate-limits these fetches, the rest go straight to the metadata.
  bool fetch = true;
  for (auto& p : papers) {
    if (!p.bibtex.empty()) continue;
    if (fetch && !p.s2_id.empty()) {
      auto bib = fetch_bibtex(p.s2_id);
      if (bib) {
        p.bibtex = std::move(*bib);
        continue;
      }
      if (bib.error().code == ErrorCode::rate_limited) fetch = false;
      if (m_settings.remote.notice) {
        m_settings.remote.notice(
            fmt::format("{} — building BibTeX for \"{}\" from its metadata instead",
                        bib.error().message, quote(p.title, 80)));
      }
    }
    p.bibtex = bibtex_from_metadata(p);
  }
  return papers;
}

core::Result<std::string> SemanticScholar::fetch_bibtex(const std::string& paper_id) {
  const std::string url =
      fmt::format("{}/graph/v1/paper/{}?fields=citationStyles", m_base_url, url_encode(paper_id));
  // A second chance at most: this is an extra, and the search itself already succeeded.
  const int attempts = std::min(2, m_settings.remote.retry.max_attempts);
  std::function<core::Result<std::string>()> attempt = [&]() -> core::Result<std::string> {
    auto response =
        TRY(get_once(m_transport, *m_limiter, m_settings.remote, m_service, url, headers()));
    auto j = json::parse(response.body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      return std::unexpected(
          malformed_body(m_service, "paper details are not a JSON object", response.body));
    }
    Paper p = parse_s2_paper(j);
    if (p.bibtex.empty()) {
      return core::fail(
          ErrorCode::parse,
          fmt::format("Semantic Scholar (s2): paper {} has no citationStyles.bibtex", paper_id));
    }
    return p.bibtex;
  };
  return with_retries(m_clock, m_settings.remote, attempts, attempt);
}

}  // namespace literature
