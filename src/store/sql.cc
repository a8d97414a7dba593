// SqlQuery and SqlTransaction, and SqlConnection over SQLite (zta/store/sqlite.h).
#include "zta/store/sql.h"

#include <sqlite3.h>

#include "zta/store/sqlite.h"

namespace zta::store {

Status SqlQuery::Run() {
  for (;;) {
    ZTA_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::Ok();
  }
}

SqlTransaction::SqlTransaction(SqlConnection& conn, Kind kind) : conn_(conn) {
  begin_status_ = kind == Kind::kWrite ? conn_.Begin() : conn_.BeginRead();
  open_ = begin_status_.ok();
}

SqlTransaction::~SqlTransaction() {
  if (open_) (void)conn_.Rollback();
}

Status SqlTransaction::Commit() {
  if (!open_) return Status(StatusCode::kFailedPrecondition, "transaction is not open");
  Status s = conn_.Commit();
  // A failed COMMIT leaves nothing to roll back on either engine (PostgreSQL ends the
  // transaction; SQLite keeps it open only for SQLITE_BUSY, which Begin's lock rules out).
  open_ = false;
  return s;
}

namespace {

class SqliteQuery final : public SqlQuery::Impl {
 public:
  SqliteQuery(Statement stmt, sqlite3* db) : stmt_(std::move(stmt)), db_(db) {}
  Status BindInt64(int index, int64_t value) override { return stmt_.BindInt64(index, value); }
  Status BindText(int index, std::string_view value) override {
    return stmt_.BindText(index, value);
  }
  Result<bool> Step() override { return stmt_.Step(); }
  int64_t ColumnInt64(int column) const override { return stmt_.ColumnInt64(column); }
  std::string_view ColumnText(int column) const override { return stmt_.ColumnText(column); }
  int64_t Changes() const override { return sqlite3_changes64(db_); }

 private:
  Statement stmt_;
  sqlite3* db_;
};

class SqliteSqlConnection final : public SqlConnection {
 public:
  explicit SqliteSqlConnection(std::unique_ptr<Database> db) : db_(std::move(db)) {}
  SqlDialect dialect() const override { return SqlDialect::kSqlite; }
  Status Exec(std::string_view sql) override { return db_->Exec(sql); }
  Result<SqlQuery> Prepare(std::string_view sql) override {
    ZTA_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare(sql));
    return SqlQuery(std::make_unique<SqliteQuery>(std::move(stmt), db_->handle()));
  }
  Status Begin() override { return db_->Begin(); }
  Status BeginLocking() override { return db_->Begin(); }
  Status BeginRead() override { return db_->Exec("BEGIN"); }
  Status Commit() override { return db_->Commit(); }
  Status Rollback() override { return db_->Rollback(); }
  Status Ping() override { return db_->Exec("SELECT 1"); }
  std::string Describe() const override { return db_->path(); }

 private:
  std::unique_ptr<Database> db_;
};

}  // namespace

std::unique_ptr<SqlConnection> SqliteConnection(std::unique_ptr<Database> db) {
  return std::make_unique<SqliteSqlConnection>(std::move(db));
}

}  // namespace zta::store
