#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace core {

// Limits the kernel enforces on the child and everything it starts, set in the child before exec
// (soft and hard limit alike, so the program cannot raise them again). Zero: left as inherited.
struct ProcessRlimits {
  std::uint64_t file_bytes = 0;  // RLIMIT_FSIZE: a larger write fails (EFBIG) or raises SIGXFSZ
  // RLIMIT_NPROC: tasks (processes and threads) of the child's real uid, all of them, not only
  // this run's. Does not bind for root.
  std::uint64_t processes = 0;
  std::uint64_t address_space = 0;  // RLIMIT_AS: virtual memory of each process
  bool no_core_dumps = false;       // RLIMIT_CORE = 0
};

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

  // Optional, default off; each keeps the behaviour above when unset.

  // Each stream is also written to its file (created or truncated), its first `file_cap` bytes
  // (0: all of it); past the cap it is still read and dropped, and the result says
  // *_file_truncated. The in-memory tail above is kept as well. A file that cannot be opened is
  // an `io` error before anything starts.
  std::filesystem::path stdout_file;
  std::filesystem::path stderr_file;
  std::uint64_t file_cap = 0;
  ProcessRlimits rlimits;
  // Files (cgroup.procs or tasks of cgroups) the child writes its pid into before exec, so the
  // program and everything it starts are in those cgroups from their first instruction. A write
  // that fails is a `process` error naming the file.
  std::vector<std::filesystem::path> cgroup_procs;
  // How a timeout's signals (SIGTERM, then SIGKILL after `kill_grace`) and `kill_leftovers` reach
  // everything the child started: called with the child's pid (exited or not, never yet reaped)
  // and the signal. Unset: the child's process group is signalled.
  std::function<void(int pid, int signal)> signal_tree;
  // When the child has exited, SIGKILL (through `signal_tree` when set) what it left running in
  // its process group, instead of collecting their output for a moment and leaving them be.
  bool kill_leftovers = false;
};

struct ProcessResult {
  int exit_code = -1;   // valid when term_signal == 0
  int term_signal = 0;  // the signal that ended the process, 0 if it exited
  bool timed_out = false;
  std::string out;
  std::string err;
  bool out_truncated = false;
  bool err_truncated = false;
  bool out_file_truncated = false;  // stdout went past `file_cap` (or its file could not take it)
  bool err_file_truncated = false;
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
