#include "pipeline/journal.h"

#include <system_error>

#include <fmt/format.h>

#include "core/clock.h"
#include "core/json.h"

namespace pipeline {

namespace fs = std::filesystem;
using core::ErrorCode;
using nlohmann::json;

namespace {

constexpr int k_schema_version = 1;

constexpr std::string_view k_schema = R"sql(
CREATE TABLE run (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  template TEXT NOT NULL,
  flags TEXT NOT NULL,
  started TEXT NOT NULL
);
CREATE TABLE ideas (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  folder TEXT NOT NULL,
  position INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed', 'skipped')),
  failed_stage TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT ''
);
CREATE TABLE stages (
  id INTEGER PRIMARY KEY,
  idea_id INTEGER NOT NULL REFERENCES ideas(id),
  stage TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('completed', 'failed')),
  artifacts TEXT NOT NULL,
  cost_usd REAL NOT NULL,
  started TEXT NOT NULL,
  ended TEXT NOT NULL,
  error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX stages_by_idea ON stages(idea_id, id);
)sql";

core::Result<Journal::StageOutcome> parse_outcome(std::string_view word) {
  if (word == "completed") return Journal::StageOutcome::completed;
  if (word == "failed") return Journal::StageOutcome::failed;
  return core::fail(ErrorCode::io,
                    fmt::format("the journal holds an unknown stage outcome '{}'", word));
}

fs::path absolute_dir(const fs::path& dir) {
  std::error_code ec;
  fs::path abs = fs::absolute(dir, ec);
  abs = (ec ? dir : abs).lexically_normal();
  // "run/" normalises to "run/" (an empty last name); drop it so relative paths come out right.
  if (!abs.has_filename() && abs.has_parent_path() && abs != abs.root_path()) {
    abs = abs.parent_path();
  }
  return abs;
}

core::Result<store::Database> open_file(const fs::path& file, bool create) {
  store::OpenOptions options;
  options.create = create;
  auto db = TRY(store::Database::open(file, options));
  // NORMAL (the wrapper's default) survives a killed process but may lose the last commits on
  // power loss; the journal writes a few rows per stage, so it can afford to wait for the disk.
  TRY_VOID(db.exec("PRAGMA synchronous = FULL"));
  return db;
}

}  // namespace

std::string_view to_string(Journal::StageOutcome outcome) {
  return outcome == Journal::StageOutcome::completed ? "completed" : "failed";
}

core::Result<std::unique_ptr<Journal>> Journal::create(const fs::path& run_dir, const Run& run) {
  const fs::path dir = absolute_dir(run_dir);
  const fs::path file = dir / k_file_name;
  std::error_code ec;
  if (fs::exists(file, ec)) {
    return core::fail(ErrorCode::invalid_argument,
                      fmt::format("{} already holds the journal of a launch; continue it with "
                                  "--resume {}, or choose another run folder",
                                  dir.string(), dir.string()));
  }
  fs::create_directories(dir, ec);
  if (ec) {
    return core::fail(ErrorCode::io, fmt::format("cannot create the run folder {}: {}",
                                                 dir.string(), ec.message()));
  }
  auto db = TRY(open_file(file, true));
  std::unique_ptr<Journal> journal(new Journal(std::move(db), dir));
  TRY_VOID(journal->migrate(true));
  {
    auto tx = TRY(journal->m_db.begin());
    auto insert = TRY(
        journal->m_db.prepare("INSERT INTO run (id, template, flags, started) VALUES (1, ?1, ?2, "
                              "?3)"));
    TRY_VOID(insert.bind(1, run.template_name));
    TRY_VOID(insert.bind(2, core::dump_json(run.flags)));
    TRY_VOID(insert.bind(3, run.started.empty() ? core::utc_timestamp() : run.started));
    TRY_VOID(insert.run());
    TRY_VOID(tx.commit());
  }
  TRY_VOID(journal->load_run());
  return journal;
}

core::Result<std::unique_ptr<Journal>> Journal::open(const fs::path& run_dir) {
  const fs::path dir = absolute_dir(run_dir);
  const fs::path file = dir / k_file_name;
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    return core::fail(ErrorCode::config,
                      fmt::format("{} has no {}: --resume takes the run folder of an earlier "
                                  "launch (the one that holds its journal)",
                                  dir.string(), k_file_name));
  }
  auto db = TRY(open_file(file, false));
  std::unique_ptr<Journal> journal(new Journal(std::move(db), dir));
  TRY_VOID(journal->migrate(false));
  TRY_VOID(journal->load_run());
  return journal;
}

core::Result<void> Journal::migrate(bool creating) {
  auto version_stmt = TRY(m_db.prepare("PRAGMA user_version"));
  const long long version = TRY(version_stmt.step()) ? version_stmt.column_int64(0) : 0;
  if (version > k_schema_version) {
    return core::fail(ErrorCode::io,
                      fmt::format("{} is a journal of schema version {}, newer than this "
                                  "program's {}; resume it with a newer ai-scientist",
                                  path().string(), version, k_schema_version));
  }
  if (version == k_schema_version) return {};
  if (!creating) {
    return core::fail(ErrorCode::io,
                      fmt::format("{} is not the journal of a launch (an SQLite file without its "
                                  "tables); --resume takes the run folder of an earlier launch",
                                  path().string()));
  }
  auto tx = TRY(m_db.begin());
  TRY_VOID(m_db.exec(k_schema));
  TRY_VOID(m_db.exec(fmt::format("PRAGMA user_version = {}", k_schema_version)));
  return tx.commit();
}

core::Result<void> Journal::load_run() {
  auto select = TRY(m_db.prepare("SELECT template, flags, started FROM run WHERE id = 1"));
  if (!TRY(select.step())) {
    return core::fail(ErrorCode::io,
                      fmt::format("{} has no run record (its launch died while creating it); "
                                  "start a new launch in another folder",
                                  path().string()));
  }
  m_run.template_name = select.column_text(0);
  m_run.flags = json::parse(select.column_text(1), nullptr, false);
  if (m_run.flags.is_discarded()) m_run.flags = json::object();
  m_run.started = select.column_text(2);
  return {};
}

fs::path Journal::absolute_folder(const std::string& stored) const {
  fs::path p(stored);
  return p.is_absolute() ? p : (m_run_dir / p).lexically_normal();
}

core::Result<std::optional<long long>> Journal::idea_id(std::string_view name) const {
  auto select = TRY(m_db.prepare("SELECT id FROM ideas WHERE name = ?1"));
  TRY_VOID(select.bind(1, name));
  if (!TRY(select.step())) return std::optional<long long>();
  return std::optional<long long>(select.column_int64(0));
}

core::Result<Journal::Idea> Journal::add_idea(std::string_view name, const fs::path& folder,
                                              int position) {
  if (name.empty()) {
    return core::fail(ErrorCode::invalid_argument, "an idea needs a name to be journaled");
  }
  const fs::path abs = (folder.is_absolute() ? folder : m_run_dir / folder).lexically_normal();
  const fs::path rel = abs.lexically_relative(m_run_dir);
  const bool inside = !rel.empty() && *rel.begin() != "..";
  std::lock_guard lock(m_mutex);
  {
    auto tx = TRY(m_db.begin());
    auto insert = TRY(m_db.prepare(
        "INSERT INTO ideas (name, folder, position, status) VALUES (?1, ?2, ?3, 'pending') "
        "ON CONFLICT (name) DO NOTHING"));
    TRY_VOID(insert.bind(1, name));
    TRY_VOID(insert.bind(2, (inside ? rel : abs).generic_string()));
    TRY_VOID(insert.bind(3, position));
    TRY_VOID(insert.run());
    TRY_VOID(tx.commit());
  }
  auto select = TRY(m_db.prepare(
      "SELECT name, folder, position, status, failed_stage, reason FROM ideas WHERE name = ?1"));
  TRY_VOID(select.bind(1, name));
  if (!TRY(select.step())) {
    return core::fail(
        ErrorCode::internal,
        fmt::format("journal {}: idea '{}' vanished after it was added", path().string(), name));
  }
  Idea idea;
  idea.name = select.column_text(0);
  idea.folder = absolute_folder(select.column_text(1));
  idea.position = static_cast<int>(select.column_int64(2));
  idea.status = parse_idea_status(select.column_text(3)).value_or(IdeaStatus::pending);
  idea.failed_stage = select.column_text(4);
  idea.reason = select.column_text(5);
  return idea;
}

core::Result<void> Journal::set_status(std::string_view idea, IdeaStatus status,
                                       std::string_view failed_stage, std::string_view reason) {
  const bool failed = status == IdeaStatus::failed;
  const bool keeps_reason = failed || status == IdeaStatus::skipped;
  std::lock_guard lock(m_mutex);
  auto tx = TRY(m_db.begin());
  auto update = TRY(
      m_db.prepare("UPDATE ideas SET status = ?2, failed_stage = ?3, reason = ?4 WHERE name = ?1"));
  TRY_VOID(update.bind(1, idea));
  TRY_VOID(update.bind(2, to_string(status)));
  // Copies: an empty string_view may have no data pointer, which SQLite would bind as NULL.
  TRY_VOID(update.bind(3, std::string(failed ? failed_stage : "")));
  TRY_VOID(update.bind(4, std::string(keeps_reason ? reason : "")));
  TRY_VOID(update.run());
  if (m_db.changes() == 0) {
    return core::fail(
        ErrorCode::invalid_argument,
        fmt::format("the journal {} has no idea named '{}'; add it first", path().string(), idea));
  }
  return tx.commit();
}

core::Result<void> Journal::record_stage(std::string_view idea, const Stage& stage) {
  if (stage.stage.empty()) {
    return core::fail(ErrorCode::invalid_argument,
                      fmt::format("a stage of idea '{}' was recorded without a name", idea));
  }
  const std::string now = core::utc_timestamp();
  std::lock_guard lock(m_mutex);
  auto tx = TRY(m_db.begin());
  auto id = TRY(idea_id(idea));
  if (!id) {
    return core::fail(
        ErrorCode::invalid_argument,
        fmt::format("the journal {} has no idea named '{}'; add it first", path().string(), idea));
  }
  auto insert = TRY(m_db.prepare(
      "INSERT INTO stages (idea_id, stage, outcome, artifacts, cost_usd, started, ended, error) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
  TRY_VOID(insert.bind(1, *id));
  TRY_VOID(insert.bind(2, stage.stage));
  TRY_VOID(insert.bind(3, to_string(stage.outcome)));
  TRY_VOID(insert.bind(4, core::dump_json(stage.artifacts)));
  TRY_VOID(insert.bind(5, stage.cost_usd));
  TRY_VOID(insert.bind(6, stage.started.empty() ? now : stage.started));
  TRY_VOID(insert.bind(7, stage.ended.empty() ? now : stage.ended));
  TRY_VOID(insert.bind(8, stage.error));
  TRY_VOID(insert.run());
  if (stage.outcome == StageOutcome::failed) {
    auto update = TRY(m_db.prepare(
        "UPDATE ideas SET status = 'failed', failed_stage = ?2, reason = ?3 WHERE id = ?1"));
    TRY_VOID(update.bind(1, *id));
    TRY_VOID(update.bind(2, stage.stage));
    TRY_VOID(update.bind(3, stage.error));
    TRY_VOID(update.run());
  }
  return tx.commit();
}

core::Result<std::vector<Journal::Idea>> Journal::ideas() const {
  std::lock_guard lock(m_mutex);
  auto select =
      TRY(m_db.prepare("SELECT name, folder, position, status, failed_stage, reason FROM ideas "
                       "ORDER BY position, id"));
  std::vector<Idea> out;
  while (TRY(select.step())) {
    Idea idea;
    idea.name = select.column_text(0);
    idea.folder = absolute_folder(select.column_text(1));
    idea.position = static_cast<int>(select.column_int64(2));
    idea.status = parse_idea_status(select.column_text(3)).value_or(IdeaStatus::pending);
    idea.failed_stage = select.column_text(4);
    idea.reason = select.column_text(5);
    out.push_back(std::move(idea));
  }
  return out;
}

core::Result<std::vector<Journal::Stage>> Journal::stages_where(std::string_view idea,
                                                                bool completed_only) const {
  std::lock_guard lock(m_mutex);
  auto select = TRY(m_db.prepare(fmt::format(
      "SELECT s.stage, s.outcome, s.artifacts, s.cost_usd, s.started, s.ended, s.error "
      "FROM stages s JOIN ideas i ON i.id = s.idea_id WHERE i.name = ?1 {} ORDER BY s.id",
      completed_only ? "AND s.outcome = 'completed'" : "")));
  TRY_VOID(select.bind(1, idea));
  std::vector<Stage> out;
  while (TRY(select.step())) {
    Stage stage;
    stage.stage = select.column_text(0);
    stage.outcome = TRY(parse_outcome(select.column_text(1)));
    stage.artifacts = json::parse(select.column_text(2), nullptr, false);
    if (stage.artifacts.is_discarded()) {
      return core::fail(ErrorCode::io,
                        fmt::format("the journal {} holds unreadable artifacts for stage '{}' of "
                                    "idea '{}'",
                                    path().string(), stage.stage, idea));
    }
    stage.cost_usd = select.column_double(3);
    stage.started = select.column_text(4);
    stage.ended = select.column_text(5);
    stage.error = select.column_text(6);
    out.push_back(std::move(stage));
  }
  return out;
}

core::Result<std::vector<Journal::Stage>> Journal::stages(std::string_view idea) const {
  return stages_where(idea, false);
}

core::Result<std::vector<Journal::Stage>> Journal::completed_stages(std::string_view idea) const {
  return stages_where(idea, true);
}

core::Result<std::vector<Journal::Summary>> Journal::summary() const {
  std::vector<Summary> rows;
  for (auto& idea : TRY(ideas())) {
    Summary row;
    for (const auto& stage : TRY(stages(idea.name))) {
      row.cost_usd += stage.cost_usd;
      if (stage.outcome != StageOutcome::completed) continue;
      row.completed.push_back(stage.stage);
      const json& a = stage.artifacts;
      if (!a.is_object()) continue;
      if (auto score = a.find("score"); score != a.end() && score->is_number()) {
        row.review_score = score->get<double>();
      }
      if (auto pdf = a.find("pdf"); pdf != a.end() && pdf->is_string()) {
        fs::path p(pdf->get<std::string>());
        row.pdf = p.is_absolute() ? p : (idea.folder / p).lexically_normal();
      }
    }
    row.idea = std::move(idea);
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace pipeline
