#include "cli/paths.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace cli {

std::filesystem::path user_data_dir(const core::Environment& env) {
  if (auto xdg = env.get("XDG_DATA_HOME")) return std::filesystem::path(*xdg) / "ai-scientist";
  if (auto home = env.get("HOME")) {
    return std::filesystem::path(*home) / ".local" / "share" / "ai-scientist";
  }
  return std::filesystem::path(".ai-scientist");
}

std::vector<std::filesystem::path> template_dirs(const core::Environment& env) {
  std::vector<std::filesystem::path> dirs;
  if (auto list = env.get("AI_SCIENTIST_TEMPLATES")) {
    std::size_t start = 0;
    while (start <= list->size()) {
      std::size_t colon = list->find(':', start);
      if (colon == std::string::npos) colon = list->size();
      if (colon > start) dirs.emplace_back(list->substr(start, colon - start));
      start = colon + 1;
    }
  }
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    dirs.push_back(exe.parent_path().parent_path() / "templates");
    dirs.push_back(exe.parent_path().parent_path() / "share" / "ai-scientist" / "templates");
  }
  return dirs;
}

core::Result<std::filesystem::path> find_template(const std::string& name_or_dir,
                                                  const core::Environment& env) {
  std::error_code ec;
  if (std::filesystem::is_directory(name_or_dir, ec)) return std::filesystem::path(name_or_dir);
  std::vector<std::string> searched;
  for (const auto& dir : template_dirs(env)) {
    if (std::filesystem::is_directory(dir / name_or_dir, ec)) return dir / name_or_dir;
    searched.push_back(dir.string());
  }
  return core::fail(core::ErrorCode::invalid_argument,
                    fmt::format("no template '{}' (looked in: {}); `ai-scientist template list` "
                                "shows the templates, or give a folder",
                                name_or_dir, fmt::join(searched, ", ")));
}

}  // namespace cli
