#include "experiment/sandboxed_runner.h"

#include <fmt/format.h>

#include "core/temp_dir.h"

namespace experiment {

core::Result<core::ProcessResult> SandboxedRunner::run(const core::ProcessSpec& spec) {
  if (spec.cwd.empty()) {
    return core::fail(core::ErrorCode::internal,
                      "SandboxedRunner needs a working folder (the spec's cwd)");
  }
  core::ScopedTempDir out("ai-scientist-out");
  if (out.path().empty()) {
    return core::fail(core::ErrorCode::io,
                      "cannot create a folder for a sandboxed run's output under the temporary "
                      "directory; check TMPDIR");
  }
  SandboxSpec s;
  s.argv = spec.argv;
  std::error_code ec;
  s.workdir = std::filesystem::absolute(spec.cwd, ec);
  s.env = clean_env(s.workdir);
  s.limits.timeout = spec.timeout.count() > 0
                         ? std::chrono::ceil<std::chrono::seconds>(spec.timeout)
                         : std::chrono::seconds(600);
  s.stdout_path = out.path() / "stdout.txt";
  s.stderr_path = out.path() / "stderr.txt";
  SandboxResult r = TRY(m_sandbox.run(s));
  core::ProcessResult p;
  p.exit_code = r.exit_code;
  p.term_signal = r.term_signal;
  p.timed_out = r.timed_out;
  p.out = r.stdout_tail;
  p.err = r.stderr_tail;
  p.elapsed = r.duration;
  return p;
}

}  // namespace experiment
