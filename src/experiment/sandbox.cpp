#include "experiment/sandbox.h"

#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string_view>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "experiment/cgroups.h"
#include "platform/executables.h"
#include "platform/posix_process_runner.h"

namespace experiment {

namespace {

namespace fs = std::filesystem;
using core::ErrorCode;
using namespace std::chrono_literals;

// Where bwrap is looked for, and the PATH runs get: the system's directories, never the caller's
// (which may hold anything; a run that needs another directory says so in clean_env's `extra`).
constexpr const char* k_system_path =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
constexpr const char* k_run_path = "/usr/local/bin:/usr/bin:/bin";
// Kept in memory of each stream for SandboxResult's tails.
constexpr std::size_t k_tail_bytes = 4096;
// The unprivileged uid and gid ("nobody") sandboxed code runs as in its user namespace.
constexpr const char* k_sandbox_id = "65534";
constexpr const char* k_no_sandbox_hint = "--no-sandbox runs without it (not recommended)";

// Accelerators the code may use: bound into the sandbox's otherwise minimal /dev when present.
constexpr const char* k_device_globs[] = {"/dev/nvidia", "/dev/kfd", "/dev/dri"};

std::string format_bytes(std::uint64_t bytes) {
  constexpr double k_kib = 1024.0;
  if (bytes >= (1ull << 30)) {
    return fmt::format("{:.1f} GiB", static_cast<double>(bytes) / (k_kib * k_kib * k_kib));
  }
  if (bytes >= (1ull << 20)) {
    return fmt::format("{:.0f} MiB", static_cast<double>(bytes) / (k_kib * k_kib));
  }
  if (bytes >= (1ull << 10)) {
    return fmt::format("{:.0f} KiB", static_cast<double>(bytes) / k_kib);
  }
  return fmt::format("{} bytes", bytes);
}

// Device nodes for GPUs (/dev/nvidia0, /dev/nvidiactl, /dev/nvidia-uvm, /dev/nvidia-caps,
// /dev/kfd, /dev/dri): bwrap's --dev /dev has only null, zero, random, tty, shm and the like.
std::vector<std::string> accelerator_devices() {
  std::vector<std::string> devices;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator("/dev", ec)) {
    const std::string path = entry.path().string();
    for (const char* prefix : k_device_globs) {
      const std::string_view wanted(prefix);
      if (path == wanted || (path.starts_with(wanted) && wanted == "/dev/nvidia")) {
        devices.push_back(path);
      }
    }
  }
  std::sort(devices.begin(), devices.end());
  return devices;
}

// The bwrap options every run shares. The order matters: later mounts go on top of earlier ones,
// so the run's own folders (added per run) may lie under /tmp.
std::vector<std::string> bwrap_prefix(const fs::path& bwrap, bool user_namespace) {
  std::vector<std::string> argv = {
      bwrap.string(),
      // No network (only a loopback of its own), no view of or signals to other processes, no
      // shared System V IPC, its own hostname.
      "--unshare-net",
      "--unshare-pid",
      "--unshare-ipc",
      "--unshare-uts",
  };
  if (user_namespace) {
    // As uid/gid 65534 in a user namespace of its own, which it cannot nest further: no
    // capabilities anywhere (as root, the namespace's 65534 is still root outside, so
    // RLIMIT_NPROC stays unbound: the process limit comes from the cgroup).
    argv.insert(argv.end(), {"--unshare-user", "--uid", k_sandbox_id, "--gid", k_sandbox_id,
                             "--disable-userns"});
  }
  argv.insert(argv.end(), {
                              // No capabilities even where it runs as root.
                              "--cap-drop",
                              "ALL",
                              // Killed when we die; no terminal to inject input into.
                              "--die-with-parent",
                              "--new-session",
                              // The system read-only (submounts too, /sys/fs/cgroup included).
                              "--ro-bind",
                              "/",
                              "/",
                              // A minimal /dev, a /proc of its PID namespace, a private /tmp.
                              "--dev",
                              "/dev",
                          });
  for (const std::string& device : accelerator_devices()) {
    argv.insert(argv.end(), {"--dev-bind", device, device});
  }
  // Empty over what holds secrets or ways out: home folders (keys in dotfiles, ~/.ssh, ~/.aws)
  // and /run (host Unix sockets such as D-Bus or Docker, which a read-only mount and an empty
  // network namespace do not close). The work folder and read-only folders are bound back on top
  // later, wherever they are.
  argv.insert(argv.end(), {"--proc", "/proc", "--tmpfs", "/tmp", "--tmpfs", "/run", "--tmpfs",
                           "/home", "--tmpfs", "/root"});
  return argv;
}

// The last line of `text` with something on it.
std::string last_line(std::string_view text) {
  const std::size_t end = text.find_last_not_of(" \t\r\n");
  if (end == std::string_view::npos) {
    return "";
  }
  const std::size_t newline = text.rfind('\n', end);
  const std::size_t start = newline == std::string_view::npos ? 0 : newline + 1;
  return std::string(text.substr(start, end + 1 - start));
}

// Tries bwrap with the shared options, running /bin/sh. Empty when it worked, else why not.
std::string try_bwrap(const std::vector<std::string>& prefix) {
  core::ProcessSpec spec;
  spec.argv = prefix;
  spec.argv.insert(spec.argv.end(), {"--chdir", "/", "--", "/bin/sh", "-c", "exit 0"});
  spec.env = std::map<std::string, std::string>{{"PATH", k_run_path}};
  spec.timeout = 20s;
  platform::PosixProcessRunner runner;
  const auto result = runner.run(spec);
  if (!result) {
    return result.error().message;
  }
  if (result->timed_out) {
    return "bwrap did not finish starting /bin/sh within 20 s";
  }
  if (!result->ok()) {
    const std::string said = last_line(result->err);
    return said.empty() ? fmt::format("bwrap failed (exit code {}, signal {})", result->exit_code,
                                      result->term_signal)
                        : said;
  }
  return "";
}

// RLIMIT_NPROC counts every task of the real uid, not only the run's: the tasks this uid has now,
// so that the fallback limit leaves the run about `max_processes` of its own.
std::uint64_t tasks_of_this_user() {
  std::uint64_t tasks = 0;
  const std::string uid = std::to_string(::getuid());
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    std::ifstream status(entry.path() / "status");
    std::string line;
    bool mine = false;
    while (std::getline(status, line)) {
      if (line.starts_with("Uid:")) {
        std::istringstream fields(line.substr(4));
        std::string real;
        fields >> real;
        mine = real == uid;
      } else if (line.starts_with("Threads:") && mine) {
        try {
          tasks += std::stoull(line.substr(8));
        } catch (const std::exception&) {
        }
      }
    }
  }
  return tasks;
}

// The program as bwrap's execvp() will find it: an error when it is not there, so that a missing
// program is a `process` error as without the sandbox, not an exit code of bwrap's.
core::Result<void> check_program(const SandboxSpec& spec,
                                 const std::map<std::string, std::string>& env) {
  const std::string& name = spec.argv.front();
  if (name.find('/') == std::string::npos) {
    const auto path = env.find("PATH");
    if (!platform::find_executable(name, path != env.end() ? path->second : "/bin:/usr/bin")) {
      return core::fail(ErrorCode::process,
                        "cannot run '" + name + "': No such file or directory (not found on PATH)");
    }
    return {};
  }
  const fs::path program = fs::path(name).is_absolute() ? fs::path(name) : spec.workdir / name;
  if (::access(program.c_str(), X_OK) != 0) {
    const int error = errno;
    char buffer[256];
    return core::fail(ErrorCode::process,
                      "cannot run '" + name + "': " + ::strerror_r(error, buffer, sizeof(buffer)));
  }
  return {};
}

core::Result<void> check_spec(const SandboxSpec& spec) {
  if (spec.argv.empty()) {
    return core::fail(ErrorCode::invalid_argument, "cannot run in the sandbox: argv is empty");
  }
  std::error_code ec;
  if (!spec.workdir.is_absolute() || !fs::is_directory(spec.workdir, ec)) {
    return core::fail(ErrorCode::invalid_argument, "cannot run in the sandbox: the work folder '" +
                                                       spec.workdir.string() +
                                                       "' is not an absolute path to a folder");
  }
  for (const fs::path& folder : spec.read_only) {
    if (!folder.is_absolute() || !fs::exists(folder, ec)) {
      return core::fail(ErrorCode::invalid_argument,
                        "cannot run in the sandbox: the read-only folder '" + folder.string() +
                            "' is not an absolute path to something that exists");
    }
  }
  if (spec.stdout_path.empty() || spec.stderr_path.empty()) {
    return core::fail(ErrorCode::invalid_argument,
                      "cannot run in the sandbox: stdout_path and stderr_path are required");
  }
  return {};
}

}  // namespace

std::vector<std::string> SandboxCapabilities::describe(bool isolated) const {
  std::vector<std::string> lines;
  if (isolated) {
    lines.push_back(fmt::format(
        "sandbox: bubblewrap: no network, the system read-only, writable only the work folder "
        "and a private /tmp, own PID/IPC/UTS namespaces, no capabilities{}",
        user_namespace ? ", uid 65534 in a user namespace of its own" : ""));
  } else {
    lines.push_back(
        "sandbox: none (--no-sandbox): the code runs with this user's rights, network and files");
  }
  lines.push_back("environment: built from scratch (no API keys or other secrets)");
  lines.push_back("memory limit: " + (memory_limit ? memory_how : "none (" + memory_how + ")"));
  lines.push_back("process limit: " + (process_limit ? process_how : "none (" + process_how + ")"));
  lines.push_back("file size limit: RLIMIT_FSIZE; stdout and stderr kept up to a cap");
  std::string cleanup;
  if (process_limit && process_how.starts_with("cgroup")) {
    cleanup = "the run's cgroup is emptied";
  } else if (isolated) {
    cleanup = "the PID namespace ends with it";
  } else {
    cleanup = "its process group is killed (a process that leaves the group can outlive it)";
  }
  lines.push_back("timeout: SIGTERM, then SIGKILL after a grace period; when a run ends " +
                  cleanup);
  return lines;
}

std::map<std::string, std::string> clean_env(const std::filesystem::path& workdir,
                                             const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> env = {
      {"PATH", k_run_path},
      {"HOME", workdir.string()},
      {"TMPDIR", "/tmp"},
      {"LANG", "C.UTF-8"},
      {"PYTHONUNBUFFERED", "1"},
      {"MPLBACKEND", "Agg"},
      {"MPLCONFIGDIR", "/tmp/matplotlib"},
      {"XDG_CACHE_HOME", "/tmp/cache"},
  };
  for (const auto& [key, value] : extra) {
    env[key] = value;
  }
  return env;
}

std::unique_ptr<Sandbox> Sandbox::create(bool isolate, std::filesystem::path bwrap_path) {
  SandboxCapabilities caps;
  std::vector<std::string> prefix;

  const std::optional<fs::path> bwrap = bwrap_path.empty()
                                            ? platform::find_executable("bwrap", k_system_path)
                                            : platform::find_executable(bwrap_path.string(), "");
  if (!bwrap) {
    caps.bubblewrap_problem =
        "bubblewrap (bwrap) is not installed: install it (Debian/Ubuntu: apt install bubblewrap)";
  } else {
    // Preferred: a user namespace as uid 65534 as well; without it, what Debian's bwrap as root
    // and setuid installations can do.
    std::string problem = try_bwrap(bwrap_prefix(*bwrap, true));
    if (problem.empty()) {
      caps.user_namespace = true;
      prefix = bwrap_prefix(*bwrap, true);
    } else if (const std::string without = try_bwrap(bwrap_prefix(*bwrap, false));
               without.empty()) {
      prefix = bwrap_prefix(*bwrap, false);
    } else {
      caps.bubblewrap_problem = fmt::format(
          "bubblewrap cannot create a sandbox here ({}). Unprivileged user namespaces may be "
          "off (sysctl kernel.unprivileged_userns_clone=1; on Ubuntu 24.04 an AppArmor profile "
          "for bwrap), or this is a container that forbids namespaces",
          without);
    }
    caps.bubblewrap = !prefix.empty();
  }

  const CgroupSupport& cgroups = probe_cgroups();
  const bool root = ::geteuid() == 0;
  if (cgroups.memory()) {
    caps.memory_limit = true;
    caps.memory_how = cgroups.memory_how;
  } else {
    caps.memory_limit = true;
    caps.memory_how = "RLIMIT_AS: virtual memory per process, no cgroup (" + cgroups.problem +
                      "); large virtual reservations (CUDA) may fail under it";
  }
  if (cgroups.pids()) {
    caps.process_limit = true;
    caps.process_how = cgroups.process_how;
  } else if (!root) {
    caps.process_limit = true;
    caps.process_how =
        "RLIMIT_NPROC: counts all tasks of this user, raised by those running "
        "when a run starts; no cgroup (" +
        cgroups.problem + ")";
  } else {
    caps.process_limit = false;
    caps.process_how =
        "running as root, RLIMIT_NPROC does not bind, and no cgroup (" + cgroups.problem + ")";
  }
  return std::unique_ptr<Sandbox>(new Sandbox(isolate, std::move(caps), std::move(prefix)));
}

core::Result<SandboxResult> Sandbox::run(const SandboxSpec& spec) const {
  if (m_isolate && !m_caps.bubblewrap) {
    return core::fail(ErrorCode::config, "cannot run the code in a sandbox: " +
                                             m_caps.bubblewrap_problem + ". " + k_no_sandbox_hint);
  }
  TRY_VOID(check_spec(spec));
  const std::map<std::string, std::string> env =
      spec.env.empty() ? clean_env(spec.workdir) : spec.env;
  const SandboxLimits& limits = spec.limits;

  const CgroupSupport& cgroups = probe_cgroups();
  std::unique_ptr<RunCgroup> cgroup;
  if (!cgroups.hierarchies.empty()) {
    cgroup = TRY(RunCgroup::create(cgroups, limits.memory_bytes,
                                   static_cast<std::uint64_t>(std::max(limits.max_processes, 0))));
  }

  core::ProcessSpec process;
  if (m_isolate) {
    TRY_VOID(check_program(spec, env));
    process.argv = m_bwrap_prefix;
    const std::string workdir = spec.workdir.string();
    process.argv.insert(process.argv.end(), {"--bind", workdir, workdir});
    for (const fs::path& folder : spec.read_only) {
      process.argv.insert(process.argv.end(), {"--ro-bind", folder.string(), folder.string()});
    }
    // A program installed under a folder the sandbox empties (a virtualenv or pyenv Python in a
    // home folder) keeps its installation, read-only: the folder above its bin/.
    const fs::path program(spec.argv.front());
    for (const char* hidden : {"/home/", "/root/", "/run/"}) {
      if (program.is_absolute() && program.string().starts_with(hidden)) {
        const fs::path prefix = program.parent_path().parent_path();
        process.argv.insert(process.argv.end(), {"--ro-bind", prefix.string(), prefix.string()});
        break;
      }
    }
    // The environment reaches the program through bwrap's own (not --setenv: argv is visible to
    // every user in /proc).
    process.argv.insert(process.argv.end(), {"--chdir", workdir, "--"});
  }
  process.argv.insert(process.argv.end(), spec.argv.begin(), spec.argv.end());
  process.cwd = spec.workdir;
  process.env = env;
  process.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(limits.timeout);
  process.kill_grace = limits.kill_grace;
  process.output_cap = k_tail_bytes;
  process.stdout_file = spec.stdout_path;
  process.stderr_file = spec.stderr_path;
  process.file_cap = limits.max_output_bytes;
  process.rlimits.file_bytes = limits.max_file_bytes;
  process.rlimits.no_core_dumps = true;
  if (limits.memory_bytes > 0 && !cgroups.memory()) {
    process.rlimits.address_space = limits.memory_bytes;
  }
  if (limits.max_processes > 0 && !cgroups.pids() && ::geteuid() != 0) {
    process.rlimits.processes =
        static_cast<std::uint64_t>(limits.max_processes) + tasks_of_this_user();
  }
  process.kill_leftovers = true;
  if (cgroup) {
    process.cgroup_procs = cgroup->procs_files();
    const bool isolated = m_isolate;
    process.signal_tree = [&cgroup, isolated](int pid, int sig) {
      if (sig == SIGKILL) {
        ::kill(-pid, SIGKILL);
        cgroup->signal(SIGKILL);
        return;
      }
      // The program gets its SIGTERM, and its grace, directly: bwrap would die of it at once and
      // take the sandbox with it (the sandbox's init ignores it by the kernel's rule for PID 1).
      if (!isolated) {
        ::kill(-pid, sig);
      }
      cgroup->signal(sig, isolated ? static_cast<pid_t>(pid) : 0);
    };
  }

  platform::PosixProcessRunner runner;
  core::Result<core::ProcessResult> ran = runner.run(process);
  if (cgroup) {
    cgroup->kill_all();  // none of the run survives it
  }
  if (!ran) {
    return core::fail(ran.error());
  }
  const core::ProcessResult& done = *ran;

  if (m_isolate && done.term_signal == 0 && !done.timed_out && done.exit_code == 1 &&
      done.err.starts_with("bwrap: ") && done.err.find('\n') + 1 == done.err.size()) {
    // bwrap itself failed to set up or to start the program.
    return core::fail(ErrorCode::process, "cannot run '" + spec.argv.front() +
                                              "' in the sandbox: " + last_line(done.err));
  }

  SandboxResult result;
  result.exit_code = done.exit_code;
  result.term_signal = done.term_signal;
  if (m_isolate && done.term_signal == 0 && done.exit_code > 128 && done.exit_code < 128 + NSIG) {
    // bwrap reports a program killed by signal N as exit code 128 + N, as shells do.
    result.term_signal = done.exit_code - 128;
    result.exit_code = -1;
  }
  result.timed_out = done.timed_out;
  result.duration = done.elapsed;
  result.stdout_tail = done.out;
  result.stderr_tail = done.err;
  result.output_truncated = done.out_file_truncated || done.err_file_truncated;

  std::vector<std::string> hits;
  if (cgroup && limits.memory_bytes > 0 && cgroup->memory_limit_hit()) {
    hits.push_back("memory limit of " + format_bytes(limits.memory_bytes));
  }
  if (cgroup && limits.max_processes > 0 && cgroup->process_limit_hit()) {
    hits.push_back(fmt::format("process limit of {}", limits.max_processes));
  }
  if (result.term_signal == SIGXFSZ) {
    hits.push_back("file size limit of " + format_bytes(limits.max_file_bytes));
  }
  for (std::size_t i = 0; i < hits.size(); ++i) {
    result.limit_hit += (i > 0 ? ", " : "") + hits[i];
  }
  return result;
}

}  // namespace experiment
