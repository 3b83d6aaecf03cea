#include "ideas/prompts.h"

#include <algorithm>

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
  std::string out;
  std::size_t pos = 0;
  while (pos < text->size()) {
    const std::size_t open = text->find('{', pos);
    const std::size_t close = open == std::string::npos ? open : text->find('}', open + 1);
    if (open == std::string::npos || close == std::string::npos) break;
    const std::string key = text->substr(open + 1, close - open - 1);
    auto it =
        std::find_if(values.begin(), values.end(), [&](const auto& kv) { return kv.first == key; });
    out.append(*text, pos, open - pos);
    out += it != values.end() ? it->second : text->substr(open, close - open + 1);
    pos = close + 1;
  }
  out.append(*text, pos);
  return out;
}

}  // namespace ideas
