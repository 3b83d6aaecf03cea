#include "experiment/cgroups.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "platform/posix_process_runner.h"

namespace experiment {

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* k_folder = "ai-scientist";
// How long a removed cgroup may stay busy while its last members finish exiting.
constexpr std::chrono::milliseconds k_rmdir_patience{2000};

std::atomic<unsigned> g_counter{0};

std::string errno_text(int error) {
  char buffer[256];
  return ::strerror_r(error, buffer, sizeof(buffer));
}

// A unique name for a cgroup of this process: PREFIX-PID-N.
std::string unique_name(std::string_view prefix) {
  return fmt::format("{}-{}-{}", prefix, ::getpid(), g_counter.fetch_add(1));
}

std::optional<std::string> read_text(const fs::path& file) {
  std::ifstream in(file);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Writes `text` in one write(), as cgroup files want. Returns 0 or an errno value.
int write_text(const fs::path& file, std::string_view text) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    return errno;
  }
  ssize_t written;
  do {
    written = ::write(fd, text.data(), text.size());
  } while (written < 0 && errno == EINTR);
  const int error = written < 0 ? errno : 0;
  ::close(fd);
  return error;
}

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find(separator, start);
    parts.emplace_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) {
      return parts;
    }
    start = end + 1;
  }
}

bool contains_word(std::string_view text, std::string_view word) {
  for (const std::string& part : split(text, ' ')) {
    std::string trimmed = part;
    trimmed.erase(std::remove(trimmed.begin(), trimmed.end(), '\n'), trimmed.end());
    if (trimmed == word) {
      return true;
    }
  }
  return false;
}

// The number after `key` in a "key value" per line file (memory.events, pids.events,
// memory.oom_control); nullopt when the file or the key is missing.
std::optional<std::uint64_t> read_counter(const fs::path& file, std::string_view key) {
  const std::optional<std::string> text = read_text(file);
  if (!text) {
    return std::nullopt;
  }
  for (const std::string& line : split(*text, '\n')) {
    const std::vector<std::string> fields = split(line, ' ');
    if (fields.size() == 2 && fields[0] == key) {
      try {
        return std::stoull(fields[1]);
      } catch (const std::exception&) {
        return std::nullopt;
      }
    }
  }
  return std::nullopt;
}

// mountinfo escapes blanks and backslashes in paths as \ooo.
std::string unescape_mount_path(std::string_view text) {
  std::string path;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size() &&
        std::isdigit(static_cast<unsigned char>(text[i + 1]))) {
      path += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 3)), nullptr, 8));
      i += 3;
    } else {
      path += text[i];
    }
  }
  return path;
}

struct Mount {
  std::string root;     // the cgroup path mounted there ("/" for the whole hierarchy)
  fs::path point;       // where it is mounted
  int version = 0;      // 1 or 2
  std::string options;  // v1: super options, naming the controllers ("rw,memory")
};

std::vector<Mount> cgroup_mounts() {
  std::vector<Mount> mounts;
  const std::optional<std::string> text = read_text("/proc/self/mountinfo");
  if (!text) {
    return mounts;
  }
  for (const std::string& line : split(*text, '\n')) {
    const std::vector<std::string> fields = split(line, ' ');
    const auto dash = std::find(fields.begin(), fields.end(), "-");
    if (fields.size() < 5 || dash == fields.end() || fields.end() - dash < 4) {
      continue;
    }
    const std::string& type = *(dash + 1);
    Mount mount{unescape_mount_path(fields[3]), unescape_mount_path(fields[4]), 0, *(dash + 3)};
    if (type == "cgroup2") {
      mount.version = 2;
    } else if (type == "cgroup") {
      mount.version = 1;
    } else {
      continue;
    }
    mounts.push_back(std::move(mount));
  }
  return mounts;
}

// This process's cgroup per hierarchy, from /proc/self/cgroup: "ID:CONTROLLERS:PATH".
struct OwnCgroup {
  std::vector<std::string> controllers;  // empty for the v2 line ("0::/path")
  std::string path;
};

std::vector<OwnCgroup> own_cgroups() {
  std::vector<OwnCgroup> own;
  const std::optional<std::string> text = read_text("/proc/self/cgroup");
  if (!text) {
    return own;
  }
  for (const std::string& line : split(*text, '\n')) {
    const std::size_t first = line.find(':');
    const std::size_t second = first == std::string::npos ? first : line.find(':', first + 1);
    if (second == std::string::npos) {
      continue;
    }
    OwnCgroup entry;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    if (!controllers.empty()) {
      entry.controllers = split(controllers, ',');
    }
    entry.path = line.substr(second + 1);
    own.push_back(std::move(entry));
  }
  return own;
}

// Where `own_path` lies under `mount`, or nullopt when the mount shows another part of the tree.
std::optional<fs::path> locate(const Mount& mount, const std::string& own_path) {
  std::string below;
  if (mount.root == "/") {
    below = own_path;
  } else if (own_path == mount.root || own_path.starts_with(mount.root + "/")) {
    below = own_path.substr(mount.root.size());
  } else {
    return std::nullopt;
  }
  const fs::path relative = fs::path(below).relative_path();
  return relative.empty() ? mount.point : mount.point / relative;
}

// The folder itself, then its ancestors up to the mount point.
std::vector<fs::path> candidates(const fs::path& own, const fs::path& mount_point) {
  std::vector<fs::path> list;
  fs::path dir = own;
  while (true) {
    list.push_back(dir);
    if (dir == mount_point || !dir.has_relative_path() || dir.parent_path() == dir) {
      return list;
    }
    dir = dir.parent_path();
  }
}

// mkdir that accepts an existing folder. Returns 0 or an errno value.
int make_dir(const fs::path& dir) {
  if (::mkdir(dir.c_str(), 0755) == 0 || errno == EEXIST) {
    return 0;
  }
  return errno;
}

// rmdir, retried while the kernel still counts exiting members. Returns 0 or an errno value.
int remove_dir(const fs::path& dir) {
  const auto give_up = std::chrono::steady_clock::now() + k_rmdir_patience;
  while (true) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) {
      return 0;
    }
    const int error = errno;
    if (error != EBUSY || std::chrono::steady_clock::now() >= give_up) {
      return error;
    }
    std::this_thread::sleep_for(5ms);
  }
}

// What stood in the way in this process's own cgroup (the ancestors tried after it mostly fail
// for the same reason).
std::string first_reason(const std::vector<std::string>& tried) {
  if (tried.empty()) {
    return "no cgroup to try";
  }
  return tried.front() +
         (tried.size() > 1 ? fmt::format(" (and {} more tried)", tried.size() - 1) : "");
}

// Makes a throw-away cgroup under `hierarchy.parent`, sets its limits to "none" and starts one
// child in it: what a run does. Empty when all of it works, else what failed.
std::string try_hierarchy(const CgroupHierarchy& hierarchy) {
  const fs::path probe = hierarchy.parent / unique_name("probe");
  if (const int error = make_dir(probe); error != 0) {
    return fmt::format("cannot create {}: {}", probe.string(), errno_text(error));
  }
  std::string problem;
  std::vector<std::pair<std::string, std::string>> writes;
  if (hierarchy.pids) {
    writes.emplace_back("pids.max", "max");
  }
  if (hierarchy.memory) {
    writes.emplace_back(hierarchy.version == 2 ? "memory.max" : "memory.limit_in_bytes",
                        hierarchy.version == 2 ? "max" : "-1");
  }
  for (const auto& [file, value] : writes) {
    if (const int error = write_text(probe / file, value); error != 0) {
      problem = fmt::format("cannot write {}: {}", (probe / file).string(), errno_text(error));
      break;
    }
  }
  if (problem.empty()) {
    core::ProcessSpec spec;
    spec.argv = {"/bin/sh", "-c", "exit 0"};
    spec.cgroup_procs = {probe / "cgroup.procs"};
    spec.timeout = 10s;
    platform::PosixProcessRunner runner;
    const auto result = runner.run(spec);
    if (!result) {
      problem = result.error().message;
    } else if (!result->ok()) {
      problem = "a process in a test cgroup did not run";
    }
  }
  remove_dir(probe);
  return problem;
}

// v2: finds where run cgroups can get the wanted controllers. Returns the hierarchy, or nullopt
// with `problem` set.
std::optional<CgroupHierarchy> probe_v2(const Mount& mount, const std::string& own_path,
                                        std::string& problem) {
  const std::optional<fs::path> own = locate(mount, own_path);
  if (!own) {
    problem = "this process's cgroup v2 is not visible under " + mount.point.string();
    return std::nullopt;
  }
  std::vector<std::string> tried;
  for (const fs::path& dir : candidates(*own, mount.point)) {
    const std::string available = read_text(dir / "cgroup.controllers").value_or("");
    std::vector<std::string> wanted;
    for (const char* controller : {"memory", "pids"}) {
      if (contains_word(available, controller)) {
        wanted.emplace_back(controller);
      }
    }
    if (wanted.empty()) {
      tried.push_back(dir.string() + ": no memory or pids controller");
      break;  // an ancestor has no more than its child
    }
    // `dir` hands the controllers to its children (impossible while it holds processes itself,
    // unless it is the root), and ai-scientist/ to the run cgroups (it never holds processes).
    const fs::path parent = dir / k_folder;
    const bool existed = fs::exists(parent);
    if (const int error = make_dir(parent); error != 0) {
      tried.push_back(fmt::format("{}: {}", parent.string(), errno_text(error)));
      continue;
    }
    CgroupHierarchy hierarchy{2, parent, false, false};
    std::string why;
    for (const std::string& controller : wanted) {
      const std::string subtree = read_text(dir / "cgroup.subtree_control").value_or("");
      if (!contains_word(subtree, controller)) {
        if (const int error = write_text(dir / "cgroup.subtree_control", "+" + controller);
            error != 0) {
          why = fmt::format("cannot enable {} in {}: {}", controller,
                            (dir / "cgroup.subtree_control").string(), errno_text(error));
          continue;
        }
      }
      if (const int error = write_text(parent / "cgroup.subtree_control", "+" + controller);
          error != 0) {
        why = fmt::format("cannot enable {} in {}: {}", controller,
                          (parent / "cgroup.subtree_control").string(), errno_text(error));
        continue;
      }
      (controller == "memory" ? hierarchy.memory : hierarchy.pids) = true;
    }
    if (hierarchy.memory || hierarchy.pids) {
      if (std::string failed = try_hierarchy(hierarchy); failed.empty()) {
        return hierarchy;
      } else {
        why = failed;
      }
    }
    tried.push_back(why);
    if (!existed) {
      ::rmdir(parent.c_str());
    }
  }
  problem = "cgroup v2: " + first_reason(tried);
  if (problem.find(errno_text(EACCES)) != std::string::npos) {
    // A login session's scope belongs to root; the user's own systemd manager delegates its
    // subtree, which is where such a scope puts the engine.
    problem += "; `systemd-run --user --scope ai-scientist ...` gives it a cgroup it may manage";
  }
  return std::nullopt;
}

// v1: ai-scientist/ in this process's cgroup of the hierarchy holding `controller` (or in an
// ancestor when that one is not writable).
std::optional<CgroupHierarchy> probe_v1(const Mount& mount, const std::string& own_path,
                                        const std::string& controller, std::string& problem) {
  const std::optional<fs::path> own = locate(mount, own_path);
  if (!own) {
    problem =
        "this process's " + controller + " cgroup is not visible under " + mount.point.string();
    return std::nullopt;
  }
  std::vector<std::string> tried;
  for (const fs::path& dir : candidates(*own, mount.point)) {
    const fs::path parent = dir / k_folder;
    const bool existed = fs::exists(parent);
    if (const int error = make_dir(parent); error != 0) {
      tried.push_back(fmt::format("{}: {}", parent.string(), errno_text(error)));
      continue;
    }
    CgroupHierarchy hierarchy{1, parent, controller == "memory", controller == "pids"};
    std::string failed = try_hierarchy(hierarchy);
    if (failed.empty()) {
      return hierarchy;
    }
    tried.push_back(failed);
    if (!existed) {
      ::rmdir(parent.c_str());
    }
  }
  problem = "cgroup v1 " + controller + ": " + first_reason(tried);
  return std::nullopt;
}

CgroupSupport probe() {
  CgroupSupport support;
  std::vector<std::string> problems;
  const std::vector<Mount> mounts = cgroup_mounts();
  const std::vector<OwnCgroup> own = own_cgroups();

  bool need_memory = true;
  bool need_pids = true;
  // The unified hierarchy first: where it has the controllers, v1 cannot have them too.
  for (const OwnCgroup& entry : own) {
    if (!entry.controllers.empty()) {
      continue;
    }
    for (const Mount& mount : mounts) {
      if (mount.version != 2) {
        continue;
      }
      std::string problem;
      if (auto hierarchy = probe_v2(mount, entry.path, problem)) {
        need_memory = !hierarchy->memory;
        need_pids = !hierarchy->pids;
        support.hierarchies.push_back(*hierarchy);
        break;
      }
      problems.push_back(problem);
    }
  }
  for (const char* controller : {"memory", "pids"}) {
    if (!(std::string_view(controller) == "memory" ? need_memory : need_pids)) {
      continue;
    }
    const auto entry = std::find_if(own.begin(), own.end(), [&](const OwnCgroup& candidate) {
      return std::ranges::find(candidate.controllers, controller) != candidate.controllers.end();
    });
    if (entry == own.end()) {
      continue;
    }
    for (const Mount& mount : mounts) {
      const std::vector<std::string> options = split(mount.options, ',');
      if (mount.version != 1 || std::ranges::find(options, controller) == options.end()) {
        continue;
      }
      std::string problem;
      if (auto hierarchy = probe_v1(mount, entry->path, controller, problem)) {
        support.hierarchies.push_back(*hierarchy);
        break;
      }
      problems.push_back(problem);
    }
  }

  for (const CgroupHierarchy& hierarchy : support.hierarchies) {
    if (hierarchy.memory) {
      support.memory_how =
          hierarchy.version == 2
              ? "cgroup v2 memory.max, no swap (the kernel kills the run at the limit)"
              : "cgroup v1 memory.limit_in_bytes (the kernel kills a process at the limit)";
    }
    if (hierarchy.pids) {
      support.process_how = fmt::format(
          "cgroup v{} pids.max (processes and threads; a fork past it fails)", hierarchy.version);
    }
  }
  if (!support.memory() || !support.pids()) {
    if (mounts.empty()) {
      problems.insert(problems.begin(), "no cgroup file system is mounted");
    }
    for (std::size_t i = 0; i < problems.size(); ++i) {
      support.problem += (i > 0 ? "; " : "") + problems[i];
    }
    if (support.problem.empty()) {
      support.problem = "no cgroup hierarchy here offers the " +
                        std::string(!support.memory() ? "memory" : "pids") + " controller";
    }
  }
  return support;
}

}  // namespace

bool CgroupSupport::memory() const {
  return std::ranges::any_of(hierarchies, [](const CgroupHierarchy& h) { return h.memory; });
}

bool CgroupSupport::pids() const {
  return std::ranges::any_of(hierarchies, [](const CgroupHierarchy& h) { return h.pids; });
}

namespace {

// Cgroups of runs whose engine died without cleaning up (kill -9, a power cut): their names carry
// the engine's pid (unique_name), so a folder whose pid no longer lives is stale. Whatever still
// runs in it is killed and the folder removed, so crashed runs neither linger nor pile up.
void sweep_stale(const CgroupSupport& support) {
  for (const CgroupHierarchy& hierarchy : support.hierarchies) {
    std::error_code ec;
    for (fs::directory_iterator it(hierarchy.parent, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      const auto first = name.find('-');
      const auto second = name.find('-', first + 1);
      if (first == std::string::npos || second == std::string::npos) continue;
      const std::string pid = name.substr(first + 1, second - first - 1);
      if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos ||
          std::stoll(pid) == ::getpid() || fs::exists(fs::path("/proc") / pid)) {
        continue;
      }
      if (auto procs = read_text(it->path() / "cgroup.procs")) {
        std::istringstream members(*procs);
        for (long long member; members >> member;)
          ::kill(static_cast<pid_t>(member), SIGKILL);
      }
      remove_dir(it->path());
    }
  }
}

}  // namespace

const CgroupSupport& probe_cgroups() {
  static const CgroupSupport support = [] {
    CgroupSupport probed = probe();
    sweep_stale(probed);
    return probed;
  }();
  return support;
}

core::Result<std::unique_ptr<RunCgroup>> RunCgroup::create(const CgroupSupport& support,
                                                           std::uint64_t memory_bytes,
                                                           std::uint64_t max_processes) {
  std::vector<Dir> dirs;
  const auto undo = [&dirs] {
    for (const Dir& dir : dirs) {
      remove_dir(dir.path);
    }
  };
  const std::string name = unique_name("run");
  for (const CgroupHierarchy& hierarchy : support.hierarchies) {
    const fs::path path = hierarchy.parent / name;
    if (::mkdir(path.c_str(), 0755) != 0) {
      const int error = errno;
      undo();
      return core::fail(core::ErrorCode::io, fmt::format("cannot create the run's cgroup {}: {}",
                                                         path.string(), errno_text(error)));
    }
    dirs.push_back(Dir{hierarchy, path});

    // (file, value, required): a required write that fails fails the run.
    std::vector<std::tuple<std::string, std::string, bool>> writes;
    if (hierarchy.memory && memory_bytes > 0) {
      const std::string bytes = std::to_string(memory_bytes);
      if (hierarchy.version == 2) {
        writes.emplace_back("memory.max", bytes, true);
        if (fs::exists(path / "memory.swap.max")) {
          writes.emplace_back("memory.swap.max", "0", true);
        }
        // One OOM kill takes the whole run down rather than leaving it half alive.
        writes.emplace_back("memory.oom.group", "1", false);
      } else {
        writes.emplace_back("memory.limit_in_bytes", bytes, true);
        // Memory plus swap, so swap cannot extend the limit (absent without swap accounting).
        if (fs::exists(path / "memory.memsw.limit_in_bytes")) {
          writes.emplace_back("memory.memsw.limit_in_bytes", bytes, false);
        }
        writes.emplace_back("memory.swappiness", "0", false);
      }
    }
    if (hierarchy.pids && max_processes > 0) {
      writes.emplace_back("pids.max", std::to_string(max_processes), true);
    }
    for (const auto& [file, value, required] : writes) {
      const int error = write_text(path / file, value);
      if (error != 0 && required) {
        undo();
        return core::fail(core::ErrorCode::io,
                          fmt::format("cannot set {} of the run's cgroup to {}: {}",
                                      (path / file).string(), value, errno_text(error)));
      }
    }
  }
  return std::unique_ptr<RunCgroup>(new RunCgroup(std::move(dirs)));
}

RunCgroup::~RunCgroup() {
  kill_all();
  for (const Dir& dir : m_dirs) {
    remove_dir(dir.path);
  }
}

std::vector<fs::path> RunCgroup::procs_files() const {
  std::vector<fs::path> files;
  for (const Dir& dir : m_dirs) {
    files.push_back(dir.path / "cgroup.procs");
  }
  return files;
}

std::vector<pid_t> RunCgroup::members() const {
  std::set<pid_t> pids;
  for (const Dir& dir : m_dirs) {
    const std::optional<std::string> text = read_text(dir.path / "cgroup.procs");
    for (const std::string& line : split(text.value_or(""), '\n')) {
      if (!line.empty()) {
        try {
          pids.insert(static_cast<pid_t>(std::stol(line)));
        } catch (const std::exception&) {
        }
      }
    }
  }
  return {pids.begin(), pids.end()};
}

void RunCgroup::signal(int sig, pid_t spare) const {
  for (const pid_t pid : members()) {
    if (pid != spare && pid > 0) {
      ::kill(pid, sig);
    }
  }
}

bool RunCgroup::kill_all(std::chrono::milliseconds patience) const {
  const auto give_up = std::chrono::steady_clock::now() + patience;
  // cgroup.kill (Linux 5.14, v2) kills every member, forks in flight included, in one go.
  for (const Dir& dir : m_dirs) {
    if (dir.hierarchy.version == 2 && fs::exists(dir.path / "cgroup.kill")) {
      write_text(dir.path / "cgroup.kill", "1");
    }
  }
  auto pause = 1ms;
  while (true) {
    const std::vector<pid_t> pids = members();
    if (pids.empty()) {
      return true;
    }
    if (std::chrono::steady_clock::now() >= give_up) {
      return false;
    }
    for (const pid_t pid : pids) {
      ::kill(pid, SIGKILL);
    }
    std::this_thread::sleep_for(pause);
    pause = std::min<std::chrono::milliseconds>(pause * 2, 20ms);
  }
}

bool RunCgroup::memory_limit_hit() const {
  for (const Dir& dir : m_dirs) {
    if (!dir.hierarchy.memory) {
      continue;
    }
    if (dir.hierarchy.version == 2) {
      if (read_counter(dir.path / "memory.events", "oom_kill").value_or(0) > 0 ||
          read_counter(dir.path / "memory.events", "oom_group_kill").value_or(0) > 0) {
        return true;
      }
    } else if (read_counter(dir.path / "memory.oom_control", "oom_kill").value_or(0) > 0) {
      return true;
    }
  }
  return false;
}

bool RunCgroup::process_limit_hit() const {
  for (const Dir& dir : m_dirs) {
    if (dir.hierarchy.pids && read_counter(dir.path / "pids.events", "max").value_or(0) > 0) {
      return true;
    }
  }
  return false;
}

}  // namespace experiment
