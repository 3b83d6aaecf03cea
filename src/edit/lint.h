#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/process.h"

namespace edit {

// Checks files the agent just changed and says what is wrong with them, so the errors can go back
// to the model. Implementations run tools; they never change files.
class LintHook {
 public:
  virtual ~LintHook() = default;
  // The errors found in `files` (paths relative to `root`), as text for the model; empty when
  // the files are clean. Fails only when a checker could not be run at all.
  virtual core::Result<std::string> check(const std::filesystem::path& root,
                                          const std::vector<std::string>& files) = 0;
};

// The fatal-error codes of flake8: syntax errors, undefined names, misplaced return/yield and the
// like. Style warnings are never sent to the model.
inline constexpr const char* k_flake8_fatal = "E9,F821,F823,F831,F406,F407,F701,F702,F704,F706";

// For Python files: `python -m py_compile FILE`, then, when `flake8` is given, flake8 with only
// the fatal codes. Bytecode goes to a private cache folder, never into the workspace (the check
// fails rather than write there). Files that are not .py are skipped.
class PythonLint final : public LintHook {
 public:
  PythonLint(core::ProcessRunner& runner, std::filesystem::path python,
             std::optional<std::filesystem::path> flake8);
  core::Result<std::string> check(const std::filesystem::path& root,
                                  const std::vector<std::string>& files) override;

 private:
  core::ProcessRunner& m_runner;
  std::filesystem::path m_python;
  std::optional<std::filesystem::path> m_flake8;
};

// A template's own lint command for other languages: argv with "{file}" replaced by each changed
// file's path (relative to the root, which is the working directory). A non-zero exit means
// errors; its output is what the model sees.
class CommandLint final : public LintHook {
 public:
  CommandLint(core::ProcessRunner& runner, std::vector<std::string> argv);
  core::Result<std::string> check(const std::filesystem::path& root,
                                  const std::vector<std::string>& files) override;

 private:
  core::ProcessRunner& m_runner;
  std::vector<std::string> m_argv;
};

}  // namespace edit
