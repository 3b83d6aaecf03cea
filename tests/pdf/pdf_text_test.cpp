#include "pdf/pdf_text.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "pdf/latex_fixture.h"
#include "support/temp_dir.h"

// PDFs made with pdflatex (and latex + dvipdfmx for an encrypted one) at test time.
namespace {

namespace fs = std::filesystem;
using test_support::TempDir;

class PdfTextTest : public testing::Test {
 protected:
  void SetUp() override {
    if (!test_support::have_program("pdflatex")) GTEST_SKIP() << "pdflatex is not installed";
  }

  fs::path make(const std::string& name, const std::string& document) {
    const fs::path pdf = test_support::pdflatex(m_dir.path(), name, document);
    EXPECT_TRUE(fs::exists(pdf)) << "pdflatex made no " << pdf;
    return pdf;
  }

  TempDir m_dir;
};

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t pos = text.find(what); pos != std::string::npos;
       pos = text.find(what, pos + what.size())) {
    ++n;
  }
  return n;
}

TEST_F(PdfTextTest, ReadsEveryPageInOrderSeparatedByABlankLine) {
  const fs::path pdf = make("three", test_support::pages_document(3));
  auto pages = pdf::page_count(pdf);
  ASSERT_TRUE(pages) << pages.error().message;
  EXPECT_EQ(*pages, 3);

  auto text = pdf::read_text(pdf);
  ASSERT_TRUE(text) << text.error().message;
  const std::size_t one = text->find("This is page number 1.");
  const std::size_t two = text->find("This is page number 2.");
  const std::size_t three = text->find("This is page number 3.");
  ASSERT_NE(one, std::string::npos) << *text;
  ASSERT_NE(two, std::string::npos) << *text;
  ASSERT_NE(three, std::string::npos) << *text;
  EXPECT_LT(one, two);
  EXPECT_LT(two, three);
  // The page number at the foot of page 1, a blank line, then page 2's first line.
  EXPECT_NE(text->find("\n1\n\nThis is page number 2."), std::string::npos) << *text;
  EXPECT_EQ(text->find("\f"), std::string::npos);
  EXPECT_EQ(text->find("\n\n\n"), std::string::npos);
  EXPECT_TRUE(text->ends_with("later.\n\n3\n")) << *text;
}

TEST_F(PdfTextTest, MaxPagesReadsOnlyTheFirstPages) {
  const fs::path pdf = make("three", test_support::pages_document(3));
  auto text = pdf::read_text(pdf, pdf::TextOptions{2});
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_NE(text->find("This is page number 2."), std::string::npos);
  EXPECT_EQ(text->find("This is page number 3."), std::string::npos);
  EXPECT_EQ(count(*text, "Researchers measured"), 8u);
}

TEST_F(PdfTextTest, JoinsWordsHyphenatedAtLineEndsAndSpellsOutLigatures) {
  // A narrow box makes TeX hyphenate; "exam-\\ple" forces a break after a hyphen.
  const fs::path pdf = make("hyphens", R"(\documentclass{article}
\begin{document}
\begin{minipage}{2.5cm}
The internationalization of characterization needs representational understanding of
experimentation.
\end{minipage}

An exam-\\ple of a forced break, and the words efficient, fluffy and office, which pdflatex
sets with ligatures. Enough words follow to make this a page of real text for the reader.
\end{document}
)");
  auto text = pdf::read_text(pdf);
  ASSERT_TRUE(text) << text.error().message;
  for (const char* word : {"internationalization", "characterization", "experimentation", "example",
                           "efficient", "fluffy", "office"}) {
    EXPECT_NE(text->find(word), std::string::npos) << word << " in:\n" << *text;
  }
  EXPECT_EQ(text->find("-\n"), std::string::npos) << *text;
  EXPECT_EQ(text->find("\xEF\xAC"), std::string::npos) << "a ligature glyph is left: " << *text;
}

TEST_F(PdfTextTest, RefusesAFileThatIsNotAPdf) {
  const fs::path file = m_dir.write_file("paper.pdf", "\\documentclass{article}\nHello\n");
  auto text = pdf::read_text(file);
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().code, core::ErrorCode::invalid_argument);
  EXPECT_NE(text.error().message.find("not a PDF"), std::string::npos) << text.error().message;
  EXPECT_NE(text.error().message.find(file.string()), std::string::npos);
  EXPECT_FALSE(pdf::page_count(file));
}

TEST_F(PdfTextTest, RefusesAnEmptyFile) {
  const fs::path file = m_dir.write_file("empty.pdf", "");
  auto text = pdf::read_text(file);
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().code, core::ErrorCode::invalid_argument);
  EXPECT_NE(text.error().message.find("empty"), std::string::npos) << text.error().message;
}

TEST_F(PdfTextTest, MissingFileIsAnIoError) {
  auto text = pdf::read_text(m_dir.path() / "nowhere.pdf");
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().code, core::ErrorCode::io);
  EXPECT_NE(text.error().message.find("no such file"), std::string::npos);
}

TEST_F(PdfTextTest, ADamagedPdfFailsQuietly) {
  const fs::path good = make("good", test_support::pages_document(1));
  std::ifstream in(good, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const fs::path cut = m_dir.write_file("cut.pdf", bytes.substr(0, 300));

  testing::internal::CaptureStderr();
  auto text = pdf::read_text(cut);
  const std::string said = testing::internal::GetCapturedStderr();
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().code, core::ErrorCode::parse);
  EXPECT_NE(text.error().message.find("cannot be read"), std::string::npos) << text.error().message;
  EXPECT_EQ(said, "") << "poppler wrote to stderr";
}

TEST_F(PdfTextTest, APdfWithoutTextIsCalledAScan) {
  // Pages of pictures only, as a scanner makes them.
  const fs::path pdf = make("scan", R"(\documentclass{article}
\pagestyle{empty}
\begin{document}
\rule{12cm}{18cm}
\newpage
\rule{12cm}{18cm}
\end{document}
)");
  auto text = pdf::read_text(pdf);
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().code, core::ErrorCode::invalid_argument);
  EXPECT_NE(text.error().message.find("scanned"), std::string::npos) << text.error().message;
  EXPECT_NE(text.error().message.find("2 page(s)"), std::string::npos) << text.error().message;
  auto pages = pdf::page_count(pdf);
  ASSERT_TRUE(pages);
  EXPECT_EQ(*pages, 2);
}

TEST_F(PdfTextTest, AnEncryptedPdfAsksForAnUnlockedCopy) {
  // pdfTeX cannot encrypt; dvipdfmx can, from a special in the DVI.
  if (!test_support::have_program("latex") || !test_support::have_program("dvipdfmx")) {
    GTEST_SKIP() << "latex and dvipdfmx are needed to make an encrypted PDF";
  }
  std::ofstream(m_dir.path() / "locked.tex")
      << "\\documentclass{article}\n"
         "\\special{pdf:encrypt userpw (secret) ownerpw (owner) length 128 perm 2052}\n"
         "\\begin{document}\nThis paper is locked with a password, and has words enough to be "
         "read if it were not. More words follow here to make it a page.\n\\end{document}\n";
  ASSERT_EQ(test_support::run_tex_program(m_dir.path(),
                                          {"latex", "-interaction=nonstopmode", "locked.tex"}),
            0);
  ASSERT_EQ(test_support::run_tex_program(m_dir.path(), {"dvipdfmx", "locked.dvi"}), 0);
  auto text = pdf::read_text(m_dir.path() / "locked.pdf");
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().code, core::ErrorCode::invalid_argument);
  EXPECT_NE(text.error().message.find("encrypted"), std::string::npos) << text.error().message;
  EXPECT_NE(text.error().message.find("password"), std::string::npos) << text.error().message;
}

TEST_F(PdfTextTest, ReadPaperTakesPdfTexMarkdownAndText) {
  const fs::path pdf = make("paper", test_support::pages_document(1));
  const fs::path upper = m_dir.path() / "PAPER.PDF";
  fs::copy_file(pdf, upper);
  for (const fs::path& file : {pdf, upper}) {
    auto text = pdf::read_paper(file);
    ASSERT_TRUE(text) << text.error().message;
    EXPECT_NE(text->find("This is page number 1."), std::string::npos);
  }
  const std::string tex = "\\section{Intro}\nWe study $x^2$. % a comment\n";
  for (const char* name : {"paper.tex", "paper.md", "paper.txt"}) {
    auto text = pdf::read_paper(m_dir.write_file(name, tex));
    ASSERT_TRUE(text) << text.error().message;
    EXPECT_EQ(*text, tex);
  }
}

TEST_F(PdfTextTest, ReadPaperRefusesOtherFormatsNamingTheAcceptedOnes) {
  const fs::path docx = m_dir.write_file("paper.docx", "PK\x03\x04 not really");
  auto text = pdf::read_paper(docx);
  ASSERT_FALSE(text);
  EXPECT_EQ(text.error().code, core::ErrorCode::invalid_argument);
  EXPECT_NE(text.error().message.find(".docx"), std::string::npos) << text.error().message;
  EXPECT_NE(text.error().message.find(".pdf, .tex, .md or .txt"), std::string::npos)
      << text.error().message;
  auto empty = pdf::read_paper(m_dir.write_file("empty.tex", ""));
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error().message.find("empty"), std::string::npos);
}

}  // namespace
