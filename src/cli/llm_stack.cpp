#include "cli/llm_stack.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>

#include <fmt/format.h>

#include "llm/resume.h"

namespace cli {

void LlmFlags::add_to(CLI::App& app, const std::string& model_help) {
  app.add_option("--model,-m", model, model_help);
  app.add_option("--llm-base-url", base_url,
                 "Base URL of the model's provider (overrides its *_BASE_URL); the provider's "
                 "key, if set, is sent there");
  app.add_flag("--no-stream", no_stream, "Do not stream answers");
  app.add_option("--budget-usd", budget_usd,
                 "Refuse to start calls once this many dollars are spent")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--prices", prices_file, "Price table (JSON) to use instead of the built-in one");
  app.add_option("--transcript", transcript, "Append every model call to this JSONL transcript");
  app.add_option("--max-attempts", max_attempts,
                 "Tries per call on transient failures (429, 5xx, timeouts)")
      ->check(CLI::Range(1, 20));
}

void print_notice(std::string_view message) {
  std::cerr << "note: " << message << '\n';
}

namespace {

core::Result<llm::PriceTable> load_prices(const std::string& file) {
  if (file.empty()) return llm::PriceTable::builtin();
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return core::fail(core::ErrorCode::config,
                      fmt::format("cannot read --prices {}: {}", file, std::strerror(errno)));
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return llm::PriceTable::parse(text, file);
}

}  // namespace

LlmStack::LlmStack(const LlmFlags& flags, const core::Environment& env, llm::PriceTable prices,
                   std::shared_ptr<llm::TranscriptWriter> transcript)
    : m_flags(flags),
      m_prices(std::move(prices)),
      m_ledger(flags.budget_usd),
      m_transcript(std::move(transcript)),
      m_services{m_transport, m_clock,  env,          m_prices,
                 m_ledger,    m_limits, m_transcript, print_notice} {}

core::Result<std::unique_ptr<LlmStack>> LlmStack::open(
    const LlmFlags& flags, const core::Environment& env,
    const std::filesystem::path& default_transcript) {
  llm::PriceTable prices = TRY(load_prices(flags.prices_file));
  std::filesystem::path path =
      flags.transcript.empty() ? default_transcript : std::filesystem::path(flags.transcript);
  // No path at all: the caller records per client (recorded_client) instead.
  std::shared_ptr<llm::TranscriptWriter> transcript;
  if (!path.empty()) transcript = TRY(llm::TranscriptWriter::open(path, llm::api_keys(env)));
  return std::unique_ptr<LlmStack>(
      new LlmStack(flags, env, std::move(prices), std::move(transcript)));
}

core::Result<std::shared_ptr<core::LlmClient>> LlmStack::client(const std::string& model_spec) {
  llm::ClientOptions options;
  options.model_spec = model_spec;
  if (!m_flags.base_url.empty()) options.base_url = m_flags.base_url;
  options.stream = !m_flags.no_stream;
  options.retry.max_attempts = std::max(1, m_flags.max_attempts);
  return llm::make_client(options, m_services);
}

core::Result<std::shared_ptr<core::LlmClient>> LlmStack::recorded_client(
    const std::string& model_spec, const std::filesystem::path& transcript, bool resume,
    std::shared_ptr<core::LlmClient> model) {
  llm::LlmServices unrecorded = m_services;
  unrecorded.transcript = nullptr;
  std::shared_ptr<core::LlmClient> client;
  if (model) {
    client = llm::decorate(std::move(model), unrecorded);
  } else {
    llm::ClientOptions options;
    options.model_spec = model_spec;
    if (!m_flags.base_url.empty()) options.base_url = m_flags.base_url;
    options.stream = !m_flags.no_stream;
    options.retry.max_attempts = std::max(1, m_flags.max_attempts);
    client = TRY(llm::make_client(options, unrecorded));
  }
  if (resume) client = TRY(llm::ResumeClient::from_files({transcript}, std::move(client)));
  auto writer = TRY(llm::TranscriptWriter::open(transcript, llm::api_keys(m_services.env)));
  return std::make_shared<llm::RecordingClient>(std::move(client), std::move(writer), print_notice);
}

}  // namespace cli
