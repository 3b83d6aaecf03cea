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
  EXPECT_NE(run.out.find("no NVIDIA driver found: experiments run on the CPU (slower; full-size "
                         "runs want a GPU)"),
            std::string::npos)
      << run.out;
}

// Makes the Python check quick (and missing): the tests using it are about other checks.
void skip_python_probe(Cli& cli) {
  cli.set_env("AI_SCIENTIST_PYTHON", "/nonexistent/python3");
}

std::string detail_of(const nlohmann::json& report, const std::string& name) {
  const nlohmann::json* check = find_check(report, name);
  EXPECT_NE(check, nullptr) << name;
  return check ? (*check)["detail"].get<std::string>() : "";
}

TEST(Doctor, NeverPrintsCredentialsFromBaseUrls) {
  test_support::FakeOpenAiServer ollama;
  test_support::ScriptedReply models;
  models.body = R"({"data":[{"id":"qwen"}]})";
  ollama.server().set_fallback("/v1/models", models);
  const std::string plain_ollama = ollama.base_url();  // http://127.0.0.1:PORT/v1
  std::string ollama_with_user = plain_ollama;
  ollama_with_user.insert(std::string("http://").size(), "bob:ollama-pw-secret@");

  Cli cli;
  skip_python_probe(cli);
  cli.set_env("OPENAI_API_KEY", "sk-doctor-test-123456789");
  cli.set_env("OPENAI_BASE_URL", "https://u:tok-openai-secret@example.invalid/v1");
  cli.set_env("OLLAMA_BASE_URL", ollama_with_user);
  // No scheme, and an '@' in the password: everything up to the last '@' of the host part goes.
  cli.set_env("LMSTUDIO_BASE_URL", "carol:lm@studio-pw-secret@127.0.0.1:1/v1");

  for (const char* format : {"--json", ""}) {
    std::vector<std::string> args = {"doctor"};
    if (*format) args.emplace_back(format);
    auto run = cli.run(args);
    for (const char* secret : {"tok-openai-secret", "ollama-pw-secret", "studio-pw-secret",
                               "sk-doctor-test-123456789", "bob:", "carol:"}) {
      EXPECT_EQ(run.out.find(secret), std::string::npos) << secret << " in\n" << run.out;
      EXPECT_EQ(run.err.find(secret), std::string::npos) << secret << " in\n" << run.err;
    }
    if (!*format) continue;
    auto report = nlohmann::json::parse(run.out);
    EXPECT_NE(
        detail_of(report, "OPENAI_API_KEY").find("OPENAI_BASE_URL=https://example.invalid/v1"),
        std::string::npos)
        << run.out;
    EXPECT_NE(
        detail_of(report, "ollama server").find("answers at " + plain_ollama + " (1 model(s))"),
        std::string::npos)
        << run.out;
    EXPECT_NE(detail_of(report, "lmstudio server").find("not reachable at 127.0.0.1:1/v1"),
              std::string::npos)
        << run.out;
  }
}

TEST(Doctor, TellsAnUnreachableServerFromOneThatRefuses) {
  test_support::FakeOpenAiServer vllm;
  vllm.server().set_fallback("/v1/models", test_support::error_reply(401, "missing API key"));
  test_support::FakeOpenAiServer llamacpp;
  llamacpp.server().set_fallback("/v1/models", test_support::error_reply(500, "overloaded"));
  Cli cli;
  skip_python_probe(cli);
  cli.set_env("VLLM_BASE_URL", vllm.base_url());
  cli.set_env("LLAMACPP_BASE_URL", llamacpp.base_url());
  cli.set_env("OLLAMA_BASE_URL", "http://127.0.0.1:1/v1");  // nothing listens on port 1

  auto run = cli.run({"doctor", "--json"});
  auto report = nlohmann::json::parse(run.out);
  EXPECT_EQ(detail_of(report, "vllm server"),
            "answers at " + vllm.base_url() +
                " with HTTP 401 (set VLLM_API_KEY if the server was started with an API key)");
  EXPECT_EQ((*find_check(report, "vllm server"))["status"], "note");
  EXPECT_EQ(detail_of(report, "llamacpp server"),
            "answers at " + llamacpp.base_url() + " with HTTP 500");
  EXPECT_EQ(detail_of(report, "ollama server"),
            "not reachable at http://127.0.0.1:1/v1 (start it, or set OLLAMA_BASE_URL)");
  // Without a key nothing is sent that looks like one.
  ASSERT_GE(vllm.server().requests().size(), 1u);
  EXPECT_EQ(vllm.server().requests()[0].headers.count("authorization"), 0u);
}

TEST(Doctor, ProbesALocalServerWithItsKey) {
  test_support::FakeOpenAiServer vllm;
  test_support::ScriptedReply models;
  models.body = R"({"data":[{"id":"served-model"}]})";
  vllm.server().set_fallback("/v1/models", models);
  Cli cli;
  skip_python_probe(cli);
  cli.set_env("VLLM_BASE_URL", vllm.base_url());
  cli.set_env("VLLM_API_KEY", "vllm-key-987654321");

  auto run = cli.run({"doctor", "--json"});
  auto report = nlohmann::json::parse(run.out);
  EXPECT_EQ((*find_check(report, "vllm server"))["status"], "ok");
  auto requests = vllm.server().requests();
  ASSERT_GE(requests.size(), 1u);
  EXPECT_EQ(requests[0].path, "/v1/models");
  EXPECT_EQ(requests[0].headers["authorization"], "Bearer vllm-key-987654321");
  EXPECT_EQ(run.out.find("vllm-key-987654321"), std::string::npos) << run.out;
  EXPECT_EQ(run.err.find("vllm-key-987654321"), std::string::npos) << run.err;
}

TEST(Doctor, ToolWhoseVersionProbeFailsIsMissing) {
  constexpr auto k_exec = std::filesystem::perms::owner_all;
  test_support::TempDir bin;
  bin.write_file("pdflatex",
                 "#!/bin/sh\necho 'pdflatex: libkpathsea.so.6: cannot open shared object' >&2\n"
                 "echo 'second line' >&2\nexit 127\n",
                 k_exec);
  bin.write_file("bibtex", "#!/bin/sh\nexit 3\n", k_exec);
  bin.write_file("latexmk", "#!/bin/sh\nkill -9 $$\n", k_exec);
  bin.write_file("chktex", "#!/bin/sh\necho 'ChkTeX v1.7.8 - Copyright 1995-96 Jens T. Berger'\n",
                 k_exec);
  Cli cli;
  skip_python_probe(cli);
  cli.set_env("PATH", bin.path().string());

  auto run = cli.run({"doctor", "--json"});
  auto report = nlohmann::json::parse(run.out);
  const std::string dir = bin.path().string();
  const auto& pdflatex = *find_check(report, "pdflatex");
  EXPECT_EQ(pdflatex["status"], "missing");
  EXPECT_EQ(pdflatex["detail"],
            dir +
                "/pdflatex --version failed: pdflatex: libkpathsea.so.6: cannot open shared "
                "object");
  EXPECT_EQ(
      pdflatex["fix"],
      "run scripts/setup.sh (as root, or with sudo) (or: apt-get install texlive-latex-base)");
  EXPECT_EQ((*find_check(report, "bibtex"))["status"], "missing");
  EXPECT_EQ(detail_of(report, "bibtex"), dir + "/bibtex --version failed: exited with status 3");
  EXPECT_EQ((*find_check(report, "latexmk"))["status"], "missing");
  EXPECT_EQ(detail_of(report, "latexmk"), dir + "/latexmk -v failed: killed by signal 9");
  EXPECT_EQ((*find_check(report, "chktex"))["status"], "ok");
  EXPECT_EQ(detail_of(report, "chktex"),
            dir + "/chktex: ChkTeX v1.7.8 - Copyright 1995-96 Jens T. Berger");
  EXPECT_EQ(detail_of(report, "pdftotext"), "not found on PATH");
  EXPECT_EQ(run.exit_code, 1);
}

}  // namespace
