#include "platform/posix_process_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

#include "platform/executables.h"

extern char** environ;

namespace platform {

namespace {

using core::ErrorCode;
using core::ProcessResult;
using core::ProcessSpec;
using Clock = std::chrono::steady_clock;

// After the child has exited, how long output from processes it left behind (which keep the pipes
// open) is still collected before we stop reading.
constexpr std::chrono::milliseconds k_drain_after_exit{200};
// How often the child is checked for exit when no pidfd is available to poll.
constexpr std::chrono::milliseconds k_poll_tick{10};
constexpr std::size_t k_io_chunk = 64 * 1024;
// What execvp() searches when PATH is unset (glibc's default).
constexpr const char* k_default_path = "/bin:/usr/bin";
constexpr const char* k_shell = "/bin/sh";

// What the child reports through the status pipe when it cannot exec.
enum class ChildStage : int { setup = 1, chdir = 2, exec = 3, cgroup = 4, rlimit = 5 };
struct ChildFailure {
  ChildStage stage;
  int error;
  int index;  // cgroup: which of spec.cgroup_procs
};

std::string errno_text(int error) {
  char buffer[256];
  // GNU strerror_r: thread-safe, returns either `buffer` or a static string.
  return ::strerror_r(error, buffer, sizeof(buffer));
}

// Owns a file descriptor; closes it on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : m_fd(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset(std::exchange(other.m_fd, -1));
    }
    return *this;
  }
  ~Fd() { reset(); }

  int get() const { return m_fd; }
  explicit operator bool() const { return m_fd >= 0; }
  void reset(int fd = -1) {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
    m_fd = fd;
  }

 private:
  int m_fd = -1;
};

struct Pipe {
  Fd read;
  Fd write;
};

// Both ends close-on-exec (so concurrent runs never leak them into each other's children) and
// numbered above 2, so that the child's dup2() onto 0/1/2 always makes a fresh, inheritable copy
// even when the caller runs with stdin/stdout/stderr closed.
core::Result<Pipe> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    const int error = errno;
    return core::fail(ErrorCode::process, "cannot create a pipe: " + errno_text(error));
  }
  Pipe pipe{Fd(fds[0]), Fd(fds[1])};
  for (Fd* fd : {&pipe.read, &pipe.write}) {
    if (fd->get() <= STDERR_FILENO) {
      const int moved = ::fcntl(fd->get(), F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
      if (moved < 0) {
        const int error = errno;
        return core::fail(ErrorCode::process, "cannot create a pipe: " + errno_text(error));
      }
      fd->reset(moved);
    }
  }
  return pipe;
}

void set_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) {
    ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  }
}

// Everything the child needs, built before fork(): after fork() in a multi-threaded program the
// child may only make async-signal-safe calls, so it must not allocate. The pointer arrays point
// into this object's strings and into the spec, so it is neither copied nor moved.
struct ExecPlan {
  std::string program;  // the path handed to execve()
  std::string cwd;      // empty: stay in the caller's
  std::vector<char*> argv;
  std::vector<char*> shell_argv;  // for a file without #! (ENOEXEC), run by /bin/sh as execvp does
  std::vector<std::string> env_strings;
  std::vector<char*> env_pointers;
  char** envp = nullptr;
  std::vector<std::string> cgroup_procs;
  core::ProcessRlimits rlimits;

  ExecPlan() = default;
  ExecPlan(const ExecPlan&) = delete;
  ExecPlan& operator=(const ExecPlan&) = delete;
};

std::string parent_path_var() {
  // getenv() is only unsafe against a concurrent setenv(); only cli/ touches the real environment,
  // and it does so before anything runs processes.
  const char* value = ::getenv("PATH");
  return value != nullptr ? value : k_default_path;
}

core::Result<void> prepare(const ProcessSpec& spec, ExecPlan& plan) {
  const std::string& name = spec.argv.front();
  if (name.find('/') != std::string::npos) {
    // Used as is (relative to `cwd` when one is given, as execvp() after chdir() would); execve()
    // reports what is wrong with it.
    plan.program = name;
  } else {
    std::string path_var;
    if (spec.env) {
      const auto it = spec.env->find("PATH");
      path_var = it != spec.env->end() ? it->second : parent_path_var();
    } else {
      path_var = parent_path_var();
    }
    std::optional<std::filesystem::path> found = find_executable(name, path_var);
    if (!found) {
      return core::fail(ErrorCode::process, "cannot run '" + name + "': " + errno_text(ENOENT) +
                                                " (not found on PATH)");
    }
    // A relative PATH entry was resolved against our directory; keep it so after the chdir().
    std::error_code ec;
    std::filesystem::path absolute = std::filesystem::absolute(*found, ec);
    plan.program = ec ? found->string() : absolute.string();
  }

  plan.cwd = spec.cwd.string();
  for (const std::filesystem::path& file : spec.cgroup_procs) {
    plan.cgroup_procs.push_back(file.string());
  }
  plan.rlimits = spec.rlimits;

  for (const std::string& arg : spec.argv) {
    plan.argv.push_back(const_cast<char*>(arg.c_str()));
  }
  plan.argv.push_back(nullptr);

  plan.shell_argv.push_back(const_cast<char*>(k_shell));
  plan.shell_argv.push_back(plan.program.data());
  plan.shell_argv.insert(plan.shell_argv.end(), plan.argv.begin() + 1, plan.argv.end());

  if (spec.env) {
    plan.env_strings.reserve(spec.env->size());
    for (const auto& [key, value] : *spec.env) {
      plan.env_strings.push_back(key + "=" + value);
    }
    for (std::string& entry : plan.env_strings) {
      plan.env_pointers.push_back(entry.data());
    }
    plan.env_pointers.push_back(nullptr);
    plan.envp = plan.env_pointers.data();
  } else {
    plan.envp = environ;
  }
  return {};
}

[[noreturn]] void child_fail(int status_fd, ChildStage stage, int error, int index = 0) {
  const ChildFailure failure{stage, error, index};
  // Smaller than PIPE_BUF, so written whole or not at all.
  [[maybe_unused]] const ssize_t written = ::write(status_fd, &failure, sizeof(failure));
  ::_exit(127);
}

// Writes our pid in decimal to `file` (a cgroup's procs file): open, write, close only, as the
// forked child of a threaded program may do. Returns 0 or an errno value.
int join_cgroup(const char* file) {
  char digits[24];
  char* end = digits + sizeof(digits);
  char* begin = end;
  for (unsigned long pid = static_cast<unsigned long>(::getpid()); begin == end || pid > 0;
       pid /= 10) {
    *--begin = static_cast<char>('0' + pid % 10);
  }
  const int fd = ::open(file, O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    return errno;
  }
  const ssize_t size = end - begin;
  ssize_t written;
  do {
    written = ::write(fd, begin, static_cast<std::size_t>(size));
  } while (written < 0 && errno == EINTR);
  const int error = written == size ? 0 : (written < 0 ? errno : EIO);
  ::close(fd);
  return error;
}

// Sets soft and hard limit of `resource` to `value`, or to the hard limit when that is lower
// (which only root could raise). Returns false with errno set when the kernel refuses.
bool lower_rlimit(int resource, std::uint64_t value) {
  rlimit current{};
  if (::getrlimit(resource, &current) != 0) {
    return false;
  }
  rlim_t target = static_cast<rlim_t>(value);
  if (current.rlim_max != RLIM_INFINITY && current.rlim_max < target) {
    target = current.rlim_max;
  }
  const rlimit wanted{target, target};
  return ::setrlimit(resource, &wanted) == 0;
}

bool apply_rlimits(const core::ProcessRlimits& limits) {
  return (limits.file_bytes == 0 || lower_rlimit(RLIMIT_FSIZE, limits.file_bytes)) &&
         (limits.processes == 0 || lower_rlimit(RLIMIT_NPROC, limits.processes)) &&
         (limits.address_space == 0 || lower_rlimit(RLIMIT_AS, limits.address_space)) &&
         (!limits.no_core_dumps || lower_rlimit(RLIMIT_CORE, 0));
}

// Runs in the forked child: async-signal-safe calls only. Never returns.
[[noreturn]] void run_child(const ExecPlan& plan, int stdin_fd, int stdout_fd, int stderr_fd,
                            int status_fd) {
  // Own process group, so a timeout can signal everything the program starts.
  ::setpgid(0, 0);

  // Into the run's cgroups before anything else, so the limits bind from the first instruction
  // of the program and whatever it starts cannot be missed when the run is cleaned up.
  for (std::size_t i = 0; i < plan.cgroup_procs.size(); ++i) {
    const int error = join_cgroup(plan.cgroup_procs[i].c_str());
    if (error != 0) {
      child_fail(status_fd, ChildStage::cgroup, error, static_cast<int>(i));
    }
  }
  if (!apply_rlimits(plan.rlimits)) {
    child_fail(status_fd, ChildStage::rlimit, errno);
  }

  // Ignored signals stay ignored across exec (a caller ignoring SIGPIPE would pass that on), and
  // handlers must not run in this copy of the caller: give the program default dispositions, then
  // lift the all-blocking mask that the parent set around fork().
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  sigemptyset(&default_action.sa_mask);
  for (int sig = 1; sig < NSIG; ++sig) {
    ::sigaction(sig, &default_action, nullptr);  // fails harmlessly for SIGKILL, SIGSTOP, ...
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);

  if (::dup2(stdin_fd, STDIN_FILENO) < 0 || ::dup2(stdout_fd, STDOUT_FILENO) < 0 ||
      ::dup2(stderr_fd, STDERR_FILENO) < 0) {
    child_fail(status_fd, ChildStage::setup, errno);
  }
#ifdef CLOSE_RANGE_CLOEXEC
  // Descriptors some library opened without O_CLOEXEC must not leak into the program either.
  ::close_range(STDERR_FILENO + 1, ~0U, CLOSE_RANGE_CLOEXEC);
#endif

  if (!plan.cwd.empty() && ::chdir(plan.cwd.c_str()) != 0) {
    child_fail(status_fd, ChildStage::chdir, errno);
  }

  ::execve(plan.program.c_str(), plan.argv.data(), plan.envp);
  const int error = errno;
  if (error == ENOEXEC) {
    ::execve(k_shell, plan.shell_argv.data(), plan.envp);
  }
  child_fail(status_fd, ChildStage::exec, error);
}

// Keeps the last `cap` bytes appended. Grows to twice the cap before discarding, so each byte is
// moved a bounded number of times however much is appended.
class TailBuffer {
 public:
  explicit TailBuffer(std::size_t cap) : m_cap(cap) {}

  void append(const char* data, std::size_t size) {
    m_data.append(data, size);
    if (m_data.size() > m_cap && m_data.size() - m_cap > m_cap) {
      trim();
    }
  }

  // The kept bytes and whether any were dropped.
  std::pair<std::string, bool> take() {
    if (m_data.size() > m_cap) {
      trim();
    }
    return {std::move(m_data), m_truncated};
  }

 private:
  void trim() {
    m_data.erase(0, m_data.size() - m_cap);
    m_truncated = true;
  }

  std::size_t m_cap;
  std::string m_data;
  bool m_truncated = false;
};

// Where one output stream goes: the in-memory tail, and optionally a file that takes the first
// `cap` bytes (0: all).
class OutputSink {
 public:
  OutputSink(std::size_t tail_cap, std::uint64_t file_cap)
      : m_tail(tail_cap), m_file_cap(file_cap) {}

  core::Result<void> open_file(const std::filesystem::path& path) {
    if (path.empty()) {
      return {};
    }
    // O_NOFOLLOW: the folder may have been written by sandboxed code, which could have planted
    // a symlink to a file of ours under the log's name.
    const int fd =
        ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
      const int error = errno;
      return core::fail(ErrorCode::io, "cannot write the output file '" + path.string() +
                                           "': " + errno_text(error));
    }
    m_file.reset(fd);
    return {};
  }

  void append(const char* data, std::size_t size) {
    m_tail.append(data, size);
    if (!m_file) {
      return;
    }
    std::size_t keep = size;
    if (m_file_cap > 0 && m_written + keep > m_file_cap) {
      keep = static_cast<std::size_t>(m_file_cap - m_written);
      m_file_truncated = true;
    }
    std::size_t done = 0;
    while (done < keep) {
      const ssize_t n = ::write(m_file.get(), data + done, keep - done);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        // Disk full or the like: the file stays as it is; the tail still has the end.
        m_file.reset();
        m_file_truncated = true;
        return;
      }
      done += static_cast<std::size_t>(n);
    }
    m_written += keep;
    if (m_file_truncated) {
      m_file.reset();  // the rest is dropped
    }
  }

  TailBuffer& tail() { return m_tail; }
  bool file_truncated() const { return m_file_truncated; }

 private:
  TailBuffer m_tail;
  Fd m_file;
  std::uint64_t m_file_cap;
  std::uint64_t m_written = 0;
  bool m_file_truncated = false;
};

// Writes to a pipe whose reader has gone raise SIGPIPE in the writing thread, whose default
// action kills the whole program. Blocks SIGPIPE in this thread only (other threads and the
// process-wide disposition are untouched) and consumes one we raised ourselves.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&m_set);
    sigaddset(&m_set, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &m_set, &m_old);
    sigset_t pending;
    sigemptyset(&pending);
    ::sigpending(&pending);
    m_was_pending = sigismember(&pending, SIGPIPE) == 1;
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;

  // Call after a write failed with EPIPE: that write left a SIGPIPE pending on this thread.
  void consume() {
    if (m_was_pending) {
      return;  // not ours to take; it is delivered when the mask is restored
    }
    const timespec zero{};
    while (::sigtimedwait(&m_set, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }

  ~SigpipeBlock() { ::pthread_sigmask(SIG_SETMASK, &m_old, nullptr); }

 private:
  sigset_t m_set;
  sigset_t m_old;
  bool m_was_pending = false;
};

// A pidfd becomes readable when the process exits, which lets poll() wait for the child and its
// pipes at once. Invalid where the kernel lacks pidfd_open (before Linux 5.3) or forbids it; the
// caller then checks for exit every k_poll_tick instead.
Fd open_pidfd([[maybe_unused]] pid_t pid) {
#ifdef SYS_pidfd_open
  const long fd = ::syscall(SYS_pidfd_open, pid, 0);
  if (fd >= 0) {
    const int raw = static_cast<int>(fd);
    ::fcntl(raw, F_SETFD, FD_CLOEXEC);  // pidfds are close-on-exec already; be explicit
    return Fd(raw);
  }
#endif
  return Fd();
}

// Whether the child has exited, without reaping it: while it is a zombie its pid, and so its
// process group id, cannot be reused, which keeps kill(-pid, ...) aimed at our group.
bool has_exited(pid_t pid) {
  siginfo_t info{};
  while (true) {
    if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0) {
      return info.si_pid == pid;
    }
    if (errno != EINTR) {
      return true;  // ECHILD: someone reaped it (SIGCHLD ignored); nothing more to wait for
    }
  }
}

// Reaps the (exited) child; nullopt when its status was lost to someone else's wait.
std::optional<int> reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return std::nullopt;
    }
  }
  return status;
}

int poll_timeout_ms(Clock::time_point now, std::optional<Clock::time_point> wake) {
  if (!wake) {
    return -1;
  }
  if (*wake <= now) {
    return 0;
  }
  // Rounded up, so we never wake just before the deadline and spin.
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(*wake - now).count();
  return static_cast<int>(std::min<long long>(ms, INT_MAX));
}

void earliest(std::optional<Clock::time_point>& wake, Clock::time_point candidate) {
  if (!wake || candidate < *wake) {
    wake = candidate;
  }
}

// Reads one chunk into `buffer`; closes `fd` at end of file or on an error.
void read_some(Fd& fd, OutputSink& buffer) {
  char chunk[k_io_chunk];
  while (true) {
    const ssize_t got = ::read(fd.get(), chunk, sizeof(chunk));
    if (got > 0) {
      buffer.append(chunk, static_cast<std::size_t>(got));
      return;
    }
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return;
    }
    fd.reset();
    return;
  }
}

// Writes one chunk of the remaining stdin data; closes `fd` when all is written or the child
// stopped reading (EPIPE: the rest is dropped, which is not an error of the run).
void write_some(Fd& fd, const std::string& data, std::size_t& offset) {
  SigpipeBlock block;
  while (offset < data.size()) {
    const std::size_t size = std::min(data.size() - offset, k_io_chunk);
    const ssize_t written = ::write(fd.get(), data.data() + offset, size);
    if (written >= 0) {
      offset += static_cast<std::size_t>(written);
      break;
    }
    if (errno == EINTR) {
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return;
    }
    if (errno == EPIPE) {
      block.consume();
    }
    fd.reset();
    return;
  }
  if (offset >= data.size()) {
    fd.reset();
  }
}

std::string describe_failure(const ProcessSpec& spec, const ExecPlan& plan,
                             const ChildFailure& failure) {
  const std::string& name = spec.argv.front();
  switch (failure.stage) {
    case ChildStage::chdir:
      return "cannot run '" + name + "': cannot change directory to '" + plan.cwd +
             "': " + errno_text(failure.error);
    case ChildStage::exec:
      if (plan.program != name) {
        return "cannot run '" + name + "' (" + plan.program + "): " + errno_text(failure.error);
      }
      return "cannot run '" + name + "': " + errno_text(failure.error);
    case ChildStage::cgroup:
      return "cannot run '" + name + "': cannot join the cgroup of '" +
             (static_cast<std::size_t>(failure.index) < plan.cgroup_procs.size()
                  ? plan.cgroup_procs[static_cast<std::size_t>(failure.index)]
                  : std::string("?")) +
             "': " + errno_text(failure.error);
    case ChildStage::rlimit:
      return "cannot run '" + name +
             "': cannot set its resource limits: " + errno_text(failure.error);
    case ChildStage::setup:
      break;
  }
  return "cannot run '" + name +
         "': cannot set up its standard streams: " + errno_text(failure.error);
}

}  // namespace

core::Result<ProcessResult> PosixProcessRunner::run(const ProcessSpec& spec) {
  if (spec.argv.empty()) {
    return core::fail(ErrorCode::invalid_argument, "cannot run a process: argv is empty");
  }

  ExecPlan plan;
  TRY_VOID(prepare(spec, plan));

  OutputSink out_sink(spec.output_cap, spec.file_cap);
  OutputSink err_sink(spec.output_cap, spec.file_cap);
  TRY_VOID(out_sink.open_file(spec.stdout_file));
  TRY_VOID(err_sink.open_file(spec.stderr_file));

  Pipe in = TRY(make_pipe());
  Pipe out = TRY(make_pipe());
  Pipe err = TRY(make_pipe());
  Pipe status = TRY(make_pipe());

  const Clock::time_point start = Clock::now();

  // All signals blocked across fork(), so none is handled in the child before it has reset the
  // dispositions; the child unblocks them itself.
  sigset_t all_signals;
  sigset_t old_mask;
  sigfillset(&all_signals);
  ::pthread_sigmask(SIG_SETMASK, &all_signals, &old_mask);
  const pid_t pid = ::fork();
  if (pid == 0) {
    run_child(plan, in.read.get(), out.write.get(), err.write.get(), status.write.get());
  }
  const int fork_error = errno;
  ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  if (pid < 0) {
    return core::fail(ErrorCode::process,
                      "cannot run '" + spec.argv.front() + "': fork: " + errno_text(fork_error));
  }

  // Also done by the child; whichever runs first closes the race with a kill(-pid, ...). Fails
  // harmlessly (EACCES) once the child has exec'd.
  ::setpgid(pid, pid);

  in.read.reset();
  out.write.reset();
  err.write.reset();
  status.write.reset();

  // End of file: the exec succeeded and closed the child's copy (close-on-exec). A record: it
  // failed, and the child has exited.
  ChildFailure failure{};
  std::size_t got = 0;
  while (got < sizeof(failure)) {
    const ssize_t n =
        ::read(status.read.get(), reinterpret_cast<char*>(&failure) + got, sizeof(failure) - got);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    got += static_cast<std::size_t>(n);
  }
  status.read.reset();
  if (got == sizeof(failure)) {
    reap(pid);
    return core::fail(ErrorCode::process, describe_failure(spec, plan, failure));
  }

  Fd pidfd = open_pidfd(pid);
  Fd stdin_fd = std::move(in.write);
  Fd stdout_fd = std::move(out.read);
  Fd stderr_fd = std::move(err.read);
  set_nonblocking(stdout_fd.get());
  set_nonblocking(stderr_fd.get());
  if (spec.stdin_data.empty()) {
    stdin_fd.reset();
  } else {
    set_nonblocking(stdin_fd.get());
  }

  std::size_t stdin_offset = 0;

  // Signals everything the child started (see ProcessSpec::signal_tree). Only called before the
  // child is reaped, so its pid, and the group id it leads, cannot have been reused.
  const auto signal_tree = [&spec, pid](int sig) {
    if (spec.signal_tree) {
      spec.signal_tree(static_cast<int>(pid), sig);
    } else {
      ::kill(-pid, sig);
    }
  };

  ProcessResult result;
  std::optional<Clock::time_point> deadline;
  if (spec.timeout.count() > 0) {
    deadline = start + spec.timeout;
  }
  std::optional<Clock::time_point> kill_at;
  bool killed = false;
  bool exited = false;
  Clock::time_point exit_time{};

  while (true) {
    if (!exited && has_exited(pid)) {
      exited = true;
      exit_time = Clock::now();
      if (spec.kill_leftovers) {
        signal_tree(SIGKILL);
      }
    }
    if (exited && !stdout_fd && !stderr_fd) {
      break;
    }
    const Clock::time_point now = Clock::now();
    if (exited && now >= exit_time + k_drain_after_exit) {
      break;  // something the child left behind holds the pipes open; stop waiting for it
    }

    std::optional<Clock::time_point> wake;
    if (exited) {
      stdin_fd.reset();
      earliest(wake, exit_time + k_drain_after_exit);
    } else {
      if (deadline && !result.timed_out && now >= *deadline) {
        result.timed_out = true;
        signal_tree(SIGTERM);
        kill_at = now + spec.kill_grace;
      }
      if (kill_at && !killed && now >= *kill_at) {
        killed = true;
        signal_tree(SIGKILL);
      }
      if (deadline && !result.timed_out) {
        earliest(wake, *deadline);
      }
      if (kill_at && !killed) {
        earliest(wake, *kill_at);
      }
      if (!pidfd) {
        earliest(wake, now + k_poll_tick);
      }
    }

    pollfd fds[4];
    nfds_t count = 0;
    const auto add = [&](const Fd& fd, short events) -> pollfd* {
      if (!fd) {
        return nullptr;
      }
      fds[count] = pollfd{fd.get(), events, 0};
      return &fds[count++];
    };
    const pollfd* stdin_poll = add(stdin_fd, POLLOUT);
    const pollfd* stdout_poll = add(stdout_fd, POLLIN);
    const pollfd* stderr_poll = add(stderr_fd, POLLIN);
    if (!exited) {
      add(pidfd, POLLIN);
    }

    const int ready = ::poll(fds, count, poll_timeout_ms(now, wake));
    if (ready < 0) {
      if (errno == EINTR || errno == EAGAIN) {
        continue;
      }
      // Cannot wait on the pipes any more; stop reading and wait for the child below.
      const int error = errno;
      signal_tree(SIGKILL);
      reap(pid);
      return core::fail(ErrorCode::process,
                        "running '" + spec.argv.front() + "': poll: " + errno_text(error));
    }
    if (ready == 0) {
      continue;
    }
    if (stdin_poll != nullptr && stdin_poll->revents != 0) {
      write_some(stdin_fd, spec.stdin_data, stdin_offset);
    }
    if (stdout_poll != nullptr && stdout_poll->revents != 0) {
      read_some(stdout_fd, out_sink);
    }
    if (stderr_poll != nullptr && stderr_poll->revents != 0) {
      read_some(stderr_fd, err_sink);
    }
  }

  if (result.timed_out && !killed) {
    // The child is gone but may have left members of its group behind, still running.
    signal_tree(SIGKILL);
  }
  const std::optional<int> wait_status = reap(pid);
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(exit_time - start);
  if (wait_status) {
    if (WIFEXITED(*wait_status)) {
      result.exit_code = WEXITSTATUS(*wait_status);
    } else if (WIFSIGNALED(*wait_status)) {
      result.term_signal = WTERMSIG(*wait_status);
    }
  }
  std::tie(result.out, result.out_truncated) = out_sink.tail().take();
  std::tie(result.err, result.err_truncated) = err_sink.tail().take();
  result.out_file_truncated = out_sink.file_truncated();
  result.err_file_truncated = err_sink.file_truncated();
  return result;
}

}  // namespace platform
