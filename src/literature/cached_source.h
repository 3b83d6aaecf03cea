#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/literature.h"
#include "literature/local_index.h"
#include "store/database.h"

namespace literature {

// A Paper as a JSON object with every field: "title", "authors" (array), "venue", "year" (number
// or null), "abstract", "citation_count" (number or null), "doi", "arxiv_id", "s2_id",
// "openalex_id", "url", "bibtex", "source".
nlohmann::json paper_to_json(const core::Paper& paper);
// The inverse of paper_to_json. Missing keys and nulls give empty fields; a value of the wrong
// type (or a non-object) is a parse Error.
core::Result<core::Paper> paper_from_json(const nlohmann::json& json);

// The cache key form of a query: ASCII lowercased, runs of whitespace collapsed to one space,
// trimmed. "  Deep   Learning " and "deep learning" share a cache entry.
std::string normalize_cache_query(std::string_view query);

struct CacheOptions {
  // Entries older than this are refetched (and replaced). Zero or less: never served.
  std::chrono::seconds max_age{std::chrono::hours(24 * 30)};
  // Wall-clock seconds since the Unix epoch, stored as fetched_at (entries outlive the process,
  // so this is not a monotonic clock). Empty: the system clock. Tests inject their own.
  std::function<std::int64_t()> now_seconds;
  // When set, papers fetched from the wrapped source (not those served from the cache, and never
  // when the wrapped source is itself "local") are added to this index. Failure to add is ignored.
  std::shared_ptr<LocalIndex> index;
};

// A LiteratureSource that answers from a SQLite cache when it can and asks the wrapped source
// otherwise. The table is
//   lit_cache(source, query_normalised, "limit", fetched_at, papers_json)
// keyed by (source name, normalize_cache_query(query), limit): a different limit is a different
// entry. A fresh entry (age <= max_age) is served without calling the wrapped source; a missing,
// stale or unreadable entry means one call to it, whose successful answer (empty included)
// replaces the entry. Failed answers are never cached. A cache read or write failure never fails
// a search: the wrapped source's answer is returned regardless. limit <= 0 is passed through
// uncached.
//
// Thread-safe: the Database is used under this object's mutex, which is not held while the
// wrapped source is asked (two threads missing the same key may both ask it). Nothing else may
// use the same Database object concurrently; open a second Database on the same file instead
// (SQLite WAL handles that, across processes too).
class CachedSource : public core::LiteratureSource {
 public:
  // Wraps `inner` (non-null) with a cache in `db` (non-null), creating the table when missing.
  // Errors: io (the table could not be created).
  static core::Result<std::unique_ptr<CachedSource>> open(
      std::shared_ptr<core::LiteratureSource> inner, std::shared_ptr<store::Database> db,
      CacheOptions options = {});
  // The same with its own connection to the SQLite file at `path` (":memory:" for a private one).
  static core::Result<std::unique_ptr<CachedSource>> open(
      std::shared_ptr<core::LiteratureSource> inner, const std::filesystem::path& path,
      CacheOptions options = {});

  core::Result<std::vector<core::Paper>> search(const std::string& query, int limit) override;
  // The wrapped source's name: caching does not change who answers.
  std::string name() const override { return m_inner->name(); }

  // How many searches were answered from the cache / by the wrapped source (for logs and tests).
  long long hits() const;
  long long misses() const;

 private:
  CachedSource(std::shared_ptr<core::LiteratureSource> inner, std::shared_ptr<store::Database> db,
               CacheOptions options)
      : m_inner(std::move(inner)), m_db(std::move(db)), m_options(std::move(options)) {}
  std::int64_t now() const;
  // A fresh entry for the key, or nullopt (missing, stale, unreadable).
  std::optional<std::vector<core::Paper>> lookup(const std::string& source, const std::string& key,
                                                 int limit);
  void store(const std::string& source, const std::string& key, int limit,
             const std::vector<core::Paper>& papers);

  std::shared_ptr<core::LiteratureSource> m_inner;
  std::shared_ptr<store::Database> m_db;
  CacheOptions m_options;
  mutable std::mutex m_mutex;
  long long m_hits = 0;
  long long m_misses = 0;
};

}  // namespace literature
