#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Files compiled into the binary at build time (see cmake/embed_files.cmake). Names are paths
// relative to the repository root, e.g. "data/prices.json".
namespace resources {

// The bytes of an embedded file, or nullopt when no file of that name was embedded. The view is
// valid for the whole life of the program.
std::optional<std::string_view> find(std::string_view name);

// The text of `name`: read from `override_dir`/`name` when `override_dir` is not empty and that
// file exists (so users can change prompts without rebuilding), else the embedded copy; nullopt
// when neither exists or the override cannot be read.
std::optional<std::string> text(std::string_view name,
                                const std::filesystem::path& override_dir = {});

// `text` with each "{key}" replaced by its value, in one pass from left to right: inserted text
// (a paper, a file, a review) is never scanned again, and an unknown "{...}" (a JSON example in
// a prompt) stays as written.
std::string fill(std::string_view text,
                 const std::vector<std::pair<std::string, std::string>>& values);

namespace detail {
struct Entry {
  std::string_view name;
  std::string_view data;
};
// Terminated by an entry with an empty name; defined by the generated source.
extern const Entry k_entries[];
}  // namespace detail

}  // namespace resources
