#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace core {

struct ProcessSpec {
  // argv[0] is looked up on PATH when it has no slash. Never a shell string.
  std::vector<std::string> argv;
  std::filesystem::path cwd;  // empty: the caller's
  // The child's whole environment; nullopt: inherit the caller's.
  std::optional<std::map<std::string, std::string>> env;
  std::string stdin_data;
  // Zero: no limit. On expiry the process group gets SIGTERM, then SIGKILL after `kill_grace`.
  std::chrono::milliseconds timeout{0};
  std::chrono::milliseconds kill_grace{2000};
  // Bytes kept of each of stdout and stderr; the rest is read and dropped (the tail is kept,
  // since the end of a log is where errors are).
  std::size_t output_cap = 1 << 20;
};

struct ProcessResult {
  int exit_code = -1;   // valid when term_signal == 0
  int term_signal = 0;  // the signal that ended the process, 0 if it exited
  bool timed_out = false;
  std::string out;
  std::string err;
  bool out_truncated = false;
  bool err_truncated = false;
  std::chrono::milliseconds elapsed{0};

  bool ok() const { return term_signal == 0 && !timed_out && exit_code == 0; }
};

// Runs one child process to completion. Returns an Error only when the process could not be
// started (`process`: program not found, not executable, fork failed); a child that fails, is
// killed or times out is a ProcessResult that says so. Thread-safe.
class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;
  virtual Result<ProcessResult> run(const ProcessSpec& spec) = 0;
};

}  // namespace core
