#include "platform/posix_process_runner.h"

#include <gtest/gtest.h>

#include <signal.h>
#include <stdlib.h>
#include "support/temp_dir.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using core::ErrorCode;
using core::ProcessResult;
using core::ProcessSpec;

namespace {

using test_support::TempDir;

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

ProcessSpec shell(const std::string& script) {
  ProcessSpec spec;
  spec.argv = {"/bin/sh", "-c", script};
  return spec;
}

ProcessResult run_ok(const ProcessSpec& spec) {
  platform::PosixProcessRunner runner;
  auto result = runner.run(spec);
  EXPECT_TRUE(result.has_value()) << result.error().describe();
  return result ? *result : ProcessResult{};
}

TEST(PosixProcessRunner, ExitCodes) {
  const ProcessResult zero = run_ok(shell("exit 0"));
  EXPECT_TRUE(zero.ok());
  EXPECT_EQ(zero.exit_code, 0);
  EXPECT_EQ(zero.term_signal, 0);
  EXPECT_FALSE(zero.timed_out);

  const ProcessResult three = run_ok(shell("exit 3"));
  EXPECT_FALSE(three.ok());
  EXPECT_EQ(three.exit_code, 3);
  EXPECT_EQ(three.term_signal, 0);
}

TEST(PosixProcessRunner, ReportsTerminatingSignal) {
  const ProcessResult result = run_ok(shell("kill -KILL $$"));
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.term_signal, SIGKILL);
  EXPECT_FALSE(result.timed_out);
}

TEST(PosixProcessRunner, CapturesStdoutAndStderrSeparately) {
  const ProcessResult result = run_ok(shell("echo out; echo err >&2; echo more"));
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(result.out, "out\nmore\n");
  EXPECT_EQ(result.err, "err\n");
  EXPECT_FALSE(result.out_truncated);
  EXPECT_FALSE(result.err_truncated);
}

TEST(PosixProcessRunner, LooksUpProgramOnPath) {
  ProcessSpec spec;
  spec.argv = {"sh", "-c", "echo \"$0 $1\"", "zero", "one"};
  EXPECT_EQ(run_ok(spec).out, "zero one\n");
}

TEST(PosixProcessRunner, PassesStdin) {
  ProcessSpec spec;
  spec.argv = {"cat"};
  spec.stdin_data = "hello\nworld";
  EXPECT_EQ(run_ok(spec).out, "hello\nworld");

  // No stdin data: the child sees end of file at once rather than waiting.
  spec.stdin_data.clear();
  spec.timeout = 5s;
  const ProcessResult empty = run_ok(spec);
  EXPECT_TRUE(empty.ok());
  EXPECT_EQ(empty.out, "");
}

TEST(PosixProcessRunner, LargeStdinAndOutputDoNotDeadlock) {
  // Far more than a pipe holds in each direction, so writing and reading must interleave.
  std::string data;
  for (int i = 0; data.size() < 3 * 1024 * 1024; ++i) {
    data += "line " + std::to_string(i) + "\n";
  }
  ProcessSpec spec;
  spec.argv = {"/bin/sh", "-c", "cat; cat /dev/null >&2"};
  spec.stdin_data = data;
  spec.output_cap = data.size();
  spec.timeout = 10s;
  const ProcessResult result = run_ok(spec);
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(result.out.size(), data.size());
  EXPECT_TRUE(result.out == data);
}

TEST(PosixProcessRunner, ChildThatIgnoresStdinDoesNotKillUs) {
  // The child exits without reading: our writes fail with EPIPE, which must not raise SIGPIPE.
  ProcessSpec spec = shell("exec 0<&-; echo done");
  spec.stdin_data = std::string(1024 * 1024, 'x');
  spec.timeout = 5s;
  const ProcessResult result = run_ok(spec);
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(result.out, "done\n");
}

TEST(PosixProcessRunner, ReplacesEnvironment) {
  ProcessSpec spec;
  spec.argv = {"/usr/bin/env"};
  spec.env = std::map<std::string, std::string>{{"FOO", "bar"}, {"ZED", "1"}};
  EXPECT_EQ(run_ok(spec).out, "FOO=bar\nZED=1\n");

  spec.env = std::map<std::string, std::string>{};
  EXPECT_EQ(run_ok(spec).out, "");
}

TEST(PosixProcessRunner, InheritsEnvironmentByDefault) {
  ::setenv("PLATFORM_TEST_INHERITED", "yes", 1);
  const ProcessResult result = run_ok(shell("echo $PLATFORM_TEST_INHERITED"));
  ::unsetenv("PLATFORM_TEST_INHERITED");
  EXPECT_EQ(result.out, "yes\n");
}

TEST(PosixProcessRunner, SearchesThePathOfAGivenEnvironment) {
  TempDir dir;
  dir.write_file("platform-test-tool", "#!/bin/sh\necho found \"$@\"\n", fs::perms::owner_all);

  ProcessSpec spec;
  spec.argv = {"platform-test-tool", "arg"};
  spec.env = std::map<std::string, std::string>{{"PATH", dir.path().string()}};
  EXPECT_EQ(run_ok(spec).out, "found arg\n");

  // Without PATH in the given environment, the caller's PATH is searched (and lacks the tool).
  spec.env = std::map<std::string, std::string>{{"A", "1"}};
  platform::PosixProcessRunner runner;
  EXPECT_FALSE(runner.run(spec).has_value());
  spec.argv = {"sh", "-c", "echo $A"};
  EXPECT_EQ(run_ok(spec).out, "1\n");
}

TEST(PosixProcessRunner, RunsScriptWithoutInterpreterLineWithSh) {
  TempDir dir;
  const fs::path script =
      dir.write_file("plain-script", "echo no interpreter line $1\n", fs::perms::owner_all);
  ProcessSpec spec;
  spec.argv = {script.string(), "x"};
  EXPECT_EQ(run_ok(spec).out, "no interpreter line x\n");
}

TEST(PosixProcessRunner, ChangesDirectory) {
  TempDir dir;
  ProcessSpec spec;
  spec.argv = {"/bin/pwd", "-P"};
  spec.cwd = dir.path();
  EXPECT_EQ(run_ok(spec).out, fs::canonical(dir.path()).string() + "\n");
}

TEST(PosixProcessRunner, MissingDirectoryIsAnError) {
  ProcessSpec spec;
  spec.argv = {"/bin/true"};
  spec.cwd = "/nonexistent/platform-test-dir";
  platform::PosixProcessRunner runner;
  const auto result = runner.run(spec);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::process);
  EXPECT_NE(result.error().message.find("/nonexistent/platform-test-dir"), std::string::npos)
      << result.error().message;
  EXPECT_NE(result.error().message.find("No such file or directory"), std::string::npos)
      << result.error().message;
}

TEST(PosixProcessRunner, ProgramNotFoundIsAnError) {
  platform::PosixProcessRunner runner;
  for (const std::string name : {"surely-not-a-program-xyz", "/nonexistent/surely-not-xyz"}) {
    ProcessSpec spec;
    spec.argv = {name};
    const auto result = runner.run(spec);
    ASSERT_FALSE(result.has_value()) << name;
    EXPECT_EQ(result.error().code, ErrorCode::process);
    EXPECT_NE(result.error().message.find(name), std::string::npos) << result.error().message;
    EXPECT_NE(result.error().message.find("No such file or directory"), std::string::npos)
        << result.error().message;
  }
}

TEST(PosixProcessRunner, NotExecutableIsAnError) {
  TempDir dir;
  const fs::path file = dir.write_file("not-executable", "echo hi\n");
  ProcessSpec spec;
  spec.argv = {file.string()};
  platform::PosixProcessRunner runner;
  const auto result = runner.run(spec);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::process);
  EXPECT_NE(result.error().message.find(file.string()), std::string::npos);
  EXPECT_NE(result.error().message.find("Permission denied"), std::string::npos)
      << result.error().message;
}

TEST(PosixProcessRunner, EmptyArgvIsAnError) {
  platform::PosixProcessRunner runner;
  const auto result = runner.run(ProcessSpec{});
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::invalid_argument);
}

TEST(PosixProcessRunner, TimeoutTerminatesTheProcess) {
  ProcessSpec spec;
  spec.argv = {"sleep", "30"};
  spec.timeout = 100ms;
  const ProcessResult result = run_ok(spec);
  EXPECT_TRUE(result.timed_out);
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.term_signal, SIGTERM);
  EXPECT_GE(result.elapsed, 100ms);
  EXPECT_LT(result.elapsed, 1s);
}

TEST(PosixProcessRunner, TimeoutKillsWhatIgnoresTerm) {
  // SIGTERM is ignored by the shell and the sleep it starts, so only SIGKILL ends them.
  ProcessSpec spec = shell("trap '' TERM; sleep 30; echo not reached");
  spec.timeout = 100ms;
  spec.kill_grace = 200ms;
  const auto start = std::chrono::steady_clock::now();
  const ProcessResult result = run_ok(spec);
  const auto wall = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(result.timed_out);
  EXPECT_EQ(result.term_signal, SIGKILL);
  EXPECT_GE(result.elapsed, 300ms);
  EXPECT_LT(wall, 2s);
  EXPECT_EQ(result.out, "");
}

TEST(PosixProcessRunner, TimeoutKillsTheWholeGroup) {
  // The background sleep holds the pipes; the run ends only because the group is signalled.
  ProcessSpec spec = shell("sleep 30 & sleep 30");
  spec.timeout = 100ms;
  const auto start = std::chrono::steady_clock::now();
  const ProcessResult result = run_ok(spec);
  EXPECT_TRUE(result.timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST(PosixProcessRunner, BackgroundGrandchildDoesNotHangUs) {
  // The shell exits at once, leaving a sleep that holds stdout and stderr open.
  ProcessSpec spec = shell("echo $$; echo bye >&2; sleep 30 &");
  const auto start = std::chrono::steady_clock::now();
  const ProcessResult result = run_ok(spec);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(result.err, "bye\n");
  // The shell was its group's leader: clean up the sleep it left behind.
  const pid_t group = std::atoi(result.out.c_str());
  ASSERT_GT(group, 1) << result.out;
  ::kill(-group, SIGKILL);
}

TEST(PosixProcessRunner, ChildClosingItsOutputIsStillWaitedFor) {
  ProcessSpec spec = shell("echo early; exec >&- 2>&-; sleep 0.2; exit 4");
  spec.timeout = 5s;
  const ProcessResult result = run_ok(spec);
  EXPECT_EQ(result.exit_code, 4);
  EXPECT_EQ(result.out, "early\n");
  EXPECT_GE(result.elapsed, 200ms);
}

TEST(PosixProcessRunner, OutputCapKeepsTheTail) {
  ProcessSpec spec = shell("seq 1 100000; seq 1 100000 >&2");
  spec.output_cap = 13;
  const ProcessResult result = run_ok(spec);
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(result.out, "99999\n100000\n");
  EXPECT_EQ(result.err, "99999\n100000\n");
  EXPECT_TRUE(result.out_truncated);
  EXPECT_TRUE(result.err_truncated);

  spec = shell("echo 12345; echo 1234567890 >&2");
  spec.output_cap = 6;
  const ProcessResult exact = run_ok(spec);
  EXPECT_EQ(exact.out, "12345\n");
  EXPECT_FALSE(exact.out_truncated);
  EXPECT_EQ(exact.err, "67890\n");
  EXPECT_TRUE(exact.err_truncated);
}

TEST(PosixProcessRunner, OutputCapOfZeroKeepsNothing) {
  ProcessSpec spec = shell("echo something; true >&2");
  spec.output_cap = 0;
  const ProcessResult result = run_ok(spec);
  EXPECT_EQ(result.out, "");
  EXPECT_TRUE(result.out_truncated);
  EXPECT_FALSE(result.err_truncated);
}

TEST(PosixProcessRunner, ConcurrentRunsFromSeveralThreads) {
  platform::PosixProcessRunner runner;
  constexpr int k_threads = 4;
  constexpr int k_runs = 10;
  std::vector<std::thread> threads;
  std::vector<int> failures(k_threads, 0);
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&runner, &failures, t] {
      for (int i = 0; i < k_runs; ++i) {
        const std::string tag = std::to_string(t) + "-" + std::to_string(i);
        ProcessSpec spec;
        spec.argv = {"/bin/sh", "-c", "echo \"$0\"; cat; echo \"$0\" >&2; exit $1", tag,
                     std::to_string(i)};
        spec.stdin_data = "input " + tag + "\n";
        spec.timeout = 10s;
        const auto result = runner.run(spec);
        if (!result || result->exit_code != i || result->timed_out ||
            result->out != tag + "\ninput " + tag + "\n" || result->err != tag + "\n") {
          ++failures[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  for (int t = 0; t < k_threads; ++t) {
    EXPECT_EQ(failures[t], 0) << "thread " << t;
  }
}

TEST(PosixProcessRunner, OutputFilesKeepTheStartUpToTheCap) {
  TempDir dir;
  ProcessSpec spec = shell("seq 1 10000; echo err >&2");
  spec.stdout_file = dir.path() / "out.txt";
  spec.stderr_file = dir.path() / "err.txt";
  spec.file_cap = 10;
  spec.output_cap = 6;
  const ProcessResult result = run_ok(spec);
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(read_file(spec.stdout_file), "1\n2\n3\n4\n5\n");
  EXPECT_TRUE(result.out_file_truncated);
  EXPECT_EQ(read_file(spec.stderr_file), "err\n");
  EXPECT_FALSE(result.err_file_truncated);
  // The in-memory tail is kept as without files.
  EXPECT_EQ(result.out, "10000\n");
  EXPECT_TRUE(result.out_truncated);

  // No cap: all of it; an existing file is truncated first.
  spec.file_cap = 0;
  const ProcessResult all = run_ok(spec);
  EXPECT_EQ(read_file(spec.stdout_file).size(), 48894u);
  EXPECT_FALSE(all.out_file_truncated);

  // Exactly the cap is not truncated.
  spec = shell("printf 12345");
  spec.stdout_file = dir.path() / "exact.txt";
  spec.file_cap = 5;
  const ProcessResult exact = run_ok(spec);
  EXPECT_EQ(read_file(spec.stdout_file), "12345");
  EXPECT_FALSE(exact.out_file_truncated);
}

TEST(PosixProcessRunner, OutputFileThatCannotBeOpenedIsAnIoError) {
  ProcessSpec spec = shell("echo never");
  spec.stdout_file = "/nonexistent/platform-test-dir/out.txt";
  platform::PosixProcessRunner runner;
  const auto result = runner.run(spec);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::io);
  EXPECT_NE(result.error().message.find("/nonexistent/platform-test-dir/out.txt"),
            std::string::npos)
      << result.error().message;
}

TEST(PosixProcessRunner, SetsResourceLimitsInTheChild) {
  ProcessSpec spec;
  spec.argv = {"/bin/cat", "/proc/self/limits"};
  spec.rlimits.file_bytes = 1 << 20;
  spec.rlimits.address_space = 1ull << 30;
  spec.rlimits.processes = 100;
  spec.rlimits.no_core_dumps = true;
  const std::string limits = run_ok(spec).out;
  const auto line = [&limits](const std::string& name) {
    const std::size_t at = limits.find(name);
    return at == std::string::npos ? "" : limits.substr(at, limits.find('\n', at) - at);
  };
  EXPECT_NE(line("Max file size").find("1048576              1048576"), std::string::npos)
      << limits;
  EXPECT_NE(line("Max address space").find("1073741824           1073741824"), std::string::npos)
      << limits;
  EXPECT_NE(line("Max processes").find("100                  100"), std::string::npos) << limits;
  EXPECT_NE(line("Max core file size").find("0                    0"), std::string::npos) << limits;

  // Unset: inherited as they are.
  spec.rlimits = {};
  EXPECT_NE(run_ok(spec).out.find("Max file size"), std::string::npos);
}

TEST(PosixProcessRunner, FileSizeLimitKillsWithSigxfszEvenWhenWeIgnoreIt) {
  TempDir dir;
  struct sigaction ignore {};
  struct sigaction old {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGXFSZ, &ignore, &old);
  ProcessSpec spec;
  spec.argv = {"/bin/sh", "-c", "exec head -c 100000 /dev/zero > \"$0\"",
               (dir.path() / "big").string()};
  spec.rlimits.file_bytes = 4096;
  const ProcessResult result = run_ok(spec);
  ::sigaction(SIGXFSZ, &old, nullptr);
  EXPECT_EQ(result.term_signal, SIGXFSZ);
  EXPECT_EQ(fs::file_size(dir.path() / "big"), 4096u);
}

TEST(PosixProcessRunner, ChildWritesItsPidIntoCgroupFiles) {
  // Ordinary files stand in for cgroup.procs: the child writes its pid into each before exec.
  TempDir dir;
  const fs::path first = dir.write_file("first.procs", "");
  const fs::path second = dir.write_file("second.procs", "");
  ProcessSpec spec = shell("echo $$");
  spec.cgroup_procs = {first, second};
  const ProcessResult result = run_ok(spec);
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(read_file(first) + "\n", result.out);
  EXPECT_EQ(read_file(second) + "\n", result.out);

  spec.cgroup_procs = {first, dir.path() / "missing" / "cgroup.procs"};
  platform::PosixProcessRunner runner;
  const auto failed = runner.run(spec);
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code, ErrorCode::process);
  EXPECT_NE(failed.error().message.find("missing/cgroup.procs"), std::string::npos)
      << failed.error().message;
}

TEST(PosixProcessRunner, SignalTreeDeliversTheTimeoutSignals) {
  ProcessSpec spec = shell("trap '' TERM; sleep 30");
  spec.timeout = 100ms;
  spec.kill_grace = 100ms;
  std::vector<int> signals;
  spec.signal_tree = [&signals](int pid, int sig) {
    signals.push_back(sig);
    ::kill(-pid, sig);
  };
  const ProcessResult result = run_ok(spec);
  EXPECT_TRUE(result.timed_out);
  EXPECT_EQ(result.term_signal, SIGKILL);
  EXPECT_EQ(signals, (std::vector<int>{SIGTERM, SIGKILL}));
}

TEST(PosixProcessRunner, KillLeftoversEndsWhatTheChildLeftRunning) {
  ProcessSpec spec = shell("sleep 30 & echo $!");
  spec.kill_leftovers = true;
  const ProcessResult result = run_ok(spec);
  EXPECT_TRUE(result.ok());
  const pid_t sleeper = std::atoi(result.out.c_str());
  ASSERT_GT(sleeper, 1) << result.out;
  // Killed; gone once whoever inherited it has reaped it.
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    gone = ::kill(sleeper, 0) != 0;
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(gone);
}

}  // namespace
