// `ai-scientist doctor`: what is ready, what is missing, and how to fix it.
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/app.h"
#include "cli/doctor_checks.h"
#include "http/curl_transport.h"
#include "platform/posix_process_runner.h"

namespace cli {
namespace {

int run_doctor(bool json_output, const core::Environment& env) {
  platform::PosixProcessRunner runner;
  http::CurlTransport transport;
  auto checks = run_checks(env, runner, transport);
  int missing = 0;
  for (const auto& c : checks)
    missing += c.status == CheckStatus::missing;

  if (json_output) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& c : checks) {
      out.push_back({{"group", c.group},
                     {"name", c.name},
                     {"status", to_string(c.status)},
                     {"detail", c.detail},
                     {"fix", c.fix}});
    }
    std::cout << nlohmann::json{{"checks", out}, {"ready", missing == 0}}.dump(2) << '\n';
  } else {
    std::string group;
    for (const auto& c : checks) {
      if (c.group != group) {
        group = c.group;
        std::cout << '\n' << group << '\n';
      }
      const char* mark = c.status == CheckStatus::ok     ? "[ok]  "
                         : c.status == CheckStatus::note ? "[--]  "
                                                         : "[!!]  ";
      std::cout << fmt::format("  {}{:<20} {}\n", mark, c.name, c.detail);
      if (c.status != CheckStatus::ok && !c.fix.empty()) {
        std::cout << fmt::format("        fix: {}\n", c.fix);
      }
    }
    std::cout << '\n'
              << (missing == 0 ? "ready: everything the pipeline needs is here\n"
                               : fmt::format("not ready: {} required piece(s) missing (see fix "
                                             "lines above)\n",
                                             missing));
  }
  return missing == 0 ? k_exit_ok : k_exit_failure;
}

}  // namespace

Command doctor_command() {
  return {"doctor", "Check what is ready and what is missing, and how to fix it",
          [](CLI::App& app, const core::Environment& env) -> std::function<int()> {
            auto json_output = std::make_shared<bool>(false);
            app.add_flag("--json", *json_output, "Print the checks as JSON");
            return [json_output, &env] { return run_doctor(*json_output, env); };
          }};
}

}  // namespace cli
