#include "llm/resume.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "llm/transcript.h"
#include "support/scripted_llm_client.h"
#include "support/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using core::Completion;
using core::CompletionRequest;
using core::ErrorCode;
using core::Message;
using core::Result;
using core::Role;
using llm::RecordingClient;
using llm::ResumeClient;
using llm::TranscriptWriter;
using test_support::ScriptedLlmClient;
using test_support::TempDir;

// A conversation as a stage drives it: each turn sends the history so far plus a new question.
class Conversation {
 public:
  Conversation(std::string stage, std::string id, std::string system = "You are a scientist.")
      : m_stage(std::move(stage)), m_id(std::move(id)), m_system(std::move(system)) {}

  Result<Completion> say(core::LlmClient& llm, std::string text, std::string idea = "") {
    CompletionRequest r;
    r.system = m_system;
    r.messages = m_history;
    r.messages.push_back(Message{Role::user, text});
    r.context.stage = m_stage;
    r.context.conversation = m_id;
    r.context.turn = m_turn++;
    r.context.idea = std::move(idea);
    auto answer = llm.complete(r);
    if (answer) {
      m_history.push_back(Message{Role::user, std::move(text)});
      m_history.push_back(Message{Role::assistant, answer->text()});
    }
    return answer;
  }

 private:
  std::string m_stage;
  std::string m_id;
  std::string m_system;
  std::vector<Message> m_history;
  int m_turn = 0;
};

Completion answer(std::string text) {
  Completion c;
  c.texts = {std::move(text)};
  return c;
}

std::shared_ptr<TranscriptWriter> writer(const fs::path& file) {
  auto w = TranscriptWriter::open(file, {});
  EXPECT_TRUE(w) << (w ? "" : w.error().describe());
  return w ? *w : nullptr;
}

std::unique_ptr<ResumeClient> resume(const std::vector<fs::path>& files,
                                     std::shared_ptr<core::LlmClient> inner) {
  auto r = ResumeClient::from_files(files, std::move(inner));
  EXPECT_TRUE(r) << (r ? "" : r.error().describe());
  return r ? std::move(*r) : nullptr;
}

std::string text_of(const Result<Completion>& r) {
  return r ? r->text() : "error: " + r.error().describe();
}

TEST(ResumeClient, OnlyCallsThatWereNotRecordedGoLive) {
  TempDir dir;
  const fs::path file = dir.path() / "llm_transcript.jsonl";
  {
    // The first run answers two turns, then dies before the third.
    auto scripted = std::make_shared<ScriptedLlmClient>();
    scripted->push_text("idea A", core::Usage{100, 10, 0, 0});
    scripted->push_text("idea A, refined");
    RecordingClient recorder(scripted, writer(file));
    Conversation ideas("ideation", "idea-1");
    ASSERT_EQ(text_of(ideas.say(recorder, "Propose an idea.")), "idea A");
    ASSERT_EQ(text_of(ideas.say(recorder, "Refine it.")), "idea A, refined");
  }

  auto live = std::make_shared<ScriptedLlmClient>();
  live->push_text("I am done");
  auto client = resume({file}, live);
  ASSERT_TRUE(client);
  EXPECT_EQ(client->remaining(), 2u);
  EXPECT_EQ(client->spec(), "fake/scripted");

  Conversation ideas("ideation", "idea-1");
  auto first = ideas.say(*client, "Propose an idea.");
  ASSERT_TRUE(first) << first.error().describe();
  EXPECT_EQ(first->text(), "idea A");
  EXPECT_TRUE(first->replayed);
  EXPECT_EQ(first->provider, "replay");
  ASSERT_TRUE(first->cost_usd.has_value());
  EXPECT_EQ(*first->cost_usd, 0.0);
  EXPECT_EQ(first->usage.input_tokens, 100);
  EXPECT_EQ(text_of(ideas.say(*client, "Refine it.")), "idea A, refined");
  EXPECT_EQ(live->calls(), 0);

  auto third = ideas.say(*client, "Refine it again.");
  ASSERT_TRUE(third) << third.error().describe();
  EXPECT_EQ(third->text(), "I am done");
  EXPECT_FALSE(third->replayed);
  ASSERT_EQ(live->calls(), 1);
  EXPECT_EQ(live->requests()[0].context.turn, 2);
  // The live call carries the recorded history, as the interrupted run would have sent it.
  ASSERT_EQ(live->requests()[0].messages.size(), 5u);
  EXPECT_EQ(live->requests()[0].messages[3].content, "idea A, refined");
  EXPECT_EQ(client->answered_from_record(), 2u);
  EXPECT_EQ(client->remaining(), 0u);
}

TEST(ResumeClient, AChangedPromptUnderARecordedKeyGoesLiveWithTheRestOfItsConversation) {
  TempDir dir;
  const fs::path file = dir.path() / "t.jsonl";
  {
    auto scripted = std::make_shared<ScriptedLlmClient>();
    scripted->push_text("old 0");
    scripted->push_text("old 1");
    RecordingClient recorder(scripted, writer(file));
    Conversation c("writeup", "paper");
    ASSERT_TRUE(c.say(recorder, "Write the abstract."));
    ASSERT_TRUE(c.say(recorder, "Write the introduction."));
  }
  auto live = std::make_shared<ScriptedLlmClient>();
  live->push_text("new 0");
  live->push_text("new 1");
  auto client = resume({file}, live);
  ASSERT_TRUE(client);

  Conversation c("writeup", "paper");
  EXPECT_EQ(text_of(c.say(*client, "Write the abstract, briefly.")), "new 0");
  // Same question as recorded, but the history now holds the new answer: live as well.
  EXPECT_EQ(text_of(c.say(*client, "Write the introduction.")), "new 1");
  EXPECT_EQ(live->calls(), 2);
  EXPECT_EQ(client->answered_from_record(), 0u);

  // A changed system prompt goes live too.
  live->push_text("other system");
  Conversation d("writeup", "paper", "You are a reviewer.");
  EXPECT_EQ(text_of(d.say(*client, "Write the abstract.")), "other system");
  EXPECT_EQ(live->calls(), 3);
  // The untouched record still answers the exact question it was asked.
  Conversation e("writeup", "paper");
  EXPECT_EQ(text_of(e.say(*client, "Write the abstract.")), "old 0");
  EXPECT_EQ(live->calls(), 3);
}

TEST(ResumeClient, SeveralAnswersUnderOneKeyAreGivenOutInRecordedOrder) {
  TempDir dir;
  const fs::path file = dir.path() / "t.jsonl";
  CompletionRequest sample;
  sample.system = "s";
  sample.messages = {Message{Role::user, "Review this paper."}};
  sample.context.stage = "review";
  sample.context.conversation = "ensemble";
  {
    auto scripted = std::make_shared<ScriptedLlmClient>();
    scripted->push_error(ErrorCode::network, "dropped");  // recorded as a failure: no answer
    scripted->push_text("review 1");
    scripted->push_text("review 2");
    RecordingClient recorder(scripted, writer(file));
    EXPECT_FALSE(recorder.complete(sample));
    EXPECT_EQ(text_of(recorder.complete(sample)), "review 1");
    EXPECT_EQ(text_of(recorder.complete(sample)), "review 2");
  }
  auto live = std::make_shared<ScriptedLlmClient>();
  live->push_text("review 3");
  auto client = resume({file}, live);
  ASSERT_TRUE(client);
  EXPECT_EQ(client->remaining(), 2u);
  EXPECT_EQ(text_of(client->complete(sample)), "review 1");
  EXPECT_EQ(text_of(client->complete(sample)), "review 2");
  EXPECT_EQ(text_of(client->complete(sample)), "review 3");
  EXPECT_EQ(live->calls(), 1);
}

TEST(ResumeClient, CopiesWrittenByARecorderAroundAnEarlierResumeAreNotGivenOutTwice) {
  TempDir dir;
  const fs::path file = dir.path() / "t.jsonl";
  CompletionRequest same;
  same.messages = {Message{Role::user, "Sample an idea."}};
  same.context.stage = "ideation";
  same.context.conversation = "samples";
  {
    auto scripted = std::make_shared<ScriptedLlmClient>();
    scripted->push_text("A");
    RecordingClient recorder(scripted, writer(file));
    ASSERT_EQ(text_of(recorder.complete(same)), "A");
  }
  {
    // First resume, recorded to the same file: A comes from the record (and is written again,
    // marked replayed), B is new.
    auto scripted = std::make_shared<ScriptedLlmClient>();
    scripted->push_text("B");
    auto resumed = std::shared_ptr<core::LlmClient>(resume({file}, scripted));
    RecordingClient recorder(resumed, writer(file));
    ASSERT_EQ(text_of(recorder.complete(same)), "A");
    ASSERT_EQ(text_of(recorder.complete(same)), "B");
    EXPECT_EQ(scripted->calls(), 1);
  }
  // Second resume: A then B, never A twice.
  auto live = std::make_shared<ScriptedLlmClient>();
  auto client = resume({file}, live);
  ASSERT_TRUE(client);
  EXPECT_EQ(client->remaining(), 2u);
  EXPECT_EQ(text_of(client->complete(same)), "A");
  EXPECT_EQ(text_of(client->complete(same)), "B");
  EXPECT_EQ(live->calls(), 0);
}

TEST(ResumeClient, AnswersNeedTheSameIdeaAndSampleCountAndARecordedRequest) {
  CompletionRequest asked;
  asked.messages = {Message{Role::user, "Check novelty."}};
  asked.context.stage = "novelty";
  asked.context.conversation = "check";
  asked.context.idea = "idea_a";
  nlohmann::json recorded = llm::transcript_entry("m", asked, answer("novel"));
  nlohmann::json other_idea = recorded;
  other_idea["idea"] = "idea_b";
  other_idea["response"]["texts"] = {"for b"};
  nlohmann::json no_request = recorded;
  no_request.erase("request");
  no_request["response"]["texts"] = {"unchecked"};
  const std::string text =
      other_idea.dump() + "\n" + no_request.dump() + "\n" + recorded.dump() + "\n";

  auto live = std::make_shared<ScriptedLlmClient>();
  auto made = ResumeClient::from_text(text, "mem.jsonl", live);
  ASSERT_TRUE(made) << made.error().describe();
  auto& client = **made;
  // The entry without a request is dropped at once: it can never answer.
  EXPECT_EQ(client.remaining(), 2u);

  CompletionRequest two = asked;
  two.n = 2;
  live->push_text("two samples");
  EXPECT_EQ(text_of(client.complete(two)), "two samples");
  EXPECT_EQ(text_of(client.complete(asked)), "novel");
  live->push_text("live for a");
  EXPECT_EQ(text_of(client.complete(asked)), "live for a");
  CompletionRequest for_b = asked;
  for_b.context.idea = "idea_b";
  EXPECT_EQ(text_of(client.complete(for_b)), "for b");
  EXPECT_EQ(live->calls(), 2);
}

TEST(ResumeClient, LiveFailuresAreReturnedAsTheyAre) {
  auto live = std::make_shared<ScriptedLlmClient>();
  live->push_error(ErrorCode::budget_exceeded, "budget spent");
  auto made = ResumeClient::from_text("", "empty", live);
  ASSERT_TRUE(made);
  CompletionRequest r;
  r.messages = {Message{Role::user, "q"}};
  auto answer = (*made)->complete(r);
  ASSERT_FALSE(answer);
  EXPECT_EQ(answer.error().code, ErrorCode::budget_exceeded);
}

TEST(ResumeClient, MissingFilesAreEmptyAndATornLastLineIsIgnored) {
  TempDir dir;
  const fs::path file = dir.path() / "t.jsonl";
  CompletionRequest asked;
  asked.messages = {Message{Role::user, "q"}};
  const std::string whole = llm::transcript_entry("m", asked, answer("kept")).dump();
  // A kill in the middle of an append leaves part of a line without its newline.
  std::ofstream(file, std::ios::binary) << whole << "\n" << whole.substr(0, whole.size() / 2);

  auto live = std::make_shared<ScriptedLlmClient>();
  auto client = resume({dir.path() / "never-written.jsonl", file}, live);
  ASSERT_TRUE(client);
  EXPECT_EQ(client->remaining(), 1u);
  EXPECT_EQ(text_of(client->complete(asked)), "kept");

  // The same bytes are a parse error for replay, which must not guess.
  EXPECT_FALSE(llm::ReplayClient::from_file(file));
}

TEST(ResumeClient, AMalformedLineInTheMiddleIsAParseErrorNamingFileAndLine) {
  TempDir dir;
  const fs::path good = dir.path() / "good.jsonl";
  const fs::path bad = dir.path() / "bad.jsonl";
  std::ofstream(good) << "";
  std::ofstream(bad) << "{\"stage\": broken\n{}\n";
  auto r = ResumeClient::from_files({good, bad}, std::make_shared<ScriptedLlmClient>());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::parse);
  EXPECT_NE(r.error().message.find(bad.string() + " line 1"), std::string::npos)
      << r.error().message;
}

TEST(ResumeClient, TranscriptsAreMergedInTheOrderGiven) {
  TempDir dir;
  CompletionRequest asked;
  asked.messages = {Message{Role::user, "q"}};
  const auto line = [&](std::string text) {
    return llm::transcript_entry("m", asked, answer(std::move(text))).dump() + "\n";
  };
  std::ofstream(dir.path() / "1.jsonl") << line("from one");
  std::ofstream(dir.path() / "2.jsonl") << line("from two");
  auto client = resume({dir.path() / "1.jsonl", dir.path() / "2.jsonl"},
                       std::make_shared<ScriptedLlmClient>());
  ASSERT_TRUE(client);
  EXPECT_EQ(text_of(client->complete(asked)), "from one");
  EXPECT_EQ(text_of(client->complete(asked)), "from two");
}

// Counts live calls from many threads and echoes the last message.
class CountingEcho final : public core::LlmClient {
 public:
  Result<Completion> complete(const CompletionRequest& r) override {
    ++calls;
    return answer("live: " + r.messages.back().content);
  }
  std::string spec() const override { return "fake/echo"; }
  std::atomic<int> calls{0};
};

TEST(ResumeClient, ConcurrentConversationsEachGetTheirOwnRecordedAnswers) {
  constexpr int k_threads = 4;
  constexpr int k_turns = 6;
  CompletionRequest base;
  base.context.stage = "experiments";
  std::string text;
  // Every conversation recorded its first four turns.
  for (int t = 0; t < k_threads; ++t) {
    for (int turn = 0; turn < 4; ++turn) {
      CompletionRequest r = base;
      r.context.conversation = "idea-" + std::to_string(t);
      r.context.turn = turn;
      r.messages = {Message{Role::user, fmt::format("t{} turn {}", t, turn)}};
      text +=
          llm::transcript_entry("m", r, answer(fmt::format("rec {} {}", t, turn))).dump() + "\n";
    }
  }
  auto live = std::make_shared<CountingEcho>();
  auto made = ResumeClient::from_text(text, "mem", live);
  ASSERT_TRUE(made);
  auto& client = **made;
  std::vector<std::vector<std::string>> got(k_threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < k_threads; ++t) {
    pool.emplace_back([&, t] {
      for (int turn = 0; turn < k_turns; ++turn) {
        CompletionRequest r = base;
        r.context.conversation = "idea-" + std::to_string(t);
        r.context.turn = turn;
        r.messages = {Message{Role::user, fmt::format("t{} turn {}", t, turn)}};
        got[t].push_back(text_of(client.complete(r)));
      }
    });
  }
  for (auto& th : pool)
    th.join();
  for (int t = 0; t < k_threads; ++t) {
    for (int turn = 0; turn < k_turns; ++turn) {
      EXPECT_EQ(got[t][turn], turn < 4 ? fmt::format("rec {} {}", t, turn)
                                       : fmt::format("live: t{} turn {}", t, turn));
    }
  }
  EXPECT_EQ(live->calls.load(), k_threads * (k_turns - 4));
  EXPECT_EQ(client.answered_from_record(), static_cast<std::size_t>(k_threads * 4));
}

}  // namespace
