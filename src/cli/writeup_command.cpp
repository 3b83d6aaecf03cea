// `ai-scientist writeup ...`: the paper of an idea folder. `writeup --dir DIR --model M` writes it
// with the model (sections, citations, checks, compile and repair); `writeup compile DIR` only
// compiles it.
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "cli/app.h"
#include "cli/literature_sources.h"
#include "cli/llm_stack.h"
#include "cli/sandbox_flags.h"
#include "cli/writeup_compile_command.h"
#include "experiment/sandboxed_runner.h"
#include "writeup/compile.h"
#include "writeup/writer.h"

namespace cli {
namespace {

struct WriteupFlags {
  LlmFlags llm;
  std::string dir;
  std::string name;
  int cite_rounds = 20;
  int repair_rounds = 5;
  std::string engine = "auto";
  std::string lit_db;
  std::string prompts;
  bool no_sandbox = false;
};

int fail_with(const core::Error& e) {
  std::cerr << "error: " << e.message << '\n';
  return k_exit_failure;
}

int run_writeup(const WriteupFlags& f, const core::Environment& env) {
  if (f.dir.empty() || f.llm.model.empty()) {
    std::cerr << "error: pass --dir IDEA_FOLDER and --model PROVIDER/MODEL (or `writeup compile "
                 "DIR` to compile without a model)\n";
    return k_exit_usage;
  }
  // Absolute: the sandbox binds the folder by its full path.
  const std::filesystem::path dir = std::filesystem::absolute(f.dir);
  auto sandbox = make_sandbox(f.no_sandbox);
  if (!sandbox) return fail_with(sandbox.error());
  auto stack = LlmStack::open(f.llm, env, dir / "llm_transcript.jsonl");
  if (!stack) return fail_with(stack.error());
  auto client = (*stack)->client(f.llm.model);
  if (!client) return fail_with(client.error());
  std::shared_ptr<core::LiteratureSource> literature;
  if (f.engine != "none") {
    auto index = open_literature_index(f.lit_db, env);
    if (!index) return fail_with(index.error());
    auto source =
        literature_source(f.engine, env, (*stack)->services().transport, (*stack)->services().clock,
                          *index, literature_db_path(f.lit_db, env));
    if (!source) return fail_with(source.error());
    literature = *source;
  }
  experiment::SandboxedRunner checks(**sandbox);
  writeup::Compiler compiler(**sandbox, &checks);
  writeup::WriteupOptions options;
  const std::string pdf_name = writeup::default_pdf_name(dir);
  options.idea = f.name.empty() ? pdf_name.substr(0, pdf_name.size() - 4) : f.name;
  options.cite_rounds = f.cite_rounds;
  options.repair_rounds = f.repair_rounds;
  options.prompts_dir = f.prompts;
  options.check_runner = &checks;
  auto result = writeup::write_paper(**client, literature.get(), compiler, dir, options,
                                     [](std::string_view line) { std::cerr << line << '\n'; });
  if (!result) {
    std::cerr << "error: " << result.error().message << "\n(what was written so far is kept in "
              << dir.string() << ")\n";
    return k_exit_failure;
  }
  for (const auto& p : result->compile.problems)
    std::cout << writeup::format_problem(p) << '\n';
  for (const auto& n : result->notes)
    std::cout << "note: " << n << '\n';
  std::cout << result->compile.summary << '\n';
  std::cout << fmt::format("cost ${:.2f}; record in {}\n", (*stack)->ledger().total_usd(),
                           (dir / "writeup.json").string());
  const bool ok = result->compile.pdf_produced && result->compile.errors == 0;
  return ok ? k_exit_ok : k_exit_failure;
}

}  // namespace

Command writeup_command() {
  return {"writeup", "Write and compile the paper of an idea folder",
          [](CLI::App& app, const core::Environment& env) -> std::function<int()> {
            app.require_subcommand(0, 1);
            auto f = std::make_shared<WriteupFlags>();
            f->llm.add_to(app, "Model that writes the paper (openai/gpt-4o, replay/PATH, ...)");
            app.add_option("--dir", f->dir,
                           "Idea folder with latex/template.tex, notes.txt and the runs");
            app.add_option("--name", f->name,
                           "The idea's Name (the PDF is <Name>.pdf); default: from the folder");
            app.add_option("--cite-rounds", f->cite_rounds, "Rounds of adding citations")
                ->check(CLI::NonNegativeNumber);
            app.add_option("--repair-rounds", f->repair_rounds, "Rounds of fixing LaTeX errors")
                ->check(CLI::NonNegativeNumber);
            app.add_option("--engine", f->engine,
                           "Literature for citations: local, s2, openalex, arxiv, auto, none")
                ->check(CLI::IsMember({"local", "s2", "openalex", "arxiv", "auto", "none"}));
            app.add_option("--lit-db", f->lit_db, "The local literature index (SQLite)");
            app.add_option("--prompts", f->prompts,
                           "Folder whose prompts/writeup/*.txt replace the built-in prompts");
            app.add_flag("--no-sandbox", f->no_sandbox,
                         "Compile without isolation (not recommended)");
            auto chosen = std::make_shared<std::function<int()>>();
            add_writeup_compile(app, env, *chosen);
            return [chosen, f, &env] { return *chosen ? (*chosen)() : run_writeup(*f, env); };
          }};
}

}  // namespace cli
