#include "store/database.h"

#include <gtest/gtest.h>

#include "support/temp_dir.h"

namespace {

TEST(Database, CreatesFileInWalModeAndRoundTripsValues) {
  test_support::TempDir dir;
  auto db = store::Database::open(dir.path() / "t.db");
  ASSERT_TRUE(db) << db.error().describe();
  ASSERT_TRUE(db->exec("CREATE TABLE t (a TEXT, b INTEGER, c REAL)"));
  auto mode = db->prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode);
  ASSERT_TRUE(*mode->step());
  EXPECT_EQ(mode->column_text(0), "wal");

  auto insert = db->prepare("INSERT INTO t VALUES (?1, ?2, ?3)");
  ASSERT_TRUE(insert);
  ASSERT_TRUE(insert->bind(1, std::string_view("h\xC3\xA9llo")));
  ASSERT_TRUE(insert->bind(2, 42LL));
  ASSERT_TRUE(insert->bind(3, 1.5));
  ASSERT_TRUE(insert->run());
  insert->reset();
  ASSERT_TRUE(insert->bind_text_or_null(1, ""));
  ASSERT_TRUE(insert->bind(2, std::optional<long long>()));
  ASSERT_TRUE(insert->run());

  auto select = db->prepare("SELECT a, b, c FROM t ORDER BY rowid");
  ASSERT_TRUE(select);
  ASSERT_TRUE(*select->step());
  EXPECT_EQ(select->column_text(0), "h\xC3\xA9llo");
  EXPECT_EQ(select->column_int64(1), 42);
  EXPECT_DOUBLE_EQ(select->column_double(2), 1.5);
  ASSERT_TRUE(*select->step());
  EXPECT_TRUE(select->column_is_null(0));
  EXPECT_EQ(select->column_text(0), "");
  EXPECT_EQ(select->column_optional_int64(1), std::nullopt);
  EXPECT_FALSE(*select->step());
}

TEST(Database, TransactionRollsBackUnlessCommitted) {
  auto db = store::Database::open(":memory:");
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->exec("CREATE TABLE t (a INTEGER)"));
  {
    auto tx = db->begin();
    ASSERT_TRUE(tx);
    ASSERT_TRUE(db->exec("INSERT INTO t VALUES (1)"));
  }
  {
    auto tx = db->begin();
    ASSERT_TRUE(tx);
    ASSERT_TRUE(db->exec("INSERT INTO t VALUES (2)"));
    ASSERT_TRUE(tx->commit());
  }
  auto s = db->prepare("SELECT group_concat(a) FROM t");
  ASSERT_TRUE(s);
  ASSERT_TRUE(*s->step());
  EXPECT_EQ(s->column_text(0), "2");
}

TEST(Database, ErrorsAreIoWithSqliteMessageAndPath) {
  test_support::TempDir dir;
  const auto path = dir.path() / "t.db";
  auto db = store::Database::open(path);
  ASSERT_TRUE(db);
  auto bad = db->prepare("SELEKT 1");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, core::ErrorCode::io);
  EXPECT_NE(bad.error().message.find("syntax error"), std::string::npos) << bad.error().message;
  EXPECT_NE(bad.error().message.find(path.string()), std::string::npos) << bad.error().message;

  ASSERT_TRUE(db->exec("CREATE TABLE u (a INTEGER UNIQUE)"));
  ASSERT_TRUE(db->exec("INSERT INTO u VALUES (1)"));
  auto dup = db->prepare("INSERT INTO u VALUES (1)");
  ASSERT_TRUE(dup);
  auto ran = dup->run();
  ASSERT_FALSE(ran);
  EXPECT_NE(ran.error().message.find("UNIQUE"), std::string::npos) << ran.error().message;

  auto exec_error = db->exec("INSERT INTO missing VALUES (1)");
  ASSERT_FALSE(exec_error);
  EXPECT_NE(exec_error.error().message.find("no such table"), std::string::npos);
}

TEST(Database, OpeningAMissingFolderFailsWithThePath) {
  test_support::TempDir dir;
  const auto path = dir.path() / "no" / "such" / "dir" / "t.db";
  auto db = store::Database::open(path);
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, core::ErrorCode::io);
  EXPECT_NE(db.error().message.find(path.string()), std::string::npos);
}

TEST(Database, ForeignKeysAreEnforced) {
  auto db = store::Database::open(":memory:");
  ASSERT_TRUE(db);
  ASSERT_TRUE(
      db->exec("CREATE TABLE p (id INTEGER PRIMARY KEY);"
               "CREATE TABLE c (p INTEGER REFERENCES p(id))"));
  EXPECT_FALSE(db->exec("INSERT INTO c VALUES (7)"));
}

TEST(Database, MovedDatabaseKeepsStatementsWorking) {
  auto db = store::Database::open(":memory:");
  ASSERT_TRUE(db);
  auto s = db->prepare("SELECT 5");
  ASSERT_TRUE(s);
  store::Database moved = std::move(*db);
  ASSERT_TRUE(*s->step());
  EXPECT_EQ(s->column_int64(0), 5);
}

}  // namespace

namespace {

TEST(Database, AnEmptyTextIsNotNull) {
  test_support::TempDir dir;
  auto db = store::Database::open(dir.path() / "t.db");
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->exec("CREATE TABLE t (a TEXT NOT NULL)"));
  auto insert = db->prepare("INSERT INTO t VALUES (?1)");
  ASSERT_TRUE(insert);
  ASSERT_TRUE(insert->bind(1, std::string_view()));  // a view with no data pointer at all
  ASSERT_TRUE(insert->run());
  auto select = db->prepare("SELECT a IS NULL, length(a) FROM t");
  ASSERT_TRUE(select);
  ASSERT_TRUE(*select->step());
  EXPECT_EQ(select->column_int64(0), 0);
  EXPECT_EQ(select->column_int64(1), 0);
}

}  // namespace
