#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace experiment {

// What template.toml says, with the defaults of a Python template for everything it leaves out.
// Commands are argument lists; "{python}" stands for the interpreter, "{out_dir}" for the run
// folder (run_1, ...).
struct TemplateConfig {
  std::vector<std::string> run_command = {"{python}", "experiment.py", "--out_dir={out_dir}"};
  std::chrono::seconds run_timeout{7200};
  std::vector<std::string> plot_command = {"{python}", "plot.py"};
  std::chrono::seconds plot_timeout{600};
  std::vector<std::string> lint_command;  // empty: Python files only, with the built-in checks
  std::string interpreter;                // empty: the resolved Python (doctor shows which)
  std::vector<std::string> editable = {"experiment.py", "plot.py", "notes.txt"};
  int gpus = 1;
  std::uint64_t memory_mb = 0;  // 0: no memory limit
  int processes = 512;
  std::vector<std::string> read_only;  // folders inside the template, read-only during runs
  std::map<std::string, std::string> smoke_env = {{"AI_SCIENTIST_SMOKE", "1"}};
  std::vector<std::string> smoke_args;
};

struct Template {
  std::string name;  // the folder's name
  std::filesystem::path dir;
  TemplateConfig config;
  bool has_toml = false;
  nlohmann::json prompt;      // prompt.json: {"system", "task_description"}
  nlohmann::json seed_ideas;  // seed_ideas.json: a list
};

// Reads template.toml (when present) over the defaults. Fails with `parse`, naming the file, the
// key and what was expected, when a key has the wrong type or an unknown section/key is found
// (a typo would otherwise be ignored silently).
core::Result<TemplateConfig> parse_template_toml(std::string_view text, std::string_view source);

// Loads the template in `dir`: its config, prompt.json and seed_ideas.json. Fails when the folder
// is not a usable template; check_template says everything that is wrong at once.
core::Result<Template> load_template(const std::filesystem::path& dir);

// Everything missing or malformed in `dir`, one line each ("prompt.json: missing
// \"task_description\""); empty when the template is complete. run_0 is reported separately by
// the caller (a fresh template has no baseline yet).
std::vector<std::string> check_template(const std::filesystem::path& dir);

// The results of a run: final_info.json's conditions, each condition's "means" as written (an
// object of metric → number, or a bare number). Fails with `parse` saying what is wrong, or `io`
// when the file is missing.
core::Result<nlohmann::json> read_means(const std::filesystem::path& run_dir);

// `argv` with "{python}" and "{out_dir}" replaced.
std::vector<std::string> expand_command(const std::vector<std::string>& argv,
                                        const std::string& python, const std::string& out_dir);

}  // namespace experiment
