#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/process.h"

// The one policy under which LLM-written code runs (experiments, plots, lint): bubblewrap with no
// network, the system read-only, only the idea folder (and a private /tmp) writable, extra
// read-only folders for template data, a new PID namespace, dying with its parent; resource limits
// (wall clock, memory, processes, file size); an environment built from scratch; output to files.
namespace experiment {

struct SandboxLimits {
  std::chrono::seconds timeout{7200};
  std::uint64_t memory_bytes = 0;        // 0: no memory limit
  int max_processes = 512;               // 0: no process limit
  std::uint64_t max_file_bytes = 8ull << 30;   // largest file the code may write (RLIMIT_FSIZE)
  std::uint64_t max_output_bytes = 64ull << 20;  // kept of each of stdout and stderr in the files
};

struct SandboxSpec {
  std::vector<std::string> argv;             // argv[0] absolute, or looked up on env's PATH
  std::filesystem::path workdir;             // writable; the working directory (the idea folder)
  std::vector<std::filesystem::path> read_only;  // extra folders bound read-only (template data)
  std::map<std::string, std::string> env;    // the child's whole environment (see clean_env)
  SandboxLimits limits;
  std::filesystem::path stdout_path;         // where stdout goes (created/truncated); required
  std::filesystem::path stderr_path;         // where stderr goes; required
};

struct SandboxResult {
  int exit_code = -1;
  int term_signal = 0;
  bool timed_out = false;
  std::chrono::milliseconds duration{0};
  std::string stdout_tail;   // the last bytes of stdout (up to 4 KiB)
  std::string stderr_tail;   // the last bytes of stderr (up to 4 KiB)
  bool output_truncated = false;  // a stream went past max_output_bytes
  // A limit the run ran into, in words ("memory limit of 2.0 GiB", "process limit of 64"), or
  // empty. Filled when the kernel's counters say so (cgroup events), not guessed.
  std::string limit_hit;

  bool ok() const { return term_signal == 0 && !timed_out && exit_code == 0; }
};

// What isolation this machine gives, found once by probing (doctor and manifests show it).
struct SandboxCapabilities {
  bool bubblewrap = false;          // bwrap can create a sandbox here
  std::string bubblewrap_problem;   // why not, and how to fix it, when it cannot
  bool memory_limit = false;        // a memory limit can be enforced (and how: memory_how)
  std::string memory_how;
  bool process_limit = false;       // a process-count limit can be enforced
  std::string process_how;
  // One line per protection in force, for the run's manifest and log.
  std::vector<std::string> describe(bool isolated) const;
};

// The environment a run gets: built from scratch, never inherited, so no API key or other secret
// reaches LLM-written code. PATH, HOME (the workdir), TMPDIR=/tmp, LANG=C.UTF-8,
// PYTHONUNBUFFERED=1, MPLBACKEND=Agg, MPLCONFIGDIR and XDG_CACHE_HOME under /tmp, plus `extra`
// (CUDA_VISIBLE_DEVICES from the scheduler, AI_SCIENTIST_SMOKE, ...).
std::map<std::string, std::string> clean_env(const std::filesystem::path& workdir,
                                             const std::map<std::string, std::string>& extra = {});

class Sandbox {
 public:
  // Probes bubblewrap and the cgroup controllers. `isolate` false is --no-sandbox: runs go
  // straight to the process runner (limits that need no sandbox still apply).
  static std::unique_ptr<Sandbox> create(bool isolate = true);

  const SandboxCapabilities& capabilities() const { return m_caps; }
  bool isolated() const { return m_isolate; }

  // Runs `spec` to completion under the policy. Fails (code `config`) without starting anything
  // when isolation was asked for and bubblewrap cannot create a sandbox here, saying why and that
  // --no-sandbox runs anyway; fails (`process`) when the program cannot be started. A program that
  // fails, is killed or times out is a SandboxResult that says so. On timeout, or when the run
  // ends, every process it started is killed: none survives the run. Thread-safe.
  core::Result<SandboxResult> run(const SandboxSpec& spec) const;

 private:
  Sandbox(bool isolate, SandboxCapabilities caps) : m_isolate(isolate), m_caps(std::move(caps)) {}

  bool m_isolate;
  SandboxCapabilities m_caps;
};

}  // namespace experiment
