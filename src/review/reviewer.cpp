#include "review/reviewer.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <future>
#include <iterator>
#include <mutex>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "core/json.h"
#include "llm/json_extract.h"
#include "pdf/pdf_text.h"
#include "resources/resources.h"
#include "review/form.h"

namespace review {
namespace {

using nlohmann::json;

// Errors that no other reviewer could avoid either: stop the whole review rather than let every
// reviewer fail alike (and keep spending).
bool fatal(core::ErrorCode code) {
  return code == core::ErrorCode::auth || code == core::ErrorCode::quota ||
         code == core::ErrorCode::budget_exceeded || code == core::ErrorCode::config ||
         code == core::ErrorCode::replay_mismatch || code == core::ErrorCode::bad_request;
}

// The prompt texts, all read before any call starts, so a missing override fails the review
// before money is spent and reviewer threads never meet a file error.
struct Prompts {
  std::string system, form, first, fewshot, fewshot_example, reflection, repair, meta_system, meta;
};

core::Result<Prompts> load_prompts(const std::filesystem::path& override_dir) {
  auto load = [&](std::string_view name) -> core::Result<std::string> {
    const std::string path = fmt::format("prompts/review/{}", name);
    auto text = resources::text(path, override_dir);
    if (!text) {
      return core::fail(
          core::ErrorCode::config,
          fmt::format("the prompt {} is missing{}", path,
                      override_dir.empty() ? " from the build (rebuild ai-scientist)"
                                           : " (and not in " + override_dir.string() + ")"));
    }
    return *text;
  };
  Prompts p;
  p.system = TRY(load("system.txt"));
  p.form = TRY(load("form.txt"));
  p.first = TRY(load("first.txt"));
  p.fewshot = TRY(load("fewshot.txt"));
  p.fewshot_example = TRY(load("fewshot_example.txt"));
  p.reflection = TRY(load("reflection.txt"));
  p.repair = TRY(load("repair.txt"));
  p.meta_system = TRY(load("meta_system.txt"));
  p.meta = TRY(load("meta.txt"));
  return p;
}

core::Result<std::string> read_text_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return core::fail(core::ErrorCode::io,
                      fmt::format("cannot read {}: {}", file.string(), std::strerror(errno)));
  }
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); });
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

// What a run of calls cost.
struct Totals {
  int calls = 0;
  core::Usage usage;
  double cost_usd = 0;
  bool cost_complete = true;

  void add(const core::Completion& c) {
    ++calls;
    usage += c.usage;
    if (c.cost_usd) {
      cost_usd += *c.cost_usd;
    } else {
      cost_complete = false;
    }
  }
  void add(const Totals& t) {
    calls += t.calls;
    usage += t.usage;
    cost_usd += t.cost_usd;
    cost_complete = cost_complete && t.cost_complete;
  }
};

// One reviewer's (or the area chair's) conversation.
struct Conversation {
  std::string id;  // CallContext::conversation
  std::string system;
  std::string first_prompt;
  int rounds = 1;
};

struct Outcome {
  std::optional<json> review;
  std::string note;                  // see ReviewerOutcome::note
  std::optional<core::Error> error;  // set when there is no review, or on a fatal error
  bool fatal = false;
  int rounds = 0;
  bool said_done = false;
  Totals totals;
};

// The problems with the review in `reply`; fills `review` when there are none.
std::vector<std::string> problems_in(const std::string& reply, json& review) {
  auto found = llm::extract_json(reply);
  if (!found) return {found.error().message};
  std::vector<std::string> problems = validate_review(*found);
  if (problems.empty()) review = *normalize_review(*found);
  return problems;
}

// Runs one conversation: the first prompt, repairs of invalid forms, reflection rounds until the
// model is done or the rounds run out. Never throws; errors are in the outcome.
Outcome converse(core::LlmClient& llm, const Conversation& conv, const Prompts& prompts,
                 const ReviewOptions& options) {
  Outcome out;
  core::CompletionRequest request;
  request.system = conv.system;
  request.temperature = options.temperature;
  request.max_output_tokens = options.max_output_tokens;
  request.context = {"review", conv.id, 0, options.idea};
  request.messages.push_back({core::Role::user, conv.first_prompt});
  int round = 1;
  int repairs = 0;
  for (;;) {
    auto reply = llm.complete(request);
    ++request.context.turn;
    if (!reply) {
      if (fatal(reply.error().code)) {
        out.fatal = true;
        out.error = reply.error();
      } else if (out.review) {
        out.note = fmt::format("round {} got no answer ({}); the review of round {} is kept", round,
                               reply.error().describe(), out.rounds);
      } else {
        out.error = reply.error();
      }
      return out;
    }
    out.totals.add(*reply);
    const std::string& text = reply->text();
    request.messages.push_back({core::Role::assistant, text});
    const bool done = text.find("I am done") != std::string::npos;
    json review;
    const std::vector<std::string> problems = problems_in(text, review);
    if (problems.empty()) {
      out.review = std::move(review);
      out.rounds = round;
      if (done) {
        out.said_done = true;
        return out;
      }
      if (round >= conv.rounds) return out;
      ++round;
      request.messages.push_back(
          {core::Role::user, resources::fill(prompts.reflection,
                                             {{"round", std::to_string(round)},
                                              {"num_reflections", std::to_string(conv.rounds)}})});
      continue;
    }
    // "I am done" with a broken form still means the model has nothing to change.
    if (done && out.review) {
      out.said_done = true;
      return out;
    }
    if (repairs >= options.max_repairs) {
      if (out.review) {
        out.note = fmt::format(
            "round {}'s review stayed invalid after {} repair request(s) ({}); the review of "
            "round {} is kept",
            round, repairs, join(problems, "; "), out.rounds);
      } else {
        out.error = core::Error(core::ErrorCode::parse,
                                fmt::format("no valid review after {} repair request(s): {}",
                                            repairs, join(problems, "; ")));
      }
      return out;
    }
    ++repairs;
    std::string listed;
    for (const auto& p : problems)
      listed += "- " + p + "\n";
    request.messages.push_back(
        {core::Role::user, resources::fill(prompts.repair, {{"problems", listed}})});
  }
}

std::string one_line(const json& review) {
  return fmt::format("{}, Overall {}", review["Decision"].get<std::string>(),
                     review["Overall"].get<long long>());
}

}  // namespace

std::string truncate_text(std::string_view text, std::size_t max_chars) {
  if (text.size() <= max_chars) return std::string(text);
  std::size_t cut = max_chars;
  // Never split a UTF-8 sequence: back up over continuation bytes.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
    --cut;
  const std::size_t floor = max_chars - max_chars / 5;
  const std::size_t line = text.rfind('\n', cut == 0 ? 0 : cut - 1);
  if (line != std::string_view::npos && line >= floor && line > 0) cut = line + 1;
  std::string out(text.substr(0, cut));
  if (!out.empty() && out.back() != '\n') out += '\n';
  out += fmt::format("[... truncated: the first {} of {} bytes are shown]\n", cut, text.size());
  return out;
}

core::Result<std::vector<FewShotExample>> load_fewshot_examples(const std::filesystem::path& dir,
                                                                std::size_t max_chars,
                                                                int max_pages) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return core::fail(core::ErrorCode::config,
                      fmt::format("the few-shot folder {} does not exist or is not a folder; pass "
                                  "a folder of <id>.txt|.md|.tex|.pdf papers, each with its "
                                  "review as <id>.json",
                                  dir.string()));
  }
  // File stems by extension, for the pairs.
  std::map<std::string, std::set<std::string>> stems;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file(ec)) continue;
    stems[entry.path().stem().string()].insert(entry.path().extension().string());
  }
  if (ec) {
    return core::fail(core::ErrorCode::io, fmt::format("cannot list the few-shot folder {}: {}",
                                                       dir.string(), ec.message()));
  }
  std::vector<FewShotExample> examples;
  for (const auto& [id, extensions] : stems) {
    if (!extensions.contains(".json")) continue;
    std::string paper_ext;
    for (const char* ext : {".txt", ".md", ".tex", ".pdf"}) {
      if (extensions.contains(ext)) {
        paper_ext = ext;
        break;
      }
    }
    const std::filesystem::path review_file = dir / (id + ".json");
    if (paper_ext.empty()) {
      return core::fail(core::ErrorCode::config,
                        fmt::format("the few-shot review {} has no paper beside it: add {}.txt, "
                                    ".md, .tex or .pdf, or remove the review",
                                    review_file.string(), id));
    }
    FewShotExample example;
    example.id = id;
    example.paper_file = dir / (id + paper_ext);

    const std::string review_text = TRY(read_text_file(review_file));
    example.review = json::parse(review_text, nullptr, false);
    if (example.review.is_discarded() || !example.review.is_object()) {
      return core::fail(core::ErrorCode::parse,
                        fmt::format("the few-shot review {} is not a JSON object; fix it or "
                                    "remove it (with its paper) from the folder",
                                    review_file.string()));
    }

    pdf::TextOptions text_options;
    text_options.max_pages = max_pages;
    auto paper = pdf::read_paper(example.paper_file, text_options);
    if (!paper) {
      return core::fail(paper.error().code,
                        fmt::format("few-shot example {}: {}", id, paper.error().message));
    }
    if (blank(*paper)) {
      return core::fail(core::ErrorCode::config,
                        fmt::format("the few-shot paper {} holds no text; replace it or remove "
                                    "it with its review",
                                    example.paper_file.string()));
    }
    example.truncated = paper->size() > max_chars;
    example.paper_text = truncate_text(*paper, max_chars);
    examples.push_back(std::move(example));
  }
  if (examples.empty()) {
    return core::fail(core::ErrorCode::config,
                      fmt::format("the few-shot folder {} holds no example: each needs a paper "
                                  "<id>.txt|.md|.tex|.pdf and its review <id>.json",
                                  dir.string()));
  }
  return examples;
}

json aggregate_reviews(const std::vector<json>& reviews, const std::optional<json>& meta_review,
                       std::map<std::string, double>* mean_scores) {
  json final_review = meta_review ? *meta_review : reviews.front();
  for (const auto& field : score_fields()) {
    const std::string key(field.key);
    double sum = 0;
    int count = 0;
    for (const auto& r : reviews) {
      if (!r.contains(key) || !r[key].is_number_integer()) continue;
      const long long v = r[key].get<long long>();
      if (v < field.min || v > field.max) continue;
      sum += static_cast<double>(v);
      ++count;
    }
    if (count == 0) continue;
    const double mean = sum / count;
    final_review[key] = std::clamp<long long>(std::llround(mean), field.min, field.max);
    if (mean_scores) (*mean_scores)[key] = mean;
  }
  if (!meta_review) {
    int accepts = 0;
    bool ethical = false;
    for (const auto& r : reviews) {
      if (r.value("Decision", "") == "Accept") ++accepts;
      if (r.value("Ethical Concerns", false)) ethical = true;
    }
    const int rejects = static_cast<int>(reviews.size()) - accepts;
    final_review["Decision"] = accepts > rejects ? "Accept" : "Reject";
    final_review["Ethical Concerns"] = ethical;
  }
  return final_review;
}

core::Result<ReviewResult> review_paper(core::LlmClient& llm, const std::string& paper_text,
                                        const ReviewOptions& options, const Progress& progress) {
  if (options.ensemble < 1 || options.num_reflections < 1 || options.max_repairs < 0) {
    return core::fail(core::ErrorCode::invalid_argument,
                      fmt::format("the reviewer needs at least one reviewer and one round, and "
                                  "no negative repair count (got ensemble {}, rounds {}, repairs "
                                  "{})",
                                  options.ensemble, options.num_reflections, options.max_repairs));
  }
  if (blank(paper_text)) {
    return core::fail(core::ErrorCode::invalid_argument,
                      "the paper to review holds no text; check that the file is the paper (a "
                      "scanned PDF has no text layer to read)");
  }
  const Prompts prompts = TRY(load_prompts(options.prompts_dir));
  std::mutex progress_mutex;
  auto say = [&](const std::string& line) {
    if (!progress) return;
    std::lock_guard lock(progress_mutex);
    progress(line);
  };

  ReviewResult result;
  std::string fewshot;
  if (!options.fewshot_dir.empty()) {
    std::vector<FewShotExample> examples = TRY(
        load_fewshot_examples(options.fewshot_dir, options.fewshot_max_chars, options.max_pages));
    if (options.fewshot_limit > 0 && examples.size() > std::size_t(options.fewshot_limit)) {
      examples.resize(options.fewshot_limit);
    }
    std::string shown;
    const std::string count = std::to_string(examples.size());
    for (std::size_t i = 0; i < examples.size(); ++i) {
      shown += resources::fill(prompts.fewshot_example,
                               {{"index", std::to_string(i + 1)},
                                {"count", count},
                                {"paper", examples[i].paper_text},
                                {"review", core::dump_json(examples[i].review, 2)}});
    }
    fewshot = resources::fill(prompts.fewshot, {{"count", count}, {"examples", shown}});
    result.fewshot_examples = static_cast<int>(examples.size());
  }
  const std::string first =
      resources::fill(prompts.first, {{"form", prompts.form},
                                      {"fewshot", fewshot},
                                      {"num_reflections", std::to_string(options.num_reflections)},
                                      {"paper", paper_text}});

  const int k = options.ensemble;
  std::vector<std::future<Outcome>> running;
  for (int i = 1; i <= k; ++i) {
    Conversation conv{fmt::format("reviewer-{}", i), prompts.system, first,
                      options.num_reflections};
    // Each reviewer reports as soon as it finishes, whatever the others are doing.
    running.push_back(std::async(std::launch::async, [&llm, &prompts, &options, &say, conv, i, k] {
      Outcome outcome = converse(llm, conv, prompts, options);
      if (outcome.review && !outcome.fatal) {
        say(fmt::format("reviewer {}/{}: {} ({} round(s){}){}", i, k, one_line(*outcome.review),
                        outcome.rounds, outcome.said_done ? ", done" : "",
                        outcome.note.empty() ? "" : "; " + outcome.note));
      } else {
        say(fmt::format("reviewer {}/{} failed: {}", i, k,
                        outcome.error ? outcome.error->message : "no review"));
      }
      return outcome;
    }));
  }
  Totals totals;
  std::optional<core::Error> stop;
  std::vector<json> valid;
  std::vector<std::string> reasons;
  std::optional<core::ErrorCode> first_failure;
  for (int i = 1; i <= k; ++i) {
    Outcome outcome = running[i - 1].get();
    totals.add(outcome.totals);
    ReviewerOutcome reviewer;
    reviewer.index = i;
    reviewer.review = outcome.review;
    reviewer.rounds = outcome.rounds;
    reviewer.said_done = outcome.said_done;
    if (outcome.fatal) {
      if (!stop) stop = outcome.error;
      reviewer.review.reset();
    }
    if (reviewer.review) {
      reviewer.note = outcome.note;
      valid.push_back(*reviewer.review);
    } else {
      reviewer.note = outcome.error ? outcome.error->message : "no review";
      if (!first_failure && outcome.error) first_failure = outcome.error->code;
      reasons.push_back(fmt::format("reviewer {}: {}", i, reviewer.note));
      result.failures.push_back(fmt::format("reviewer {} failed: {}", i, reviewer.note));
    }
    result.reviewers.push_back(std::move(reviewer));
  }
  auto finish = [&]() {
    result.calls = totals.calls;
    result.usage = totals.usage;
    result.cost_usd = totals.cost_usd;
    result.cost_complete = totals.cost_complete;
  };
  if (stop) return std::unexpected(*stop);
  if (valid.empty()) {
    return core::fail(first_failure.value_or(core::ErrorCode::parse),
                      fmt::format("all {} reviewer(s) failed, so there is no review: {}. Try "
                                  "again, or another --review-model",
                                  k, join(reasons, "; ")));
  }

  if (k == 1) {
    result.review = valid.front();
    for (const auto& field : score_fields()) {
      result.mean_scores[std::string(field.key)] =
          static_cast<double>(result.review[std::string(field.key)].get<long long>());
    }
    finish();
    return result;
  }

  std::string reviews;
  const std::string count = std::to_string(valid.size());
  for (std::size_t i = 0; i < valid.size(); ++i) {
    reviews += fmt::format("Review {}/{}:\n```json\n{}\n```\n\n", i + 1, count,
                           core::dump_json(valid[i], 2));
  }
  Conversation meta{
      "meta", resources::fill(prompts.meta_system, {{"count", count}}),
      resources::fill(prompts.meta,
                      {{"form", prompts.form}, {"count", count}, {"reviews", reviews}}),
      1};
  Outcome chair = converse(llm, meta, prompts, options);
  totals.add(chair.totals);
  if (chair.fatal) return std::unexpected(*chair.error);
  if (chair.review) {
    result.meta_review = chair.review;
    say(fmt::format("meta-review: {}", one_line(*chair.review)));
  } else {
    result.failures.push_back(fmt::format(
        "meta-review failed: {}; the final review takes its text from the first valid review "
        "and its decision from the reviewers' majority",
        chair.error ? chair.error->message : "no review"));
    say(result.failures.back());
  }
  result.review = aggregate_reviews(valid, result.meta_review, &result.mean_scores);
  finish();
  return result;
}

}  // namespace review
