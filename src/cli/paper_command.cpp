// `ai-scientist paper text FILE`: the text of a paper as the reviewer reads it.
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "cli/app.h"
#include "pdf/pdf_text.h"

namespace cli {
namespace {

struct TextFlags {
  std::string file;
  int pages = 0;
};

int run_paper_text(const TextFlags& flags) {
  auto text = pdf::read_paper(flags.file, pdf::TextOptions{flags.pages});
  if (!text) {
    std::cerr << "error: " << text.error().message << '\n';
    return k_exit_failure;
  }
  std::cout << *text;
  if (!text->empty() && text->back() != '\n') std::cout << '\n';
  return k_exit_ok;
}

}  // namespace

Command paper_command() {
  return {"paper", "Read papers as the reviewer does",
          [](CLI::App& app, const core::Environment&) -> std::function<int()> {
            app.require_subcommand(1);
            auto flags = std::make_shared<TextFlags>();
            CLI::App* text = app.add_subcommand(
                "text",
                "Print the text the reviewer sees: a PDF's text in reading order (pages "
                "separated by a blank line), or a .tex, .md or .txt file as it is");
            text->add_option("file", flags->file, "The paper: .pdf, .tex, .md or .txt")->required();
            text->add_option("--pages", flags->pages, "Read only the first N pages of a PDF")
                ->check(CLI::PositiveNumber);
            return [flags] { return run_paper_text(*flags); };
          }};
}

}  // namespace cli
