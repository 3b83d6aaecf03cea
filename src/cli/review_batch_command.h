#pragma once

#include <functional>

#include <CLI/CLI.hpp>

#include "core/environment.h"

namespace cli {

// Adds `batch --papers DIR --out FILE.csv` under the `review` command: every paper of DIR
// reviewed (concurrently, --jobs at once) into one CSV row each (paper_id, then the review form's
// keys), appended as each finishes; ids already in the CSV are skipped, so a re-run resumes. When
// `batch` is chosen, `run` is set to the function that does it; `run` and `env` must outlive the
// parse and the call.
void add_review_batch(CLI::App& review, const core::Environment& env, std::function<int()>& run);

}  // namespace cli
