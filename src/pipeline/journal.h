#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "pipeline/status.h"
#include "store/database.h"

namespace pipeline {

// The journal of one launch: `<run_dir>/journal.sqlite`, the record that `--resume RUN_DIR`
// continues from. It holds the run (template, flags, start time), its ideas (name, folder,
// position, status, and for a failed or skipped idea the stage and reason), and every stage an
// idea finished, in the order they finished (name, completed or failed, artifacts, cost, start
// and end times).
//
// Stage names are the pipeline's words ("novelty", "experiments", "plots", "notes", "writeup",
// "review", "improvement"), kept as plain strings: the journal does not judge them.
//
// Durability: every recording method is one SQLite transaction, committed before it returns, with
// synchronous=FULL, so a process killed at any point (kill -9, OOM, power loss) leaves the journal
// as it was after the last call that returned: a stage is either recorded whole or not at all.
// A later process reopens it with open().
//
// Thread-safety: every method may be called from any thread; calls are serialised on one
// connection. Another process may read the file at the same time (WAL).
class Journal {
 public:
  static constexpr std::string_view k_file_name = "journal.sqlite";

  struct Run {
    std::string template_name;
    nlohmann::json flags = nlohmann::json::object();  // the launch's options, as the CLI saw them
    std::string started;                              // UTC timestamp (core::utc_timestamp)
  };

  struct Idea {
    std::string name;  // unique within a run
    // Absolute. Stored relative to the run folder when inside it, so a moved run folder resumes.
    std::filesystem::path folder;
    int position = 0;  // order in the launch (ideas.json order), shown and summarised by it
    IdeaStatus status = IdeaStatus::pending;
    std::string failed_stage;  // for failed: the stage that failed
    std::string reason;        // for failed and skipped: why, for a person
  };

  enum class StageOutcome { completed, failed };

  struct Stage {
    std::string stage;
    StageOutcome outcome = StageOutcome::completed;
    // What the stage produced, for later stages and the summary. Keys the summary reads: a
    // number "score" (the review's overall score) and a string "pdf" (the paper; relative paths
    // are relative to the idea's folder). The last completed stage that has one wins.
    nlohmann::json artifacts = nlohmann::json::object();
    double cost_usd = 0;  // what the stage's LLM calls cost
    // UTC timestamps (core::utc_timestamp); an empty one is filled with the time of recording.
    std::string started;
    std::string ended;
    std::string error;  // for failed: why
  };

  // One row of the launch's closing table.
  struct Summary {
    Idea idea;
    std::vector<std::string> completed;  // stages completed, in order
    std::optional<double> review_score;
    double cost_usd = 0;                       // all its recorded stages, failed ones included
    std::optional<std::filesystem::path> pdf;  // absolute
  };

  // Starts the journal of a new run in `run_dir` (created when missing). Fails with
  // invalid_argument when `run_dir` already holds a journal (resume it, or pick another folder),
  // with io when the file cannot be created.
  static core::Result<std::unique_ptr<Journal>> create(const std::filesystem::path& run_dir,
                                                       const Run& run);
  // Reopens the journal of an earlier run. Fails with config when `run_dir` holds none, with io
  // when it is unreadable or was written by a newer program.
  static core::Result<std::unique_ptr<Journal>> open(const std::filesystem::path& run_dir);

  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  const Run& run() const { return m_run; }
  const std::filesystem::path& run_dir() const { return m_run_dir; }
  std::filesystem::path path() const { return m_run_dir / k_file_name; }

  // Adds an idea as pending, or, when the run already has one of that name, leaves it as it is.
  // Either way returns the idea as recorded, so a resumed launch can add every idea again and
  // keep what the interrupted run knew (its folder, its status). A relative `folder` is taken as
  // relative to the run folder.
  core::Result<Idea> add_idea(std::string_view name, const std::filesystem::path& folder,
                              int position);
  // Sets an idea's status. `failed_stage` and `reason` are kept for failed (both) and skipped
  // (reason) and cleared otherwise. Fails with invalid_argument for an idea the run lacks.
  core::Result<void> set_status(std::string_view idea, IdeaStatus status,
                                std::string_view failed_stage = {}, std::string_view reason = {});
  // Records that a stage of `idea` finished. A failed stage also marks the idea failed at that
  // stage with the stage's error, in the same transaction. Fails with invalid_argument for an
  // idea the run lacks or a stage without a name.
  core::Result<void> record_stage(std::string_view idea, const Stage& stage);

  // The run's ideas, by position.
  core::Result<std::vector<Idea>> ideas() const;
  // Every stage recorded for `idea`, in the order they were recorded (a stage retried after a
  // failure appears twice). Empty for an unknown idea.
  core::Result<std::vector<Stage>> stages(std::string_view idea) const;
  // The completed ones among them: a resumed idea continues after the last of these.
  core::Result<std::vector<Stage>> completed_stages(std::string_view idea) const;
  // One row per idea, by position.
  core::Result<std::vector<Summary>> summary() const;

 private:
  Journal(store::Database db, std::filesystem::path run_dir)
      : m_db(std::move(db)), m_run_dir(std::move(run_dir)) {}
  // Creates the tables of a new journal, or checks that an existing one can be read.
  core::Result<void> migrate(bool creating);
  core::Result<void> load_run();
  core::Result<std::optional<long long>> idea_id(std::string_view name) const;
  core::Result<std::vector<Stage>> stages_where(std::string_view idea, bool completed_only) const;
  std::filesystem::path absolute_folder(const std::string& stored) const;

  mutable std::mutex m_mutex;
  store::Database m_db;
  std::filesystem::path m_run_dir;
  Run m_run;
};

std::string_view to_string(Journal::StageOutcome outcome);

}  // namespace pipeline
