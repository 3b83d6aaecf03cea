#include "literature/arxiv.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

#include <fmt/format.h>

#include "literature/bibtex.h"

namespace literature {

using core::ErrorCode;
using core::Paper;

namespace xml {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool is_name_char(char c) {
  return !is_space(c) && c != '>' && c != '/' && c != '=' && c != '<';
}

bool name_matches(std::string_view qname, std::string_view name) {
  if (qname == name) return true;
  if (name.find(':') != std::string_view::npos) return false;
  auto colon = qname.find(':');
  return colon != std::string_view::npos && qname.substr(colon + 1) == name;
}

// Where the construct starting at `pos` (text[pos] == '<') that is not an element ends: past a
// comment, CDATA section, processing instruction or declaration. npos when `pos` starts an
// element tag or an end tag, or the construct never ends (then the caller stops).
std::size_t skip_special(std::string_view text, std::size_t pos, bool& unterminated) {
  unterminated = false;
  auto skip_to = [&](std::string_view end) {
    auto at = text.find(end, pos);
    if (at == std::string_view::npos) {
      unterminated = true;
      return text.size();
    }
    return at + end.size();
  };
  std::string_view rest = text.substr(pos);
  if (rest.starts_with("<!--")) return skip_to("-->");
  if (rest.starts_with("<![CDATA[")) return skip_to("]]>");
  if (rest.starts_with("<?")) return skip_to("?>");
  if (rest.starts_with("<!")) return skip_to(">");
  return std::string_view::npos;
}

// The end of the tag starting at `pos` (the index just past its '>'), skipping quoted
// attribute values; npos when the tag never closes.
std::size_t tag_end(std::string_view text, std::size_t pos) {
  char quote = 0;
  for (std::size_t i = pos + 1; i < text.size(); ++i) {
    char c = text[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '>') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

struct Tag {
  std::string_view qname;
  bool closing = false;       // </x>
  bool self_closing = false;  // <x/>
  std::size_t begin = 0;      // index of '<'
  std::size_t end = 0;        // index past '>'
};

// The next element tag (start, end or empty) at or after `pos`, skipping other constructs.
std::optional<Tag> next_tag(std::string_view text, std::size_t pos) {
  while (true) {
    pos = text.find('<', pos);
    if (pos == std::string_view::npos) return std::nullopt;
    bool unterminated = false;
    std::size_t skipped = skip_special(text, pos, unterminated);
    if (unterminated) return std::nullopt;
    if (skipped != std::string_view::npos) {
      pos = skipped;
      continue;
    }
    Tag tag;
    tag.begin = pos;
    std::size_t i = pos + 1;
    if (i < text.size() && text[i] == '/') {
      tag.closing = true;
      ++i;
    }
    std::size_t name_begin = i;
    while (i < text.size() && is_name_char(text[i]))
      ++i;
    tag.qname = text.substr(name_begin, i - name_begin);
    std::size_t end = tag_end(text, pos);
    if (end == std::string_view::npos) return std::nullopt;
    tag.end = end;
    tag.self_closing = !tag.closing && end >= 2 && text[end - 2] == '/';
    if (tag.qname.empty()) {  // a stray '<' in text
      pos = pos + 1;
      continue;
    }
    return tag;
  }
}

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Decodes the entity at text[pos] == '&' into `out`; returns the index after it, or pos + 1
// (with '&' appended) when it is not one this reader knows.
std::size_t decode_entity(std::string_view text, std::size_t pos, std::string& out) {
  auto semi = text.find(';', pos);
  if (semi == std::string_view::npos || semi - pos > 12) {
    out += '&';
    return pos + 1;
  }
  std::string_view name = text.substr(pos + 1, semi - pos - 1);
  static constexpr std::pair<std::string_view, char> k_named[] = {
      {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
  for (const auto& [n, c] : k_named) {
    if (name == n) {
      out += c;
      return semi + 1;
    }
  }
  if (name.size() >= 2 && name[0] == '#') {
    const bool hex = name[1] == 'x' || name[1] == 'X';
    std::string_view digits = name.substr(hex ? 2 : 1);
    std::uint32_t cp = 0;
    bool ok = !digits.empty();
    for (char c : digits) {
      int v = -1;
      if (c >= '0' && c <= '9') v = c - '0';
      if (hex && c >= 'a' && c <= 'f') v = c - 'a' + 10;
      if (hex && c >= 'A' && c <= 'F') v = c - 'A' + 10;
      if (v < 0 || cp > 0x10FFFF) {
        ok = false;
        break;
      }
      cp = cp * (hex ? 16 : 10) + static_cast<std::uint32_t>(v);
    }
    if (ok) {
      append_utf8(out, cp);
      return semi + 1;
    }
  }
  out += '&';
  return pos + 1;
}

}  // namespace

std::vector<std::string_view> elements(std::string_view text, std::string_view name) {
  std::vector<std::string_view> found;
  std::size_t pos = 0;
  while (auto tag = next_tag(text, pos)) {
    pos = tag->end;
    if (tag->closing || !name_matches(tag->qname, name)) continue;
    if (tag->self_closing) {
      found.emplace_back();
      continue;
    }
    // Find the matching end tag, balancing nested elements of the same name.
    int depth = 1;
    std::size_t scan = tag->end;
    std::optional<Tag> inner;
    while (depth > 0 && (inner = next_tag(text, scan))) {
      scan = inner->end;
      if (inner->qname != tag->qname || inner->self_closing) continue;
      depth += inner->closing ? -1 : 1;
    }
    if (depth > 0) continue;  // no end tag: skip the start tag and look further
    found.push_back(text.substr(tag->end, inner->begin - tag->end));
    pos = inner->end;
  }
  return found;
}

std::optional<std::string_view> first(std::string_view text, std::string_view name) {
  auto all = elements(text, name);
  if (all.empty()) return std::nullopt;
  return all.front();
}

std::string text(std::string_view contents) {
  std::string raw;
  raw.reserve(contents.size());
  std::size_t pos = 0;
  while (pos < contents.size()) {
    char c = contents[pos];
    if (c == '<') {
      if (contents.substr(pos).starts_with("<![CDATA[")) {
        auto end = contents.find("]]>", pos);
        std::size_t stop = end == std::string_view::npos ? contents.size() : end;
        raw.append(contents.substr(pos + 9, stop - std::min(stop, pos + 9)));
        pos = end == std::string_view::npos ? contents.size() : end + 3;
        continue;
      }
      bool unterminated = false;
      std::size_t skipped = skip_special(contents, pos, unterminated);
      if (skipped == std::string_view::npos) skipped = tag_end(contents, pos);
      if (skipped == std::string_view::npos || unterminated) break;
      raw += ' ';  // markup separates words
      pos = skipped;
    } else if (c == '&') {
      pos = decode_entity(contents, pos, raw);
    } else {
      raw += c;
      ++pos;
    }
  }
  std::string out;
  out.reserve(raw.size());
  bool pending_space = false;
  for (char c : raw) {
    if (is_space(c)) {
      pending_space = !out.empty();
    } else {
      if (pending_space) out += ' ';
      pending_space = false;
      out += c;
    }
  }
  return out;
}

}  // namespace xml

namespace {

std::string field_text(std::string_view entry, std::string_view name) {
  auto e = xml::first(entry, name);
  return e ? xml::text(*e) : std::string();
}

// arXiv's words in an error answer: the summary of its error entry, else the body's text (an
// HTML page's words rather than its markup).
std::string arxiv_message(std::string_view body) {
  if (auto feed = xml::first(body, "feed")) {
    for (std::string_view entry : xml::elements(*feed, "entry")) {
      std::string said = field_text(entry, "summary");
      if (!said.empty()) return quote(said, 300);
    }
  }
  if (body.find('<') != std::string_view::npos) return quote(xml::text(body), 300);
  return quote(body, 300);
}

ServiceInfo arxiv_service() {
  return ServiceInfo{.name = "arxiv",
                     .display_name = "arXiv",
                     .key_hint = "",
                     .key_set = false,
                     .base_url_env = "ARXIV_BASE_URL",
                     .message_of = arxiv_message};
}

}  // namespace

std::string arxiv_id_from_url(std::string_view id_url) {
  auto at = id_url.find("/abs/");
  if (at == std::string_view::npos) return {};
  std::string id(id_url.substr(at + 5));
  while (!id.empty() && (id.back() == '/' || std::isspace(static_cast<unsigned char>(id.back()))))
    id.pop_back();
  // Drop a version suffix "v<digits>".
  auto v = id.find_last_of('v');
  if (v != std::string::npos && v + 1 < id.size() && v > 0 &&
      std::all_of(id.begin() + static_cast<std::ptrdiff_t>(v) + 1, id.end(),
                  [](unsigned char c) { return std::isdigit(c); }) &&
      std::isdigit(static_cast<unsigned char>(id[v - 1]))) {
    id.erase(v);
  }
  return id;
}

std::string arxiv_search_query(std::string_view query) {
  std::string cleaned(query);
  for (auto& c : cleaned) {
    if (c == '(' || c == ')' || c == '"' || c == ':') c = ' ';
  }
  std::string out;
  std::size_t pos = 0;
  while (pos < cleaned.size()) {
    while (pos < cleaned.size() && std::isspace(static_cast<unsigned char>(cleaned[pos])))
      ++pos;
    std::size_t end = pos;
    while (end < cleaned.size() && !std::isspace(static_cast<unsigned char>(cleaned[end])))
      ++end;
    std::string_view word(cleaned.data() + pos, end - pos);
    pos = end;
    if (word.empty() || word == "AND" || word == "OR" || word == "ANDNOT") continue;
    if (!out.empty()) out += " AND ";
    out += "all:";
    out += word;
  }
  return out;
}

core::Result<std::vector<Paper>> parse_arxiv_feed(std::string_view body) {
  const ServiceInfo service = arxiv_service();
  auto feed = xml::first(body, "feed");
  if (!feed) return std::unexpected(malformed_body(service, "not a whole Atom feed", body));
  std::vector<Paper> papers;
  for (std::string_view entry : xml::elements(*feed, "entry")) {
    const std::string id_url = field_text(entry, "id");
    if (id_url.find("/api/errors") != std::string::npos) {
      std::string said = field_text(entry, "summary");
      return core::fail(ErrorCode::bad_request,
                        fmt::format("arXiv (arxiv): the query was refused: {} (rephrase the "
                                    "query with plain words)",
                                    said.empty() ? id_url : said));
    }
    Paper p;
    p.source = "arxiv";
    p.title = field_text(entry, "title");
    if (p.title.empty()) continue;
    p.abstract = field_text(entry, "summary");
    for (std::string_view author : xml::elements(entry, "author")) {
      std::string name = field_text(author, "name");
      if (!name.empty()) p.authors.push_back(std::move(name));
    }
    p.arxiv_id = arxiv_id_from_url(id_url);
    if (!p.arxiv_id.empty()) {
      p.url = "https://arxiv.org/abs/" + p.arxiv_id;
    } else {
      p.url = id_url;
    }
    const std::string published = field_text(entry, "published");
    if (published.size() >= 4 && std::all_of(published.begin(), published.begin() + 4,
                                             [](unsigned char c) { return std::isdigit(c); })) {
      p.year = std::stoi(published.substr(0, 4));
    }
    p.doi = field_text(entry, "arxiv:doi");
    p.venue = field_text(entry, "arxiv:journal_ref");
    papers.push_back(std::move(p));
  }
  return papers;
}

Arxiv::Arxiv(core::HttpTransport& transport, core::Clock& clock, ArxivSettings settings)
    : m_transport(transport),
      m_clock(clock),
      m_settings(std::move(settings)),
      m_base_url(base_url_of(m_settings.remote, k_default_base_url)),
      m_limiter(limiter_of(m_settings.remote, clock, k_interval)),
      m_service(arxiv_service()) {}

core::Result<std::vector<Paper>> Arxiv::search(const std::string& query, int limit) {
  const std::string search_query = arxiv_search_query(query);
  if (search_query.empty()) {
    return core::fail(ErrorCode::invalid_argument,
                      fmt::format("arXiv (arxiv): the query \"{}\" has no words to search for",
                                  quote(query, 80)));
  }
  if (limit <= 0) return std::vector<Paper>{};
  const std::string url =
      fmt::format("{}/api/query?search_query={}&start=0&max_results={}", m_base_url,
                  url_encode(search_query), std::min(limit, k_max_limit));
  const std::vector<std::pair<std::string, std::string>> headers{
      {"Accept", "application/atom+xml"}};
  auto papers = TRY(fetch_papers(m_transport, *m_limiter, m_clock, m_settings.remote, m_service,
                                 url, headers, query, limit, parse_arxiv_feed));
  for (auto& p : papers)
    p.bibtex = bibtex_from_metadata(p);
  return papers;
}

}  // namespace literature
