#include "review/reviewer.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>

#include "review/form.h"
#include "support/scripted_llm_client.h"
#include "support/temp_dir.h"

namespace {

using nlohmann::json;
using test_support::ScriptedLlmClient;

// Answers each conversation from its own queue, so an ensemble's concurrent reviewers get
// their scripted replies whatever order the threads run in. Thread-safe; records every request.
class ConversationScript final : public core::LlmClient {
 public:
  void push(const std::string& conversation, core::Result<core::Completion> reply) {
    std::lock_guard lock(m_mutex);
    m_script[conversation].push_back(std::move(reply));
  }
  void push_text(const std::string& conversation, std::string text,
                 std::optional<double> cost_usd = std::nullopt, core::Usage usage = {}) {
    core::Completion c;
    c.texts = {std::move(text)};
    c.cost_usd = cost_usd;
    c.usage = usage;
    push(conversation, c);
  }
  void push_error(const std::string& conversation, core::ErrorCode code, std::string message) {
    push(conversation, std::unexpected(core::Error(code, std::move(message))));
  }
  core::Result<core::Completion> complete(const core::CompletionRequest& request) override {
    std::lock_guard lock(m_mutex);
    m_requests[request.context.conversation].push_back(request);
    auto& queue = m_script[request.context.conversation];
    if (queue.empty()) {
      return core::fail(core::ErrorCode::internal,
                        "script exhausted for " + request.context.conversation);
    }
    auto reply = std::move(queue.front());
    queue.pop_front();
    return reply;
  }
  std::string spec() const override { return "fake/conversations"; }
  std::vector<core::CompletionRequest> requests(const std::string& conversation) {
    std::lock_guard lock(m_mutex);
    return m_requests[conversation];
  }

 private:
  std::mutex m_mutex;
  std::map<std::string, std::deque<core::Result<core::Completion>>> m_script;
  std::map<std::string, std::vector<core::CompletionRequest>> m_requests;
};

json a_review(int overall, const std::string& decision, int soundness = 2) {
  return {{"Summary", "The paper studies weight decay in grokking."},
          {"Strengths", {"A clear question."}},
          {"Weaknesses", {"One dataset only."}},
          {"Originality", 2},
          {"Quality", 2},
          {"Clarity", 3},
          {"Significance", 2},
          {"Questions", {"Does it hold for other seeds?"}},
          {"Limitations", {"Small models only."}},
          {"Ethical Concerns", false},
          {"Soundness", soundness},
          {"Presentation", 3},
          {"Contribution", 2},
          {"Overall", overall},
          {"Confidence", 4},
          {"Decision", decision}};
}

std::string reply(const json& review, const std::string& thought = "The evidence is thin.") {
  return "THOUGHT:\n" + thought + "\n\nREVIEW JSON:\n```json\n" + review.dump(2) + "\n```\n";
}

const std::string k_paper = "Weight decay and grokking.\nWe train small transformers ...";

review::ReviewOptions single(int rounds = 5) {
  review::ReviewOptions options;
  options.ensemble = 1;
  options.num_reflections = rounds;
  return options;
}

// No "{name}" placeholder of ours may reach the model unfilled (AI Scientist's reflection bug).
void expect_filled(const core::CompletionRequest& request) {
  std::string all = request.system;
  for (const auto& m : request.messages)
    all += m.content;
  for (const char* placeholder :
       {"{round}", "{num_reflections}", "{problems}", "{form}", "{paper}", "{fewshot}", "{count}",
        "{reviews}", "{examples}", "{index}", "{review}"}) {
    EXPECT_EQ(all.find(placeholder), std::string::npos) << placeholder;
  }
}

TEST(ReviewPaper, ReflectsUntilTheReviewerIsDone) {
  ScriptedLlmClient llm;
  llm.push_text(reply(a_review(3, "Reject")));
  llm.push_text(reply(a_review(4, "Reject"), "Soundness was too harsh."));
  llm.push_text(reply(a_review(4, "Reject"), "Nothing to change. I am done"));
  review::ReviewOptions options = single(5);
  options.temperature = 0.3;
  options.idea = "decay_sweep";
  auto result = review::review_paper(llm, k_paper, options);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->review["Overall"], 4);
  EXPECT_EQ(llm.calls(), 3);
  EXPECT_EQ(result->calls, 3);
  ASSERT_EQ(result->reviewers.size(), 1u);
  EXPECT_EQ(result->reviewers[0].rounds, 3);
  EXPECT_TRUE(result->reviewers[0].said_done);
  EXPECT_FALSE(result->meta_review);
  EXPECT_DOUBLE_EQ(result->mean_scores.at("Overall"), 4.0);

  const auto& first = llm.requests().at(0);
  EXPECT_NE(first.system.find("critical"), std::string::npos);
  EXPECT_NE(first.messages.back().content.find(k_paper), std::string::npos);
  EXPECT_NE(first.messages.back().content.find("\"Overall\", from 1 to 10"), std::string::npos);
  EXPECT_NE(first.messages.back().content.find("5 round(s)"), std::string::npos);
  EXPECT_EQ(first.temperature, 0.3);
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& request = llm.requests().at(i);
    EXPECT_EQ(request.context.stage, "review");
    EXPECT_EQ(request.context.conversation, "reviewer-1");
    EXPECT_EQ(request.context.turn, static_cast<int>(i));
    EXPECT_EQ(request.context.idea, "decay_sweep");
    expect_filled(request);
  }
  EXPECT_NE(llm.requests().at(1).messages.back().content.find("Round 2/5"), std::string::npos);
  EXPECT_NE(llm.requests().at(2).messages.back().content.find("Round 3/5"), std::string::npos);
}

TEST(ReviewPaper, StopsAfterTheLastRoundWithoutBeingDone) {
  ScriptedLlmClient llm;
  llm.push_text(reply(a_review(3, "Reject")));
  llm.push_text(reply(a_review(5, "Accept")));
  auto result = review::review_paper(llm, k_paper, single(2));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(llm.calls(), 2);
  EXPECT_EQ(result->review["Decision"], "Accept");
  EXPECT_FALSE(result->reviewers[0].said_done);
}

TEST(ReviewPaper, AnInvalidFormGetsARepairRequestNamingEachWrongField) {
  ScriptedLlmClient llm;
  json broken = a_review(11, "Reject");
  broken.erase("Decision");
  broken["Clarity"] = "good";
  llm.push_text(reply(broken));
  llm.push_text(reply(a_review(4, "Reject"), "Fixed. I am done"));
  auto result = review::review_paper(llm, k_paper, single(5));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->review["Overall"], 4);
  ASSERT_EQ(llm.calls(), 2);
  const std::string& repair = llm.requests().at(1).messages.back().content;
  EXPECT_NE(repair.find("\"Overall\" must be an integer from 1 to 10, not 11"), std::string::npos)
      << repair;
  EXPECT_NE(repair.find("\"Clarity\" must be an integer from 1 to 4, not \"good\""),
            std::string::npos);
  EXPECT_NE(repair.find("the key \"Decision\" is missing"), std::string::npos);
  expect_filled(llm.requests().at(1));
  // The repair does not use up a reflection round.
  EXPECT_EQ(result->reviewers[0].rounds, 1);
}

TEST(ReviewPaper, RepairsAreBoundedAndTheFailureNamesTheProblems) {
  ScriptedLlmClient llm;
  llm.push_text("I would reject this paper.");
  llm.push_text(reply(a_review(0, "Reject")));
  llm.push_text(reply(a_review(0, "Reject")));
  review::ReviewOptions options = single(3);
  options.max_repairs = 2;
  auto result = review::review_paper(llm, k_paper, options);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, core::ErrorCode::parse);
  EXPECT_EQ(llm.calls(), 3);
  EXPECT_NE(result.error().message.find("all 1 reviewer(s) failed"), std::string::npos);
  EXPECT_NE(result.error().message.find("after 2 repair request(s)"), std::string::npos);
  EXPECT_NE(result.error().message.find("\"Overall\" must be an integer from 1 to 10, not 0"),
            std::string::npos)
      << result.error().message;
  // The first repair quoted why the prose reply was unusable.
  EXPECT_NE(llm.requests().at(1).messages.back().content.find("JSON"), std::string::npos);
}

TEST(ReviewPaper, AReflectionThatStaysInvalidKeepsTheLastValidReview) {
  ScriptedLlmClient llm;
  llm.push_text(reply(a_review(3, "Reject")));
  llm.push_text(reply(a_review(12, "Reject")));
  llm.push_text(reply(a_review(12, "Reject")));
  review::ReviewOptions options = single(4);
  options.max_repairs = 1;
  auto result = review::review_paper(llm, k_paper, options);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->review["Overall"], 3);
  EXPECT_EQ(llm.calls(), 3);
  EXPECT_EQ(result->reviewers[0].rounds, 1);
  EXPECT_NE(result->reviewers[0].note.find("the review of round 1 is kept"), std::string::npos)
      << result->reviewers[0].note;
}

TEST(ReviewPaper, IAmDoneWithABrokenFormKeepsTheLastValidReview) {
  ScriptedLlmClient llm;
  llm.push_text(reply(a_review(3, "Reject")));
  llm.push_text("Nothing more to change. I am done");
  auto result = review::review_paper(llm, k_paper, single(5));
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(llm.calls(), 2);
  EXPECT_EQ(result->review["Overall"], 3);
  EXPECT_TRUE(result->reviewers[0].said_done);
}

TEST(ReviewPaper, EnsembleAveragesScoresTakesTheMetaDecisionAndExcludesAFailedReviewer) {
  ConversationScript llm;
  core::Usage usage;
  usage.input_tokens = 100;
  usage.output_tokens = 10;
  llm.push_text("reviewer-1", reply(a_review(3, "Reject", 1), "I am done"), 0.01, usage);
  llm.push_text("reviewer-2", reply(a_review(6, "Accept", 4), "I am done"), 0.02, usage);
  for (int i = 0; i < 3; ++i)
    llm.push_text("reviewer-3", "no form here", 0.001, usage);
  json meta = a_review(9, "Accept", 3);
  meta["Summary"] = "The reviewers agree the question is clear.";
  llm.push_text("meta", reply(meta), 0.03, usage);

  review::ReviewOptions options;
  options.ensemble = 3;
  options.num_reflections = 3;
  options.max_repairs = 2;
  std::vector<std::string> lines;
  auto result = review::review_paper(llm, k_paper, options,
                                     [&](std::string_view line) { lines.emplace_back(line); });
  ASSERT_TRUE(result) << result.error().message;

  // Scores are the rounded means of the two valid reviews; text and Decision are the chair's.
  EXPECT_EQ(result->review["Overall"], 5);  // (3 + 6) / 2 = 4.5, rounded half away from zero
  EXPECT_DOUBLE_EQ(result->mean_scores.at("Overall"), 4.5);
  EXPECT_EQ(result->review["Soundness"], 3);  // (1 + 4) / 2 = 2.5
  EXPECT_EQ(result->review["Clarity"], 3);
  EXPECT_EQ(result->review["Decision"], "Accept");
  EXPECT_EQ(result->review["Summary"], "The reviewers agree the question is clear.");
  EXPECT_TRUE(review::validate_review(result->review).empty());
  ASSERT_TRUE(result->meta_review);
  EXPECT_EQ((*result->meta_review)["Overall"], 9);

  ASSERT_EQ(result->reviewers.size(), 3u);
  EXPECT_TRUE(result->reviewers[0].review);
  EXPECT_TRUE(result->reviewers[1].review);
  EXPECT_FALSE(result->reviewers[2].review);
  ASSERT_EQ(result->failures.size(), 1u);
  EXPECT_NE(result->failures[0].find("reviewer 3 failed"), std::string::npos);
  EXPECT_NE(result->failures[0].find("no JSON"), std::string::npos) << result->failures[0];

  // Every call counted: 1 + 1 + 3 reviewers' calls and the meta-review.
  EXPECT_EQ(result->calls, 6);
  EXPECT_NEAR(result->cost_usd, 0.01 + 0.02 + 0.003 + 0.03, 1e-12);
  EXPECT_TRUE(result->cost_complete);
  EXPECT_EQ(result->usage.input_tokens, 600);

  // The chair saw the two valid reviews, not the failed one, and its own prompt.
  auto chair = llm.requests("meta");
  ASSERT_EQ(chair.size(), 1u);
  EXPECT_EQ(chair[0].context.stage, "review");
  EXPECT_EQ(chair[0].context.turn, 0);
  EXPECT_NE(chair[0].system.find("area chair"), std::string::npos);
  EXPECT_NE(chair[0].system.find("2 reviewer(s)"), std::string::npos);
  const std::string& shown = chair[0].messages.back().content;
  EXPECT_NE(shown.find("Review 1/2"), std::string::npos);
  EXPECT_NE(shown.find("Review 2/2"), std::string::npos);
  EXPECT_EQ(shown.find("Review 3/"), std::string::npos);
  expect_filled(chair[0]);
  // Each reviewer is its own conversation, numbered from turn 0.
  for (const char* id : {"reviewer-1", "reviewer-2", "reviewer-3"}) {
    auto requests = llm.requests(id);
    ASSERT_FALSE(requests.empty()) << id;
    EXPECT_EQ(requests[0].context.turn, 0);
    EXPECT_EQ(requests[0].temperature, 0.75);
  }
  EXPECT_EQ(lines.size(), 4u);
}

TEST(ReviewPaper, AFailedMetaReviewFallsBackToTheReviewersMajority) {
  ConversationScript llm;
  llm.push_text("reviewer-1", reply(a_review(3, "Reject"), "I am done"));
  llm.push_text("reviewer-2", reply(a_review(6, "Accept"), "I am done"));
  llm.push_text("reviewer-3", reply(a_review(7, "Accept"), "I am done"));
  llm.push_error("meta", core::ErrorCode::server_error, "HTTP 503 after 6 attempts");
  review::ReviewOptions options;
  options.ensemble = 3;
  auto result = review::review_paper(llm, k_paper, options);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_FALSE(result->meta_review);
  EXPECT_EQ(result->review["Decision"], "Accept");
  EXPECT_EQ(result->review["Overall"], 5);  // 16 / 3 = 5.33
  ASSERT_EQ(result->failures.size(), 1u);
  EXPECT_NE(result->failures[0].find("meta-review failed"), std::string::npos);
  EXPECT_NE(result->failures[0].find("HTTP 503"), std::string::npos);
}

TEST(ReviewPaper, WhenEveryReviewerFailsTheErrorListsEachReason) {
  ConversationScript llm;
  llm.push_error("reviewer-1", core::ErrorCode::server_error, "HTTP 500 after 6 attempts");
  llm.push_error("reviewer-2", core::ErrorCode::timeout, "no answer in 180 s");
  review::ReviewOptions options;
  options.ensemble = 2;
  auto result = review::review_paper(llm, k_paper, options);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("all 2 reviewer(s) failed"), std::string::npos);
  EXPECT_NE(result.error().message.find("reviewer 1: HTTP 500"), std::string::npos);
  EXPECT_NE(result.error().message.find("reviewer 2: no answer"), std::string::npos);
  EXPECT_TRUE(llm.requests("meta").empty());
}

TEST(ReviewPaper, AnErrorNoReviewerCanAvoidStopsTheReview) {
  ConversationScript llm;
  llm.push_text("reviewer-1", reply(a_review(3, "Reject"), "I am done"));
  llm.push_error("reviewer-2", core::ErrorCode::budget_exceeded, "the budget of $1.00 is spent");
  review::ReviewOptions options;
  options.ensemble = 2;
  auto result = review::review_paper(llm, k_paper, options);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, core::ErrorCode::budget_exceeded);
  EXPECT_TRUE(llm.requests("meta").empty());
}

TEST(ReviewPaper, RefusesAnEmptyPaperAndBadSizes) {
  ScriptedLlmClient llm;
  auto empty = review::review_paper(llm, " \n ", single());
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, core::ErrorCode::invalid_argument);
  review::ReviewOptions none = single();
  none.ensemble = 0;
  EXPECT_FALSE(review::review_paper(llm, k_paper, none));
  EXPECT_EQ(llm.calls(), 0);
}

TEST(AggregateReviews, AveragesEachScoreAndATieRejectsWithoutAMetaReview) {
  std::vector<json> reviews = {a_review(4, "Accept", 1), a_review(5, "Reject", 2)};
  reviews[1]["Ethical Concerns"] = true;
  std::map<std::string, double> means;
  json merged = review::aggregate_reviews(reviews, std::nullopt, &means);
  EXPECT_EQ(merged["Decision"], "Reject");
  EXPECT_EQ(merged["Ethical Concerns"], true);
  EXPECT_EQ(merged["Overall"], 5);    // 4.5
  EXPECT_EQ(merged["Soundness"], 2);  // 1.5
  EXPECT_DOUBLE_EQ(means.at("Soundness"), 1.5);
  EXPECT_EQ(merged["Summary"], reviews[0]["Summary"]);
  EXPECT_EQ(means.size(), review::score_fields().size());

  json meta = a_review(10, "Reject", 4);
  json with_meta = review::aggregate_reviews(reviews, meta);
  EXPECT_EQ(with_meta["Decision"], "Reject");
  EXPECT_EQ(with_meta["Overall"], 5);
  EXPECT_EQ(with_meta["Ethical Concerns"], false);  // the chair's
}

TEST(TruncateText, CutsAtALineBreakOrACharacterBoundaryAndSaysSo) {
  EXPECT_EQ(review::truncate_text("short", 10), "short");
  const std::string lines = "first line\nsecond line\nthird line\n";
  std::string cut = review::truncate_text(lines, 25);
  EXPECT_EQ(cut.rfind("first line\nsecond line\n", 0), 0u) << cut;
  EXPECT_EQ(cut.find("third"), std::string::npos);
  EXPECT_NE(cut.find("truncated: the first 23 of 34 bytes"), std::string::npos) << cut;
  // "é" is two bytes; a cut inside it backs up before it.
  std::string accents = review::truncate_text("abcé" + std::string(20, 'x'), 4);
  EXPECT_EQ(accents.rfind("abc\n", 0), 0u) << accents;
}

TEST(FewShot, LoadsPairsSortedTruncatedAndIgnoresPapersWithoutReviews) {
  test_support::TempDir dir;
  dir.write_file("b_paper.md", "# B\n" + std::string(300, 'b') + "\n" + std::string(300, 'c'));
  dir.write_file("b_paper.json", a_review(6, "Accept").dump());
  dir.write_file("a_paper.txt", "Paper A text.");
  dir.write_file("a_paper.json", R"({"Summary": "Example review A", "Overall": 3})");
  dir.write_file("lonely.txt", "a paper without a review");
  auto examples = review::load_fewshot_examples(dir.path(), 400, 0);
  ASSERT_TRUE(examples) << examples.error().message;
  ASSERT_EQ(examples->size(), 2u);
  EXPECT_EQ((*examples)[0].id, "a_paper");
  EXPECT_EQ((*examples)[0].paper_text, "Paper A text.");
  EXPECT_FALSE((*examples)[0].truncated);
  EXPECT_EQ((*examples)[0].review["Summary"], "Example review A");
  EXPECT_EQ((*examples)[1].id, "b_paper");
  EXPECT_TRUE((*examples)[1].truncated);
  EXPECT_EQ((*examples)[1].paper_text.find(std::string(300, 'c')), std::string::npos);
  EXPECT_NE((*examples)[1].paper_text.find("truncated"), std::string::npos);
}

TEST(FewShot, ExamplesAreShownToEveryReviewerBeforeThePaper) {
  test_support::TempDir dir;
  dir.write_file("ex1.txt", "EXAMPLE PAPER ONE");
  dir.write_file("ex1.json", R"({"Summary": "EXAMPLE REVIEW ONE", "Decision": "Reject"})");
  dir.write_file("ex2.tex", "\\section{EXAMPLE PAPER TWO}");
  dir.write_file("ex2.json", R"({"Summary": "EXAMPLE REVIEW TWO", "Decision": "Accept"})");
  ScriptedLlmClient llm;
  llm.push_text(reply(a_review(3, "Reject"), "I am done"));
  review::ReviewOptions options = single();
  options.fewshot_dir = dir.path();
  auto result = review::review_paper(llm, k_paper, options);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(result->fewshot_examples, 2);
  const std::string& prompt = llm.requests().at(0).messages.back().content;
  const auto one = prompt.find("EXAMPLE PAPER ONE");
  const auto review_one = prompt.find("EXAMPLE REVIEW ONE");
  const auto two = prompt.find("EXAMPLE PAPER TWO");
  const auto paper = prompt.find(k_paper);
  ASSERT_NE(one, std::string::npos);
  ASSERT_NE(review_one, std::string::npos);
  ASSERT_NE(two, std::string::npos);
  EXPECT_LT(one, review_one);
  EXPECT_LT(review_one, two);
  EXPECT_LT(two, paper);
  EXPECT_NE(prompt.find("Example 2/2"), std::string::npos);
  expect_filled(llm.requests().at(0));

  // A limit keeps the first examples by id.
  ScriptedLlmClient again;
  again.push_text(reply(a_review(3, "Reject"), "I am done"));
  options.fewshot_limit = 1;
  ASSERT_TRUE(review::review_paper(again, k_paper, options));
  EXPECT_EQ(again.requests().at(0).messages.back().content.find("EXAMPLE PAPER TWO"),
            std::string::npos);
}

TEST(FewShot, AFolderThatCannotServeSaysWhatIsWrong) {
  test_support::TempDir dir;
  auto missing = review::load_fewshot_examples(dir.path() / "nope", 1000, 0);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, core::ErrorCode::config);
  EXPECT_NE(missing.error().message.find("not a folder"), std::string::npos);

  auto empty = review::load_fewshot_examples(dir.path(), 1000, 0);
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().message.find("holds no example"), std::string::npos);

  dir.write_file("orphan.json", "{}");
  auto orphan = review::load_fewshot_examples(dir.path(), 1000, 0);
  ASSERT_FALSE(orphan);
  EXPECT_NE(orphan.error().message.find("orphan.json has no paper"), std::string::npos);

  dir.write_file("orphan.txt", "The paper.");
  dir.write_file("orphan.json", "[1, 2]");
  auto not_object = review::load_fewshot_examples(dir.path(), 1000, 0);
  ASSERT_FALSE(not_object);
  EXPECT_EQ(not_object.error().code, core::ErrorCode::parse);
  EXPECT_NE(not_object.error().message.find("not a JSON object"), std::string::npos);

  // The review fails before any call when the folder is unusable.
  ScriptedLlmClient llm;
  review::ReviewOptions options = single();
  options.fewshot_dir = dir.path();
  EXPECT_FALSE(review::review_paper(llm, k_paper, options));
  EXPECT_EQ(llm.calls(), 0);
}

TEST(ReviewPaper, PromptsCanBeReplacedFromAFolder) {
  test_support::TempDir dir;
  dir.write_file("prompts/review/system.txt", "CUSTOM REVIEWER");
  dir.write_file("prompts/review/first.txt", "CUSTOM FIRST {paper}");
  ScriptedLlmClient llm;
  llm.push_text(reply(a_review(3, "Reject"), "I am done"));
  review::ReviewOptions options = single();
  options.prompts_dir = dir.path();
  auto result = review::review_paper(llm, k_paper, options);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_EQ(llm.requests().at(0).system, "CUSTOM REVIEWER");
  EXPECT_EQ(llm.requests().at(0).messages.back().content, "CUSTOM FIRST " + k_paper);
}

}  // namespace
