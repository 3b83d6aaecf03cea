#include "literature/cached_source.h"

#include <chrono>
#include <utility>

#include "core/json.h"

namespace literature {

namespace {

const char* const kSchema =
    "CREATE TABLE IF NOT EXISTS lit_cache ("
    " source TEXT NOT NULL,"
    " query_normalised TEXT NOT NULL,"
    " \"limit\" INTEGER NOT NULL,"
    " fetched_at INTEGER NOT NULL,"
    " papers_json TEXT NOT NULL,"
    " PRIMARY KEY (source, query_normalised, \"limit\"))";

// The string at `key`, "" when missing or null; throws nlohmann's type_error for other types.
std::string text_field(const nlohmann::json& json, const char* key) {
  auto it = json.find(key);
  if (it == json.end() || it->is_null()) return {};
  return it->get<std::string>();
}

template <typename T>
std::optional<T> number_field(const nlohmann::json& json, const char* key) {
  auto it = json.find(key);
  if (it == json.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer()) {
    throw nlohmann::json::type_error::create(302, std::string(key) + " is not an integer", &*it);
  }
  return it->get<T>();
}

}  // namespace

nlohmann::json paper_to_json(const core::Paper& paper) {
  nlohmann::json j = nlohmann::json::object();
  j["title"] = paper.title;
  j["authors"] = paper.authors;
  j["venue"] = paper.venue;
  j["year"] = paper.year ? nlohmann::json(*paper.year) : nlohmann::json(nullptr);
  j["abstract"] = paper.abstract;
  j["citation_count"] =
      paper.citation_count ? nlohmann::json(*paper.citation_count) : nlohmann::json(nullptr);
  j["doi"] = paper.doi;
  j["arxiv_id"] = paper.arxiv_id;
  j["s2_id"] = paper.s2_id;
  j["openalex_id"] = paper.openalex_id;
  j["url"] = paper.url;
  j["bibtex"] = paper.bibtex;
  j["source"] = paper.source;
  return j;
}

core::Result<core::Paper> paper_from_json(const nlohmann::json& json) {
  if (!json.is_object()) return core::fail(core::ErrorCode::parse, "paper: not a JSON object");
  try {
    core::Paper p;
    p.title = text_field(json, "title");
    if (auto it = json.find("authors"); it != json.end() && !it->is_null()) {
      p.authors = it->get<std::vector<std::string>>();
    }
    p.venue = text_field(json, "venue");
    p.year = number_field<int>(json, "year");
    p.abstract = text_field(json, "abstract");
    p.citation_count = number_field<long long>(json, "citation_count");
    p.doi = text_field(json, "doi");
    p.arxiv_id = text_field(json, "arxiv_id");
    p.s2_id = text_field(json, "s2_id");
    p.openalex_id = text_field(json, "openalex_id");
    p.url = text_field(json, "url");
    p.bibtex = text_field(json, "bibtex");
    p.source = text_field(json, "source");
    return p;
  } catch (const nlohmann::json::exception& e) {
    return core::fail(core::ErrorCode::parse, std::string("paper: ") + e.what());
  }
}

std::string normalize_cache_query(std::string_view query) {
  std::string out;
  out.reserve(query.size());
  bool pending_space = false;
  for (char c : query) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  return out;
}

core::Result<std::unique_ptr<CachedSource>> CachedSource::open(
    std::shared_ptr<core::LiteratureSource> inner, std::shared_ptr<store::Database> db,
    CacheOptions options) {
  if (!inner || !db) return core::fail(core::ErrorCode::internal, "CachedSource: null argument");
  TRY_VOID(db->exec(kSchema));
  return std::unique_ptr<CachedSource>(
      new CachedSource(std::move(inner), std::move(db), std::move(options)));
}

core::Result<std::unique_ptr<CachedSource>> CachedSource::open(
    std::shared_ptr<core::LiteratureSource> inner, const std::filesystem::path& path,
    CacheOptions options) {
  if (path != ":memory:" && path.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
  }
  auto db = TRY(store::Database::open(path));
  return open(std::move(inner), std::make_shared<store::Database>(std::move(db)),
              std::move(options));
}

std::int64_t CachedSource::now() const {
  if (m_options.now_seconds) return m_options.now_seconds();
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

long long CachedSource::hits() const {
  std::lock_guard lock(m_mutex);
  return m_hits;
}

long long CachedSource::misses() const {
  std::lock_guard lock(m_mutex);
  return m_misses;
}

std::optional<std::vector<core::Paper>> CachedSource::lookup(const std::string& source,
                                                             const std::string& key, int limit) {
  if (m_options.max_age.count() <= 0) return std::nullopt;
  auto stmt = m_db->prepare(
      "SELECT fetched_at, papers_json FROM lit_cache"
      " WHERE source = ?1 AND query_normalised = ?2 AND \"limit\" = ?3");
  if (!stmt || !stmt->bind(1, source) || !stmt->bind(2, key) || !stmt->bind(3, limit)) {
    return std::nullopt;
  }
  auto row = stmt->step();
  if (!row || !*row) return std::nullopt;
  const std::int64_t age = now() - stmt->column_int64(0);
  if (age > m_options.max_age.count()) return std::nullopt;
  const nlohmann::json parsed =
      nlohmann::json::parse(stmt->column_text(1), nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_array()) return std::nullopt;
  std::vector<core::Paper> papers;
  papers.reserve(parsed.size());
  for (const auto& item : parsed) {
    auto paper = paper_from_json(item);
    if (!paper) return std::nullopt;
    papers.push_back(std::move(*paper));
  }
  return papers;
}

void CachedSource::store(const std::string& source, const std::string& key, int limit,
                         const std::vector<core::Paper>& papers) {
  nlohmann::json array = nlohmann::json::array();
  for (const auto& p : papers)
    array.push_back(paper_to_json(p));
  auto stmt = m_db->prepare(
      "INSERT OR REPLACE INTO lit_cache"
      " (source, query_normalised, \"limit\", fetched_at, papers_json)"
      " VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!stmt) return;
  if (!stmt->bind(1, source) || !stmt->bind(2, key) || !stmt->bind(3, limit) ||
      !stmt->bind(4, static_cast<long long>(now())) || !stmt->bind(5, core::dump_json(array))) {
    return;
  }
  (void)stmt->run();  // best effort: a failed write only costs a refetch later
}

core::Result<std::vector<core::Paper>> CachedSource::search(const std::string& query, int limit) {
  if (limit <= 0) return m_inner->search(query, limit);
  const std::string source = m_inner->name();
  const std::string key = normalize_cache_query(query);
  {
    std::lock_guard lock(m_mutex);
    if (auto cached = lookup(source, key, limit)) {
      ++m_hits;
      return std::move(*cached);
    }
    ++m_misses;
  }
  auto papers = TRY(m_inner->search(query, limit));
  {
    std::lock_guard lock(m_mutex);
    store(source, key, limit, papers);
  }
  if (m_options.index && source != "local" && !papers.empty()) {
    (void)m_options.index->add(papers);  // best effort, as documented
  }
  return papers;
}

}  // namespace literature
