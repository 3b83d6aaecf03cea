// Reading and writing CSV/TSV tables: RFC 4180 quoting, line ends, BOM, appending rows.
#include "review/csv.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace {

using Rows = std::vector<std::vector<std::string>>;

std::string read_all(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(Csv, ReadsHeaderAndRows) {
  auto t = review::parse_csv("paper_id,decision\np1,Accept\np2,Reject\n");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->header, (std::vector<std::string>{"paper_id", "decision"}));
  EXPECT_EQ(t->rows, (Rows{{"p1", "Accept"}, {"p2", "Reject"}}));
}

TEST(Csv, QuotedFieldsHoldCommasDoubledQuotesAndLineBreaks) {
  const std::string text =
      "id,Summary,Strengths\n"
      "p1,\"Short, clear\",\"[\"\"fast\"\", \"\"simple\"\"]\"\n"
      "p2,\"line one\nline two\",\"\"\n";
  auto t = review::parse_csv(text);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->rows, (Rows{{"p1", "Short, clear", R"(["fast", "simple"])"},
                           {"p2", "line one\nline two", ""}}));
}

TEST(Csv, CrlfLineEndsAndAByteOrderMark) {
  auto t = review::parse_csv("\xEF\xBB\xBFpaper_id,decision\r\np1,\"a\r\nb\"\r\np2,Reject\r\n");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->header.at(0), "paper_id");  // not "\xEF\xBB\xBFpaper_id"
  EXPECT_EQ(t->rows, (Rows{{"p1", "a\r\nb"}, {"p2", "Reject"}}));
}

TEST(Csv, KeepsSpacesSkipsBlankLinesAndReadsALastLineWithoutLineBreak) {
  auto t = review::parse_csv("a,b\n\n x , y\n\n\"z\",w");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->rows, (Rows{{" x ", " y"}, {"z", "w"}}));
}

TEST(Csv, RaggedRowsAreKeptAsTheyAre) {
  auto t = review::parse_csv("a,b,c\n1,2\n1,2,3,4\n,,\n");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->rows, (Rows{{"1", "2"}, {"1", "2", "3", "4"}, {"", "", ""}}));
}

TEST(Csv, TabDelimitedWithCommasAndQuotes) {
  auto t = review::parse_csv(
      "paper_id\tdecision\tnote\np1\tAccept (Poster)\tgood, short\n"
      "p2\tReject\t\"tab\there\"\n",
      '\t');
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->rows,
            (Rows{{"p1", "Accept (Poster)", "good, short"}, {"p2", "Reject", "tab\there"}}));
}

TEST(Csv, MalformedQuotingNamesTheLine) {
  auto stray = review::parse_csv("a,b\n1,2\n3,x\"y\n", ',', "reviews.csv");
  ASSERT_FALSE(stray);
  EXPECT_EQ(stray.error().code, core::ErrorCode::parse);
  EXPECT_NE(stray.error().message.find("reviews.csv: line 3"), std::string::npos)
      << stray.error().message;

  auto after_close = review::parse_csv("a,b\n\"1\"2,3\n", ',', "t.csv");
  ASSERT_FALSE(after_close);
  EXPECT_NE(after_close.error().message.find("t.csv: line 2"), std::string::npos);

  auto unclosed = review::parse_csv("a,b\n1,2\n3,\"never\nclosed\n", ',', "t.csv");
  ASSERT_FALSE(unclosed);
  EXPECT_EQ(unclosed.error().code, core::ErrorCode::parse);
  EXPECT_NE(unclosed.error().message.find("starts after line 2 is never closed"), std::string::npos)
      << unclosed.error().message;
}

TEST(Csv, EmptyInputHasNoHeader) {
  auto t = review::parse_csv("\n\n", ',', "labels.csv");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().code, core::ErrorCode::parse);
  EXPECT_NE(t.error().message.find("labels.csv holds no header row"), std::string::npos);
}

TEST(Csv, ColumnsAreFoundExactlyThenLoosely) {
  review::CsvTable t;
  t.header = {"paper_id", " Decision ", "overall", "Overall"};
  EXPECT_EQ(t.column("paper_id"), 0u);
  EXPECT_EQ(t.column("decision"), 1u);           // trimmed, any case
  EXPECT_EQ(t.column("Overall"), 3u);            // exact wins over loose
  EXPECT_EQ(t.column("OVERALL"), std::nullopt);  // two loose matches: ambiguous
  EXPECT_EQ(t.column("id"), std::nullopt);
  EXPECT_EQ(t.describe_columns(), R"("paper_id", " Decision ", "overall", "Overall")");
}

TEST(Csv, WritesMinimalRfc4180Quoting) {
  const std::vector<std::string> fields = {"p1",   "a,b",   "say \"hi\"", "two\nlines",
                                           " pad", "tab\t", "",           "plain text"};
  EXPECT_EQ(review::format_csv_row(fields),
            "p1,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\" pad\",\"tab\t\",,plain text\r\n");
  // With tabs as delimiter a comma needs no quotes but a tab does.
  EXPECT_EQ(review::format_csv_row(std::vector<std::string>{"a,b", "c\td"}, '\t'),
            "a,b\t\"c\td\"\r\n");
  // A lone empty field is quoted, or it would read back as a blank line.
  EXPECT_EQ(review::format_csv_row(std::vector<std::string>{""}), "\"\"\r\n");
  std::ostringstream out;
  review::write_csv_row(out, std::vector<std::string>{"x", "y"});
  EXPECT_EQ(out.str(), "x,y\r\n");
}

TEST(Csv, WrittenRowsReadBackUnchanged) {
  const Rows rows = {{"id", "Summary", "Strengths", "Overall"},
                     {"p1", "Uses \"grokking\", carefully.\nTwo lines.", R"(["a, b", "c"])", "6"},
                     {"p2", " leading space", "[]", ""},
                     {"p3", "cr\r\nlf", "\"", "3"}};
  std::string text;
  for (const auto& r : rows)
    text += review::format_csv_row(r);
  auto t = review::parse_csv(text);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->header, rows[0]);
  EXPECT_EQ(t->rows, Rows(rows.begin() + 1, rows.end()));
}

TEST(Csv, DetectsTheDelimiterFromTheHeaderThenTheExtension) {
  EXPECT_EQ(review::detect_delimiter("labels.csv", "paper_id\tdecision"), '\t');
  EXPECT_EQ(review::detect_delimiter("labels.tsv", "paper_id,decision"), ',');
  EXPECT_EQ(review::detect_delimiter("labels.TSV", "paper_id"), '\t');
  EXPECT_EQ(review::detect_delimiter("labels.tab", "a,b\tc"), '\t');
  EXPECT_EQ(review::detect_delimiter("labels.txt", "paper_id"), ',');
}

TEST(Csv, ReadsFilesAndSaysWhyOneCannotBeRead) {
  test_support::TempDir dir;
  auto tsv = dir.write_file("ratings.txt", "paper_id\tdecision\nabc\tAccept (Oral)\n");
  auto t = review::read_csv_file(tsv);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->source, tsv.string());
  EXPECT_EQ(t->rows, (Rows{{"abc", "Accept (Oral)"}}));

  auto missing = review::read_csv_file(dir.path() / "nope.csv");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, core::ErrorCode::io);
  EXPECT_NE(missing.error().message.find("nope.csv does not exist"), std::string::npos)
      << missing.error().message;

  auto folder = review::read_csv_file(dir.path());
  ASSERT_FALSE(folder);
  EXPECT_NE(folder.error().message.find("is a folder"), std::string::npos);
}

TEST(Csv, AppendsRowsToAResumableFile) {
  test_support::TempDir dir;
  const auto file = dir.path() / "reviews.csv";
  const std::vector<std::string> header = {"paper_id", "Summary", "Overall"};
  ASSERT_TRUE(review::append_csv_row(file, header, std::vector<std::string>{"p1", "a, b", "6"}));
  ASSERT_TRUE(
      review::append_csv_row(file, header, std::vector<std::string>{"p2", "x\n\"y\"", "3"}));
  EXPECT_EQ(read_all(file),
            "paper_id,Summary,Overall\r\np1,\"a, b\",6\r\np2,\"x\n\"\"y\"\"\",3\r\n");
  auto t = review::read_csv_file(file);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->rows, (Rows{{"p1", "a, b", "6"}, {"p2", "x\n\"y\"", "3"}}));
}

TEST(Csv, AppendRefusesAnotherHeaderACutShortFileAndAShortRow) {
  test_support::TempDir dir;
  const std::vector<std::string> header = {"paper_id", "Overall"};
  auto other = dir.write_file("other.csv", "id,score\r\np1,5\r\n");
  auto wrong = review::append_csv_row(other, header, std::vector<std::string>{"p2", "4"});
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, core::ErrorCode::invalid_argument);
  EXPECT_NE(wrong.error().message.find(R"(has the columns "id", "score", not the ones this run )"
                                       R"(writes ("paper_id", "Overall"))"),
            std::string::npos)
      << wrong.error().message;
  EXPECT_EQ(read_all(other), "id,score\r\np1,5\r\n");  // untouched

  auto cut = dir.write_file("cut.csv", "paper_id,Overall\r\np1,5\r\np2,");
  auto refused = review::append_csv_row(cut, header, std::vector<std::string>{"p3", "4"});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("ends in the middle of a row"), std::string::npos);

  auto empty = dir.write_file("empty.csv", "");
  ASSERT_TRUE(review::append_csv_row(empty, header, std::vector<std::string>{"p1", "7"}));
  EXPECT_EQ(read_all(empty), "paper_id,Overall\r\np1,7\r\n");

  auto short_row = review::append_csv_row(empty, header, std::vector<std::string>{"p2"});
  ASSERT_FALSE(short_row);
  EXPECT_EQ(short_row.error().code, core::ErrorCode::invalid_argument);
}

}  // namespace
