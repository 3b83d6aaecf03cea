// `ai-scientist lit import` and `lit search` end to end: the real binary, a dump written here, and
// a loopback Semantic Scholar.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/cli_runner.h"
#include "support/fake_literature_servers.h"
#include "support/temp_dir.h"

namespace {

constexpr const char* k_dump =
    R"({"id": "2201.02177", "title": "Grokking: Generalization Beyond Overfitting on Small Algorithmic Datasets", "authors": "Alethea Power, Yuri Burda", "abstract": "Generalization of neural networks on small algorithmically generated datasets.", "update_date": "2022-01-06"}
{"id": "1706.03762", "title": "Attention Is All You Need", "authors": "Ashish Vaswani, Noam Shazeer", "abstract": "Sequence transduction with attention only.", "update_date": "2017-06-12"}
this line is not JSON
)";

TEST(Lit, ImportsADumpOnceAndSearchesIt) {
  test_support::TempDir dir;
  auto dump = dir.write_file("arxiv.jsonl", k_dump);
  auto db = (dir.path() / "index.sqlite").string();
  test_support::Cli cli;
  auto first = cli.run({"lit", "import", "--format", "arxiv", dump.string(), "--lit-db", db});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("2 papers added, 0 updated, 1 malformed line(s) skipped"),
            std::string::npos)
      << first.out;
  auto again = cli.run({"lit", "import", "--format", "arxiv", dump.string(), "--lit-db", db});
  EXPECT_NE(again.out.find("now holds 2 papers"), std::string::npos) << again.out;
  auto found = cli.run({"lit", "search", "grokking small datasets", "--lit-db", db, "--json"});
  ASSERT_EQ(found.exit_code, 0) << found.err;
  auto j = nlohmann::json::parse(found.out);
  EXPECT_EQ(j["source"], "local");
  ASSERT_FALSE(j["papers"].empty());
  EXPECT_EQ(j["papers"][0]["arxiv_id"], "2201.02177");
  EXPECT_NE(j["papers"][0]["bibtex"].get<std::string>().find("@"), std::string::npos);
}

TEST(Lit, SearchesSemanticScholarAndKeepsWhatItSaw) {
  test_support::TempDir dir;
  auto db = (dir.path() / "index.sqlite").string();
  test_support::FakeSemanticScholarServer s2;
  test_support::S2Paper paper;
  paper.title = "Omnigrok: Grokking Beyond Algorithmic Data";
  paper.authors = {"Ziming Liu", "Eric J. Michaud", "Max Tegmark"};
  paper.year = 2023;
  s2.enqueue_search(test_support::s2_search_reply({paper}));
  test_support::Cli cli;
  cli.set_env("S2_BASE_URL", s2.base_url());
  cli.set_env("S2_API_KEY", "s2-test-key-123456");
  auto remote = cli.run({"lit", "search", "omnigrok", "--source", "s2", "--lit-db", db});
  ASSERT_EQ(remote.exit_code, 0) << remote.err;
  EXPECT_NE(remote.out.find("1 result(s) from s2"), std::string::npos) << remote.out;
  EXPECT_NE(remote.out.find("Omnigrok"), std::string::npos);
  EXPECT_EQ(s2.requests().at(0).headers.at("x-api-key"), "s2-test-key-123456");
  // The paper is now in the local index.
  auto local = cli.run({"lit", "search", "omnigrok", "--lit-db", db});
  EXPECT_NE(local.out.find("1 result(s) from local"), std::string::npos) << local.out;
}

}  // namespace

namespace {

TEST(Lit, AutoSaysWhichSourceAnsweredAndARepeatComesFromTheCache) {
  test_support::TempDir dir;
  auto db = (dir.path() / "index.sqlite").string();
  test_support::FakeSemanticScholarServer s2;
  test_support::S2Paper paper;
  paper.title = "Progress Measures for Grokking via Mechanistic Interpretability";
  s2.enqueue_search(test_support::s2_search_reply({paper}));
  test_support::Cli cli;
  cli.set_env("S2_BASE_URL", s2.base_url());
  auto first = cli.run({"lit", "search", "progress measures grokking", "--source", "auto",
                        "--lit-db", db, "--json"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  auto j = nlohmann::json::parse(first.out);
  EXPECT_EQ(j["source"], "s2");
  auto again = cli.run({"lit", "search", "progress measures grokking", "--source", "auto",
                        "--lit-db", db, "--json"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(nlohmann::json::parse(again.out)["papers"].size(), 1u);
  EXPECT_EQ(s2.requests().size(), 1u);  // the second answer came from the cache
}

}  // namespace
