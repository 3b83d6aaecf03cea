#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "edit/blocks.h"

namespace {

using core::ErrorCode;
using edit::EditBlock;
using edit::Fence;
using edit::ParsedReply;

// Parses a reply that must parse, failing the test with the parser's message otherwise.
ParsedReply diff_ok(std::string_view reply, const Fence& fence = {},
                    const std::vector<std::string>& known = {}) {
  auto parsed = edit::parse_diff_blocks(reply, fence, known);
  EXPECT_TRUE(parsed.has_value()) << parsed.error().message;
  return parsed.value_or(ParsedReply{});
}

// The message of a reply that must fail with ErrorCode::parse.
std::string diff_error(std::string_view reply, const Fence& fence = {}) {
  auto parsed = edit::parse_diff_blocks(reply, fence);
  EXPECT_FALSE(parsed.has_value());
  if (parsed) return {};
  EXPECT_EQ(parsed.error().code, ErrorCode::parse);
  return parsed.error().message;
}

void expect_block(const EditBlock& block, std::string_view path, std::string_view search,
                  std::string_view replace, int line) {
  EXPECT_EQ(block.path, path);
  EXPECT_EQ(block.search, search);
  EXPECT_EQ(block.replace, replace);
  EXPECT_EQ(block.line, line);
  EXPECT_FALSE(block.whole_file);
}

// ---------------------------------------------------------------------------------------------
// SEARCH/REPLACE: where the file name is

TEST(DiffBlocks, FileNameOnTheLineBeforeTheFence) {
  const auto parsed = diff_ok(
      "Change the greeting.\n"
      "\n"
      "src/app.py\n"
      "```python\n"
      "<<<<<<< SEARCH\n"
      "print('hi')\n"
      "=======\n"
      "print('hello')\n"
      ">>>>>>> REPLACE\n"
      "```\n"
      "Done.\n");
  ASSERT_EQ(parsed.edits.size(), 1u);
  expect_block(parsed.edits[0], "src/app.py", "print('hi')\n", "print('hello')\n", 5);
  EXPECT_TRUE(parsed.shell_blocks.empty());
}

TEST(DiffBlocks, FileNameOnTheFenceLine) {
  const auto parsed = diff_ok(
      "```src/app.py\n"
      "<<<<<<< SEARCH\n"
      "a\n"
      "=======\n"
      "b\n"
      ">>>>>>> REPLACE\n"
      "```\n");
  ASSERT_EQ(parsed.edits.size(), 1u);
  expect_block(parsed.edits[0], "src/app.py", "a\n", "b\n", 2);
}

TEST(DiffBlocks, LanguageTagThenPathOnTheFenceLineKeepsThePath) {
  // Aider would take "python src/app.py" as the name; the path is the last word.
  const auto parsed = diff_ok(
      "```python src/app.py\n<<<<<<< SEARCH\na\n=======\nb\n"
      ">>>>>>> REPLACE\n```\n");
  ASSERT_EQ(parsed.edits.size(), 1u);
  EXPECT_EQ(parsed.edits[0].path, "src/app.py");
}

TEST(DiffBlocks, FileNameInsideTheFence) {
  const auto parsed = diff_ok(
      "```python\n"
      "src/app.py\n"
      "<<<<<<< SEARCH\n"
      "a\n"
      "=======\n"
      "b\n"
      ">>>>>>> REPLACE\n"
      "```\n");
  ASSERT_EQ(parsed.edits.size(), 1u);
  expect_block(parsed.edits[0], "src/app.py", "a\n", "b\n", 3);
}

TEST(DiffBlocks, FileNameInAFenceOfItsOwnBeforeTheBlock) {
  // Deepseek Coder's habit: the name in a fence, then the block in another fence.
  const auto parsed = diff_ok(
      "```python\n"
      "word_count.py\n"
      "```\n"
      "```python\n"
      "<<<<<<< SEARCH\n"
      "a\n"
      "=======\n"
      "b\n"
      ">>>>>>> REPLACE\n"
      "```\n");
  ASSERT_EQ(parsed.edits.size(), 1u);
  EXPECT_EQ(parsed.edits[0].path, "word_count.py");
}

TEST(DiffBlocks, BoldBacktickedHeadingAndColonNamesAreStripped) {
  for (const std::string name_line :
       {"**src/app.py**", "`src/app.py`", "src/app.py:", "# src/app.py", "### `src/app.py`:",
        "  src/app.py  ", "`src/app.py`:", "**src/app.py**:", "\xc2\xa0src/app.py\xc2\xa0"}) {
    const auto parsed =
        diff_ok(name_line + "\n```\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n```\n");
    ASSERT_EQ(parsed.edits.size(), 1u) << name_line;
    EXPECT_EQ(parsed.edits[0].path, "src/app.py") << name_line;
  }
}

TEST(DiffBlocks, BlocksWithoutANameGoToThePreviousBlocksFile) {
  const auto parsed = diff_ok(
      "src/a.py\n"
      "```python\n"
      "<<<<<<< SEARCH\n"
      "one\n"
      "=======\n"
      "uno\n"
      ">>>>>>> REPLACE\n"
      "\n"
      "<<<<<<< SEARCH\n"
      "two\n"
      "=======\n"
      "dos\n"
      ">>>>>>> REPLACE\n"
      "```\n");
  ASSERT_EQ(parsed.edits.size(), 2u);
  expect_block(parsed.edits[0], "src/a.py", "one\n", "uno\n", 3);
  expect_block(parsed.edits[1], "src/a.py", "two\n", "dos\n", 9);
}

TEST(DiffBlocks, AnEllipsisLineIsNotAName) {
  const auto parsed = diff_ok(
      "a.py\n```\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n```\n"
      "...\n```\n<<<<<<< SEARCH\np\n=======\nq\n>>>>>>> REPLACE\n```\n");
  ASSERT_EQ(parsed.edits.size(), 2u);
  EXPECT_EQ(parsed.edits[1].path, "a.py");
}

TEST(DiffBlocks, KnownFilesPickTheNameByExactOrBaseName) {
  const std::vector<std::string> known = {"src/app.py", "README.md"};
  // The base name of a known file resolves to that file.
  auto parsed =
      diff_ok("app.py\n```\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n```\n", Fence{}, known);
  ASSERT_EQ(parsed.edits.size(), 1u);
  EXPECT_EQ(parsed.edits[0].path, "src/app.py");
  // Of two names in the look-back (name in a fence before the block's fence), a known one wins
  // over the nearer one.
  parsed = diff_ok(
      "```\nREADME.md\n```\n```notes.txt\n<<<<<<< SEARCH\na\n=======\nb\n"
      ">>>>>>> REPLACE\n```\n",
      Fence{}, known);
  ASSERT_EQ(parsed.edits.size(), 1u);
  EXPECT_EQ(parsed.edits[0].path, "README.md");
  // Without known files the nearest name with an extension wins.
  parsed = diff_ok(
      "```\nREADME.md\n```\n```notes.txt\n<<<<<<< SEARCH\na\n=======\nb\n"
      ">>>>>>> REPLACE\n```\n");
  EXPECT_EQ(parsed.edits.at(0).path, "notes.txt");
}

TEST(DiffBlocks, NewFileBlockHasAnEmptySearchAndKeepsTheNameAsWritten) {
  // A HEAD directly followed by a DIVIDER creates a file; known files are not consulted.
  const auto parsed = diff_ok(
      "app.py\n"
      "```python\n"
      "<<<<<<< SEARCH\n"
      "=======\n"
      "print('new')\n"
      ">>>>>>> REPLACE\n"
      "```\n",
      Fence{}, {"src/app.py"});
  ASSERT_EQ(parsed.edits.size(), 1u);
  expect_block(parsed.edits[0], "app.py", "", "print('new')\n", 3);
}

TEST(DiffBlocks, DeletingLinesGivesAnEmptyReplace) {
  const auto parsed = diff_ok("a.py\n```\n<<<<<<< SEARCH\ngone\n=======\n>>>>>>> REPLACE\n```\n");
  ASSERT_EQ(parsed.edits.size(), 1u);
  expect_block(parsed.edits[0], "a.py", "gone\n", "", 3);
}

// ---------------------------------------------------------------------------------------------
// SEARCH/REPLACE: markers, fences, line ends

TEST(DiffBlocks, NestedFencesInsideAFourBacktickFence) {
  const Fence fence{"````", "````"};
  const auto parsed = diff_ok(
      "docs/README.md\n"
      "````markdown\n"
      "<<<<<<< SEARCH\n"
      "```sh\n"
      "make\n"
      "```\n"
      "=======\n"
      "```sh\n"
      "make test\n"
      "```\n"
      ">>>>>>> REPLACE\n"
      "````\n",
      fence);
  ASSERT_EQ(parsed.edits.size(), 1u);
  expect_block(parsed.edits[0], "docs/README.md", "```sh\nmake\n```\n", "```sh\nmake test\n```\n",
               3);
  EXPECT_TRUE(parsed.shell_blocks.empty());
}

TEST(DiffBlocks, FileNameOnAFourBacktickFenceLine) {
  const auto parsed = diff_ok(
      "````docs/README.md\n<<<<<<< SEARCH\na\n=======\nb\n"
      ">>>>>>> REPLACE\n````\n",
      Fence{"````", "````"});
  ASSERT_EQ(parsed.edits.size(), 1u);
  EXPECT_EQ(parsed.edits[0].path, "docs/README.md");
}

TEST(DiffBlocks, MarkersOfFiveToNineCharacters) {
  auto parsed = diff_ok("a.py\n```\n<<<<< SEARCH\nx\n=====\ny\n>>>>> REPLACE\n```\n");
  ASSERT_EQ(parsed.edits.size(), 1u);
  expect_block(parsed.edits[0], "a.py", "x\n", "y\n", 3);

  parsed = diff_ok("a.py\n```\n<<<<<<<<< SEARCH\nx\n=========\ny\n>>>>>>>>> REPLACE\n```\n");
  ASSERT_EQ(parsed.edits.size(), 1u);
  expect_block(parsed.edits[0], "a.py", "x\n", "y\n", 3);

  // With trailing spaces, and aider's tolerated "SEARCH>".
  parsed = diff_ok("a.py\n```\n<<<<<<< SEARCH>  \nx\n=======\t\ny\n>>>>>>> REPLACE \n```\n");
  ASSERT_EQ(parsed.edits.size(), 1u);
  expect_block(parsed.edits[0], "a.py", "x\n", "y\n", 3);
}

TEST(DiffBlocks, MarkersOfFourOrTenCharactersAreText) {
  // Ten '<' is not a HEAD, so nothing here is a block.
  auto parsed = diff_ok("a.py\n```\n<<<<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n```\n");
  EXPECT_TRUE(parsed.edits.empty());
  // Four '=' and ten '=' are search text, not dividers.
  parsed =
      diff_ok("a.py\n```\n<<<<<<< SEARCH\n====\n==========\n=======\ny\n>>>>>>> REPLACE\n```\n");
  ASSERT_EQ(parsed.edits.size(), 1u);
  EXPECT_EQ(parsed.edits[0].search, "====\n==========\n");
}

TEST(DiffBlocks, ASecondDividerEndsTheReplaceText) {
  // As in aider: the REPLACE section ends at the next `=======`; what follows up to the
  // `>>>>>>> REPLACE` is outside any block.
  const auto parsed =
      diff_ok("a.py\n```\n<<<<<<< SEARCH\nx\n=======\ny\n=======\nz\n>>>>>>> REPLACE\n```\n");
  ASSERT_EQ(parsed.edits.size(), 1u);
  expect_block(parsed.edits[0], "a.py", "x\n", "y\n", 3);
}

TEST(DiffBlocks, CrlfRepliesGiveLfTexts) {
  const auto parsed = diff_ok(
      "src/app.py\r\n"
      "```python\r\n"
      "<<<<<<< SEARCH\r\n"
      "a = 1\r\n"
      "\r\n"
      "=======\r\n"
      "a = 2\r\n"
      ">>>>>>> REPLACE\r\n"
      "```\r\n");
  ASSERT_EQ(parsed.edits.size(), 1u);
  expect_block(parsed.edits[0], "src/app.py", "a = 1\n\n", "a = 2\n", 3);
}

TEST(DiffBlocks, SeveralBlocksAndFilesInOneReply) {
  const auto parsed = diff_ok(
      "First the model:\n"
      "\n"
      "model.py\n"
      "```python\n"
      "<<<<<<< SEARCH\n"
      "lr = 0.1\n"
      "=======\n"
      "lr = 0.01\n"
      ">>>>>>> REPLACE\n"
      "```\n"
      "\n"
      "Then the plot:\n"
      "\n"
      "plot.py\n"
      "```python\n"
      "<<<<<<< SEARCH\n"
      "plt.show()\n"
      "=======\n"
      "plt.savefig('out.png')\n"
      ">>>>>>> REPLACE\n"
      "```\n"
      "\n"
      "model.py\n"
      "```python\n"
      "<<<<<<< SEARCH\n"
      "epochs = 1\n"
      "=======\n"
      "epochs = 10\n"
      ">>>>>>> REPLACE\n"
      "```\n");
  ASSERT_EQ(parsed.edits.size(), 3u);
  expect_block(parsed.edits[0], "model.py", "lr = 0.1\n", "lr = 0.01\n", 5);
  expect_block(parsed.edits[1], "plot.py", "plt.show()\n", "plt.savefig('out.png')\n", 16);
  expect_block(parsed.edits[2], "model.py", "epochs = 1\n", "epochs = 10\n", 25);
}

TEST(DiffBlocks, AReplyWithoutBlocksIsNotAnError) {
  const auto parsed = diff_ok("I think the code is fine as it is.\n```python\nx = 1\n```\n");
  EXPECT_TRUE(parsed.edits.empty());
  EXPECT_TRUE(parsed.shell_blocks.empty());
  EXPECT_TRUE(diff_ok("").edits.empty());
}

TEST(DiffBlocks, AReplyWithoutAFinalNewline) {
  const auto parsed = diff_ok("a.py\n```\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE");
  ASSERT_EQ(parsed.edits.size(), 1u);
  expect_block(parsed.edits[0], "a.py", "x\n", "y\n", 3);
}

// ---------------------------------------------------------------------------------------------
// SEARCH/REPLACE: shell blocks

TEST(DiffBlocks, ShellBlocksAreCollectedNotEdits) {
  const auto parsed = diff_ok(
      "a.py\n```\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n```\n"
      "Then run:\n"
      "```bash\n"
      "python a.py --out run_0\n"
      "```\n"
      "```sh\n"
      "ls\n"
      "```\n");
  ASSERT_EQ(parsed.edits.size(), 1u);
  ASSERT_EQ(parsed.shell_blocks.size(), 2u);
  EXPECT_EQ(parsed.shell_blocks[0], "python a.py --out run_0\n");
  EXPECT_EQ(parsed.shell_blocks[1], "ls\n");
}

TEST(DiffBlocks, AShellFenceAroundAnEditIsAnEditToAShellScript) {
  // The SEARCH marker on the next line (or the one after) makes the ```bash fence an edit fence.
  const auto parsed = diff_ok(
      "run.sh\n"
      "```bash\n"
      "<<<<<<< SEARCH\n"
      "echo hi\n"
      "=======\n"
      "echo hello\n"
      ">>>>>>> REPLACE\n"
      "```\n"
      "```bash\n"
      "run.sh\n"
      "<<<<<<< SEARCH\n"
      "echo hello\n"
      "=======\n"
      "echo bye\n"
      ">>>>>>> REPLACE\n"
      "```\n");
  ASSERT_EQ(parsed.edits.size(), 2u);
  EXPECT_TRUE(parsed.shell_blocks.empty());
  expect_block(parsed.edits[0], "run.sh", "echo hi\n", "echo hello\n", 3);
  expect_block(parsed.edits[1], "run.sh", "echo hello\n", "echo bye\n", 11);
}

TEST(DiffBlocks, AnUnclosedShellBlockRunsToTheEnd) {
  const auto parsed = diff_ok("```bash\npip install numpy\n");
  ASSERT_EQ(parsed.shell_blocks.size(), 1u);
  EXPECT_EQ(parsed.shell_blocks[0], "pip install numpy\n");
}

// ---------------------------------------------------------------------------------------------
// SEARCH/REPLACE: malformed replies

TEST(DiffBlocks, MissingFileNameSaysWhereAndHow) {
  const std::string message = diff_error(
      "Here is the change:\n"
      "\n"
      "```\n"
      "<<<<<<< SEARCH\n"
      "a\n"
      "=======\n"
      "b\n"
      ">>>>>>> REPLACE\n"
      "```\n");
  EXPECT_NE(message.find("Line 4"), std::string::npos) << message;
  EXPECT_NE(message.find("Bad/missing filename. The filename must be alone on the line before "
                         "the opening fence ```"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("path/to/file.ext\n```\n<<<<<<< SEARCH\n"), std::string::npos) << message;
}

TEST(DiffBlocks, MissingDividerSaysWhereAndHow) {
  const std::string message = diff_error("a.py\n```\n<<<<<<< SEARCH\nx\ny\n>>>>>>> REPLACE\n```\n");
  EXPECT_NE(message.find("Line 3"), std::string::npos) << message;
  EXPECT_NE(message.find("Expected `=======`"), std::string::npos) << message;
  EXPECT_NE(message.find("(line 7)"), std::string::npos) << message;
  EXPECT_NE(message.find("<<<<<<< SEARCH\nexact existing lines\n=======\nnew lines\n"
                         ">>>>>>> REPLACE\n```"),
            std::string::npos)
      << message;
}

TEST(DiffBlocks, MissingReplaceMarkerSaysWhereAndHow) {
  // A reply cut off in the middle of the REPLACE section.
  const std::string message = diff_error("a.py\n```\n<<<<<<< SEARCH\nx\n=======\ny\nz\n");
  EXPECT_NE(message.find("Line 5"), std::string::npos) << message;
  EXPECT_NE(message.find("Expected `>>>>>>> REPLACE` or `=======`"), std::string::npos) << message;
  EXPECT_NE(message.find("starts at line 3"), std::string::npos) << message;
  EXPECT_NE(message.find("cut off"), std::string::npos) << message;
}

TEST(DiffBlocks, ErrorsShowTheFenceInUse) {
  const std::string message = diff_error(
      "````\n<<<<<<< SEARCH\na\n=======\nb\n>>>>>>> REPLACE\n````\n", Fence{"````", "````"});
  EXPECT_NE(message.find("before the opening fence ````"), std::string::npos) << message;
  EXPECT_NE(message.find("path/to/file.ext\n````\n"), std::string::npos) << message;
}

TEST(DiffBlocks, AnErrorInALaterBlockFailsTheWholeReply) {
  const std::string message = diff_error(
      "a.py\n```\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n```\n"
      "b.py\n```\n<<<<<<< SEARCH\nx\n");
  EXPECT_NE(message.find("Line 11"), std::string::npos) << message;
}

// ---------------------------------------------------------------------------------------------
// Whole files

ParsedReply whole_ok(std::string_view reply, const std::vector<std::string>& known = {}) {
  auto parsed = edit::parse_whole_blocks(reply, known);
  EXPECT_TRUE(parsed.has_value()) << parsed.error().message;
  return parsed.value_or(ParsedReply{});
}

std::string whole_error(std::string_view reply, const std::vector<std::string>& known = {}) {
  auto parsed = edit::parse_whole_blocks(reply, known);
  EXPECT_FALSE(parsed.has_value());
  if (parsed) return {};
  EXPECT_EQ(parsed.error().code, ErrorCode::parse);
  return parsed.error().message;
}

void expect_whole(const EditBlock& block, std::string_view path, std::string_view content,
                  int line) {
  EXPECT_EQ(block.path, path);
  EXPECT_EQ(block.search, "");
  EXPECT_EQ(block.replace, content);
  EXPECT_TRUE(block.whole_file);
  EXPECT_EQ(block.line, line);
}

TEST(WholeBlocks, PathLineThenFencedFile) {
  const auto parsed = whole_ok(
      "Here is the new version.\n"
      "\n"
      "src/app.py\n"
      "```python\n"
      "import sys\n"
      "\n"
      "print(sys.argv)\n"
      "```\n"
      "That is all.\n");
  ASSERT_EQ(parsed.edits.size(), 1u);
  expect_whole(parsed.edits[0], "src/app.py", "import sys\n\nprint(sys.argv)\n", 4);
}

TEST(WholeBlocks, PathOnTheFenceLineAndDecoratedPaths) {
  auto parsed = whole_ok("```src/app.py\nx = 1\n```\n");
  ASSERT_EQ(parsed.edits.size(), 1u);
  expect_whole(parsed.edits[0], "src/app.py", "x = 1\n", 1);

  parsed = whole_ok("**src/app.py**\n```\nx = 1\n```\n`notes.txt`:\n```text\nok\n```\n");
  ASSERT_EQ(parsed.edits.size(), 2u);
  expect_whole(parsed.edits[0], "src/app.py", "x = 1\n", 2);
  expect_whole(parsed.edits[1], "notes.txt", "ok\n", 6);
}

TEST(WholeBlocks, FourBacktickFenceKeepsInnerFences) {
  const auto parsed = whole_ok(
      "README.md\n"
      "````markdown\n"
      "# Title\n"
      "```sh\n"
      "make\n"
      "```\n"
      "````\n");
  ASSERT_EQ(parsed.edits.size(), 1u);
  expect_whole(parsed.edits[0], "README.md", "# Title\n```sh\nmake\n```\n", 2);
  EXPECT_TRUE(parsed.shell_blocks.empty());
}

TEST(WholeBlocks, SeveralFilesAndAnEmptyFile) {
  const auto parsed =
      whole_ok("a.py\n```\nA\n```\n\nb/c.py\n```python\n```\nd.txt\n```\r\nD\r\n```\r\n");
  ASSERT_EQ(parsed.edits.size(), 3u);
  expect_whole(parsed.edits[0], "a.py", "A\n", 2);
  expect_whole(parsed.edits[1], "b/c.py", "", 7);
  expect_whole(parsed.edits[2], "d.txt", "D\n", 10);
}

TEST(WholeBlocks, KnownFilesResolveBaseNames) {
  const auto parsed = whole_ok("app.py\n```\nx\n```\n", {"src/app.py"});
  ASSERT_EQ(parsed.edits.size(), 1u);
  EXPECT_EQ(parsed.edits[0].path, "src/app.py");
}

TEST(WholeBlocks, AnUnnamedBlockIsNeverGivenToTheLoneFile) {
  // Only one file is in play, but a block without a name is not that file (aider would take it
  // for it): it may be example output, which would overwrite experiment.py.
  auto parsed = whole_ok("Here you go:\n```python\nx\n```\n", {"experiment.py"});
  EXPECT_TRUE(parsed.edits.empty());
  parsed = whole_ok("The run prints:\n```\nloss 0.1\n```\n", {"experiment.py"});
  EXPECT_TRUE(parsed.edits.empty());
}

TEST(WholeBlocks, AnUnnamedBlockNextToAFileListingIsSkipped) {
  // The "output" block is neither an edit nor an error: the listing before it still applies.
  const auto parsed = whole_ok(
      "src/app.py\n```python\nprint(0.1)\n```\nExpected output:\n```\n0.1\n```\n", {"src/app.py"});
  ASSERT_EQ(parsed.edits.size(), 1u);
  expect_whole(parsed.edits[0], "src/app.py", "print(0.1)\n", 2);
}

TEST(WholeBlocks, ProseWordsAndLanguageTagsAreNotPaths) {
  const std::vector<std::string> known = {"a.py", "b.py"};
  for (const char* reply : {
           "Output:\n```\n0.1\n```\n",
           "Usage:\n```\npython a.py --n 3\n```\n",
           "**Result**\n```\nok\n```\n",
           "Done.\n```\nok\n```\n",
           "```python3.11\nx = 1\n```\n",
           "```3.11\nx = 1\n```\n",
           "https://example.com/docs\n```\nx\n```\n",
       }) {
    const auto parsed = whole_ok(reply, known);
    EXPECT_TRUE(parsed.edits.empty()) << reply << " gave " << parsed.edits.front().path;
  }
  // A language tag that is not a path does not hide the path on the line before.
  auto parsed = whole_ok("src/app.py\n```python3.11\nx = 1\n```\n", known);
  ASSERT_EQ(parsed.edits.size(), 1u);
  expect_whole(parsed.edits[0], "src/app.py", "x = 1\n", 2);
}

TEST(WholeBlocks, PathsWithoutAnExtensionOrWithADotFile) {
  // A known file needs no '.' or '/'.
  auto parsed = whole_ok("Makefile\n```\nall:\n```\n", {"Makefile"});
  ASSERT_EQ(parsed.edits.size(), 1u);
  EXPECT_EQ(parsed.edits[0].path, "Makefile");
  // An unknown one is a path when it has a '/' or a '.' and a letter.
  parsed = whole_ok(
      "scripts/run\n```\necho\n```\n.gitignore\n```\n*.pyc\n```\n```python src/x.py\ny\n```\n");
  ASSERT_EQ(parsed.edits.size(), 3u);
  EXPECT_EQ(parsed.edits[0].path, "scripts/run");
  EXPECT_EQ(parsed.edits[1].path, ".gitignore");
  EXPECT_EQ(parsed.edits[2].path, "src/x.py");
}

TEST(WholeBlocks, ShellBlocksWithoutAPathAreShellBlocks) {
  const auto parsed =
      whole_ok("a.py\n```\nx\n```\nRun it:\n```bash\npython a.py\n```\n", {"a.py", "b.py"});
  ASSERT_EQ(parsed.edits.size(), 1u);
  ASSERT_EQ(parsed.shell_blocks.size(), 1u);
  EXPECT_EQ(parsed.shell_blocks[0], "python a.py\n");
}

TEST(WholeBlocks, AFenceWithoutAFileNameIsNotAnEdit) {
  // Prose before the fence is not a path; the block is skipped (the caller reports a reply with
  // no edits).
  const auto parsed =
      whole_ok("Here is the updated file:\n```python\nx = 1\n```\n", {"a.py", "b.py"});
  EXPECT_TRUE(parsed.edits.empty());
  EXPECT_TRUE(parsed.shell_blocks.empty());
}

TEST(WholeBlocks, AFenceThatNeverClosesIsAnError) {
  const std::string message = whole_error("src/app.py\n```python\nimport sys\nprint(1)\n");
  EXPECT_NE(message.find("Line 2"), std::string::npos) << message;
  EXPECT_NE(message.find("src/app.py"), std::string::npos) << message;
  EXPECT_NE(message.find("cut off"), std::string::npos) << message;
  // A ``` line does not close a ```` fence.
  const std::string nested = whole_error("README.md\n````\n```\ntext\n```\n");
  EXPECT_NE(nested.find("Expected a closing ````"), std::string::npos) << nested;
}

// ---------------------------------------------------------------------------------------------
// Unified diffs

ParsedReply udiff_ok(std::string_view reply) {
  auto parsed = edit::parse_udiff(reply);
  EXPECT_TRUE(parsed.has_value()) << parsed.error().message;
  return parsed.value_or(ParsedReply{});
}

std::string udiff_error(std::string_view reply) {
  auto parsed = edit::parse_udiff(reply);
  EXPECT_FALSE(parsed.has_value());
  if (parsed) return {};
  EXPECT_EQ(parsed.error().code, ErrorCode::parse);
  return parsed.error().message;
}

TEST(Udiff, OneHunkWithGitPrefixes) {
  const auto parsed = udiff_ok(
      "Here is the diff:\n"
      "```diff\n"
      "--- a/src/app.py\n"
      "+++ b/src/app.py\n"
      "@@ -10,3 +10,3 @@ def main():\n"
      " def main():\n"
      "-    print('hi')\n"
      "+    print('hello')\n"
      "     return 0\n"
      "```\n");
  ASSERT_EQ(parsed.edits.size(), 1u);
  expect_block(parsed.edits[0], "src/app.py", "def main():\n    print('hi')\n    return 0\n",
               "def main():\n    print('hello')\n    return 0\n", 5);
}

TEST(Udiff, SeveralHunksAndFiles) {
  const auto parsed = udiff_ok(
      "```diff\n"
      "--- model.py\n"
      "+++ model.py\n"
      "@@ ... @@\n"
      "-lr = 0.1\n"
      "+lr = 0.01\n"
      "@@ ... @@\n"
      " x = 1\n"
      "-y = 2\n"
      "\n"
      "--- plot.py\n"
      "+++ plot.py\n"
      "@@ ... @@\n"
      "+import numpy\n"
      " import matplotlib\n"
      "```\n");
  ASSERT_EQ(parsed.edits.size(), 3u);
  expect_block(parsed.edits[0], "model.py", "lr = 0.1\n", "lr = 0.01\n", 4);
  expect_block(parsed.edits[1], "model.py", "x = 1\ny = 2\n", "x = 1\n", 7);
  expect_block(parsed.edits[2], "plot.py", "import matplotlib\n",
               "import numpy\nimport matplotlib\n", 13);
}

TEST(Udiff, DevNullCreatesAFile) {
  const auto parsed = udiff_ok(
      "```diff\n--- /dev/null\n+++ b/new/helper.py\n@@ -0,0 +1,2 @@\n+def f():\n+    pass\n```\n");
  ASSERT_EQ(parsed.edits.size(), 1u);
  expect_block(parsed.edits[0], "new/helper.py", "", "def f():\n    pass\n", 4);
  EXPECT_TRUE(parsed.edits[0].create_only);
  EXPECT_FALSE(parsed.edits[0].needs_context);
}

TEST(Udiff, ANewFileInSeveralHunksIsOneBlock) {
  // An empty line in a new file's hunk is an empty added line: a new file has no context.
  const auto parsed = udiff_ok(
      "```diff\n--- /dev/null\n+++ n.py\n@@ -0,0 +1,3 @@\n+import os\n\n+x = 1\n@@ -0,0 +4 @@\n+y "
      "= 2\n"
      "--- a.py\n+++ a.py\n@@ @@\n-p\n+q\n```\n");
  ASSERT_EQ(parsed.edits.size(), 2u);
  expect_block(parsed.edits[0], "n.py", "", "import os\n\nx = 1\ny = 2\n", 4);
  EXPECT_TRUE(parsed.edits[0].create_only);
  expect_block(parsed.edits[1], "a.py", "p\n", "q\n", 12);
  EXPECT_FALSE(parsed.edits[1].create_only);
}

TEST(Udiff, AddedLinesWithoutContextInAnExistingFileNeedContext) {
  const auto parsed =
      udiff_ok("```diff\n--- a.py\n+++ a.py\n@@ -10,0 +11,2 @@\n+x = 1\n+y = 2\n```\n");
  ASSERT_EQ(parsed.edits.size(), 1u);
  expect_block(parsed.edits[0], "a.py", "", "x = 1\ny = 2\n", 4);
  EXPECT_TRUE(parsed.edits[0].needs_context);
  EXPECT_FALSE(parsed.edits[0].create_only);
  // With a context line it is an ordinary hunk.
  const auto anchored = udiff_ok("```diff\n--- a.py\n+++ a.py\n@@ @@\n z = 0\n+x = 1\n```\n");
  ASSERT_EQ(anchored.edits.size(), 1u);
  EXPECT_FALSE(anchored.edits[0].needs_context);
  EXPECT_FALSE(anchored.edits[0].create_only);
}

TEST(Udiff, GitPrefixesAreRemovedOnlyFromGitStyleHeaders) {
  const auto path_of = [](const std::string& old_header, const std::string& new_header) {
    const auto parsed =
        udiff_ok("```diff\n" + old_header + "\n" + new_header + "\n@@ @@\n-x\n+y\n```\n");
    return parsed.edits.size() == 1 ? parsed.edits[0].path : "<none>";
  };
  EXPECT_EQ(path_of("--- a/src/x.py", "+++ b/src/x.py"), "src/x.py");
  // Folders really named a/ or b/.
  EXPECT_EQ(path_of("--- a/x.py", "+++ a/x.py"), "a/x.py");
  EXPECT_EQ(path_of("--- b/x.py", "+++ b/x.py"), "b/x.py");
  EXPECT_EQ(path_of("--- x.py", "+++ b/x.py"), "b/x.py");
  // /dev/null stands in for the missing side.
  EXPECT_EQ(path_of("--- a/gone.py", "+++ /dev/null"), "gone.py");
  const auto created = udiff_ok("```diff\n--- /dev/null\n+++ b/new.py\n@@ @@\n+x\n```\n");
  ASSERT_EQ(created.edits.size(), 1u);
  EXPECT_EQ(created.edits[0].path, "new.py");
  const auto plain = udiff_ok("```diff\n--- /dev/null\n+++ a/new.py\n@@ @@\n+x\n```\n");
  ASSERT_EQ(plain.edits.size(), 1u);
  EXPECT_EQ(plain.edits[0].path, "a/new.py");
}

TEST(Udiff, EmptyLinesInAHunkAreContext) {
  const auto parsed =
      udiff_ok("```diff\n--- a.py\n+++ a.py\n@@ @@\n x = 1\n\n-y = 2\n+y = 3\n\n```\n");
  ASSERT_EQ(parsed.edits.size(), 1u);
  // The empty line inside is context; the one before the closing fence is spacing.
  expect_block(parsed.edits[0], "a.py", "x = 1\n\ny = 2\n", "x = 1\n\ny = 3\n", 4);
}

TEST(Udiff, PreambleNoNewlineMarkersAndContextOnlyHunksAreSkipped) {
  const auto parsed = udiff_ok(
      "```diff\n"
      "diff --git a/a.py b/a.py\n"
      "index 83db48f..bf269f4 100644\n"
      "--- a/a.py\n"
      "+++ b/a.py\n"
      "@@ -1 +1 @@\n"
      " nothing changes here\n"
      "@@ -5 +5 @@\n"
      "-old\n"
      "\\ No newline at end of file\n"
      "+new\n"
      "```\n"
      "```diff\r\n--- b.py\r\n+++ b.py\r\n@@ @@\r\n-p\r\n+q\r\n```\r\n");
  ASSERT_EQ(parsed.edits.size(), 2u);
  expect_block(parsed.edits[0], "a.py", "old\n", "new\n", 8);
  expect_block(parsed.edits[1], "b.py", "p\n", "q\n", 16);
}

TEST(Udiff, HunkLinesRightAfterTheHeaderNeedNoAtLine) {
  const auto parsed = udiff_ok("```diff\n--- a.py\n+++ a.py\n-x\n+y\n```\n");
  ASSERT_EQ(parsed.edits.size(), 1u);
  expect_block(parsed.edits[0], "a.py", "x\n", "y\n", 4);
}

TEST(Udiff, RemovedLineStartingWithDashesIsNotAHeader) {
  const auto parsed =
      udiff_ok("```diff\n--- a.md\n+++ a.md\n@@ @@\n--- old rule\n+new rule\n```\n");
  ASSERT_EQ(parsed.edits.size(), 1u);
  expect_block(parsed.edits[0], "a.md", "-- old rule\n", "new rule\n", 4);
}

TEST(Udiff, TextOutsideDiffFencesIsIgnoredAndShellBlocksAreCollected) {
  const auto parsed =
      udiff_ok("--- not/in/a/fence.py\n+++ x\n```python\n-x\n```\n```bash\nmake\n```\n");
  EXPECT_TRUE(parsed.edits.empty());
  ASSERT_EQ(parsed.shell_blocks.size(), 1u);
  EXPECT_EQ(parsed.shell_blocks[0], "make\n");
}

TEST(Udiff, MalformedHunkLineNamesTheLine) {
  const std::string message =
      udiff_error("```diff\n--- a.py\n+++ a.py\n@@ @@\n x\nbroken line\n+y\n```\n");
  EXPECT_NE(message.find("Line 6"), std::string::npos) << message;
  EXPECT_NE(message.find("`broken line`"), std::string::npos) << message;
  EXPECT_NE(message.find("' ' (unchanged), '-' (removed) or '+' (added)"), std::string::npos)
      << message;
  EXPECT_NE(message.find("```diff\n--- path/to/file.ext\n+++ path/to/file.ext\n@@ ... @@\n"),
            std::string::npos)
      << message;
}

TEST(Udiff, MissingHeadersAreErrors) {
  std::string message = udiff_error("```diff\n@@ -1 +1 @@\n-x\n+y\n```\n");
  EXPECT_NE(message.find("Line 2"), std::string::npos) << message;
  EXPECT_NE(message.find("Expected `--- path` and `+++ path`"), std::string::npos) << message;

  message = udiff_error("```diff\n-x\n+y\n```\n");
  EXPECT_NE(message.find("Line 2"), std::string::npos) << message;

  message = udiff_error("```diff\n--- a.py\n@@ @@\n-x\n+y\n```\n");
  EXPECT_NE(message.find("Line 2"), std::string::npos) << message;
  EXPECT_NE(message.find("Expected `+++ path`"), std::string::npos) << message;

  message = udiff_error("```diff\n--- a.py\n+++ a.py\nsome prose\n```\n");
  EXPECT_NE(message.find("Line 4"), std::string::npos) << message;
  EXPECT_NE(message.find("Expected `@@ ... @@`"), std::string::npos) << message;
}

TEST(Udiff, AnUnclosedFenceIsAnError) {
  const std::string message = udiff_error("Sure.\n```diff\n--- a.py\n+++ a.py\n@@ @@\n-x\n+y\n");
  EXPECT_NE(message.find("Line 2"), std::string::npos) << message;
  EXPECT_NE(message.find("cut off"), std::string::npos) << message;
}

// ---------------------------------------------------------------------------------------------
// Formats

TEST(EditFormat, NamesRoundTrip) {
  for (const auto format :
       {edit::EditFormat::diff, edit::EditFormat::whole, edit::EditFormat::udiff}) {
    const auto parsed = edit::parse_edit_format(edit::to_string(format));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, format);
  }
  EXPECT_EQ(edit::to_string(edit::EditFormat::udiff), "udiff");
}

TEST(EditFormat, UnknownNameListsTheChoices) {
  const auto parsed = edit::parse_edit_format("editblock");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().code, ErrorCode::invalid_argument);
  EXPECT_NE(parsed.error().message.find("'editblock'"), std::string::npos);
  EXPECT_NE(parsed.error().message.find("diff, whole or udiff"), std::string::npos);
}

TEST(EditFormat, ParseReplyDispatches) {
  const std::string diff = "a.py\n```\n<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n```\n";
  auto parsed = edit::parse_reply(edit::EditFormat::diff, diff);
  ASSERT_TRUE(parsed.has_value());
  ASSERT_EQ(parsed->edits.size(), 1u);
  EXPECT_FALSE(parsed->edits[0].whole_file);

  parsed = edit::parse_reply(edit::EditFormat::whole, "a.py\n```\ny\n```\n");
  ASSERT_TRUE(parsed.has_value());
  ASSERT_EQ(parsed->edits.size(), 1u);
  EXPECT_TRUE(parsed->edits[0].whole_file);

  parsed = edit::parse_reply(edit::EditFormat::udiff, "```diff\n--- a.py\n+++ a.py\n-x\n+y\n```\n");
  ASSERT_TRUE(parsed.has_value());
  ASSERT_EQ(parsed->edits.size(), 1u);
  EXPECT_EQ(parsed->edits[0].replace, "y\n");
}

}  // namespace
