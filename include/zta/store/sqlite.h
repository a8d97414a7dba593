// A small RAII wrapper over SQLite: open (WAL, durable commits), prepared statements and
// transactions, with every failure reported as a zta::Status instead of a return code.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "zta/core/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace zta::store {

struct SqliteOptions {
  // Open without write access; the file must exist. Default: false.
  bool read_only = false;
  // Create the file when it does not exist (ignored when read_only). Default: true.
  bool create = true;
  // Use write-ahead logging, so readers never block the writer and a commit is one sequential
  // WAL append. Default: true.
  bool wal = true;
  // PRAGMA synchronous=FULL: in WAL mode every commit fsyncs the WAL, so a committed
  // transaction survives power loss, not just a process crash. Default: true.
  bool synchronous_full = true;
  // How long a statement waits for another connection's lock before kUnavailable.
  // Default: 5000 ms.
  int busy_timeout_ms = 5000;
};

class Database;

// One prepared statement. Not thread-safe: used by one thread at a time, and only while its
// Database is open. Move-only; finalized on destruction.
class Statement {
 public:
  Statement() = default;
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Parameters are 1-based, as in SQLite. Text and blobs are copied (SQLITE_TRANSIENT) so the
  // caller's buffers need not outlive the call.
  Status BindInt64(int index, int64_t value);
  Status BindText(int index, std::string_view value);
  Status BindBlob(int index, std::string_view bytes);
  Status BindNull(int index);

  // Runs one step: true when a row is ready to read, false when the statement is done.
  Result<bool> Step();
  // Steps to the end, for statements that return no rows.
  Status Run();
  // Makes the statement ready to run again and clears its bindings.
  void Reset();

  // Column accessors for the current row (0-based). Views stay valid until the next Step/Reset.
  int64_t ColumnInt64(int column) const;
  std::string_view ColumnText(int column) const;
  std::string_view ColumnBlob(int column) const;
  bool ColumnIsNull(int column) const;

 private:
  friend class Database;
  Statement(sqlite3_stmt* stmt, Database* db) : stmt_(stmt), db_(db) {}
  sqlite3_stmt* stmt_ = nullptr;
  Database* db_ = nullptr;
};

// One SQLite connection. Thread-compatible: use it from one thread at a time (the connection is
// opened without SQLite's own mutex); give each thread its own Database for concurrency.
class Database {
 public:
  // Opens (or creates) the database at `path`. A missing file with create=false gives
  // kNotFound; a file that is not a SQLite database, or is damaged, gives kDataLoss.
  static Result<std::unique_ptr<Database>> Open(const std::string& path,
                                                const SqliteOptions& options = {});
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more SQL statements that return no rows (schema, pragmas).
  Status Exec(std::string_view sql);
  Result<Statement> Prepare(std::string_view sql);

  // BEGIN IMMEDIATE takes the write lock up front, so a transaction never fails half-way with
  // SQLITE_BUSY when it first writes.
  Status Begin();
  Status Commit();
  Status Rollback();

  // A Status for the connection's last error: code mapped from SQLite's, message with context.
  Status LastError(std::string_view context) const;

  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_; }

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
};

// Rolls back on destruction unless Commit() succeeded. Not thread-safe.
class Transaction {
 public:
  // Begins immediately; check status() before using the transaction.
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  const Status& status() const { return begin_status_; }
  Status Commit();

 private:
  Database& db_;
  Status begin_status_;
  bool open_ = false;
};

// Maps a SQLite result code to a zta status code (kDataLoss for corruption, kUnavailable for
// busy/locked, kNotFound for a file that cannot be opened, kAlreadyExists for constraints).
StatusCode StatusCodeFromSqlite(int sqlite_code);

}  // namespace zta::store
