#include "cli/literature_sources.h"

#include <iostream>

#include <fmt/format.h>

#include "cli/paths.h"

#include "literature/arxiv.h"
#include "literature/auto_source.h"
#include "literature/cached_source.h"
#include "literature/openalex.h"
#include "literature/semantic_scholar.h"

namespace cli {

core::Result<std::unique_ptr<core::LiteratureSource>> remote_source(const std::string& name,
                                                                    const core::Environment& env,
                                                                    core::HttpTransport& transport,
                                                                    core::Clock& clock) {
  auto notice = [](std::string_view m) { std::cerr << "note: " << m << '\n'; };
  if (name == "s2") {
    literature::SemanticScholarSettings s;
    s.api_key = env.get_or("S2_API_KEY", "");
    s.remote.base_url = env.get_or("S2_BASE_URL", "");
    s.remote.notice = notice;
    return std::make_unique<literature::SemanticScholar>(transport, clock, s);
  }
  if (name == "openalex") {
    literature::OpenAlexSettings s;
    s.mailto = env.get_or("OPENALEX_MAILTO", "");
    s.api_key = env.get_or("OPENALEX_API_KEY", "");
    s.remote.base_url = env.get_or("OPENALEX_BASE_URL", "");
    s.remote.notice = notice;
    return std::make_unique<literature::OpenAlex>(transport, clock, s);
  }
  if (name == "arxiv") {
    literature::ArxivSettings s;
    s.remote.base_url = env.get_or("ARXIV_BASE_URL", "");
    s.remote.notice = notice;
    return std::make_unique<literature::Arxiv>(transport, clock, s);
  }
  if (name == "local") return std::unique_ptr<core::LiteratureSource>();
  return core::fail(
      core::ErrorCode::invalid_argument,
      fmt::format("unknown literature source '{}': local, s2, openalex or arxiv", name));
}

std::filesystem::path literature_db_path(const std::string& flag, const core::Environment& env) {
  return flag.empty() ? user_data_dir(env) / "literature.sqlite" : std::filesystem::path(flag);
}

core::Result<std::shared_ptr<literature::LocalIndex>> open_literature_index(
    const std::string& flag, const core::Environment& env) {
  const std::filesystem::path db = literature_db_path(flag, env);
  std::error_code ec;
  if (db.has_parent_path()) std::filesystem::create_directories(db.parent_path(), ec);
  std::shared_ptr<literature::LocalIndex> index = TRY(literature::LocalIndex::open(db));
  return index;
}

core::Result<std::shared_ptr<core::LiteratureSource>> literature_source(
    const std::string& name, const core::Environment& env, core::HttpTransport& transport,
    core::Clock& clock, std::shared_ptr<literature::LocalIndex> index,
    const std::filesystem::path& db) {
  if (name == "local") return std::shared_ptr<core::LiteratureSource>(index);
  auto cached =
      [&](const std::string& remote_name) -> core::Result<std::shared_ptr<core::LiteratureSource>> {
    std::shared_ptr<core::LiteratureSource> remote =
        TRY(remote_source(remote_name, env, transport, clock));
    literature::CacheOptions options;
    options.index = index;
    std::shared_ptr<core::LiteratureSource> source =
        TRY(literature::CachedSource::open(std::move(remote), db, options));
    return source;
  };
  if (name != "auto") return cached(name);
  std::vector<std::shared_ptr<core::LiteratureSource>> sources;
  for (const char* remote_name : {"s2", "openalex", "arxiv"})
    sources.push_back(TRY(cached(remote_name)));
  sources.push_back(index);
  literature::AutoOptions options;
  options.empty_falls_through = true;
  return std::shared_ptr<core::LiteratureSource>(
      std::make_shared<literature::AutoSource>(std::move(sources), clock, options));
}

}  // namespace cli
