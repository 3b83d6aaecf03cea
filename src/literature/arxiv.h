#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/http.h"
#include "core/literature.h"
#include "literature/remote.h"

namespace literature {

struct ArxivSettings {
  // remote.base_url: the value of ARXIV_BASE_URL, read by the caller; empty: the public API.
  RemoteOptions remote;
};

// arXiv's Atom query API: GET {base}/api/query?search_query=all:w1 AND all:w2 ...&max_results=N
// (every word of the query must occur in some field). Requests are spaced 3 s apart, as arXiv
// asks; transient failures (429, 5xx, network, malformed bodies) are retried a bounded number of
// times honouring Retry-After. BibTeX is built from the metadata: @misc with eprint and
// archivePrefix for papers only on arXiv, @article/@inproceedings with the journal reference
// otherwise. Thread-safe.
class Arxiv final : public core::LiteratureSource {
 public:
  static constexpr std::string_view k_default_base_url = "http://export.arxiv.org";
  static constexpr std::chrono::milliseconds k_interval{3000};
  static constexpr int k_max_limit = 200;

  // `transport` and `clock` must outlive this object.
  Arxiv(core::HttpTransport& transport, core::Clock& clock, ArxivSettings settings = {});

  // At most `limit` papers (none for limit <= 0), each with source "arxiv" and BibTeX. A query
  // with no words is invalid_argument; arXiv's own refusal of a query is bad_request.
  core::Result<std::vector<core::Paper>> search(const std::string& query, int limit) override;
  std::string name() const override { return "arxiv"; }

 private:
  core::HttpTransport& m_transport;
  core::Clock& m_clock;
  ArxivSettings m_settings;
  std::string m_base_url;
  std::shared_ptr<RateLimiter> m_limiter;
  ServiceInfo m_service;
};

// A minimal reader for the Atom that arXiv sends; no DTDs, no namespaces beyond prefixes.
namespace xml {

// The contents (between the start and end tags) of each element called `name` in `text`, in
// document order, not looking inside the elements found. `name` matches the tag's qualified name
// ("arxiv:doi"), or, when it has no prefix, also the local part of a prefixed tag ("atom:entry"
// for "entry"). Attributes are skipped (quotes respected); a self-closing element has empty
// contents; comments, CDATA sections, processing instructions and declarations are skipped
// over; an element with no end tag is ignored. Nested elements of the same name are balanced.
std::vector<std::string_view> elements(std::string_view text, std::string_view name);

// The first of elements(text, name), if any.
std::optional<std::string_view> first(std::string_view text, std::string_view name);

// Character data as text: CDATA sections kept verbatim, markup inside dropped, the five
// predefined entities and numeric references (&#38; &#x26;) decoded (unknown ones kept as
// written), runs of whitespace folded to one space, and the ends trimmed.
std::string text(std::string_view contents);

}  // namespace xml

// "2101.00001" from "http://arxiv.org/abs/2101.00001v2", "hep-th/9901001" from
// ".../abs/hep-th/9901001v1": the identifier without its version. Empty when `id_url` has no
// "/abs/". Pure.
std::string arxiv_id_from_url(std::string_view id_url);

// The search_query value for `query`: each word as all:WORD, joined by " AND ". Characters of
// arXiv's query syntax ( ( ) " : ) and the bare operators AND, OR, ANDNOT are dropped. Empty when
// no word is left. Pure.
std::string arxiv_search_query(std::string_view query);

// The papers of an Atom feed answer, with source "arxiv" (no BibTeX yet). Fails with
// server_error quoting the body when it is not an Atom feed, and with bad_request carrying
// arXiv's message when the feed is arXiv's error entry. Pure.
core::Result<std::vector<core::Paper>> parse_arxiv_feed(std::string_view body);

}  // namespace literature
