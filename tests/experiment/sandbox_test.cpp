#include "experiment/sandbox.h"
#include "experiment/cgroups.h"

#include <gtest/gtest.h>

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "platform/posix_process_runner.h"
#include "support/loopback_server.h"
#include "support/temp_dir.h"

// Hostile programs (Python with /usr/bin/python3) run in the sandbox: each must be contained,
// reported, and leave the sandbox able to run the next program.
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using experiment::Sandbox;
using experiment::SandboxCapabilities;
using experiment::SandboxResult;
using experiment::SandboxSpec;
using test_support::TempDir;

constexpr const char* k_python = "/usr/bin/python3";

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A marker no other process has in its command line.
std::string unique_marker(const std::string& what) {
  static std::atomic<int> counter{0};
  return "ai-scientist-sandbox-test-" + what + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(counter++);
}

// Whether some process has `marker` in its command line (as pgrep -f would tell).
bool process_alive_with(const std::string& marker) {
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator("/proc", ec)) {
    std::string cmdline = read_file(entry.path() / "cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find(marker) != std::string::npos) {
      return true;
    }
  }
  return false;
}

void kill_processes_with(const std::string& marker) {
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator("/proc", ec)) {
    std::string cmdline = read_file(entry.path() / "cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    const std::string name = entry.path().filename().string();
    if (cmdline.find(marker) != std::string::npos &&
        name.find_first_not_of("0123456789") == std::string::npos) {
      ::kill(std::stoi(name), SIGKILL);
    }
  }
}

class SandboxTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    s_sandbox = Sandbox::create(true);
    for (const std::string& line : s_sandbox->capabilities().describe(true)) {
      std::cout << "[ capability ] " << line << "\n";
    }
  }
  static void TearDownTestSuite() { s_sandbox.reset(); }

  void SetUp() override {
    if (!s_sandbox->capabilities().bubblewrap) {
      GTEST_SKIP() << "no sandbox here: " << s_sandbox->capabilities().bubblewrap_problem;
    }
    if (!fs::exists(k_python)) {
      GTEST_SKIP() << k_python << " is not installed";
    }
  }

  static bool cgroup_memory() { return s_sandbox->capabilities().memory_how.starts_with("cgroup"); }
  static bool cgroup_processes() {
    return s_sandbox->capabilities().process_how.starts_with("cgroup");
  }

  // A spec that runs `script` (saved as the work folder's `name`) with Python, stdout and stderr
  // in the logs folder, limits small enough for a test.
  SandboxSpec python(const std::string& script, const std::string& name = "main.py") {
    m_work.write_file(name, script);
    SandboxSpec spec;
    spec.argv = {k_python, name};
    spec.workdir = m_work.path();
    spec.env = experiment::clean_env(m_work.path());
    spec.limits.timeout = 20s;
    spec.limits.kill_grace = 500ms;
    spec.limits.max_processes = 64;
    spec.limits.memory_bytes = 1ull << 30;
    spec.stdout_path = m_logs.path() / "stdout.txt";
    spec.stderr_path = m_logs.path() / "stderr.txt";
    return spec;
  }

  SandboxResult run(const SandboxSpec& spec, const Sandbox* sandbox = nullptr) {
    auto result = (sandbox != nullptr ? sandbox : s_sandbox.get())->run(spec);
    EXPECT_TRUE(result.has_value()) << result.error().describe();
    return result ? *result : SandboxResult{};
  }

  std::string out() const { return read_file(m_logs.path() / "stdout.txt"); }
  std::string err() const { return read_file(m_logs.path() / "stderr.txt"); }

  // After a hostile run the sandbox still works.
  void expect_next_run_works() {
    const SandboxResult result = run(python("print('still here')\n", "next.py"));
    EXPECT_TRUE(result.ok()) << result.stderr_tail;
    EXPECT_EQ(result.stdout_tail, "still here\n");
  }

  static std::unique_ptr<Sandbox> s_sandbox;
  TempDir m_work;
  TempDir m_logs;
};

std::unique_ptr<Sandbox> SandboxTest::s_sandbox;

TEST_F(SandboxTest, RunsAProgramInItsWorkFolder) {
  TempDir data;
  data.write_file("train.csv", "1,2,3\n");
  const std::string secret_tmp = unique_marker("tmp");
  std::ofstream(fs::path("/tmp") / secret_tmp) << "host /tmp";

  SandboxSpec spec = python(R"py(import os, sys
print("cwd", os.getcwd())
print("home", os.environ["HOME"])
open("result.txt", "w").write("written inside")
print("data", open(sys.argv[1] + "/train.csv").read().strip())
try:
    open(sys.argv[1] + "/new.csv", "w")
    print("data writable")
except OSError as e:
    print("data read-only", e.errno)
print("host tmp visible", os.path.exists("/tmp/" + sys.argv[2]))
open("/tmp/from-sandbox-" + sys.argv[2], "w").write("x")
print("error line", file=sys.stderr)
sys.exit(3)
)py");
  spec.argv.push_back(data.path().string());
  spec.argv.push_back(secret_tmp);
  spec.read_only = {data.path()};
  const SandboxResult result = run(spec);
  fs::remove(fs::path("/tmp") / secret_tmp);

  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_EQ(result.term_signal, 0);
  EXPECT_FALSE(result.timed_out);
  EXPECT_TRUE(result.limit_hit.empty()) << result.limit_hit;
  EXPECT_FALSE(result.output_truncated);
  const std::string expected = "cwd " + m_work.path().string() + "\nhome " +
                               m_work.path().string() +
                               "\ndata 1,2,3\ndata read-only 30\nhost tmp visible False\n";
  EXPECT_EQ(out(), expected);
  EXPECT_EQ(result.stdout_tail, expected);
  EXPECT_EQ(err(), "error line\n");
  EXPECT_EQ(result.stderr_tail, "error line\n");
  EXPECT_EQ(read_file(m_work.path() / "result.txt"), "written inside");
  EXPECT_FALSE(fs::exists(data.path() / "new.csv"));
  EXPECT_FALSE(fs::exists(fs::path("/tmp") / ("from-sandbox-" + secret_tmp)));
  EXPECT_GT(result.duration.count(), 0);

  spec = python("print('fine')\n");
  const SandboxResult fine = run(spec);
  EXPECT_TRUE(fine.ok());
  EXPECT_EQ(out(), "fine\n");
}

TEST_F(SandboxTest, ReadOnlyFolderInsideTheWorkFolder) {
  m_work.write_file("data/input.txt", "data");
  SandboxSpec spec = python(R"py(for target in ("data/input.txt", "data/new.txt", "out.txt"):
    try:
        open(target, "a").write("more")
        print("wrote", target)
    except OSError as e:
        print("refused", target, e.errno)
)py");
  spec.read_only = {m_work.path() / "data"};
  const SandboxResult result = run(spec);
  EXPECT_TRUE(result.ok()) << result.stderr_tail;
  EXPECT_EQ(result.stdout_tail,
            "refused data/input.txt 30\nrefused data/new.txt 30\nwrote out.txt\n");
  EXPECT_EQ(read_file(m_work.path() / "data/input.txt"), "data");
}

TEST_F(SandboxTest, HasNoNetwork) {
  test_support::LoopbackServer server;  // listening on the host's 127.0.0.1
  SandboxSpec spec = python(R"py(import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2).sendall(
        b"GET /leak HTTP/1.0\r\n\r\n")
    print("connected")
except OSError as e:
    print("blocked", e.errno)
)py");
  spec.argv.push_back(std::to_string(server.port()));
  const SandboxResult result = run(spec);
  EXPECT_TRUE(result.ok()) << result.stderr_tail;
  EXPECT_EQ(result.stdout_tail, "blocked 111\n");  // ECONNREFUSED: nothing listens in there
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(server.request_count(), 0u);
  expect_next_run_works();
}

TEST_F(SandboxTest, CannotWriteOutsideItsFolder) {
  TempDir outside;
  const fs::path victim = outside.write_file("victim.txt", "original");
  const fs::path in_source = fs::path(AI_SCIENTIST_SOURCE_DIR) / (unique_marker("escape") + ".txt");
  SandboxSpec spec = python(R"py(import sys
for target in sys.argv[1:]:
    try:
        with open(target, "w") as f:
            f.write("overwritten")
        print("wrote", target)
    except OSError as e:
        print("refused", e.errno)
)py");
  spec.argv.insert(spec.argv.end(), {victim.string(), in_source.string(), "/etc/ai-scientist-test",
                                     "/usr/ai-scientist-test"});
  const SandboxResult result = run(spec);
  EXPECT_TRUE(result.ok()) << result.stderr_tail;
  // Every write is refused: a folder under /tmp does not exist in the sandbox's own /tmp (ENOENT),
  // the rest of the system is read-only (EROFS). The source tree may itself lie under /tmp (a
  // fresh clone there), so either reason is accepted for it.
  EXPECT_EQ(result.stdout_tail.find("wrote"), std::string::npos) << result.stdout_tail;
  EXPECT_TRUE(result.stdout_tail.starts_with("refused 2\n")) << result.stdout_tail;
  EXPECT_TRUE(result.stdout_tail.ends_with("refused 30\nrefused 30\n")) << result.stdout_tail;
  EXPECT_EQ(read_file(victim), "original");
  EXPECT_FALSE(fs::exists(in_source));
  EXPECT_FALSE(fs::exists("/etc/ai-scientist-test"));
  expect_next_run_works();
}

TEST_F(SandboxTest, SeesNoHomeFoldersAndNoHostSockets) {
  // Home folders hold keys in dotfiles; /run holds host Unix sockets (D-Bus, Docker) that a
  // read-only mount and an empty network namespace would not close.
  SandboxSpec spec = python(R"py(import os
for folder in ("/root", "/home", "/run"):
    print(folder, sorted(os.listdir(folder)))
)py");
  const SandboxResult result = run(spec);
  EXPECT_TRUE(result.ok()) << result.stderr_tail;
  EXPECT_EQ(result.stdout_tail, "/root []\n/home []\n/run []\n");
}

TEST_F(SandboxTest, SeesNoApiKey) {
  const std::string secret = "sk-" + unique_marker("secret");
  ::setenv("OPENAI_API_KEY", secret.c_str(), 1);
  SandboxSpec spec = python(R"py(import os, glob
print(sorted(os.environ))
leaked = []
for path in glob.glob("/proc/*/environ"):
    try:
        if b"OPENAI_API_KEY" in open(path, "rb").read():
            leaked.append(path)
    except OSError:
        pass
print("leaked", leaked)
)py");
  spec.env.clear();  // the default: clean_env(workdir)
  const SandboxResult result = run(spec);
  ::unsetenv("OPENAI_API_KEY");
  EXPECT_TRUE(result.ok()) << result.stderr_tail;
  EXPECT_EQ(out().find(secret), std::string::npos);
  EXPECT_EQ(out().find("OPENAI_API_KEY"), std::string::npos) << out();
  EXPECT_NE(out().find("'PYTHONUNBUFFERED'"), std::string::npos) << out();
  EXPECT_NE(out().find("leaked []"), std::string::npos) << out();
}

TEST_F(SandboxTest, ForkBombIsContained) {
  if (!s_sandbox->capabilities().process_limit) {
    GTEST_SKIP() << "no process limit here: " << s_sandbox->capabilities().process_how;
  }
  const std::string marker = unique_marker("forkbomb");
  SandboxSpec spec = python("import os\nwhile True:\n    os.fork()\n", marker + ".py");
  spec.limits.max_processes = 32;
  spec.limits.timeout = 10s;
  const auto start = std::chrono::steady_clock::now();
  const SandboxResult result = run(spec);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 8s);
  EXPECT_FALSE(result.ok());
  if (cgroup_processes()) {
    EXPECT_EQ(result.limit_hit, "process limit of 32");
  }  // else RLIMIT_NPROC: the fork fails all the same, but no counter says so
  EXPECT_FALSE(process_alive_with(marker));
  expect_next_run_works();
}

TEST_F(SandboxTest, MemoryHogIsStopped) {
  SandboxSpec spec = python(R"py(hoard = []
while True:
    hoard.append(b"x" * (10 << 20))
)py");
  spec.limits.memory_bytes = 200ull << 20;
  const auto start = std::chrono::steady_clock::now();
  const SandboxResult result = run(spec);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  EXPECT_FALSE(result.ok());
  EXPECT_FALSE(result.timed_out);
  if (cgroup_memory()) {
    EXPECT_EQ(result.term_signal, SIGKILL);
    EXPECT_EQ(result.limit_hit, "memory limit of 200 MiB");
  } else {
    // RLIMIT_AS: the allocation fails (MemoryError); no counter says so.
    EXPECT_NE(result.stderr_tail.find("MemoryError"), std::string::npos) << result.stderr_tail;
  }
  expect_next_run_works();
}

TEST_F(SandboxTest, TimeoutKillsWhatIgnoresSigterm) {
  const std::string marker = unique_marker("stubborn");
  SandboxSpec spec = python(R"py(import signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ignoring SIGTERM")
time.sleep(1000)
)py",
                            marker + ".py");
  spec.limits.timeout = 2s;
  spec.limits.kill_grace = 500ms;
  const auto start = std::chrono::steady_clock::now();
  const SandboxResult result = run(spec);
  const auto wall = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(result.timed_out);
  EXPECT_FALSE(result.ok());
  EXPECT_NE(result.term_signal, 0);
  EXPECT_GE(wall, 2s);
  EXPECT_LT(wall, 6s);
  EXPECT_EQ(result.stdout_tail, "ignoring SIGTERM\n");
  EXPECT_FALSE(process_alive_with(marker));
  expect_next_run_works();
}

TEST_F(SandboxTest, TimeoutGivesTheProgramItsSigterm) {
  if (!cgroup_processes() && !cgroup_memory()) {
    GTEST_SKIP() << "without a cgroup the timeout's SIGTERM ends bwrap, and the sandbox at once";
  }
  SandboxSpec spec = python(R"py(import signal, sys, time
def stop(signum, frame):
    print("saving after SIGTERM")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
time.sleep(1000)
)py");
  spec.limits.timeout = 1s;
  spec.limits.kill_grace = 5s;
  const auto start = std::chrono::steady_clock::now();
  const SandboxResult result = run(spec);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
  EXPECT_TRUE(result.timed_out);
  EXPECT_EQ(result.stdout_tail, "saving after SIGTERM\n");
}

TEST_F(SandboxTest, SleepingForeverTimesOut) {
  SandboxSpec spec = python("import time\ntime.sleep(100000)\n");
  spec.limits.timeout = 1s;
  const auto start = std::chrono::steady_clock::now();
  const SandboxResult result = run(spec);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
  EXPECT_TRUE(result.timed_out);
  EXPECT_FALSE(result.ok());
  EXPECT_TRUE(result.limit_hit.empty()) << result.limit_hit;
  expect_next_run_works();
}

TEST_F(SandboxTest, NoProcessOutlivesTheRun) {
  const std::string marker = unique_marker("background");
  // A plain background child and a daemon (double fork, new session), both sleeping forever.
  SandboxSpec spec = python(R"py(import os, subprocess, sys, time
marker = sys.argv[1]
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(100000)", marker])
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(100000)", marker])
    os._exit(0)
time.sleep(0.3)
print("leaving")
)py");
  spec.argv.push_back(marker);
  const auto start = std::chrono::steady_clock::now();
  const SandboxResult result = run(spec);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_TRUE(result.ok()) << result.stderr_tail;
  EXPECT_EQ(result.stdout_tail, "leaving\n");
  EXPECT_FALSE(process_alive_with(marker));
  expect_next_run_works();
}

TEST_F(SandboxTest, OutputIsCapped) {
  SandboxSpec spec = python(R"py(import sys
chunk = b"y" * (1 << 20)
for _ in range(1024):
    sys.stdout.buffer.write(chunk)
sys.stdout.flush()
print("done", file=sys.stderr)
)py");
  spec.limits.max_output_bytes = 1 << 20;
  const auto start = std::chrono::steady_clock::now();
  const SandboxResult result = run(spec);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 15s);
  EXPECT_TRUE(result.ok()) << result.stderr_tail;
  EXPECT_TRUE(result.output_truncated);
  EXPECT_EQ(fs::file_size(spec.stdout_path), 1u << 20);
  EXPECT_EQ(result.stdout_tail, std::string(4096, 'y'));
  EXPECT_EQ(err(), "done\n");
  expect_next_run_works();
}

TEST_F(SandboxTest, FileSizeIsLimited) {
  SandboxSpec spec = python(R"py(import signal
try:
    open("big.bin", "wb").write(b"z" * (4 << 20))
except OSError as e:
    print("refused", e.errno)
signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
open("big2.bin", "wb").write(b"z" * (4 << 20))
print("not reached")
)py");
  spec.limits.max_file_bytes = 1 << 20;
  const SandboxResult result = run(spec);
  EXPECT_EQ(result.stdout_tail, "refused 27\n");  // EFBIG: Python ignores SIGXFSZ
  EXPECT_EQ(result.term_signal, SIGXFSZ);
  EXPECT_EQ(result.limit_hit, "file size limit of 1 MiB");
  EXPECT_LE(fs::file_size(m_work.path() / "big.bin"), 1u << 20);
  EXPECT_LE(fs::file_size(m_work.path() / "big2.bin"), 1u << 20);
  expect_next_run_works();
}

TEST_F(SandboxTest, MissingProgramIsAnError) {
  SandboxSpec spec = python("");
  spec.argv = {"no-such-program-for-ai-scientist"};
  auto result = s_sandbox->run(spec);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, core::ErrorCode::process);

  spec.argv = {"/no/such/program"};
  result = s_sandbox->run(spec);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, core::ErrorCode::process);
  EXPECT_NE(result.error().message.find("/no/such/program"), std::string::npos);
}

TEST_F(SandboxTest, BadSpecIsAnError) {
  SandboxSpec spec = python("");
  spec.read_only = {"/no/such/folder"};
  auto result = s_sandbox->run(spec);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, core::ErrorCode::invalid_argument);

  spec = python("");
  spec.stdout_path.clear();
  result = s_sandbox->run(spec);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, core::ErrorCode::invalid_argument);
}

TEST_F(SandboxTest, ConcurrentRuns) {
  std::vector<std::thread> threads;
  std::vector<int> good(4, 0);
  std::vector<std::unique_ptr<TempDir>> dirs;
  for (int i = 0; i < 4; ++i) {
    dirs.push_back(std::make_unique<TempDir>());
  }
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      SandboxSpec spec;
      spec.argv = {k_python, "-c", "import sys; print(sys.argv[1])", std::to_string(i)};
      spec.workdir = dirs[i]->path();
      spec.limits.timeout = 20s;
      spec.stdout_path = dirs[i]->path() / "out";
      spec.stderr_path = dirs[i]->path() / "err";
      auto result = s_sandbox->run(spec);
      good[i] = result && result->ok() && result->stdout_tail == std::to_string(i) + "\n";
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(good[i]) << "run " << i;
  }
}

TEST_F(SandboxTest, TorchAndMatplotlibWork) {
  const std::string probe =
      "import importlib.util, sys\n"
      "sys.exit(0 if importlib.util.find_spec('torch') and "
      "importlib.util.find_spec('matplotlib') else 1)\n";
  if (!run(python(probe, "probe.py")).ok()) {
    GTEST_SKIP() << "torch or matplotlib is not installed for " << k_python;
  }
  const std::string script = R"py(import torch, matplotlib.pyplot as plt
from torch.utils.data import DataLoader, TensorDataset
loader = DataLoader(TensorDataset(torch.arange(64.0)), batch_size=8, num_workers=2)
print("sum", int(sum(batch[0].sum() for batch in loader)))
plt.plot([1, 2, 3])
plt.savefig("plot.png")
if torch.cuda.is_available():
    print("cuda", torch.cuda.device_count(), float(torch.ones(4, device="cuda").sum()))
else:
    print("cuda none")
)py";
  const SandboxResult result = run(python(script));
  EXPECT_TRUE(result.ok()) << result.stderr_tail;
  EXPECT_TRUE(result.stdout_tail.starts_with("sum 2016\n")) << result.stdout_tail;
  EXPECT_TRUE(fs::exists(m_work.path() / "plot.png"));

  // The GPUs torch sees outside (if any) it sees and uses inside too (their /dev nodes are bound).
  core::ProcessSpec outside;
  outside.argv = {k_python, "-c",
                  "import torch\nprint('cuda', torch.cuda.device_count(), 4.0) if "
                  "torch.cuda.is_available() else print('cuda none')"};
  outside.timeout = 120s;
  platform::PosixProcessRunner runner;
  const auto host = runner.run(outside);
  ASSERT_TRUE(host.has_value()) << host.error().describe();
  EXPECT_TRUE(result.stdout_tail.ends_with(host->out)) << result.stdout_tail << " vs " << host->out;
  std::cout << "[ gpu ] inside: " << result.stdout_tail.substr(result.stdout_tail.find("cuda"));
}

TEST(SandboxNoIsolation, RunsWithoutBubblewrapAndStillCleansUp) {
  if (!fs::exists(k_python)) {
    GTEST_SKIP() << k_python << " is not installed";
  }
  const std::unique_ptr<Sandbox> sandbox = Sandbox::create(false);
  EXPECT_FALSE(sandbox->isolated());
  TempDir work;
  const std::string marker = unique_marker("unsandboxed");
  ::setenv("OPENAI_API_KEY", "sk-not-for-the-child", 1);
  SandboxSpec spec;
  spec.argv = {k_python, "-c",
               "import os, subprocess, sys\n"
               "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(1000)', "
               "sys.argv[1]], start_new_session=True)\n"
               "print(os.getcwd(), 'OPENAI_API_KEY' in os.environ)\n",
               marker};
  spec.workdir = work.path();
  spec.stdout_path = work.path() / "out";
  spec.stderr_path = work.path() / "err";
  spec.limits.timeout = 20s;
  auto result = sandbox->run(spec);
  ::unsetenv("OPENAI_API_KEY");
  ASSERT_TRUE(result.has_value()) << result.error().describe();
  EXPECT_TRUE(result->ok()) << result->stderr_tail;
  EXPECT_EQ(result->stdout_tail, work.path().string() + " False\n");
  if (sandbox->capabilities().process_how.starts_with("cgroup")) {
    // The detached sleeper left the process group, but not the run's cgroup.
    EXPECT_FALSE(process_alive_with(marker));
  } else {
    // Without a cgroup (or a sandbox) nothing holds it: the documented gap. Clean up after it.
    std::this_thread::sleep_for(200ms);
    kill_processes_with(marker);
  }
}

TEST(SandboxUnavailable, RunFailsWithConfigAndSaysSo) {
  const std::unique_ptr<Sandbox> sandbox = Sandbox::create(true, "/bin/false");
  EXPECT_FALSE(sandbox->capabilities().bubblewrap);
  EXPECT_FALSE(sandbox->capabilities().bubblewrap_problem.empty());
  TempDir work;
  SandboxSpec spec;
  spec.argv = {"/bin/true"};
  spec.workdir = work.path();
  spec.stdout_path = work.path() / "out";
  spec.stderr_path = work.path() / "err";
  const auto result = sandbox->run(spec);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, core::ErrorCode::config);
  EXPECT_NE(result.error().message.find("--no-sandbox"), std::string::npos)
      << result.error().message;
  EXPECT_FALSE(fs::exists(work.path() / "out"));  // nothing was started

  const std::vector<std::string> lines = sandbox->capabilities().describe(false);
  ASSERT_FALSE(lines.empty());
  EXPECT_TRUE(lines.front().starts_with("sandbox: none")) << lines.front();
}

}  // namespace

namespace {

TEST(CgroupSweep, CgroupsLeftByADeadEngineAreRemoved) {
  const experiment::CgroupSupport& support = experiment::probe_cgroups();
  if (support.hierarchies.empty()) GTEST_SKIP() << "no writable cgroup here: " << support.problem;
  // A pid that is not running: past the highest pid this kernel hands out.
  const std::string stale = "run-99999999-3";
  std::vector<fs::path> made;
  for (const auto& h : support.hierarchies) {
    ASSERT_EQ(::mkdir((h.parent / stale).c_str(), 0755), 0) << (h.parent / stale);
    made.push_back(h.parent / stale);
  }
  // A new engine process probes the cgroups when it builds its sandbox (doctor does).
  std::string command = std::string(AI_SCIENTIST_BINARY) + " doctor --json > /dev/null 2>&1";
  ASSERT_NE(std::system(command.c_str()), -1);
  for (const auto& dir : made) {
    EXPECT_FALSE(fs::exists(dir)) << dir;
    ::rmdir(dir.c_str());
  }
}

}  // namespace
