// `ai-scientist llm chat`: one prompt to one model, through the same client stack the pipeline
// uses (retries, concurrency limit, costs, budget, transcript).
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "cli/app.h"
#include "cli/llm_stack.h"
#include "cli/paths.h"
#include "core/json.h"
#include "llm/client_factory.h"
#include "llm/providers.h"
#include "resources/resources.h"

namespace cli {
namespace {

constexpr std::string_view k_demo_transcript = "data/demo/hello_transcript.jsonl";

struct ChatFlags {
  LlmFlags llm;
  std::string prompt;
  std::string system;
  std::optional<double> temperature;
  int max_tokens = 4096;
  int samples = 1;
  bool json_output = false;
  bool json_reply = false;
};

int fail_with(const core::Error& e) {
  std::cerr << "error: " << e.message << '\n';
  return k_exit_failure;
}

int run_chat(const ChatFlags& f, const core::Environment& env) {
  auto stack = LlmStack::open(f.llm, env, user_data_dir(env) / "transcripts" / "chat.jsonl");
  if (!stack) return fail_with(stack.error());

  std::shared_ptr<core::LlmClient> client;
  if (f.llm.model.empty()) {
    if (auto keys = llm::remote_key_variables_set(env); !keys.empty()) {
      return fail_with(core::Error(
          core::ErrorCode::invalid_argument,
          fmt::format("{} is set: pass --model PROVIDER/MODEL to choose the model (e.g. --model "
                      "openai/gpt-4o, or --model ollama/qwen2.5-coder:32b for a local server)",
                      fmt::join(keys, " and "))));
    }
    auto replay = llm::ReplayClient::from_text(resources::find(k_demo_transcript).value_or(""),
                                               "the built-in demo transcript");
    if (!replay) return fail_with(replay.error());
    print_notice(fmt::format(
        "no API key is set ({}) and no --model was given: answering from the built-in recorded "
        "transcript, not a live model. Set a key and pass --model, or use a local server "
        "(--model ollama/MODEL)",
        fmt::join(llm::remote_key_variables(), ", ")));
    client = llm::decorate(std::move(*replay), (*stack)->services());
  } else {
    auto made = (*stack)->client(f.llm.model);
    if (!made) return fail_with(made.error());
    client = *made;
  }

  core::CompletionRequest request;
  request.system = f.system;
  request.messages.push_back({core::Role::user, f.prompt});
  request.temperature = f.temperature;
  request.max_output_tokens = f.max_tokens;
  request.n = std::max(1, f.samples);
  if (f.json_reply) request.format = core::ResponseFormat::json_object;
  request.context = {"chat", "chat", 0, ""};

  auto reply = client->complete(request);
  if (!reply) {
    if (reply.error().code == core::ErrorCode::replay_mismatch && f.llm.model.empty()) {
      print_notice("the built-in demo transcript only holds an answer to the prompt \"Say hello\"");
    }
    return fail_with(reply.error());
  }
  if (f.json_output) {
    nlohmann::json out = {
        {"text", reply->text()},
        {"texts", reply->texts},
        {"model", reply->model},
        {"provider", reply->provider},
        {"spec", client->spec()},
        {"finish_reason", reply->finish_reason},
        {"latency_ms", reply->latency.count()},
        {"replayed", reply->replayed},
        {"usage", llm::usage_to_json(reply->usage)},
        {"transcript", (*stack)->transcript_path().string()},
    };
    out["cost_usd"] = reply->cost_usd ? nlohmann::json(*reply->cost_usd) : nlohmann::json(nullptr);
    std::cout << core::dump_json(out, 2) << '\n';
  } else {
    for (std::size_t i = 0; i < reply->texts.size(); ++i) {
      if (reply->texts.size() > 1) std::cout << fmt::format("--- sample {} ---\n", i + 1);
      std::cout << reply->texts[i] << '\n';
    }
  }
  return k_exit_ok;
}

}  // namespace

Command llm_command() {
  return {"llm", "Talk to a language model through the engine's client (providers, retries, costs)",
          [](CLI::App& app, const core::Environment& env) -> std::function<int()> {
            app.require_subcommand(1);
            auto flags = std::make_shared<ChatFlags>();
            CLI::App* chat = app.add_subcommand("chat", "Send one prompt and print the reply");
            chat->add_option("prompt", flags->prompt, "The user message")->required();
            chat->add_option("--system", flags->system, "System prompt");
            chat->add_option("--temperature", flags->temperature, "Sampling temperature")
                ->check(CLI::Range(0.0, 2.0));
            chat->add_option("--max-tokens", flags->max_tokens, "Most tokens to generate")
                ->check(CLI::PositiveNumber);
            chat->add_option("--samples,-n", flags->samples, "Independent answers to generate")
                ->check(CLI::Range(1, 64));
            chat->add_flag("--json", flags->json_output,
                           "Print text, usage, cost and model as JSON");
            chat->add_flag("--json-reply", flags->json_reply,
                           "Ask the model to answer with one JSON object");
            flags->llm.add_to(*chat,
                              "provider/model, e.g. openai/gpt-4o, anthropic/claude-sonnet-4-5, "
                              "ollama/qwen2.5-coder:32b, replay/PATH. Without it and without any "
                              "API key: the built-in demo transcript");
            return [flags, &env] { return run_chat(*flags, env); };
          }};
}

}  // namespace cli
