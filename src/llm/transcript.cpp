#include "llm/transcript.h"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/clock.h"
#include "core/json.h"

namespace llm {

using core::ErrorCode;
using nlohmann::json;

namespace {

std::string_view format_name(core::ResponseFormat f) {
  switch (f) {
    case core::ResponseFormat::text:
      return "text";
    case core::ResponseFormat::json_object:
      return "json_object";
    case core::ResponseFormat::json_schema:
      return "json_schema";
  }
  return "text";
}

core::Usage usage_from_json(const json& j) {
  core::Usage u;
  if (!j.is_object()) return u;
  u.input_tokens = j.value("input_tokens", std::int64_t{0});
  u.output_tokens = j.value("output_tokens", std::int64_t{0});
  u.cached_input_tokens = j.value("cached_input_tokens", std::int64_t{0});
  u.cache_write_tokens = j.value("cache_write_tokens", std::int64_t{0});
  return u;
}

void mask(std::string& text, const std::string& secret) {
  constexpr std::string_view k_mask = "[redacted]";
  // Search on after the mask: a secret found inside "[redacted]" must not be masked forever.
  for (std::size_t pos = text.find(secret); pos != std::string::npos;
       pos = text.find(secret, pos + k_mask.size())) {
    text.replace(pos, secret.size(), k_mask);
  }
}

// One line of text, shortened, for messages.
std::string clip(std::string_view s, std::size_t n = 80) {
  std::string out;
  for (char c : s.substr(0, n))
    out += c == '\n' ? ' ' : c;
  if (s.size() > n) out += "...";
  return out;
}

}  // namespace

json usage_to_json(const core::Usage& u) {
  return {{"input_tokens", u.input_tokens},
          {"output_tokens", u.output_tokens},
          {"cached_input_tokens", u.cached_input_tokens},
          {"cache_write_tokens", u.cache_write_tokens}};
}

json request_to_json(const core::CompletionRequest& r) {
  json messages = json::array();
  for (const auto& m : r.messages) {
    messages.push_back(
        {{"role", m.role == core::Role::user ? "user" : "assistant"}, {"content", m.content}});
  }
  json j = {{"system", r.system},
            {"messages", messages},
            {"max_output_tokens", r.max_output_tokens},
            {"n", r.n},
            {"format", format_name(r.format)},
            {"stop", r.stop}};
  j["temperature"] = r.temperature ? json(*r.temperature) : json(nullptr);
  if (r.format == core::ResponseFormat::json_schema) j["json_schema"] = r.json_schema;
  return j;
}

json transcript_entry(const std::string& model_spec, const core::CompletionRequest& request,
                      const core::Result<core::Completion>& result) {
  json j = {{"v", 1},
            {"time", core::utc_timestamp()},
            {"stage", request.context.stage},
            {"conversation", request.context.conversation},
            {"turn", request.context.turn},
            {"idea", request.context.idea},
            {"model", model_spec},
            {"request", request_to_json(request)}};
  if (result) {
    j["response"] = {{"texts", result->texts},
                     {"model", result->model},
                     {"provider", result->provider},
                     {"finish_reason", result->finish_reason}};
    j["usage"] = usage_to_json(result->usage);
    j["cost_usd"] = result->cost_usd ? json(*result->cost_usd) : json(nullptr);
    j["latency_ms"] = result->latency.count();
    j["replayed"] = result->replayed;
  } else {
    j["error"] = {{"code", core::to_string(result.error().code)},
                  {"message", result.error().message}};
  }
  return j;
}

TranscriptWriter::TranscriptWriter(std::filesystem::path path, std::vector<std::string> secrets)
    : m_path(std::move(path)), m_secrets(std::move(secrets)) {}

core::Result<std::shared_ptr<TranscriptWriter>> TranscriptWriter::open(
    const std::filesystem::path& path, std::vector<std::string> secrets) {
  std::error_code ec;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path(), ec);
  std::erase_if(secrets, [](const std::string& s) { return s.size() < 8; });
  std::shared_ptr<TranscriptWriter> w(new TranscriptWriter(path, std::move(secrets)));
  w->m_out.open(path, std::ios::app | std::ios::binary);
  if (!w->m_out) {
    return core::fail(ErrorCode::io,
                      fmt::format("cannot open the transcript {} for appending: {}; choose another "
                                  "place with --transcript",
                                  path.string(), ec ? ec.message() : std::strerror(errno)));
  }
  return w;
}

core::Result<void> TranscriptWriter::append(const json& entry) {
  std::string line = core::dump_json(entry);
  for (const auto& s : m_secrets)
    mask(line, s);
  std::lock_guard lock(m_mutex);
  m_out << line << '\n';
  m_out.flush();
  if (!m_out) {
    return core::fail(ErrorCode::io, fmt::format("writing the transcript {} failed (disk full?)",
                                                 m_path.string()));
  }
  return {};
}

RecordingClient::RecordingClient(std::shared_ptr<core::LlmClient> inner,
                                 std::shared_ptr<TranscriptWriter> writer,
                                 std::function<void(std::string_view)> notice)
    : m_inner(std::move(inner)), m_writer(std::move(writer)), m_notice(std::move(notice)) {}

core::Result<core::Completion> RecordingClient::complete(const core::CompletionRequest& request) {
  auto result = m_inner->complete(request);
  if (auto written = m_writer->append(transcript_entry(m_inner->spec(), request, result));
      !written && m_notice) {
    std::call_once(m_warned, [&] { m_notice(written.error().message); });
  }
  return result;
}

core::Result<std::unique_ptr<ReplayClient>> ReplayClient::from_file(
    const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return core::fail(ErrorCode::config,
                      fmt::format("cannot read the transcript {} (named by replay/...): {}",
                                  path.string(), std::strerror(errno)));
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return from_text(text, path.string());
}

core::Result<void> read_recorded_answers(std::string_view jsonl, const std::string& source,
                                         RecordedAnswers& into,
                                         const TranscriptReadOptions& options) {
  std::size_t line_no = 0;
  std::size_t start = 0;
  while (start < jsonl.size()) {
    std::size_t end = jsonl.find('\n', start);
    const bool last_without_newline = end == std::string_view::npos;
    if (last_without_newline) end = jsonl.size();
    std::string_view line = jsonl.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() && last_without_newline && options.ignore_torn_last_line) break;
    if (j.is_discarded() || !j.is_object()) {
      return core::fail(ErrorCode::parse,
                        fmt::format("transcript {} line {} is not a JSON object: `{}`", source,
                                    line_no, clip(line)));
    }
    if (!j.contains("response")) continue;  // a recorded failure: nothing to replay
    const json& r = j["response"];
    if (!r.is_object() || !r.contains("texts") || !r["texts"].is_array() || r["texts"].empty()) {
      return core::fail(ErrorCode::parse,
                        fmt::format("transcript {} line {}: \"response\" needs a non-empty "
                                    "\"texts\" list",
                                    source, line_no));
    }
    // Every field is converted here, so a hand-edited line with a wrong type fails with its
    // line number now rather than in the middle of a run.
    try {
      AnswerKey key{j.value("stage", "chat"), j.value("conversation", "default"),
                    j.value("turn", 0)};
      RecordedAnswer rec;
      rec.line = line_no;
      if (j.contains("request") && j["request"].is_object()) rec.request = j["request"];
      for (const auto& t : r["texts"])
        rec.completion.texts.push_back(t.get<std::string>());
      rec.completion.model = r.value("model", "");
      rec.completion.provider = "replay";
      rec.completion.finish_reason = r.value("finish_reason", "stop");
      rec.completion.usage = usage_from_json(j.value("usage", json()));
      rec.completion.replayed = true;
      // Read leniently: replay never needed them, so a file it accepted stays accepted.
      if (auto idea = j.find("idea"); idea != j.end() && idea->is_string()) rec.idea = *idea;
      if (auto replayed = j.find("replayed"); replayed != j.end() && replayed->is_boolean()) {
        rec.was_replayed = *replayed;
      }
      into[key].push_back(std::move(rec));
    } catch (const json::exception& e) {
      return core::fail(ErrorCode::parse,
                        fmt::format("transcript {} line {}: a field has the wrong type ({}): "
                                    "\"stage\", \"conversation\", \"response.texts\", "
                                    "\"response.model\" and \"response.finish_reason\" must be "
                                    "strings, \"turn\" and the usage counts integers",
                                    source, line_no, e.what()));
    }
  }
  return {};
}

std::optional<std::string> request_mismatch(const json& recorded, const json& now) {
  for (const char* field : {"system", "messages"}) {
    if (recorded.contains(field) && (!now.contains(field) || recorded[field] != now[field])) {
      return std::string(field);
    }
  }
  return std::nullopt;
}

core::Result<std::unique_ptr<ReplayClient>> ReplayClient::from_text(std::string_view jsonl,
                                                                    std::string source) {
  std::unique_ptr<ReplayClient> client(new ReplayClient(source));
  TRY_VOID(read_recorded_answers(jsonl, source, client->m_answers));
  for (const auto& [key, q] : client->m_answers)
    client->m_total += q.size();
  return client;
}

std::size_t ReplayClient::remaining() const {
  std::lock_guard lock(m_mutex);
  std::size_t n = 0;
  for (const auto& [key, q] : m_answers)
    n += q.size();
  return n;
}

core::Result<core::Completion> ReplayClient::complete(const core::CompletionRequest& request) {
  const auto& ctx = request.context;
  std::string call =
      fmt::format("stage '{}', conversation '{}', turn {}", ctx.stage, ctx.conversation, ctx.turn);
  std::lock_guard lock(m_mutex);
  auto it = m_answers.find(AnswerKey{ctx.stage, ctx.conversation, ctx.turn});
  if (it == m_answers.end() || it->second.empty()) {
    std::string held;
    std::vector<int> turns;
    for (const auto& [key, q] : m_answers) {
      if (std::get<0>(key) == ctx.stage && std::get<1>(key) == ctx.conversation && !q.empty()) {
        turns.push_back(std::get<2>(key));
      }
    }
    if (!turns.empty()) {
      held = fmt::format("; for this conversation it still holds turns {}", fmt::join(turns, ", "));
    } else if (it != m_answers.end()) {
      held = "; its answers for this call were all used already";
    }
    return core::fail(ErrorCode::replay_mismatch,
                      fmt::format("replay: the transcript {} ({} answers) has no answer for the "
                                  "call at {}{}. The run has diverged from the recording: record "
                                  "a new transcript with a live model",
                                  m_source, m_total, call, held));
  }
  const RecordedAnswer& entry = it->second.front();
  if (entry.request) {
    json now = request_to_json(request);
    const json& then = *entry.request;
    if (auto field = request_mismatch(then, now)) {
      return core::fail(
          ErrorCode::replay_mismatch,
          fmt::format("replay: the call at {} does not match line {} of {}: its {} differ "
                      "(recorded `{}`, now `{}`). Record a new transcript with a live model",
                      call, entry.line, m_source, *field, clip(core::dump_json(then[*field])),
                      clip(core::dump_json(now.value(*field, json())))));
    }
  }
  core::Completion c = entry.completion;
  it->second.pop_front();
  return c;
}

}  // namespace llm
