#include "experiment/template.h"

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace {

using core::ErrorCode;
using experiment::parse_template_toml;
using test_support::TempDir;

void write_minimal_template(const TempDir& dir) {
  dir.write_file("experiment.py", "print('hi')\n");
  dir.write_file("plot.py", "print('plot')\n");
  dir.write_file("prompt.json", R"({"system": "You are a researcher.", "task_description": "T"})");
  dir.write_file("seed_ideas.json",
                 R"([{"Name": "a", "Title": "A", "Experiment": "E", "Interestingness": 5,
                      "Feasibility": 5, "Novelty": 5}])");
  dir.write_file("latex/template.tex", "\\documentclass{article}\n");
}

TEST(TemplateToml, DefaultsAreThoseOfAPythonTemplate) {
  auto c = parse_template_toml("", "template.toml");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->run_command,
            (std::vector<std::string>{"{python}", "experiment.py", "--out_dir={out_dir}"}));
  EXPECT_EQ(c->run_timeout, std::chrono::seconds(7200));
  EXPECT_EQ(c->plot_timeout, std::chrono::seconds(600));
  EXPECT_EQ(c->editable, (std::vector<std::string>{"experiment.py", "plot.py", "notes.txt"}));
  EXPECT_EQ(c->smoke_env.at("AI_SCIENTIST_SMOKE"), "1");
}

TEST(TemplateToml, ReadsEverySection) {
  auto c = parse_template_toml(R"(
[run]
command = ["cargo", "run", "--release", "--", "{out_dir}"]
timeout = 600
interpreter = "/opt/py/bin/python3"
[plot]
command = ["{python}", "plots.py"]
timeout = 60
[lint]
command = ["cargo", "check"]
[agent]
editable = ["src/main.rs", "plots.py", "notes.txt"]
[resources]
gpus = 2
memory_mb = 4096
processes = 64
[data]
read_only = ["data"]
[smoke]
env = { FAST = "1" }
args = ["--steps", "10"]
)",
                               "template.toml");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->run_command.front(), "cargo");
  EXPECT_EQ(c->run_timeout, std::chrono::seconds(600));
  EXPECT_EQ(c->interpreter, "/opt/py/bin/python3");
  EXPECT_EQ(c->plot_command.back(), "plots.py");
  EXPECT_EQ(c->lint_command, (std::vector<std::string>{"cargo", "check"}));
  EXPECT_EQ(c->editable.front(), "src/main.rs");
  EXPECT_EQ(c->gpus, 2);
  EXPECT_EQ(c->memory_mb, 4096u);
  EXPECT_EQ(c->processes, 64);
  EXPECT_EQ(c->read_only, (std::vector<std::string>{"data"}));
  EXPECT_EQ(c->smoke_env, (std::map<std::string, std::string>{{"FAST", "1"}}));
  EXPECT_EQ(c->smoke_args, (std::vector<std::string>{"--steps", "10"}));
}

TEST(TemplateToml, MistakesAreNamedWithTheKey) {
  auto typo = parse_template_toml("[run]\ntimout = 5\n", "t.toml");
  ASSERT_FALSE(typo);
  EXPECT_EQ(typo.error().code, ErrorCode::parse);
  EXPECT_NE(typo.error().message.find("unknown key [run] timout"), std::string::npos)
      << typo.error().message;
  auto type = parse_template_toml("[run]\ntimeout = \"long\"\n", "t.toml");
  ASSERT_FALSE(type);
  EXPECT_NE(type.error().message.find("[run] timeout must be a non-negative integer"),
            std::string::npos)
      << type.error().message;
  auto section = parse_template_toml("[runs]\n", "t.toml");
  ASSERT_FALSE(section);
  EXPECT_NE(section.error().message.find("unknown or malformed section [runs]"), std::string::npos);
  auto syntax = parse_template_toml("[run\n", "t.toml");
  ASSERT_FALSE(syntax);
  EXPECT_NE(syntax.error().message.find("t.toml:1:"), std::string::npos) << syntax.error().message;
  auto escape = parse_template_toml("[data]\nread_only = [\"../secrets\"]\n", "t.toml");
  ASSERT_FALSE(escape);
}

TEST(CheckTemplate, AnAiScientistStyleTemplateIsComplete) {
  TempDir dir;
  write_minimal_template(dir);
  EXPECT_TRUE(experiment::check_template(dir.path()).empty());
  auto t = experiment::load_template(dir.path());
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_FALSE(t->has_toml);
  EXPECT_EQ(t->prompt["task_description"], "T");
  EXPECT_EQ(t->seed_ideas.size(), 1u);
}

TEST(CheckTemplate, SaysEverythingThatIsMissingAtOnce) {
  TempDir dir;
  dir.write_file("prompt.json", R"({"system": "x"})");
  dir.write_file("seed_ideas.json", "{}");
  auto problems = experiment::check_template(dir.path());
  auto has = [&](const std::string& text) {
    for (const auto& p : problems) {
      if (p.find(text) != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("experiment.py: missing")) << testing::PrintToString(problems);
  EXPECT_TRUE(has("plot.py: missing"));
  EXPECT_TRUE(has("prompt.json: missing \"task_description\""));
  EXPECT_TRUE(has("seed_ideas.json: not a JSON list"));
  EXPECT_TRUE(has("latex/template.tex: missing"));
  auto load = experiment::load_template(dir.path());
  ASSERT_FALSE(load);
  EXPECT_EQ(load.error().code, ErrorCode::config);
}

TEST(ReadMeans, AcceptsMetricObjectsAndBareNumbers) {
  TempDir dir;
  dir.write_file("run_1/final_info.json",
                 R"({"x_plus_y": {"means": {"final_val_acc": 0.99}, "stderrs": {}},
                     "bare": {"means": 0.5}})");
  auto means = experiment::read_means(dir.path() / "run_1");
  ASSERT_TRUE(means) << means.error().message;
  EXPECT_DOUBLE_EQ((*means)["x_plus_y"]["final_val_acc"].get<double>(), 0.99);
  EXPECT_DOUBLE_EQ((*means)["bare"].get<double>(), 0.5);
}

TEST(ReadMeans, ExplainsAMissingOrMalformedFile) {
  TempDir dir;
  auto missing = experiment::read_means(dir.path() / "run_1");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::io);
  EXPECT_NE(missing.error().message.find("final_info.json was not written"), std::string::npos);
  dir.write_file("run_2/final_info.json", R"({"a": {"mean": 1}})");
  auto malformed = experiment::read_means(dir.path() / "run_2");
  ASSERT_FALSE(malformed);
  EXPECT_EQ(malformed.error().code, ErrorCode::parse);
  EXPECT_NE(malformed.error().message.find("\"a\" has no \"means\""), std::string::npos);
}

TEST(ExpandCommand, FillsInThePythonAndTheRunFolder) {
  EXPECT_EQ(experiment::expand_command({"{python}", "experiment.py", "--out_dir={out_dir}"},
                                       "/usr/bin/python3", "run_3"),
            (std::vector<std::string>{"/usr/bin/python3", "experiment.py", "--out_dir=run_3"}));
}

}  // namespace

namespace {

TEST(ReadMeans, PythonsNanAndInfinityAreReadAsNull) {
  TempDir dir;
  dir.write_file("run_1/final_info.json",
                 R"({"diverged": {"means": {"loss": NaN, "grad": Infinity, "low": -Infinity,
                     "note_in_string": 1}}, "label NaN": {"means": 2}})");
  auto means = experiment::read_means(dir.path() / "run_1");
  ASSERT_TRUE(means) << means.error().message;
  EXPECT_TRUE((*means)["diverged"]["loss"].is_null());
  EXPECT_TRUE((*means)["diverged"]["grad"].is_null());
  EXPECT_TRUE((*means)["diverged"]["low"].is_null());
  EXPECT_EQ((*means)["label NaN"], 2);
}

TEST(ReadMeans, MetricsMustBeNumbers) {
  TempDir dir;
  dir.write_file("run_1/final_info.json", R"({"c": {"means": {"loss": "low"}}})");
  auto means = experiment::read_means(dir.path() / "run_1");
  ASSERT_FALSE(means);
  EXPECT_NE(means.error().message.find("metric -> number"), std::string::npos);
}

}  // namespace
