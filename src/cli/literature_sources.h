#pragma once

#include <memory>
#include <string>

#include "core/clock.h"
#include "core/environment.h"
#include "core/http.h"
#include "core/literature.h"

namespace cli {

// The remote literature source called `name` ("s2", "openalex" or "arxiv"), configured from the
// environment (S2_API_KEY, S2_BASE_URL, OPENALEX_MAILTO, OPENALEX_API_KEY, OPENALEX_BASE_URL,
// ARXIV_BASE_URL); nullptr for "local" (the caller's index). invalid_argument for other names.
core::Result<std::unique_ptr<core::LiteratureSource>> remote_source(const std::string& name,
                                                                    const core::Environment& env,
                                                                    core::HttpTransport& transport,
                                                                    core::Clock& clock);

}  // namespace cli
