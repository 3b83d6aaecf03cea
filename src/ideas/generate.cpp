#include "ideas/generate.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "core/json.h"
#include "ideas/prompts.h"
#include "llm/json_extract.h"

namespace ideas {
namespace {

using nlohmann::json;

// Errors that another attempt cannot fix: stop rather than fail every remaining attempt alike.
bool fatal(core::ErrorCode code) {
  return code == core::ErrorCode::auth || code == core::ErrorCode::quota ||
         code == core::ErrorCode::budget_exceeded || code == core::ErrorCode::config ||
         code == core::ErrorCode::replay_mismatch || code == core::ErrorCode::bad_request;
}

}  // namespace

std::string validate_idea(const json& idea, const std::vector<std::string>& taken) {
  if (!idea.is_object()) return "the idea JSON is not an object";
  for (const char* key : {"Name", "Title", "Experiment"}) {
    if (!idea.contains(key)) return fmt::format("the key \"{}\" is missing", key);
    if (!idea[key].is_string() || idea[key].get<std::string>().empty()) {
      return fmt::format("\"{}\" must be a non-empty string", key);
    }
  }
  for (const char* key : {"Interestingness", "Feasibility", "Novelty"}) {
    if (!idea.contains(key)) return fmt::format("the key \"{}\" is missing", key);
    const json& v = idea[key];
    if (!v.is_number_integer() || v.get<long long>() < 1 || v.get<long long>() > 10) {
      return fmt::format("\"{}\" must be an integer from 1 to 10, not {}", key, core::dump_json(v));
    }
  }
  const std::string name = idea["Name"].get<std::string>();
  if (!std::all_of(name.begin(), name.end(), [](unsigned char c) {
        return std::islower(c) || std::isdigit(c) || c == '_';
      })) {
    return fmt::format(
        "\"Name\" must use lowercase letters, digits and underscores only, not "
        "\"{}\"",
        name);
  }
  if (std::find(taken.begin(), taken.end(), name) != taken.end()) {
    return fmt::format("the Name \"{}\" is already taken by another idea; choose another", name);
  }
  return "";
}

core::Result<GenerateResult> generate_ideas(core::LlmClient& llm, const TemplateText& tmpl,
                                            const GenerateOptions& options,
                                            const Progress& progress, GenerateResult* partial) {
  GenerateResult result;
  if (options.include_seeds) result.ideas = tmpl.seed_ideas;
  auto say = [&](std::string line) {
    if (progress) progress(line);
  };
  auto shown_ideas = [&] {
    json all = tmpl.seed_ideas.is_array() ? tmpl.seed_ideas : json::array();
    for (const auto& idea : result.ideas) {
      if (std::find(all.begin(), all.end(), idea) == all.end()) all.push_back(idea);
    }
    return all;
  };
  auto taken_names = [&] {
    std::vector<std::string> names;
    for (const auto& idea : shown_ideas()) {
      if (idea.is_object() && idea.contains("Name") && idea["Name"].is_string()) {
        names.push_back(idea["Name"].get<std::string>());
      }
    }
    return names;
  };
  auto stop = [&](core::Error e) -> core::Result<GenerateResult> {
    if (partial) *partial = result;
    return std::unexpected(std::move(e));
  };

  for (int attempt = 1; attempt <= options.num_ideas; ++attempt) {
    say(fmt::format("idea {}/{}", attempt, options.num_ideas));
    core::CompletionRequest request;
    request.system = tmpl.system;
    request.temperature = options.temperature;
    request.context = {"ideas", fmt::format("idea-{}", attempt), 0, ""};
    auto first = prompt(options.prompts_dir, "first.txt",
                        {{"task_description", tmpl.task_description},
                         {"code", tmpl.code},
                         {"previous_ideas", core::dump_json(shown_ideas(), 2)},
                         {"num_reflections", std::to_string(options.num_reflections)}});
    if (!first) return stop(first.error());
    request.messages.push_back({core::Role::user, *first});

    std::optional<json> idea;
    std::string failure;
    bool repaired = false;
    for (int round = 1; round <= options.num_reflections;) {
      auto reply = llm.complete(request);
      ++request.context.turn;
      if (!reply) {
        if (fatal(reply.error().code)) return stop(reply.error());
        failure = reply.error().message;
        break;
      }
      const std::string& text = reply->text();
      request.messages.push_back({core::Role::assistant, text});
      auto parsed = llm::extract_json(text);
      std::vector<std::string> taken = taken_names();
      std::string problem = parsed ? validate_idea(*parsed, taken) : parsed.error().message;
      if (!problem.empty()) {
        if (repaired) {
          failure = problem;
          break;
        }
        // One repair request per attempt, quoting what was wrong.
        repaired = true;
        auto repair = prompt(options.prompts_dir, "repair.txt", {{"problem", problem}});
        if (!repair) return stop(repair.error());
        request.messages.push_back({core::Role::user, *repair});
        continue;
      }
      idea = *parsed;
      if (text.find("I am done") != std::string::npos || round == options.num_reflections) break;
      ++round;
      auto reflect = prompt(options.prompts_dir, "reflection.txt",
                            {{"round", std::to_string(round)},
                             {"num_reflections", std::to_string(options.num_reflections)}});
      if (!reflect) return stop(reflect.error());
      request.messages.push_back({core::Role::user, *reflect});
    }
    if (idea) {
      result.ideas.push_back(*idea);
      ++result.generated;
      say(fmt::format("idea {}: {}", attempt, (*idea)["Name"].get<std::string>()));
    } else {
      result.failures.push_back(fmt::format("attempt {} failed: {}", attempt, failure));
      say(result.failures.back());
    }
  }
  return result;
}

}  // namespace ideas
