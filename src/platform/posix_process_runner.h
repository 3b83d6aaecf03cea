#pragma once

#include "core/process.h"

namespace platform {

// core::ProcessRunner on POSIX: fork/exec with pipes, the child in its own process group so a
// timeout can signal everything it started (SIGTERM, then SIGKILL after the grace period).
class PosixProcessRunner final : public core::ProcessRunner {
 public:
  core::Result<core::ProcessResult> run(const core::ProcessSpec& spec) override;
};

}  // namespace platform
