// The shipped templates: each one's baseline at smoke size runs in the sandbox through the real
// binary and yields a valid final_info.json and its plots. Copies are used, so the source tree
// stays clean.
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/cli_runner.h"
#include "support/temp_dir.h"

namespace {

using test_support::Cli;
using test_support::TempDir;

std::filesystem::path shipped(const std::string& name) {
  return std::filesystem::path(AI_SCIENTIST_SOURCE_DIR) / "templates" / name;
}

int count_pngs(const std::filesystem::path& dir) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    n += e.path().extension() == ".png";
  return n;
}

class ShippedTemplate : public testing::TestWithParam<std::string> {};

TEST_P(ShippedTemplate, IsCompleteAndItsSmokeBaselineRunsInTheSandbox) {
  TempDir work;
  auto copy = work.path() / GetParam();
  std::filesystem::copy(shipped(GetParam()), copy, std::filesystem::copy_options::recursive);
  Cli cli;
  auto check = cli.run({"template", "check", copy.string()});
  EXPECT_NE(check.out.find("1 problem(s)"), std::string::npos) << check.out;  // only no run_0
  EXPECT_NE(check.out.find("no baseline yet"), std::string::npos) << check.out;

  auto run = cli.run({"template", "baseline", copy.string(), "--smoke"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("run_0: ok"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("plot: ok"), std::string::npos) << run.out;
  std::ifstream in(copy / "run_0" / "final_info.json");
  auto info = nlohmann::json::parse(in, nullptr, false);
  ASSERT_TRUE(info.is_object() && !info.empty());
  for (const auto& [condition, value] : info.items()) {
    ASSERT_TRUE(value.contains("means")) << condition;
    EXPECT_TRUE(value["means"].is_object() || value["means"].is_number()) << condition;
  }
  EXPECT_GT(count_pngs(copy), 0);
  auto after = cli.run({"template", "check", copy.string()});
  EXPECT_EQ(after.exit_code, 0) << after.out;
}

INSTANTIATE_TEST_SUITE_P(Templates, ShippedTemplate,
                         testing::Values("grokking", "2d_diffusion", "nanogpt_lite"),
                         [](const auto& info) {
                           return info.param == "2d_diffusion" ? std::string("diffusion_2d")
                                                               : info.param;
                         });

TEST(TemplateList, ListsTheShippedTemplates) {
  Cli cli;
  auto run = cli.run({"template", "list"});
  EXPECT_EQ(run.exit_code, 0);
  for (const char* name : {"grokking", "2d_diffusion", "nanogpt_lite"}) {
    EXPECT_NE(run.out.find(name), std::string::npos) << run.out;
  }
}

TEST(TemplateCheck, NamesWhatIsMissing) {
  TempDir dir;
  dir.write_file("experiment.py", "print(1)\n");
  Cli cli;
  auto run = cli.run({"template", "check", dir.path().string()});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.out.find("prompt.json: missing"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("latex/template.tex: missing"), std::string::npos) << run.out;
}

TEST(ExperimentRun, ReportsTheOutcomeAsJson) {
  TempDir idea;
  idea.write_file(
      "experiment.py",
      "import argparse, json, os, sys\n"
      "p = argparse.ArgumentParser(); p.add_argument('--out_dir'); a = p.parse_args()\n"
      "os.makedirs(a.out_dir, exist_ok=True)\n"
      "print('secret:', os.environ.get('OPENAI_API_KEY'), file=sys.stderr)\n"
      "json.dump({'c': {'means': {'acc': 0.5}}}, open(a.out_dir + '/final_info.json', 'w'))\n");
  Cli cli;
  cli.set_env("OPENAI_API_KEY", "sk-must-not-reach-the-run-123");
  auto run = cli.run({"experiment", "run", "--dir", idea.path().string(), "--run", "2", "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  auto j = nlohmann::json::parse(run.out);
  EXPECT_EQ(j["ok"], true);
  EXPECT_DOUBLE_EQ(j["means"]["c"]["acc"].get<double>(), 0.5);
  EXPECT_NE(j["stderr_tail"].get<std::string>().find("secret: None"), std::string::npos)
      << j["stderr_tail"];
  EXPECT_TRUE(std::filesystem::exists(idea.path() / "run_2" / "stdout.txt"));
}

TEST(ExperimentRun, ATimeoutIsReported) {
  TempDir idea;
  idea.write_file("experiment.py", "import time\ntime.sleep(60)\n");
  Cli cli;
  auto run = cli.run({"experiment", "run", "--dir", idea.path().string(), "--timeout", "1"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.out.find("timed out after 1 s"), std::string::npos) << run.out;
}

}  // namespace
