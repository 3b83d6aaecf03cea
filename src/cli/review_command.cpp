// `ai-scientist review FILE`: an LLM review of a paper in the NeurIPS form, as AI Scientist's
// perform_review writes it (review.txt in an idea folder), with reflections, an ensemble and an
// area chair's meta-review.
#include <algorithm>
#include <cctype>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <regex>

#include <fmt/format.h>

#include "cli/app.h"
#include "cli/llm_stack.h"
#include "cli/review_batch_command.h"
#include "cli/sandbox_flags.h"
#include "core/json.h"
#include "experiment/sandboxed_runner.h"
#include "llm/transcript.h"
#include "pdf/pdf_text.h"
#include "review/form.h"
#include "review/reviewer.h"
#include "writeup/compile.h"
#include "writeup/writer.h"

namespace cli {
namespace {

using nlohmann::json;

struct ReviewFlags {
  LlmFlags llm;
  std::string file;
  std::string review_model;
  double temperature = 0.75;
  int num_reflections = 5;
  int ensemble = 5;
  std::string fewshot;
  int pages = 0;
  bool json_output = false;
  std::string out;
  std::string prompts;
  bool improve = false;
  bool no_sandbox = false;
};

int fail_with(const core::Error& e) {
  std::cerr << "error: " << e.message << '\n';
  return e.code == core::ErrorCode::invalid_argument ? k_exit_usage : k_exit_failure;
}

std::string lower(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The paper to review and, when FILE was an idea folder, that folder and its idea's name.
struct PaperLocation {
  std::filesystem::path file;
  std::filesystem::path idea_dir;  // empty: FILE was a paper file
  std::string idea;
  bool from_latex_source = false;  // the idea folder had no PDF; its latex/template.tex is used
};

// The idea's name of a results folder: `<YYYYmmdd_HHMMSS>_<Name>` as launch names them, else the
// folder's whole name.
std::string idea_name_of(const std::filesystem::path& dir) {
  const std::string name = dir.filename().string();
  static const std::regex stamped(R"(^\d{8}_\d{6}_(.+)$)");
  std::smatch m;
  if (std::regex_match(name, m, stamped)) return m[1].str();
  return name;
}

core::Result<PaperLocation> locate_paper(const std::string& arg) {
  std::filesystem::path path(arg);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return core::fail(core::ErrorCode::invalid_argument,
                      fmt::format("{} does not exist; pass a paper (.pdf, .tex, .md or .txt) or "
                                  "an idea folder holding <Name>.pdf",
                                  arg));
  }
  if (!std::filesystem::is_directory(path, ec)) return PaperLocation{path, {}, "", false};

  // An idea folder. Trailing slashes would make filename() empty.
  path = std::filesystem::absolute(path, ec).lexically_normal();
  if (path.filename().empty()) path = path.parent_path();
  PaperLocation where;
  where.idea_dir = path;
  where.idea = idea_name_of(path);
  std::vector<std::filesystem::path> pdfs;
  for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
    if (entry.is_regular_file(ec) && lower(entry.path().extension().string()) == ".pdf") {
      pdfs.push_back(entry.path());
    }
  }
  std::sort(pdfs.begin(), pdfs.end());
  for (const auto& pdf : pdfs) {
    if (pdf.stem().string() == where.idea) {
      where.file = pdf;
      return where;
    }
  }
  if (pdfs.size() == 1) {
    where.file = pdfs.front();
    return where;
  }
  if (pdfs.size() > 1) {
    std::string names;
    for (const auto& pdf : pdfs)
      names += (names.empty() ? "" : ", ") + pdf.filename().string();
    return core::fail(core::ErrorCode::invalid_argument,
                      fmt::format("the idea folder {} holds {} PDFs ({}) and none is named {}.pdf "
                                  "after its idea; pass the one to review as FILE",
                                  path.string(), pdfs.size(), names, where.idea));
  }
  // No PDF yet (the write-up did not compile): its LaTeX source is still a paper to review.
  const std::filesystem::path source = path / "latex" / "template.tex";
  if (std::filesystem::is_regular_file(source, ec)) {
    where.file = source;
    where.from_latex_source = true;
    return where;
  }
  return core::fail(core::ErrorCode::invalid_argument,
                    fmt::format("the idea folder {} holds no PDF (expected {}.pdf) and no "
                                "latex/template.tex; run the write-up first, or pass the paper "
                                "file as FILE",
                                path.string(), where.idea));
}

// Writes `text` to `path` through a temporary file beside it, so a reader never sees half.
core::Result<void> write_atomically(const std::filesystem::path& path, const std::string& text) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) {
      return core::fail(core::ErrorCode::io,
                        fmt::format("cannot write {}; check that its folder is writable and the "
                                    "disk not full",
                                    tmp.string()));
    }
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return core::fail(core::ErrorCode::io, fmt::format("cannot move the review into {}: {}",
                                                       path.string(), ec.message()));
  }
  return {};
}

// review.json: the final review and everything behind it.
json review_record(const review::ReviewResult& r, const PaperLocation& paper,
                   const std::string& model, const ReviewFlags& f) {
  json reviewers = json::array();
  for (const auto& one : r.reviewers) {
    reviewers.push_back({{"index", one.index},
                         {"review", one.review ? *one.review : json(nullptr)},
                         {"rounds", one.rounds},
                         {"said_done", one.said_done},
                         {"note", one.note}});
  }
  return {{"review", r.review},
          {"reviewers", reviewers},
          {"meta_review", r.meta_review ? *r.meta_review : json(nullptr)},
          {"mean_scores", r.mean_scores},
          {"failures", r.failures},
          {"paper", paper.file.string()},
          {"reviewer",
           {{"model", model},
            {"temperature", f.temperature},
            {"num_reflections", f.num_reflections},
            {"ensemble", f.ensemble},
            {"fewshot", f.fewshot.empty() ? json(nullptr) : json(f.fewshot)},
            {"fewshot_examples", r.fewshot_examples}}},
          {"calls", r.calls},
          {"usage", llm::usage_to_json(r.usage)},
          {"cost_usd", r.cost_complete ? json(r.cost_usd) : json(nullptr)}};
}

void print_list(const json& review, const char* key) {
  std::cout << key << ":\n";
  if (review[key].empty()) std::cout << "  (none)\n";
  for (const auto& item : review[key])
    std::cout << "  - " << item.get<std::string>() << '\n';
}

void print_summary(const review::ReviewResult& r, const PaperLocation& paper,
                   const std::string& model, const ReviewFlags& f) {
  const json& v = r.review;
  std::cout << fmt::format("Review of {} by {} ({} reviewer(s), up to {} round(s) each)\n",
                           paper.file.string(), model, f.ensemble, f.num_reflections);
  std::string overall = fmt::format("{}/10", v["Overall"].get<long long>());
  if (r.reviewers.size() > 1 && r.mean_scores.contains("Overall")) {
    overall += fmt::format(" (mean {:.2f} of {} review(s))", r.mean_scores.at("Overall"),
                           std::count_if(r.reviewers.begin(), r.reviewers.end(),
                                         [](const auto& one) { return one.review.has_value(); }));
  }
  std::cout << fmt::format("Decision: {}   Overall: {}   Confidence: {}/5\n",
                           v["Decision"].get<std::string>(), overall,
                           v["Confidence"].get<long long>());
  std::string scores;
  for (const auto& field : review::score_fields()) {
    if (field.max != 4) continue;
    const std::string key(field.key);
    scores += fmt::format("{}{} {}/4", scores.empty() ? "" : ", ", key, v[key].get<long long>());
  }
  std::cout << scores << '\n';
  std::cout << "Ethical concerns: " << (v["Ethical Concerns"].get<bool>() ? "yes" : "none flagged")
            << "\n\n";
  std::cout << "Summary:\n  " << v["Summary"].get<std::string>() << '\n';
  print_list(v, "Strengths");
  print_list(v, "Weaknesses");
  print_list(v, "Questions");
  print_list(v, "Limitations");
  for (const auto& failure : r.failures)
    std::cout << "note: " << failure << '\n';
}

// The reviewer's settings from the flags; `idea` keys its calls in the transcript.
review::ReviewOptions review_options(const ReviewFlags& f, const std::string& idea) {
  review::ReviewOptions options;
  options.temperature = f.temperature;
  options.num_reflections = f.num_reflections;
  options.ensemble = f.ensemble;
  options.fewshot_dir = f.fewshot;
  options.max_pages = f.pages;
  options.prompts_dir = f.prompts;
  options.idea = idea;
  return options;
}

// --improve: the coder revises the paper from the review (writer model: --model), the paper is
// compiled again through the write-up's check and repair rounds, and the new PDF is reviewed
// again; the second review goes beside the first (review_improved.json and .txt), which stays.
int improve(const ReviewFlags& f, const PaperLocation& paper, const review::ReviewResult& first,
            LlmStack& stack, const std::string& review_model) {
  if (paper.idea_dir.empty() || paper.from_latex_source) {
    std::cerr << "error: --improve needs an idea folder holding latex/template.tex and its PDF\n";
    return k_exit_usage;
  }
  const std::string writer_model = f.llm.model.empty() ? review_model : f.llm.model;
  auto writer = stack.client(writer_model);
  if (!writer) return fail_with(writer.error());
  auto reviewer = stack.client(review_model);
  if (!reviewer) return fail_with(reviewer.error());
  auto sandbox = make_sandbox(f.no_sandbox);
  if (!sandbox) return fail_with(sandbox.error());
  experiment::SandboxedRunner checks(**sandbox);
  writeup::Compiler compiler(**sandbox, &checks);
  writeup::WriteupOptions options;
  options.idea = paper.idea;
  options.pdf_name = paper.file.filename().string();
  options.check_runner = &checks;
  auto improved = writeup::improve_paper(
      **writer, compiler, std::filesystem::absolute(paper.idea_dir), first.review, options,
      [](std::string_view line) { std::cerr << line << '\n'; });
  if (!improved) return fail_with(improved.error());
  std::cerr << improved->compile.summary << '\n';
  pdf::TextOptions text_options;
  text_options.max_pages = f.pages;
  auto text = pdf::read_paper(paper.file, text_options);
  if (!text) return fail_with(text.error());
  // The second review's calls are kept apart from the first's in the transcript.
  auto second = review::review_paper(**reviewer, *text, review_options(f, paper.idea + "-improved"),
                                     [](std::string_view line) { std::cerr << line << '\n'; });
  if (!second) return fail_with(second.error());
  const json record = review_record(*second, paper, review_model, f);
  const auto json_out = paper.idea_dir / "review_improved.json";
  const auto txt_out = paper.idea_dir / "review_improved.txt";
  if (auto w = write_atomically(json_out, core::dump_json(record, 2) + "\n"); !w) {
    return fail_with(w.error());
  }
  if (auto w = write_atomically(txt_out, core::dump_json(second->review, 4) + "\n"); !w) {
    return fail_with(w.error());
  }
  std::cout << fmt::format(
      "Before: {} (Overall {}); after improvement: {} (Overall {})\n",
      first.review["Decision"].get<std::string>(), first.review["Overall"].get<int>(),
      second->review["Decision"].get<std::string>(), second->review["Overall"].get<int>());
  std::cout << "Reviews written to " << (paper.idea_dir / "review.txt").string() << " and "
            << txt_out.string() << '\n';
  return k_exit_ok;
}

int run_review(const ReviewFlags& f, const core::Environment& env) {
  const std::string model = f.review_model.empty() ? f.llm.model : f.review_model;
  if (model.empty()) {
    std::cerr << "error: pass --model PROVIDER/MODEL or --review-model PROVIDER/MODEL (e.g. "
                 "openai/gpt-4o, or replay/PATH to replay a recorded review)\n";
    return k_exit_usage;
  }
  auto paper = locate_paper(f.file);
  if (!paper) return fail_with(paper.error());
  if (f.improve) {
    // Said before the first review is paid for: without these there is nothing --improve could
    // revise (improve_paper needs the source and the notes).
    std::string missing;
    std::error_code ec;
    if (paper->idea_dir.empty()) {
      missing = fmt::format("{} is a paper file, not an idea folder", f.file);
    } else if (paper->from_latex_source) {
      missing = fmt::format("{} holds no compiled PDF (run ai-scientist writeup compile {})",
                            paper->idea_dir.string(), paper->idea_dir.string());
    } else {
      for (const char* needed : {"latex/template.tex", "notes.txt"}) {
        if (!std::filesystem::is_regular_file(paper->idea_dir / needed, ec)) {
          missing = fmt::format("{} holds no {}", paper->idea_dir.string(), needed);
          break;
        }
      }
    }
    if (!missing.empty()) {
      std::cerr << "error: --improve needs an idea folder holding latex/template.tex, notes.txt "
                   "and the compiled PDF: "
                << missing << "; review without --improve\n";
      return k_exit_usage;
    }
  }
  if (paper->from_latex_source) {
    print_notice(fmt::format("{} holds no PDF; reviewing its LaTeX source {}",
                             paper->idea_dir.string(), paper->file.string()));
  }
  pdf::TextOptions text_options;
  text_options.max_pages = f.pages;
  auto text = pdf::read_paper(paper->file, text_options);
  if (!text) return fail_with(text.error());

  const std::filesystem::path out = !f.out.empty() ? std::filesystem::path(f.out)
                                    : paper->idea_dir.empty()
                                        ? paper->file.parent_path() / "review.json"
                                        : paper->idea_dir / "review.json";
  const std::filesystem::path transcript_dir =
      paper->idea_dir.empty() ? out.parent_path() : paper->idea_dir;
  auto stack = LlmStack::open(f.llm, env, transcript_dir / "llm_transcript.jsonl");
  if (!stack) return fail_with(stack.error());
  auto client = (*stack)->client(model);
  if (!client) return fail_with(client.error());

  auto result = review::review_paper(**client, *text, review_options(f, paper->idea),
                                     [](std::string_view line) { std::cerr << line << '\n'; });
  if (!result) {
    return fail_with(core::Error(
        result.error().code, fmt::format("{} ({} spent)", result.error().message,
                                         fmt::format("${:.4f}", (*stack)->ledger().total_usd()))));
  }

  const json record = review_record(*result, *paper, model, f);
  if (auto written = write_atomically(out, core::dump_json(record, 2) + "\n"); !written) {
    return fail_with(written.error());
  }
  std::filesystem::path review_txt;
  if (!paper->idea_dir.empty()) {
    // AI Scientist's file: the final review form alone, as JSON.
    review_txt = paper->idea_dir / "review.txt";
    if (auto written = write_atomically(review_txt, core::dump_json(result->review, 4) + "\n");
        !written) {
      return fail_with(written.error());
    }
  }

  if (f.improve) return improve(f, *paper, *result, **stack, model);

  if (f.json_output) {
    std::cout << core::dump_json(record, 2) << '\n';
  } else {
    print_summary(*result, *paper, model, f);
    std::cout << fmt::format(
        "Review written to {}{} ({} call(s), {})\n", out.string(),
        review_txt.empty() ? "" : " and " + review_txt.string(), result->calls,
        result->cost_complete
            ? fmt::format("${:.4f}", result->cost_usd)
            : fmt::format("${:.4f} for the calls with a known price", result->cost_usd));
  }
  return k_exit_ok;
}

}  // namespace

Command review_command() {
  return {"review", "Review a paper (PDF, LaTeX, Markdown or text) in the NeurIPS form",
          [](CLI::App& app, const core::Environment& env) -> std::function<int()> {
            auto f = std::make_shared<ReviewFlags>();
            app.add_option("FILE", f->file,
                           "The paper (.pdf, .tex, .md, .txt) or an idea folder (its <Name>.pdf; "
                           "review.txt is written there too)");
            f->llm.add_to(app, "provider/model, e.g. openai/gpt-4o, or replay/PATH");
            app.add_option("--review-model", f->review_model,
                           "The reviewer's model, when it differs from --model");
            app.add_option("--review-temperature", f->temperature,
                           "Sampling temperature of the reviewer's calls")
                ->check(CLI::Range(0.0, 2.0))
                ->capture_default_str();
            app.add_option("--num-reflections", f->num_reflections,
                           "Rounds per reviewer, the first included; may end early when the "
                           "reviewer is done")
                ->check(CLI::Range(1, 20))
                ->capture_default_str();
            app.add_option("--ensemble", f->ensemble,
                           "Independent reviewers, merged by an area chair's meta-review when "
                           "more than one")
                ->check(CLI::Range(1, 20))
                ->capture_default_str();
            app.add_option("--fewshot", f->fewshot,
                           "A folder of example papers (<id>.txt|.md|.tex|.pdf) with their "
                           "reviews (<id>.json) to show the reviewer");
            app.add_option("--pages", f->pages, "Read at most this many pages of a PDF (0: all)")
                ->check(CLI::NonNegativeNumber)
                ->capture_default_str();
            app.add_flag("--json", f->json_output,
                         "Print the review record (what review.json holds) instead of a summary");
            app.add_option("--out", f->out,
                           "Where to write the review record (default: review.json in the idea "
                           "folder or beside the paper)");
            app.add_option("--prompts", f->prompts,
                           "A folder whose prompts/review/*.txt replace the built-in prompts");
            app.add_flag("--improve", f->improve,
                         "Revise the paper from the review (with --model), recompile it and "
                         "review it again (an idea folder only)");
            app.add_flag("--no-sandbox", f->no_sandbox,
                         "Compile the improved paper without isolation (not recommended)");
            app.require_subcommand(0, 1);
            auto batch = std::make_shared<std::function<int()>>();
            add_review_batch(app, env, *batch);
            return [f, batch, &env] {
              if (*batch) return (*batch)();
              if (f->file.empty()) {
                std::cerr << "error: pass the paper to review (FILE), or `review batch`\n";
                return k_exit_usage;
              }
              return run_review(*f, env);
            };
          }};
}

}  // namespace cli
