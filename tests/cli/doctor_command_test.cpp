// `ai-scientist doctor`: runs the real probes (TeX, bubblewrap, Python with torch), so it is a
// system test.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/cli_runner.h"
#include "support/fake_llm_server.h"

namespace {

using test_support::Cli;

const nlohmann::json* find_check(const nlohmann::json& report, const std::string& name) {
  for (const auto& c : report["checks"]) {
    if (c["name"] == name) return &c;
  }
  return nullptr;
}

TEST(Doctor, ReportsEveryCheckAsJsonAndFindsALocalServer) {
  test_support::FakeOpenAiServer ollama;
  test_support::ScriptedReply models;
  models.body = R"({"data":[{"id":"qwen"},{"id":"llama"}]})";
  ollama.server().set_fallback("/v1/models", models);
  Cli cli;
  cli.set_env("OLLAMA_BASE_URL", ollama.base_url());
  cli.set_env("OPENAI_API_KEY", "sk-doctor-test-123456789");
  auto run = cli.run({"doctor", "--json"});
  auto report = nlohmann::json::parse(run.out);
  for (const char* name : {"OPENAI_API_KEY", "ANTHROPIC_API_KEY", "ollama server", "pdflatex",
                           "bibtex", "latexmk", "chktex", "bubblewrap", "python3", "nvidia-smi"}) {
    EXPECT_NE(find_check(report, name), nullptr) << name;
  }
  EXPECT_EQ((*find_check(report, "OPENAI_API_KEY"))["status"], "ok");
  EXPECT_EQ(run.out.find("sk-doctor-test-123456789"), std::string::npos);
  const auto& server = *find_check(report, "ollama server");
  EXPECT_EQ(server["status"], "ok");
  EXPECT_NE(server["detail"].get<std::string>().find("2 model(s)"), std::string::npos);
  // The exit code follows the required pieces.
  EXPECT_EQ(run.exit_code, report["ready"].get<bool>() ? 0 : 1);
}

TEST(Doctor, SaysHowToFixWhatIsMissing) {
  Cli cli;
  auto empty_dir = cli.home() / "empty-bin";
  std::filesystem::create_directories(empty_dir);
  cli.set_env("PATH", empty_dir.string());
  cli.set_env("AI_SCIENTIST_PYTHON", "/nonexistent/python3");
  auto run = cli.run({"doctor"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.out.find("[!!]  pdflatex"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("fix: run scripts/setup.sh"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("apt-get install bubblewrap"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("AI_SCIENTIST_PYTHON=/nonexistent/python3"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("not ready"), std::string::npos) << run.out;
}

}  // namespace
