#pragma once

#include <filesystem>
#include <optional>
#include <string_view>

namespace platform {

// The first executable regular file called `name` in the colon-separated directory list
// `path_var` (the value of PATH). A name with a slash is checked as it is. nullopt if none.
std::optional<std::filesystem::path> find_executable(std::string_view name,
                                                     std::string_view path_var);

}  // namespace platform
