#pragma once

#include <filesystem>
#include <string>

#include "core/environment.h"
#include "core/error.h"
#include "core/process.h"

namespace platform {

struct PythonInfo {
  std::filesystem::path interpreter;
  std::string why;  // how it was chosen, for doctor and manifests
  std::string version;
  std::string torch_version;       // empty when torch does not import
  std::string numpy_version;       // likewise
  std::string matplotlib_version;  // likewise
  // Empty when every probe import worked. Otherwise one line: "import torch: <the exception's
  // last line>", or why the probe itself failed ("the interpreter failed: <last line of
  // stderr>", "timed out after N s importing ...", "... killed by signal N (SIGNAME)", or why it
  // could not be started).
  std::string import_error;

  bool has_template_packages() const {
    return !torch_version.empty() && !numpy_version.empty() && !matplotlib_version.empty();
  }
};

// The Python that runs the shipped templates. AI_SCIENTIST_PYTHON, when set, is used as given.
// Otherwise the first of `python3` on PATH and /usr/bin/python3 that imports torch, numpy and
// matplotlib; when neither does, the first that exists (with what failed in import_error).
// The python3 first on PATH is often a pyenv or venv interpreter without Debian's packages,
// which is why /usr/bin/python3 is tried too. Fails with `config` when no python3 exists.
core::Result<PythonInfo> resolve_python(const core::Environment& env, core::ProcessRunner& runner);

}  // namespace platform
