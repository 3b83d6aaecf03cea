#include "literature/recorded_source.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "literature/bibtex.h"

namespace literature {
namespace {

std::string fold(std::string_view query) {
  std::string out;
  for (unsigned char c : query) {
    if (std::isspace(c)) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += static_cast<char>(std::tolower(c));
    }
  }
  while (!out.empty() && out.back() == ' ')
    out.pop_back();
  return out;
}

std::string text(const nlohmann::json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

}  // namespace

core::Result<std::unique_ptr<RecordedSource>> RecordedSource::from_json(std::string_view json,
                                                                        std::string source) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("queries") || !j["queries"].is_object()) {
    return core::fail(core::ErrorCode::parse,
                      fmt::format("{}: not a literature recording (expected {{\"queries\": "
                                  "{{query: [papers]}}}})",
                                  source));
  }
  auto recorded = std::unique_ptr<RecordedSource>(new RecordedSource());
  for (const auto& [query, papers] : j["queries"].items()) {
    if (!papers.is_array()) {
      return core::fail(core::ErrorCode::parse,
                        fmt::format("{}: the answer to \"{}\" is not a list", source, query));
    }
    auto& list = recorded->m_answers[fold(query)];
    for (const auto& p : papers) {
      if (!p.is_object() || text(p, "title").empty()) {
        return core::fail(core::ErrorCode::parse,
                          fmt::format("{}: a paper for \"{}\" has no title", source, query));
      }
      core::Paper paper;
      paper.title = text(p, "title");
      if (p.contains("authors") && p["authors"].is_array()) {
        for (const auto& a : p["authors"]) {
          if (a.is_string()) paper.authors.push_back(a.get<std::string>());
        }
      }
      paper.venue = text(p, "venue");
      if (p.contains("year") && p["year"].is_number_integer()) paper.year = p["year"].get<int>();
      paper.abstract = text(p, "abstract");
      if (p.contains("citation_count") && p["citation_count"].is_number_integer()) {
        paper.citation_count = p["citation_count"].get<long long>();
      }
      paper.doi = text(p, "doi");
      paper.arxiv_id = text(p, "arxiv_id");
      paper.s2_id = text(p, "s2_id");
      paper.url = text(p, "url");
      paper.bibtex = text(p, "bibtex");
      if (paper.bibtex.empty()) paper.bibtex = bibtex_from_metadata(paper);
      paper.source = "recorded";
      list.push_back(std::move(paper));
    }
  }
  return recorded;
}

core::Result<std::vector<core::Paper>> RecordedSource::search(const std::string& query, int limit) {
  auto it = m_answers.find(fold(query));
  if (it == m_answers.end() || limit <= 0) return std::vector<core::Paper>{};
  const auto n = std::min<std::size_t>(it->second.size(), static_cast<std::size_t>(limit));
  return std::vector<core::Paper>(it->second.begin(), it->second.begin() + n);
}

}  // namespace literature
