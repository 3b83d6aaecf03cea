#include "resources/resources.h"

namespace resources {

std::optional<std::string_view> find(std::string_view name) {
  for (const detail::Entry* e = detail::k_entries; !e->name.empty(); ++e) {
    if (e->name == name) return e->data;
  }
  return std::nullopt;
}

std::vector<std::string_view> list(std::string_view prefix) {
  std::vector<std::string_view> names;
  for (const detail::Entry* e = detail::k_entries; !e->name.empty(); ++e) {
    if (e->name.starts_with(prefix)) names.push_back(e->name);
  }
  return names;
}

}  // namespace resources
