#include "review/form.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace {

using nlohmann::json;

json valid_review() {
  return {{"Summary", "The paper studies weight decay in grokking."},
          {"Strengths", {"Clear question."}},
          {"Weaknesses", {"One dataset only.", "No error bars."}},
          {"Originality", 2},
          {"Quality", 2},
          {"Clarity", 3},
          {"Significance", 2},
          {"Questions", {"How sensitive is the result to the seed?"}},
          {"Limitations", json::array()},
          {"Ethical Concerns", false},
          {"Soundness", 2},
          {"Presentation", 3},
          {"Contribution", 2},
          {"Overall", 4},
          {"Confidence", 4},
          {"Decision", "Reject"}};
}

bool mentions(const std::vector<std::string>& problems, const std::string& text) {
  return std::any_of(problems.begin(), problems.end(),
                     [&](const std::string& p) { return p.find(text) != std::string::npos; });
}

std::string all(const std::vector<std::string>& problems) {
  std::string out;
  for (const auto& p : problems)
    out += p + "\n";
  return out;
}

TEST(ReviewForm, AValidReviewHasNoProblems) {
  EXPECT_TRUE(review::validate_review(valid_review()).empty())
      << all(review::validate_review(valid_review()));
  EXPECT_EQ(review::form_keys().size(), 16u);
  EXPECT_EQ(review::score_fields().size(), 9u);
}

TEST(ReviewForm, EveryMissingKeyIsNamed) {
  for (std::string_view key_view : review::form_keys()) {
    const std::string key(key_view);
    json r = valid_review();
    r.erase(key);
    auto problems = review::validate_review(r);
    ASSERT_EQ(problems.size(), 1u) << key << ": " << all(problems);
    EXPECT_EQ(problems[0], "the key \"" + key + "\" is missing");
  }
  // All of them at once, in form order.
  auto problems = review::validate_review(json::object());
  ASSERT_EQ(problems.size(), 16u);
  EXPECT_EQ(problems.front(), "the key \"Summary\" is missing");
  EXPECT_EQ(problems.back(), "the key \"Decision\" is missing");
}

TEST(ReviewForm, EveryScoreIsCheckedAgainstItsOwnRange) {
  for (const auto& field : review::score_fields()) {
    const std::string key(field.key);
    for (int v : {field.min, field.max}) {
      json r = valid_review();
      r[key] = v;
      EXPECT_TRUE(review::validate_review(r).empty()) << key << "=" << v;
    }
    for (int v : {field.min - 1, field.max + 1}) {
      json r = valid_review();
      r[key] = v;
      auto problems = review::validate_review(r);
      ASSERT_EQ(problems.size(), 1u) << key << "=" << v;
      EXPECT_EQ(problems[0], "\"" + key + "\" must be an integer from " +
                                 std::to_string(field.min) + " to " + std::to_string(field.max) +
                                 ", not " + std::to_string(v));
    }
  }
  // The ranges themselves, as the form defines them.
  json r = valid_review();
  r["Overall"] = 10;
  r["Confidence"] = 5;
  r["Originality"] = 4;
  EXPECT_TRUE(review::validate_review(r).empty());
  r["Confidence"] = 6;
  r["Clarity"] = 5;
  auto problems = review::validate_review(r);
  EXPECT_TRUE(mentions(problems, "\"Confidence\" must be an integer from 1 to 5"));
  EXPECT_TRUE(mentions(problems, "\"Clarity\" must be an integer from 1 to 4"));
}

TEST(ReviewForm, ScoresWrittenAsWholeFloatsOrDigitsAreNormalised) {
  json r = valid_review();
  r["Overall"] = 6.0;
  r["Quality"] = " 3 ";
  r["Confidence"] = "5";
  EXPECT_TRUE(review::validate_review(r).empty()) << all(review::validate_review(r));
  auto normal = review::normalize_review(r);
  ASSERT_TRUE(normal) << normal.error().message;
  EXPECT_TRUE((*normal)["Overall"].is_number_integer());
  EXPECT_EQ((*normal)["Overall"], 6);
  EXPECT_EQ((*normal)["Quality"], 3);
  EXPECT_EQ((*normal)["Confidence"], 5);
}

TEST(ReviewForm, ScoresOfTheWrongKindAreProblems) {
  for (const json& bad : {json(3.5), json("3/4"), json("three"), json(""), json(true),
                          json(nullptr), json::array({3}), json("-2"), json("11")}) {
    json r = valid_review();
    r["Overall"] = bad;
    auto problems = review::validate_review(r);
    ASSERT_EQ(problems.size(), 1u) << bad.dump();
    EXPECT_NE(problems[0].find("\"Overall\" must be an integer from 1 to 10, not "),
              std::string::npos)
        << problems[0];
  }
}

TEST(ReviewForm, TextListsBooleanAndDecisionHaveTheirTypes) {
  json r = valid_review();
  r["Summary"] = "  ";
  r["Strengths"] = 3;
  r["Weaknesses"] = {"fine", 7};
  r["Questions"] = json::object();
  r["Limitations"] = "";
  r["Ethical Concerns"] = "maybe";
  r["Decision"] = "Weak accept";
  auto problems = review::validate_review(r);
  EXPECT_EQ(problems.size(), 7u) << all(problems);
  EXPECT_TRUE(mentions(problems, "\"Summary\" must be a non-empty string"));
  EXPECT_TRUE(mentions(problems, "\"Strengths\" must be a list of strings, not 3"));
  EXPECT_TRUE(mentions(problems, "\"Weaknesses\" must be a list of strings, but item 2 is 7"));
  EXPECT_TRUE(mentions(problems, "\"Questions\" must be a list of strings"));
  EXPECT_TRUE(mentions(problems, "\"Limitations\" must be a list of strings"));
  EXPECT_TRUE(mentions(problems, "\"Ethical Concerns\" must be true or false"));
  EXPECT_TRUE(mentions(problems, "\"Decision\" must be \"Accept\" or \"Reject\", not \"Weak"));

  auto not_object = review::validate_review(json::array({valid_review()}));
  ASSERT_EQ(not_object.size(), 1u);
  EXPECT_NE(not_object[0].find("one JSON object"), std::string::npos);
}

TEST(ReviewForm, LooseWordsWithOneMeaningAreNormalisedAndExtraKeysDropped) {
  json r = valid_review();
  r["Decision"] = " accept ";
  r["Ethical Concerns"] = "TRUE";
  r["Strengths"] = "Only one strength, as a string.";
  r["Thoughts"] = "an extra key the form does not have";
  auto normal = review::normalize_review(r);
  ASSERT_TRUE(normal) << normal.error().message;
  EXPECT_EQ((*normal)["Decision"], "Accept");
  EXPECT_EQ((*normal)["Ethical Concerns"], true);
  EXPECT_EQ((*normal)["Strengths"], json::array({"Only one strength, as a string."}));
  EXPECT_FALSE(normal->contains("Thoughts"));
  EXPECT_EQ(normal->size(), 16u);
}

TEST(ReviewForm, NormalizeListsEveryProblemInItsError) {
  json r = valid_review();
  r["Overall"] = 0;
  r.erase("Decision");
  auto normal = review::normalize_review(r);
  ASSERT_FALSE(normal);
  EXPECT_EQ(normal.error().code, core::ErrorCode::parse);
  EXPECT_NE(normal.error().message.find("2 problem(s)"), std::string::npos);
  EXPECT_NE(normal.error().message.find("\"Overall\" must be an integer from 1 to 10, not 0"),
            std::string::npos);
  EXPECT_NE(normal.error().message.find("\"Decision\" is missing"), std::string::npos);
}

TEST(ParseReview, TakesTheJsonBlockOfAReply) {
  const std::string reply = "THOUGHT:\nThe paper is thin.\n\nREVIEW JSON:\n```json\n" +
                            valid_review().dump(2) + "\n```\n";
  auto parsed = review::parse_review(reply);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ((*parsed)["Overall"], 4);
  EXPECT_EQ((*parsed)["Decision"], "Reject");
}

TEST(ParseReview, SaysWhyAReplyIsUnusable) {
  auto none = review::parse_review("I think the paper should be rejected.");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, core::ErrorCode::parse);

  json r = valid_review();
  r["Soundness"] = 9;
  auto bad = review::parse_review("```json\n" + r.dump() + "\n```");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("\"Soundness\" must be an integer from 1 to 4, not 9"),
            std::string::npos)
      << bad.error().message;
}

}  // namespace
