#include "llm/cost.h"

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

using core::CallContext;
using core::Completion;
using core::CompletionRequest;
using core::ErrorCode;
using core::Result;
using core::Usage;
using llm::CostAccountingClient;
using llm::CostLedger;
using llm::Price;
using llm::PriceTable;

Usage usage(std::int64_t input, std::int64_t output, std::int64_t cached = 0,
            std::int64_t cache_write = 0) {
  Usage u;
  u.input_tokens = input;
  u.output_tokens = output;
  u.cached_input_tokens = cached;
  u.cache_write_tokens = cache_write;
  return u;
}

PriceTable parse_ok(std::string_view text) {
  auto t = PriceTable::parse(text, "test");
  EXPECT_TRUE(t.has_value()) << (t ? "" : t.error().describe());
  return t.value_or(PriceTable{});
}

TEST(CostOf, PlainInputAndOutput) {
  Price p{2.5, 10.0, 1.25, 2.5};
  EXPECT_DOUBLE_EQ(llm::cost_of(p, usage(1'000'000, 0)), 2.5);
  EXPECT_DOUBLE_EQ(llm::cost_of(p, usage(0, 1'000'000)), 10.0);
  EXPECT_DOUBLE_EQ(llm::cost_of(p, usage(1000, 500)), 0.0075);
  EXPECT_DOUBLE_EQ(llm::cost_of(p, Usage{}), 0.0);
}

TEST(CostOf, CachedAndCacheWriteTokensAtTheirOwnPrices) {
  Price p{3.0, 15.0, 0.3, 3.75};
  // 700 uncached * 3 + 200 cached * 0.3 + 100 written * 3.75 + 500 out * 15, per million.
  EXPECT_DOUBLE_EQ(llm::cost_of(p, usage(1000, 500, 200, 100)),
                   (700 * 3.0 + 200 * 0.3 + 100 * 3.75 + 500 * 15.0) / 1e6);
}

TEST(CostOf, InconsistentUsageNeverGoesNegative) {
  Price p{1.0, 1.0, 0.5, 2.0};
  // More cached tokens than input tokens: no negative uncached part.
  EXPECT_DOUBLE_EQ(llm::cost_of(p, usage(10, 0, 100, 0)), 100 * 0.5 / 1e6);
}

TEST(PriceTableParse, ReadsPricesAndDefaultsCachePricesToInput) {
  auto t = parse_ok(R"({"models": {
      "a": {"input": 1.0, "output": 2.0},
      "b": {"input": 3, "output": 4, "cached_input": 0.5, "cache_write": 6}}})");
  EXPECT_EQ(t.size(), 2u);
  auto a = t.find("openai", "a");
  ASSERT_TRUE(a);
  EXPECT_DOUBLE_EQ(a->input, 1.0);
  EXPECT_DOUBLE_EQ(a->output, 2.0);
  EXPECT_DOUBLE_EQ(a->cached_input, 1.0);
  EXPECT_DOUBLE_EQ(a->cache_write, 1.0);
  auto b = t.find("openai", "b");
  ASSERT_TRUE(b);
  EXPECT_DOUBLE_EQ(b->cached_input, 0.5);
  EXPECT_DOUBLE_EQ(b->cache_write, 6.0);
}

TEST(PriceTableParse, IgnoresTopLevelKeysOtherThanModels) {
  auto t = parse_ok(R"({"_about": "notes", "models": {}})");
  EXPECT_EQ(t.size(), 0u);
}

void expect_parse_error(std::string_view text, std::string_view mentions) {
  auto t = PriceTable::parse(text, "prices-under-test.json");
  ASSERT_FALSE(t) << text;
  EXPECT_EQ(t.error().code, ErrorCode::parse) << text;
  EXPECT_NE(t.error().message.find("prices-under-test.json"), std::string::npos)
      << t.error().message;
  EXPECT_NE(t.error().message.find(mentions), std::string::npos) << t.error().message;
}

TEST(PriceTableParse, Errors) {
  expect_parse_error("not json", "models");
  expect_parse_error(R"({"prices": {}})", "models");
  expect_parse_error(R"({"models": []})", "models");
  expect_parse_error(R"({"models": {"m": {"input": -1, "output": 2}}})", "non-negative");
  expect_parse_error(R"({"models": {"m": {"input": 1, "output": 2, "cached_input": -0.1}}})",
                     "cached_input");
  expect_parse_error(R"({"models": {"m": {"input": "1", "output": 2}}})", "input");
  expect_parse_error(R"({"models": {"m": {"input": 1}}})", "output");
  expect_parse_error(R"({"models": {"m": {"output": 1}}})", "input");
  expect_parse_error(R"({"models": {"m": 3}})", "\"m\"");
}

TEST(PriceTableFind, ProviderSpecificKeyWinsOverPlainKey) {
  auto t = parse_ok(R"({"models": {
      "gpt-4o": {"input": 2.5, "output": 10},
      "openrouter/gpt-4o": {"input": 3.0, "output": 12}}})");
  EXPECT_DOUBLE_EQ(t.find("openai", "gpt-4o")->input, 2.5);
  EXPECT_DOUBLE_EQ(t.find("openrouter", "gpt-4o")->input, 3.0);
}

TEST(PriceTableFind, ExactKeyBeatsPrefix) {
  const auto& t = PriceTable::builtin();
  auto snapshot = t.find("openai", "gpt-4o-2024-05-13");
  ASSERT_TRUE(snapshot);
  EXPECT_DOUBLE_EQ(snapshot->input, 5.0);
}

TEST(PriceTableFind, DatedSnapshotsFindTheirFamily) {
  const auto& t = PriceTable::builtin();
  auto family = t.find("openai", "gpt-4o");
  auto dated = t.find("openai", "gpt-4o-2024-08-06");
  ASSERT_TRUE(family);
  ASSERT_TRUE(dated);
  EXPECT_DOUBLE_EQ(dated->input, family->input);
  EXPECT_DOUBLE_EQ(dated->output, family->output);

  auto claude = t.find("anthropic", "claude-3-5-sonnet-20240620");
  ASSERT_TRUE(claude);
  EXPECT_DOUBLE_EQ(claude->input, t.find("anthropic", "claude-3-5-sonnet")->input);
}

TEST(PriceTableFind, LongestPrefixWins) {
  const auto& t = PriceTable::builtin();
  auto mini = t.find("openai", "gpt-4o-mini-2024-07-18");
  ASSERT_TRUE(mini);
  EXPECT_DOUBLE_EQ(mini->input, 0.15);
  EXPECT_DOUBLE_EQ(mini->output, 0.6);

  auto o1_mini = t.find("openai", "o1-mini-2024-09-12");
  ASSERT_TRUE(o1_mini);
  EXPECT_DOUBLE_EQ(o1_mini->input, 1.1);
}

TEST(PriceTableFind, OnlySnapshotSuffixesFindTheFamilyPrice) {
  auto t = parse_ok(R"({"models": {"gpt-4o": {"input": 2.5, "output": 10},
                                   "o3": {"input": 2, "output": 8},
                                   "claude-opus-4": {"input": 15, "output": 75}}})");
  EXPECT_TRUE(t.find("openai", "gpt-4o@2024"));
  EXPECT_TRUE(t.find("openai", "gpt-4o-2024-08-06"));
  EXPECT_TRUE(t.find("openai", "gpt-4o-latest"));
  EXPECT_TRUE(t.find("openai", "o3-2025-04-16"));
  EXPECT_TRUE(t.find("anthropic", "claude-opus-4-20250514"));
  // Other models that merely start with a listed name are unknown, not mispriced.
  EXPECT_FALSE(t.find("openai", "gpt-4o-x"));
  EXPECT_FALSE(t.find("openai", "gpt-4o-mini"));
  EXPECT_FALSE(t.find("openai", "o3-pro"));
  EXPECT_FALSE(t.find("openai", "o3-pro-2025-06-10"));
  EXPECT_FALSE(t.find("anthropic", "claude-opus-4-5"));
  EXPECT_FALSE(t.find("openai", "gpt-4oo"));
  EXPECT_FALSE(t.find("openai", "gpt-4"));
}

TEST(PriceTableFind, LocalProvidersCostNothing) {
  const auto& t = PriceTable::builtin();
  for (const char* provider : {"ollama", "llamacpp", "vllm", "lmstudio"}) {
    auto p = t.find(provider, "qwen2.5-coder:32b");
    ASSERT_TRUE(p) << provider;
    EXPECT_DOUBLE_EQ(p->input, 0.0);
    EXPECT_DOUBLE_EQ(p->output, 0.0);
    EXPECT_DOUBLE_EQ(llm::cost_of(*p, usage(1'000'000, 1'000'000)), 0.0);
  }
  // Even a model that has a price elsewhere is free when served locally.
  auto local_gpt = t.find("ollama", "gpt-4o");
  ASSERT_TRUE(local_gpt);
  EXPECT_DOUBLE_EQ(local_gpt->input, 0.0);
}

TEST(PriceTableFind, UnknownIsNullopt) {
  const auto& t = PriceTable::builtin();
  EXPECT_FALSE(t.find("compat", "my-finetune"));
  EXPECT_FALSE(t.find("openai", "acme-model"));
  EXPECT_FALSE(t.find("openai", ""));
}

TEST(PriceTableBuiltin, LoadsTheCompiledInTable) {
  const auto& t = PriceTable::builtin();
  EXPECT_GT(t.size(), 10u);
  auto gpt4o = t.find("openai", "gpt-4o");
  ASSERT_TRUE(gpt4o);
  EXPECT_GT(gpt4o->input, 0.0);
  EXPECT_GT(gpt4o->output, gpt4o->input);
  EXPECT_LT(gpt4o->cached_input, gpt4o->input);
  auto claude = t.find("anthropic", "claude-3-5-sonnet");
  ASSERT_TRUE(claude);
  EXPECT_GT(claude->cache_write, claude->input);
  EXPECT_TRUE(t.find("openrouter", "meta-llama/llama-3.1-405b-instruct"));
  EXPECT_EQ(&PriceTable::builtin(), &t);
}

CallContext context(std::string stage, std::string idea = "") {
  CallContext c;
  c.stage = std::move(stage);
  c.idea = std::move(idea);
  return c;
}

TEST(CostLedger, SumsPerStagePerIdeaAndInTotal) {
  CostLedger ledger;
  ledger.add(context("ideation"), 0.25, true);
  ledger.add(context("experiments", "idea_a"), 1.0, true);
  ledger.add(context("experiments", "idea_b"), 0.5, true);
  ledger.add(context("writeup", "idea_a"), 0.125, false);
  EXPECT_DOUBLE_EQ(ledger.total_usd(), 1.875);
  EXPECT_EQ(ledger.calls(), 4);
  EXPECT_EQ(ledger.calls_without_price(), 1);
  auto stages = ledger.per_stage();
  EXPECT_EQ(stages.size(), 3u);
  EXPECT_DOUBLE_EQ(stages["ideation"], 0.25);
  EXPECT_DOUBLE_EQ(stages["experiments"], 1.5);
  EXPECT_DOUBLE_EQ(stages["writeup"], 0.125);
  auto ideas = ledger.per_idea();
  EXPECT_EQ(ideas.size(), 2u);  // calls outside an idea are not listed per idea
  EXPECT_DOUBLE_EQ(ideas["idea_a"], 1.125);
  EXPECT_DOUBLE_EQ(ideas["idea_b"], 0.5);
}

TEST(CostLedger, WithoutBudgetNeverRefuses) {
  CostLedger ledger;
  EXPECT_FALSE(ledger.budget_usd().has_value());
  ledger.add(context("x"), 1e6, true);
  EXPECT_TRUE(ledger.check_budget());
}

TEST(CostLedger, BudgetIsExceededOnceReached) {
  CostLedger ledger(1.0);
  EXPECT_EQ(ledger.budget_usd(), 1.0);
  EXPECT_TRUE(ledger.check_budget());
  ledger.add(context("x"), 0.6, true);
  EXPECT_TRUE(ledger.check_budget());
  ledger.add(context("x"), 0.4, true);
  auto r = ledger.check_budget();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::budget_exceeded);
  EXPECT_NE(r.error().message.find("--budget-usd"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("$1.00"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("2 calls"), std::string::npos) << r.error().message;
}

TEST(CostLedger, ZeroBudgetRefusesTheFirstCall) {
  CostLedger ledger(0.0);
  auto r = ledger.check_budget();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::budget_exceeded);
}

// Answers every call with a fixed completion under a spec the test can change.
class PricedFake final : public core::LlmClient {
 public:
  explicit PricedFake(std::string spec) : m_spec(std::move(spec)) {}
  Result<Completion> complete(const CompletionRequest&) override {
    ++calls;
    if (fail) return core::fail(ErrorCode::server_error, "HTTP 500");
    return answer;
  }
  std::string spec() const override { return m_spec; }
  void set_spec(std::string s) { m_spec = std::move(s); }

  Completion answer;
  bool fail = false;
  int calls = 0;

 private:
  std::string m_spec;
};

std::shared_ptr<PricedFake> fake(std::string spec, Usage u, std::string model = "") {
  auto f = std::make_shared<PricedFake>(std::move(spec));
  f->answer.texts = {"answer"};
  f->answer.usage = u;
  f->answer.model = std::move(model);
  return f;
}

CompletionRequest request_in(std::string stage, std::string idea = "") {
  CompletionRequest r;
  r.context = context(std::move(stage), std::move(idea));
  return r;
}

TEST(CostAccountingClient, AddsTheCostOfEachAnswer) {
  auto inner = fake("openai/gpt-4o", usage(2000, 1000, 1000), "gpt-4o-2024-08-06");
  CostLedger ledger;
  CostAccountingClient client(inner, PriceTable::builtin(), ledger);
  auto r = client.complete(request_in("ideation", "idea_1"));
  ASSERT_TRUE(r) << r.error().describe();
  // 1000 uncached * 2.5 + 1000 cached * 1.25 + 1000 out * 10, per million.
  const double expected = (1000 * 2.5 + 1000 * 1.25 + 1000 * 10.0) / 1e6;
  ASSERT_TRUE(r->cost_usd.has_value());
  EXPECT_DOUBLE_EQ(*r->cost_usd, expected);
  EXPECT_DOUBLE_EQ(ledger.total_usd(), expected);
  EXPECT_DOUBLE_EQ(ledger.per_stage()["ideation"], expected);
  EXPECT_DOUBLE_EQ(ledger.per_idea()["idea_1"], expected);
  EXPECT_EQ(ledger.calls(), 1);
  EXPECT_EQ(ledger.calls_without_price(), 0);
  EXPECT_EQ(client.spec(), "openai/gpt-4o");
}

TEST(CostAccountingClient, PricesAnthropicCacheWrites) {
  auto inner = fake("anthropic/claude-3-5-sonnet-20240620", usage(1300, 100, 1000, 200));
  CostLedger ledger;
  CostAccountingClient client(inner, PriceTable::builtin(), ledger);
  auto r = client.complete(request_in("review"));
  ASSERT_TRUE(r) << r.error().describe();
  ASSERT_TRUE(r->cost_usd.has_value());
  EXPECT_DOUBLE_EQ(*r->cost_usd, (100 * 3.0 + 1000 * 0.3 + 200 * 3.75 + 100 * 15.0) / 1e6);
}

TEST(CostAccountingClient, ModelWithSlashesIsPricedByItsProviderKey) {
  auto inner = fake("openrouter/meta-llama/llama-3.1-405b-instruct", usage(1'000'000, 1'000'000));
  CostLedger ledger;
  CostAccountingClient client(inner, PriceTable::builtin(), ledger);
  auto r = client.complete(request_in("ideation"));
  ASSERT_TRUE(r) << r.error().describe();
  ASSERT_TRUE(r->cost_usd.has_value());
  EXPECT_DOUBLE_EQ(*r->cost_usd, 1.6);
}

TEST(CostAccountingClient, FallsBackToTheModelThatAnswered) {
  auto inner = fake("compat/my-alias", usage(1'000'000, 0), "gpt-4o-mini-2024-07-18");
  CostLedger ledger;
  CostAccountingClient client(inner, PriceTable::builtin(), ledger);
  auto r = client.complete(request_in("x"));
  ASSERT_TRUE(r) << r.error().describe();
  ASSERT_TRUE(r->cost_usd.has_value());
  EXPECT_DOUBLE_EQ(*r->cost_usd, 0.15);
}

TEST(CostAccountingClient, UnknownPriceCountsAsZeroWithOneNoticePerModel) {
  auto inner = fake("compat/mystery-model", usage(1000, 1000), "mystery-model");
  CostLedger ledger;
  std::vector<std::string> notices;
  CostAccountingClient client(inner, PriceTable::builtin(), ledger,
                              [&](std::string_view m) { notices.emplace_back(m); });
  for (int i = 0; i < 3; ++i) {
    auto r = client.complete(request_in("x"));
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_FALSE(r->cost_usd.has_value());
  }
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_NE(notices[0].find("compat/mystery-model"), std::string::npos) << notices[0];
  EXPECT_NE(notices[0].find("--prices"), std::string::npos) << notices[0];
  EXPECT_DOUBLE_EQ(ledger.total_usd(), 0.0);
  EXPECT_EQ(ledger.calls(), 3);
  EXPECT_EQ(ledger.calls_without_price(), 3);

  inner->set_spec("compat/another-model");
  inner->answer.model = "another-model";
  ASSERT_TRUE(client.complete(request_in("x")));
  ASSERT_EQ(notices.size(), 2u);
  EXPECT_NE(notices[1].find("compat/another-model"), std::string::npos) << notices[1];
}

TEST(CostAccountingClient, BudgetStopsNewCallsBeforeTheyStart) {
  auto inner = fake("openai/gpt-4o", usage(1'000'000, 0));  // $2.50 a call
  CostLedger ledger(2.0);
  CostAccountingClient client(inner, PriceTable::builtin(), ledger);
  ASSERT_TRUE(client.complete(request_in("x")));
  EXPECT_EQ(inner->calls, 1);
  auto r = client.complete(request_in("x"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::budget_exceeded);
  EXPECT_NE(r.error().message.find("--budget-usd"), std::string::npos) << r.error().message;
  EXPECT_EQ(inner->calls, 1);
  EXPECT_EQ(ledger.calls(), 1);
}

TEST(CostAccountingClient, ReplayedAnswersCostNothing) {
  auto inner = fake("replay/t.jsonl", usage(1'000'000, 1'000'000), "gpt-4o");
  inner->answer.replayed = true;
  CostLedger ledger(0.5);
  CostAccountingClient client(inner, PriceTable::builtin(), ledger);
  for (int i = 0; i < 3; ++i) {
    auto r = client.complete(request_in("x"));
    ASSERT_TRUE(r) << r.error().describe();
    ASSERT_TRUE(r->cost_usd.has_value());
    EXPECT_DOUBLE_EQ(*r->cost_usd, 0.0);
  }
  EXPECT_DOUBLE_EQ(ledger.total_usd(), 0.0);
  EXPECT_EQ(ledger.calls(), 3);
  EXPECT_EQ(ledger.calls_without_price(), 0);
}

TEST(CostAccountingClient, FailuresPassThroughAndCostNothing) {
  auto inner = fake("openai/gpt-4o", usage(1000, 1000));
  inner->fail = true;
  CostLedger ledger;
  CostAccountingClient client(inner, PriceTable::builtin(), ledger);
  auto r = client.complete(request_in("x"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::server_error);
  EXPECT_EQ(ledger.calls(), 0);
  EXPECT_DOUBLE_EQ(ledger.total_usd(), 0.0);
}

}  // namespace
