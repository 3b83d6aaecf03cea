#include "review/form.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>

#include <fmt/format.h>

#include "core/json.h"
#include "llm/json_extract.h"

namespace review {
namespace {

using nlohmann::json;

constexpr std::array<ScoreField, 9> k_scores = {{{"Originality", 1, 4},
                                                 {"Quality", 1, 4},
                                                 {"Clarity", 1, 4},
                                                 {"Significance", 1, 4},
                                                 {"Soundness", 1, 4},
                                                 {"Presentation", 1, 4},
                                                 {"Contribution", 1, 4},
                                                 {"Overall", 1, 10},
                                                 {"Confidence", 1, 5}}};

constexpr std::array<std::string_view, 16> k_keys = {
    "Summary",      "Strengths", "Weaknesses",  "Originality",      "Quality",   "Clarity",
    "Significance", "Questions", "Limitations", "Ethical Concerns", "Soundness", "Presentation",
    "Contribution", "Overall",   "Confidence",  "Decision"};

constexpr std::array<std::string_view, 4> k_lists = {"Strengths", "Weaknesses", "Questions",
                                                     "Limitations"};

// A value as the model wrote it, shortened for a message.
std::string shown(const json& value) {
  std::string text = core::dump_json(value);
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

std::string trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return std::string(s);
}

std::string lower(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The integer a score denotes (see the header for what is accepted), or nullopt.
std::optional<long long> as_integer(const json& value) {
  if (value.is_number_integer()) return value.get<long long>();
  if (value.is_number_float()) {
    const double d = value.get<double>();
    // Beyond this magnitude a double is no longer an exact integer worth reading as a score.
    if (d == static_cast<double>(static_cast<long long>(d)) && d > -1e9 && d < 1e9) {
      return static_cast<long long>(d);
    }
    return std::nullopt;
  }
  if (value.is_string()) {
    const std::string s = trimmed(value.get<std::string>());
    if (s.empty() || s.size() > 9) return std::nullopt;
    for (char c : s) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    }
    return std::stoll(s);
  }
  return std::nullopt;
}

// Checks `review` against the form; when `out` is given, writes the normalised review there
// (meaningful only when no problem was found).
std::vector<std::string> check(const json& review, json* out) {
  std::vector<std::string> problems;
  if (!review.is_object()) {
    problems.push_back(fmt::format("the review must be one JSON object, not {}", shown(review)));
    return problems;
  }
  json normal = json::object();
  for (std::string_view key_view : k_keys) {
    const std::string key(key_view);
    if (!review.contains(key)) {
      problems.push_back(fmt::format("the key \"{}\" is missing", key));
      continue;
    }
    const json& value = review[key];

    if (key == "Summary") {
      if (!value.is_string() || trimmed(value.get<std::string>()).empty()) {
        problems.push_back(
            fmt::format("\"Summary\" must be a non-empty string, not {}", shown(value)));
      } else {
        normal[key] = value;
      }
      continue;
    }

    if (std::find(k_lists.begin(), k_lists.end(), key_view) != k_lists.end()) {
      if (value.is_string() && !trimmed(value.get<std::string>()).empty()) {
        normal[key] = json::array({value});
      } else if (!value.is_array()) {
        problems.push_back(
            fmt::format("\"{}\" must be a list of strings, not {}", key, shown(value)));
      } else {
        bool all_strings = true;
        for (std::size_t i = 0; i < value.size() && all_strings; ++i) {
          if (!value[i].is_string()) {
            problems.push_back(fmt::format("\"{}\" must be a list of strings, but item {} is {}",
                                           key, i + 1, shown(value[i])));
            all_strings = false;
          }
        }
        if (all_strings) normal[key] = value;
      }
      continue;
    }

    if (key == "Ethical Concerns") {
      if (value.is_boolean()) {
        normal[key] = value;
      } else if (value.is_string() && (lower(trimmed(value.get<std::string>())) == "true" ||
                                       lower(trimmed(value.get<std::string>())) == "false")) {
        normal[key] = lower(trimmed(value.get<std::string>())) == "true";
      } else {
        problems.push_back(fmt::format(
            "\"Ethical Concerns\" must be true or false (a JSON boolean), not {}", shown(value)));
      }
      continue;
    }

    if (key == "Decision") {
      const std::string word = value.is_string() ? lower(trimmed(value.get<std::string>())) : "";
      if (word == "accept" || word == "reject") {
        normal[key] = word == "accept" ? "Accept" : "Reject";
      } else {
        problems.push_back(
            fmt::format("\"Decision\" must be \"Accept\" or \"Reject\", not {}", shown(value)));
      }
      continue;
    }

    // The rest are scores.
    const ScoreField* field = nullptr;
    for (const auto& f : k_scores) {
      if (f.key == key_view) field = &f;
    }
    const std::optional<long long> n = as_integer(value);
    if (!n || *n < field->min || *n > field->max) {
      problems.push_back(fmt::format("\"{}\" must be an integer from {} to {}, not {}", key,
                                     field->min, field->max, shown(value)));
    } else {
      normal[key] = *n;
    }
  }
  if (out) *out = std::move(normal);
  return problems;
}

}  // namespace

std::span<const ScoreField> score_fields() {
  return k_scores;
}

std::span<const std::string_view> form_keys() {
  return k_keys;
}

std::vector<std::string> validate_review(const json& review) {
  return check(review, nullptr);
}

core::Result<json> normalize_review(const json& review) {
  json normal;
  std::vector<std::string> problems = check(review, &normal);
  if (!problems.empty()) {
    std::string joined;
    for (const auto& p : problems)
      joined += (joined.empty() ? "" : "; ") + p;
    return core::fail(core::ErrorCode::parse, fmt::format("the review form has {} problem(s): {}",
                                                          problems.size(), joined));
  }
  return normal;
}

core::Result<json> parse_review(std::string_view reply) {
  json found = TRY(llm::extract_json(reply));
  return normalize_review(found);
}

}  // namespace review
