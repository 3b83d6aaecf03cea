#include "literature/import.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <vector>

namespace literature {

namespace {

using nlohmann::json;

// Collapses runs of whitespace to one space and trims.
std::string clean(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      space = true;
    } else {
      if (space && !out.empty()) out += ' ';
      space = false;
      out += c;
    }
  }
  return out;
}

std::string text_of(const json& j, std::string_view key) {
  if (!j.is_object()) return {};
  const auto it = j.find(key);
  if (it == j.end()) return {};
  if (it->is_string()) return clean(it->get_ref<const std::string&>());
  if (it->is_number_integer()) return std::to_string(it->get<long long>());
  return {};
}

const json* child(const json& j, std::string_view key) {
  if (!j.is_object()) return nullptr;
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return nullptr;
  return &*it;
}

std::optional<long long> integer_of(const json& j, std::string_view key) {
  const json* v = child(j, key);
  if (v == nullptr) return std::nullopt;
  if (v->is_number_integer()) return v->get<long long>();
  if (v->is_number_float()) return static_cast<long long>(v->get<double>());
  if (v->is_string()) {
    const std::string& s = v->get_ref<const std::string&>();
    char* end = nullptr;
    errno = 0;
    const long long n = std::strtoll(s.c_str(), &end, 10);
    if (errno == 0 && end != s.c_str() && *end == '\0') return n;
  }
  return std::nullopt;
}

std::optional<int> year_in(std::string_view text) {
  // The first run of exactly four digits starting with 1 or 2.
  for (size_t i = 0; i + 4 <= text.size(); ++i) {
    auto digit = [&](size_t k) { return std::isdigit(static_cast<unsigned char>(text[k])); };
    if (!digit(i) || !digit(i + 1) || !digit(i + 2) || !digit(i + 3)) continue;
    if (i > 0 && digit(i - 1)) continue;
    if (i + 4 < text.size() && digit(i + 4)) continue;
    if (text[i] != '1' && text[i] != '2') continue;
    return std::stoi(std::string(text.substr(i, 4)));
  }
  return std::nullopt;
}

std::optional<int> year_of(const json& j, std::string_view key) {
  auto n = integer_of(j, key);
  if (n && *n > 0 && *n < 10000) return static_cast<int>(*n);
  return std::nullopt;
}

// "A. Author, B. Author and C. Author" (arXiv's authors string) -> names.
std::vector<std::string> split_author_string(std::string_view text) {
  std::vector<std::string> out;
  std::string s = clean(text);
  // Turn " and " into commas.
  for (size_t at; (at = s.find(" and ")) != std::string::npos;)
    s.replace(at, 5, ", ");
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find(',', start);
    if (end == std::string::npos) end = s.size();
    std::string name = clean(std::string_view(s).substr(start, end - start));
    if (!name.empty()) out.push_back(std::move(name));
    start = end + 1;
  }
  return out;
}

std::optional<core::Paper> from_arxiv(const json& r) {
  core::Paper p;
  p.title = text_of(r, "title");
  p.abstract = text_of(r, "abstract");
  p.arxiv_id = text_of(r, "id");
  p.doi = text_of(r, "doi");
  // A DOI field may list several, separated by spaces; keep the first.
  if (auto space = p.doi.find(' '); space != std::string::npos) p.doi.resize(space);
  p.venue = text_of(r, "journal-ref");
  if (const json* parsed = child(r, "authors_parsed"); parsed && parsed->is_array()) {
    for (const auto& a : *parsed) {
      if (!a.is_array() || a.empty() || !a[0].is_string()) continue;
      std::string family = clean(a[0].get<std::string>());
      std::string given = a.size() > 1 && a[1].is_string() ? clean(a[1].get<std::string>()) : "";
      std::string suffix = a.size() > 2 && a[2].is_string() ? clean(a[2].get<std::string>()) : "";
      std::string name = given.empty() ? family : given + " " + family;
      if (!suffix.empty()) name += " " + suffix;
      if (!family.empty()) p.authors.push_back(std::move(name));
    }
  }
  if (p.authors.empty()) p.authors = split_author_string(text_of(r, "authors"));
  // Year of the first version ("Mon, 2 Apr 2007 19:18:42 GMT"), else of the last update.
  if (const json* versions = child(r, "versions");
      versions && versions->is_array() && !versions->empty()) {
    p.year = year_in(text_of((*versions)[0], "created"));
  }
  if (!p.year) p.year = year_in(text_of(r, "update_date"));
  if (!p.arxiv_id.empty()) p.url = "https://arxiv.org/abs/" + p.arxiv_id;
  return p;
}

std::string rebuild_abstract(const json& inverted) {
  if (!inverted.is_object()) return {};
  std::map<long long, std::string> by_position;
  for (const auto& [word, positions] : inverted.items()) {
    if (!positions.is_array()) continue;
    for (const auto& pos : positions) {
      if (pos.is_number_integer()) by_position[pos.get<long long>()] = word;
    }
  }
  std::string out;
  for (const auto& [pos, word] : by_position) {
    if (!out.empty()) out += ' ';
    out += word;
  }
  return clean(out);
}

std::optional<core::Paper> from_openalex(const json& r) {
  core::Paper p;
  p.title = text_of(r, "title");
  if (p.title.empty()) p.title = text_of(r, "display_name");
  p.openalex_id = text_of(r, "id");
  p.doi = text_of(r, "doi");
  p.year = year_of(r, "publication_year");
  p.citation_count = integer_of(r, "cited_by_count");
  if (const json* authorships = child(r, "authorships"); authorships && authorships->is_array()) {
    for (const auto& a : *authorships) {
      const json* author = child(a, "author");
      std::string name = author ? text_of(*author, "display_name") : "";
      if (name.empty()) name = text_of(a, "raw_author_name");
      if (!name.empty()) p.authors.push_back(std::move(name));
    }
  }
  if (const json* location = child(r, "primary_location")) {
    if (const json* source = child(*location, "source")) p.venue = text_of(*source, "display_name");
    p.url = text_of(*location, "landing_page_url");
  }
  if (p.venue.empty()) {
    if (const json* venue = child(r, "host_venue")) p.venue = text_of(*venue, "display_name");
  }
  if (const json* ids = child(r, "ids")) {
    if (p.doi.empty()) p.doi = text_of(*ids, "doi");
  }
  if (const json* inverted = child(r, "abstract_inverted_index")) {
    p.abstract = rebuild_abstract(*inverted);
  }
  if (p.url.empty() && !p.doi.empty()) {
    p.url = p.doi.starts_with("http") ? p.doi : "https://doi.org/" + p.doi;
  }
  return p;
}

std::optional<core::Paper> from_s2(const json& r) {
  core::Paper p;
  p.title = text_of(r, "title");
  p.abstract = text_of(r, "abstract");
  p.venue = text_of(r, "venue");
  if (p.venue.empty()) {
    if (const json* venue = child(r, "journal")) p.venue = text_of(*venue, "name");
  }
  p.year = year_of(r, "year");
  p.citation_count = integer_of(r, "citationcount");
  if (!p.citation_count) p.citation_count = integer_of(r, "citationCount");
  p.url = text_of(r, "url");
  p.s2_id = text_of(r, "paperId");
  if (p.s2_id.empty()) p.s2_id = text_of(r, "paperid");
  if (p.s2_id.empty()) {
    // The dataset's url is https://www.semanticscholar.org/paper/<paperId>.
    const auto at = p.url.rfind("/paper/");
    if (at != std::string::npos) p.s2_id = p.url.substr(at + 7);
  }
  if (p.s2_id.empty()) {
    const std::string corpus = text_of(r, "corpusid");
    if (!corpus.empty()) p.s2_id = "CorpusId:" + corpus;
  }
  const json* ids = child(r, "externalids");
  if (ids == nullptr) ids = child(r, "externalIds");
  if (ids != nullptr) {
    p.doi = text_of(*ids, "DOI");
    p.arxiv_id = text_of(*ids, "ArXiv");
  }
  if (const json* authors = child(r, "authors"); authors && authors->is_array()) {
    for (const auto& a : *authors) {
      std::string name = a.is_string() ? clean(a.get<std::string>()) : text_of(a, "name");
      if (!name.empty()) p.authors.push_back(std::move(name));
    }
  }
  return p;
}

// Reads a file line by line through zlib (which passes plain files through unchanged).
class LineReader {
 public:
  static core::Result<std::unique_ptr<LineReader>> open(const std::filesystem::path& path) {
    gzFile file = gzopen(path.c_str(), "rb");
    if (file == nullptr) {
      return core::fail(core::ErrorCode::io,
                        fmt::format("cannot open {}: {}", path.string(), std::strerror(errno)));
    }
    gzbuffer(file, 1 << 18);
    return std::unique_ptr<LineReader>(new LineReader(file, path));
  }
  ~LineReader() { gzclose(m_file); }
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  // The next line without its '\n' (and '\r'); nullopt at the end of the file.
  core::Result<std::optional<std::string_view>> next() {
    for (;;) {
      const auto newline = m_buffer.find('\n', m_scan);
      if (newline != std::string::npos) {
        std::string_view line(m_buffer.data() + m_start, newline - m_start);
        m_start = newline + 1;
        m_scan = m_start;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        return std::optional<std::string_view>(line);
      }
      if (m_eof) {
        if (m_start >= m_buffer.size()) return std::optional<std::string_view>();
        std::string_view line(m_buffer.data() + m_start, m_buffer.size() - m_start);
        m_start = m_buffer.size();
        return std::optional<std::string_view>(line);
      }
      // Drop consumed text, then read more.
      m_buffer.erase(0, m_start);
      m_scan = m_buffer.size();
      m_start = 0;
      const size_t old = m_buffer.size();
      m_buffer.resize(old + kChunk);
      const int n = gzread(m_file, m_buffer.data() + old, kChunk);
      if (n < 0) {
        int code = 0;
        const char* message = gzerror(m_file, &code);
        return core::fail(core::ErrorCode::io,
                          fmt::format("reading {}: {}", m_path.string(), message));
      }
      m_buffer.resize(old + static_cast<size_t>(n));
      if (n == 0) {
        int code = 0;
        const char* message = gzerror(m_file, &code);
        if (code != Z_OK && code != Z_STREAM_END) {
          return core::fail(core::ErrorCode::io,
                            fmt::format("reading {}: {}", m_path.string(), message));
        }
        m_eof = true;
      }
    }
  }

  long long bytes_read() const { return static_cast<long long>(gzoffset(m_file)); }

 private:
  static constexpr unsigned kChunk = 1 << 18;
  LineReader(gzFile file, std::filesystem::path path) : m_file(file), m_path(std::move(path)) {}

  gzFile m_file;
  std::filesystem::path m_path;
  std::string m_buffer;
  size_t m_start = 0;  // first byte of the next line
  size_t m_scan = 0;   // where to look for the next '\n'
  bool m_eof = false;
};

}  // namespace

core::Result<Format> parse_format(std::string_view name) {
  if (name == "arxiv") return Format::arxiv;
  if (name == "openalex") return Format::openalex;
  if (name == "s2" || name == "semanticscholar") return Format::s2;
  return core::fail(core::ErrorCode::invalid_argument,
                    fmt::format("unknown import format '{}': use arxiv, openalex or s2", name));
}

std::string_view to_string(Format format) {
  switch (format) {
    case Format::arxiv:
      return "arxiv";
    case Format::openalex:
      return "openalex";
    case Format::s2:
      return "s2";
  }
  return "?";
}

std::optional<core::Paper> paper_from_record(const nlohmann::json& record, Format format) {
  if (!record.is_object()) return std::nullopt;
  try {
    std::optional<core::Paper> paper;
    switch (format) {
      case Format::arxiv:
        paper = from_arxiv(record);
        break;
      case Format::openalex:
        paper = from_openalex(record);
        break;
      case Format::s2:
        paper = from_s2(record);
        break;
    }
    if (!paper || normalize_title(paper->title).empty()) return std::nullopt;
    return paper;
  } catch (const std::exception&) {
    return std::nullopt;  // a field of an unexpected type deep inside
  }
}

core::Result<ImportCounts> import_file(LocalIndex& index, const std::filesystem::path& path,
                                       Format format, const ImportProgress& progress,
                                       ImportOptions options) {
  auto reader = TRY(LineReader::open(path));
  ImportCounts counts;
  std::vector<core::Paper> batch;
  const size_t batch_size = static_cast<size_t>(std::max(1, options.batch_size));
  batch.reserve(batch_size);
  auto flush = [&]() -> core::Result<void> {
    if (batch.empty()) return {};
    const AddCounts added = TRY(index.add(batch));
    counts.added += added.added;
    counts.updated += added.updated;
    counts.skipped += added.skipped;
    batch.clear();
    if (progress) progress(counts, reader->bytes_read());
    return {};
  };
  for (;;) {
    auto line = TRY(reader->next());
    if (!line) break;
    if (line->find_first_not_of(" \t\r") == std::string_view::npos) continue;
    ++counts.read;
    const auto record = nlohmann::json::parse(*line, nullptr, false);
    auto paper = record.is_discarded() ? std::nullopt : paper_from_record(record, format);
    if (!paper) {
      ++counts.skipped;
      continue;
    }
    batch.push_back(std::move(*paper));
    if (batch.size() >= batch_size) TRY_VOID(flush());
  }
  TRY_VOID(flush());
  return counts;
}

}  // namespace literature
