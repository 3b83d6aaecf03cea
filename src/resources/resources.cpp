#include "resources/resources.h"

namespace resources {

std::optional<std::string_view> find(std::string_view name) {
  for (const detail::Entry* e = detail::k_entries; !e->name.empty(); ++e) {
    if (e->name == name) return e->data;
  }
  return std::nullopt;
}

}  // namespace resources
