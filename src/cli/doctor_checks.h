#pragma once

#include <string>
#include <vector>

#include "core/environment.h"
#include "core/http.h"
#include "core/process.h"

namespace cli {

enum class CheckStatus {
  ok,       // present and working
  note,     // optional and absent (no GPU, no local model server): fine, but worth knowing
  missing,  // required and absent or broken: the fix says what to do
};

struct CheckResult {
  std::string group;  // "llm", "latex", "sandbox", "python", "gpu"
  std::string name;   // "OPENAI_API_KEY", "pdflatex", ...
  CheckStatus status = CheckStatus::missing;
  std::string detail;  // what was found (a version, an address, an error)
  std::string fix;     // how to get it, when not ok
};

// What `ai-scientist doctor` checks, in display order: LLM keys (never printing them, nor the
// user:password part of a configured base URL) and local model servers (probed with the
// provider's key when its variable is set), the LaTeX tools (missing unless their version probe
// runs and exits 0), bubblewrap and whether it can create a sandbox here, the Python interpreter
// with torch/numpy/matplotlib, and NVIDIA GPUs. Runs the probes it needs (a few seconds:
// importing torch dominates).
std::vector<CheckResult> run_checks(const core::Environment& env, core::ProcessRunner& runner,
                                    core::HttpTransport& transport);

std::string_view to_string(CheckStatus status);

}  // namespace cli
