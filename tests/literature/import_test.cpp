#include "literature/import.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include "support/temp_dir.h"

namespace {

using literature::Format;
using literature::LocalIndex;

std::unique_ptr<LocalIndex> open_memory() {
  auto index = LocalIndex::open(":memory:");
  EXPECT_TRUE(index) << index.error().describe();
  return std::move(*index);
}

std::filesystem::path write_gz(const test_support::TempDir& dir, const std::string& name,
                               const std::string& text) {
  const auto path = dir.path() / name;
  gzFile f = gzopen(path.c_str(), "wb");
  EXPECT_NE(f, nullptr);
  EXPECT_EQ(gzwrite(f, text.data(), static_cast<unsigned>(text.size())),
            static_cast<int>(text.size()));
  gzclose(f);
  return path;
}

// Bibliographic facts only; abstracts are short neutral texts written for the test.
const std::string kArxiv =
    R"({"id":"1706.03762","submitter":"X","authors":"Ashish Vaswani, Noam Shazeer and Niki Parmar","title":"Attention Is All\n  You Need","comments":null,"journal-ref":null,"doi":null,"abstract":"  A sequence model built\n from attention layers.\n","versions":[{"version":"v1","created":"Mon, 12 Jun 2017 17:57:34 GMT"},{"version":"v5","created":"Wed, 6 Dec 2017 03:30:32 GMT"}],"update_date":"2023-08-02","authors_parsed":[["Vaswani","Ashish",""],["Shazeer","Noam",""],["Parmar","Niki",""]]})"
    "\n"
    R"({"id":"hep-th/9901001","authors":"J. Doe and R. Roe","title":"Strings on a Lattice","journal-ref":"Phys. Rev. D 60 (1999) 1","doi":"10.1103/PhysRevD.60.000001","abstract":"Lattice strings.","update_date":"1999-01-05"})"
    "\n"
    "{this is not json\n"
    "\n"
    R"({"id":"2001.00001","title":"","abstract":"No title here."})"
    "\n";

const std::string kOpenAlex =
    R"({"id":"https://openalex.org/W2963403868","doi":"https://doi.org/10.48550/arXiv.1706.03762","title":"Attention Is All You Need","display_name":"Attention Is All You Need","publication_year":2017,"cited_by_count":100000,"authorships":[{"author":{"display_name":"Ashish Vaswani"}},{"author":{"display_name":"Noam Shazeer"}}],"primary_location":{"source":{"display_name":"Neural Information Processing Systems"},"landing_page_url":"https://example.org/aiayn"},"abstract_inverted_index":{"A":[0],"model":[2],"attention":[4],"sequence":[1],"of":[3]}})"
    "\n"
    R"({"id":"https://openalex.org/W1","doi":null,"title":null,"display_name":"Graph Networks for Molecules","publication_year":2020,"cited_by_count":3,"authorships":[],"primary_location":{"source":null},"abstract_inverted_index":null})"
    "\n"
    R"([1,2,3])"
    "\n";

const std::string kS2 =
    R"({"corpusid":13756489,"externalids":{"ArXiv":"1706.03762","DOI":null,"CorpusId":"13756489"},"url":"https://www.semanticscholar.org/paper/204e3073870fae3d05bcbc2f6a8e263d9b72e776","title":"Attention is All you Need","authors":[{"authorId":"1","name":"Ashish Vaswani"}],"venue":"Neural Information Processing Systems","year":2017,"citationcount":120000})"
    "\n"
    R"({"paperId":"abc123","externalIds":{"DOI":"10.1/ROBOT"},"title":"Robots That Learn","authors":[{"name":"R. Obot"}],"venue":"","year":2019,"citationCount":7,"abstract":"Robots learning."})"
    "\n"
    R"({"corpusid":5,"title":"Truncated)"
    "\n";

TEST(ImportRecord, ArxivFieldsAreMapped) {
  const auto j = nlohmann::json::parse(kArxiv.substr(0, kArxiv.find('\n')));
  auto p = literature::paper_from_record(j, Format::arxiv);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->title, "Attention Is All You Need");
  EXPECT_EQ(p->abstract, "A sequence model built from attention layers.");
  EXPECT_EQ(p->authors,
            (std::vector<std::string>{"Ashish Vaswani", "Noam Shazeer", "Niki Parmar"}));
  EXPECT_EQ(p->year, 2017);
  EXPECT_EQ(p->arxiv_id, "1706.03762");
  EXPECT_EQ(p->url, "https://arxiv.org/abs/1706.03762");
}

TEST(ImportRecord, OpenAlexAbstractIsRebuiltFromTheInvertedIndex) {
  const auto j = nlohmann::json::parse(kOpenAlex.substr(0, kOpenAlex.find('\n')));
  auto p = literature::paper_from_record(j, Format::openalex);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->abstract, "A sequence model of attention");
  EXPECT_EQ(p->venue, "Neural Information Processing Systems");
  EXPECT_EQ(p->citation_count, 100000);
  EXPECT_EQ(p->openalex_id, "https://openalex.org/W2963403868");
  EXPECT_EQ(p->authors.size(), 2u);
}

TEST(ImportRecord, S2IdsFromDatasetAndApiShapes) {
  const auto j = nlohmann::json::parse(kS2.substr(0, kS2.find('\n')));
  auto p = literature::paper_from_record(j, Format::s2);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->s2_id, "204e3073870fae3d05bcbc2f6a8e263d9b72e776");
  EXPECT_EQ(p->arxiv_id, "1706.03762");
  EXPECT_EQ(p->citation_count, 120000);
  EXPECT_EQ(p->year, 2017);
  auto bad_types = nlohmann::json::parse(R"({"title":"T","authors":"not a list","year":"x"})");
  auto q = literature::paper_from_record(bad_types, Format::s2);
  ASSERT_TRUE(q);
  EXPECT_TRUE(q->authors.empty());
  EXPECT_EQ(q->year, std::nullopt);
}

TEST(Import, ArxivPlainFileCountsAndSkipsMalformedLines) {
  test_support::TempDir dir;
  auto index = open_memory();
  const auto path = dir.write_file("arxiv.json", kArxiv);
  int calls = 0;
  auto counts = literature::import_file(*index, path, Format::arxiv,
                                        [&](const literature::ImportCounts&, long long bytes) {
                                          ++calls;
                                          EXPECT_GT(bytes, 0);
                                        },
                                        {.batch_size = 1});
  ASSERT_TRUE(counts) << counts.error().describe();
  EXPECT_EQ(counts->read, 4);  // the blank line is not counted
  EXPECT_EQ(counts->added, 2);
  EXPECT_EQ(counts->skipped, 2);  // not JSON; no title
  EXPECT_EQ(calls, 2);
  auto r = index->search("strings lattice", 5);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ(r->front().doi, "10.1103/physrevd.60.000001");
  EXPECT_EQ(r->front().venue, "Phys. Rev. D 60 (1999) 1");
  EXPECT_EQ(r->front().year, 1999);
  EXPECT_EQ(r->front().authors, (std::vector<std::string>{"J. Doe", "R. Roe"}));
}

TEST(Import, EachFormatGzippedAndPlainWithoutDuplicates) {
  test_support::TempDir dir;
  auto index = open_memory();
  const auto arxiv = write_gz(dir, "arxiv.json.gz", kArxiv);
  const auto openalex = write_gz(dir, "works.gz", kOpenAlex);
  const auto s2 = dir.write_file("papers.jsonl", kS2);

  auto a = literature::import_file(*index, arxiv, Format::arxiv);
  ASSERT_TRUE(a) << a.error().describe();
  EXPECT_EQ(a->added, 2);
  EXPECT_EQ(a->skipped, 2);

  // OpenAlex's copy of "Attention" has an arXiv DOI but no arXiv id, and a title+year match.
  auto o = literature::import_file(*index, openalex, Format::openalex);
  ASSERT_TRUE(o) << o.error().describe();
  EXPECT_EQ(o->read, 3);
  EXPECT_EQ(o->added, 1);
  EXPECT_EQ(o->updated, 1);
  EXPECT_EQ(o->skipped, 1);

  // S2's copy shares the arXiv id.
  auto s = literature::import_file(*index, s2, Format::s2);
  ASSERT_TRUE(s) << s.error().describe();
  EXPECT_EQ(s->read, 3);
  EXPECT_EQ(s->added, 1);
  EXPECT_EQ(s->updated, 1);
  EXPECT_EQ(s->skipped, 1);
  EXPECT_EQ(*index->size(), 4);

  auto r = index->search("attention", 5);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->size(), 1u);
  const core::Paper& p = r->front();
  EXPECT_EQ(p.arxiv_id, "1706.03762");
  EXPECT_EQ(p.openalex_id, "W2963403868");
  EXPECT_EQ(p.s2_id, "204e3073870fae3d05bcbc2f6a8e263d9b72e776");
  EXPECT_EQ(p.citation_count, 120000);

  // Running all three again adds nothing.
  for (auto [path, format] : {std::pair{arxiv, Format::arxiv},
                              std::pair{openalex, Format::openalex}, std::pair{s2, Format::s2}}) {
    auto again = literature::import_file(*index, path, format);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->added, 0) << path;
  }
  EXPECT_EQ(*index->size(), 4);
}

TEST(Import, LargeBatchesAndLongLines) {
  test_support::TempDir dir;
  auto index = open_memory();
  std::string text;
  const std::string long_abstract(600000, 'x');  // longer than one read chunk
  for (int i = 0; i < 2500; ++i) {
    nlohmann::json j = {{"paperId", "p" + std::to_string(i)},
                        {"title", "Paper number " + std::to_string(i)},
                        {"year", 2000 + i % 20}};
    if (i == 7) j["abstract"] = long_abstract;
    text += j.dump() + (i % 2 ? "\r\n" : "\n");
  }
  text.pop_back();  // no final newline
  const auto path = write_gz(dir, "s2.jsonl.gz", text);
  auto counts = literature::import_file(*index, path, Format::s2, {}, {.batch_size = 1000});
  ASSERT_TRUE(counts) << counts.error().describe();
  EXPECT_EQ(counts->read, 2500);
  EXPECT_EQ(counts->added, 2500);
  EXPECT_EQ(counts->skipped, 0);
  auto found = index->find("s2", "p7");
  ASSERT_TRUE(found && found->has_value());
  EXPECT_EQ((*found)->abstract.size(), long_abstract.size());
}

TEST(Import, MissingFileAndTruncatedGzipAreIoErrors) {
  test_support::TempDir dir;
  auto index = open_memory();
  auto missing = literature::import_file(*index, dir.path() / "nope.gz", Format::arxiv);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, core::ErrorCode::io);
  EXPECT_NE(missing.error().message.find("nope.gz"), std::string::npos);

  std::string text;
  for (int i = 0; i < 2000; ++i) {
    text += R"({"id":"x)" + std::to_string(i) + R"(","title":"Paper )" + std::to_string(i) +
            " with some words to compress\"}\n";
  }
  const auto path = write_gz(dir, "full.gz", text);
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto cut = dir.path() / "cut.gz";
  std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  auto truncated = literature::import_file(*index, cut, Format::arxiv);
  ASSERT_FALSE(truncated);
  EXPECT_EQ(truncated.error().code, core::ErrorCode::io);
}

TEST(Import, ParseFormat) {
  EXPECT_EQ(*literature::parse_format("openalex"), Format::openalex);
  EXPECT_EQ(*literature::parse_format("s2"), Format::s2);
  EXPECT_EQ(*literature::parse_format("arxiv"), Format::arxiv);
  auto bad = literature::parse_format("pubmed");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, core::ErrorCode::invalid_argument);
}

}  // namespace
