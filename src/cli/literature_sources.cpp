#include "cli/literature_sources.h"

#include <iostream>

#include <fmt/format.h>

#include "literature/arxiv.h"
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

}  // namespace cli
