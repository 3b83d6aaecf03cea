#include "cli/sandbox_flags.h"

#include <iostream>

#include <fmt/format.h>

namespace cli {

core::Result<std::unique_ptr<experiment::Sandbox>> make_sandbox(bool no_sandbox) {
  auto sandbox = experiment::Sandbox::create(!no_sandbox);
  if (no_sandbox) {
    std::cerr << "warning: --no-sandbox: LLM-written code runs without isolation (network, "
                 "files outside the folder and your environment are reachable)\n";
  } else if (!sandbox->capabilities().bubblewrap) {
    return core::fail(core::ErrorCode::config,
                      fmt::format("runs need a sandbox and bubblewrap cannot create one here: {}. "
                                  "Fix that (ai-scientist doctor), or pass --no-sandbox to run "
                                  "without isolation (not recommended)",
                                  sandbox->capabilities().bubblewrap_problem));
  }
  return sandbox;
}

}  // namespace cli
