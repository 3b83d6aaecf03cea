#include "pipeline/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include <fmt/format.h>

namespace pipeline {

using core::ErrorCode;

namespace {

std::string hms(core::Clock::Duration d) {
  const auto s =
      std::max<long long>(0, std::chrono::duration_cast<std::chrono::seconds>(d).count());
  return fmt::format("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
}

std::string dollars(double usd) {
  return fmt::format("${:.2f}", usd);
}

// Display width of UTF-8 text, counting code points (good enough for idea names and stages).
std::size_t width(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

}  // namespace

bool is_terminal(int fd) {
  return ::isatty(fd) == 1;
}

int terminal_columns(int fd) {
  struct winsize ws {};
  if (::ioctl(fd, TIOCGWINSZ, &ws) != 0) return 0;
  return ws.ws_col;
}

ProgressView::ProgressView(std::ostream& out, core::Clock& clock, ProgressOptions options)
    : m_out(out), m_clock(clock), m_options(std::move(options)), m_start(clock.now()) {}

ProgressView::Row& ProgressView::row(std::string_view idea) {
  auto it =
      std::find_if(m_rows.begin(), m_rows.end(), [&](const Row& r) { return r.name == idea; });
  if (it != m_rows.end()) return *it;
  Row added;
  added.name = std::string(idea);
  m_rows.push_back(std::move(added));
  return m_rows.back();
}

std::string ProgressView::doing(const Row& r) const {
  switch (r.status) {
    case IdeaStatus::pending:
      return "pending";
    case IdeaStatus::running:
      if (r.runs > 0) return fmt::format("{} run {}/{}", r.stage, r.run, r.runs);
      return r.stage;
    case IdeaStatus::done:
      return "done";
    case IdeaStatus::failed:
      return r.detail.empty() ? "failed" : fmt::format("failed at {}", r.detail);
    case IdeaStatus::skipped:
      return r.detail.empty() ? "skipped" : fmt::format("skipped: {}", r.detail);
  }
  return "";
}

std::string ProgressView::elapsed(const Row& r) const {
  if (!r.started) return "--:--:--";
  return hms(r.ended.value_or(m_clock.now()) - *r.started);
}

std::string ProgressView::idea_line(const Row& r, std::size_t name_width) const {
  const std::size_t pad = name_width > width(r.name) ? name_width - width(r.name) : 0;
  return fmt::format("{}{}  {}  {}  {}", r.name, std::string(pad, ' '), elapsed(r), dollars(r.cost),
                     doing(r));
}

std::string ProgressView::total_line() const {
  int counts[5] = {};
  double sum = 0;
  for (const auto& r : m_rows) {
    ++counts[static_cast<int>(r.status)];
    sum += r.cost;
  }
  const double total = m_total_cost.value_or(sum);
  const std::string budget = m_options.budget_usd ? fmt::format("{} of {} budget", dollars(total),
                                                                dollars(*m_options.budget_usd))
                                                  : fmt::format("{} (no budget)", dollars(total));
  return fmt::format(
      "total  {} done, {} failed, {} skipped, {} running, {} pending  {}  {}",
      counts[static_cast<int>(IdeaStatus::done)], counts[static_cast<int>(IdeaStatus::failed)],
      counts[static_cast<int>(IdeaStatus::skipped)], counts[static_cast<int>(IdeaStatus::running)],
      counts[static_cast<int>(IdeaStatus::pending)], hms(m_clock.now() - m_start), budget);
}

std::string ProgressView::clip(std::string line) const {
  if (m_options.columns <= 1) return line;
  const std::size_t limit = static_cast<std::size_t>(m_options.columns - 1);
  std::size_t points = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if ((line[i] & 0xC0) == 0x80) continue;  // inside a code point
    if (points++ == limit) {
      line.resize(i);
      break;
    }
  }
  return line;
}

// Goes up over the block drawn last time and writes it again, each line cleared first. Called
// with the mutex held.
void ProgressView::draw() {
  std::size_t name_width = 0;
  for (const auto& r : m_rows)
    name_width = std::max(name_width, width(r.name));
  std::string block;
  if (m_drawn > 0) block += fmt::format("\x1b[{}F", m_drawn);
  for (const auto& r : m_rows)
    block += "\x1b[2K" + clip(idea_line(r, name_width)) + "\n";
  block += "\x1b[2K" + clip(total_line()) + "\n";
  m_drawn = m_rows.size() + 1;
  m_out << block << std::flush;
}

// Called with the mutex held.
void ProgressView::log_change(const Row& r) {
  if (m_options.tty) {
    draw();
    return;
  }
  m_out << fmt::format("{} {}: {} ({}, {})\n", m_options.stamp(), r.name, doing(r), elapsed(r),
                       dollars(r.cost));
  if (r.ended) m_out << fmt::format("{} {}\n", m_options.stamp(), total_line());
  m_out << std::flush;
}

void ProgressView::add_idea(std::string_view idea) {
  std::lock_guard lock(m_mutex);
  const std::size_t before = m_rows.size();
  row(idea);
  if (m_options.tty && m_rows.size() != before) draw();
}

void ProgressView::stage(std::string_view idea, std::string_view stage) {
  std::lock_guard lock(m_mutex);
  Row& r = row(idea);
  r.status = IdeaStatus::running;
  r.stage = std::string(stage);
  r.run = r.runs = 0;
  r.detail.clear();
  if (!r.started) r.started = m_clock.now();
  r.ended.reset();
  log_change(r);
}

void ProgressView::experiment_run(std::string_view idea, int run, int runs) {
  std::lock_guard lock(m_mutex);
  Row& r = row(idea);
  r.run = run;
  r.runs = runs;
  log_change(r);
}

void ProgressView::cost(std::string_view idea, double usd) {
  std::lock_guard lock(m_mutex);
  row(idea).cost = usd;
  if (m_options.tty) draw();
}

void ProgressView::total_cost(double usd) {
  std::lock_guard lock(m_mutex);
  m_total_cost = usd;
  if (m_options.tty) draw();
}

void ProgressView::finished(std::string_view idea, IdeaStatus status, std::string_view detail) {
  std::lock_guard lock(m_mutex);
  Row& r = row(idea);
  r.status = status;
  r.detail = std::string(detail);
  r.run = r.runs = 0;
  r.ended = m_clock.now();
  log_change(r);
}

void ProgressView::message(std::string_view text) {
  std::lock_guard lock(m_mutex);
  if (!m_options.tty) {
    m_out << fmt::format("{} {}\n", m_options.stamp(), text) << std::flush;
    return;
  }
  // Up over the block, clear to the end of the screen, the message, then the block below it.
  if (m_drawn > 0) m_out << fmt::format("\x1b[{}F\x1b[J", m_drawn);
  m_out << text << "\n";
  m_drawn = 0;
  draw();
}

void ProgressView::refresh() {
  std::lock_guard lock(m_mutex);
  if (m_options.tty) draw();
}

// ---- IdeaLog ----

core::Result<std::shared_ptr<IdeaLog>> IdeaLog::open(const std::filesystem::path& file,
                                                     std::function<std::string()> stamp) {
  std::error_code ec;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
  std::shared_ptr<IdeaLog> log(new IdeaLog(file, std::move(stamp)));
  log->m_out.open(file, std::ios::app | std::ios::binary);
  if (!log->m_out) {
    return core::fail(ErrorCode::io,
                      fmt::format("cannot open the idea log {} for appending: {}", file.string(),
                                  ec ? ec.message() : std::strerror(errno)));
  }
  return log;
}

core::Result<void> IdeaLog::write(std::string_view text) {
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  std::string lines;
  const std::string stamp = m_stamp();
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find('\n', start);
    lines += fmt::format("{} {}\n", stamp, text.substr(start, end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  std::lock_guard lock(m_mutex);
  m_out << lines;
  m_out.flush();
  if (!m_out) {
    m_out.clear();
    return core::fail(ErrorCode::io,
                      fmt::format("writing the idea log {} failed (disk full?)", m_path.string()));
  }
  return {};
}

std::function<void(std::string_view)> IdeaLog::sink() {
  return [self = shared_from_this()](std::string_view text) { (void)self->write(text); };
}

}  // namespace pipeline
