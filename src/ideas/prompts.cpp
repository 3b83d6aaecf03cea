#include "ideas/prompts.h"

#include <fmt/format.h>

#include "resources/resources.h"

namespace ideas {

core::Result<std::string> prompt(const std::filesystem::path& override_dir, std::string_view name,
                                 const std::vector<std::pair<std::string, std::string>>& values) {
  const std::string path = fmt::format("prompts/ideas/{}", name);
  auto text = resources::text(path, override_dir);
  if (!text) {
    return core::fail(
        core::ErrorCode::config,
        fmt::format("the prompt {} is missing{}", path,
                    override_dir.empty() ? " from the build"
                                         : " (and not in " + override_dir.string() + ")"));
  }
  return resources::fill(*text, values);
}

}  // namespace ideas
