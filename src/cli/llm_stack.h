#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "core/clock.h"
#include "core/environment.h"
#include "http/curl_transport.h"
#include "llm/client_factory.h"

namespace cli {

// The LLM flags every command that calls a model shares.
struct LlmFlags {
  std::string model;
  std::string base_url;
  bool no_stream = false;
  std::optional<double> budget_usd;
  std::string prices_file;
  std::string transcript;
  int max_attempts = 6;

  // Registers the flags on `app`. `model_help` describes --model for this command.
  void add_to(CLI::App& app, const std::string& model_help);
};

// Notices (retries, unknown prices) go to stderr as "note: ...".
void print_notice(std::string_view message);

// The process's model machinery: transport, clock, price table, ledger, limits and transcript,
// built once per command from the flags. Clients made from it share all of these.
class LlmStack {
 public:
  // Fails when --prices cannot be read or the transcript cannot be opened. `default_transcript`
  // is used when --transcript is not given; when both are empty, the stack records nothing
  // itself.
  static core::Result<std::unique_ptr<LlmStack>> open(
      const LlmFlags& flags, const core::Environment& env,
      const std::filesystem::path& default_transcript);

  // A client for `model_spec` (the flags' base URL, streaming and retry settings apply).
  core::Result<std::shared_ptr<core::LlmClient>> client(const std::string& model_spec);
  // A client that records to its own transcript `transcript` (appended to) instead of the
  // stack's; with `resume`, calls that file already answered are answered from it again (free)
  // and the rest go to the model. `model` may be an already built client (a replay) to use
  // instead of `model_spec`'s. Costs and limits are the stack's.
  core::Result<std::shared_ptr<core::LlmClient>> recorded_client(
      const std::string& model_spec, const std::filesystem::path& transcript, bool resume,
      std::shared_ptr<core::LlmClient> model = nullptr);

  const llm::LlmServices& services() const { return m_services; }
  llm::CostLedger& ledger() { return m_ledger; }
  const std::filesystem::path& transcript_path() const { return m_transcript->path(); }

 private:
  LlmStack(const LlmFlags& flags, const core::Environment& env, llm::PriceTable prices,
           std::shared_ptr<llm::TranscriptWriter> transcript);

  LlmFlags m_flags;
  http::CurlTransport m_transport;
  core::SteadyClock m_clock;
  llm::PriceTable m_prices;
  llm::CostLedger m_ledger;
  llm::ProviderLimits m_limits;
  std::shared_ptr<llm::TranscriptWriter> m_transcript;
  llm::LlmServices m_services;
};

}  // namespace cli
