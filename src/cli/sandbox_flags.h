#pragma once

#include <memory>

#include "core/error.h"
#include "experiment/sandbox.h"

namespace cli {

// The sandbox for commands that run LLM-written code or text (experiments, plots, LaTeX), as
// their --no-sandbox flag asks: with it, a warning on stderr and no isolation; without it, a
// `config` error saying how to fix bubblewrap (or to pass --no-sandbox) when it cannot work here.
core::Result<std::unique_ptr<experiment::Sandbox>> make_sandbox(bool no_sandbox);

}  // namespace cli
