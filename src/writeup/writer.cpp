#include "writeup/writer.h"

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/json.h"
#include "core/text.h"
#include "edit/apply.h"
#include "edit/coder.h"
#include "llm/json_extract.h"
#include "resources/resources.h"
#include "writeup/bibliography.h"
#include "writeup/checks.h"

namespace writeup {
namespace {

constexpr const char* k_tex = "latex/template.tex";
constexpr std::size_t k_abstract_chars = 400;

struct Section {
  const char* name;  // as the prompt names it
  const char* tips;  // prompts/writeup/tips/<tips>.txt
};

// AI Scientist's order: the body first, related work last (it needs the citations most).
constexpr Section k_sections[] = {
    {"Title and Abstract", "title_abstract"},
    {"Introduction", "introduction"},
    {"Background", "background"},
    {"Method", "method"},
    {"Experimental Setup", "experimental_setup"},
    {"Results", "results"},
    {"Conclusion", "conclusion"},
    {"Related Work", "related_work"},
};

core::Result<std::string> prompt(const WriteupOptions& options, std::string_view name,
                                 const std::vector<std::pair<std::string, std::string>>& values) {
  const std::string path = fmt::format("prompts/writeup/{}", name);
  auto text = resources::text(path, options.prompts_dir);
  if (!text) {
    return core::fail(core::ErrorCode::config, fmt::format("the prompt {} is missing", path));
  }
  return resources::fill(*text, values);
}

std::string read_text(const std::filesystem::path& path) {
  return core::read_file(path).value_or("");
}

void say(const Progress& progress, const std::string& line) {
  if (progress) progress(line);
}

// "TITLE HERE", "INTRO HERE", ...: the placeholders of AI Scientist-style templates.
std::vector<std::string> find_placeholders(const std::string& tex) {
  static const std::regex re(R"([A-Z][A-Z ]*[A-Z] HERE)");
  std::set<std::string> found;
  for (auto it = std::sregex_iterator(tex.begin(), tex.end(), re); it != std::sregex_iterator();
       ++it) {
    found.insert(it->str());
  }
  return {found.begin(), found.end()};
}

// The figures in the idea folder (what plot.py made), not the paper itself.
std::vector<std::string> figures_in(const std::filesystem::path& dir, const std::string& paper) {
  std::vector<std::string> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const auto name = it->path().filename().string();
    const auto ext = it->path().extension().string();
    const bool image = ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".pdf";
    if (image && name != paper) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string format_problems(const std::vector<Problem>& problems) {
  std::string out;
  for (const auto& p : problems)
    out += format_problem(p) + "\n";
  return out;
}

// The lines around each problem that names a line, for the repair prompt.
std::string problem_context(const std::filesystem::path& idea_dir,
                            const std::vector<Problem>& problems) {
  std::string out;
  std::set<std::pair<std::string, int>> shown;
  for (const auto& p : problems) {
    if (p.line <= 0 || p.file.empty() || !shown.insert({p.file, p.line}).second) continue;
    std::filesystem::path file = idea_dir / p.file;
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) file = idea_dir / "latex" / p.file;
    std::ifstream in(file);
    if (!in) continue;
    out += fmt::format("{} around line {}:\n", p.file, p.line);
    int n = 0;
    for (std::string line; std::getline(in, line);) {
      ++n;
      if (n >= p.line - 2 && n <= p.line + 2) {
        out += fmt::format("{}{:>5} | {}\n", n == p.line ? ">" : " ", n, line);
      }
      if (n > p.line + 2) break;
    }
    out += "\n";
  }
  return out.empty() ? "(no line numbers were given)\n" : out;
}

std::string paper_list(const std::vector<core::Paper>& papers) {
  std::string out;
  for (std::size_t i = 0; i < papers.size(); ++i) {
    const auto& p = papers[i];
    std::string authors = fmt::format("{}", fmt::join(p.authors, ", "));
    if (p.authors.size() > 4) {
      authors = fmt::format("{} et al.", fmt::join(p.authors.begin(), p.authors.begin() + 3, ", "));
    }
    std::string abstract = p.abstract.size() > k_abstract_chars
                               ? p.abstract.substr(0, k_abstract_chars) + "..."
                               : p.abstract;
    out += fmt::format("{}: {}. {}. {}{}{}\n", i, p.title, authors.empty() ? "?" : authors,
                       p.venue.empty() ? "" : p.venue + ", ",
                       p.year ? std::to_string(*p.year) : "n.d.",
                       p.citation_count ? fmt::format(" ({} citations)", *p.citation_count) : "");
    if (!abstract.empty()) out += "   Abstract: " + abstract + "\n";
  }
  return out;
}

// The indices in a "Selected" value: a JSON list of numbers (or of numeric strings), or a string
// holding such a list ("[0, 3]", as AI Scientist's prompt asks for).
std::vector<int> selected_indices(const nlohmann::json& value) {
  nlohmann::json list = value;
  if (value.is_string()) {
    list = nlohmann::json::parse(value.get<std::string>(), nullptr, false);
    if (list.is_discarded()) return {};
  }
  std::vector<int> out;
  if (!list.is_array()) return out;
  for (const auto& v : list) {
    if (v.is_number_integer()) out.push_back(v.get<int>());
    if (v.is_string()) {
      try {
        out.push_back(std::stoi(v.get<std::string>()));
      } catch (const std::exception&) {
      }
    }
  }
  return out;
}

// One stage's running state: the coder, the model, the costs.
class Writer {
 public:
  Writer(core::LlmClient& llm, core::LiteratureSource* literature, const Compiler& compiler,
         const std::filesystem::path& idea_dir, const WriteupOptions& options,
         const Progress& progress)
      : m_llm(llm),
        m_literature(literature),
        m_compiler(compiler),
        m_dir(idea_dir),
        m_options(options),
        m_progress(progress),
        m_workspace(idea_dir, policy()) {}

  core::Result<WriteupResult> run();
  core::Result<WriteupResult> improve(const nlohmann::json& review);

 private:
  static edit::EditPolicy policy() {
    edit::EditPolicy p;
    p.allowed_files = {k_tex};
    return p;
  }
  core::Result<edit::CoderTurn> ask(const std::string& message, bool expect_edits);
  core::Result<void> write_sections();
  core::Result<void> add_citations();
  core::Result<void> fix_check_problems(const CheckOptions& checks);
  core::Result<void> compile_and_repair(const CheckOptions& checks);
  // Checks the folder and starts the coder; the checks' options for the paper.
  core::Result<CheckOptions> start(std::string_view conversation);
  core::Result<void> save_record(const std::string& file_name);
  std::string paper_name() const {
    return m_options.pdf_name.empty() ? m_options.idea + ".pdf" : m_options.pdf_name;
  }
  core::Result<core::Completion> chat(const std::string& system, const std::string& message);

  core::LlmClient& m_llm;
  core::LiteratureSource* m_literature;
  const Compiler& m_compiler;
  std::filesystem::path m_dir;
  WriteupOptions m_options;
  const Progress& m_progress;
  edit::Workspace m_workspace;
  std::unique_ptr<edit::Coder> m_coder;
  WriteupResult m_result;
  int m_cite_turn = 0;
};

core::Result<edit::CoderTurn> Writer::ask(const std::string& message, bool expect_edits) {
  auto turn = TRY(m_coder->run(message, expect_edits));
  m_result.cost_usd += turn.cost_usd;
  if (!turn.clean) {
    // The paper goes on; the checks and the compile will catch what is left.
    m_result.notes.push_back("an edit did not apply cleanly: " + turn.unresolved);
  }
  return turn;
}

core::Result<core::Completion> Writer::chat(const std::string& system, const std::string& message) {
  core::CompletionRequest request;
  request.system = system;
  request.messages = {{core::Role::user, message}};
  request.temperature = m_options.temperature;
  request.max_output_tokens = 2048;
  request.context = {"writeup", "citations", m_cite_turn++, m_options.idea};
  auto completion = TRY(m_llm.complete(request));
  m_result.cost_usd += completion.cost_usd.value_or(0);
  return completion;
}

core::Result<void> Writer::write_sections() {
  for (const auto& section : k_sections) {
    say(m_progress, fmt::format("writing: {}", section.name));
    const std::string tips = TRY(prompt(m_options, fmt::format("tips/{}.txt", section.tips), {}));
    TRY(ask(TRY(prompt(m_options, "section.txt", {{"section", section.name}, {"tips", tips}})),
            true));
    TRY(ask(TRY(prompt(m_options, "refine.txt", {{"section", section.name}})), false));
    m_result.sections.push_back(section.name);
  }
  return {};
}

core::Result<void> Writer::add_citations() {
  if (m_literature == nullptr) {
    m_result.notes.push_back("no literature source: the paper was written without new citations");
    return {};
  }
  const auto tex_path = m_dir / k_tex;
  const std::string system = TRY(prompt(m_options, "cite_system.txt", {}));
  for (int round = 1; round <= m_options.cite_rounds; ++round) {
    m_result.citation_rounds = round;
    const std::string tex = read_text(tex_path);
    auto bib = TRY(Bibliography::load(bibliography_path(tex_path, tex)));
    const auto query_reply =
        TRY(chat(system, TRY(prompt(m_options, "cite_query.txt",
                                    {{"round", std::to_string(round)},
                                     {"max_rounds", std::to_string(m_options.cite_rounds)},
                                     {"paper", tex},
                                     {"keys", fmt::format("{}", fmt::join(bib.keys(), ", "))}}))));
    if (query_reply.text().find("No more citations needed") != std::string::npos) {
      m_result.notes.push_back(
          fmt::format("citations: the model needed no more after round {}", round));
      return {};
    }
    auto request = llm::extract_json(query_reply.text());
    if (!request || !(*request).contains("Query") || !(*request)["Query"].is_string()) {
      say(m_progress, fmt::format("citations, round {}: the reply held no usable query", round));
      continue;
    }
    const std::string query = (*request)["Query"].get<std::string>();
    auto papers = m_literature->search(query, m_options.results_per_query);
    if (!papers) {
      m_result.notes.push_back(
          fmt::format("citations stopped in round {}: the literature search "
                      "failed: {}",
                      round, papers.error().message));
      return {};
    }
    if (papers->empty()) {
      m_result.notes.push_back(
          fmt::format("citations ended in round {}: nothing found for \"{}\"", round, query));
      return {};
    }
    const auto pick_reply =
        TRY(chat(system, TRY(prompt(m_options, "cite_select.txt",
                                    {{"query", query}, {"results", paper_list(*papers)}}))));
    auto pick = llm::extract_json(pick_reply.text());
    std::vector<const core::Paper*> chosen;
    if (pick && pick->contains("Selected")) {
      for (int i : selected_indices((*pick)["Selected"])) {
        if (i >= 0 && i < static_cast<int>(papers->size())) chosen.push_back(&(*papers)[i]);
      }
    }
    if (chosen.empty()) {
      m_result.notes.push_back(
          fmt::format("citations ended in round {}: nothing useful among the results for \"{}\"",
                      round, query));
      return {};
    }
    std::string entries;
    std::vector<std::string> keys;
    for (const auto* paper : chosen) {
      const std::string key = bib.add(*paper);
      if (std::find(keys.begin(), keys.end(), key) != keys.end()) continue;
      keys.push_back(key);
      entries += fmt::format("- {}: {} ({})\n", key, paper->title,
                             paper->year ? std::to_string(*paper->year) : "n.d.");
    }
    TRY_VOID(bib.save());
    const std::string description =
        pick->contains("Description") && (*pick)["Description"].is_string()
            ? (*pick)["Description"].get<std::string>()
            : (*request).value("Description", std::string("where they support the text"));
    say(m_progress, fmt::format("citations, round {}: {}", round, fmt::join(keys, ", ")));
    TRY(ask(TRY(prompt(m_options, "cite_insert.txt",
                       {{"bibfile", "latex/" + bib.path().filename().string()},
                        {"entries", entries},
                        {"description", description}})),
            true));
    m_result.cited.insert(m_result.cited.end(), keys.begin(), keys.end());
  }
  m_result.notes.push_back(
      fmt::format("citations: all {} rounds were used", m_options.cite_rounds));
  return {};
}

bool has_errors(const std::vector<Problem>& problems) {
  return std::any_of(problems.begin(), problems.end(),
                     [](const Problem& p) { return p.severity == Severity::error; });
}

core::Result<void> Writer::fix_check_problems(const CheckOptions& checks) {
  for (int round = 1; round <= m_options.check_rounds; ++round) {
    auto problems = check_paper(m_dir / k_tex, checks, m_options.check_runner);
    // Warnings alone do not cost a round; they go to the model with the errors.
    if (!has_errors(problems)) return {};
    m_result.check_rounds = round;
    say(m_progress, fmt::format("checks, round {}: {} problem(s)", round, problems.size()));
    TRY(ask(TRY(prompt(m_options, "check_errors.txt",
                       {{"problems", format_problems(problems)},
                        {"figures",
                         fmt::format("{}", fmt::join(figures_in(m_dir, paper_name()), ", "))}})),
            true));
  }
  return {};
}

core::Result<void> Writer::compile_and_repair(const CheckOptions& checks) {
  CompileOptions options;
  options.pass_timeout = m_options.pass_timeout;
  options.pdf_name = paper_name();
  options.run_checks = true;
  options.checks = checks;
  m_result.compile = TRY(m_compiler.compile(m_dir / k_tex, options));
  for (int round = 1; round <= m_options.repair_rounds &&
                      (m_result.compile.errors > 0 || !m_result.compile.pdf_produced);
       ++round) {
    m_result.repair_rounds = round;
    say(m_progress, fmt::format("compile, round {}: {}", round, m_result.compile.summary));
    TRY(ask(TRY(prompt(m_options, "compile_errors.txt",
                       {{"round", std::to_string(round)},
                        {"max_rounds", std::to_string(m_options.repair_rounds)},
                        {"problems", m_result.compile.problems.empty()
                                         ? m_result.compile.summary + "\n"
                                         : format_problems(m_result.compile.problems)},
                        {"context", problem_context(m_dir, m_result.compile.problems)}})),
            true));
    m_result.compile = TRY(m_compiler.compile(m_dir / k_tex, options));
  }
  if (m_result.compile.errors > 0 || !m_result.compile.pdf_produced) {
    m_result.notes.push_back(fmt::format("after {} repair round(s): {}", m_result.repair_rounds,
                                         m_result.compile.summary));
  }
  return {};
}

core::Result<CheckOptions> Writer::start(std::string_view conversation) {
  const auto tex_path = m_dir / k_tex;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(tex_path, ec)) {
    return core::fail(core::ErrorCode::config,
                      fmt::format("{} does not exist: the idea folder must hold the template's "
                                  "latex/template.tex",
                                  tex_path.string()));
  }
  if (!std::filesystem::is_regular_file(m_dir / "notes.txt", ec)) {
    return core::fail(core::ErrorCode::config,
                      fmt::format("{} does not exist: run the experiments (and their notes step) "
                                  "before the write-up",
                                  (m_dir / "notes.txt").string()));
  }
  CheckOptions checks;
  checks.placeholders = m_options.placeholders.empty() ? find_placeholders(read_text(tex_path))
                                                       : m_options.placeholders;

  edit::CoderOptions coder;
  coder.format = m_options.format;
  coder.files_in_context = {k_tex};
  coder.reference_files = {"notes.txt", "experiment.py"};
  coder.max_reflections = m_options.max_reflections;
  coder.temperature = m_options.temperature;
  coder.stage = "writeup";
  coder.conversation = std::string(conversation);
  coder.idea = m_options.idea;
  coder.history_file = m_dir / "coder_history.md";
  coder.prompts_dir = m_options.prompts_dir;
  coder.task_instructions = TRY(prompt(m_options, "system.txt", {}));
  m_coder = std::make_unique<edit::Coder>(m_llm, m_workspace, coder);
  return checks;
}

core::Result<void> Writer::save_record(const std::string& file_name) {
  const auto record = core::dump_json(to_json(m_result), 2);
  std::ofstream out(m_dir / file_name, std::ios::binary | std::ios::trunc);
  out << record << '\n';
  if (!out.flush()) {
    return core::fail(core::ErrorCode::io,
                      fmt::format("cannot write {}", (m_dir / file_name).string()));
  }
  return {};
}

core::Result<WriteupResult> Writer::run() {
  const CheckOptions checks = TRY(start("writeup"));
  TRY_VOID(write_sections());
  TRY_VOID(add_citations());
  say(m_progress, "writing: second refinement of the whole paper");
  TRY(ask(TRY(prompt(m_options, "second_refine.txt", {})), false));
  TRY_VOID(fix_check_problems(checks));
  TRY_VOID(compile_and_repair(checks));
  TRY_VOID(save_record("writeup.json"));
  return m_result;
}

core::Result<WriteupResult> Writer::improve(const nlohmann::json& review) {
  // The placeholders are gone by now; the write-up's record of them is not needed: any
  // "WORDS HERE" left is found again from the text.
  const CheckOptions checks = TRY(start("improvement"));
  say(m_progress, "improving the paper from its review");
  TRY(ask(TRY(prompt(m_options, "improve.txt", {{"review", core::dump_json(review, 2)}})), true));
  TRY_VOID(fix_check_problems(checks));
  TRY_VOID(compile_and_repair(checks));
  TRY_VOID(save_record("improvement.json"));
  return m_result;
}

}  // namespace

nlohmann::json to_json(const WriteupResult& r) {
  nlohmann::json problems = nlohmann::json::array();
  for (const auto& p : r.compile.problems)
    problems.push_back(format_problem(p));
  return {{"pdf", r.compile.pdf_produced ? r.compile.pdf.string() : std::string()},
          {"pdf_produced", r.compile.pdf_produced},
          {"pages", r.compile.pages},
          {"problems", problems},
          {"sections", r.sections},
          {"cited", r.cited},
          {"citation_rounds", r.citation_rounds},
          {"check_rounds", r.check_rounds},
          {"repair_rounds", r.repair_rounds},
          {"notes", r.notes},
          {"cost_usd", r.cost_usd}};
}

core::Result<WriteupResult> write_paper(core::LlmClient& llm, core::LiteratureSource* literature,
                                        const Compiler& compiler,
                                        const std::filesystem::path& idea_dir,
                                        const WriteupOptions& options, const Progress& progress) {
  Writer writer(llm, literature, compiler, idea_dir, options, progress);
  return writer.run();
}

core::Result<WriteupResult> improve_paper(core::LlmClient& llm, const Compiler& compiler,
                                          const std::filesystem::path& idea_dir,
                                          const nlohmann::json& review,
                                          const WriteupOptions& options, const Progress& progress) {
  Writer writer(llm, nullptr, compiler, idea_dir, options, progress);
  return writer.improve(review);
}

}  // namespace writeup
