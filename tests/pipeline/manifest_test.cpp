#include "pipeline/manifest.h"

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using core::ErrorCode;
using nlohmann::json;
using pipeline::Manifest;
using test_support::TempDir;

Manifest sample() {
  Manifest m;
  m.engine_version = "0.1.0";
  m.idea = "adaptive_lr";
  m.template_name = "nanoGPT_lite";
  m.template_hash = "sha256:" + std::string(64, 'a');
  m.writer_model = "openai/gpt-4o";
  m.reviewer_model = "anthropic/claude-3-5-sonnet";
  m.flags = {{"num_ideas", 2}, {"gpus", "0,1"}};
  m.seeds = {{"experiment", 7}, {"sampling", 42}};
  m.started = "2026-01-02T03:04:05.000Z";
  m.sandbox = {"network: none", "memory limit: 8 GiB (cgroup v1)"};
  m.no_sandbox = false;
  return m;
}

std::string hash_of(const fs::path& dir) {
  auto h = pipeline::hash_template(dir);
  EXPECT_TRUE(h) << (h ? "" : h.error().describe());
  return h ? *h : "";
}

// A small template in `dir`.
void write_template(const TempDir& dir, const std::string& under = "tmpl") {
  dir.write_file(under + "/experiment.py", "print('train')\n");
  dir.write_file(under + "/plot.py", "print('plot')\n");
  dir.write_file(under + "/prompt.json", R"({"system": "s", "task_description": "t"})");
  dir.write_file(under + "/latex/template.tex", "\\documentclass{article}\n");
}

TEST(Manifest, JsonHasEveryField) {
  const json j = pipeline::manifest_to_json(sample());
  EXPECT_EQ(j["manifest_version"], 1);
  EXPECT_EQ(j["engine_version"], "0.1.0");
  EXPECT_EQ(j["idea"], "adaptive_lr");
  EXPECT_EQ(j["template"], json({{"name", "nanoGPT_lite"}, {"hash", sample().template_hash}}));
  EXPECT_EQ(j["models"],
            json({{"writer", "openai/gpt-4o"}, {"reviewer", "anthropic/claude-3-5-sonnet"}}));
  EXPECT_EQ(j["flags"], sample().flags);
  EXPECT_EQ(j["seeds"], json({{"experiment", 7}, {"sampling", 42}}));
  EXPECT_EQ(j["started"], "2026-01-02T03:04:05.000Z");
  EXPECT_EQ(j["finished"], "");
  EXPECT_EQ(j["sandbox"]["enabled"], true);
  EXPECT_EQ(j["sandbox"]["description"],
            json::array({"network: none", "memory limit: 8 GiB (cgroup v1)"}));

  Manifest unsandboxed = sample();
  unsandboxed.no_sandbox = true;
  EXPECT_EQ(pipeline::manifest_to_json(unsandboxed)["sandbox"]["enabled"], false);
}

TEST(Manifest, WrittenAtomicallyAndReadBack) {
  TempDir dir;
  const fs::path file = dir.path() / "manifest.json";
  Manifest m = sample();
  ASSERT_TRUE(pipeline::write_manifest(file, m));
  m.finished = "2026-01-02T09:00:00.000Z";
  m.no_sandbox = true;
  ASSERT_TRUE(pipeline::write_manifest(file, m));  // replaces the first

  // Nothing but the manifest is left in the folder (no temporary files).
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir.path()))
    names.push_back(e.path().filename().string());
  EXPECT_EQ(names, std::vector<std::string>{"manifest.json"});

  auto back = pipeline::read_manifest(file);
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_EQ(pipeline::manifest_to_json(*back), pipeline::manifest_to_json(m));
  EXPECT_EQ(back->finished, "2026-01-02T09:00:00.000Z");
  EXPECT_TRUE(back->no_sandbox);
  EXPECT_EQ(back->seeds.at("sampling"), 42);
}

TEST(Manifest, WriteFailsWithIoWhereTheFolderIsMissing) {
  TempDir dir;
  auto r = pipeline::write_manifest(dir.path() / "no" / "such" / "manifest.json", sample());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::io);
}

TEST(Manifest, ReadingSaysWhatIsWrong) {
  TempDir dir;
  auto missing = pipeline::read_manifest(dir.path() / "manifest.json");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::io);

  auto not_json = pipeline::read_manifest(dir.write_file("bad.json", "{not json"));
  ASSERT_FALSE(not_json);
  EXPECT_EQ(not_json.error().code, ErrorCode::parse);

  json wrong = pipeline::manifest_to_json(sample());
  wrong["seeds"]["sampling"] = "forty-two";
  auto typed = pipeline::manifest_from_json(wrong, "m.json");
  ASSERT_FALSE(typed);
  EXPECT_EQ(typed.error().code, ErrorCode::parse);
  EXPECT_NE(typed.error().message.find("\"seeds\""), std::string::npos) << typed.error().message;

  json newer = pipeline::manifest_to_json(sample());
  newer["manifest_version"] = 99;
  auto future = pipeline::manifest_from_json(newer, "m.json");
  ASSERT_FALSE(future);
  EXPECT_NE(future.error().message.find("newer"), std::string::npos);

  auto sparse = pipeline::manifest_from_json(json{{"idea", "x"}}, "m.json");
  ASSERT_TRUE(sparse) << sparse.error().describe();
  EXPECT_EQ(sparse->idea, "x");
  EXPECT_FALSE(sparse->no_sandbox);
}

TEST(TemplateHash, PinnedFormat) {
  // The input is "file\0<path>\0<size>\0<contents>" per entry, in path order: pinned here so
  // a change of format is a deliberate one (it changes every recorded hash).
  TempDir dir;
  dir.write_file("t/a", "x");
  EXPECT_EQ(hash_of(dir.path() / "t"),
            "sha256:0d67d5b8d48faf3be19ab6196f20738bb2d1f9032e7be8046743f117556ed543");
  dir.write_file("t/sub/c.py", "hi");
  fs::create_symlink("a", dir.path() / "t" / "b");
  EXPECT_EQ(hash_of(dir.path() / "t"),
            "sha256:3e3cbb48b5a6ced8870377dac0a5b737aa149da23b0803134a5eb49d17088754");
}

TEST(TemplateHash, SameFilesSameHashWhereverTheyAreAndWhenTouched) {
  TempDir dir;
  write_template(dir, "one");
  write_template(dir, "elsewhere/two");
  const std::string h = hash_of(dir.path() / "one");
  ASSERT_EQ(h.size(), 7u + 64u);
  EXPECT_EQ(h.rfind("sha256:", 0), 0u);
  EXPECT_EQ(hash_of(dir.path() / "elsewhere" / "two"), h);
  EXPECT_EQ(hash_of(dir.path() / "one"), h);  // stable from call to call

  fs::last_write_time(dir.path() / "one" / "plot.py",
                      fs::last_write_time(dir.path() / "one" / "plot.py") - std::chrono::hours(5));
  fs::permissions(dir.path() / "one" / "experiment.py", fs::perms::owner_exec,
                  fs::perm_options::add);
  EXPECT_EQ(hash_of(dir.path() / "one"), h);
}

TEST(TemplateHash, RunOutputsAndBytecodeAreNotPartOfTheTemplate) {
  TempDir dir;
  write_template(dir);
  const fs::path t = dir.path() / "tmpl";
  const std::string h = hash_of(t);
  dir.write_file("tmpl/run_0/final_info.json", R"({"loss": {"means": 1.0}})");
  dir.write_file("tmpl/run_12/log.txt", "epoch 1");
  dir.write_file("tmpl/__pycache__/experiment.cpython-311.pyc", "bytecode");
  dir.write_file("tmpl/latex/__pycache__/x.pyc", "bytecode");
  EXPECT_EQ(hash_of(t), h);

  // Names that only look like outputs are part of it.
  for (const char* file : {"tmpl/run_utils/helpers.py", "tmpl/run_1.py", "tmpl/sub/run_3/x.txt"}) {
    dir.write_file(file, "content");
    const std::string now = hash_of(t);
    EXPECT_NE(now, h) << file << " was not hashed";
    fs::remove(t / fs::path(file).lexically_relative("tmpl"));
  }
}

TEST(TemplateHash, AnyEditAdditionRemovalOrRenameChangesIt) {
  TempDir dir;
  write_template(dir);
  const fs::path t = dir.path() / "tmpl";
  const std::string h = hash_of(t);

  dir.write_file("tmpl/plot.py", "print('plot!')\n");
  const std::string edited = hash_of(t);
  EXPECT_NE(edited, h);
  dir.write_file("tmpl/plot.py", "print('plot')\n");
  EXPECT_EQ(hash_of(t), h);

  dir.write_file("tmpl/seed_ideas.json", "[]");
  EXPECT_NE(hash_of(t), h);
  fs::remove(t / "seed_ideas.json");
  EXPECT_EQ(hash_of(t), h);

  fs::rename(t / "plot.py", t / "plot2.py");
  EXPECT_NE(hash_of(t), h);
  fs::rename(t / "plot2.py", t / "plot.py");

  // Moving bytes from one file to the next is a change, though the concatenation is the same.
  dir.write_file("tmpl/a.txt", "ab");
  dir.write_file("tmpl/b.txt", "c");
  const std::string split1 = hash_of(t);
  dir.write_file("tmpl/a.txt", "a");
  dir.write_file("tmpl/b.txt", "bc");
  EXPECT_NE(hash_of(t), split1);

  fs::create_directories(t / "empty_folder");  // folders carry no content of their own
  const std::string with_folder = hash_of(t);
  fs::remove(t / "empty_folder");
  EXPECT_EQ(hash_of(t), with_folder);
}

TEST(TemplateHash, FailsWithIoForWhatIsNotAFolder) {
  TempDir dir;
  auto missing = pipeline::hash_template(dir.path() / "nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::io);
  auto file = pipeline::hash_template(dir.write_file("f.txt", "x"));
  ASSERT_FALSE(file);
  EXPECT_EQ(file.error().code, ErrorCode::io);
}

}  // namespace
