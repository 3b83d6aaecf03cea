#include "support/fake_literature_servers.h"

#include <sstream>

using nlohmann::json;

namespace test_support {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
               hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

json or_null(const std::string& s) {
  return s.empty() ? json(nullptr) : json(s);
}

}  // namespace

std::map<std::string, std::string> query_params(const std::string& raw_query) {
  std::map<std::string, std::string> params;
  std::size_t pos = 0;
  while (pos <= raw_query.size()) {
    std::size_t amp = raw_query.find('&', pos);
    if (amp == std::string::npos) amp = raw_query.size();
    std::string pair = raw_query.substr(pos, amp - pos);
    if (!pair.empty()) {
      std::size_t eq = pair.find('=');
      std::string key = percent_decode(pair.substr(0, eq));
      std::string value = eq == std::string::npos ? "" : percent_decode(pair.substr(eq + 1));
      params[key] = value;
    }
    pos = amp + 1;
  }
  return params;
}

ScriptedReply status_reply(int status, std::string body, std::optional<std::string> retry_after,
                           std::string content_type) {
  ScriptedReply r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  if (retry_after) r.headers.emplace_back("Retry-After", *retry_after);
  return r;
}

json s2_paper_json(const S2Paper& p) {
  json authors = json::array();
  int n = 0;
  for (const auto& a : p.authors)
    authors.push_back({{"authorId", std::to_string(1000 + n++)}, {"name", a}});
  json external = {{"CorpusId", 12345}};
  if (!p.doi.empty()) external["DOI"] = p.doi;
  if (!p.arxiv_id.empty()) external["ArXiv"] = p.arxiv_id;
  return {{"paperId", p.paper_id},
          {"externalIds", external},
          {"url", "https://www.semanticscholar.org/paper/" + p.paper_id},
          {"title", p.title},
          {"abstract", or_null(p.abstract)},
          {"venue", p.venue},
          {"year", p.year ? json(*p.year) : json(nullptr)},
          {"citationCount", p.citation_count ? json(*p.citation_count) : json(nullptr)},
          {"citationStyles", p.bibtex.empty() ? json(nullptr) : json{{"bibtex", p.bibtex}}},
          {"authors", authors}};
}

ScriptedReply s2_search_reply(const std::vector<S2Paper>& papers) {
  json body = {{"total", papers.size()}, {"offset", 0}};
  if (!papers.empty()) {
    body["next"] = papers.size();
    json data = json::array();
    for (const auto& p : papers)
      data.push_back(s2_paper_json(p));
    body["data"] = data;
  }
  ScriptedReply r;
  r.body = body.dump();
  return r;
}

ScriptedReply s2_paper_reply(const std::string& paper_id, const std::string& bibtex) {
  json body = {{"paperId", paper_id},
               {"citationStyles", bibtex.empty() ? json(nullptr) : json{{"bibtex", bibtex}}}};
  ScriptedReply r;
  r.body = body.dump();
  return r;
}

ScriptedReply s2_error_reply(int status, const std::string& message,
                             std::optional<std::string> retry_after) {
  return status_reply(status, json{{"message", message}}.dump(), std::move(retry_after));
}

json inverted_index(const std::string& text) {
  json index = json::object();
  std::istringstream words(text);
  std::string word;
  int pos = 0;
  while (words >> word) {
    if (!index.contains(word)) index[word] = json::array();
    index[word].push_back(pos++);
  }
  return index;
}

json openalex_work_json(const OpenAlexWork& w) {
  json authorships = json::array();
  int n = 0;
  for (const auto& a : w.authors) {
    authorships.push_back(
        {{"author_position", n == 0 ? "first" : "middle"},
         {"author",
          {{"id", "https://openalex.org/A" + std::to_string(100 + n)}, {"display_name", a}}},
         {"institutions", json::array()}});
    ++n;
  }
  json source =
      w.venue.empty()
          ? json(nullptr)
          : json{{"id", "https://openalex.org/S1"}, {"display_name", w.venue}, {"type", "journal"}};
  return {
      {"id", "https://openalex.org/" + w.id},
      {"doi", w.doi.empty() ? json(nullptr) : json("https://doi.org/" + w.doi)},
      {"title", w.title},
      {"display_name", w.title},
      {"publication_year", w.year ? json(*w.year) : json(nullptr)},
      {"type", "article"},
      {"cited_by_count", w.cited_by_count ? json(*w.cited_by_count) : json(nullptr)},
      {"authorships", authorships},
      {"primary_location",
       {{"is_oa", false}, {"landing_page_url", or_null(w.landing_page_url)}, {"source", source}}},
      {"abstract_inverted_index", w.abstract.empty() ? json(nullptr) : inverted_index(w.abstract)}};
}

ScriptedReply openalex_reply(const std::vector<OpenAlexWork>& works) {
  json results = json::array();
  for (const auto& w : works)
    results.push_back(openalex_work_json(w));
  json body = {
      {"meta",
       {{"count", works.size()}, {"db_response_time_ms", 12}, {"page", 1}, {"per_page", 25}}},
      {"results", results},
      {"group_by", json::array()}};
  ScriptedReply r;
  r.body = body.dump();
  return r;
}

std::string xml_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {

std::string feed_head(std::size_t total) {
  return R"(<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <link href="http://arxiv.org/api/query?search_query%3Dall%3Aelectron" rel="self" type="application/atom+xml"/>
  <title type="html">ArXiv Query: search_query=all:electron&amp;id_list=&amp;start=0&amp;max_results=10</title>
  <id>http://arxiv.org/api/cHxbiOdZaP56ODnBPIenZhzg5f8</id>
  <updated>2021-01-05T00:00:00-05:00</updated>
  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">)" +
         std::to_string(total) + R"(</opensearch:totalResults>
  <opensearch:startIndex xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">0</opensearch:startIndex>
  <opensearch:itemsPerPage xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">10</opensearch:itemsPerPage>
)";
}

}  // namespace

ScriptedReply arxiv_feed(const std::vector<ArxivEntry>& entries) {
  std::string body = feed_head(entries.size());
  for (const auto& e : entries) {
    body += "  <entry>\n    <id>http://arxiv.org/abs/" + e.id + "</id>\n";
    body += "    <updated>" + e.published + "</updated>\n";
    body += "    <published>" + e.published + "</published>\n";
    body += "    <title>" + xml_escape(e.title) + "</title>\n";
    body += "    <summary>" + xml_escape(e.summary) + "</summary>\n";
    for (const auto& a : e.authors) {
      body += "    <author>\n      <name>" + xml_escape(a) + "</name>\n    </author>\n";
    }
    if (!e.doi.empty()) {
      body += R"(    <arxiv:doi xmlns:arxiv="http://arxiv.org/schemas/atom">)" + xml_escape(e.doi) +
              "</arxiv:doi>\n";
      body += R"(    <link title="doi" href="http://dx.doi.org/)" + xml_escape(e.doi) +
              R"(" rel="related"/>)" + "\n";
    }
    if (!e.journal_ref.empty()) {
      body += R"(    <arxiv:journal_ref xmlns:arxiv="http://arxiv.org/schemas/atom">)" +
              xml_escape(e.journal_ref) + "</arxiv:journal_ref>\n";
    }
    body += R"(    <link href="http://arxiv.org/abs/)" + e.id +
            R"(" rel="alternate" type="text/html"/>)" + "\n";
    body += R"(    <link title="pdf" href="http://arxiv.org/pdf/)" + e.id +
            R"(" rel="related" type="application/pdf"/>)" + "\n";
    body +=
        R"(    <arxiv:primary_category xmlns:arxiv="http://arxiv.org/schemas/atom" term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>)"
        "\n";
    body += R"(    <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>)"
            "\n";
    body += "  </entry>\n";
  }
  body += "</feed>\n";
  ScriptedReply r;
  r.content_type = "application/atom+xml; charset=utf-8";
  r.body = std::move(body);
  return r;
}

ScriptedReply arxiv_error_feed(const std::string& message, int status) {
  std::string body = feed_head(1);
  body += "  <entry>\n    <id>http://arxiv.org/api/errors#bad_query</id>\n";
  body += "    <title>Error</title>\n";
  body += "    <summary>" + xml_escape(message) + "</summary>\n";
  body += "    <updated>2021-01-05T00:00:00-05:00</updated>\n";
  body +=
      "    <link href=\"http://arxiv.org/api/errors#bad_query\" rel=\"alternate\" "
      "type=\"text/html\"/>\n";
  body += "    <author>\n      <name>arXiv api core</name>\n    </author>\n";
  body += "  </entry>\n</feed>\n";
  ScriptedReply r;
  r.status = status;
  r.content_type = "application/atom+xml; charset=utf-8";
  r.body = std::move(body);
  return r;
}

}  // namespace test_support
