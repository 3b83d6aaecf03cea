#include "llm/cost.h"

#include <algorithm>
#include <regex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "llm/providers.h"
#include "resources/resources.h"

namespace llm {

using core::ErrorCode;

double cost_of(const Price& price, const core::Usage& usage) {
  std::int64_t uncached = std::max<std::int64_t>(
      0, usage.input_tokens - usage.cached_input_tokens - usage.cache_write_tokens);
  double dollars = static_cast<double>(uncached) * price.input +
                   static_cast<double>(usage.cached_input_tokens) * price.cached_input +
                   static_cast<double>(usage.cache_write_tokens) * price.cache_write +
                   static_cast<double>(usage.output_tokens) * price.output;
  return dollars / 1e6;
}

core::Result<PriceTable> PriceTable::parse(std::string_view json_text, std::string_view source) {
  auto j = nlohmann::json::parse(json_text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("models") || !j["models"].is_object()) {
    return core::fail(
        ErrorCode::parse,
        fmt::format("price table {} is not a JSON object with a \"models\" object", source));
  }
  PriceTable table;
  for (const auto& [name, entry] : j["models"].items()) {
    auto number = [&](const char* key) -> core::Result<std::optional<double>> {
      if (!entry.contains(key)) return std::optional<double>();
      if (!entry[key].is_number() || entry[key].get<double>() < 0) {
        return core::fail(ErrorCode::parse,
                          fmt::format("price table {}: \"{}\".{} must be a non-negative number "
                                      "(dollars per million tokens)",
                                      source, name, key));
      }
      return std::optional<double>(entry[key].get<double>());
    };
    if (!entry.is_object()) {
      return core::fail(ErrorCode::parse,
                        fmt::format("price table {}: \"{}\" must be an object", source, name));
    }
    auto input = TRY(number("input"));
    auto output = TRY(number("output"));
    if (!input || !output) {
      return core::fail(
          ErrorCode::parse,
          fmt::format("price table {}: \"{}\" needs both \"input\" and \"output\"", source, name));
    }
    Price p{*input, *output, *input, *input};
    if (auto c = TRY(number("cached_input"))) p.cached_input = *c;
    if (auto w = TRY(number("cache_write"))) p.cache_write = *w;
    table.m_prices[name] = p;
  }
  return table;
}

const PriceTable& PriceTable::builtin() {
  static const PriceTable table = [] {
    auto text = resources::find("data/prices.json");
    auto parsed = PriceTable::parse(text.value_or("{}"), "data/prices.json (built in)");
    // The built-in file is checked by the tests; a broken one is a build defect.
    if (!parsed) std::abort();
    return *parsed;
  }();
  return table;
}

std::optional<Price> PriceTable::find(std::string_view provider, std::string_view model) const {
  if (const ProviderInfo* p = find_provider(provider); p && p->local) return Price{};
  if (auto it = m_prices.find(fmt::format("{}/{}", provider, model)); it != m_prices.end()) {
    return it->second;
  }
  if (auto it = m_prices.find(model); it != m_prices.end()) return it->second;
  // A snapshot of a listed model: the key plus a date, a version number or an alias suffix.
  // Anything else (gpt-4o-mini is not gpt-4o, o3-pro is not o3) is a different model.
  static const std::regex k_snapshot_suffix(
      R"((-\d{4}-\d{2}-\d{2}|-\d{8}|-\d{3,4}|-latest|-preview|@.*)+)");
  for (std::size_t cut = model.rfind('-'); cut != std::string_view::npos && cut > 0;
       cut = model.rfind('-', cut - 1)) {
    auto it = m_prices.find(model.substr(0, cut));
    if (it != m_prices.end() && std::regex_match(model.begin() + static_cast<std::ptrdiff_t>(cut),
                                                 model.end(), k_snapshot_suffix)) {
      return it->second;
    }
  }
  if (auto at = model.find('@'); at != std::string_view::npos) {
    if (auto it = m_prices.find(model.substr(0, at)); it != m_prices.end()) return it->second;
  }
  return std::nullopt;
}

CostLedger::CostLedger(std::optional<double> budget_usd) : m_budget(budget_usd) {}

core::Result<void> CostLedger::check_budget() const {
  std::lock_guard lock(m_mutex);
  if (m_budget && m_total >= *m_budget) {
    return core::fail(ErrorCode::budget_exceeded,
                      fmt::format("the budget of ${:.2f} is spent (${:.4f} so far over {} calls); "
                                  "no new LLM call was started. Everything written so far is kept; "
                                  "raise --budget-usd to go on",
                                  *m_budget, m_total, m_calls));
  }
  return {};
}

void CostLedger::add(const core::CallContext& context, double usd, bool price_known) {
  std::lock_guard lock(m_mutex);
  m_total += usd;
  ++m_calls;
  if (!price_known) ++m_unpriced;
  m_per_stage[context.stage] += usd;
  if (!context.idea.empty()) m_per_idea[context.idea] += usd;
}

double CostLedger::total_usd() const {
  std::lock_guard lock(m_mutex);
  return m_total;
}

std::map<std::string, double> CostLedger::per_stage() const {
  std::lock_guard lock(m_mutex);
  return m_per_stage;
}

std::map<std::string, double> CostLedger::per_idea() const {
  std::lock_guard lock(m_mutex);
  return m_per_idea;
}

int CostLedger::calls() const {
  std::lock_guard lock(m_mutex);
  return m_calls;
}

bool CostLedger::first_unpriced(const std::string& spec) {
  std::lock_guard lock(m_mutex);
  return m_unpriced_specs.insert(spec).second;
}

int CostLedger::calls_without_price() const {
  std::lock_guard lock(m_mutex);
  return m_unpriced;
}

CostAccountingClient::CostAccountingClient(std::shared_ptr<core::LlmClient> inner,
                                           const PriceTable& prices, CostLedger& ledger,
                                           std::function<void(std::string_view)> notice)
    : m_inner(std::move(inner)), m_prices(prices), m_ledger(ledger), m_notice(std::move(notice)) {}

core::Result<core::Completion> CostAccountingClient::complete(
    const core::CompletionRequest& request) {
  TRY_VOID(m_ledger.check_budget());
  auto result = m_inner->complete(request);
  if (!result) return result;
  if (result->replayed) {
    result->cost_usd = 0.0;
    m_ledger.add(request.context, 0.0, true);
    return result;
  }
  // Price by the model that was asked for: answers often name a dated snapshot instead.
  std::string spec = m_inner->spec();
  auto slash = spec.find('/');
  std::string provider = spec.substr(0, slash);
  std::string model = slash == std::string::npos ? spec : spec.substr(slash + 1);
  auto price = m_prices.find(provider, model);
  if (!price) price = m_prices.find(provider, result->model);
  if (price) {
    result->cost_usd = cost_of(*price, result->usage);
    m_ledger.add(request.context, *result->cost_usd, true);
  } else {
    result->cost_usd = std::nullopt;
    m_ledger.add(request.context, 0.0, false);
    if (m_notice && m_ledger.first_unpriced(spec)) {
      m_notice(
          fmt::format("no price is known for {}: its calls count as $0 in costs and budgets "
                      "(add it to a price file and pass --prices FILE)",
                      spec));
    }
  }
  return result;
}

}  // namespace llm
