// `ai-scientist launch` as a user runs it: the offline demo end to end (the README's main
// command), killed and resumed, and the one-line errors of bad input.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/cli_runner.h"
#include "pdf/pdf_text.h"
#include "review/form.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using test_support::Cli;

const fs::path k_source = AI_SCIENTIST_SOURCE_DIR;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The one idea folder of a demo run under `results`.
fs::path idea_folder(const fs::path& results) {
  for (const auto& e : fs::directory_iterator(results / "grokking")) {
    if (e.is_directory() && !e.path().filename().string().starts_with("launch_")) return e.path();
  }
  return {};
}

fs::path launch_folder(const fs::path& results) {
  for (const auto& e : fs::directory_iterator(results / "grokking")) {
    if (e.path().filename().string().starts_with("launch_")) return e.path();
  }
  return {};
}

// Everything the demo promises is on disk and valid.
void expect_complete_demo(const fs::path& results) {
  const fs::path run = launch_folder(results);
  ASSERT_FALSE(run.empty());
  auto ideas = nlohmann::json::parse(read_file(run / "ideas.json"));
  ASSERT_TRUE(ideas.is_array());
  ASSERT_EQ(ideas.size(), 1u);
  EXPECT_EQ(ideas[0]["novel"], true);
  const fs::path idea = idea_folder(results);
  ASSERT_FALSE(idea.empty());
  EXPECT_TRUE(fs::exists(idea / "run_1" / "final_info.json"));
  bool png = false;
  for (const auto& e : fs::directory_iterator(idea))
    png = png || e.path().extension() == ".png";
  EXPECT_TRUE(png);
  EXPECT_GT(read_file(idea / "notes.txt").size(), 200u);
  const std::string name = ideas[0]["Name"].get<std::string>();
  auto text = pdf::read_text(idea / (name + ".pdf"));
  ASSERT_TRUE(text) << text.error().message;
  std::smatch title;
  const std::string tex = read_file(idea / "latex" / "template.tex");
  ASSERT_TRUE(std::regex_search(tex, title, std::regex(R"(\\title\{([^}]*)\})")));
  // The title's first words (TeX may hyphenate or break the rest).
  const std::string head = title[1].str().substr(0, 20);
  EXPECT_TRUE(contains(*text, head)) << head << "\n" << *text;
  auto review = nlohmann::json::parse(read_file(idea / "review.txt"));
  EXPECT_TRUE(review::validate_review(review).empty()) << review.dump(2);
  EXPECT_TRUE(fs::exists(idea / "manifest.json"));
  EXPECT_TRUE(fs::exists(idea / "log.txt"));
  EXPECT_TRUE(fs::exists(run / "journal.sqlite"));
}

TEST(LaunchDemo, RunsOfflineEndToEndAndSaysTheAnswersAreRecorded) {
  Cli cli;
  // The README's command exactly: no flags, results/ under the working folder.
  const fs::path results = cli.home() / "results";
  auto r = cli.run({"launch"}, std::chrono::seconds(600));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "REPLAYED")) << r.err;
  EXPECT_TRUE(contains(r.out, "offline demo")) << r.out;
  EXPECT_TRUE(contains(r.out, ".pdf")) << r.out;
  EXPECT_TRUE(contains(r.out, "review.txt")) << r.out;
  expect_complete_demo(results);
}

// Starts the demo in the background and kills it with SIGKILL once `marker` shows up in the
// idea's log; returns false when the run ended before that.
bool kill_demo_at(Cli& cli, const fs::path& results, const std::string& marker) {
  std::vector<std::string> args = {AI_SCIENTIST_BINARY, "launch", "--results", results.string()};
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : cli.env())
    env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_strings)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data()) != 0) return false;
  posix_spawn_file_actions_destroy(&actions);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(10);
  bool killed = false;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) return false;  // ended on its own
    std::error_code ec;
    if (fs::exists(results / "grokking", ec)) {
      const fs::path idea = idea_folder(results);
      if (!idea.empty() && contains(read_file(idea / "log.txt"), marker)) {
        kill(pid, SIGKILL);
        killed = true;
        break;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return killed;
}

void killed_then_resumed(const std::string& marker) {
  Cli cli;
  const fs::path results = cli.home() / "results";
  ASSERT_TRUE(kill_demo_at(cli, results, marker)) << "the demo never reached " << marker;
  // The same command again continues the run.
  auto r = cli.run({"launch", "--results", results.string()}, std::chrono::seconds(600));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(contains(r.err, "resuming")) << r.err;
  expect_complete_demo(results);
  // One run folder and one idea folder: nothing was started twice.
  int folders = 0;
  for (const auto& e : fs::directory_iterator(results / "grokking"))
    folders += e.is_directory();
  EXPECT_EQ(folders, 2);
}

TEST(LaunchDemo, AKillMidExperimentIsResumedByTheSameCommand) {
  killed_then_resumed("running (attempt 1");
}

TEST(LaunchDemo, AKillMidWriteupIsResumedByTheSameCommand) {
  killed_then_resumed("writing: Method");
}

// ---- bad input: one line that says what to do, a non-zero exit ----------------------------

void expect_one_line_error(const test_support::CliRun& r, const std::string& part) {
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(contains(r.err, "error: ")) << r.err;
  EXPECT_TRUE(contains(r.err, part)) << r.err;
}

TEST(LaunchErrors, AnUnknownTemplate) {
  Cli cli;
  auto r = cli.run({"launch", "--model", "openai/gpt-4o", "--template", "nope"});
  expect_one_line_error(r, "no template 'nope'");
  EXPECT_TRUE(contains(r.err, "template list"));
}

TEST(LaunchErrors, ATemplateMissingFiles) {
  Cli cli;
  fs::copy(k_source / "templates" / "grokking", cli.home() / "broken", fs::copy_options::recursive);
  fs::remove(cli.home() / "broken" / "plot.py");
  auto r = cli.run(
      {"launch", "--model", "openai/gpt-4o", "--template", (cli.home() / "broken").string()});
  expect_one_line_error(r, "plot.py");
}

TEST(LaunchErrors, AnIdeasFileWithInvalidJson) {
  Cli cli;
  fs::copy(k_source / "templates" / "grokking", cli.home() / "t", fs::copy_options::recursive);
  std::ofstream(cli.home() / "t" / "ideas.json") << "[{\"Name\": ";
  cli.set_env("OPENAI_API_KEY", "sk-test-0123456789");
  auto r = cli.run({"launch", "--model", "openai/gpt-4o", "--template", (cli.home() / "t").string(),
                    "--skip-idea-generation", "--results", (cli.home() / "results").string()});
  expect_one_line_error(r, "not valid JSON");
}

TEST(LaunchErrors, AnUnreachableModel) {
  Cli cli;
  cli.set_env("OPENAI_API_KEY", "sk-test-0123456789");
  cli.set_env("OPENAI_BASE_URL", "http://127.0.0.1:9/v1");
  auto r =
      cli.run({"launch", "--model", "openai/gpt-4o", "--template", "grokking", "--max-attempts",
               "1", "--results", (cli.home() / "results").string(), "--skip-novelty-check"});
  expect_one_line_error(r, "127.0.0.1:9");
}

}  // namespace
