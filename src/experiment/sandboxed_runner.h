#pragma once

#include <filesystem>

#include "core/process.h"
#include "experiment/sandbox.h"

namespace experiment {

// core::ProcessRunner through the sandbox, for code that takes a runner but must not run LLM-
// written code outside it (the coder's lint hook). The spec's cwd is the writable folder; its
// environment is replaced by clean_env(cwd); its timeout (or 10 minutes when none) bounds the run.
// Output goes to files in a private temporary folder, removed afterwards; the result carries their
// tails (4 KiB each), which is what lint feedback needs.
class SandboxedRunner final : public core::ProcessRunner {
 public:
  explicit SandboxedRunner(const Sandbox& sandbox) : m_sandbox(sandbox) {}
  core::Result<core::ProcessResult> run(const core::ProcessSpec& spec) override;

 private:
  const Sandbox& m_sandbox;
};

}  // namespace experiment
