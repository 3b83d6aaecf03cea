#include "store/database.h"

#include <sqlite3.h>

#include <fmt/format.h>

#include <utility>

namespace store {

namespace {

core::Error make_error(sqlite3* db, const std::filesystem::path& path, std::string_view what,
                       int rc = SQLITE_ERROR) {
  const char* message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return core::Error(
      core::ErrorCode::io,
      fmt::format("{}: {} ({})", what, message ? message : "unknown error", path.string()));
}

}  // namespace

// ---- Statement ----

Statement::Statement(Statement&& other) noexcept
    : m_stmt(std::exchange(other.m_stmt, nullptr)),
      m_db(other.m_db),
      m_path(std::move(other.m_path)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(m_stmt);
    m_stmt = std::exchange(other.m_stmt, nullptr);
    m_db = other.m_db;
    m_path = std::move(other.m_path);
  }
  return *this;
}

Statement::~Statement() {
  sqlite3_finalize(m_stmt);
}

core::Error Statement::error(int rc, std::string_view what) const {
  return make_error(m_db, m_path, what, rc);
}

core::Result<void> Statement::bind(int index, std::string_view text) {
  // SQLite binds NULL for a null pointer; an empty view may have one, and empty text is not NULL.
  const char* data = text.data() != nullptr ? text.data() : "";
  const int rc =
      sqlite3_bind_text64(m_stmt, index, data, text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) return std::unexpected(error(rc, "binding a parameter"));
  return {};
}

core::Result<void> Statement::bind(int index, long long value) {
  const int rc = sqlite3_bind_int64(m_stmt, index, value);
  if (rc != SQLITE_OK) return std::unexpected(error(rc, "binding a parameter"));
  return {};
}

core::Result<void> Statement::bind(int index, double value) {
  const int rc = sqlite3_bind_double(m_stmt, index, value);
  if (rc != SQLITE_OK) return std::unexpected(error(rc, "binding a parameter"));
  return {};
}

core::Result<void> Statement::bind_null(int index) {
  const int rc = sqlite3_bind_null(m_stmt, index);
  if (rc != SQLITE_OK) return std::unexpected(error(rc, "binding a parameter"));
  return {};
}

core::Result<void> Statement::bind(int index, const std::optional<long long>& value) {
  return value ? bind(index, *value) : bind_null(index);
}

core::Result<void> Statement::bind(int index, const std::optional<int>& value) {
  return value ? bind(index, static_cast<long long>(*value)) : bind_null(index);
}

core::Result<void> Statement::bind_text_or_null(int index, std::string_view text) {
  return text.empty() ? bind_null(index) : bind(index, text);
}

core::Result<bool> Statement::step() {
  const int rc = sqlite3_step(m_stmt);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  const char* sql = sqlite3_sql(m_stmt);
  core::Error e = error(rc, "running SQL");
  if (sql != nullptr) e.message += fmt::format(" [{}]", std::string_view(sql).substr(0, 80));
  sqlite3_reset(m_stmt);
  return std::unexpected(std::move(e));
}

core::Result<void> Statement::run() {
  while (TRY(step())) {
  }
  return {};
}

void Statement::reset() {
  sqlite3_reset(m_stmt);
  sqlite3_clear_bindings(m_stmt);
}

int Statement::column_count() const {
  return sqlite3_column_count(m_stmt);
}

bool Statement::column_is_null(int column) const {
  return sqlite3_column_type(m_stmt, column) == SQLITE_NULL;
}

std::string Statement::column_text(int column) const {
  const auto* text = sqlite3_column_text(m_stmt, column);
  if (text == nullptr) return {};
  const int size = sqlite3_column_bytes(m_stmt, column);
  return std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(size));
}

long long Statement::column_int64(int column) const {
  return sqlite3_column_int64(m_stmt, column);
}

double Statement::column_double(int column) const {
  return sqlite3_column_double(m_stmt, column);
}

std::optional<long long> Statement::column_optional_int64(int column) const {
  if (column_is_null(column)) return std::nullopt;
  return column_int64(column);
}

// ---- Transaction ----

Transaction::Transaction(Transaction&& other) noexcept : m_db(std::exchange(other.m_db, nullptr)) {}

Transaction::~Transaction() {
  if (m_db != nullptr) (void)m_db->exec("ROLLBACK");
}

core::Result<void> Transaction::commit() {
  if (m_db == nullptr) return core::fail(core::ErrorCode::internal, "transaction already ended");
  auto result = m_db->exec("COMMIT");
  if (result) m_db = nullptr;
  return result;
}

// ---- Database ----

core::Result<Database> Database::open(const std::filesystem::path& path, OpenOptions options) {
  int flags = options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (!options.read_only && options.create) flags |= SQLITE_OPEN_CREATE;
  flags |= SQLITE_OPEN_NOMUTEX;  // callers serialise access to one connection
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    core::Error e = make_error(raw, path, "opening the database", rc);
    sqlite3_close_v2(raw);
    return std::unexpected(std::move(e));
  }
  Database db(raw, path);
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, static_cast<int>(options.busy_timeout.count()));
  TRY_VOID(db.exec("PRAGMA foreign_keys = ON"));
  if (!options.read_only && path != ":memory:" && !path.empty()) {
    // journal_mode returns a row; run it as a statement.
    auto stmt = TRY(db.prepare("PRAGMA journal_mode = WAL"));
    TRY_VOID(stmt.run());
    TRY_VOID(db.exec("PRAGMA synchronous = NORMAL"));
  }
  return db;
}

Database::Database(Database&& other) noexcept
    : m_db(std::exchange(other.m_db, nullptr)), m_path(std::move(other.m_path)) {}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    sqlite3_close_v2(m_db);
    m_db = std::exchange(other.m_db, nullptr);
    m_path = std::move(other.m_path);
  }
  return *this;
}

Database::~Database() {
  sqlite3_close_v2(m_db);
}

core::Error Database::error(std::string_view what) const {
  return make_error(m_db, m_path, what);
}

core::Result<void> Database::exec(std::string_view sql) {
  const std::string text(sql);
  char* message = nullptr;
  const int rc = sqlite3_exec(m_db, text.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string detail = message != nullptr ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    return core::fail(
        core::ErrorCode::io,
        fmt::format("running SQL [{}]: {} ({})", text.substr(0, 80), detail, m_path.string()));
  }
  return {};
}

core::Result<Statement> Database::prepare(std::string_view sql) const {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(m_db, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    core::Error e = make_error(m_db, m_path, "preparing SQL", rc);
    e.message += fmt::format(" [{}]", sql.substr(0, 80));
    return std::unexpected(std::move(e));
  }
  return Statement(stmt, m_db, m_path);
}

core::Result<Transaction> Database::begin() {
  TRY_VOID(exec("BEGIN IMMEDIATE"));
  return Transaction(this);
}

long long Database::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(m_db);
}

int Database::changes() const {
  return sqlite3_changes(m_db);
}

}  // namespace store
