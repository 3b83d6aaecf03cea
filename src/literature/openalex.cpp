#include "literature/openalex.h"

#include <algorithm>
#include <cctype>
#include <map>

#include <fmt/format.h>

#include "literature/bibtex.h"

namespace literature {

using core::ErrorCode;
using core::Paper;
using nlohmann::json;

namespace {

const json* object_field(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  if (it == j.end() || !it->is_object()) return nullptr;
  return &*it;
}

// Drops a leading `prefix`, compared case-insensitively.
std::string strip_prefix(std::string s, std::string_view prefix) {
  if (s.size() >= prefix.size() &&
      std::equal(prefix.begin(), prefix.end(), s.begin(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) ==
               std::tolower(static_cast<unsigned char>(b));
      })) {
    s.erase(0, prefix.size());
  }
  return s;
}

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

ServiceInfo openalex_service(bool key_set) {
  return ServiceInfo{.name = "openalex",
                     .display_name = "OpenAlex",
                     .key_hint = "OPENALEX_API_KEY (or OPENALEX_MAILTO for the polite pool)",
                     .key_set = key_set,
                     .base_url_env = "OPENALEX_BASE_URL",
                     .message_of = {}};
}

}  // namespace

std::string rebuild_abstract(const json& index) {
  if (!index.is_object()) return {};
  std::map<long long, std::string> words;
  for (const auto& [word, positions] : index.items()) {
    if (!positions.is_array()) continue;
    for (const auto& pos : positions) {
      if (pos.is_number_integer() && pos.get<long long>() >= 0) words[pos.get<long long>()] = word;
    }
  }
  std::string text;
  for (const auto& [pos, word] : words) {
    if (!text.empty()) text += ' ';
    text += word;
  }
  return text;
}

Paper parse_openalex_work(const json& w) {
  Paper p;
  p.source = "openalex";
  if (!w.is_object()) return p;
  p.title = json_string(w, "title");
  if (p.title.empty()) p.title = json_string(w, "display_name");
  p.openalex_id = strip_prefix(json_string(w, "id"), "https://openalex.org/");
  p.doi = strip_prefix(json_string(w, "doi"), "https://doi.org/");
  if (auto it = w.find("publication_year"); it != w.end() && it->is_number_integer()) {
    p.year = it->get<int>();
  }
  if (auto it = w.find("cited_by_count"); it != w.end() && it->is_number_integer()) {
    p.citation_count = it->get<long long>();
  }
  if (auto it = w.find("authorships"); it != w.end() && it->is_array()) {
    for (const auto& a : *it) {
      const json* author = object_field(a, "author");
      std::string name = author ? json_string(*author, "display_name") : std::string();
      if (!name.empty()) p.authors.push_back(std::move(name));
    }
  }
  if (const json* loc = object_field(w, "primary_location")) {
    if (const json* src = object_field(*loc, "source")) p.venue = json_string(*src, "display_name");
    p.url = json_string(*loc, "landing_page_url");
  }
  if (auto it = w.find("abstract_inverted_index"); it != w.end()) {
    p.abstract = rebuild_abstract(*it);
  }
  // arXiv preprints: DOI 10.48550/arXiv.ID, or an arxiv.org landing page.
  if (lower(p.doi).starts_with("10.48550/arxiv.")) {
    p.arxiv_id = p.doi.substr(std::string_view("10.48550/arxiv.").size());
  } else if (auto at = p.url.find("arxiv.org/abs/"); at != std::string::npos) {
    p.arxiv_id = p.url.substr(at + std::string_view("arxiv.org/abs/").size());
  }
  if (p.url.empty() && !p.doi.empty()) p.url = "https://doi.org/" + p.doi;
  if (p.url.empty()) p.url = json_string(w, "id");
  return p;
}

core::Result<std::vector<Paper>> parse_openalex_search(std::string_view body) {
  const ServiceInfo service = openalex_service(false);
  auto j = json::parse(body, nullptr, false);
  if (j.is_discarded()) return std::unexpected(malformed_body(service, "not JSON", body));
  if (!j.is_object()) return std::unexpected(malformed_body(service, "not a JSON object", body));
  auto results = j.find("results");
  if (results == j.end() || !results->is_array()) {
    return std::unexpected(malformed_body(service, "no \"results\" list of works", body));
  }
  std::vector<Paper> papers;
  for (const auto& item : *results) {
    if (!item.is_object()) {
      return std::unexpected(malformed_body(service, "a result is not an object", body));
    }
    Paper p = parse_openalex_work(item);
    if (p.title.empty()) continue;
    papers.push_back(std::move(p));
  }
  return papers;
}

OpenAlex::OpenAlex(core::HttpTransport& transport, core::Clock& clock, OpenAlexSettings settings)
    : m_transport(transport),
      m_clock(clock),
      m_settings(std::move(settings)),
      m_base_url(base_url_of(m_settings.remote, k_default_base_url)),
      m_limiter(limiter_of(m_settings.remote, clock, k_interval)),
      m_service(openalex_service(!m_settings.api_key.empty() || !m_settings.mailto.empty())) {}

core::Result<std::vector<Paper>> OpenAlex::search(const std::string& query, int limit) {
  if (std::all_of(query.begin(), query.end(), [](unsigned char c) { return std::isspace(c); })) {
    return core::fail(ErrorCode::invalid_argument, "OpenAlex (openalex): the query is empty");
  }
  if (limit <= 0) return std::vector<Paper>{};
  std::string url = fmt::format("{}/works?search={}&per-page={}", m_base_url, url_encode(query),
                                std::min(limit, k_max_limit));
  if (!m_settings.mailto.empty()) url += "&mailto=" + url_encode(m_settings.mailto);
  if (!m_settings.api_key.empty()) url += "&api_key=" + url_encode(m_settings.api_key);
  const std::vector<std::pair<std::string, std::string>> headers{{"Accept", "application/json"}};
  auto papers = TRY(fetch_papers(m_transport, *m_limiter, m_clock, m_settings.remote, m_service,
                                 url, headers, query, limit, parse_openalex_search));
  for (auto& p : papers)
    p.bibtex = bibtex_from_metadata(p);
  return papers;
}

}  // namespace literature
