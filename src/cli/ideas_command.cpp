// `ai-scientist ideas generate`: research ideas for a template, as AI Scientist's ideas.json.
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>

#include <fmt/format.h>

#include "cli/app.h"
#include "cli/llm_stack.h"
#include "cli/paths.h"
#include "core/json.h"
#include "experiment/template.h"
#include "ideas/generate.h"

namespace cli {
namespace {

struct IdeasFlags {
  LlmFlags llm;
  std::string template_name;
  int num_ideas = 50;
  int num_reflections = 5;
  std::string out;
  bool include_seeds = false;
};

int fail_with(const core::Error& e) {
  std::cerr << "error: " << e.message << '\n';
  return k_exit_failure;
}

// Writes `j` to `path` atomically (a temporary file beside it, then rename), so an interrupted
// write never leaves half a file where a complete one was.
core::Result<void> write_json_atomically(const std::filesystem::path& path,
                                         const nlohmann::json& j) {
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc | std::ios::binary);
    out << core::dump_json(j, 4) << '\n';
    if (!out) {
      return core::fail(core::ErrorCode::io, fmt::format("cannot write {}", tmp.string()));
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    return core::fail(core::ErrorCode::io, fmt::format("cannot move {} to {}: {}", tmp.string(),
                                                       path.string(), ec.message()));
  }
  return {};
}

int run_generate(const IdeasFlags& f, const core::Environment& env) {
  if (f.llm.model.empty()) {
    std::cerr << "error: pass --model PROVIDER/MODEL (e.g. openai/gpt-4o, or replay/PATH to replay "
                 "a recorded run)\n";
    return k_exit_usage;
  }
  std::filesystem::path dir(f.template_name);
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    for (const auto& base : template_dirs(env)) {
      if (std::filesystem::is_directory(base / f.template_name, ec)) {
        dir = base / f.template_name;
        break;
      }
    }
  }
  auto tmpl = experiment::load_template(dir);
  if (!tmpl) return fail_with(tmpl.error());
  std::ifstream code_in(tmpl->dir / "experiment.py", std::ios::binary);
  ideas::TemplateText text;
  text.system = tmpl->prompt["system"].get<std::string>();
  text.task_description = tmpl->prompt["task_description"].get<std::string>();
  text.code.assign(std::istreambuf_iterator<char>(code_in), std::istreambuf_iterator<char>());
  text.seed_ideas = tmpl->seed_ideas;

  auto stack = LlmStack::open(f.llm, env, tmpl->dir / "llm_transcript.jsonl");
  if (!stack) return fail_with(stack.error());
  auto client = (*stack)->client(f.llm.model);
  if (!client) return fail_with(client.error());

  ideas::GenerateOptions options;
  options.num_ideas = f.num_ideas;
  options.num_reflections = f.num_reflections;
  options.include_seeds = f.include_seeds;
  const std::filesystem::path out =
      f.out.empty() ? tmpl->dir / "ideas.json" : std::filesystem::path(f.out);
  ideas::GenerateResult partial;
  auto result = ideas::generate_ideas(
      **client, text, options, [](std::string_view line) { std::cerr << line << '\n'; }, &partial);
  const ideas::GenerateResult& done = result ? *result : partial;
  if (auto written = write_json_atomically(out, done.ideas); !written) {
    return fail_with(written.error());
  }
  std::cout << fmt::format("{} idea(s) written to {} ({} attempt(s) failed; ${:.4f} spent)\n",
                           done.generated, out.string(), done.failures.size(),
                           (*stack)->ledger().total_usd());
  for (const auto& failure : done.failures)
    std::cout << "  " << failure << '\n';
  if (!result) {
    return fail_with(core::Error(result.error().code,
                                 result.error().message + " (the ideas made before are saved)"));
  }
  return k_exit_ok;
}

}  // namespace

Command ideas_command() {
  return {"ideas", "Generate research ideas for a template",
          [](CLI::App& app, const core::Environment& env) -> std::function<int()> {
            app.require_subcommand(1);
            auto flags = std::make_shared<IdeasFlags>();
            CLI::App* gen = app.add_subcommand("generate", "Propose and refine ideas (ideas.json)");
            gen->add_option("--template,--experiment", flags->template_name,
                            "Template name or folder")
                ->required();
            flags->llm.add_to(*gen, "provider/model that proposes the ideas");
            gen->add_option("--num-ideas", flags->num_ideas, "Attempts, each a new idea")
                ->check(CLI::Range(1, 1000));
            gen->add_option("--num-reflections", flags->num_reflections,
                            "Rounds per idea, the first included")
                ->check(CLI::Range(1, 20));
            gen->add_option("--out", flags->out,
                            "Where to write the ideas (default: the "
                            "template's ideas.json)");
            gen->add_flag("--include-seeds", flags->include_seeds,
                          "Put the template's seed ideas in the output too");
            return [flags, &env] { return run_generate(*flags, env); };
          }};
}

}  // namespace cli
