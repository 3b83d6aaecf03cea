#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace ideas {

// prompts/ideas/`name` (from `override_dir` when it holds one, else built in) with each
// "{key}" replaced by its value in one pass: inserted text is never scanned again, and unknown
// "{...}" (JSON examples in the prompt) stay as written.
core::Result<std::string> prompt(const std::filesystem::path& override_dir, std::string_view name,
                                 const std::vector<std::pair<std::string, std::string>>& values);

}  // namespace ideas
