// `ai-scientist lit import` and `ai-scientist lit search`: the literature index and sources.
#include <unistd.h>

#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/app.h"
#include "cli/literature_sources.h"
#include "cli/paths.h"
#include "core/clock.h"
#include "core/json.h"
#include "http/curl_transport.h"
#include "literature/import.h"
#include "literature/local_index.h"

namespace cli {
namespace {

int fail_with(const core::Error& e) {
  std::cerr << "error: " << e.message << '\n';
  return k_exit_failure;
}

struct ImportFlags {
  std::string format;
  std::vector<std::string> files;
  std::string db;
};

int run_import(const ImportFlags& f, const core::Environment& env) {
  auto format = literature::parse_format(f.format);
  if (!format) {
    std::cerr << "error: " << format.error().message << '\n';
    return k_exit_usage;
  }
  const auto db = literature_db_path(f.db, env);
  auto index = open_literature_index(f.db, env);
  if (!index) return fail_with(index.error());
  std::error_code ec;
  const bool tty = ::isatty(STDERR_FILENO) == 1;
  int status = k_exit_ok;
  for (const auto& file : f.files) {
    const auto size = std::filesystem::file_size(file, ec);
    auto progress = [&](const literature::ImportCounts& c, long long bytes) {
      std::string line = fmt::format("{}: {} read, {} added, {} updated, {} skipped", file, c.read,
                                     c.added, c.updated, c.skipped);
      if (!ec && size > 0) line += fmt::format(" ({:.0f} %)", 100.0 * bytes / size);
      std::cerr << (tty ? "\r" + line : line + "\n") << std::flush;
    };
    auto counts = literature::import_file(**index, file, *format, progress);
    if (tty) std::cerr << '\n';
    if (!counts) {
      std::cerr << "error: " << counts.error().message << '\n';
      status = k_exit_failure;
      continue;
    }
    std::cout << fmt::format("{}: {} papers added, {} updated, {} malformed line(s) skipped\n",
                             file, counts->added, counts->updated, counts->skipped);
  }
  if (auto n = (*index)->size()) {
    std::cout << fmt::format("{} now holds {} papers\n", db.string(), *n);
  }
  return status;
}

struct SearchFlags {
  std::string query;
  std::string source = "local";
  int limit = 10;
  bool json_output = false;
  std::string db;
};

int run_search(const SearchFlags& f, const core::Environment& env) {
  auto opened = open_literature_index(f.db, env);
  if (!opened) return fail_with(opened.error());
  std::shared_ptr<literature::LocalIndex> index = *opened;
  const std::filesystem::path db = literature_db_path(f.db, env);
  http::CurlTransport transport;
  core::SteadyClock clock;
  auto made = literature_source(f.source, env, transport, clock, index, db);
  if (!made) {
    std::cerr << "error: " << made.error().message << '\n';
    return made.error().code == core::ErrorCode::invalid_argument ? k_exit_usage : k_exit_failure;
  }
  core::LiteratureSource& source = **made;
  auto papers = source.search(f.query, f.limit);
  if (!papers) return fail_with(papers.error());
  // The papers carry the source that served them (auto says which one answered).
  const std::string served_by = papers->empty() ? source.name() : papers->front().source;
  if (f.json_output) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& p : *papers) {
      out.push_back({{"title", p.title},
                     {"authors", p.authors},
                     {"venue", p.venue},
                     {"year", p.year ? nlohmann::json(*p.year) : nlohmann::json(nullptr)},
                     {"citations", p.citation_count ? nlohmann::json(*p.citation_count)
                                                    : nlohmann::json(nullptr)},
                     {"abstract", p.abstract},
                     {"doi", p.doi},
                     {"arxiv_id", p.arxiv_id},
                     {"url", p.url},
                     {"bibtex", p.bibtex},
                     {"source", p.source}});
    }
    std::cout << core::dump_json({{"source", served_by}, {"papers", out}}, 2) << '\n';
    return k_exit_ok;
  }
  std::cout << fmt::format("{} result(s) from {}\n", papers->size(), served_by);
  for (std::size_t i = 0; i < papers->size(); ++i) {
    const auto& p = (*papers)[i];
    std::string authors = p.authors.empty() ? "" : p.authors.front();
    if (p.authors.size() > 1) authors += " et al.";
    std::cout << fmt::format("{}. {} — {}{}{}\n", i + 1, p.title, authors,
                             p.venue.empty() ? "" : ", " + p.venue,
                             p.year ? fmt::format(" ({})", *p.year) : "");
  }
  return k_exit_ok;
}

}  // namespace

Command lit_command() {
  return {
      "lit", "Search the literature and build the local paper index",
      [](CLI::App& app, const core::Environment& env) -> std::function<int()> {
        app.require_subcommand(1);
        auto imp = std::make_shared<ImportFlags>();
        auto search = std::make_shared<SearchFlags>();
        auto chosen = std::make_shared<std::function<int()>>();
        CLI::App* i = app.add_subcommand("import", "Add bulk dumps to the local index");
        i->add_option("--format", imp->format, "arxiv, openalex or s2")->required();
        i->add_option("files", imp->files, "JSON-lines dumps, gzipped or not")->required();
        i->add_option("--lit-db", imp->db, "The index file (default: the user's data folder)");
        i->final_callback(
            [chosen, imp, &env] { *chosen = [imp, &env] { return run_import(*imp, env); }; });
        CLI::App* s = app.add_subcommand("search", "Search a source for papers");
        s->add_option("query", search->query, "What to look for")->required();
        s->add_option("--source", search->source, "local, s2, openalex or arxiv")
            ->capture_default_str();
        s->add_option("--limit", search->limit, "Most papers to show")->check(CLI::Range(1, 100));
        s->add_flag("--json", search->json_output, "Print the papers as JSON");
        s->add_option("--lit-db", search->db, "The index file (default: the user's data folder)");
        s->final_callback([chosen, search, &env] {
          *chosen = [search, &env] { return run_search(*search, env); };
        });
        return [chosen] { return (*chosen) ? (*chosen)() : k_exit_usage; };
      }};
}

}  // namespace cli
