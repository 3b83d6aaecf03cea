// platform::resolve_python against fake interpreters: /bin/sh scripts that print what the probe
// in python.cpp prints ("python 3.11.2", then "name version" or "name !error" per package), or
// fail the way a broken interpreter does. Real processes, so the parsing of real pipes and exit
// statuses is what is tested.
#include "platform/python.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "core/environment.h"
#include "platform/posix_process_runner.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;

namespace {

using test_support::TempDir;

constexpr fs::perms k_exec = fs::perms::owner_all;

// A python3 with every template package.
constexpr const char* k_complete_python = R"(#!/bin/sh
echo "python 3.11.2"
echo "torch 1.13"
echo "numpy 1.24"
echo "matplotlib 3.6"
)";

// A python3 such as a pyenv or venv one: numpy and matplotlib, no torch.
constexpr const char* k_python_without_torch = R"(#!/bin/sh
echo "python 3.12.1"
echo "torch !No module named 'torch'"
echo "numpy 1.26"
echo "matplotlib 3.8"
)";

// An interpreter that dies before printing anything, with a traceback on stderr.
constexpr const char* k_failing_python = R"(#!/bin/sh
echo "Traceback (most recent call last):" >&2
echo "  File \"<string>\", line 1, in <module>" >&2
echo "RuntimeError: site-packages is corrupt" >&2
echo "" >&2
exit 1
)";

// An interpreter killed by a signal (the OOM killer, say).
constexpr const char* k_killed_python = R"(#!/bin/sh
kill -9 $$
)";

// An environment whose PATH is `dir` alone, as resolve_python sees it.
core::Environment env_with_path(const fs::path& dir) {
  core::Environment env;
  env.set("PATH", dir.string());
  return env;
}

// Whether /usr/bin/python3 exists and imports all template packages (Debian's python3-torch,
// python3-numpy, python3-matplotlib, as scripts/setup.sh installs them).
bool system_python_has_packages(platform::PosixProcessRunner& runner) {
  if (!fs::exists("/usr/bin/python3")) return false;
  core::ProcessSpec spec;
  spec.argv = {"/usr/bin/python3", "-c", "import torch, numpy, matplotlib"};
  spec.timeout = std::chrono::seconds(120);
  auto res = runner.run(spec);
  return res && res->ok();
}

TEST(ResolvePython, ChosenVariableIsUsedAsGiven) {
  TempDir dir;
  const fs::path python = dir.write_file("my-python", k_complete_python, k_exec);
  core::Environment env = env_with_path(dir.path());
  env.set("AI_SCIENTIST_PYTHON", python.string());
  platform::PosixProcessRunner runner;

  auto info = platform::resolve_python(env, runner);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->interpreter, python);
  EXPECT_EQ(info->why, "AI_SCIENTIST_PYTHON");
  EXPECT_EQ(info->version, "3.11.2");
  EXPECT_EQ(info->torch_version, "1.13");
  EXPECT_EQ(info->numpy_version, "1.24");
  EXPECT_EQ(info->matplotlib_version, "3.6");
  EXPECT_TRUE(info->has_template_packages());
  EXPECT_EQ(info->import_error, "");
}

TEST(ResolvePython, ChosenVariableIsLookedUpOnPath) {
  TempDir dir;
  const fs::path python = dir.write_file("my-python", k_complete_python, k_exec);
  core::Environment env = env_with_path(dir.path());
  env.set("AI_SCIENTIST_PYTHON", "my-python");
  platform::PosixProcessRunner runner;

  auto info = platform::resolve_python(env, runner);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->interpreter, python);
}

TEST(ResolvePython, ChosenVariableLackingTorchIsKeptAndSaysWhy) {
  // Used as given even though /usr/bin/python3 may be better: the user asked for this one.
  TempDir dir;
  const fs::path python = dir.write_file("venv-python", k_python_without_torch, k_exec);
  core::Environment env = env_with_path(dir.path());
  env.set("AI_SCIENTIST_PYTHON", python.string());
  platform::PosixProcessRunner runner;

  auto info = platform::resolve_python(env, runner);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->interpreter, python);
  EXPECT_FALSE(info->has_template_packages());
  EXPECT_EQ(info->version, "3.12.1");
  EXPECT_EQ(info->torch_version, "");
  EXPECT_EQ(info->numpy_version, "1.26");
  EXPECT_EQ(info->matplotlib_version, "3.8");
  EXPECT_EQ(info->import_error, "import torch: No module named 'torch'");
}

TEST(ResolvePython, ChosenVariablePointingNowhereIsAConfigError) {
  TempDir dir;
  core::Environment env = env_with_path(dir.path());
  env.set("AI_SCIENTIST_PYTHON", (dir.path() / "no-such-python").string());
  platform::PosixProcessRunner runner;

  auto info = platform::resolve_python(env, runner);
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().code, core::ErrorCode::config);
  EXPECT_NE(
      info.error().message.find("AI_SCIENTIST_PYTHON=" + (dir.path() / "no-such-python").string()),
      std::string::npos)
      << info.error().message;
}

TEST(ResolvePython, PathPythonWithEverythingIsChosen) {
  TempDir dir;
  const fs::path python = dir.write_file("python3", k_complete_python, k_exec);
  platform::PosixProcessRunner runner;

  auto info = platform::resolve_python(env_with_path(dir.path()), runner);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->interpreter, python);
  EXPECT_EQ(info->why, "python3 on PATH");
  EXPECT_TRUE(info->has_template_packages());
}

TEST(ResolvePython, PathPythonWithoutTorchFallsBackToSystemPython) {
  // The pyenv/venv case: the python3 first on PATH lacks torch, Debian's has it.
  platform::PosixProcessRunner runner;
  if (!system_python_has_packages(runner)) {
    GTEST_SKIP() << "/usr/bin/python3 lacks torch, numpy or matplotlib here";
  }
  TempDir dir;
  dir.write_file("python3", k_python_without_torch, k_exec);

  auto info = platform::resolve_python(env_with_path(dir.path()), runner);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->interpreter, fs::path("/usr/bin/python3"));
  EXPECT_EQ(info->why, "Debian's /usr/bin/python3");
  EXPECT_TRUE(info->has_template_packages()) << info->import_error;
  EXPECT_EQ(info->import_error, "");
}

TEST(ResolvePython, FailingInterpreterReportsTheLastLineOfStderr) {
  TempDir dir;
  const fs::path python = dir.write_file("python3", k_failing_python, k_exec);
  core::Environment env = env_with_path(dir.path());
  env.set("AI_SCIENTIST_PYTHON", python.string());
  platform::PosixProcessRunner runner;

  auto info = platform::resolve_python(env, runner);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->interpreter, python);
  EXPECT_FALSE(info->has_template_packages());
  EXPECT_EQ(info->import_error, "the interpreter failed: RuntimeError: site-packages is corrupt");
}

TEST(ResolvePython, KilledInterpreterSaysSo) {
  TempDir dir;
  const fs::path python = dir.write_file("python3", k_killed_python, k_exec);
  core::Environment env = env_with_path(dir.path());
  env.set("AI_SCIENTIST_PYTHON", python.string());
  platform::PosixProcessRunner runner;

  auto info = platform::resolve_python(env, runner);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_FALSE(info->has_template_packages());
  EXPECT_EQ(info->import_error, "the interpreter was killed by signal 9 (SIGKILL)");
}

}  // namespace
