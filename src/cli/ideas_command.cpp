// `ai-scientist ideas generate`: research ideas for a template, as AI Scientist's ideas.json.
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>

#include <fmt/format.h>

#include "cli/app.h"
#include "cli/literature_sources.h"
#include "cli/llm_stack.h"
#include "cli/paths.h"
#include "core/clock.h"
#include "core/json.h"
#include "experiment/template.h"
#include "http/curl_transport.h"
#include "ideas/generate.h"
#include "ideas/novelty.h"
#include "literature/local_index.h"

namespace cli {
namespace {

struct IdeasFlags {
  LlmFlags llm;
  std::string prompts;
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

// The template named `name`: a folder, or a name in the template folders.
core::Result<experiment::Template> load_named_template(const std::string& name,
                                                       const core::Environment& env) {
  std::filesystem::path dir(name);
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    for (const auto& base : template_dirs(env)) {
      if (std::filesystem::is_directory(base / name, ec)) {
        dir = base / name;
        break;
      }
    }
  }
  return experiment::load_template(dir);
}

ideas::TemplateText template_text(const experiment::Template& tmpl) {
  std::ifstream code_in(tmpl.dir / "experiment.py", std::ios::binary);
  ideas::TemplateText text;
  text.system = tmpl.prompt["system"].get<std::string>();
  text.task_description = tmpl.prompt["task_description"].get<std::string>();
  text.code.assign(std::istreambuf_iterator<char>(code_in), std::istreambuf_iterator<char>());
  text.seed_ideas = tmpl.seed_ideas;
  return text;
}

int run_generate(const IdeasFlags& f, const core::Environment& env) {
  if (f.llm.model.empty()) {
    std::cerr << "error: pass --model PROVIDER/MODEL (e.g. openai/gpt-4o, or replay/PATH to replay "
                 "a recorded run)\n";
    return k_exit_usage;
  }
  auto tmpl = load_named_template(f.template_name, env);
  if (!tmpl) return fail_with(tmpl.error());
  ideas::TemplateText text = template_text(*tmpl);

  auto stack = LlmStack::open(f.llm, env, tmpl->dir / "llm_transcript.jsonl");
  if (!stack) return fail_with(stack.error());
  auto client = (*stack)->client(f.llm.model);
  if (!client) return fail_with(client.error());

  ideas::GenerateOptions options;
  options.num_ideas = f.num_ideas;
  options.num_reflections = f.num_reflections;
  options.include_seeds = f.include_seeds;
  options.prompts_dir = f.prompts;
  const std::filesystem::path out =
      f.out.empty() ? tmpl->dir / "ideas.json" : std::filesystem::path(f.out);
  ideas::GenerateResult partial;
  auto result = ideas::generate_ideas(
      **client, text, options, [](std::string_view line) { std::cerr << line << '\n'; }, &partial);
  const ideas::GenerateResult& done = result ? *result : partial;
  if (auto written = ideas::write_ideas_file(out, done.ideas); !written) {
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

struct NoveltyFlags {
  LlmFlags llm;
  std::string prompts;
  std::string ideas_file;
  std::string template_name;
  std::string engine = "local";
  int max_rounds = 10;
  int concurrency = 2;
  std::string db;
};

int run_novelty(const NoveltyFlags& f, const core::Environment& env) {
  if (f.llm.model.empty()) {
    std::cerr << "error: pass --model PROVIDER/MODEL\n";
    return k_exit_usage;
  }
  // The template: named, else the folder holding the ideas file (AI Scientist keeps ideas.json
  // in the template).
  std::string name = f.template_name.empty()
                         ? std::filesystem::path(f.ideas_file).parent_path().string()
                         : f.template_name;
  if (name.empty()) name = ".";
  auto tmpl = load_named_template(name, env);
  if (!tmpl) return fail_with(tmpl.error());
  const ideas::TemplateText text = template_text(*tmpl);

  auto opened = open_literature_index(f.db, env);
  if (!opened) return fail_with(opened.error());
  std::shared_ptr<literature::LocalIndex> index = *opened;
  const std::filesystem::path db = literature_db_path(f.db, env);
  http::CurlTransport transport;
  core::SteadyClock clock;
  auto made = literature_source(f.engine, env, transport, clock, index, db);
  if (!made) {
    std::cerr << "error: " << made.error().message << '\n';
    return made.error().code == core::ErrorCode::invalid_argument ? k_exit_usage : k_exit_failure;
  }
  core::LiteratureSource& source = **made;

  auto stack = LlmStack::open(f.llm, env, tmpl->dir / "llm_transcript.jsonl");
  if (!stack) return fail_with(stack.error());
  auto client = (*stack)->client(f.llm.model);
  if (!client) return fail_with(client.error());
  ideas::NoveltyOptions options;
  options.max_rounds = f.max_rounds;
  options.concurrency = f.concurrency;
  options.prompts_dir = f.prompts;
  auto checked = ideas::check_ideas_file(**client, source, text, f.ideas_file, options,
                                         [](std::string_view line) { std::cout << line << '\n'; });
  if (!checked) {
    return fail_with(core::Error(
        checked.error().code,
        checked.error().message + " (verdicts reached before are saved; run again to go on)"));
  }
  std::cout << fmt::format("{} idea(s) checked; {} updated (${:.4f} spent)\n", *checked,
                           f.ideas_file, (*stack)->ledger().total_usd());
  return k_exit_ok;
}

}  // namespace

Command ideas_command() {
  return {"ideas", "Generate research ideas and check their novelty",
          [](CLI::App& app, const core::Environment& env) -> std::function<int()> {
            app.require_subcommand(1);
            auto flags = std::make_shared<IdeasFlags>();
            CLI::App* gen = app.add_subcommand("generate", "Propose and refine ideas (ideas.json)");
            gen->add_option("--template,--experiment", flags->template_name,
                            "Template name or folder")
                ->required();
            auto flags_for = [](LlmFlags& llm, CLI::App& sub) {
              llm.add_to(sub, "provider/model, e.g. openai/gpt-4o, or replay/PATH");
            };
            flags_for(flags->llm, *gen);
            gen->add_option("--prompts", flags->prompts,
                            "A folder whose prompts/ideas/*.txt replace the built-in prompts");
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
            auto novelty = std::make_shared<NoveltyFlags>();
            auto chosen = std::make_shared<std::function<int()>>();
            gen->final_callback([chosen, flags, &env] {
              *chosen = [flags, &env] { return run_generate(*flags, env); };
            });
            CLI::App* nov = app.add_subcommand(
                "novelty", "Check each idea against the literature (adds \"novel\")");
            nov->add_option("--ideas", novelty->ideas_file, "The ideas.json to check and update")
                ->required();
            nov->add_option("--template,--experiment", novelty->template_name,
                            "Template name or folder (default: the ideas file's folder)");
            flags_for(novelty->llm, *nov);
            nov->add_option("--engine", novelty->engine, "local, s2, openalex, arxiv or auto")
                ->capture_default_str();
            nov->add_option("--max-rounds", novelty->max_rounds, "Search rounds per idea")
                ->check(CLI::Range(1, 50));
            nov->add_option("--parallel", novelty->concurrency, "Ideas checked at once")
                ->check(CLI::Range(1, 16));
            nov->add_option("--lit-db", novelty->db, "The local literature index");
            nov->add_option("--prompts", novelty->prompts,
                            "A folder whose prompts/ideas/*.txt replace the built-in prompts");
            nov->final_callback([chosen, novelty, &env] {
              *chosen = [novelty, &env] { return run_novelty(*novelty, env); };
            });
            return [chosen] { return (*chosen) ? (*chosen)() : k_exit_usage; };
          }};
}

}  // namespace cli
