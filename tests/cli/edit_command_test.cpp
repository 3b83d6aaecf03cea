// `ai-scientist edit apply` end to end: the real binary on real files.
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/cli_runner.h"
#include "support/temp_dir.h"

namespace {

using test_support::Cli;
using test_support::TempDir;

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

constexpr const char* k_reply = R"(I will change the rate and add a helper.

experiment.py
```python
<<<<<<< SEARCH
lr = 0.1
=======
lr = 0.2
>>>>>>> REPLACE
```

helpers.py
```python
<<<<<<< SEARCH
=======
def double(x):
    return 2 * x
>>>>>>> REPLACE
```

plot.py
```python
<<<<<<< SEARCH
this line is not there
=======
x = 1
>>>>>>> REPLACE
```
)";

TEST(EditApply, AppliesWhatMatchesAndReportsEachBlock) {
  TempDir root;
  root.write_file("experiment.py", "import math\nlr = 0.1\nprint(lr)\n");
  root.write_file("plot.py", "import matplotlib\n");
  // Outside the root: a reply inside it would itself be a file the edits may match.
  TempDir elsewhere;
  auto reply = elsewhere.write_file("reply.md", k_reply);
  Cli cli;
  auto run = cli.run(
      {"edit", "apply", "--root", root.path().string(), "--reply", reply.string(), "--json"});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  auto j = nlohmann::json::parse(run.out);
  ASSERT_EQ(j["blocks"].size(), 3u);
  EXPECT_EQ(j["blocks"][0]["outcome"], "applied");
  EXPECT_EQ(j["blocks"][1]["outcome"], "created");
  EXPECT_EQ(j["blocks"][2]["outcome"], "failed");
  EXPECT_FALSE(j["blocks"][2]["message"].get<std::string>().empty());
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(read_file(root.path() / "experiment.py"), "import math\nlr = 0.2\nprint(lr)\n");
  EXPECT_EQ(read_file(root.path() / "helpers.py"), "def double(x):\n    return 2 * x\n");
  EXPECT_EQ(read_file(root.path() / "plot.py"), "import matplotlib\n");
}

TEST(EditApply, RefusesFilesOutsideTheAllowedOnes) {
  TempDir root;
  root.write_file("experiment.py", "lr = 0.1\n");
  auto reply = root.write_file("reply.md", k_reply);
  Cli cli;
  auto run = cli.run({"edit", "apply", "--root", root.path().string(), "--reply", reply.string(),
                      "--allow", "experiment.py"});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.out.find("applied"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("refused"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("helpers.py"), std::string::npos) << run.out;
  EXPECT_FALSE(std::filesystem::exists(root.path() / "helpers.py"));
}

TEST(EditApply, ExitsZeroWhenEverythingAppliedAndTwoOnBadUsage) {
  TempDir root;
  root.write_file("a.txt", "one\ntwo\n");
  auto reply = root.write_file(
      "reply.md", "a.txt\n```\n<<<<<<< SEARCH\ntwo\n=======\nthree\n>>>>>>> REPLACE\n```\n");
  Cli cli;
  auto ok = cli.run({"edit", "apply", "--root", root.path().string(), "--reply", reply.string()});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_EQ(read_file(root.path() / "a.txt"), "one\nthree\n");
  // Sent again, the same reply is already applied: still a success.
  auto again =
      cli.run({"edit", "apply", "--root", root.path().string(), "--reply", reply.string()});
  EXPECT_EQ(again.exit_code, 0) << again.out;
  EXPECT_NE(again.out.find("already_applied"), std::string::npos) << again.out;
  auto bad = cli.run({"edit", "apply", "--root", root.path().string(), "--reply", reply.string(),
                      "--format", "patch"});
  EXPECT_EQ(bad.exit_code, 2);
  auto missing = cli.run({"edit", "apply", "--reply", reply.string()});
  EXPECT_EQ(missing.exit_code, 2);
}

TEST(EditApply, ABrokenReplyAppliesNothingAndSaysWhereItBroke) {
  TempDir root;
  root.write_file("a.txt", "one\n");
  auto reply =
      root.write_file("reply.md",
                      "a.txt\n```\n<<<<<<< SEARCH\none\n=======\nuno\n>>>>>>> REPLACE\n```\n\n"
                      "a.txt\n```\n<<<<<<< SEARCH\none\n```\n");
  Cli cli;
  auto run = cli.run({"edit", "apply", "--root", root.path().string(), "--reply", reply.string()});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("nothing was applied"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("======="), std::string::npos) << run.err;
  EXPECT_EQ(read_file(root.path() / "a.txt"), "one\n");
}

}  // namespace
