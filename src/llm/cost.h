#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/llm.h"

namespace llm {

// US dollars per million tokens.
struct Price {
  double input = 0;
  double output = 0;
  double cached_input = 0;  // prompt tokens read from the cache
  double cache_write = 0;   // prompt tokens written to the cache
};

// Dollars for `usage` at `price`. Pure.
double cost_of(const Price& price, const core::Usage& usage);

// Model prices, read from a JSON data file (data/prices.json is compiled in; --prices FILE
// replaces it). Format: {"models": {"gpt-4o": {"input": 2.5, "output": 10, "cached_input": 1.25},
// "openrouter/meta-llama/llama-3.1-405b-instruct": {...}, ...}}. cached_input and cache_write
// default to input.
class PriceTable {
 public:
  static core::Result<PriceTable> parse(std::string_view json_text, std::string_view source);
  // The compiled-in table.
  static const PriceTable& builtin();

  // The price of `model` at `provider`: an exact "provider/model" key, else an exact "model" key,
  // else the key of which `model` is a snapshot: the key followed by a date (-2024-08-06,
  // -20240620), a version number (-001, -0613), -latest, -preview or @version. Other suffixes
  // name other models (gpt-4o-mini is not gpt-4o, o3-pro is not o3) and are unknown. Models of
  // local providers cost 0. nullopt: unknown.
  std::optional<Price> find(std::string_view provider, std::string_view model) const;
  std::size_t size() const { return m_prices.size(); }

 private:
  std::map<std::string, Price, std::less<>> m_prices;
};

// Spend so far, per stage, per idea and in all; and the budget. Thread-safe.
class CostLedger {
 public:
  explicit CostLedger(std::optional<double> budget_usd = std::nullopt);

  // Fails with budget_exceeded when the spend has reached the budget.
  core::Result<void> check_budget() const;
  void add(const core::CallContext& context, double usd, bool price_known);

  double total_usd() const;
  std::optional<double> budget_usd() const { return m_budget; }
  std::map<std::string, double> per_stage() const;
  std::map<std::string, double> per_idea() const;
  int calls() const;
  int calls_without_price() const;
  // True the first time it is asked about `spec` (so each unpriced model is reported once per
  // run, however many clients use it).
  bool first_unpriced(const std::string& spec);

 private:
  const std::optional<double> m_budget;
  mutable std::mutex m_mutex;
  double m_total = 0;
  int m_calls = 0;
  int m_unpriced = 0;
  std::map<std::string, double> m_per_stage;
  std::map<std::string, double> m_per_idea;
  std::set<std::string> m_unpriced_specs;
};

// Refuses to start a call once the budget is spent; prices each answer (Completion::cost_usd,
// nullopt when the model's price is unknown, with one notice per model saying it counts as $0)
// and adds it to the ledger. Replayed answers cost nothing: they were paid for when recorded.
class CostAccountingClient final : public core::LlmClient {
 public:
  CostAccountingClient(std::shared_ptr<core::LlmClient> inner, const PriceTable& prices,
                       CostLedger& ledger, std::function<void(std::string_view)> notice = {});
  core::Result<core::Completion> complete(const core::CompletionRequest& request) override;
  std::string spec() const override { return m_inner->spec(); }

 private:
  std::shared_ptr<core::LlmClient> m_inner;
  const PriceTable& m_prices;
  CostLedger& m_ledger;
  std::function<void(std::string_view)> m_notice;
};

}  // namespace llm
