#include "core/temp_dir.h"

#include <stdlib.h>

#include <string>

namespace core {

ScopedTempDir::ScopedTempDir(std::string_view prefix) {
  std::error_code ec;
  std::filesystem::path base = std::filesystem::temp_directory_path(ec);
  if (ec) base = "/tmp";
  std::string pattern = (base / (std::string(prefix) + ".XXXXXX")).string();
  if (::mkdtemp(pattern.data())) m_path = pattern;
}

ScopedTempDir::~ScopedTempDir() {
  std::error_code ec;
  if (!m_path.empty()) std::filesystem::remove_all(m_path, ec);
}

}  // namespace core
