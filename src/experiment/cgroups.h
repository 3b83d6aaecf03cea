#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"

// The sandbox's memory and process-count limits, and its hold on every process a run starts, as
// Linux cgroups. Either version works:
// - cgroup v2 (one unified hierarchy, as under systemd): a folder `ai-scientist` is made in this
//   process's cgroup, or in the nearest ancestor that can enable the memory and pids controllers
//   for its children (a cgroup holding processes cannot, so a shell's scope usually hands over to
//   its slice); each run gets `ai-scientist/run-PID-N` with memory.max, memory.swap.max = 0,
//   memory.oom.group = 1 and pids.max.
// - cgroup v1 (one hierarchy per controller): `ai-scientist/run-PID-N` in this process's cgroup
//   of the memory hierarchy (memory.limit_in_bytes, memory.memsw.limit_in_bytes) and of the pids
//   hierarchy (pids.max).
// The child joins the run's cgroups before exec (core::ProcessSpec::cgroup_procs), so nothing it
// starts escapes them; the sandbox cannot leave them (/sys is read-only inside, and no
// capabilities). Limit hits are read from the kernel's counters (oom_kill, pids.events max).
namespace experiment {

// One hierarchy runs are put in.
struct CgroupHierarchy {
  int version = 0;               // 1 or 2
  std::filesystem::path parent;  // the `ai-scientist` folder runs are created in
  bool memory = false;           // carries the memory controller
  bool pids = false;             // carries the pids controller
};

// What the probe found.
struct CgroupSupport {
  std::vector<CgroupHierarchy> hierarchies;  // empty: no usable cgroup
  std::string memory_how;   // how the memory limit is enforced; empty when it cannot be
  std::string process_how;  // how the process limit is enforced; empty when it cannot be
  std::string problem;      // what stood in the way, when something did

  bool memory() const;
  bool pids() const;
};

// Probes once per process (later calls return the first answer); thread-safe. Makes the
// `ai-scientist` folders and tries one child in a throw-away cgroup; moves no existing process.
const CgroupSupport& probe_cgroups();

// A run's cgroups (one per hierarchy), made with its limits. The destructor kills whatever is
// left in them and removes them. Members are read from the kernel each time; thread-safe for
// concurrent readers.
class RunCgroup {
 public:
  // `memory_bytes` 0: no memory limit; `max_processes` 0: no process limit (the cgroups still
  // hold the run's processes, so none can be missed when it ends). Fails (`io`) when a cgroup
  // cannot be made or its limit set.
  static core::Result<std::unique_ptr<RunCgroup>> create(const CgroupSupport& support,
                                                         std::uint64_t memory_bytes,
                                                         std::uint64_t max_processes);
  ~RunCgroup();
  RunCgroup(const RunCgroup&) = delete;
  RunCgroup& operator=(const RunCgroup&) = delete;

  // The files a child writes its pid into to join (core::ProcessSpec::cgroup_procs).
  std::vector<std::filesystem::path> procs_files() const;
  // The processes in the run's cgroups now.
  std::vector<pid_t> members() const;
  // Sends `sig` to every member but `spare` (0: none spared). One pass: a member forked
  // meanwhile may be missed.
  void signal(int sig, pid_t spare = 0) const;
  // SIGKILLs members (cgroup.kill where the kernel has it) until none is left or `patience` has
  // passed; true when none is left.
  bool kill_all(std::chrono::milliseconds patience = std::chrono::milliseconds(5000)) const;

  // The kernel killed a member for the memory limit (oom_kill counters).
  bool memory_limit_hit() const;
  // A fork failed at the process limit (pids.events max).
  bool process_limit_hit() const;

 private:
  struct Dir {
    CgroupHierarchy hierarchy;
    std::filesystem::path path;
  };
  explicit RunCgroup(std::vector<Dir> dirs) : m_dirs(std::move(dirs)) {}

  std::vector<Dir> m_dirs;
};

}  // namespace experiment
