// SqlConnection on libpq: text-format parameters and results, SQLSTATE → StatusCode, and a
// lost connection that fails closed (kUnavailable) until it reconnects at a later use.
#include "zta/store/postgres.h"

#include <libpq-fe.h>
#include <poll.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <vector>

namespace zta::store {

bool IsPostgresUrl(std::string_view location) {
  return location.starts_with("postgresql://") || location.starts_with("postgres://");
}

std::string NumberPlaceholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    char c = sql[i];
    if (c == '\'' || c == '"') {  // a quoted literal or identifier, '' / "" escapes included
      size_t end = sql.find(c, i + 1);
      while (end != std::string_view::npos && end + 1 < sql.size() && sql[end + 1] == c) {
        end = sql.find(c, end + 2);
      }
      if (end == std::string_view::npos) end = sql.size() - 1;
      out.append(sql.substr(i, end - i + 1));
      i = end;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {  // a comment to line end
      size_t end = sql.find('\n', i);
      if (end == std::string_view::npos) end = sql.size() - 1;
      out.append(sql.substr(i, end - i + 1));
      i = end;
    } else if (c == '?') {
      out += '$';
      out += std::to_string(++n);
    } else {
      out += c;
    }
  }
  return out;
}

namespace {

PGconn* Open(const PostgresOptions& o) {
  const std::string timeout = std::to_string(o.connect_timeout_seconds);
  const std::string server_options =
      "-c statement_timeout=" + std::to_string(o.statement_timeout_millis);
  // The URL comes last with expand_dbname, so whatever it sets wins over these defaults.
  const char* keys[] = {"connect_timeout", "options", "application_name", "dbname", nullptr};
  const char* values[] = {timeout.c_str(), server_options.c_str(), o.application_name.c_str(),
                          o.url.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  // Notices (e.g. "relation already exists, skipping") are not errors; keep them off stderr.
  if (conn != nullptr) PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  return conn;
}

std::string Trimmed(const char* text) {
  std::string s = text != nullptr ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

Status ErrorStatus(PGconn* conn, const PGresult* res, std::string_view context) {
  std::string message(context);
  message += ": ";
  message += Trimmed(res != nullptr ? PQresultErrorMessage(res) : PQerrorMessage(conn));
  if (conn == nullptr || PQstatus(conn) == CONNECTION_BAD) {
    return Status(StatusCode::kUnavailable, std::move(message), "store_unreachable");
  }
  const char* field = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  const std::string state = field != nullptr ? field : "";
  if (state == "40001" || state == "40P01") {  // serialization_failure, deadlock_detected
    return Status(StatusCode::kUnavailable, std::move(message),
                  std::string(kReasonSerializationFailure));
  }
  if (state.starts_with("23")) return Status(StatusCode::kAlreadyExists, std::move(message));
  // Connection exceptions, insufficient resources, operator intervention (shutdown, statement
  // timeout): the database is not answering as it should; retrying later may help.
  if (state.starts_with("08") || state.starts_with("53") || state.starts_with("57")) {
    return Status(StatusCode::kUnavailable, std::move(message), "store_unavailable");
  }
  if (state == "XX001" || state == "XX002") return Status(StatusCode::kDataLoss, message);
  return Status(StatusCode::kInternal, std::move(message));
}

class PgSqlConnection;

class PgQuery final : public SqlQuery::Impl {
 public:
  PgQuery(PgSqlConnection& conn, std::string sql) : conn_(conn), sql_(std::move(sql)) {}
  ~PgQuery() override {
    if (res_ != nullptr) PQclear(res_);
  }

  Status BindInt64(int index, int64_t value) override {
    return BindText(index, std::to_string(value));
  }
  Status BindText(int index, std::string_view value) override {
    if (index < 1 || index > 1000) return InvalidArgument("parameter index out of range");
    if (params_.size() < static_cast<size_t>(index)) params_.resize(index);
    params_[index - 1] = std::string(value);
    return Status::Ok();
  }
  Result<bool> Step() override;
  int64_t ColumnInt64(int column) const override {
    return std::strtoll(PQgetvalue(res_, row_, column), nullptr, 10);
  }
  std::string_view ColumnText(int column) const override {
    return std::string_view(PQgetvalue(res_, row_, column), PQgetlength(res_, row_, column));
  }
  int64_t Changes() const override { return changes_; }

 private:
  PgSqlConnection& conn_;
  const std::string sql_;
  std::vector<std::optional<std::string>> params_;
  PGresult* res_ = nullptr;
  int row_ = -1;
  int rows_ = 0;
  int64_t changes_ = 0;
};

class PgSqlConnection final : public SqlConnection {
 public:
  PgSqlConnection(PostgresOptions options, PGconn* conn)
      : options_(std::move(options)), conn_(conn) {}
  ~PgSqlConnection() override { PQfinish(conn_); }

  SqlDialect dialect() const override { return SqlDialect::kPostgres; }

  Status Exec(std::string_view sql) override {
    ZTA_RETURN_IF_ERROR(Usable());
    std::string text(sql);
    PGresult* res = PQexec(conn_, text.c_str());
    // Rows, if any (SELECT pg_advisory_xact_lock(...)), are not wanted: only success counts.
    Status s = res != nullptr && PQresultStatus(res) == PGRES_TUPLES_OK
                   ? Status::Ok()
                   : Check(res, PGRES_COMMAND_OK, "running SQL");
    if (res != nullptr) PQclear(res);
    return s;
  }

  Result<SqlQuery> Prepare(std::string_view sql) override {
    return SqlQuery(std::make_unique<PgQuery>(*this, NumberPlaceholders(sql)));
  }

  Status Begin() override { return BeginWith("BEGIN ISOLATION LEVEL SERIALIZABLE"); }
  Status BeginLocking() override { return BeginWith("BEGIN ISOLATION LEVEL READ COMMITTED"); }
  Status BeginRead() override {
    return BeginWith("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  }
  Status Commit() override { return End("COMMIT"); }
  Status Rollback() override { return End("ROLLBACK"); }

  Status Ping() override {
    if (in_transaction_) return Status::Ok();  // busy with one: it answers
    return Exec("SELECT 1");
  }

  std::string Describe() const override {
    std::string user = Trimmed(PQuser(conn_)), host = Trimmed(PQhost(conn_));
    return "postgresql://" + user + "@" + host + ":" + Trimmed(PQport(conn_)) + "/" +
           Trimmed(PQdb(conn_));
  }

  // Runs one parameterized statement; the result is the caller's to PQclear.
  Result<PGresult*> Execute(const std::string& sql,
                            const std::vector<std::optional<std::string>>& params) {
    ZTA_RETURN_IF_ERROR(Usable());
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
    PGresult* res = PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                                 values.data(), nullptr, nullptr, 0);
    ExecStatusType st = res != nullptr ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return res;
    Status s = ErrorStatus(conn_, res, "running a statement");
    if (res != nullptr) PQclear(res);
    return s;
  }

 private:
  // A broken connection is re-opened only between transactions: inside one, the statements
  // after a reconnect would run outside it.
  Status Usable() {
    if (PQstatus(conn_) == CONNECTION_OK) return Status::Ok();
    if (!in_transaction_) PQreset(conn_);
    if (PQstatus(conn_) == CONNECTION_OK) return Status::Ok();
    return Status(StatusCode::kUnavailable,
                  "database unreachable: " + Trimmed(PQerrorMessage(conn_)), "store_unreachable");
  }

  Status Check(PGresult* res, ExecStatusType want, std::string_view context) {
    if (res != nullptr && PQresultStatus(res) == want) return Status::Ok();
    return ErrorStatus(conn_, res, context);
  }

  Status BeginWith(const char* sql) {
    ZTA_RETURN_IF_ERROR(Exec(sql));
    in_transaction_ = true;
    return Status::Ok();
  }

  Status End(const char* sql) {
    in_transaction_ = false;
    if (PQstatus(conn_) != CONNECTION_OK) {
      // The server ended the transaction with the connection: nothing was committed.
      return Status(StatusCode::kUnavailable, "database unreachable", "store_unreachable");
    }
    return Exec(sql);
  }

  const PostgresOptions options_;
  PGconn* conn_;
  bool in_transaction_ = false;
};

Result<bool> PgQuery::Step() {
  if (res_ == nullptr) {
    ZTA_ASSIGN_OR_RETURN(res_, conn_.Execute(sql_, params_));
    rows_ = PQntuples(res_);
    const char* tuples = PQcmdTuples(res_);
    changes_ = tuples != nullptr && *tuples ? std::strtoll(tuples, nullptr, 10) : 0;
    row_ = 0;
  } else {
    ++row_;
  }
  return row_ < rows_;
}

}  // namespace

Result<std::unique_ptr<SqlConnection>> ConnectPostgres(const PostgresOptions& options) {
  if (!IsPostgresUrl(options.url)) {
    return InvalidArgument("a PostgreSQL store URL begins with postgresql://");
  }
  PGconn* conn = Open(options);
  if (conn == nullptr) return Status(StatusCode::kInternal, "out of memory opening PostgreSQL");
  if (PQstatus(conn) != CONNECTION_OK) {
    Status s(StatusCode::kUnavailable,
             "cannot connect to PostgreSQL: " + Trimmed(PQerrorMessage(conn)), "store_unreachable");
    PQfinish(conn);
    return s;
  }
  return std::unique_ptr<SqlConnection>(std::make_unique<PgSqlConnection>(options, conn));
}

// ---- LISTEN/NOTIFY ----

Result<std::unique_ptr<PgListener>> PgListener::Start(const PostgresOptions& options,
                                                      std::string channel,
                                                      std::function<void()> on_signal,
                                                      int retry_millis) {
  std::unique_ptr<PgListener> listener(
      new PgListener(options, std::move(channel), std::move(on_signal), retry_millis));
  if (pipe(listener->wake_fds_) != 0) return Internal("cannot create a pipe");
  listener->thread_ = std::thread([l = listener.get()] { l->Run(); });
  return listener;
}

PgListener::PgListener(PostgresOptions options, std::string channel,
                       std::function<void()> on_signal, int retry_millis)
    : options_(std::move(options)),
      channel_(std::move(channel)),
      on_signal_(std::move(on_signal)),
      retry_millis_(retry_millis) {}

PgListener::~PgListener() {
  stop_ = true;
  if (wake_fds_[1] >= 0) (void)!write(wake_fds_[1], "x", 1);
  if (thread_.joinable()) thread_.join();
  for (int fd : wake_fds_) {
    if (fd >= 0) close(fd);
  }
}

void PgListener::Run() {
  auto signal = [this] {
    signals_.fetch_add(1);
    on_signal_();
  };
  while (!stop_) {
    PGconn* conn = Open(options_);
    bool listening = false;
    if (conn != nullptr && PQstatus(conn) == CONNECTION_OK) {
      char* ident = PQescapeIdentifier(conn, channel_.c_str(), channel_.size());
      if (ident != nullptr) {
        PGresult* res = PQexec(conn, ("LISTEN " + std::string(ident)).c_str());
        listening = res != nullptr && PQresultStatus(res) == PGRES_COMMAND_OK;
        if (res != nullptr) PQclear(res);
        PQfreemem(ident);
      }
    }
    if (listening) {
      signal();  // whatever changed while we were not listening
      while (!stop_) {
        pollfd fds[2] = {{PQsocket(conn), POLLIN, 0}, {wake_fds_[0], POLLIN, 0}};
        if (poll(fds, 2, -1) < 0) continue;
        if (fds[1].revents != 0) break;
        if (PQconsumeInput(conn) == 0) break;  // the connection is gone: reconnect
        bool any = false;
        while (PGnotify* n = PQnotifies(conn)) {
          any = true;
          PQfreemem(n);
        }
        if (any) signal();
      }
    }
    if (conn != nullptr) PQfinish(conn);
    if (!stop_) {  // down, or just lost: wait a little before the next attempt
      pollfd wake = {wake_fds_[0], POLLIN, 0};
      (void)poll(&wake, 1, retry_millis_);
    }
  }
}

}  // namespace zta::store
