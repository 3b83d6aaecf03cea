#pragma once

#include <filesystem>
#include <string_view>

namespace core {

// A private folder (mkdtemp, mode 0700) under the temporary directory ($TMPDIR, else /tmp),
// removed with everything in it when the object goes. path() is empty when it could not be made.
class ScopedTempDir {
 public:
  explicit ScopedTempDir(std::string_view prefix);
  ~ScopedTempDir();
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;

  const std::filesystem::path& path() const { return m_path; }

 private:
  std::filesystem::path m_path;
};

}  // namespace core
