#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace test_support {

// A fresh folder (mkdtemp under the test temp dir), removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::path(testing::TempDir()) / "ai-scientist-test.XXXXXX").string();
    const char* made = ::mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr) << "mkdtemp " << pattern;
    m_path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(m_path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return m_path; }

  // Writes `text` to path()/name, creating folders, with permissions `perms`.
  std::filesystem::path write_file(
      const std::string& name, const std::string& text,
      std::filesystem::perms perms = std::filesystem::perms::owner_read |
                                     std::filesystem::perms::owner_write) const {
    const std::filesystem::path file = m_path / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file) << text;
    std::filesystem::permissions(file, perms);
    return file;
  }

 private:
  std::filesystem::path m_path;
};

}  // namespace test_support
