// SQLite wrapper: connection setup (WAL, synchronous=FULL), statements and error mapping.
#include "zta/store/sqlite.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <utility>

namespace zta::store {

StatusCode StatusCodeFromSqlite(int sqlite_code) {
  switch (sqlite_code & 0xff) {  // the primary code; extended codes refine it
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
      return StatusCode::kOk;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return StatusCode::kDataLoss;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return StatusCode::kUnavailable;
    case SQLITE_CANTOPEN:
      return StatusCode::kNotFound;
    case SQLITE_CONSTRAINT:
      return StatusCode::kAlreadyExists;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return StatusCode::kPermissionDenied;
    case SQLITE_FULL:
    case SQLITE_TOOBIG:
      return StatusCode::kResourceExhausted;
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
      return StatusCode::kInvalidArgument;
    default:
      return StatusCode::kInternal;
  }
}

namespace {

Status FromCode(int rc, sqlite3* db, std::string_view context) {
  std::string message(context);
  message += ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return Status(StatusCodeFromSqlite(rc), std::move(message));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Statement

Statement::Statement(Statement&& other) noexcept
    : stmt_(std::exchange(other.stmt_, nullptr)), db_(std::exchange(other.db_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    if (stmt_ != nullptr) sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
    db_ = std::exchange(other.db_, nullptr);
  }
  return *this;
}

Statement::~Statement() {
  if (stmt_ != nullptr) sqlite3_finalize(stmt_);
}

Status Statement::BindInt64(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  return rc == SQLITE_OK ? Status::Ok() : db_->LastError("binding a parameter");
}

Status Statement::BindText(int index, std::string_view value) {
  int rc =
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return rc == SQLITE_OK ? Status::Ok() : db_->LastError("binding a parameter");
}

Status Statement::BindBlob(int index, std::string_view bytes) {
  // A zero-length blob must still be a blob, not NULL: SQLite wants a non-null pointer.
  static const char kEmpty = 0;
  int rc = sqlite3_bind_blob64(stmt_, index, bytes.empty() ? &kEmpty : bytes.data(), bytes.size(),
                               SQLITE_TRANSIENT);
  return rc == SQLITE_OK ? Status::Ok() : db_->LastError("binding a parameter");
}

Status Statement::BindNull(int index) {
  int rc = sqlite3_bind_null(stmt_, index);
  return rc == SQLITE_OK ? Status::Ok() : db_->LastError("binding a parameter");
}

Result<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return FromCode(rc, db_->handle(), "running a statement");
}

Status Statement::Run() {
  for (;;) {
    ZTA_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::Ok();
  }
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Statement::ColumnInt64(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string_view Statement::ColumnText(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  int n = sqlite3_column_bytes(stmt_, column);
  if (text == nullptr) return {};
  return std::string_view(reinterpret_cast<const char*>(text), static_cast<size_t>(n));
}

std::string_view Statement::ColumnBlob(int column) const {
  const void* blob = sqlite3_column_blob(stmt_, column);
  int n = sqlite3_column_bytes(stmt_, column);
  if (blob == nullptr) return {};
  return std::string_view(static_cast<const char*>(blob), static_cast<size_t>(n));
}

bool Statement::ColumnIsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

// ---------------------------------------------------------------------------------------------
// Database

Result<std::unique_ptr<Database>> Database::Open(const std::string& path,
                                                 const SqliteOptions& options) {
  // SQLite reports a missing file only as "unable to open database file"; say it plainly.
  struct stat st;
  if ((options.read_only || !options.create) && ::stat(path.c_str(), &st) != 0) {
    return NotFound("no database at " + path);
  }
  int flags = SQLITE_OPEN_NOMUTEX;  // thread-compatible: one thread per connection
  if (options.read_only) {
    flags |= SQLITE_OPEN_READONLY;
  } else {
    flags |= SQLITE_OPEN_READWRITE;
    if (options.create) flags |= SQLITE_OPEN_CREATE;
  }
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  std::unique_ptr<Database> db(new Database(raw, path));  // owns raw even on failure
  if (rc != SQLITE_OK) {
    return FromCode(rc, raw, "opening " + path);
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, options.busy_timeout_ms);
  // Reading the schema is the first access to the file's contents: a file that is not a
  // database, or whose header is damaged, fails here rather than at some later statement.
  ZTA_RETURN_IF_ERROR(db->Exec("SELECT count(*) FROM sqlite_master")
                          .WithContext(path + " is not a readable SQLite database"));
  if (!options.read_only) {
    if (options.wal) ZTA_RETURN_IF_ERROR(db->Exec("PRAGMA journal_mode=WAL"));
    ZTA_RETURN_IF_ERROR(db->Exec(options.synchronous_full ? "PRAGMA synchronous=FULL"
                                                          : "PRAGMA synchronous=NORMAL"));
  }
  return db;
}

Database::~Database() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

Status Database::Exec(std::string_view sql) {
  std::string text(sql);
  char* error = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error);
  if (rc == SQLITE_OK) return Status::Ok();
  std::string message = error != nullptr ? error : sqlite3_errstr(rc);
  sqlite3_free(error);
  return Status(StatusCodeFromSqlite(rc), message);
}

Result<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return FromCode(rc, db_, "preparing SQL");
  return Statement(stmt, this);
}

Status Database::Begin() { return Exec("BEGIN IMMEDIATE"); }
Status Database::Commit() { return Exec("COMMIT"); }
Status Database::Rollback() { return Exec("ROLLBACK"); }

Status Database::LastError(std::string_view context) const {
  return FromCode(sqlite3_extended_errcode(db_), db_, context);
}

// ---------------------------------------------------------------------------------------------
// Transaction

Transaction::Transaction(Database& db) : db_(db), begin_status_(db.Begin()) {
  open_ = begin_status_.ok();
}

Transaction::~Transaction() {
  if (open_) (void)db_.Rollback();
}

Status Transaction::Commit() {
  if (!open_) return FailedPrecondition("no open transaction");
  Status status = db_.Commit();
  if (status.ok()) open_ = false;
  return status;
}

}  // namespace zta::store
