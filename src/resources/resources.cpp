#include "resources/resources.h"

#include <algorithm>

#include <fstream>
#include <iterator>

namespace resources {

std::optional<std::string_view> find(std::string_view name) {
  for (const detail::Entry* e = detail::k_entries; !e->name.empty(); ++e) {
    if (e->name == name) return e->data;
  }
  return std::nullopt;
}

std::optional<std::string> text(std::string_view name, const std::filesystem::path& override_dir) {
  if (!override_dir.empty()) {
    std::filesystem::path file = override_dir / std::filesystem::path(name);
    std::error_code ec;
    if (std::filesystem::is_regular_file(file, ec)) {
      std::ifstream in(file, std::ios::binary);
      if (!in) return std::nullopt;
      return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    }
  }
  if (auto embedded = find(name)) return std::string(*embedded);
  return std::nullopt;
}

std::string fill(std::string_view text,
                 const std::vector<std::pair<std::string, std::string>>& values) {
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t open = text.find('{', pos);
    const std::size_t close = open == std::string_view::npos ? open : text.find('}', open + 1);
    if (open == std::string_view::npos || close == std::string_view::npos) break;
    const std::string_view key = text.substr(open + 1, close - open - 1);
    auto it =
        std::find_if(values.begin(), values.end(), [&](const auto& kv) { return kv.first == key; });
    out.append(text.substr(pos, open - pos));
    out += it != values.end() ? std::string_view(it->second) : text.substr(open, close - open + 1);
    pos = close + 1;
  }
  if (pos < text.size()) out.append(text.substr(pos));
  return out;
}

}  // namespace resources
