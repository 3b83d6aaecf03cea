#include "ideas/generate.h"

#include <gtest/gtest.h>

#include "support/scripted_llm_client.h"
#include "support/temp_dir.h"

namespace {

using nlohmann::json;
using test_support::ScriptedLlmClient;

json idea_json(const std::string& name, int novelty = 6) {
  return {{"Name", name},
          {"Title", "A study of " + name},
          {"Experiment", "Change the learning rate schedule."},
          {"Interestingness", 7},
          {"Feasibility", 8},
          {"Novelty", novelty}};
}

std::string reply(const std::string& name, const std::string& thought = "It matters.",
                  int novelty = 6) {
  return "THOUGHT:\n" + thought + "\n\nNEW IDEA JSON:\n```json\n" +
         idea_json(name, novelty).dump(2) + "\n```\n";
}

ideas::TemplateText tmpl() {
  ideas::TemplateText t;
  t.system = "You are an ambitious AI researcher.";
  t.task_description = "Study grokking.";
  t.code = "print('train')\n";
  t.seed_ideas = json::array({idea_json("seed_idea", 5)});
  return t;
}

const std::string& last_user(const ScriptedLlmClient& llm, std::size_t call) {
  return llm.requests().at(call).messages.back().content;
}

TEST(ValidateIdea, NamesTheProblem) {
  EXPECT_EQ(ideas::validate_idea(idea_json("fine_name_2"), {}), "");
  EXPECT_NE(ideas::validate_idea(idea_json("Bad Name"), {}).find("lowercase"), std::string::npos);
  EXPECT_NE(ideas::validate_idea(idea_json("taken"), {"taken"}).find("already taken"),
            std::string::npos);
  auto out_of_range = idea_json("x");
  out_of_range["Novelty"] = 11;
  EXPECT_NE(ideas::validate_idea(out_of_range, {})
                .find("\"Novelty\" must be an integer from 1 "
                      "to 10, not 11"),
            std::string::npos);
  auto missing = idea_json("x");
  missing.erase("Experiment");
  EXPECT_NE(ideas::validate_idea(missing, {}).find("\"Experiment\" is missing"), std::string::npos);
  auto as_text = idea_json("x");
  as_text["Feasibility"] = "8";
  EXPECT_FALSE(ideas::validate_idea(as_text, {}).empty());
}

TEST(GenerateIdeas, ReflectsUntilTheModelIsDoneAndKeepsSeedsOut) {
  ScriptedLlmClient llm;
  llm.push_text(reply("warmup_study"));
  llm.push_text(reply("warmup_study_v2", "Sharper now."));
  llm.push_text(reply("warmup_study_v2", "Nothing to improve. I am done"));
  ideas::GenerateOptions options;
  options.num_ideas = 1;
  options.num_reflections = 5;
  auto result = ideas::generate_ideas(llm, tmpl(), options);
  ASSERT_TRUE(result) << result.error().message;
  ASSERT_EQ(result->ideas.size(), 1u);
  EXPECT_EQ(result->ideas[0]["Name"], "warmup_study_v2");
  EXPECT_EQ(llm.calls(), 3);
  // The first prompt shows the task, the code and the seed ideas; reflections say their round.
  EXPECT_NE(last_user(llm, 0).find("Study grokking."), std::string::npos);
  EXPECT_NE(last_user(llm, 0).find("seed_idea"), std::string::npos);
  EXPECT_NE(last_user(llm, 1).find("Round 2/5"), std::string::npos);
  EXPECT_EQ(llm.requests().at(0).context.stage, "ideas");
  EXPECT_EQ(llm.requests().at(2).context.turn, 2);
}

TEST(GenerateIdeas, AnInvalidReplyGetsOneRepairRequest) {
  ScriptedLlmClient llm;
  llm.push_text(
      "THOUGHT: great idea\nNEW IDEA JSON:\n```json\n{\"Name\": \"x\", \"Title\": }\n```");
  llm.push_text(reply("repaired_idea", "Fixed. I am done"));
  ideas::GenerateOptions options;
  options.num_ideas = 1;
  auto result = ideas::generate_ideas(llm, tmpl(), options);
  ASSERT_TRUE(result) << result.error().message;
  ASSERT_EQ(result->ideas.size(), 1u);
  EXPECT_EQ(result->ideas[0]["Name"], "repaired_idea");
  EXPECT_NE(last_user(llm, 1).find("could not be used"), std::string::npos);
  EXPECT_NE(last_user(llm, 1).find("not valid JSON"), std::string::npos) << last_user(llm, 1);
}

TEST(GenerateIdeas, AnAttemptThatStaysInvalidIsReportedNotDropped) {
  ScriptedLlmClient llm;
  llm.push_text(reply("seed_idea"));  // a seed's name: taken
  llm.push_text(reply("seed_idea"));
  llm.push_text(reply("second_try", "Good. I am done"));
  ideas::GenerateOptions options;
  options.num_ideas = 2;
  auto result = ideas::generate_ideas(llm, tmpl(), options);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->generated, 1);
  ASSERT_EQ(result->failures.size(), 1u);
  EXPECT_NE(result->failures[0].find("attempt 1 failed"), std::string::npos);
  EXPECT_NE(result->failures[0].find("already taken"), std::string::npos);
  EXPECT_EQ(result->ideas.size(), 1u);
}

TEST(GenerateIdeas, SeedsAreIncludedWhenAskedAndNamesStayUnique) {
  ScriptedLlmClient llm;
  llm.push_text(reply("first_new", "I am done"));
  llm.push_text(reply("first_new", "I am done"));  // repeats the first attempt's name
  llm.push_text(reply("second_new", "I am done"));
  ideas::GenerateOptions options;
  options.num_ideas = 2;
  options.include_seeds = true;
  auto result = ideas::generate_ideas(llm, tmpl(), options);
  ASSERT_TRUE(result) << result.error().message;
  ASSERT_EQ(result->ideas.size(), 3u);
  EXPECT_EQ(result->ideas[0]["Name"], "seed_idea");
  EXPECT_EQ(result->ideas[2]["Name"], "second_new");
  // The second conversation was shown the first idea.
  EXPECT_NE(last_user(llm, 1).find("first_new"), std::string::npos);
}

TEST(GenerateIdeas, AnErrorNoAttemptCanFixStopsWithTheIdeasSoFar) {
  ScriptedLlmClient llm;
  llm.push_text(reply("kept_idea", "I am done"));
  llm.push_error(core::ErrorCode::budget_exceeded, "the budget of $1.00 is spent");
  ideas::GenerateOptions options;
  options.num_ideas = 3;
  ideas::GenerateResult partial;
  auto result = ideas::generate_ideas(llm, tmpl(), options, {}, &partial);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, core::ErrorCode::budget_exceeded);
  ASSERT_EQ(partial.ideas.size(), 1u);
  EXPECT_EQ(partial.ideas[0]["Name"], "kept_idea");
}

}  // namespace

namespace {

TEST(GenerateIdeas, PromptsCanBeReplacedFromAFolder) {
  test_support::TempDir dir;
  dir.write_file("prompts/ideas/first.txt", "CUSTOM PROMPT for {task_description}");
  ScriptedLlmClient llm;
  llm.push_text(reply("custom_idea", "I am done"));
  ideas::GenerateOptions options;
  options.num_ideas = 1;
  options.prompts_dir = dir.path();
  auto result = ideas::generate_ideas(llm, tmpl(), options);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(last_user(llm, 0), "CUSTOM PROMPT for Study grokking.");
}

}  // namespace
