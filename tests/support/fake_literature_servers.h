#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/loopback_server.h"

// Loopback stand-ins for the remote literature services: Semantic Scholar's Graph API
// (GET /graph/v1/paper/search, GET /graph/v1/paper/{id}), OpenAlex (GET /works) and arXiv
// (GET /api/query, Atom). Tests queue replies in each service's own wire format, inject
// failures (429 with Retry-After, 500s, malformed bodies) and read back what the client sent.
namespace test_support {

// The query string's parameters, percent-decoded ('+' read as a space). Later repeats win.
std::map<std::string, std::string> query_params(const std::string& raw_query);

// Any status with a body; `retry_after` (seconds, as text) becomes a Retry-After header.
ScriptedReply status_reply(int status, std::string body,
                           std::optional<std::string> retry_after = std::nullopt,
                           std::string content_type = "application/json");

// ---- Semantic Scholar --------------------------------------------------------------------

struct S2Paper {
  std::string paper_id = "0123abcd";
  std::string title = "A Paper";
  std::vector<std::string> authors{"Ada Lovelace"};
  std::string venue = "NeurIPS";
  std::optional<int> year = 2020;
  std::string abstract = "An abstract.";
  std::optional<long long> citation_count = 42;
  std::string doi;
  std::string arxiv_id;
  // Empty: citationStyles is null, as Semantic Scholar sends for many papers.
  std::string bibtex = "@inproceedings{lovelace2020,\n  title = {A Paper}\n}\n";
};

// The paper as the Graph API returns it, with every field the client asks for.
nlohmann::json s2_paper_json(const S2Paper& paper);
// A search answer: {"total", "offset", "next", "data": [...]}; with no papers, "data" is left
// out, as Semantic Scholar does.
ScriptedReply s2_search_reply(const std::vector<S2Paper>& papers);
// The answer of GET /graph/v1/paper/{id}?fields=citationStyles.
ScriptedReply s2_paper_reply(const std::string& paper_id, const std::string& bibtex);
// Semantic Scholar's error shape: {"message": ...} (429 adds a Retry-After when given).
ScriptedReply s2_error_reply(int status, const std::string& message,
                             std::optional<std::string> retry_after = std::nullopt);

class FakeSemanticScholarServer {
 public:
  static constexpr const char* k_search_path = "/graph/v1/paper/search";

  std::string base_url() const { return m_server.base_url(); }
  void enqueue_search(ScriptedReply reply) { m_server.enqueue(k_search_path, std::move(reply)); }
  // Queue the answer for the per-paper fetch of `paper_id`.
  void enqueue_paper(const std::string& paper_id, ScriptedReply reply) {
    m_server.enqueue(std::string("/graph/v1/paper/") + paper_id, std::move(reply));
  }
  std::vector<RecordedRequest> requests() const { return m_server.requests(); }
  LoopbackServer& server() { return m_server; }

 private:
  LoopbackServer m_server;
};

// ---- OpenAlex ----------------------------------------------------------------------------

struct OpenAlexWork {
  std::string id = "W2741809807";  // sent as https://openalex.org/W...
  std::string title = "A Work";
  std::vector<std::string> authors{"Grace Hopper"};
  std::string venue = "Nature";  // empty: primary_location.source is null
  std::optional<int> year = 2018;
  std::string doi = "10.1038/nature12373";    // sent as https://doi.org/...; empty: null
  std::string abstract = "We study things.";  // sent as abstract_inverted_index; empty: null
  std::optional<long long> cited_by_count = 7;
  std::string landing_page_url;
};

// The inverted index OpenAlex would send for `text` (words split at spaces).
nlohmann::json inverted_index(const std::string& text);
nlohmann::json openalex_work_json(const OpenAlexWork& work);
// A /works answer: {"meta": {"count": N, ...}, "results": [...]}.
ScriptedReply openalex_reply(const std::vector<OpenAlexWork>& works);

class FakeOpenAlexServer {
 public:
  std::string base_url() const { return m_server.base_url(); }
  void enqueue(ScriptedReply reply) { m_server.enqueue("/works", std::move(reply)); }
  std::vector<RecordedRequest> requests() const { return m_server.requests(); }
  LoopbackServer& server() { return m_server; }

 private:
  LoopbackServer m_server;
};

// ---- arXiv -------------------------------------------------------------------------------

struct ArxivEntry {
  std::string id = "2101.00001v2";  // sent as http://arxiv.org/abs/ID
  std::string title = "An arXiv Paper";
  std::string summary = "Its abstract.";
  std::vector<std::string> authors{"Alan Turing"};
  std::string published = "2021-01-01T00:00:00Z";
  std::string doi;          // arxiv:doi when non-empty
  std::string journal_ref;  // arxiv:journal_ref when non-empty
};

// Text escaped for XML character data (& < > " ').
std::string xml_escape(const std::string& text);
// An Atom feed as arXiv sends it, namespaces and opensearch counts included. Titles and
// summaries are written as given after escaping, so tests can put line breaks in them.
ScriptedReply arxiv_feed(const std::vector<ArxivEntry>& entries);
// arXiv's answer to a query it refuses: HTTP 400 (`status`) with an error entry.
ScriptedReply arxiv_error_feed(const std::string& message, int status = 400);

class FakeArxivServer {
 public:
  std::string base_url() const { return m_server.base_url(); }
  void enqueue(ScriptedReply reply) { m_server.enqueue("/api/query", std::move(reply)); }
  std::vector<RecordedRequest> requests() const { return m_server.requests(); }
  LoopbackServer& server() { return m_server; }

 private:
  LoopbackServer m_server;
};

}  // namespace test_support
