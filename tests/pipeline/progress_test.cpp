#include "pipeline/progress.h"

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/fake_clock.h"
#include "support/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using pipeline::IdeaLog;
using pipeline::IdeaStatus;
using pipeline::ProgressOptions;
using pipeline::ProgressView;
using test_support::FakeClock;
using test_support::TempDir;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

// What a terminal shows after `bytes`: text overwrites at the cursor, '\n' goes to the start of
// the next line, and the escapes the view uses: ESC[nF (n lines up, column 0), ESC[2K (clear the
// line), ESC[J (clear to the end of the screen). Any other escape fails the test.
std::vector<std::string> screen(const std::string& bytes) {
  std::vector<std::string> rows(1);
  std::size_t row = 0;
  std::size_t col = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const char c = bytes[i];
    if (c == '\x1b') {
      EXPECT_EQ(bytes.at(i + 1), '[');
      std::size_t j = i + 2;
      int n = 0;
      while (std::isdigit(static_cast<unsigned char>(bytes.at(j))))
        n = n * 10 + (bytes[j++] - '0');
      const char command = bytes.at(j);
      if (command == 'F') {
        EXPECT_LE(static_cast<std::size_t>(n), row) << "cursor moved above the screen";
        row -= std::min<std::size_t>(row, static_cast<std::size_t>(n));
        col = 0;
      } else if (command == 'K' && n == 2) {
        rows[row].clear();
      } else if (command == 'J' && n == 0) {
        rows[row].resize(std::min(rows[row].size(), col));
        rows.resize(row + 1);
      } else {
        ADD_FAILURE() << "unexpected escape ESC[" << n << command;
      }
      i = j;
      continue;
    }
    if (c == '\n') {
      ++row;
      col = 0;
      if (rows.size() <= row) rows.emplace_back();
      continue;
    }
    std::string& line = rows[row];
    if (line.size() < col) line.resize(col, ' ');
    if (col < line.size()) {
      line[col] = c;
    } else {
      line += c;
    }
    ++col;
  }
  // The cursor rests on an empty line below the block.
  if (!rows.empty() && rows.back().empty()) rows.pop_back();
  return rows;
}

ProgressOptions plain(std::optional<double> budget = std::nullopt) {
  ProgressOptions o;
  o.tty = false;
  o.budget_usd = budget;
  o.stamp = [] { return "T"; };
  return o;
}

ProgressOptions tty(int columns = 0) {
  ProgressOptions o;
  o.tty = true;
  o.columns = columns;
  o.stamp = [] { return "T"; };
  return o;
}

TEST(ProgressView, PlainModeWritesOneTimestampedLinePerChange) {
  FakeClock clock;
  std::ostringstream out;
  ProgressView view(out, clock, plain(10.0));
  view.add_idea("alpha");
  view.add_idea("beta");
  EXPECT_EQ(out.str(), "");  // nothing has happened yet

  view.stage("alpha", "novelty");
  clock.advance(65s);
  view.stage("alpha", "experiments");
  view.experiment_run("alpha", 2, 5);
  view.cost("alpha", 0.42);  // comes with every LLM call: no line of its own
  clock.advance(3600s);
  view.finished("alpha", IdeaStatus::done);
  view.stage("beta", "novelty");
  view.finished("beta", IdeaStatus::skipped, "not novel");
  view.stage("gamma", "writeup");  // not added before: added now
  view.finished("gamma", IdeaStatus::failed, "writeup: latex did not compile");
  view.message("the budget is 80% spent");
  view.refresh();  // nothing in plain mode

  EXPECT_EQ(lines_of(out.str()),
            (std::vector<std::string>{
                "T alpha: novelty (00:00:00, $0.00)",
                "T alpha: experiments (00:01:05, $0.00)",
                "T alpha: experiments run 2/5 (00:01:05, $0.00)",
                "T alpha: done (01:01:05, $0.42)",
                "T total  1 done, 0 failed, 0 skipped, 0 running, 1 pending  01:01:05  $0.42 of "
                "$10.00 budget",
                "T beta: novelty (00:00:00, $0.00)",
                "T beta: skipped: not novel (00:00:00, $0.00)",
                "T total  1 done, 0 failed, 1 skipped, 0 running, 0 pending  01:01:05  $0.42 of "
                "$10.00 budget",
                "T gamma: writeup (00:00:00, $0.00)",
                "T gamma: failed at writeup: latex did not compile (00:00:00, $0.00)",
                "T total  1 done, 1 failed, 1 skipped, 0 running, 0 pending  01:01:05  $0.42 of "
                "$10.00 budget",
                "T the budget is 80% spent",
            }));
  EXPECT_EQ(out.str().find('\x1b'), std::string::npos);
}

TEST(ProgressView, TtyModeRedrawsOneBlockInPlace) {
  FakeClock clock;
  std::ostringstream out;
  ProgressView view(out, clock, tty());
  view.add_idea("alpha");
  view.add_idea("beta_long_name");
  // The first draw starts where the cursor is; nothing above it is touched.
  EXPECT_EQ(out.str().rfind("\x1b[2K", 0), 0u) << out.str();

  view.stage("alpha", "experiments");
  clock.advance(65s);
  view.experiment_run("alpha", 2, 5);
  view.cost("alpha", 0.42);
  EXPECT_NE(out.str().find("\x1b[3F"), std::string::npos);  // back up over 2 ideas + total
  EXPECT_EQ(screen(out.str()),
            (std::vector<std::string>{
                "alpha           00:01:05  $0.42  experiments run 2/5",
                "beta_long_name  --:--:--  $0.00  pending",
                "total  0 done, 0 failed, 0 skipped, 1 running, 1 pending  00:01:05  $0.42 (no "
                "budget)",
            }));

  // refresh() moves the clocks without any change.
  clock.advance(10s);
  view.refresh();
  EXPECT_EQ(screen(out.str())[0], "alpha           00:01:15  $0.42  experiments run 2/5");

  // A message goes above the block, which is drawn again below it and stays below it.
  view.message("note: GPU 1 is busy");
  view.finished("alpha", IdeaStatus::failed, "writeup: latex did not compile");
  view.total_cost(1.5);  // includes calls outside any idea
  EXPECT_EQ(screen(out.str()),
            (std::vector<std::string>{
                "note: GPU 1 is busy",
                "alpha           00:01:15  $0.42  failed at writeup: latex did not compile",
                "beta_long_name  --:--:--  $0.00  pending",
                "total  0 done, 1 failed, 0 skipped, 0 running, 1 pending  00:01:15  $1.50 (no "
                "budget)",
            }));
}

TEST(ProgressView, TtyLinesAreCutSoThatNoneWraps) {
  FakeClock clock;
  std::ostringstream out;
  ProgressView view(out, clock, tty(40));
  view.stage("idea", "writeup");
  view.finished("idea", IdeaStatus::failed,
                "writeup: a very long reason that would wrap on a narrow terminal");
  view.message("short");
  const auto shown = screen(out.str());
  ASSERT_EQ(shown.size(), 3u);  // message, idea, total: no extra rows from wrapping
  EXPECT_EQ(shown[0], "short");
  for (const auto& line : shown)
    EXPECT_LE(line.size(), 39u) << line;
  EXPECT_EQ(shown[1].rfind("idea  00:00:00  $0.00  failed at", 0), 0u) << shown[1];
}

TEST(ProgressView, UpdatesFromManyThreadsComeOutWhole) {
  FakeClock clock;
  std::ostringstream out;
  ProgressView view(out, clock, plain());
  constexpr int k_threads = 8;
  constexpr int k_updates = 40;
  std::vector<std::thread> pool;
  for (int t = 0; t < k_threads; ++t) {
    pool.emplace_back([&, t] {
      const std::string idea = fmt::format("idea_{}", t);
      for (int i = 0; i < k_updates; ++i) {
        view.stage(idea, fmt::format("stage_{}", i));
        view.cost(idea, i * 0.01);
      }
    });
  }
  for (auto& th : pool)
    th.join();
  const auto lines = lines_of(out.str());
  ASSERT_EQ(lines.size(), static_cast<std::size_t>(k_threads * k_updates));
  std::vector<int> next(k_threads, 0);
  for (const auto& line : lines) {
    int t = -1;
    int i = -1;
    ASSERT_EQ(std::sscanf(line.c_str(), "T idea_%d: stage_%d (", &t, &i), 2) << line;
    ASSERT_TRUE(t >= 0 && t < k_threads) << line;
    EXPECT_EQ(i, next[static_cast<std::size_t>(t)]++) << "out of order: " << line;
    EXPECT_EQ(line.back(), ')') << line;
  }
}

TEST(IdeaLog, WritesTimestampedLinesFlushedAsTheyCome) {
  TempDir dir;
  const fs::path file = dir.path() / "idea" / "log.txt";
  auto log = IdeaLog::open(file, [] { return "2026-01-01T00:00:00.000Z"; });
  ASSERT_TRUE(log) << log.error().describe();
  ASSERT_TRUE((*log)->write("starting experiments"));
  // Read back while the log is still open: each line is on disk as soon as write returns.
  std::ifstream first(file);
  std::string line;
  ASSERT_TRUE(std::getline(first, line));
  EXPECT_EQ(line, "2026-01-01T00:00:00.000Z starting experiments");

  ASSERT_TRUE((*log)->write("run 1 failed:\nTraceback (most recent call last):\n"));
  auto sink = (*log)->sink();
  log->reset();  // the sink keeps the log open
  sink("run 2 ok");
  EXPECT_EQ(lines_of([&] {
              std::ifstream in(file);
              return std::string(std::istreambuf_iterator<char>(in), {});
            }()),
            (std::vector<std::string>{
                "2026-01-01T00:00:00.000Z starting experiments",
                "2026-01-01T00:00:00.000Z run 1 failed:",
                "2026-01-01T00:00:00.000Z Traceback (most recent call last):",
                "2026-01-01T00:00:00.000Z run 2 ok",
            }));
}

TEST(IdeaLog, AppendsAcrossOpensAndKeepsLinesWholeUnderThreads) {
  TempDir dir;
  const fs::path file = dir.path() / "log.txt";
  {
    auto log = IdeaLog::open(file);
    ASSERT_TRUE(log);
    ASSERT_TRUE((*log)->write("first process"));
  }
  auto log = IdeaLog::open(file);
  ASSERT_TRUE(log);
  std::vector<std::thread> pool;
  for (int t = 0; t < 4; ++t) {
    pool.emplace_back([&, t] {
      auto sink = (*log)->sink();
      for (int i = 0; i < 50; ++i)
        sink(fmt::format("thread {} line {} {}", t, i, std::string(100, 'x')));
    });
  }
  for (auto& th : pool)
    th.join();
  std::ifstream in(file);
  const auto lines = lines_of(std::string(std::istreambuf_iterator<char>(in), {}));
  ASSERT_EQ(lines.size(), 201u);
  EXPECT_NE(lines[0].find(" first process"), std::string::npos);
  for (const auto& line : lines) {
    // The default stamp is core::utc_timestamp: "YYYY-MM-DDTHH:MM:SS.mmmZ ".
    ASSERT_GT(line.size(), 25u);
    EXPECT_EQ(line[10], 'T') << line;
    EXPECT_EQ(line[23], 'Z') << line;
    EXPECT_EQ(line[24], ' ') << line;
  }
}

TEST(IdeaLog, OpeningAFolderFailsWithIo) {
  TempDir dir;
  auto log = IdeaLog::open(dir.path());
  ASSERT_FALSE(log);
  EXPECT_EQ(log.error().code, core::ErrorCode::io);
  EXPECT_NE(log.error().message.find(dir.path().string()), std::string::npos);
}

TEST(Terminal, AFileIsNotATerminal) {
  TempDir dir;
  const fs::path file = dir.path() / "f";
  std::ofstream(file) << "x";
  FILE* f = std::fopen(file.c_str(), "r");
  ASSERT_NE(f, nullptr);
  EXPECT_FALSE(pipeline::is_terminal(fileno(f)));
  EXPECT_EQ(pipeline::terminal_columns(fileno(f)), 0);
  std::fclose(f);
}

}  // namespace
