// What reading a model's answer costs: parsing a streamed answer as it arrives in network-sized
// and in tiny pieces (the ratio shows the per-piece overhead of the SSE parser), against parsing
// the same answer sent as one JSON body; and finding the JSON object in a long reply.
#include <string>

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include "llm/json_extract.h"
#include "llm/openai_compat.h"
#include "llm/sse.h"

namespace {

constexpr int k_pieces = 4000;  // about 24 KB of text, a long paper section

std::string streamed_answer() {
  std::string out;
  for (int i = 0; i < k_pieces; ++i) {
    nlohmann::json chunk = {{"model", "gpt-4o"},
                            {"choices", {{{"index", 0}, {"delta", {{"content", "word "}}}}}}};
    out += "data: " + chunk.dump() + "\n\n";
  }
  out += "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n";
  return out + "data: [DONE]\n\n";
}

void parse_stream(benchmark::State& state) {
  const std::string body = streamed_answer();
  const std::size_t piece = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    llm::SseParser parser;
    llm::OpenAiStream stream;
    for (std::size_t at = 0; at < body.size(); at += piece) {
      parser.feed(std::string_view(body).substr(at, piece),
                  [&](const llm::SseEvent& e) { (void)stream.feed(e); });
    }
    auto done = stream.finish();
    benchmark::DoNotOptimize(done);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(parse_stream)->Arg(16384)->Arg(64);

void parse_whole_body(benchmark::State& state) {
  std::string text;
  for (int i = 0; i < k_pieces; ++i)
    text += "word ";
  nlohmann::json body = {
      {"model", "gpt-4o"},
      {"choices", {{{"index", 0}, {"message", {{"content", text}}}, {"finish_reason", "stop"}}}}};
  const std::string raw = body.dump();
  for (auto _ : state) {
    auto c = llm::parse_openai_response(raw);
    benchmark::DoNotOptimize(c);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * raw.size()));
}
BENCHMARK(parse_whole_body);

void extract_json_after_prose(benchmark::State& state) {
  std::string reply = "THOUGHT:\n";
  for (int i = 0; i < 2000; ++i)
    reply += "reasoning about the idea {not json} ";
  reply += "\nNEW IDEA JSON:\n{\"Name\": \"x\", \"Title\": \"y\", \"Experiment\": \"z\", ";
  reply += "\"Interestingness\": 7, \"Feasibility\": 6, \"Novelty\": 8}\n";
  for (auto _ : state) {
    auto j = llm::extract_json(reply);
    benchmark::DoNotOptimize(j);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * reply.size()));
}
BENCHMARK(extract_json_after_prose);

}  // namespace
