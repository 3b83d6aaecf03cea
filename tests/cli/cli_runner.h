#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "platform/posix_process_runner.h"
#include "support/temp_dir.h"

// Runs the built ai-scientist binary as a user would, with an environment the test spells out
// (nothing inherited but PATH), in a fresh temporary HOME.
namespace test_support {

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class Cli {
 public:
  Cli() {
    const char* path = std::getenv("PATH");
    m_env["PATH"] = path ? path : "/usr/bin:/bin";
    m_env["HOME"] = m_home.path().string();
    m_env["XDG_DATA_HOME"] = (m_home.path() / "data").string();
  }

  void set_env(const std::string& name, const std::string& value) { m_env[name] = value; }
  const std::filesystem::path& home() const { return m_home.path(); }
  const std::map<std::string, std::string>& env() const { return m_env; }

  CliRun run(std::vector<std::string> args,
             std::chrono::seconds timeout = std::chrono::seconds(120)) {
    core::ProcessSpec spec;
    spec.argv = {AI_SCIENTIST_BINARY};
    spec.argv.insert(spec.argv.end(), args.begin(), args.end());
    spec.env = m_env;
    spec.cwd = m_home.path();
    spec.timeout = timeout;
    platform::PosixProcessRunner runner;
    auto r = runner.run(spec);
    EXPECT_TRUE(r) << r.error().message;
    if (!r) return {};
    EXPECT_FALSE(r->timed_out);
    return {r->exit_code, r->out, r->err};
  }

 private:
  TempDir m_home;
  std::map<std::string, std::string> m_env;
};

}  // namespace test_support
