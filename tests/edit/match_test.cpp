#include "edit/match.h"

#include <gtest/gtest.h>

#include <string>

namespace edit {
namespace {

// The new content, or "<no match>" so that failures print something readable.
std::string replaced(std::string_view content, std::string_view search, std::string_view replace,
                     MatchKind expected_kind) {
  const auto result = replace_first(content, search, replace);
  if (!result) return "<no match>";
  EXPECT_EQ(to_string(result->kind), to_string(expected_kind));
  return result->content;
}

TEST(MatchKindTest, Names) {
  EXPECT_EQ(to_string(MatchKind::exact), "exact");
  EXPECT_EQ(to_string(MatchKind::trailing_whitespace), "trailing_whitespace");
  EXPECT_EQ(to_string(MatchKind::indentation), "indentation");
  EXPECT_EQ(to_string(MatchKind::leading_blank), "leading_blank");
  EXPECT_EQ(to_string(MatchKind::elision), "elision");
}

TEST(ReplaceFirstTest, ExactWholeLines) {
  EXPECT_EQ(replaced("a = 1\nb = 2\nc = 3\n", "b = 2\n", "b = 20\nb2 = 4\n", MatchKind::exact),
            "a = 1\nb = 20\nb2 = 4\nc = 3\n");
}

TEST(ReplaceFirstTest, SearchWithoutFinalNewlineIsWholeLines) {
  EXPECT_EQ(replaced("x = 1\nx = 10\n", "x = 1", "x = 2", MatchKind::exact), "x = 2\nx = 10\n");
  // "x = 1" is also a prefix of "x = 10", but only whole lines match.
  EXPECT_EQ(replaced("x = 10\nx = 1\n", "x = 1", "x = 2\n", MatchKind::exact), "x = 10\nx = 2\n");
}

TEST(ReplaceFirstTest, MatchStartsAtALineStart) {
  EXPECT_EQ(replaced("ab = 1\nb = 1\n", "b = 1\n", "b = 2\n", MatchKind::exact), "ab = 1\nb = 2\n");
  EXPECT_FALSE(replace_first("ab = 1\n", "b = 1\n", "b = 2\n"));
}

TEST(ReplaceFirstTest, OnlyTheFirstOccurrence) {
  EXPECT_EQ(replaced("f()\ng()\nf()\n", "f()\n", "h()\n", MatchKind::exact), "h()\ng()\nf()\n");
  EXPECT_EQ(replaced("  f()\n  f()\n", "f()\n", "h()\n", MatchKind::indentation), "  h()\n  f()\n");
}

TEST(ReplaceFirstTest, EmptySearchOrContentIsNoMatch) {
  EXPECT_FALSE(replace_first("a\n", "", "b\n"));
  EXPECT_FALSE(replace_first("", "a\n", "b\n"));
}

TEST(ReplaceFirstTest, DeletingEverything) {
  EXPECT_EQ(replaced("a\nb\n", "a\nb\n", "", MatchKind::exact), "");
  EXPECT_EQ(replaced("a\nb", "a\nb\n", "", MatchKind::exact), "");
}

TEST(ReplaceFirstTest, ContentWithoutFinalNewlineKeepsLackingIt) {
  EXPECT_EQ(replaced("a\nb", "b\n", "c\n", MatchKind::exact), "a\nc");
  EXPECT_EQ(replaced("a\nb", "a\n", "z\n", MatchKind::exact), "z\nb");
}

TEST(ReplaceFirstTest, ExactIsPreferredOverLaterRules) {
  // The first line equals the search only without its trailing space; the exact match of the
  // second line wins.
  EXPECT_EQ(replaced("x \nx\n", "x\n", "y\n", MatchKind::exact), "x \ny\n");
}

TEST(ReplaceFirstTest, IgnoresTrailingWhitespace) {
  EXPECT_EQ(replaced("def f():  \n    return 1\t\n", "def f():\n    return 1\n",
                     "def f():\n    return 2\n", MatchKind::trailing_whitespace),
            "def f():\n    return 2\n");
  // And the other way round: the search has trailing spaces the file lacks.
  EXPECT_EQ(replaced("a\nb\n", "a   \n", "c\n", MatchKind::trailing_whitespace), "c\nb\n");
}

TEST(ReplaceFirstTest, IndentationAddedToSearchAndReplacement) {
  const std::string content =
      "class Model:\n"
      "    def forward(self, x):\n"
      "        x = self.layer(x)\n"
      "\n"
      "        return x\n";
  const std::string search =
      "def forward(self, x):\n"
      "    x = self.layer(x)\n"
      "\n"
      "    return x\n";
  const std::string replace =
      "def forward(self, x):\n"
      "    x = self.layer(x)\n"
      "\n"
      "    return torch.relu(x)\n";
  EXPECT_EQ(replaced(content, search, replace, MatchKind::indentation),
            "class Model:\n"
            "    def forward(self, x):\n"
            "        x = self.layer(x)\n"
            "\n"  // blank lines stay blank
            "        return torch.relu(x)\n");
}

TEST(ReplaceFirstTest, IndentationRemovedFromSearchAndReplacement) {
  const std::string content = "if x:\n    y = 1\nz = 2\n";
  // The model indented everything by four more spaces.
  const std::string search = "        y = 1\n    z = 2\n";
  const std::string replace = "        y = 10\n    z = 20\n  w = 3\n";
  // The prefix is removed where present; a line without it stays as it is.
  EXPECT_EQ(replaced(content, search, replace, MatchKind::indentation),
            "if x:\n    y = 10\nz = 20\n  w = 3\n");
}

TEST(ReplaceFirstTest, IndentationMustBeUniform) {
  // Line 1 shifted by four, line 2 by two: no rule applies.
  EXPECT_FALSE(replace_first("    a\n      b\n", "a\n    b\n", "c\n"));
  // A blank search line must face a blank file line.
  EXPECT_FALSE(replace_first("    a\n    x\n    b\n", "a\n\nb\n", "c\n"));
  // The shift must be whitespace.
  EXPECT_FALSE(replace_first("xa\n", "a\n", "c\n"));
}

TEST(ReplaceFirstTest, DropsSpuriousLeadingBlankLine) {
  EXPECT_EQ(replaced("a\nfoo\nbar\n", "\nfoo\n", "\nbaz\n", MatchKind::leading_blank),
            "a\nbaz\nbar\n");
  // The replacement keeps its first line when that is not blank.
  EXPECT_EQ(replaced("a\nfoo\nbar\n", "\nfoo\n", "baz\n", MatchKind::leading_blank),
            "a\nbaz\nbar\n");
  // With a shifted indentation too.
  EXPECT_EQ(replaced("if a:\n    foo\n", "\nfoo\n", "\nbaz\n", MatchKind::leading_blank),
            "if a:\n    baz\n");
  // A blank line that is really in the file is matched exactly.
  EXPECT_EQ(replaced("a\n\nfoo\n", "\nfoo\n", "\nbaz\n", MatchKind::exact), "a\n\nbaz\n");
}

TEST(ReplaceFirstTest, ElisionKeepsWhatTheDotsStandFor) {
  const std::string content =
      "def train():\n"
      "    lr = 0.1\n"
      "    steps = 100\n"
      "    for i in range(steps):\n"
      "        step()\n"
      "    return lr\n";
  const std::string search =
      "def train():\n"
      "    lr = 0.1\n"
      "...\n"
      "    return lr\n";
  const std::string replace =
      "def train():\n"
      "    lr = 0.01\n"
      "...\n"
      "    return lr, steps\n";
  EXPECT_EQ(replaced(content, search, replace, MatchKind::elision),
            "def train():\n"
            "    lr = 0.01\n"
            "    steps = 100\n"
            "    for i in range(steps):\n"
            "        step()\n"
            "    return lr, steps\n");
}

TEST(ReplaceFirstTest, ElisionWithSeveralGapsAndIndentedDots) {
  EXPECT_EQ(replaced("a\nb\nc\nd\ne\n", "a\n    ...\nc\n...\ne\n", "A\n...\nC\n  ...\nE\n",
                     MatchKind::elision),
            "A\nb\nC\nd\nE\n");
}

TEST(ReplaceFirstTest, ElisionNeedsMatchingCountsAndOrder) {
  // Two `...` in search, one in replace.
  EXPECT_FALSE(replace_first("a\nb\nc\nd\ne\n", "a\n...\nc\n...\ne\n", "A\n...\nE\n"));
  // Pieces out of order.
  EXPECT_FALSE(replace_first("a\nb\nc\n", "c\n...\na\n", "C\n...\nA\n"));
  // A piece that is not in the file.
  EXPECT_FALSE(replace_first("a\nb\nc\n", "a\n...\nz\n", "A\n...\nZ\n"));
  // An empty search piece with something to insert has no place to go.
  EXPECT_FALSE(replace_first("a\nb\n", "...\nb\n", "new\n...\nB\n"));
  // Leading `...` on both sides with nothing before is fine.
  EXPECT_EQ(replaced("a\nb\n", "...\nb\n", "...\nB\n", MatchKind::elision), "a\nB\n");
}

TEST(ReplaceFirstTest, ReplacementWithoutFinalNewlineGetsOne) {
  EXPECT_EQ(replaced("a\nb\n", "a\n", "z", MatchKind::exact), "z\nb\n");
}

TEST(ClosestLinesTest, SuggestsTheMostSimilarWindowWithContext) {
  const std::string content =
      "import torch\n"
      "\n"
      "def train(model, data):\n"
      "    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)\n"
      "    for batch in data:\n"
      "        loss = model(batch)\n"
      "        loss.backward()\n"
      "    return model\n"
      "\n"
      "def evaluate(model):\n"
      "    pass\n";
  const std::string search =
      "    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)\n"
      "    for batch in data:\n"
      "        loss = model(batch)\n";
  const auto closest = closest_lines(content, search, 1);
  ASSERT_TRUE(closest);
  EXPECT_EQ(*closest,
            "def train(model, data):\n"
            "    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)\n"
            "    for batch in data:\n"
            "        loss = model(batch)\n"
            "        loss.backward()\n");
  // Context is clamped at the file's ends.
  const auto at_start = closest_lines(content, "import torc\n", 3);
  ASSERT_TRUE(at_start);
  EXPECT_EQ(*at_start,
            "import torch\n\ndef train(model, data):\n    optimizer = "
            "torch.optim.Adam(model.parameters(), lr=1e-3)\n");
}

TEST(ClosestLinesTest, NothingWhenNothingIsSimilar) {
  EXPECT_FALSE(closest_lines("alpha\nbeta\ngamma\n", "completely different text here\n"));
  EXPECT_FALSE(closest_lines("", "a\n"));
  EXPECT_FALSE(closest_lines("a\n", ""));
}

TEST(ClosestLinesTest, FastOnLargeFiles) {
  std::string content;
  for (int i = 0; i < 3000; ++i) {
    content += "    value_" + std::to_string(i) + " = compute(input_" + std::to_string(i % 97) +
               ", scale=" + std::to_string(i * 7 % 13) + ")\n";
  }
  std::string search;
  for (int i = 1500; i < 1600; ++i) {
    search += "    value_" + std::to_string(i) + " = compute(input_" + std::to_string(i % 97) +
              ", scale=" + std::to_string(i * 7 % 13) + ") # changed\n";
  }
  const auto closest = closest_lines(content, search, 0);
  ASSERT_TRUE(closest);
  EXPECT_TRUE(closest->starts_with("    value_1500 = "));
}

std::string numbered_lines(int from, int to, std::string_view suffix = "") {
  std::string out;
  for (int i = from; i < to; ++i) {
    out += "    value_" + std::to_string(i) + " = compute(input_" + std::to_string(i % 97) + ")" +
           std::string(suffix) + "\n";
  }
  return out;
}

TEST(ClosestLinesTest, AHugeUnmatchedSearchReturns) {
  // 100,000 lines and a 2,000-line search found nowhere: too many windows to score them all, so
  // the work is bounded. Only that it returns is checked.
  const std::string content = numbered_lines(0, 100000);
  std::string search;
  for (int i = 0; i < 2000; ++i)
    search += "print('unrelated " + std::to_string(i) + "')\n";
  EXPECT_FALSE(closest_lines(content, search));
}

TEST(ClosestLinesTest, AHugeSearchIsFoundByItsLinesThatAreInTheFile) {
  const std::string content = numbered_lines(0, 100000);
  // Lines 60,000 to 61,999 with every tenth one changed.
  std::string search;
  for (int i = 60000; i < 62000; ++i)
    search += numbered_lines(i, i + 1, i % 10 == 0 ? " # changed" : "");
  const auto closest = closest_lines(content, search, 1);
  ASSERT_TRUE(closest);
  EXPECT_EQ(*closest, numbered_lines(59999, 62001));
}

TEST(ReplaceFirstTest, RepetitiveContent) {
  // 50,000 equal lines and a search of 1,000 of them plus one more: every place agrees for a long
  // way before failing, which must not cost 50,000 x 1,000 comparisons per rule.
  std::string content;
  for (int i = 0; i < 50000; ++i)
    content += "    x = 1\n";
  std::string search;
  for (int i = 0; i < 1000; ++i)
    search += "    x = 1\n";
  EXPECT_FALSE(replace_first(content, search + "    y = 2\n", "z\n"));
  // Found at the end, exactly and with another indentation.
  const std::string ending = content + "    y = 2\n";

  auto done = replace_first(ending, search + "    y = 2\n", "z\n");
  ASSERT_TRUE(done);
  EXPECT_EQ(done->kind, MatchKind::exact);
  EXPECT_EQ(done->content, content.substr(0, 49000 * 10) + "z\n");
  std::string unindented;
  for (int i = 0; i < 1000; ++i)
    unindented += "x = 1\n";
  done = replace_first(ending, unindented + "y = 2\n", "z\n");
  ASSERT_TRUE(done);
  EXPECT_EQ(done->kind, MatchKind::indentation);
  EXPECT_EQ(done->content, content.substr(0, 49000 * 10) + "    z\n");
}

TEST(ContainsLinesTest, WholeLinesOnly) {
  EXPECT_TRUE(contains_lines("a\nb = 1\nc\n", "b = 1\n"));
  EXPECT_TRUE(contains_lines("a\nb = 1", "b = 1"));
  EXPECT_TRUE(contains_lines("a\nb\nc\n", "a\nb\n"));
  EXPECT_FALSE(contains_lines("ab = 1\n", "b = 1\n"));
  EXPECT_FALSE(contains_lines("b = 10\n", "b = 1\n"));
  EXPECT_FALSE(contains_lines("    b = 1\n", "b = 1\n"));
  EXPECT_FALSE(contains_lines("a\n", ""));
}

}  // namespace
}  // namespace edit
