#include "literature/local_index.h"

#include <gtest/gtest.h>

#include <thread>

#include "support/temp_dir.h"

namespace {

using literature::LocalIndex;

core::Paper paper(std::string title, std::string abstract, std::vector<std::string> authors = {},
                  std::optional<int> year = std::nullopt) {
  core::Paper p;
  p.title = std::move(title);
  p.abstract = std::move(abstract);
  p.authors = std::move(authors);
  p.year = year;
  return p;
}

std::unique_ptr<LocalIndex> open_memory() {
  auto index = LocalIndex::open(":memory:");
  EXPECT_TRUE(index) << index.error().describe();
  return std::move(*index);
}

std::vector<std::string> titles(const std::vector<core::Paper>& papers) {
  std::vector<std::string> out;
  for (const auto& p : papers)
    out.push_back(p.title);
  return out;
}

// A corpus where the right answer to each query is known.
std::vector<core::Paper> corpus() {
  return {
      paper("Attention Is All You Need",
            "We propose the Transformer, a network based solely on attention mechanisms.",
            {"Ashish Vaswani", "Noam Shazeer"}, 2017),
      paper("Deep Residual Learning for Image Recognition",
            "We present a residual learning framework to ease the training of deep networks.",
            {"Kaiming He", "Xiangyu Zhang"}, 2016),
      paper("Adam: A Method for Stochastic Optimization",
            "We introduce Adam, an algorithm for first-order gradient-based optimization.",
            {"Diederik Kingma", "Jimmy Ba"}, 2015),
      paper("Batch Normalization: Accelerating Deep Network Training",
            "Training deep networks is complicated by internal covariate shift; attention is not "
            "used here.",
            {"Sergey Ioffe", "Christian Szegedy"}, 2015),
      paper("A Survey of Optimization Methods for Transformers",
            "This survey covers stochastic optimization of transformer models, mentioning "
            "attention, residual connections and normalization.",
            {"Some Author"}, 2022),
      paper("Grokking: Generalization Beyond Overfitting on Small Algorithmic Datasets",
            "Neural networks generalize long after overfitting small algorithmic datasets.",
            {"Alethea Power"}, 2022),
  };
}

TEST(QueryTerms, SplitsLowercasesDropsStopWordsAndSyntax) {
  EXPECT_EQ(literature::query_terms("The \"Attention\" AND NEAR(x y) trans* -foo title:bar ^baz"),
            (std::vector<std::string>{"attention", "near", "x", "y", "trans", "foo", "title", "bar",
                                      "baz"}));
  // "AND" is dropped as the stop word "and"; only stop words are kept as they are.
  EXPECT_EQ(literature::query_terms("the of"), (std::vector<std::string>{"the", "of"}));
  EXPECT_TRUE(literature::query_terms("\"\" * - ( ) :").empty());
  EXPECT_EQ(literature::query_terms("Schrödinger équation"),
            (std::vector<std::string>{"schrödinger", "équation"}));
  EXPECT_EQ(literature::fts_match_expression({"a", "b"}, true), "\"a\" AND \"b\"");
  EXPECT_EQ(literature::fts_match_expression({"a", "b"}, false), "\"a\" OR \"b\"");
}

TEST(Normalize, Identifiers) {
  EXPECT_EQ(literature::normalize_doi("https://doi.org/10.1000/ABC"), "10.1000/abc");
  EXPECT_EQ(literature::normalize_doi(" doi:10.1000/X "), "10.1000/x");
  EXPECT_EQ(literature::normalize_arxiv_id("arXiv:2106.01234v3"), "2106.01234");
  EXPECT_EQ(literature::normalize_arxiv_id("https://arxiv.org/abs/hep-th/9901001v1"),
            "hep-th/9901001");
  EXPECT_EQ(literature::normalize_arxiv_id("2106.01234"), "2106.01234");
  EXPECT_EQ(literature::normalize_openalex_id("https://openalex.org/W123"), "W123");
  EXPECT_EQ(literature::normalize_title("  Deep   Learning: A Review! "), "deep learning a review");
}

TEST(LocalIndex, RanksTheKnownAnswerFirst) {
  auto index = open_memory();
  auto added = index->add(corpus());
  ASSERT_TRUE(added) << added.error().describe();
  EXPECT_EQ(added->added, 6);

  // Three papers mention attention; the one with it in its title wins.
  auto r = index->search("attention", 3);
  ASSERT_TRUE(r) << r.error().describe();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ(r->front().title, "Attention Is All You Need");
  r = index->search("Attention is all you need", 3);
  ASSERT_TRUE(r);
  ASSERT_FALSE(r->empty());
  EXPECT_EQ(r->front().title, "Attention Is All You Need");

  r = index->search("residual learning image recognition", 5);
  ASSERT_TRUE(r);
  ASSERT_FALSE(r->empty());
  EXPECT_EQ(r->front().title, "Deep Residual Learning for Image Recognition");

  // Title matches outrank abstract matches: both mention "stochastic optimization".
  r = index->search("stochastic optimization method", 5);
  ASSERT_TRUE(r);
  ASSERT_GE(r->size(), 2u);
  EXPECT_EQ(r->front().title, "Adam: A Method for Stochastic Optimization");

  // Authors are searchable; stemming matches "generalizes"/"generalization".
  r = index->search("kingma", 5);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(r->front().title, "Adam: A Method for Stochastic Optimization");
  r = index->search("generalizing overfit", 5);
  ASSERT_TRUE(r);
  ASSERT_FALSE(r->empty());
  EXPECT_EQ(r->front().title.substr(0, 8), "Grokking");
}

TEST(LocalIndex, AllWordsFirstThenAnyWordUpToLimit) {
  auto index = open_memory();
  ASSERT_TRUE(index->add(corpus()));
  // Only the survey has all three words; others have some.
  auto r = index->search("transformer residual normalization", 10);
  ASSERT_TRUE(r);
  ASSERT_GE(r->size(), 3u);
  EXPECT_EQ(r->front().title, "A Survey of Optimization Methods for Transformers");
  const std::vector<std::string> found = titles(*r);
  const std::set<std::string> unique(found.begin(), found.end());
  EXPECT_EQ(unique.size(), r->size()) << "no duplicates";
  auto limited = index->search("transformer residual normalization", 2);
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->size(), 2u);
  auto none = index->search("transformer", 0);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST(LocalIndex, FtsSyntaxInQueriesIsHarmless) {
  auto index = open_memory();
  ASSERT_TRUE(index->add(corpus()));
  for (const std::string q : {"\"attention",
                              "attention\"\"",
                              "attention AND",
                              "AND OR NOT",
                              "NEAR(attention residual, 2)",
                              "atten*",
                              "*",
                              "-attention",
                              "attention -residual",
                              "title:attention",
                              "{title}: adam",
                              "^attention",
                              "(((",
                              "attention) OR (",
                              "a\"b",
                              "'; DROP TABLE papers; --",
                              "\\",
                              "",
                              "   ",
                              "+",
                              "NOT attention",
                              "col1 : x"}) {
    auto r = index->search(q, 5);
    EXPECT_TRUE(r) << q << ": " << (r ? "" : r.error().describe());
  }
  // Words that are FTS5 operators are searched as plain words: "NOT" excludes nothing (the
  // survey mentions residual connections and is still found), and the one abstract that has
  // the word "not" ranks first.
  auto r = index->search("attention NOT residual", 10);
  ASSERT_TRUE(r);
  ASSERT_FALSE(r->empty());
  EXPECT_EQ(r->front().title, "Batch Normalization: Accelerating Deep Network Training");
  const std::vector<std::string> found = titles(*r);
  EXPECT_NE(
      std::find(found.begin(), found.end(), "A Survey of Optimization Methods for Transformers"),
      found.end());
  auto size = index->size();
  ASSERT_TRUE(size);
  EXPECT_EQ(*size, 6);
}

TEST(LocalIndex, ResultsCarrySourceAndBibtex) {
  auto index = open_memory();
  ASSERT_TRUE(index->add(corpus()));
  auto r = index->search("adam", 1);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 1u);
  const core::Paper& p = r->front();
  EXPECT_EQ(p.source, "local");
  EXPECT_EQ(p.authors, (std::vector<std::string>{"Diederik Kingma", "Jimmy Ba"}));
  EXPECT_EQ(p.year, 2015);
  EXPECT_TRUE(p.bibtex.starts_with("@misc{kingma2015adam,")) << p.bibtex;
  EXPECT_EQ(index->name(), "local");
}

TEST(LocalIndex, DedupesByAnySharedIdentifierAndMerges) {
  auto index = open_memory();
  core::Paper a = paper("Some Paper", "", {"A Person"}, 2020);
  a.doi = "10.1/XYZ";
  a.citation_count = 5;
  ASSERT_TRUE(index->add({a}));

  core::Paper b = paper("Some Paper (preprint)", "An abstract.", {}, 2019);
  b.doi = "https://doi.org/10.1/xyz";
  b.arxiv_id = "2001.00001v2";
  b.citation_count = 9;
  auto counts = index->add({b});
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->added, 0);
  EXPECT_EQ(counts->updated, 1);

  auto found = index->find("arxiv", "arXiv:2001.00001");
  ASSERT_TRUE(found);
  ASSERT_TRUE(found->has_value());
  const core::Paper& p = **found;
  EXPECT_EQ(p.title, "Some Paper");       // kept
  EXPECT_EQ(p.abstract, "An abstract.");  // filled
  EXPECT_EQ(p.year, 2020);
  EXPECT_EQ(p.citation_count, 9);  // the higher count
  EXPECT_EQ(p.doi, "10.1/xyz");

  // A third record with only an S2 id, then one linking it to the first: merged into one.
  core::Paper c = paper("Other Title", "", {}, 2021);
  c.s2_id = "abc";
  ASSERT_TRUE(index->add({c}));
  EXPECT_EQ(*index->size(), 2);
  core::Paper link;
  link.arxiv_id = "2001.00001";
  link.s2_id = "abc";
  counts = index->add({link});
  ASSERT_TRUE(counts) << counts.error().describe();
  EXPECT_EQ(*index->size(), 1);
  found = index->find("s2", "abc");
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->doi, "10.1/xyz");
  // The merged-away record's words are gone from the full-text index, the kept ones remain.
  auto r = index->search("other title", 5);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->empty());
  r = index->search("some paper abstract", 5);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->size(), 1u);
}

TEST(LocalIndex, DedupesByTitleAndYearUnlessIdentifiersDiffer) {
  auto index = open_memory();
  core::Paper a = paper("Learning to Learn", "", {}, 2016);
  a.arxiv_id = "1606.04474";
  ASSERT_TRUE(index->add({a}));
  core::Paper same = paper("LEARNING to learn!", "From the other source.", {}, 2016);
  same.openalex_id = "W1";
  auto counts = index->add({same});
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->updated, 1);
  EXPECT_EQ(*index->size(), 1);

  core::Paper other_year = paper("Learning to Learn", "", {}, 1998);
  core::Paper other_id = paper("Learning to Learn", "", {}, 2016);
  other_id.arxiv_id = "9999.99999";
  core::Paper nothing;
  counts = index->add({other_year, other_id, nothing});
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->added, 2);
  EXPECT_EQ(counts->skipped, 1);
  EXPECT_EQ(*index->size(), 3);
}

TEST(LocalIndex, PersistsAcrossOpensAndCreatesFolders) {
  test_support::TempDir dir;
  const auto path = dir.path() / "data" / "lit.db";
  {
    auto index = LocalIndex::open(path);
    ASSERT_TRUE(index) << index.error().describe();
    ASSERT_TRUE((*index)->add(corpus()));
  }
  auto index = LocalIndex::open(path);
  ASSERT_TRUE(index);
  auto r = (*index)->search("adam", 3);
  ASSERT_TRUE(r);
  ASSERT_FALSE(r->empty());
  EXPECT_EQ(r->front().title, "Adam: A Method for Stochastic Optimization");
}

TEST(LocalIndex, OpenFailsClearlyOnAFileThatIsNotADatabase) {
  test_support::TempDir dir;
  const auto path = dir.write_file("junk.db", std::string(4096, 'x'));
  auto index = LocalIndex::open(path);
  ASSERT_FALSE(index);
  EXPECT_EQ(index.error().code, core::ErrorCode::io);
  EXPECT_NE(index.error().message.find(path.string()), std::string::npos) << index.error().message;
}

TEST(LocalIndex, ConcurrentSearchesAndAddsAreSafe) {
  auto index = open_memory();
  ASSERT_TRUE(index->add(corpus()));
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        if (t % 2 == 0) {
          if (!index->search("attention", 3)) ++failures;
        } else {
          core::Paper p = paper("Paper " + std::to_string(t) + " " + std::to_string(i), "x");
          if (!index->add({p})) ++failures;
        }
      }
    });
  }
  for (auto& th : threads)
    th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(*index->size(), 6 + 100);
}

}  // namespace

namespace {

TEST(LocalIndex, WordsInMostPapersDoNotFilterOrRank) {
  auto index = open_memory();
  std::vector<core::Paper> papers;
  for (int i = 0; i < 1200; ++i) {
    papers.push_back(paper("Common study number w" + std::to_string(i), "Shared text."));
  }
  papers.push_back(paper("A rare finding", "Nothing shared."));
  ASSERT_TRUE(index->add(papers));
  // "common" is in nearly every paper: the rare paper without it still comes first.
  auto r = index->search("common rare finding", 3);
  ASSERT_TRUE(r);
  ASSERT_FALSE(r->empty());
  EXPECT_EQ(r->front().title, "A rare finding");
  // Only common words: the rarest is still searched.
  r = index->search("common shared", 5);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->size(), 5u);
}

}  // namespace
