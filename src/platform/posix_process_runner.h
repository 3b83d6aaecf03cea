#pragma once

#include "core/process.h"

namespace platform {

// core::ProcessRunner on POSIX: fork/exec with pipes, the child in its own process group so a
// timeout can signal everything it started (SIGTERM, then SIGKILL after the grace period). In the
// child, before exec and with async-signal-safe calls only: it joins the spec's cgroups, sets its
// rlimits, gets default signal dispositions (a SIGXFSZ or SIGPIPE we ignore is not passed on).
class PosixProcessRunner final : public core::ProcessRunner {
 public:
  core::Result<core::ProcessResult> run(const core::ProcessSpec& spec) override;
};

}  // namespace platform
