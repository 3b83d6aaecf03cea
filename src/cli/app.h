#pragma once

#include <functional>
#include <string_view>

#include <CLI/CLI.hpp>

#include "core/environment.h"

namespace cli {

// Exit codes of every subcommand.
inline constexpr int k_exit_ok = 0;
inline constexpr int k_exit_failure = 1;  // the command ran and failed; stderr says why
inline constexpr int k_exit_usage = 2;    // bad flags or arguments

// Runs the command line and returns the process exit code. Never throws: library exceptions
// that escape a command are turned into one "error: ..." line here.
int run(int argc, char** argv, const core::Environment& env);

// One entry of the subcommand table: registers its flags on `app` and returns the function to
// run when it was chosen. `env` outlives the returned function.
struct Command {
  std::string_view name;
  std::string_view description;
  std::function<std::function<int()>(CLI::App& app, const core::Environment& env)> setup;
};

// The subcommands, in the order --help lists them (defined next to each command).
Command llm_command();
Command doctor_command();
Command edit_command();
Command template_command();
Command experiment_command();
Command ideas_command();
Command lit_command();
Command review_bench_command();
Command review_command();
Command paper_command();
Command writeup_command();
Command launch_command();

}  // namespace cli
