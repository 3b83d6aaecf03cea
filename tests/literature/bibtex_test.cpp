#include "literature/bibtex.h"

#include <gtest/gtest.h>

namespace {

core::Paper sample() {
  core::Paper p;
  p.title = "Attention Is All You Need";
  p.authors = {"Ashish Vaswani", "Noam Shazeer"};
  p.venue = "Advances in Neural Information Processing Systems";
  p.year = 2017;
  p.doi = "10.5555/3295222.3295349";
  return p;
}

TEST(Bibtex, KeyIsFamilyNameYearFirstTitleWordLowercaseAscii) {
  EXPECT_EQ(literature::bibtex_key(sample()), "vaswani2017attention");
  core::Paper p;
  p.title = "The Élan of Deep Nets";
  p.authors = {"Jürgen Schmidhuber"};
  p.year = 2015;
  EXPECT_EQ(literature::bibtex_key(p), "schmidhuber2015elan");
  p.authors = {"Łukasz Kaiser"};
  EXPECT_EQ(literature::bibtex_key(p), "kaiser2015elan");
  core::Paper empty;
  EXPECT_EQ(literature::bibtex_key(empty), "paper");
}

TEST(Bibtex, EscapesSpecialCharactersAndKeepsUtf8) {
  EXPECT_EQ(literature::bibtex_escape("50% of $x_1$ & {y} #1"),
            "50\\% of \\$x\\_1\\$ \\& \\{y\\} \\#1");
  EXPECT_EQ(literature::bibtex_escape("a\\b ~ ^"),
            "a\\textbackslash{}b \\textasciitilde{} \\textasciicircum{}");
  EXPECT_EQ(literature::bibtex_escape("Gödel–Escher"), "Gödel–Escher");
}

TEST(Bibtex, ConferenceVenueGivesInproceedings) {
  const std::string bib = literature::bibtex_from_metadata(sample());
  EXPECT_EQ(bib,
            "@inproceedings{vaswani2017attention,\n"
            "  author = {Ashish Vaswani and Noam Shazeer},\n"
            "  title = {{Attention Is All You Need}},\n"
            "  booktitle = {Advances in Neural Information Processing Systems},\n"
            "  year = {2017},\n"
            "  doi = {10.5555/3295222.3295349}\n"
            "}\n");
  core::Paper p = sample();
  p.venue = "Proceedings of the 34th International Conference on Machine Learning";
  EXPECT_TRUE(literature::bibtex_from_metadata(p).starts_with("@inproceedings{"));
  EXPECT_NE(literature::bibtex_from_metadata(p).find("booktitle = {Proceedings"),
            std::string::npos);
  p.venue = "ICML";
  EXPECT_TRUE(literature::bibtex_from_metadata(p).starts_with("@inproceedings{"));
  p.venue = "Oracle Journal of Physics";
  EXPECT_TRUE(literature::bibtex_from_metadata(p).starts_with("@article{"));
}

TEST(Bibtex, ArxivOnlyPaperIsMiscWithEprint) {
  core::Paper p;
  p.title = "Deep_Learning & 100% {Fun}";
  p.authors = {"Ada Lovelace"};
  p.year = 2024;
  p.arxiv_id = "2401.00001";
  p.url = "https://arxiv.org/abs/2401.00001";
  const std::string bib = literature::bibtex_from_metadata(p, "custom");
  EXPECT_TRUE(bib.starts_with("@misc{custom,\n")) << bib;
  EXPECT_NE(bib.find("title = {{Deep\\_Learning \\& 100\\% \\{Fun\\}}}"), std::string::npos) << bib;
  EXPECT_NE(bib.find("eprint = {2401.00001}"), std::string::npos);
  EXPECT_NE(bib.find("archivePrefix = {arXiv}"), std::string::npos);
  EXPECT_NE(bib.find("url = {https://arxiv.org/abs/2401.00001}\n}"), std::string::npos) << bib;
}

TEST(Bibtex, KeyIsStable) {
  EXPECT_EQ(literature::bibtex_from_metadata(sample()), literature::bibtex_from_metadata(sample()));
}

}  // namespace
