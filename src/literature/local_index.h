#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/literature.h"
#include "store/database.h"

namespace literature {

// What LocalIndex::add did with the papers it was given.
struct AddCounts {
  long long added = 0;    // new records
  long long updated = 0;  // merged into a record already there (whether or not anything changed)
  long long skipped = 0;  // unusable (no title and no identifier)
};

// Identifier normalisation used for dedupe, applied by LocalIndex::add to what it stores:
// DOIs lowercase without "https://doi.org/" / "doi:"; arXiv ids without "arXiv:", the abs/pdf
// URL prefix and the version suffix ("2106.01234v2" -> "2106.01234"); OpenAlex ids without
// "https://openalex.org/" (uppercase "W..."). Empty in, empty out.
std::string normalize_doi(std::string_view doi);
std::string normalize_arxiv_id(std::string_view id);
std::string normalize_openalex_id(std::string_view id);
// Title for dedupe: lowercase ASCII letters and digits and non-ASCII bytes, every other run of
// characters collapsed to one space, trimmed.
std::string normalize_title(std::string_view title);

// The words of a user's free-text query, as FTS5 will see them: runs of ASCII letters/digits
// (and any non-ASCII UTF-8), lowercased, deduplicated, in order; common English stop words are
// dropped unless nothing else is left; at most 32. Everything else (quotes, *, -, :, ^, (),
// operators' punctuation) is a separator, so user text can never form FTS5 syntax.
std::vector<std::string> query_terms(std::string_view query);
// An FTS5 MATCH expression over `terms`: each term a double-quoted string (so "AND", "NEAR",
// "OR" are plain words), joined by AND (`all`) or OR. "" for no terms.
std::string fts_match_expression(const std::vector<std::string>& terms, bool all);

// The offline literature index: one SQLite file with a `papers` table (identifiers with unique
// constraints, metadata, authors as a JSON array) and an FTS5 index over title, abstract and
// authors (porter stemming, diacritics folded), ranked with BM25 weighting title 10, authors 3,
// abstract 1.
//
// Thread-safe: one connection guarded by a mutex. Several processes may share the file (WAL).
class LocalIndex : public core::LiteratureSource {
 public:
  // Opens or creates the index at `path` (creating its parent folders), creating or checking the
  // schema. ":memory:" gives a private in-memory index. Errors: io (with the path).
  static core::Result<std::unique_ptr<LocalIndex>> open(const std::filesystem::path& path);

  // Papers matching `query`, best first, at most `limit` (none for limit <= 0 or a query with no
  // words). Words found in more than half of the papers are left out of the match (BM25 gives
  // them no weight) unless all are. Papers containing all query words come first (by BM25), then,
  // if fewer than `limit`, those containing some of them (by BM25). source is "local"; bibtex is
  // the stored entry or one built from the metadata.
  core::Result<std::vector<core::Paper>> search(const std::string& query, int limit) override;
  std::string name() const override { return "local"; }

  // Upserts `papers` in one transaction. A paper is the same as a stored one when they share any
  // identifier (DOI, arXiv id, S2 id, OpenAlex id), else when their normalised title and year
  // are equal and no identifier of the same kind differs. A match is merged: fields the record
  // lacks are filled from the paper, the higher citation count is kept; records that the paper
  // shows to be one are merged into one. Papers with neither title nor identifier are skipped.
  core::Result<AddCounts> add(const std::vector<core::Paper>& papers);

  // How many papers are stored.
  core::Result<long long> size();

  // The stored paper with this identifier (normalised as above), if any; kind is "doi",
  // "arxiv", "s2" or "openalex".
  core::Result<std::optional<core::Paper>> find(std::string_view kind, std::string_view id);

 private:
  explicit LocalIndex(store::Database db) : m_db(std::move(db)) {}
  core::Result<void> create_schema();
  // `terms` without those found in more than half of the papers (BM25 gives them no weight, and
  // matching them costs a pass over most of the index), keeping at least the rarest one. Terms
  // are looked up unstemmed, so an inflected common word may be kept. Small indexes: unchanged.
  core::Result<std::vector<std::string>> informative_terms(const std::vector<std::string>& terms);

  std::mutex m_mutex;
  store::Database m_db;
  // Document frequency by query term (cleared by add()).
  std::unordered_map<std::string, long long> m_document_frequency;
};

}  // namespace literature
