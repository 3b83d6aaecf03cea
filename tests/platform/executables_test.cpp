#include "platform/executables.h"

#include <gtest/gtest.h>

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "support/temp_dir.h"

#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;

namespace {

using test_support::TempDir;

constexpr fs::perms k_exec = fs::perms::owner_all;
constexpr fs::perms k_no_exec = fs::perms::owner_read | fs::perms::owner_write;

TEST(FindExecutable, SearchesPathInOrder) {
  EXPECT_EQ(platform::find_executable("sh", "/nonexistent:/bin"), fs::path("/bin/sh"));

  TempDir first;
  TempDir second;
  first.write_file("tool", "#!/bin/sh\n", k_exec);
  second.write_file("tool", "#!/bin/sh\n", k_exec);
  const std::string path_var = first.path().string() + ":" + second.path().string();
  EXPECT_EQ(platform::find_executable("tool", path_var), first.path() / "tool");
}

TEST(FindExecutable, SkipsNonExecutablesAndDirectories) {
  TempDir first;
  TempDir second;
  TempDir third;
  first.write_file("tool", "#!/bin/sh\n", k_no_exec);
  fs::create_directory(second.path() / "tool");
  third.write_file("tool", "#!/bin/sh\n", k_exec);
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
  const fs::path file = dir.write_file("sub/tool", "#!/bin/sh\n", k_exec);
  // Not searched on PATH, even where PATH holds a directory with that relative path.
  EXPECT_EQ(platform::find_executable("sub/tool", dir.path().string()), std::nullopt);
  EXPECT_EQ(platform::find_executable(file.string(), ""), file);

  const fs::path plain = dir.write_file("plain", "#!/bin/sh\n", k_no_exec);
  EXPECT_EQ(platform::find_executable(plain.string(), ""), std::nullopt);
}

TEST(FindExecutable, EmptyEntryMeansCurrentDirectory) {
  TempDir dir;
  dir.write_file("tool", "#!/bin/sh\n", k_exec);
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
