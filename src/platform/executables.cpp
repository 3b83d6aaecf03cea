#include "platform/executables.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

namespace platform {

namespace {

// A regular file the effective user may execute: what execve() would accept. Directories and
// files without an execute bit are skipped, as execvp() skips them.
bool is_executable_file(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return false;
  }
  return ::faccessat(AT_FDCWD, path.c_str(), X_OK, AT_EACCESS) == 0;
}

}  // namespace

std::optional<std::filesystem::path> find_executable(std::string_view name,
                                                     std::string_view path_var) {
  if (name.empty()) {
    return std::nullopt;
  }
  if (name.find('/') != std::string_view::npos) {
    std::filesystem::path path(name);
    if (is_executable_file(path)) {
      return path;
    }
    return std::nullopt;
  }

  std::size_t start = 0;
  while (true) {
    const std::size_t colon = path_var.find(':', start);
    const std::string_view dir = colon == std::string_view::npos
                                     ? path_var.substr(start)
                                     : path_var.substr(start, colon - start);
    // An empty entry (leading, trailing or doubled colon) means the current directory (POSIX).
    std::filesystem::path candidate =
        dir.empty() ? std::filesystem::path(".") / name : std::filesystem::path(dir) / name;
    if (is_executable_file(candidate)) {
      return candidate;
    }
    if (colon == std::string_view::npos) {
      return std::nullopt;
    }
    start = colon + 1;
  }
}

}  // namespace platform
