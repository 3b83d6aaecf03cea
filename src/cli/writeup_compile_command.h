#pragma once

#include <functional>

#include <CLI/CLI.hpp>

#include "core/environment.h"

namespace cli {

// Adds `compile DIR` under the `writeup` command: compiles an idea folder's latex/template.tex
// (or any .tex file) in the sandbox without a model, runs the checks, prints each problem as
// "file:line: message", then the PDF and its page count. Exits 1 when errors remain or no PDF was
// produced. When `compile` is chosen on the command line, `run` is set to the function that does
// it; `run` and `env` must outlive the parse and the call.
void add_writeup_compile(CLI::App& writeup, const core::Environment& env,
                         std::function<int()>& run);

}  // namespace cli
