#pragma once

#include <optional>
#include <string_view>

// Files compiled into the binary at build time (see cmake/embed_files.cmake). Names are paths
// relative to the repository root, e.g. "data/prices.json".
namespace resources {

// The bytes of an embedded file, or nullopt when no file of that name was embedded. The view is
// valid for the whole life of the program.
std::optional<std::string_view> find(std::string_view name);

namespace detail {
struct Entry {
  std::string_view name;
  std::string_view data;
};
// Terminated by an entry with an empty name; defined by the generated source.
extern const Entry k_entries[];
}  // namespace detail

}  // namespace resources
