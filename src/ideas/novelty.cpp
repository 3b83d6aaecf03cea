#include "ideas/novelty.h"

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iterator>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "core/json.h"
#include "ideas/prompts.h"
#include "llm/json_extract.h"

namespace ideas {
namespace {

using nlohmann::json;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// The results as the model reads them: numbered, with the facts a reviewer weighs.
std::string describe(const std::vector<core::Paper>& papers) {
  if (papers.empty()) return "No papers found.";
  std::string out;
  for (std::size_t i = 0; i < papers.size(); ++i) {
    const auto& p = papers[i];
    std::string authors;
    for (std::size_t a = 0; a < p.authors.size() && a < 6; ++a) {
      authors += (a ? ", " : "") + p.authors[a];
    }
    if (p.authors.size() > 6) authors += " et al.";
    out += fmt::format("{}: {}. {}. {}, {}.\nNumber of citations: {}\nAbstract: {}\n\n", i, p.title,
                       authors, p.venue.empty() ? "Unknown venue" : p.venue,
                       p.year ? std::to_string(*p.year) : "n.d.",
                       p.citation_count ? std::to_string(*p.citation_count) : "unknown",
                       p.abstract.empty() ? "(none)" : p.abstract);
  }
  return out;
}

json paper_record(const core::Paper& p) {
  json j = {{"title", p.title}, {"authors", p.authors}, {"venue", p.venue}, {"source", p.source}};
  j["year"] = p.year ? json(*p.year) : json(nullptr);
  if (!p.doi.empty()) j["doi"] = p.doi;
  if (!p.arxiv_id.empty()) j["arxiv_id"] = p.arxiv_id;
  if (!p.s2_id.empty()) j["s2_id"] = p.s2_id;
  if (!p.url.empty()) j["url"] = p.url;
  return j;
}

// The thought before the decision line, for the evidence.
std::string thought_of(const std::string& text) {
  std::string t = text;
  if (auto pos = t.find("THOUGHT:"); pos != std::string::npos) t = t.substr(pos + 8);
  if (auto pos = t.find("RESPONSE:"); pos != std::string::npos) t = t.substr(0, pos);
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front())))
    t.erase(t.begin());
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back())))
    t.pop_back();
  return t;
}

}  // namespace

core::Result<NoveltyVerdict> check_novelty(core::LlmClient& llm, core::LiteratureSource& source,
                                           const TemplateText& tmpl, const json& idea, int index,
                                           const NoveltyOptions& options) {
  NoveltyVerdict verdict;
  core::CompletionRequest request;
  request.system = TRY(prompt(options.prompts_dir, "novelty_system.txt",
                              {{"max_rounds", std::to_string(options.max_rounds)},
                               {"task_description", tmpl.task_description},
                               {"code", tmpl.code}}));
  request.temperature = options.temperature;
  request.context = {"novelty", fmt::format("novelty-{}", index), 0,
                     idea.value("Name", std::string())};
  std::string results = "(none yet: this is the first round)";
  for (int round = 1; round <= options.max_rounds; ++round) {
    verdict.rounds = round;
    request.messages.push_back(
        {core::Role::user, TRY(prompt(options.prompts_dir, "novelty_round.txt",
                                      {{"round", std::to_string(round)},
                                       {"max_rounds", std::to_string(options.max_rounds)},
                                       {"idea", core::dump_json(idea, 2)},
                                       {"results", results}}))});
    core::Completion reply = TRY(llm.complete(request));
    ++request.context.turn;
    const std::string& text = reply.text();
    request.messages.push_back({core::Role::assistant, text});
    const std::string low = lower(text);
    // "not novel" contains "novel": test it first.
    if (low.find("decision made: not novel") != std::string::npos) {
      verdict.novel = false;
      verdict.reason = thought_of(text);
      return verdict;
    }
    if (low.find("decision made: novel") != std::string::npos) {
      verdict.novel = true;
      verdict.reason = thought_of(text);
      return verdict;
    }
    auto parsed = llm::extract_json(text);
    if (!parsed || !parsed->is_object() || !parsed->contains("Query") ||
        !(*parsed)["Query"].is_string() || (*parsed)["Query"].get<std::string>().empty()) {
      results = fmt::format("(no search was made: {} Reply with a query or a decision.)",
                            parsed ? "the JSON had no \"Query\" string." : parsed.error().message);
      continue;
    }
    const std::string query = (*parsed)["Query"].get<std::string>();
    auto papers = source.search(query, options.results_per_query);
    if (!papers) {
      if (!core::is_transient(papers.error().code)) return std::unexpected(papers.error());
      results = fmt::format("(the search failed: {}; try again or decide)", papers.error().message);
      continue;
    }
    results = describe(*papers);
    for (const auto& p : *papers) {
      json record = paper_record(p);
      if (std::find(verdict.papers.begin(), verdict.papers.end(), record) == verdict.papers.end()) {
        verdict.papers.push_back(record);
      }
    }
  }
  verdict.novel = false;
  verdict.exhausted = true;
  verdict.reason =
      fmt::format("no decision within {} rounds; counted as not novel", options.max_rounds);
  return verdict;
}

core::Result<void> write_ideas_file(const std::filesystem::path& path, const json& j) {
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc | std::ios::binary);
    out << core::dump_json(j, 4) << '\n';
    if (!out) return core::fail(core::ErrorCode::io, fmt::format("cannot write {}", tmp.string()));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    return core::fail(core::ErrorCode::io,
                      fmt::format("cannot replace {}: {}", path.string(), ec.message()));
  }
  return {};
}

core::Result<int> check_ideas_file(core::LlmClient& llm, core::LiteratureSource& source,
                                   const TemplateText& tmpl,
                                   const std::filesystem::path& ideas_file,
                                   const NoveltyOptions& options, const Progress& progress) {
  std::ifstream in(ideas_file, std::ios::binary);
  if (!in) {
    return core::fail(core::ErrorCode::io, fmt::format("cannot read {}", ideas_file.string()));
  }
  json ideas = json::parse(in, nullptr, false);
  if (ideas.is_discarded() || !ideas.is_array()) {
    return core::fail(core::ErrorCode::parse,
                      fmt::format("{} is not a JSON list of ideas", ideas_file.string()));
  }
  std::vector<std::size_t> pending;
  for (std::size_t i = 0; i < ideas.size(); ++i) {
    if (ideas[i].is_object() && !ideas[i].contains("novel")) pending.push_back(i);
  }
  std::mutex mutex;  // guards ideas, the file, `checked`, `first_error` and progress
  std::atomic<std::size_t> next{0};
  int checked = 0;
  std::optional<core::Error> first_error;
  auto worker = [&] {
    for (std::size_t k = next++; k < pending.size(); k = next++) {
      const std::size_t i = pending[k];
      json idea;
      {
        std::lock_guard lock(mutex);
        idea = ideas[i];
      }
      auto verdict = check_novelty(llm, source, tmpl, idea, static_cast<int>(i), options);
      std::lock_guard lock(mutex);
      const std::string name = idea.value("Name", fmt::format("idea {}", i + 1));
      if (!verdict) {
        if (!first_error) first_error = verdict.error();
        if (progress) progress(fmt::format("{}: not checked: {}", name, verdict.error().message));
        continue;
      }
      ideas[i]["novel"] = verdict->novel;
      ideas[i]["novelty_evidence"] = {{"reason", verdict->reason},
                                      {"rounds", verdict->rounds},
                                      {"exhausted", verdict->exhausted},
                                      {"papers", verdict->papers}};
      ++checked;
      if (auto written = write_ideas_file(ideas_file, ideas); !written && !first_error) {
        first_error = written.error();
      }
      if (progress) {
        progress(fmt::format("{}: {}{}", name, verdict->novel ? "novel" : "not novel",
                             verdict->exhausted ? " (rounds exhausted)" : ""));
      }
    }
  };
  const int threads =
      std::max(1, std::min<int>(options.concurrency, static_cast<int>(pending.size())));
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t)
    pool.emplace_back(worker);
  worker();
  for (auto& t : pool)
    t.join();
  if (first_error) return std::unexpected(*first_error);
  return checked;
}

}  // namespace ideas
