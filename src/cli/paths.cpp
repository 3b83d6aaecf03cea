#include "cli/paths.h"

namespace cli {

std::filesystem::path user_data_dir(const core::Environment& env) {
  if (auto xdg = env.get("XDG_DATA_HOME")) return std::filesystem::path(*xdg) / "ai-scientist";
  if (auto home = env.get("HOME")) {
    return std::filesystem::path(*home) / ".local" / "share" / "ai-scientist";
  }
  return std::filesystem::path(".ai-scientist");
}

}  // namespace cli
