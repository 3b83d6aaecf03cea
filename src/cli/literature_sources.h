#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/environment.h"
#include "core/http.h"
#include "core/literature.h"
#include "literature/local_index.h"

namespace cli {

// The remote literature source called `name` ("s2", "openalex" or "arxiv"), configured from the
// environment (S2_API_KEY, S2_BASE_URL, OPENALEX_MAILTO, OPENALEX_API_KEY, OPENALEX_BASE_URL,
// ARXIV_BASE_URL); nullptr for "local" (the caller's index). invalid_argument for other names.
core::Result<std::unique_ptr<core::LiteratureSource>> remote_source(const std::string& name,
                                                                    const core::Environment& env,
                                                                    core::HttpTransport& transport,
                                                                    core::Clock& clock);

// The index file: `flag` (--lit-db), else $XDG_DATA_HOME/ai-scientist/literature.sqlite.
std::filesystem::path literature_db_path(const std::string& flag, const core::Environment& env);

// The local index at literature_db_path(flag, env), creating its folder when needed.
core::Result<std::shared_ptr<literature::LocalIndex>> open_literature_index(
    const std::string& flag, const core::Environment& env);

// The source `name` for searches: "local" is `index`; "s2", "openalex" and "arxiv" are the remote
// services behind a cache of their answers in `db` (30 days), adding what they find to `index`;
// "auto" tries Semantic Scholar, OpenAlex, arXiv and then the local index, skipping a source that
// keeps failing for a while and moving on when one finds nothing.
core::Result<std::shared_ptr<core::LiteratureSource>> literature_source(
    const std::string& name, const core::Environment& env, core::HttpTransport& transport,
    core::Clock& clock, std::shared_ptr<literature::LocalIndex> index,
    const std::filesystem::path& db);

}  // namespace cli
