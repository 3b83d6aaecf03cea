#pragma once

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "pipeline/status.h"

namespace pipeline {

// True when `fd` is a terminal (isatty): the launch redraws its view in place only then.
bool is_terminal(int fd);
// The terminal's width in columns, 0 when `fd` is not a terminal or does not say.
int terminal_columns(int fd);

struct ProgressOptions {
  // Redraw one block in place with ANSI escapes (a terminal); otherwise write one plain,
  // timestamped line per change (a log file, a pipe, CI).
  bool tty = false;
  // In tty mode, lines are cut to columns - 1 so that none wraps (a wrapped line would throw off
  // the redraw). 0: never cut.
  int columns = 0;
  std::optional<double> budget_usd;  // shown on the total line
  // The time stamp of a plain line; tests pass a fixed one.
  std::function<std::string()> stamp = [] { return core::utc_timestamp(); };
};

// The live view of a launch: one line per idea and a total line.
//
//   idea line:  "<name>  <elapsed>  $<cost>  <what it does>", where <what it does> is the stage
//               ("novelty", "experiments run 2/5", ...), "pending", "done", "failed at <stage>:
//               <reason>" or "skipped: <reason>"; elapsed counts from the idea's first stage in
//               this process and stops when it ends.
//   total line: "total  <d> done, <f> failed, <s> skipped, <r> running, <p> pending  <elapsed>
//               $<cost> of $<budget> budget" (or "$<cost> (no budget)"), elapsed since the view
//               was made.
//
// In tty mode every change redraws the block where it stands (the cursor goes back up over the
// lines drawn last time); refresh() redraws it unchanged so the clocks move (call it about once a
// second). In plain mode a change of stage, experiment run or outcome writes one line
// "<stamp> <name>: <what it does> (<elapsed>, $<cost>)", an idea's end is followed by the total
// line, and cost updates alone write nothing (they come with every LLM call).
//
// Thread-safe: updates may come from every idea's thread; each is drawn whole. Updates about an
// idea not added yet add it at the end.
class ProgressView {
 public:
  // Draws nothing until the first change. `out` and `clock` must outlive the view.
  ProgressView(std::ostream& out, core::Clock& clock, ProgressOptions options = {});

  // Adds an idea (pending) if the view lacks it.
  void add_idea(std::string_view idea);
  // The idea started `stage` (it is running; any experiment run count is cleared).
  void stage(std::string_view idea, std::string_view stage);
  // The idea's experiments are at run `run` of `runs`.
  void experiment_run(std::string_view idea, int run, int runs);
  // What the idea has cost so far, in dollars.
  void cost(std::string_view idea, double usd);
  // What the whole launch has cost so far (ideation and other calls outside any idea included).
  // Until it is first set, the total line shows the sum of the ideas' costs.
  void total_cost(double usd);
  // The idea ended: done, failed (`detail`: "<stage>: <reason>") or skipped (`detail`: why).
  void finished(std::string_view idea, IdeaStatus status, std::string_view detail = {});
  // A line for the user that is not about one idea (a budget warning, say): written above the
  // block in tty mode, as a timestamped line otherwise.
  void message(std::string_view text);
  // Redraws the block (tty mode); nothing in plain mode.
  void refresh();

 private:
  struct Row {
    std::string name;
    IdeaStatus status = IdeaStatus::pending;
    std::string stage;
    int run = 0;
    int runs = 0;
    std::string detail;
    double cost = 0;
    std::optional<core::Clock::TimePoint> started;
    std::optional<core::Clock::TimePoint> ended;
  };

  Row& row(std::string_view idea);
  std::string doing(const Row& r) const;
  std::string elapsed(const Row& r) const;
  std::string idea_line(const Row& r, std::size_t name_width) const;
  std::string total_line() const;
  std::string clip(std::string line) const;
  void draw();
  void log_change(const Row& r);

  std::ostream& m_out;
  core::Clock& m_clock;
  const ProgressOptions m_options;
  const core::Clock::TimePoint m_start;
  mutable std::mutex m_mutex;
  std::vector<Row> m_rows;
  std::optional<double> m_total_cost;
  std::size_t m_drawn = 0;  // lines of the block on screen now (tty)
};

// An idea's log.txt: timestamped lines, each written and flushed whole, so that `tail -f` and a
// killed run show everything said so far. Thread-safe.
class IdeaLog : public std::enable_shared_from_this<IdeaLog> {
 public:
  // Opens (creating its folder) `file` for appending. Fails with io when it cannot.
  static core::Result<std::shared_ptr<IdeaLog>> open(
      const std::filesystem::path& file,
      std::function<std::string()> stamp = [] { return core::utc_timestamp(); });

  // Writes "<stamp> <line>\n" for each line of `text` (a trailing newline adds no empty line).
  // Fails with io when the write fails (disk full).
  core::Result<void> write(std::string_view text);
  // A sink to hand to a stage (the stages' Progress callbacks). It keeps the log open; write
  // failures are dropped, since a stage must not fail because its log could not be written.
  std::function<void(std::string_view)> sink();

  const std::filesystem::path& path() const { return m_path; }

 private:
  IdeaLog(std::filesystem::path path, std::function<std::string()> stamp)
      : m_path(std::move(path)), m_stamp(std::move(stamp)) {}

  std::filesystem::path m_path;
  std::function<std::string()> m_stamp;
  std::mutex m_mutex;
  std::ofstream m_out;
};

}  // namespace pipeline
