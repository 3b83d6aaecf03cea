#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"

// The review form: a NeurIPS-style review as one JSON object, the format AI Scientist's reviewer
// writes to review.txt. Its keys, all required:
//   "Summary"          string, not empty
//   "Strengths", "Weaknesses", "Questions", "Limitations"
//                      lists of strings (may be empty)
//   "Originality", "Quality", "Clarity", "Significance",
//   "Soundness", "Presentation", "Contribution"
//                      integers from 1 to 4
//   "Overall"          integer from 1 to 10
//   "Confidence"       integer from 1 to 5
//   "Ethical Concerns" boolean
//   "Decision"         "Accept" or "Reject"
//
// Models write numbers and words loosely, so checking normalises what has one obvious meaning
// and rejects the rest:
//   - a score may be a whole number written as a float (3.0) or as a string of digits ("3",
//     " 3 "); it becomes the integer. 3.5, "3/4", "three" are problems.
//   - a list field given as one non-empty string becomes a list of that one string; list items
//     must be strings.
//   - "Ethical Concerns" may be the string "true" or "false" (any case).
//   - "Decision" is matched without regard to case or surrounding spaces ("accept" -> "Accept").
// Keys outside the form are not problems: they are dropped from the normalised review, so a
// normalised review holds exactly the form's keys.
namespace review {

// One integer score of the form and its range.
struct ScoreField {
  std::string_view key;
  int min;
  int max;
};

// The form's integer scores, in the form's order.
std::span<const ScoreField> score_fields();

// Every key of the form, in the order the form lists them.
std::span<const std::string_view> form_keys();

// What is wrong with `review` as a filled-in form, one sentence per problem naming the key
// ("\"Overall\" must be an integer from 1 to 10, not 11"), in form order; empty when the review
// is valid after the normalisations above. Never throws.
std::vector<std::string> validate_review(const nlohmann::json& review);

// `review` normalised as described above, or a `parse` error whose message lists every problem
// validate_review finds.
core::Result<nlohmann::json> normalize_review(const nlohmann::json& review);

// The review in a model's reply: the JSON that llm::extract_json finds (a ```json block, else the
// first balanced object), then normalize_review. Fails with `parse`: the reply holds no usable
// JSON, or the form has problems (all of them listed in the message).
core::Result<nlohmann::json> parse_review(std::string_view reply);

}  // namespace review
