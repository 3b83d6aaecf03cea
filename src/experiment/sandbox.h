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
//
// How (sandbox.cpp, cgroups.h):
// - bwrap --unshare-net --unshare-pid --unshare-ipc --unshare-uts [--unshare-user --uid 65534
//   --gid 65534 --disable-userns] --cap-drop ALL --die-with-parent --new-session --ro-bind / /
//   --dev /dev [--dev-bind each /dev/nvidia*, /dev/kfd, /dev/dri] --proc /proc --tmpfs /tmp
//   --bind WORKDIR WORKDIR [--ro-bind DIR DIR]... --chdir WORKDIR -- ARGV. The user namespace is
//   used where the probe finds it works (it does as root on Debian 12); as root it does not make
//   RLIMIT_NPROC bind (uid 65534 inside is still uid 0 outside), so processes are counted by a
//   cgroup. The environment reaches the program through bwrap's own environment, not --setenv
//   (argv is readable by every user).
// - Memory and processes: a cgroup per run (v2 or v1, probed once per process), joined by the
//   child before exec; the kernel's counters say which limit was hit. Without a usable cgroup:
//   RLIMIT_AS for memory, RLIMIT_NPROC for processes when not root (as root: none), and
//   capabilities() says so.
// - File size: RLIMIT_FSIZE; core dumps off. Output: each stream to its file up to
//   max_output_bytes, the rest read and dropped.
// - Timeout: with a cgroup, SIGTERM goes to the program and what it started (not to bwrap, whose
//   death would end the sandbox at once), SIGKILL to everything after kill_grace; without one,
//   the process group gets them (bwrap dies of the SIGTERM, taking the sandbox with it).
// - The end of a run: everything left in the run's cgroup is killed and the cgroup removed; the
//   PID namespace ends with bwrap anyway.
namespace experiment {

struct SandboxLimits {
  std::chrono::seconds timeout{7200};
  std::uint64_t memory_bytes = 0;                // 0: no memory limit
  int max_processes = 512;                       // 0: no process limit
  std::uint64_t max_file_bytes = 8ull << 30;     // largest file the code may write (RLIMIT_FSIZE)
  std::uint64_t max_output_bytes = 64ull << 20;  // kept of each of stdout and stderr in the files
  // On timeout the program gets SIGTERM, and SIGKILL (with everything it started) this much later.
  std::chrono::milliseconds kill_grace{5000};
};

struct SandboxSpec {
  std::vector<std::string> argv;  // argv[0] absolute, or looked up on env's PATH
  std::filesystem::path workdir;  // writable; the working directory (the idea folder)
  std::vector<std::filesystem::path> read_only;  // extra folders bound read-only (template data)
  // The child's whole environment (see clean_env); empty: clean_env(workdir).
  std::map<std::string, std::string> env;
  SandboxLimits limits;
  std::filesystem::path stdout_path;  // where stdout goes (created/truncated); required
  std::filesystem::path stderr_path;  // where stderr goes; required
};

struct SandboxResult {
  int exit_code = -1;
  int term_signal = 0;
  bool timed_out = false;
  std::chrono::milliseconds duration{0};
  std::string stdout_tail;        // the last bytes of stdout (up to 4 KiB)
  std::string stderr_tail;        // the last bytes of stderr (up to 4 KiB)
  bool output_truncated = false;  // a stream went past max_output_bytes
  // A limit the run ran into, in words ("memory limit of 2.0 GiB", "process limit of 64"), or
  // empty. Filled when the kernel's counters say so (cgroup events, death by SIGXFSZ), not
  // guessed; a timeout is `timed_out`, not a limit_hit.
  std::string limit_hit;

  bool ok() const { return term_signal == 0 && !timed_out && exit_code == 0; }
};

// What isolation this machine gives, found once by probing (doctor and manifests show it).
struct SandboxCapabilities {
  bool bubblewrap = false;         // bwrap can create a sandbox here
  std::string bubblewrap_problem;  // why not, and how to fix it, when it cannot
  bool user_namespace = false;     // sandboxed code runs as uid 65534 in its own user namespace
  bool memory_limit = false;       // a memory limit can be enforced (and how: memory_how)
  std::string memory_how;
  bool process_limit = false;  // a process-count limit can be enforced
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
  // straight to the process runner (limits that need no sandbox still apply). `bwrap`: the
  // bubblewrap to use; empty: `bwrap` in the system's directories (/usr/bin, /usr/local/bin, ...).
  static std::unique_ptr<Sandbox> create(bool isolate = true, std::filesystem::path bwrap = {});

  const SandboxCapabilities& capabilities() const { return m_caps; }
  bool isolated() const { return m_isolate; }

  // Runs `spec` to completion under the policy. Fails (code `config`) without starting anything
  // when isolation was asked for and bubblewrap cannot create a sandbox here, saying why and that
  // --no-sandbox runs anyway; fails (`process`) when the program cannot be started. A program that
  // fails, is killed or times out is a SandboxResult that says so. On timeout, or when the run
  // ends, every process it started is killed: none survives the run. Thread-safe.
  core::Result<SandboxResult> run(const SandboxSpec& spec) const;

 private:
  Sandbox(bool isolate, SandboxCapabilities caps, std::vector<std::string> bwrap_prefix)
      : m_isolate(isolate), m_caps(std::move(caps)), m_bwrap_prefix(std::move(bwrap_prefix)) {}

  bool m_isolate;
  SandboxCapabilities m_caps;
  // bwrap and the options every run shares (namespaces, the read-only system, /dev, /proc, /tmp);
  // empty when bubblewrap cannot be used.
  std::vector<std::string> m_bwrap_prefix;
};

}  // namespace experiment
