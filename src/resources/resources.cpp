#include "resources/resources.h"

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

}  // namespace resources
