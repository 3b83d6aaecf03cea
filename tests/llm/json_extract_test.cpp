#include "llm/json_extract.h"

#include <string>

#include <gtest/gtest.h>

namespace {

using core::ErrorCode;
using llm::extract_json;
using nlohmann::json;

json extract_ok(std::string_view text) {
  auto j = extract_json(text);
  EXPECT_TRUE(j.has_value()) << (j ? "" : j.error().describe());
  return j.value_or(json());
}

TEST(ExtractJson, PlainObject) {
  EXPECT_EQ(extract_ok(R"({"a": 1, "b": "two"})"), json({{"a", 1}, {"b", "two"}}));
}

TEST(ExtractJson, FencedJsonBlock) {
  std::string text =
      "Here are my thoughts.\n\n```json\n{\"Name\": \"idea\", \"Score\": 7}\n```\n\nThat is all.";
  EXPECT_EQ(extract_ok(text), json({{"Name", "idea"}, {"Score", 7}}));
}

TEST(ExtractJson, FencedBlockWinsOverEarlierBraces) {
  std::string text = "A set {x, y} first.\n```json\n{\"ok\": true}\n```";
  EXPECT_EQ(extract_ok(text), json({{"ok", true}}));
}

TEST(ExtractJson, SkipsFencesInOtherLanguages) {
  std::string text =
      "```python\nd = {'not': 'json'}\n```\nthen\n```json\n{\"real\": [1, 2]}\n```\n";
  EXPECT_EQ(extract_ok(text), json({{"real", {1, 2}}}));
}

TEST(ExtractJson, UnclosedFenceRunsToTheEnd) {
  std::string text = "```json\n{\"cut\": \"off\"}\n";
  EXPECT_EQ(extract_ok(text), json({{"cut", "off"}}));
}

TEST(ExtractJson, FenceWithCrLf) {
  std::string text = "```json\r\n{\"a\": 1}\r\n```\r\n";
  EXPECT_EQ(extract_ok(text), json({{"a", 1}}));
}

TEST(ExtractJson, BrokenFencedBlockIsAParseErrorNotAFallback) {
  std::string text = "{\"outside\": 1}\n```json\n{\"inside\": }\n```";
  auto j = extract_json(text);
  ASSERT_FALSE(j);
  EXPECT_EQ(j.error().code, ErrorCode::parse);
  EXPECT_NE(j.error().message.find("```json"), std::string::npos) << j.error().message;
}

TEST(ExtractJson, NestedObjectsAreKeptWhole) {
  std::string text = R"(THOUGHT: fine. {"outer": {"inner": {"deep": [1, {"x": 2}]}}, "n": 3})";
  json expected = {{"outer", {{"inner", {{"deep", {1, {{"x", 2}}}}}}}}, {"n", 3}};
  EXPECT_EQ(extract_ok(text), expected);
}

TEST(ExtractJson, BracesAndEscapedQuotesInsideStrings) {
  std::string text =
      R"(Result: {"code": "if (x) { y(); }", "quote": "she said \"}\" loudly", "bs": "a\\"} done)";
  json expected = {{"code", "if (x) { y(); }"}, {"quote", "she said \"}\" loudly"}, {"bs", "a\\"}};
  EXPECT_EQ(extract_ok(text), expected);
}

TEST(ExtractJson, TrailingProseIsIgnored) {
  std::string text = "Sure!\n{\"a\": [1, 2, 3]}\nLet me know if you need anything {else}.";
  EXPECT_EQ(extract_ok(text), json({{"a", {1, 2, 3}}}));
}

TEST(ExtractJson, FirstCandidateInvalidButLaterValid) {
  std::string text = "The set {a, b} is small. The answer: {\"answer\": 42}";
  EXPECT_EQ(extract_ok(text), json({{"answer", 42}}));
}

TEST(ExtractJson, BrokenJsonQuotesTheTextNearTheFailure) {
  std::string text = "Here: {\"title\": \"A study\", \"score\": , \"more\": 1}";
  auto j = extract_json(text);
  ASSERT_FALSE(j);
  EXPECT_EQ(j.error().code, ErrorCode::parse);
  EXPECT_NE(j.error().message.find("\"score\": ,"), std::string::npos) << j.error().message;
}

TEST(ExtractJson, ErrorQuotesShowNewlinesEscaped) {
  std::string text = "{\n  \"a\": 1,\n  \"b\": oops\n}";
  auto j = extract_json(text);
  ASSERT_FALSE(j);
  EXPECT_EQ(j.error().code, ErrorCode::parse);
  EXPECT_NE(j.error().message.find("oops"), std::string::npos) << j.error().message;
  EXPECT_NE(j.error().message.find("\\n"), std::string::npos) << j.error().message;
}

TEST(ExtractJson, UnclosedObject) {
  std::string text = "Answer: {\"a\": {\"b\": 1}, \"c\": \"never ends";
  auto j = extract_json(text);
  ASSERT_FALSE(j);
  EXPECT_EQ(j.error().code, ErrorCode::parse);
  EXPECT_NE(j.error().message.find("never closed"), std::string::npos) << j.error().message;
  EXPECT_NE(j.error().message.find("never ends"), std::string::npos) << j.error().message;
}

TEST(ExtractJson, NoJsonAtAll) {
  auto j = extract_json("I could not come up with anything.");
  ASSERT_FALSE(j);
  EXPECT_EQ(j.error().code, ErrorCode::parse);
  EXPECT_NE(j.error().message.find("no JSON object"), std::string::npos) << j.error().message;
  EXPECT_NE(j.error().message.find("I could not come up"), std::string::npos) << j.error().message;
}

TEST(ExtractJson, EmptyText) {
  auto j = extract_json("");
  ASSERT_FALSE(j);
  EXPECT_EQ(j.error().code, ErrorCode::parse);
}

TEST(ExtractJson, LongTextIsQuotedShortened) {
  std::string text = "{\"k\": " + std::string(500, 'x') + "}";
  auto j = extract_json(text);
  ASSERT_FALSE(j);
  EXPECT_EQ(j.error().code, ErrorCode::parse);
  EXPECT_LT(j.error().message.size(), 400u) << j.error().message;
  EXPECT_NE(j.error().message.find("..."), std::string::npos) << j.error().message;
}

}  // namespace

TEST(ExtractJson, AnObjectNestedInABrokenOneIsNotTakenForTheAnswer) {
  auto j = llm::extract_json(R"(Result: {"a": {"b": 1}, oops} and then {"c": 2})");
  ASSERT_TRUE(j) << j.error().message;
  EXPECT_EQ(*j, nlohmann::json({{"c", 2}}));
  auto broken = llm::extract_json(R"(Result: {"a": {"b": 1}, oops})");
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().message.find("oops"), std::string::npos) << broken.error().message;
}
