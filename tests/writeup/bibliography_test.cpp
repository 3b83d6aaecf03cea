#include "writeup/bibliography.h"

#include <fstream>

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace {

using test_support::TempDir;

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

core::Paper paper(std::string title, std::string family, int year) {
  core::Paper p;
  p.title = std::move(title);
  p.authors = {"Ann " + family};
  p.year = year;
  p.venue = "Journal of Tests";
  return p;
}

TEST(Bibliography, AddsEntriesUnderUniqueKeysAndKeepsTheOldOnes) {
  TempDir dir;
  dir.write_file("references.bib", "@article{smith2020deep,\n  title = {Deep Things},\n}\n");
  auto bib = writeup::Bibliography::load(dir.path() / "references.bib");
  ASSERT_TRUE(bib);
  EXPECT_TRUE(bib->keys().contains("smith2020deep"));
  // Same author, year and first word as the existing entry, another paper: another key.
  const auto a = bib->add(paper("Deep Learning of Widgets", "Smith", 2020));
  const auto b = bib->add(paper("Deep Learning of Gadgets", "Smith", 2020));
  EXPECT_EQ(a, "smith2020deepb");
  EXPECT_EQ(b, "smith2020deepc");
  ASSERT_TRUE(bib->save());
  const auto text = read_file(dir.path() / "references.bib");
  EXPECT_NE(text.find("@article{smith2020deep,"), std::string::npos) << text;
  EXPECT_NE(text.find("smith2020deepb,"), std::string::npos) << text;
  EXPECT_NE(text.find("Widgets"), std::string::npos) << text;
  auto reread = writeup::Bibliography::load(dir.path() / "references.bib");
  EXPECT_EQ(reread->keys().size(), 3u);
}

TEST(Bibliography, APaperAlreadyPresentKeepsItsKey) {
  TempDir dir;
  dir.write_file("refs.bib",
                 "@inproceedings{vaswani2017attention,\n  title = {Attention Is All You Need},\n"
                 "  year = {2017}\n}\n");
  auto bib = writeup::Bibliography::load(dir.path() / "refs.bib");
  ASSERT_TRUE(bib);
  EXPECT_EQ(bib->add(paper("Attention is all you need.", "Vaswani", 2017)), "vaswani2017attention");
  core::Paper with_doi = paper("Some Title Here", "Doe", 2019);
  with_doi.doi = "10.1000/XYZ";
  const auto key = bib->add(with_doi);
  core::Paper same_doi = paper("Another Rendering Of It", "Doe", 2019);
  same_doi.doi = "10.1000/xyz";
  EXPECT_EQ(bib->add(same_doi), key);
}

TEST(Bibliography, ASourcesOwnEntryIsRekeyedAndABrokenOneRebuilt) {
  TempDir dir;
  auto bib = writeup::Bibliography::load(dir.path() / "new.bib");
  ASSERT_TRUE(bib);  // a missing file is an empty bibliography
  core::Paper p = paper("Grokking Explained", "Power", 2022);
  p.bibtex = "@article{Power2022Grok,\n  title = {Grokking Explained},\n  year = {2022}\n}";
  const auto key = bib->add(p);
  core::Paper broken = paper("Omnigrok Revisited", "Liu", 2023);
  broken.bibtex = "not bibtex at all";
  const auto key2 = bib->add(broken);
  ASSERT_TRUE(bib->save());
  const auto text = read_file(dir.path() / "new.bib");
  EXPECT_NE(text.find("@article{" + key + ","), std::string::npos) << text;
  EXPECT_EQ(text.find("Power2022Grok"), std::string::npos) << text;
  EXPECT_NE(text.find("{" + key2 + ","), std::string::npos) << text;
  EXPECT_EQ(text.find("not bibtex"), std::string::npos) << text;
}

TEST(Bibliography, ThePathComesFromTheUncommentedBibliographyCommand) {
  const std::filesystem::path tex = "/paper/latex/template.tex";
  EXPECT_EQ(writeup::bibliography_path(tex, "% \\bibliography{old}\n\\bibliography{refs}\n"),
            "/paper/latex/refs.bib");
  EXPECT_EQ(writeup::bibliography_path(tex, "no bibliography"), "/paper/latex/references.bib");
  EXPECT_EQ(writeup::bibliography_path(tex, "\\bibliography{a.bib,b}"), "/paper/latex/a.bib");
}

}  // namespace
