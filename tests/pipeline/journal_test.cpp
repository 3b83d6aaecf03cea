#include "pipeline/journal.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "store/database.h"
#include "support/temp_dir.h"

namespace {

namespace fs = std::filesystem;
using core::ErrorCode;
using pipeline::IdeaStatus;
using pipeline::Journal;
using test_support::TempDir;
using Outcome = Journal::StageOutcome;

Journal::Run sample_run() {
  return Journal::Run{.template_name = "nanoGPT_lite",
                      .flags = {{"num_ideas", 2}, {"gpus", "0,1"}, {"budget_usd", 10.0}},
                      .started = "2026-01-02T03:04:05.000Z"};
}

std::unique_ptr<Journal> create(const fs::path& run_dir) {
  auto j = Journal::create(run_dir, sample_run());
  EXPECT_TRUE(j) << (j ? "" : j.error().describe());
  return j ? std::move(*j) : nullptr;
}

std::unique_ptr<Journal> reopen(const fs::path& run_dir) {
  auto j = Journal::open(run_dir);
  EXPECT_TRUE(j) << (j ? "" : j.error().describe());
  return j ? std::move(*j) : nullptr;
}

Journal::Stage completed(std::string stage, nlohmann::json artifacts = nlohmann::json::object(),
                         double cost = 0) {
  Journal::Stage s;
  s.stage = std::move(stage);
  s.outcome = Outcome::completed;
  s.artifacts = std::move(artifacts);
  s.cost_usd = cost;
  s.started = "2026-01-02T03:05:00.000Z";
  s.ended = "2026-01-02T03:06:00.000Z";
  return s;
}

// Without times: the journal fills them in.
Journal::Stage failed(std::string stage, std::string error, double cost = 0) {
  Journal::Stage s;
  s.stage = std::move(stage);
  s.outcome = Outcome::failed;
  s.cost_usd = cost;
  s.error = std::move(error);
  return s;
}

std::vector<std::string> names(const std::vector<Journal::Stage>& stages) {
  std::vector<std::string> out;
  for (const auto& s : stages)
    out.push_back(s.stage);
  return out;
}

// Counts rows through a separate connection, as another process would see them.
long long count_rows(const fs::path& file, const std::string& sql) {
  store::OpenOptions read_only;
  read_only.read_only = true;
  auto db = store::Database::open(file, read_only);
  EXPECT_TRUE(db) << (db ? "" : db.error().describe());
  if (!db) return -1;
  auto s = db->prepare(sql);
  EXPECT_TRUE(s) << (s ? "" : s.error().describe());
  if (!s) return -1;
  auto row = s->step();
  EXPECT_TRUE(row && *row);
  return s->column_int64(0);
}

TEST(Journal, ARunIsRecordedAndReopenedByALaterProcess) {
  TempDir dir;
  const fs::path run_dir = dir.path() / "results" / "launch";
  {
    auto journal = create(run_dir);
    ASSERT_TRUE(journal);
    EXPECT_EQ(journal->path(), run_dir / "journal.sqlite");
    ASSERT_TRUE(journal->add_idea("idea_b", run_dir / "20260102_030405_idea_b", 1));
    ASSERT_TRUE(journal->add_idea("idea_a", run_dir / "20260102_030405_idea_a", 0));
    ASSERT_TRUE(journal->set_status("idea_a", IdeaStatus::running));
    ASSERT_TRUE(journal->record_stage("idea_a", completed("novelty", {{"novel", true}}, 0.01)));
    ASSERT_TRUE(journal->record_stage("idea_a", completed("experiments", {{"runs", 3}}, 0.5)));
  }
  EXPECT_TRUE(fs::exists(run_dir / "journal.sqlite"));

  auto journal = reopen(run_dir);
  ASSERT_TRUE(journal);
  EXPECT_EQ(journal->run().template_name, "nanoGPT_lite");
  EXPECT_EQ(journal->run().flags, sample_run().flags);
  EXPECT_EQ(journal->run().started, "2026-01-02T03:04:05.000Z");

  auto ideas = journal->ideas();
  ASSERT_TRUE(ideas) << ideas.error().describe();
  ASSERT_EQ(ideas->size(), 2u);
  EXPECT_EQ((*ideas)[0].name, "idea_a");  // by position, not by insertion
  EXPECT_EQ((*ideas)[0].position, 0);
  EXPECT_EQ((*ideas)[0].status, IdeaStatus::running);
  EXPECT_EQ((*ideas)[0].folder, run_dir / "20260102_030405_idea_a");
  EXPECT_EQ((*ideas)[1].name, "idea_b");
  EXPECT_EQ((*ideas)[1].status, IdeaStatus::pending);

  auto done = journal->completed_stages("idea_a");
  ASSERT_TRUE(done) << done.error().describe();
  ASSERT_EQ(names(*done), (std::vector<std::string>{"novelty", "experiments"}));
  EXPECT_EQ((*done)[0].artifacts, nlohmann::json({{"novel", true}}));
  EXPECT_DOUBLE_EQ((*done)[1].cost_usd, 0.5);
  EXPECT_EQ((*done)[1].started, "2026-01-02T03:05:00.000Z");
  EXPECT_EQ((*done)[1].ended, "2026-01-02T03:06:00.000Z");
  EXPECT_EQ((*done)[1].outcome, Outcome::completed);
  EXPECT_TRUE(journal->completed_stages("idea_b")->empty());
  EXPECT_TRUE(journal->completed_stages("no_such_idea")->empty());

  // The reopened journal keeps recording.
  ASSERT_TRUE(journal->record_stage("idea_a", completed("plots")));
  EXPECT_EQ(names(*journal->completed_stages("idea_a")),
            (std::vector<std::string>{"novelty", "experiments", "plots"}));
}

TEST(Journal, EveryRecordIsCommittedBeforeTheCallReturns) {
  TempDir dir;
  auto journal = create(dir.path());
  ASSERT_TRUE(journal);
  const fs::path file = journal->path();
  // Read through a second connection while the journal is still open: nothing waits for close.
  EXPECT_EQ(count_rows(file, "SELECT count(*) FROM run"), 1);
  ASSERT_TRUE(journal->add_idea("x", dir.path() / "x", 0));
  EXPECT_EQ(count_rows(file, "SELECT count(*) FROM ideas"), 1);
  ASSERT_TRUE(journal->record_stage("x", completed("novelty")));
  EXPECT_EQ(count_rows(file, "SELECT count(*) FROM stages"), 1);
  ASSERT_TRUE(journal->record_stage("x", failed("experiments", "run 1 crashed")));
  EXPECT_EQ(count_rows(file, "SELECT count(*) FROM stages"), 2);
  EXPECT_EQ(count_rows(file, "SELECT count(*) FROM ideas WHERE status = 'failed'"), 1);

  // And a second Journal on the same file sees the same thing.
  auto other = reopen(dir.path());
  ASSERT_TRUE(other);
  EXPECT_EQ(names(*other->stages("x")), (std::vector<std::string>{"novelty", "experiments"}));
}

TEST(Journal, SurvivesAProcessKilledWithSigkill) {
  TempDir dir;
  const fs::path run_dir = dir.path() / "run";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child records and dies without closing anything; any failure exits with 2 instead.
    auto journal = Journal::create(run_dir, sample_run());
    if (!journal) ::_exit(2);
    if (!(*journal)->add_idea("idea", run_dir / "idea", 0)) ::_exit(2);
    if (!(*journal)->set_status("idea", IdeaStatus::running)) ::_exit(2);
    if (!(*journal)->record_stage("idea", completed("novelty"))) ::_exit(2);
    if (!(*journal)->record_stage("idea", completed("experiments", {{"best_run", 4}}))) {
      ::_exit(2);
    }
    ::raise(SIGKILL);
    ::_exit(3);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the child exited with " << WEXITSTATUS(status);
  ASSERT_EQ(WTERMSIG(status), SIGKILL);

  auto journal = reopen(run_dir);
  ASSERT_TRUE(journal);
  auto ideas = journal->ideas();
  ASSERT_TRUE(ideas);
  ASSERT_EQ(ideas->size(), 1u);
  // "running" after a reopen: the process died during the idea; resume continues it.
  EXPECT_EQ((*ideas)[0].status, IdeaStatus::running);
  auto done = journal->completed_stages("idea");
  ASSERT_TRUE(done);
  ASSERT_EQ(names(*done), (std::vector<std::string>{"novelty", "experiments"}));
  EXPECT_EQ((*done)[1].artifacts["best_run"], 4);
}

TEST(Journal, CreateRefusesAFolderThatHasAJournalAndOpenNeedsOne) {
  TempDir dir;
  ASSERT_TRUE(create(dir.path()));
  auto again = Journal::create(dir.path(), sample_run());
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::invalid_argument);
  EXPECT_NE(again.error().message.find("--resume"), std::string::npos) << again.error().message;

  auto none = Journal::open(dir.path() / "elsewhere");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::config);
  EXPECT_NE(none.error().message.find("journal.sqlite"), std::string::npos) << none.error().message;

  // Some other SQLite file under the journal's name is not taken for a journal.
  const fs::path other = dir.path() / "other";
  fs::create_directories(other);
  {
    auto db = store::Database::open(other / "journal.sqlite");
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->exec("CREATE TABLE t (a INTEGER)"));
  }
  auto foreign = Journal::open(other);
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, ErrorCode::io);
  EXPECT_NE(foreign.error().message.find("not the journal"), std::string::npos)
      << foreign.error().message;
}

TEST(Journal, AddingAnIdeaAgainKeepsWhatTheJournalKnows) {
  TempDir dir;
  auto journal = create(dir.path());
  ASSERT_TRUE(journal);
  auto first = journal->add_idea("idea", "20260101_000000_idea", 3);
  ASSERT_TRUE(first) << first.error().describe();
  EXPECT_EQ(first->folder, dir.path() / "20260101_000000_idea");  // relative to the run folder
  EXPECT_EQ(first->status, IdeaStatus::pending);
  ASSERT_TRUE(journal->set_status("idea", IdeaStatus::skipped, "", "not novel"));

  // A resumed launch adds its ideas again, with a new timestamped folder: the old one stays.
  auto again = journal->add_idea("idea", dir.path() / "20260202_000000_idea", 7);
  ASSERT_TRUE(again) << again.error().describe();
  EXPECT_EQ(again->folder, dir.path() / "20260101_000000_idea");
  EXPECT_EQ(again->position, 3);
  EXPECT_EQ(again->status, IdeaStatus::skipped);
  EXPECT_EQ(again->reason, "not novel");
  EXPECT_EQ(journal->ideas()->size(), 1u);

  auto nameless = journal->add_idea("", dir.path(), 0);
  ASSERT_FALSE(nameless);
  EXPECT_EQ(nameless.error().code, ErrorCode::invalid_argument);
}

TEST(Journal, StatusKeepsTheFailedStageAndReasonOnlyWhereTheyMeanSomething) {
  TempDir dir;
  auto journal = create(dir.path());
  ASSERT_TRUE(journal);
  ASSERT_TRUE(journal->add_idea("idea", "idea", 0));
  ASSERT_TRUE(journal->set_status("idea", IdeaStatus::failed, "writeup", "latex did not compile"));
  auto idea = (*journal->ideas())[0];
  EXPECT_EQ(idea.status, IdeaStatus::failed);
  EXPECT_EQ(idea.failed_stage, "writeup");
  EXPECT_EQ(idea.reason, "latex did not compile");

  // Retried on resume: running again, the old failure cleared.
  ASSERT_TRUE(journal->set_status("idea", IdeaStatus::running, "ignored", "ignored"));
  idea = (*journal->ideas())[0];
  EXPECT_EQ(idea.status, IdeaStatus::running);
  EXPECT_EQ(idea.failed_stage, "");
  EXPECT_EQ(idea.reason, "");

  ASSERT_TRUE(journal->set_status("idea", IdeaStatus::skipped, "novelty", "not novel"));
  idea = (*journal->ideas())[0];
  EXPECT_EQ(idea.failed_stage, "");
  EXPECT_EQ(idea.reason, "not novel");

  auto unknown = journal->set_status("nobody", IdeaStatus::done);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::invalid_argument);
  EXPECT_NE(unknown.error().message.find("nobody"), std::string::npos);
}

TEST(Journal, AFailedStageMarksTheIdeaFailedAndARetryIsRecordedAfterIt) {
  TempDir dir;
  auto journal = create(dir.path());
  ASSERT_TRUE(journal);
  ASSERT_TRUE(journal->add_idea("idea", "idea", 0));
  ASSERT_TRUE(journal->set_status("idea", IdeaStatus::running));
  ASSERT_TRUE(journal->record_stage("idea", completed("novelty", {}, 0.25)));
  ASSERT_TRUE(journal->record_stage("idea", failed("experiments", "budget spent", 1.0)));
  auto idea = (*journal->ideas())[0];
  EXPECT_EQ(idea.status, IdeaStatus::failed);
  EXPECT_EQ(idea.failed_stage, "experiments");
  EXPECT_EQ(idea.reason, "budget spent");

  ASSERT_TRUE(journal->set_status("idea", IdeaStatus::running));
  ASSERT_TRUE(journal->record_stage("idea", completed("experiments", {}, 2.0)));
  auto all = journal->stages("idea");
  ASSERT_TRUE(all);
  EXPECT_EQ(names(*all), (std::vector<std::string>{"novelty", "experiments", "experiments"}));
  EXPECT_EQ((*all)[1].outcome, Outcome::failed);
  EXPECT_EQ((*all)[1].error, "budget spent");
  EXPECT_FALSE((*all)[1].started.empty());  // filled with the time of recording
  EXPECT_FALSE((*all)[1].ended.empty());
  EXPECT_EQ(names(*journal->completed_stages("idea")),
            (std::vector<std::string>{"novelty", "experiments"}));

  auto stray = journal->record_stage("nobody", completed("novelty"));
  ASSERT_FALSE(stray);
  EXPECT_EQ(stray.error().code, ErrorCode::invalid_argument);
  auto unnamed = journal->record_stage("idea", completed(""));
  ASSERT_FALSE(unnamed);
  EXPECT_EQ(unnamed.error().code, ErrorCode::invalid_argument);
}

TEST(Journal, SummarySaysHowFarEachIdeaGotWithScoreCostAndPdf) {
  TempDir dir;
  auto journal = create(dir.path());
  ASSERT_TRUE(journal);
  ASSERT_TRUE(journal->add_idea("reviewed", "a", 0));
  ASSERT_TRUE(journal->add_idea("broken", "b", 1));
  ASSERT_TRUE(journal->add_idea("waiting", "/elsewhere/c", 2));
  for (auto [stage, cost] :
       {std::pair{"novelty", 0.1}, {"experiments", 1.0}, {"plots", 0.1}, {"notes", 0.1}}) {
    ASSERT_TRUE(journal->record_stage("reviewed", completed(stage, {}, cost)));
  }
  ASSERT_TRUE(journal->record_stage("reviewed", completed("writeup", {{"pdf", "idea.pdf"}}, 1)));
  ASSERT_TRUE(journal->record_stage("reviewed", completed("review", {{"score", 4}}, 0.5)));
  ASSERT_TRUE(journal->record_stage(
      "reviewed", completed("improvement", {{"score", 5.5}, {"pdf", "/abs/improved.pdf"}}, 0.5)));
  ASSERT_TRUE(journal->set_status("reviewed", IdeaStatus::done));
  ASSERT_TRUE(journal->record_stage("broken", completed("novelty", {{"score", "n/a"}}, 0.2)));
  ASSERT_TRUE(journal->record_stage("broken", failed("experiments", "every run crashed", 0.3)));

  auto rows = journal->summary();
  ASSERT_TRUE(rows) << rows.error().describe();
  ASSERT_EQ(rows->size(), 3u);

  const auto& reviewed = (*rows)[0];
  EXPECT_EQ(reviewed.idea.name, "reviewed");
  EXPECT_EQ(reviewed.idea.status, IdeaStatus::done);
  EXPECT_EQ(reviewed.completed.back(), "improvement");
  EXPECT_EQ(reviewed.completed.size(), 7u);
  ASSERT_TRUE(reviewed.review_score);
  EXPECT_DOUBLE_EQ(*reviewed.review_score, 5.5);  // the last stage that scored
  ASSERT_TRUE(reviewed.pdf);
  EXPECT_EQ(*reviewed.pdf, fs::path("/abs/improved.pdf"));
  EXPECT_NEAR(reviewed.cost_usd, 3.3, 1e-9);

  const auto& broken = (*rows)[1];
  EXPECT_EQ(broken.idea.status, IdeaStatus::failed);
  EXPECT_EQ(broken.idea.failed_stage, "experiments");
  EXPECT_EQ(broken.idea.reason, "every run crashed");
  EXPECT_EQ(broken.completed, (std::vector<std::string>{"novelty"}));
  EXPECT_FALSE(broken.review_score);  // a "score" that is not a number is no score
  EXPECT_FALSE(broken.pdf);
  EXPECT_NEAR(broken.cost_usd, 0.5, 1e-9);  // the failed stage's spend counts

  const auto& waiting = (*rows)[2];
  EXPECT_EQ(waiting.idea.status, IdeaStatus::pending);
  EXPECT_EQ(waiting.idea.folder, fs::path("/elsewhere/c"));
  EXPECT_TRUE(waiting.completed.empty());
  EXPECT_EQ(waiting.cost_usd, 0);

  // A relative pdf is relative to the idea's folder.
  ASSERT_TRUE(journal->add_idea("written", "d", 3));
  ASSERT_TRUE(journal->record_stage("written", completed("writeup", {{"pdf", "written.pdf"}})));
  EXPECT_EQ(*journal->summary()->back().pdf, dir.path() / "d" / "written.pdf");
}

TEST(Journal, AMovedRunFolderStillResumesWithItsIdeaFolders) {
  TempDir dir;
  const fs::path before = dir.path() / "before";
  {
    auto journal = create(before.string() + "/");  // a trailing slash changes nothing
    ASSERT_TRUE(journal);
    EXPECT_EQ(journal->run_dir(), before);
    ASSERT_TRUE(journal->add_idea("inside", before / "20260101_inside", 0));
    ASSERT_TRUE(journal->add_idea("outside", "/srv/results/outside", 1));
  }
  const fs::path after = dir.path() / "after";
  fs::rename(before, after);
  auto journal = reopen(after);
  ASSERT_TRUE(journal);
  auto ideas = journal->ideas();
  ASSERT_TRUE(ideas);
  EXPECT_EQ((*ideas)[0].folder, after / "20260101_inside");
  EXPECT_EQ((*ideas)[1].folder, fs::path("/srv/results/outside"));
  EXPECT_EQ(journal->run_dir(), after);
}

TEST(Journal, ManyThreadsRecordAtOnce) {
  TempDir dir;
  auto journal = create(dir.path());
  ASSERT_TRUE(journal);
  constexpr int k_threads = 6;
  constexpr int k_stages = 25;
  std::vector<std::thread> pool;
  for (int t = 0; t < k_threads; ++t) {
    pool.emplace_back([&, t] {
      const std::string idea = "idea_" + std::to_string(t);
      ASSERT_TRUE(journal->add_idea(idea, idea, t));
      ASSERT_TRUE(journal->set_status(idea, IdeaStatus::running));
      for (int s = 0; s < k_stages; ++s) {
        auto r = journal->record_stage(idea, completed("stage_" + std::to_string(s), {}, 0.01));
        ASSERT_TRUE(r) << r.error().describe();
        ASSERT_TRUE(journal->summary());  // reads interleaved with writes
      }
      ASSERT_TRUE(journal->set_status(idea, IdeaStatus::done));
    });
  }
  for (auto& th : pool)
    th.join();
  auto rows = journal->summary();
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows->size(), static_cast<std::size_t>(k_threads));
  for (int t = 0; t < k_threads; ++t) {
    const auto& row = (*rows)[static_cast<std::size_t>(t)];
    EXPECT_EQ(row.idea.name, "idea_" + std::to_string(t));
    EXPECT_EQ(row.idea.status, IdeaStatus::done);
    ASSERT_EQ(row.completed.size(), static_cast<std::size_t>(k_stages));
    // Each idea's stages in the order its thread recorded them.
    for (int s = 0; s < k_stages; ++s)
      EXPECT_EQ(row.completed[static_cast<std::size_t>(s)], "stage_" + std::to_string(s));
  }
}

TEST(IdeaStatus, WordsRoundTrip) {
  for (auto s : {IdeaStatus::pending, IdeaStatus::running, IdeaStatus::done, IdeaStatus::failed,
                 IdeaStatus::skipped}) {
    EXPECT_EQ(pipeline::parse_idea_status(pipeline::to_string(s)), s);
  }
  EXPECT_EQ(pipeline::parse_idea_status("finished"), std::nullopt);
}

}  // namespace
