#include "platform/executables.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;

namespace {

// A fresh directory under the test temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::path(testing::TempDir()) / "executables_test.XXXXXX").string();
    const char* made = ::mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr);
    m_path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(m_path, ec);
  }
  const fs::path& path() const { return m_path; }

  fs::path make_file(const std::string& name, fs::perms perms) const {
    const fs::path file = m_path / name;
    std::ofstream(file) << "#!/bin/sh\n";
    fs::permissions(file, perms);
    return file;
  }

 private:
  fs::path m_path;
};

constexpr fs::perms k_exec = fs::perms::owner_all;
constexpr fs::perms k_no_exec = fs::perms::owner_read | fs::perms::owner_write;

TEST(FindExecutable, SearchesPathInOrder) {
  EXPECT_EQ(platform::find_executable("sh", "/nonexistent:/bin"), fs::path("/bin/sh"));

  TempDir first;
  TempDir second;
  first.make_file("tool", k_exec);
  second.make_file("tool", k_exec);
  const std::string path_var = first.path().string() + ":" + second.path().string();
  EXPECT_EQ(platform::find_executable("tool", path_var), first.path() / "tool");
}

TEST(FindExecutable, SkipsNonExecutablesAndDirectories) {
  TempDir first;
  TempDir second;
  TempDir third;
  first.make_file("tool", k_no_exec);
  fs::create_directory(second.path() / "tool");
  third.make_file("tool", k_exec);
  const std::string path_var =
      first.path().string() + ":" + second.path().string() + ":" + third.path().string();
  EXPECT_EQ(platform::find_executable("tool", path_var), third.path() / "tool");
}

TEST(FindExecutable, NotFound) {
  TempDir dir;
  EXPECT_EQ(platform::find_executable("surely-not-a-program-xyz", "/bin:/usr/bin"), std::nullopt);
  EXPECT_EQ(platform::find_executable("sh", dir.path().string()), std::nullopt);
  EXPECT_EQ(platform::find_executable("", "/bin"), std::nullopt);
}

TEST(FindExecutable, NameWithSlashIsCheckedAsIs) {
  EXPECT_EQ(platform::find_executable("/bin/sh", ""), fs::path("/bin/sh"));
  EXPECT_EQ(platform::find_executable("/nonexistent/sh", "/bin"), std::nullopt);

  TempDir dir;
  fs::create_directory(dir.path() / "sub");
  const fs::path file = dir.make_file("sub/tool", k_exec);
  // Not searched on PATH, even where PATH holds a directory with that relative path.
  EXPECT_EQ(platform::find_executable("sub/tool", dir.path().string()), std::nullopt);
  EXPECT_EQ(platform::find_executable(file.string(), ""), file);

  const fs::path plain = dir.make_file("plain", k_no_exec);
  EXPECT_EQ(platform::find_executable(plain.string(), ""), std::nullopt);
}

TEST(FindExecutable, EmptyEntryMeansCurrentDirectory) {
  TempDir dir;
  dir.make_file("tool", k_exec);
  const fs::path before = fs::current_path();
  fs::current_path(dir.path());
  const auto leading = platform::find_executable("tool", ":/nonexistent");
  const auto trailing = platform::find_executable("tool", "/nonexistent:");
  const auto doubled = platform::find_executable("tool", "/nonexistent::/bin");
  const auto none = platform::find_executable("tool", "/nonexistent:/bin");
  fs::current_path(before);

  EXPECT_EQ(leading, fs::path("./tool"));
  EXPECT_EQ(trailing, fs::path("./tool"));
  EXPECT_EQ(doubled, fs::path("./tool"));
  EXPECT_EQ(none, std::nullopt);
}

}  // namespace
