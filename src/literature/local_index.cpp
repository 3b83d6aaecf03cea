#include "literature/local_index.h"
#include "core/text.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_set>

#include "core/json.h"
#include "literature/bibtex.h"

namespace literature {

namespace {

using core::trim;

constexpr int kSchemaVersion = 1;

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS papers (
  id INTEGER PRIMARY KEY,
  doi TEXT UNIQUE,
  arxiv_id TEXT UNIQUE,
  s2_id TEXT UNIQUE,
  openalex_id TEXT UNIQUE,
  title_key TEXT NOT NULL,
  title TEXT NOT NULL DEFAULT '',
  authors TEXT NOT NULL DEFAULT '[]',
  venue TEXT NOT NULL DEFAULT '',
  year INTEGER,
  abstract TEXT NOT NULL DEFAULT '',
  citation_count INTEGER,
  url TEXT NOT NULL DEFAULT '',
  bibtex TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS papers_title_key ON papers(title_key);
CREATE VIRTUAL TABLE IF NOT EXISTS papers_fts USING fts5(
  title, abstract, authors,
  content='papers', content_rowid='id',
  tokenize='porter unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE IF NOT EXISTS papers_vocab USING fts5vocab(papers_fts, 'row');
CREATE TRIGGER IF NOT EXISTS papers_fts_insert AFTER INSERT ON papers BEGIN
  INSERT INTO papers_fts(rowid, title, abstract, authors)
    VALUES (new.id, new.title, new.abstract, new.authors);
END;
CREATE TRIGGER IF NOT EXISTS papers_fts_delete AFTER DELETE ON papers BEGIN
  INSERT INTO papers_fts(papers_fts, rowid, title, abstract, authors)
    VALUES ('delete', old.id, old.title, old.abstract, old.authors);
END;
CREATE TRIGGER IF NOT EXISTS papers_fts_update AFTER UPDATE OF title, abstract, authors ON papers
WHEN old.title IS NOT new.title OR old.abstract IS NOT new.abstract
  OR old.authors IS NOT new.authors BEGIN
  INSERT INTO papers_fts(papers_fts, rowid, title, abstract, authors)
    VALUES ('delete', old.id, old.title, old.abstract, old.authors);
  INSERT INTO papers_fts(rowid, title, abstract, authors)
    VALUES (new.id, new.title, new.abstract, new.authors);
END;
)sql";

constexpr std::string_view kColumns =
    "id, doi, arxiv_id, s2_id, openalex_id, title, authors, venue, year, abstract, "
    "citation_count, url, bibtex";

std::string lower_ascii(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool strip_prefix_ci(std::string_view& text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  if (lower_ascii(text.substr(0, prefix.size())) != prefix) return false;
  text.remove_prefix(prefix.size());
  return true;
}

bool is_word_byte(unsigned char c) {
  return std::isalnum(c) || c >= 0x80;
}

const std::unordered_set<std::string>& stop_words() {
  static const std::unordered_set<std::string> words = {
      "a",    "an",   "and", "are", "as",  "at",   "be",   "by",    "for",  "from",   "how",
      "in",   "into", "is",  "it",  "its", "of",   "on",   "or",    "that", "the",    "their",
      "this", "to",   "via", "was", "we",  "what", "when", "which", "with", "without"};
  return words;
}

std::string authors_json(const std::vector<std::string>& authors) {
  return core::dump_json(nlohmann::json(authors));
}

std::vector<std::string> parse_authors(const std::string& text) {
  std::vector<std::string> out;
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& a : j) {
    if (a.is_string()) out.push_back(a.get<std::string>());
  }
  return out;
}

std::string title_key(const core::Paper& p) {
  return normalize_title(p.title) + "|" + (p.year ? std::to_string(*p.year) : std::string());
}

core::Paper read_paper(const store::Statement& s) {
  core::Paper p;
  p.doi = s.column_text(1);
  p.arxiv_id = s.column_text(2);
  p.s2_id = s.column_text(3);
  p.openalex_id = s.column_text(4);
  p.title = s.column_text(5);
  p.authors = parse_authors(s.column_text(6));
  p.venue = s.column_text(7);
  if (auto y = s.column_optional_int64(8)) p.year = static_cast<int>(*y);
  p.abstract = s.column_text(9);
  p.citation_count = s.column_optional_int64(10);
  p.url = s.column_text(11);
  p.bibtex = s.column_text(12);
  p.source = "local";
  return p;
}

void fill(std::string& into, const std::string& from) {
  if (into.empty()) into = from;
}

// Fills what `into` lacks from `from`; keeps the higher citation count.
void merge(core::Paper& into, const core::Paper& from) {
  fill(into.doi, from.doi);
  fill(into.arxiv_id, from.arxiv_id);
  fill(into.s2_id, from.s2_id);
  fill(into.openalex_id, from.openalex_id);
  fill(into.title, from.title);
  if (into.authors.empty()) into.authors = from.authors;
  fill(into.venue, from.venue);
  if (!into.year) into.year = from.year;
  fill(into.abstract, from.abstract);
  if (from.citation_count && (!into.citation_count || *from.citation_count > *into.citation_count))
    into.citation_count = from.citation_count;
  fill(into.url, from.url);
  fill(into.bibtex, from.bibtex);
}

bool same_record(const core::Paper& a, const core::Paper& b) {
  return a.doi == b.doi && a.arxiv_id == b.arxiv_id && a.s2_id == b.s2_id &&
         a.openalex_id == b.openalex_id && a.title == b.title && a.authors == b.authors &&
         a.venue == b.venue && a.year == b.year && a.abstract == b.abstract &&
         a.citation_count == b.citation_count && a.url == b.url && a.bibtex == b.bibtex;
}

core::Result<void> bind_record(store::Statement& s, const core::Paper& p) {
  TRY_VOID(s.bind_text_or_null(1, p.doi));
  TRY_VOID(s.bind_text_or_null(2, p.arxiv_id));
  TRY_VOID(s.bind_text_or_null(3, p.s2_id));
  TRY_VOID(s.bind_text_or_null(4, p.openalex_id));
  TRY_VOID(s.bind(5, title_key(p)));
  TRY_VOID(s.bind(6, p.title));
  TRY_VOID(s.bind(7, authors_json(p.authors)));
  TRY_VOID(s.bind(8, p.venue));
  TRY_VOID(s.bind(9, p.year));
  TRY_VOID(s.bind(10, p.abstract));
  TRY_VOID(s.bind(11, p.citation_count));
  TRY_VOID(s.bind(12, p.url));
  TRY_VOID(s.bind(13, p.bibtex));
  return {};
}

}  // namespace

std::string normalize_doi(std::string_view doi) {
  doi = trim(doi);
  for (auto prefix : {"https://doi.org/", "http://doi.org/", "https://dx.doi.org/",
                      "http://dx.doi.org/", "doi:"}) {
    if (strip_prefix_ci(doi, prefix)) break;
  }
  return lower_ascii(trim(doi));
}

std::string normalize_arxiv_id(std::string_view id) {
  id = trim(id);
  for (auto prefix : {"https://arxiv.org/abs/", "http://arxiv.org/abs/", "https://arxiv.org/pdf/",
                      "http://arxiv.org/pdf/", "arxiv:"}) {
    if (strip_prefix_ci(id, prefix)) break;
  }
  if (id.size() > 4 && id.substr(id.size() - 4) == ".pdf") id.remove_suffix(4);
  // Version suffix: 'v' followed by digits at the end, after a digit.
  size_t end = id.size();
  while (end > 0 && std::isdigit(static_cast<unsigned char>(id[end - 1])))
    --end;
  if (end < id.size() && end >= 2 && (id[end - 1] == 'v' || id[end - 1] == 'V') &&
      std::isdigit(static_cast<unsigned char>(id[end - 2]))) {
    id = id.substr(0, end - 1);
  }
  return std::string(id);
}

std::string normalize_openalex_id(std::string_view id) {
  id = trim(id);
  for (auto prefix : {"https://openalex.org/", "http://openalex.org/"}) {
    if (strip_prefix_ci(id, prefix)) break;
  }
  std::string out(id);
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

std::string normalize_title(std::string_view title) {
  std::string out;
  bool pending_space = false;
  for (char ch : title) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_word_byte(c)) {
      if (pending_space && !out.empty()) out += ' ';
      pending_space = false;
      out += static_cast<char>(std::tolower(c));
    } else {
      pending_space = true;
    }
  }
  return out;
}

std::vector<std::string> query_terms(std::string_view query) {
  std::vector<std::string> words;
  std::set<std::string> seen;
  size_t i = 0;
  while (i < query.size()) {
    while (i < query.size() && !is_word_byte(static_cast<unsigned char>(query[i])))
      ++i;
    const size_t start = i;
    while (i < query.size() && is_word_byte(static_cast<unsigned char>(query[i])))
      ++i;
    if (i > start) {
      std::string word = lower_ascii(query.substr(start, i - start));
      if (seen.insert(word).second) words.push_back(std::move(word));
    }
  }
  std::vector<std::string> kept;
  for (const auto& w : words) {
    if (!stop_words().contains(w)) kept.push_back(w);
  }
  if (kept.empty()) kept = std::move(words);
  if (kept.size() > 32) kept.resize(32);
  return kept;
}

std::string fts_match_expression(const std::vector<std::string>& terms, bool all) {
  std::string out;
  for (const auto& term : terms) {
    if (!out.empty()) out += all ? " AND " : " OR ";
    out += '"';
    for (char c : term) {
      out += c;
      if (c == '"') out += '"';
    }
    out += '"';
  }
  return out;
}

core::Result<std::unique_ptr<LocalIndex>> LocalIndex::open(const std::filesystem::path& path) {
  if (path != ":memory:" && path.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) {
      return core::fail(core::ErrorCode::io,
                        fmt::format("creating the folder of {}: {}", path.string(), ec.message()));
    }
  }
  auto db = TRY(store::Database::open(path));
  std::unique_ptr<LocalIndex> index(new LocalIndex(std::move(db)));
  TRY_VOID(index->create_schema());
  return index;
}

core::Result<void> LocalIndex::create_schema() {
  auto version_stmt = TRY(m_db.prepare("PRAGMA user_version"));
  const long long version = TRY(version_stmt.step()) ? version_stmt.column_int64(0) : 0;
  if (version > kSchemaVersion) {
    return core::fail(core::ErrorCode::io,
                      fmt::format("{} has literature index schema version {}, newer than this "
                                  "program's {}; use a newer ai-scientist or another --lit-db",
                                  m_db.path().string(), version, kSchemaVersion));
  }
  if (version == kSchemaVersion) return {};
  auto tx = TRY(m_db.begin());
  TRY_VOID(m_db.exec(kSchema));
  TRY_VOID(m_db.exec(
      "INSERT INTO papers_fts(papers_fts, rank) VALUES ('rank', 'bm25(10.0, 1.0, 3.0)')"));
  TRY_VOID(m_db.exec(fmt::format("PRAGMA user_version = {}", kSchemaVersion)));
  return tx.commit();
}

core::Result<long long> LocalIndex::size() {
  std::lock_guard lock(m_mutex);
  auto s = TRY(m_db.prepare("SELECT count(*) FROM papers"));
  TRY(s.step());
  return s.column_int64(0);
}

core::Result<std::optional<core::Paper>> LocalIndex::find(std::string_view kind,
                                                          std::string_view id) {
  std::string column;
  std::string value;
  if (kind == "doi") {
    column = "doi", value = normalize_doi(id);
  } else if (kind == "arxiv") {
    column = "arxiv_id", value = normalize_arxiv_id(id);
  } else if (kind == "s2") {
    column = "s2_id", value = std::string(trim(id));
  } else if (kind == "openalex") {
    column = "openalex_id", value = normalize_openalex_id(id);
  } else {
    return core::fail(core::ErrorCode::invalid_argument,
                      fmt::format("unknown identifier kind '{}' (doi, arxiv, s2, openalex)", kind));
  }
  std::lock_guard lock(m_mutex);
  auto s = TRY(m_db.prepare(fmt::format("SELECT {} FROM papers WHERE {} = ?1", kColumns, column)));
  TRY_VOID(s.bind(1, value));
  if (!TRY(s.step())) return std::optional<core::Paper>();
  core::Paper p = read_paper(s);
  if (p.bibtex.empty()) p.bibtex = bibtex_from_metadata(p);
  return std::optional<core::Paper>(std::move(p));
}

core::Result<AddCounts> LocalIndex::add(const std::vector<core::Paper>& papers) {
  std::lock_guard lock(m_mutex);
  AddCounts counts;
  auto by_id = TRY(m_db.prepare(
      "SELECT id FROM papers WHERE doi = ?1 UNION SELECT id FROM papers WHERE arxiv_id = ?2 "
      "UNION SELECT id FROM papers WHERE s2_id = ?3 UNION SELECT id FROM papers WHERE "
      "openalex_id = ?4"));
  auto by_title = TRY(
      m_db.prepare("SELECT id FROM papers WHERE title_key = ?1 AND (doi IS NULL OR ?2 IS NULL) AND "
                   "(arxiv_id IS NULL OR ?3 IS NULL) AND (s2_id IS NULL OR ?4 IS NULL) AND "
                   "(openalex_id IS NULL OR ?5 IS NULL) ORDER BY id LIMIT 1"));
  auto load = TRY(m_db.prepare(fmt::format("SELECT {} FROM papers WHERE id = ?1", kColumns)));
  auto remove = TRY(m_db.prepare("DELETE FROM papers WHERE id = ?1"));
  auto insert = TRY(m_db.prepare(
      "INSERT INTO papers (doi, arxiv_id, s2_id, openalex_id, title_key, title, authors, venue, "
      "year, abstract, citation_count, url, bibtex) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"));
  auto update = TRY(m_db.prepare(
      "UPDATE papers SET doi = ?1, arxiv_id = ?2, s2_id = ?3, openalex_id = ?4, title_key = ?5, "
      "title = ?6, authors = ?7, venue = ?8, year = ?9, abstract = ?10, citation_count = ?11, "
      "url = ?12, bibtex = ?13 WHERE id = ?14"));

  auto tx = TRY(m_db.begin());
  m_document_frequency.clear();
  for (const core::Paper& original : papers) {
    core::Paper paper = original;
    paper.doi = normalize_doi(paper.doi);
    paper.arxiv_id = normalize_arxiv_id(paper.arxiv_id);
    paper.s2_id = std::string(trim(paper.s2_id));
    paper.openalex_id = normalize_openalex_id(paper.openalex_id);
    paper.source.clear();
    const bool has_id = !paper.doi.empty() || !paper.arxiv_id.empty() || !paper.s2_id.empty() ||
                        !paper.openalex_id.empty();
    if (normalize_title(paper.title).empty() && !has_id) {
      ++counts.skipped;
      continue;
    }

    std::vector<long long> matches;
    if (has_id) {
      by_id.reset();
      TRY_VOID(by_id.bind_text_or_null(1, paper.doi));
      TRY_VOID(by_id.bind_text_or_null(2, paper.arxiv_id));
      TRY_VOID(by_id.bind_text_or_null(3, paper.s2_id));
      TRY_VOID(by_id.bind_text_or_null(4, paper.openalex_id));
      while (TRY(by_id.step()))
        matches.push_back(by_id.column_int64(0));
    }
    if (matches.empty() && !normalize_title(paper.title).empty()) {
      by_title.reset();
      TRY_VOID(by_title.bind(1, title_key(paper)));
      TRY_VOID(by_title.bind_text_or_null(2, paper.doi));
      TRY_VOID(by_title.bind_text_or_null(3, paper.arxiv_id));
      TRY_VOID(by_title.bind_text_or_null(4, paper.s2_id));
      TRY_VOID(by_title.bind_text_or_null(5, paper.openalex_id));
      if (TRY(by_title.step())) matches.push_back(by_title.column_int64(0));
    }

    if (matches.empty()) {
      insert.reset();
      TRY_VOID(bind_record(insert, paper));
      TRY_VOID(insert.run());
      ++counts.added;
      continue;
    }

    std::sort(matches.begin(), matches.end());
    core::Paper merged;
    core::Paper before;
    for (size_t i = 0; i < matches.size(); ++i) {
      load.reset();
      TRY_VOID(load.bind(1, matches[i]));
      if (!TRY(load.step())) continue;
      core::Paper stored = read_paper(load);
      stored.source.clear();
      if (i == 0) {
        merged = stored;
        before = std::move(stored);
      } else {
        merge(merged, stored);
        // Free its identifiers before the surviving record takes them.
        remove.reset();
        TRY_VOID(remove.bind(1, matches[i]));
        TRY_VOID(remove.run());
      }
    }
    merge(merged, paper);
    if (matches.size() > 1 || !same_record(merged, before)) {
      update.reset();
      TRY_VOID(bind_record(update, merged));
      TRY_VOID(update.bind(14, matches.front()));
      TRY_VOID(update.run());
    }
    ++counts.updated;
  }
  TRY_VOID(tx.commit());
  return counts;
}

core::Result<std::vector<std::string>> LocalIndex::informative_terms(
    const std::vector<std::string>& terms) {
  if (terms.size() < 2) return terms;
  auto max_id = TRY(m_db.prepare("SELECT max(id) FROM papers"));
  const long long documents = TRY(max_id.step()) ? max_id.column_int64(0) : 0;
  if (documents < 1000) return terms;  // small: nothing worth saving
  auto doc_count = TRY(m_db.prepare("SELECT doc FROM papers_vocab WHERE term = ?1"));
  std::vector<std::pair<long long, std::string>> counted;
  for (const auto& term : terms) {
    auto cached = m_document_frequency.find(term);
    long long df = 0;
    if (cached != m_document_frequency.end()) {
      df = cached->second;
    } else {
      doc_count.reset();
      TRY_VOID(doc_count.bind(1, term));
      if (TRY(doc_count.step())) df = doc_count.column_int64(0);
      doc_count.reset();
      if (m_document_frequency.size() > 100000) m_document_frequency.clear();
      m_document_frequency.emplace(term, df);
    }
    counted.emplace_back(df, term);
  }
  std::vector<std::string> kept;
  for (const auto& [df, term] : counted) {
    if (df * 2 <= documents) kept.push_back(term);
  }
  if (kept.empty()) {
    kept.push_back(std::min_element(counted.begin(), counted.end())->second);
  }
  return kept;
}

core::Result<std::vector<core::Paper>> LocalIndex::search(const std::string& query, int limit) {
  std::vector<core::Paper> results;
  const std::vector<std::string> all_terms = query_terms(query);
  if (limit <= 0 || all_terms.empty()) return results;

  std::lock_guard lock(m_mutex);
  const std::vector<std::string> terms = TRY(informative_terms(all_terms));
  auto s = TRY(m_db.prepare(fmt::format(
      "SELECT {} FROM papers JOIN (SELECT rowid AS hit, rank FROM papers_fts WHERE papers_fts "
      "MATCH ?1 ORDER BY rank LIMIT ?2) ON papers.id = hit ORDER BY rank, papers.id",
      kColumns)));
  std::set<long long> seen;
  auto run_query = [&](bool all) -> core::Result<void> {
    s.reset();
    TRY_VOID(s.bind(1, fts_match_expression(terms, all)));
    // Ask for enough rows to fill the page after dropping those already found.
    TRY_VOID(s.bind(2, static_cast<long long>(limit) + static_cast<long long>(seen.size())));
    while (TRY(s.step())) {
      if (static_cast<int>(results.size()) >= limit) break;
      const long long id = s.column_int64(0);
      if (!seen.insert(id).second) continue;
      results.push_back(read_paper(s));
    }
    s.reset();
    return {};
  };
  TRY_VOID(run_query(true));
  if (terms.size() > 1 && static_cast<int>(results.size()) < limit) TRY_VOID(run_query(false));
  for (auto& p : results) {
    if (p.bibtex.empty()) p.bibtex = bibtex_from_metadata(p);
  }
  return results;
}

}  // namespace literature
