// `ai-scientist edit apply`: applies a saved model reply to files, exactly as the coder would.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/app.h"
#include "core/json.h"
#include "edit/apply.h"
#include "edit/blocks.h"

namespace cli {
namespace {

struct EditFlags {
  std::string root;
  std::string reply;
  std::string format = "diff";
  std::vector<std::string> allow;
  bool json_output = false;
};

core::Result<std::string> read_reply(const std::string& path) {
  if (path == "-") {
    return std::string((std::istreambuf_iterator<char>(std::cin)),
                       std::istreambuf_iterator<char>());
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return core::fail(core::ErrorCode::io,
                      fmt::format("cannot read --reply {}: {}", path, std::strerror(errno)));
  }
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

int run_edit_apply(const EditFlags& f) {
  auto format = edit::parse_edit_format(f.format);
  if (!format) {
    std::cerr << "error: " << format.error().message << '\n';
    return k_exit_usage;
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(f.root, ec)) {
    std::cerr << fmt::format("error: --root {} is not a folder\n", f.root);
    return k_exit_usage;
  }
  auto reply = read_reply(f.reply);
  if (!reply) {
    std::cerr << "error: " << reply.error().message << '\n';
    return k_exit_failure;
  }
  edit::EditPolicy policy;
  policy.allow_any = f.allow.empty();
  for (const auto& a : f.allow) {
    (a.find_first_of("*?[") == std::string::npos ? policy.allowed_files : policy.allowed_patterns)
        .push_back(a);
  }
  edit::Workspace workspace(f.root, policy);
  auto parsed = edit::parse_reply(*format, *reply, workspace.existing_files());
  if (!parsed) {
    if (f.json_output) {
      std::cout << core::dump_json({{"ok", false}, {"format_error", parsed.error().message}}, 2)
                << '\n';
    }
    std::cerr << fmt::format(
        "error: the reply does not follow the {} edit format; nothing was "
        "applied:\n{}\n",
        f.format, parsed.error().message);
    return k_exit_failure;
  }
  auto report = edit::apply_edits(workspace, parsed->edits);
  if (f.json_output) {
    nlohmann::json blocks = nlohmann::json::array();
    for (std::size_t i = 0; i < report.blocks.size(); ++i) {
      const auto& b = report.blocks[i];
      blocks.push_back({{"index", i + 1},
                        {"file", b.block.path},
                        {"path", b.path},
                        {"outcome", edit::to_string(b.outcome)},
                        {"match", edit::to_string(b.match)},
                        {"line", b.block.line},
                        {"message", b.message}});
    }
    std::cout << core::dump_json({{"ok", report.all_ok()},
                                  {"blocks", blocks},
                                  {"changed_files", report.changed_files},
                                  {"shell_blocks", parsed->shell_blocks.size()}},
                                 2)
              << '\n';
  } else {
    if (report.blocks.empty()) std::cout << "the reply holds no edits\n";
    for (const auto& b : report.blocks) {
      std::cout << fmt::format("{:<16} {}\n", edit::to_string(b.outcome), b.path);
      const bool done = b.outcome == edit::Outcome::applied || b.outcome == edit::Outcome::created;
      if (!b.message.empty() && (!done || b.path != b.block.path)) {
        std::cout << b.message << "\n\n";
      }
    }
    if (!parsed->shell_blocks.empty()) {
      std::cout << fmt::format("note: the reply also holds {} shell block(s); they were not run\n",
                               parsed->shell_blocks.size());
    }
  }
  return report.all_ok() ? k_exit_ok : k_exit_failure;
}

}  // namespace

Command edit_command() {
  return {"edit", "Apply a model's edit blocks to files (the code-editing agent's applier)",
          [](CLI::App& app, const core::Environment&) -> std::function<int()> {
            app.require_subcommand(1);
            auto flags = std::make_shared<EditFlags>();
            CLI::App* apply =
                app.add_subcommand("apply", "Apply a saved model reply to the files under --root");
            apply->add_option("--root", flags->root, "The folder the edits apply to")->required();
            apply->add_option("--reply", flags->reply, "The model's reply (a file, or - for stdin)")
                ->required();
            apply->add_option("--format", flags->format, "Edit format: diff, whole or udiff")
                ->capture_default_str();
            apply->add_option("--allow", flags->allow,
                              "A file (or glob pattern) the edits may touch; repeatable. Without "
                              "it, any file under --root");
            apply->add_flag("--json", flags->json_output,
                            "Print the outcome of each block as JSON");
            return [flags] { return run_edit_apply(*flags); };
          }};
}

}  // namespace cli
