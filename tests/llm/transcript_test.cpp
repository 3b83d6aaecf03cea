#include "llm/transcript.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace {

using test_support::TempDir;

namespace fs = std::filesystem;
using core::Completion;
using core::CompletionRequest;
using core::ErrorCode;
using core::Message;
using core::Result;
using core::Role;
using llm::RecordingClient;
using llm::ReplayClient;
using llm::TranscriptWriter;
using nlohmann::json;

const std::string k_fake_key = "sk-test-FAKE0123456789abcdef";

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<json> read_lines(const fs::path& p) {
  std::vector<json> out;
  std::ifstream in(p, std::ios::binary);
  for (std::string line; std::getline(in, line);) {
    EXPECT_FALSE(line.empty());
    out.push_back(json::parse(line));
  }
  return out;
}

// Answers with queued results, or echoes the last user message when none are queued.
class EchoClient final : public core::LlmClient {
 public:
  Result<Completion> complete(const CompletionRequest& request) override {
    ++calls;
    if (!script.empty()) {
      auto r = std::move(script.front());
      script.pop_front();
      return r;
    }
    Completion c;
    c.texts = {"echo: " + request.messages.back().content};
    c.model = "gpt-4o-2024-08-06";
    c.provider = "openai";
    c.finish_reason = "stop";
    c.usage.input_tokens = 100;
    c.usage.output_tokens = 20;
    c.usage.cached_input_tokens = 50;
    c.latency = std::chrono::milliseconds(123);
    c.cost_usd = 0.0005;
    return c;
  }
  std::string spec() const override { return "openai/gpt-4o"; }

  std::deque<Result<Completion>> script;
  int calls = 0;
};

CompletionRequest request(std::string stage, std::string conversation, int turn,
                          std::vector<Message> messages, std::string system = "Be brief.") {
  CompletionRequest r;
  r.system = std::move(system);
  r.messages = std::move(messages);
  r.context.stage = std::move(stage);
  r.context.conversation = std::move(conversation);
  r.context.turn = turn;
  return r;
}

CompletionRequest ask(std::string stage, std::string conversation, int turn, std::string text) {
  return request(std::move(stage), std::move(conversation), turn,
                 {Message{Role::user, std::move(text)}});
}

std::shared_ptr<TranscriptWriter> open_writer(const fs::path& p,
                                              std::vector<std::string> secrets = {}) {
  auto w = TranscriptWriter::open(p, std::move(secrets));
  EXPECT_TRUE(w) << (w ? "" : w.error().describe());
  return w ? *w : nullptr;
}

TEST(RequestToJson, RecordsTheEnginesOwnRequest) {
  CompletionRequest r = request("review", "paper", 1,
                                {Message{Role::user, "q"}, Message{Role::assistant, "a"}}, "sys");
  r.temperature = 0.5;
  r.max_output_tokens = 99;
  r.n = 2;
  r.stop = {"END"};
  r.format = core::ResponseFormat::json_schema;
  r.json_schema = {{"type", "object"}};
  json j = llm::request_to_json(r);
  EXPECT_EQ(j["system"], "sys");
  EXPECT_EQ(j["messages"], json::array({{{"role", "user"}, {"content", "q"}},
                                        {{"role", "assistant"}, {"content", "a"}}}));
  EXPECT_DOUBLE_EQ(j["temperature"].get<double>(), 0.5);
  EXPECT_EQ(j["max_output_tokens"], 99);
  EXPECT_EQ(j["n"], 2);
  EXPECT_EQ(j["stop"], json::array({"END"}));
  EXPECT_EQ(j["format"], "json_schema");
  EXPECT_EQ(j["json_schema"], json({{"type", "object"}}));

  json plain = llm::request_to_json(CompletionRequest{});
  EXPECT_TRUE(plain["temperature"].is_null());
  EXPECT_EQ(plain["format"], "text");
  EXPECT_FALSE(plain.contains("json_schema"));
}

TEST(RecordingClient, WritesOneJsonLinePerCall) {
  TempDir dir;
  fs::path file = dir.path() / "nested" / "deeper" / "transcript.jsonl";
  auto inner = std::make_shared<EchoClient>();
  RecordingClient client(inner, open_writer(file));
  CompletionRequest r = ask("ideation", "idea-1", 0, "Propose something.");
  r.context.idea = "idea_1";
  auto c = client.complete(r);
  ASSERT_TRUE(c) << c.error().describe();
  EXPECT_EQ(c->text(), "echo: Propose something.");
  ASSERT_TRUE(client.complete(ask("ideation", "idea-1", 1, "Refine.")));
  EXPECT_EQ(client.spec(), "openai/gpt-4o");

  auto lines = read_lines(file);
  ASSERT_EQ(lines.size(), 2u);
  const json& e = lines[0];
  EXPECT_EQ(e["v"], 1);
  EXPECT_TRUE(e["time"].is_string());
  EXPECT_EQ(e["stage"], "ideation");
  EXPECT_EQ(e["conversation"], "idea-1");
  EXPECT_EQ(e["turn"], 0);
  EXPECT_EQ(e["idea"], "idea_1");
  EXPECT_EQ(e["model"], "openai/gpt-4o");
  EXPECT_EQ(e["request"]["system"], "Be brief.");
  EXPECT_EQ(e["request"]["messages"][0]["content"], "Propose something.");
  EXPECT_EQ(e["response"]["texts"], json::array({"echo: Propose something."}));
  EXPECT_EQ(e["response"]["model"], "gpt-4o-2024-08-06");
  EXPECT_EQ(e["response"]["provider"], "openai");
  EXPECT_EQ(e["response"]["finish_reason"], "stop");
  EXPECT_EQ(e["usage"]["input_tokens"], 100);
  EXPECT_EQ(e["usage"]["output_tokens"], 20);
  EXPECT_EQ(e["usage"]["cached_input_tokens"], 50);
  EXPECT_EQ(e["usage"]["cache_write_tokens"], 0);
  EXPECT_DOUBLE_EQ(e["cost_usd"].get<double>(), 0.0005);
  EXPECT_EQ(e["latency_ms"], 123);
  EXPECT_EQ(e["replayed"], false);
  EXPECT_FALSE(e.contains("error"));
  EXPECT_EQ(lines[1]["turn"], 1);
}

TEST(RecordingClient, UnknownCostIsNull) {
  TempDir dir;
  fs::path file = dir.path() / "t.jsonl";
  auto inner = std::make_shared<EchoClient>();
  Completion c;
  c.texts = {"x"};
  inner->script.push_back(c);
  RecordingClient client(inner, open_writer(file));
  ASSERT_TRUE(client.complete(ask("s", "c", 0, "q")));
  auto lines = read_lines(file);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(lines[0]["cost_usd"].is_null());
}

TEST(RecordingClient, FailuresAreRecordedWithError) {
  TempDir dir;
  fs::path file = dir.path() / "t.jsonl";
  auto inner = std::make_shared<EchoClient>();
  inner->script.push_back(core::fail(ErrorCode::rate_limited, "openai: HTTP 429: slow down"));
  RecordingClient client(inner, open_writer(file));
  auto r = client.complete(ask("writeup", "paper", 3, "Write."));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::rate_limited);

  auto lines = read_lines(file);
  ASSERT_EQ(lines.size(), 1u);
  const json& e = lines[0];
  EXPECT_EQ(e["stage"], "writeup");
  EXPECT_EQ(e["turn"], 3);
  EXPECT_EQ(e["error"]["code"], "rate_limited");
  EXPECT_EQ(e["error"]["message"], "openai: HTTP 429: slow down");
  EXPECT_FALSE(e.contains("response"));
  EXPECT_FALSE(e.contains("usage"));
  EXPECT_TRUE(e.contains("request"));
}

TEST(RecordingClient, SecretsAreMaskedEverywhere) {
  TempDir dir;
  fs::path file = dir.path() / "t.jsonl";
  auto inner = std::make_shared<EchoClient>();
  RecordingClient client(inner, open_writer(file, {k_fake_key, "short"}));
  // The key in the system prompt, the user message, the echoed answer and an error message.
  CompletionRequest r = request("s", "c", 0, {Message{Role::user, "my key is " + k_fake_key}},
                                "system knows " + k_fake_key + k_fake_key);
  ASSERT_TRUE(client.complete(r));
  inner->script.push_back(core::fail(ErrorCode::auth, "bad key " + k_fake_key));
  ASSERT_FALSE(client.complete(ask("s", "c", 1, "a short question")));

  std::string text = read_all(file);
  EXPECT_EQ(text.find(k_fake_key), std::string::npos) << text;
  EXPECT_EQ(text.find("sk-test-FAKE"), std::string::npos) << text;
  auto lines = read_lines(file);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["request"]["system"], "system knows [redacted][redacted]");
  EXPECT_EQ(lines[0]["request"]["messages"][0]["content"], "my key is [redacted]");
  EXPECT_EQ(lines[0]["response"]["texts"][0], "echo: my key is [redacted]");
  EXPECT_EQ(lines[1]["error"]["message"], "bad key [redacted]");
  // Secrets under 8 characters are not masked: they would garble ordinary words.
  EXPECT_NE(text.find("short"), std::string::npos);
}

TEST(RecordingClient, SecretsResemblingTheMaskDoNotHang) {
  TempDir dir;
  fs::path file = dir.path() / "t.jsonl";
  auto w = open_writer(file, {"redacted", "[redacted]"});
  ASSERT_TRUE(w);
  ASSERT_TRUE(w->append(json{{"text", "redacted and [redacted] and redacted"}}));
  auto lines = read_lines(file);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(lines[0]["text"].is_string());
}

TEST(TranscriptWriter, LinesAppendAcrossWriters) {
  TempDir dir;
  fs::path file = dir.path() / "t.jsonl";
  {
    auto w = open_writer(file);
    ASSERT_TRUE(w->append(json{{"n", 1}}));
    ASSERT_TRUE(w->append(json{{"n", 2}}));
    EXPECT_EQ(w->path(), file);
  }
  {
    auto w = open_writer(file);
    ASSERT_TRUE(w->append(json{{"n", 3}}));
  }
  auto lines = read_lines(file);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["n"], 1);
  EXPECT_EQ(lines[1]["n"], 2);
  EXPECT_EQ(lines[2]["n"], 3);
  std::string text = read_all(file);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3);
}

TEST(TranscriptWriter, LinesStayWholeUnderConcurrentWriters) {
  TempDir dir;
  fs::path file = dir.path() / "t.jsonl";
  auto w = open_writer(file);
  std::vector<std::thread> pool;
  for (int t = 0; t < 4; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        ASSERT_TRUE(w->append(json{{"t", t}, {"i", i}, {"pad", std::string(200, 'x')}}));
      }
    });
  }
  for (auto& th : pool)
    th.join();
  EXPECT_EQ(read_lines(file).size(), 200u);
}

TEST(TranscriptWriter, OpenFailsWithIoWhenThePathIsAFolder) {
  TempDir dir;
  auto w = TranscriptWriter::open(dir.path(), {});
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, ErrorCode::io);
  EXPECT_NE(w.error().message.find("--transcript"), std::string::npos) << w.error().message;
}

TEST(RecordingClient, WriteFailureDoesNotFailTheCallAndIsReportedOnce) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full here";
  auto w = TranscriptWriter::open("/dev/full", {});
  ASSERT_TRUE(w) << w.error().describe();
  auto inner = std::make_shared<EchoClient>();
  std::vector<std::string> notices;
  RecordingClient client(inner, *w, [&](std::string_view m) { notices.emplace_back(m); });
  for (int i = 0; i < 3; ++i) {
    auto r = client.complete(ask("s", "c", i, "q"));
    ASSERT_TRUE(r) << r.error().describe();
  }
  EXPECT_EQ(inner->calls, 3);
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_NE(notices[0].find("/dev/full"), std::string::npos) << notices[0];
}

json entry(std::string stage, std::string conversation, int turn, std::vector<std::string> texts,
           std::optional<json> request_json = std::nullopt) {
  json j = {{"v", 1},
            {"stage", stage},
            {"conversation", conversation},
            {"turn", turn},
            {"response", {{"texts", texts}, {"model", "m"}, {"finish_reason", "stop"}}},
            {"usage", {{"input_tokens", 7}, {"output_tokens", 3}}}};
  if (request_json) j["request"] = *request_json;
  return j;
}

std::string jsonl(const std::vector<json>& entries) {
  std::string out;
  for (const auto& e : entries)
    out += e.dump() + "\n";
  return out;
}

std::unique_ptr<ReplayClient> replay_of(const std::vector<json>& entries) {
  auto r = ReplayClient::from_text(jsonl(entries), "test.jsonl");
  EXPECT_TRUE(r) << (r ? "" : r.error().describe());
  return r ? std::move(*r) : nullptr;
}

TEST(ReplayClient, AnswersByStageConversationAndTurn) {
  auto replay = replay_of({entry("ideation", "a", 0, {"a0"}), entry("ideation", "a", 1, {"a1"}),
                           entry("ideation", "b", 0, {"b0"}), entry("review", "a", 0, {"r0"})});
  ASSERT_TRUE(replay);
  EXPECT_EQ(replay->remaining(), 4u);
  EXPECT_EQ(replay->spec(), "replay/test.jsonl");

  auto r0 = replay->complete(ask("review", "a", 0, "anything"));
  ASSERT_TRUE(r0) << r0.error().describe();
  EXPECT_EQ(r0->text(), "r0");
  auto b0 = replay->complete(ask("ideation", "b", 0, "anything"));
  ASSERT_TRUE(b0) << b0.error().describe();
  EXPECT_EQ(b0->text(), "b0");
  auto a1 = replay->complete(ask("ideation", "a", 1, "anything"));
  ASSERT_TRUE(a1) << a1.error().describe();
  EXPECT_EQ(a1->text(), "a1");
  EXPECT_TRUE(a1->replayed);
  EXPECT_EQ(a1->provider, "replay");
  EXPECT_EQ(a1->model, "m");
  EXPECT_EQ(a1->finish_reason, "stop");
  EXPECT_EQ(a1->usage.input_tokens, 7);
  EXPECT_EQ(a1->usage.output_tokens, 3);
  EXPECT_EQ(replay->remaining(), 1u);
}

TEST(ReplayClient, SeveralAnswersUnderOneKeyInOrder) {
  auto replay = replay_of({entry("s", "c", 0, {"first"}), entry("s", "c", 0, {"second"}),
                           entry("s", "c", 0, {"third", "third-b"})});
  ASSERT_TRUE(replay);
  EXPECT_EQ(replay->complete(ask("s", "c", 0, "q"))->text(), "first");
  EXPECT_EQ(replay->complete(ask("s", "c", 0, "q"))->text(), "second");
  auto third = replay->complete(ask("s", "c", 0, "q"));
  ASSERT_TRUE(third);
  EXPECT_EQ(third->texts, (std::vector<std::string>{"third", "third-b"}));

  auto used_up = replay->complete(ask("s", "c", 0, "q"));
  ASSERT_FALSE(used_up);
  EXPECT_EQ(used_up.error().code, ErrorCode::replay_mismatch);
  EXPECT_NE(used_up.error().message.find("used already"), std::string::npos)
      << used_up.error().message;
}

TEST(ReplayClient, EntriesWithoutRequestMatchByKeyAlone) {
  auto replay = replay_of({entry("s", "c", 0, {"whatever was asked"})});
  ASSERT_TRUE(replay);
  auto r = replay->complete(
      request("s", "c", 0, {Message{Role::user, "a new question"}}, "a new system prompt"));
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->text(), "whatever was asked");
}

TEST(ReplayClient, MatchingRequestIsAnswered) {
  CompletionRequest asked = ask("s", "c", 0, "What is 2+2?");
  auto replay = replay_of({entry("s", "c", 0, {"4"}, llm::request_to_json(asked))});
  ASSERT_TRUE(replay);
  // Fields other than system and messages (temperature, say) may differ.
  asked.temperature = 0.9;
  auto r = replay->complete(asked);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->text(), "4");
}

TEST(ReplayClient, MismatchedMessagesFailNamingTheCall) {
  CompletionRequest recorded = ask("ideation", "idea-2", 1, "What is 2+2?");
  auto replay = replay_of({entry("ideation", "idea-2", 1, {"4"}, llm::request_to_json(recorded))});
  ASSERT_TRUE(replay);
  auto r = replay->complete(ask("ideation", "idea-2", 1, "What is 3+3?"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::replay_mismatch);
  const std::string& m = r.error().message;
  EXPECT_NE(m.find("stage 'ideation', conversation 'idea-2', turn 1"), std::string::npos) << m;
  EXPECT_NE(m.find("messages"), std::string::npos) << m;
  EXPECT_NE(m.find("line 1"), std::string::npos) << m;
  EXPECT_NE(m.find("test.jsonl"), std::string::npos) << m;
  EXPECT_NE(m.find("2+2"), std::string::npos) << m;
  EXPECT_NE(m.find("3+3"), std::string::npos) << m;
  // The answer is not used up by a mismatch.
  EXPECT_EQ(replay->remaining(), 1u);
}

TEST(ReplayClient, MismatchedSystemPromptFails) {
  CompletionRequest recorded = ask("s", "c", 0, "q");
  auto replay = replay_of({entry("s", "c", 0, {"a"}, llm::request_to_json(recorded))});
  ASSERT_TRUE(replay);
  auto r = replay->complete(request("s", "c", 0, {Message{Role::user, "q"}}, "Another system."));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::replay_mismatch);
  EXPECT_NE(r.error().message.find("system"), std::string::npos) << r.error().message;
}

TEST(ReplayClient, MissingKeyNamesTheCallAndWhatIsHeld) {
  auto replay = replay_of({entry("ideation", "idea-3", 0, {"a"}),
                           entry("ideation", "idea-3", 5, {"b"}), entry("other", "x", 0, {"c"})});
  ASSERT_TRUE(replay);
  auto r = replay->complete(ask("ideation", "idea-3", 2, "q"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::replay_mismatch);
  const std::string& m = r.error().message;
  EXPECT_NE(m.find("stage 'ideation', conversation 'idea-3', turn 2"), std::string::npos) << m;
  EXPECT_NE(m.find("turns 0, 5"), std::string::npos) << m;
  EXPECT_NE(m.find("3 answers"), std::string::npos) << m;

  auto unknown = replay->complete(ask("experiments", "run", 0, "q"));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::replay_mismatch);
  EXPECT_NE(unknown.error().message.find("stage 'experiments', conversation 'run', turn 0"),
            std::string::npos)
      << unknown.error().message;
}

TEST(ReplayClient, RecordedFailuresAreSkipped) {
  json failed = {{"stage", "s"},
                 {"conversation", "c"},
                 {"turn", 0},
                 {"error", {{"code", "network"}, {"message", "down"}}}};
  auto replay = replay_of({failed, entry("s", "c", 0, {"after retry"})});
  ASSERT_TRUE(replay);
  EXPECT_EQ(replay->remaining(), 1u);
  EXPECT_EQ(replay->complete(ask("s", "c", 0, "q"))->text(), "after retry");
}

TEST(ReplayClient, MissingFieldsTakeTheDefaults) {
  auto replay = replay_of({json{{"response", {{"texts", {"bare"}}}}}});
  ASSERT_TRUE(replay);
  CompletionRequest r;  // stage "chat", conversation "default", turn 0
  r.messages = {Message{Role::user, "hi"}};
  auto c = replay->complete(r);
  ASSERT_TRUE(c) << c.error().describe();
  EXPECT_EQ(c->text(), "bare");
  EXPECT_EQ(c->finish_reason, "stop");
  EXPECT_EQ(c->usage.input_tokens, 0);
}

TEST(ReplayClient, MalformedLineIsAParseErrorWithItsLineNumber) {
  std::string text = jsonl({entry("s", "c", 0, {"ok"})}) + "\n{\"stage\": \"s\", broken\n";
  auto r = ReplayClient::from_text(text, "bad.jsonl");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::parse);
  EXPECT_NE(r.error().message.find("bad.jsonl line 3"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("broken"), std::string::npos) << r.error().message;
}

TEST(ReplayClient, NonObjectLineIsAParseError) {
  auto r = ReplayClient::from_text("[1, 2, 3]\n", "bad.jsonl");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::parse);
  EXPECT_NE(r.error().message.find("line 1"), std::string::npos) << r.error().message;
}

TEST(ReplayClient, ResponseWithoutTextsIsAParseError) {
  std::string text = jsonl(
      {entry("s", "c", 0, {"ok"}), json{{"stage", "s"}, {"response", {{"texts", json::array()}}}}});
  auto r = ReplayClient::from_text(text, "bad.jsonl");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::parse);
  EXPECT_NE(r.error().message.find("line 2"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("texts"), std::string::npos) << r.error().message;
}

TEST(ReplayClient, WronglyTypedKeyIsAParseErrorWithItsLineNumber) {
  json bad_turn = entry("s", "c", 0, {"x"});
  bad_turn["turn"] = "one";
  auto r = ReplayClient::from_text(jsonl({entry("s", "c", 0, {"ok"}), bad_turn}), "bad.jsonl");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::parse);
  EXPECT_NE(r.error().message.find("bad.jsonl line 2"), std::string::npos) << r.error().message;

  json bad_stage = entry("s", "c", 0, {"x"});
  bad_stage["stage"] = 7;
  auto s = ReplayClient::from_text(jsonl({bad_stage}), "bad.jsonl");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::parse);
  EXPECT_NE(s.error().message.find("line 1"), std::string::npos) << s.error().message;
}

TEST(ReplayClient, BlankLinesAndCrLfAreTolerated) {
  std::string text =
      "\n" + entry("s", "c", 0, {"a"}).dump() + "\r\n  \n" + entry("s", "c", 1, {"b"}).dump();
  auto r = ReplayClient::from_text(text, "t.jsonl");
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ((*r)->remaining(), 2u);
  EXPECT_EQ((*r)->complete(ask("s", "c", 1, "q"))->text(), "b");
}

TEST(ReplayClient, EmptyTranscriptAnswersNothing) {
  auto r = ReplayClient::from_text("", "empty.jsonl");
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ((*r)->remaining(), 0u);
  auto c = (*r)->complete(ask("s", "c", 0, "q"));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::replay_mismatch);
}

TEST(ReplayClient, MissingFileIsAConfigError) {
  TempDir dir;
  auto r = ReplayClient::from_file(dir.path() / "nope.jsonl");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::config);
  EXPECT_NE(r.error().message.find("nope.jsonl"), std::string::npos) << r.error().message;
}

TEST(ReplayClient, RoundTripRecordThenReplay) {
  TempDir dir;
  fs::path file = dir.path() / "run" / "transcript.jsonl";
  std::vector<CompletionRequest> calls = {
      ask("ideation", "idea-1", 0, "Propose."),
      request("ideation", "idea-1", 1,
              {Message{Role::user, "Propose."}, Message{Role::assistant, "echo: Propose."},
               Message{Role::user, "Refine with \"quotes\", braces {} and\nnewlines."}}),
      ask("review", "paper", 0, "Review the paper ✓."),
  };
  std::vector<std::string> live_texts;
  {
    auto inner = std::make_shared<EchoClient>();
    inner->script.push_back(core::fail(ErrorCode::network, "dropped"));  // recorded, skipped
    RecordingClient recorder(inner, open_writer(file, {k_fake_key}));
    ASSERT_FALSE(recorder.complete(calls[0]));
    for (const auto& c : calls) {
      auto r = recorder.complete(c);
      ASSERT_TRUE(r) << r.error().describe();
      EXPECT_FALSE(r->replayed);
      live_texts.push_back(r->text());
    }
  }
  auto replay = ReplayClient::from_file(file);
  ASSERT_TRUE(replay) << replay.error().describe();
  EXPECT_EQ((*replay)->remaining(), calls.size());
  EXPECT_EQ((*replay)->spec(), "replay/" + file.string());
  for (std::size_t i = 0; i < calls.size(); ++i) {
    auto r = (*replay)->complete(calls[i]);
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_EQ(r->text(), live_texts[i]);
    EXPECT_TRUE(r->replayed);
    EXPECT_EQ(r->provider, "replay");
    EXPECT_EQ(r->model, "gpt-4o-2024-08-06");
    EXPECT_EQ(r->usage.input_tokens, 100);
    EXPECT_EQ(r->usage.cached_input_tokens, 50);
  }
  EXPECT_EQ((*replay)->remaining(), 0u);
}

}  // namespace

TEST(ReplayClient, AWronglyTypedResponseFieldIsAParseErrorAtLoadTime) {
  std::string line =
      R"({"stage":"chat","conversation":"c","turn":0,"response":{"texts":["hi"],"model":7}})";
  auto replay = llm::ReplayClient::from_text(line + "\n", "edited.jsonl");
  ASSERT_FALSE(replay);
  EXPECT_EQ(replay.error().code, core::ErrorCode::parse);
  EXPECT_NE(replay.error().message.find("edited.jsonl line 1"), std::string::npos)
      << replay.error().message;
}
