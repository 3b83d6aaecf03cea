#include "cli/app.h"

#include <exception>
#include <iostream>

#include <fmt/format.h>

#include "version.h"

namespace cli {

namespace {

int run_unguarded(int argc, char** argv, const core::Environment& env) {
  CLI::App app{
      "ai-scientist: automated research with large language models.\n"
      "Proposes ideas, checks the literature, runs experiments in a sandbox, writes and compiles "
      "a LaTeX paper with real citations, and reviews it.",
      "ai-scientist"};
  app.set_version_flag("--version", std::string(AI_SCIENTIST_VERSION));
  app.require_subcommand(1);
  app.fallthrough();

  const Command commands[] = {llm_command(),          edit_command(),   template_command(),
                              experiment_command(),   ideas_command(),  lit_command(),
                              writeup_command(),      paper_command(),  review_command(),
                              review_bench_command(), launch_command(), doctor_command()};
  std::function<int()> chosen;
  for (const auto& c : commands) {
    CLI::App* sub = app.add_subcommand(std::string(c.name), std::string(c.description));
    auto action = c.setup(*sub, env);
    sub->final_callback([&chosen, action] { chosen = action; });
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? k_exit_ok : k_exit_usage;
  }
  return chosen ? chosen() : k_exit_usage;
}

}  // namespace

int run(int argc, char** argv, const core::Environment& env) {
  // Expected failures are values and print their own messages; an exception reaching here is a
  // library failure nobody anticipated, reported in one line instead of a crash.
  try {
    return run_unguarded(argc, argv, env);
  } catch (const std::exception& e) {
    std::cerr << fmt::format("error: unexpected failure: {}\n", e.what());
    return k_exit_failure;
  }
}

}  // namespace cli
