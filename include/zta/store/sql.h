// One small SQL interface over the two databases zta keeps state in: SQLite (a data folder, the
// default) and PostgreSQL (shared by several idp nodes, docs/scale.md). Stores written against
// SqlConnection run on either, with one SQL text: `?` placeholders (the PostgreSQL connection
// numbers them $1, $2, ...), `INSERT ... ON CONFLICT` for upserts, and no engine-specific
// functions. Only the schema differs per engine (types, sequences), so each store keeps one
// schema per SqlDialect.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "zta/core/status.h"

namespace zta::store {

class Database;

enum class SqlDialect { kSqlite, kPostgres };

// The reason of a transaction that lost a race with another one (PostgreSQL SQLSTATE 40001 or
// 40P01): nothing of it was committed, and running it again from the start is safe.
inline constexpr std::string_view kReasonSerializationFailure = "serialization_failure";
inline bool IsSerializationFailure(const Status& s) {
  return s.reason() == kReasonSerializationFailure;
}

// One prepared query. Move-only; used by one thread at a time, only while its connection lives.
class SqlQuery {
 public:
  // What each engine implements.
  class Impl {
   public:
    virtual ~Impl() = default;
    virtual Status BindInt64(int index, int64_t value) = 0;
    virtual Status BindText(int index, std::string_view value) = 0;
    virtual Result<bool> Step() = 0;
    virtual int64_t ColumnInt64(int column) const = 0;
    virtual std::string_view ColumnText(int column) const = 0;
    virtual int64_t Changes() const = 0;
  };

  explicit SqlQuery(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

  // Parameters are 1-based, in the order of the `?` in the SQL text. Values are copied.
  Status BindInt64(int index, int64_t value) { return impl_->BindInt64(index, value); }
  Status BindText(int index, std::string_view value) { return impl_->BindText(index, value); }
  // Runs the query the first time, then moves row by row: true when a row is ready to read.
  Result<bool> Step() { return impl_->Step(); }
  // Runs a query that returns no rows.
  Status Run();
  // Columns of the current row (0-based); views stay valid until the next Step.
  int64_t ColumnInt64(int column) const { return impl_->ColumnInt64(column); }
  std::string_view ColumnText(int column) const { return impl_->ColumnText(column); }
  // Rows the last INSERT, UPDATE or DELETE changed (after Run or the last Step).
  int64_t Changes() const { return impl_->Changes(); }

 private:
  std::unique_ptr<Impl> impl_;
};

// One connection. Thread-compatible: one thread at a time (stores serialize with a mutex).
// Errors map onto StatusCode the same way on both engines: kAlreadyExists for a constraint,
// kUnavailable with reason kReasonSerializationFailure for a serialization failure or deadlock
// (the transaction may be run again whole), kUnavailable when the database cannot be reached,
// kDataLoss for a damaged database.
class SqlConnection {
 public:
  virtual ~SqlConnection() = default;

  virtual SqlDialect dialect() const = 0;
  // Runs one or more statements without parameters or rows (schema).
  virtual Status Exec(std::string_view sql) = 0;
  virtual Result<SqlQuery> Prepare(std::string_view sql) = 0;
  // A write transaction whose reads and writes behave as if alone: SQLite BEGIN IMMEDIATE (the
  // one writer lock), PostgreSQL SERIALIZABLE (concurrent nodes; a conflict fails with
  // IsSerializationFailure at some statement or at commit, and the caller runs the whole
  // transaction again).
  virtual Status Begin() = 0;
  // A write transaction for writers that exclude each other with row locks (SELECT … FOR
  // UPDATE): PostgreSQL READ COMMITTED, where the lock waits for the other writer and then reads
  // what it committed, so a hot row never fails with a serialization failure; SQLite BEGIN
  // IMMEDIATE, as Begin.
  virtual Status BeginLocking() = 0;
  // A read-only transaction seeing one consistent snapshot.
  virtual Status BeginRead() = 0;
  virtual Status Commit() = 0;
  virtual Status Rollback() = 0;
  // Whether the database answers now (health checks); reconnects a lost connection first.
  virtual Status Ping() = 0;
  // Where it points, without credentials (for messages).
  virtual std::string Describe() const = 0;
};

// Rolls back on destruction unless Commit() succeeded.
class SqlTransaction {
 public:
  enum class Kind { kWrite, kRead };
  explicit SqlTransaction(SqlConnection& conn, Kind kind = Kind::kWrite);
  ~SqlTransaction();
  SqlTransaction(const SqlTransaction&) = delete;
  SqlTransaction& operator=(const SqlTransaction&) = delete;

  const Status& status() const { return begin_status_; }
  Status Commit();

 private:
  SqlConnection& conn_;
  Status begin_status_;
  bool open_ = false;
};

// A SqlConnection over an open SQLite database (zta/store/sqlite.h).
std::unique_ptr<SqlConnection> SqliteConnection(std::unique_ptr<Database> db);

}  // namespace zta::store
