#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

struct sqlite3;
struct sqlite3_stmt;

namespace store {

// A thin wrapper over SQLite: the only code that includes sqlite3.h. Every failure is an
// ErrorCode::io Error whose message carries SQLite's own message and the database file's path.
//
// Thread-safety: a Database and its Statements belong to one thread at a time (the caller
// serialises access, e.g. with a mutex). Separate Database objects on the same file may be used
// from different threads and processes (WAL mode, busy timeout).

class Database;

// A prepared statement; it must not outlive the Database that prepared it. Bind indexes are
// 1-based, column indexes 0-based (as in SQLite). Binding an empty std::optional binds NULL. Text
// is copied by SQLite (SQLITE_TRANSIENT).
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  core::Result<void> bind(int index, std::string_view text);
  core::Result<void> bind(int index, long long value);
  core::Result<void> bind(int index, int value) {
    return bind(index, static_cast<long long>(value));
  }
  core::Result<void> bind(int index, double value);
  core::Result<void> bind_null(int index);
  // NULL when `value` is empty.
  core::Result<void> bind(int index, const std::optional<long long>& value);
  core::Result<void> bind(int index, const std::optional<int>& value);
  // NULL when `text` is empty; otherwise the text.
  core::Result<void> bind_text_or_null(int index, std::string_view text);

  // Advances: true when a row is available (read it with column_*), false when done.
  core::Result<bool> step();
  // Steps to completion, ignoring any rows (for INSERT/UPDATE/DELETE).
  core::Result<void> run();
  // Makes the statement ready to run again and clears all bindings.
  void reset();

  int column_count() const;
  bool column_is_null(int column) const;
  // "" for NULL.
  std::string column_text(int column) const;
  long long column_int64(int column) const;
  double column_double(int column) const;
  // nullopt for NULL.
  std::optional<long long> column_optional_int64(int column) const;

 private:
  friend class Database;
  Statement(sqlite3_stmt* stmt, sqlite3* db, std::filesystem::path path)
      : m_stmt(stmt), m_db(db), m_path(std::move(path)) {}
  core::Error error(int rc, std::string_view what) const;

  sqlite3_stmt* m_stmt = nullptr;
  sqlite3* m_db = nullptr;  // the connection (stable when its Database object moves)
  std::filesystem::path m_path;
};

// Commits on commit(); rolls back in the destructor when commit() was not called (or failed).
// The Database must stay in place (not be moved) while a Transaction on it is open.
class Transaction {
 public:
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  core::Result<void> commit();

 private:
  friend class Database;
  explicit Transaction(Database* db) : m_db(db) {}
  Database* m_db = nullptr;
};

struct OpenOptions {
  // How long a statement waits for another connection's lock before failing with "database is
  // locked".
  std::chrono::milliseconds busy_timeout{5000};
  bool read_only = false;
  // Creates the file when missing (ignored when read_only).
  bool create = true;
};

class Database {
 public:
  // Opens (creating when allowed) `path`, with WAL journaling (unless read-only or in memory),
  // the busy timeout, foreign keys on and synchronous=NORMAL. ":memory:" opens a private
  // in-memory database.
  static core::Result<Database> open(const std::filesystem::path& path, OpenOptions options = {});

  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Runs one or more ';'-separated statements that return no rows of interest.
  core::Result<void> exec(std::string_view sql);
  // Compiles one statement.
  core::Result<Statement> prepare(std::string_view sql) const;
  // BEGIN IMMEDIATE (takes the write lock at once, so that a busy timeout applies up front).
  core::Result<Transaction> begin();

  long long last_insert_rowid() const;
  // Rows changed by the most recent INSERT/UPDATE/DELETE.
  int changes() const;
  const std::filesystem::path& path() const { return m_path; }

  // "<what>: <sqlite message> (<path>)" as an io Error.
  core::Error error(std::string_view what) const;

 private:
  Database(sqlite3* db, std::filesystem::path path) : m_db(db), m_path(std::move(path)) {}

  sqlite3* m_db = nullptr;
  std::filesystem::path m_path;
};

}  // namespace store
