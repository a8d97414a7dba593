// SqlConnection on PostgreSQL (libpq), for idp nodes that share one database (docs/scale.md),
// and a listener for its LISTEN/NOTIFY change signals.
//
// Connection strings are libpq's: a URL `postgresql://[user@][host][:port]/db?param=...` (a
// `host=` parameter naming a folder means a Unix socket there). Passwords come from libpq's own
// PGPASSWORD / PGPASSFILE environment, or from the URL; no message of zta ever shows the URL
// itself (Describe() names user, host, port and database only).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "zta/store/sql.h"

namespace zta::store {

// Whether `location` names a PostgreSQL database (postgresql:// or postgres://).
bool IsPostgresUrl(std::string_view location);

struct PostgresOptions {
  // libpq connection string. REQUIRED.
  std::string url;
  // Seconds to wait for a connection (libpq connect_timeout) unless the URL sets one.
  // Default: 5.
  int connect_timeout_seconds = 5;
  // Milliseconds any one statement may run (statement_timeout) unless the URL's `options` set
  // one, so a stuck database fails requests closed instead of holding them. Default: 10000.
  int statement_timeout_millis = 10000;
  // application_name, shown in pg_stat_activity. Default: "zta".
  std::string application_name = "zta";
};

// Connects now; kUnavailable (with libpq's reason, never the password) when it cannot. A
// connection that breaks later reconnects at its next use, which fails kUnavailable until the
// database answers again.
Result<std::unique_ptr<SqlConnection>> ConnectPostgres(const PostgresOptions& options);

// `sql` with each `?` outside quotes and comments replaced by $1, $2, ... in order.
std::string NumberPlaceholders(std::string_view sql);

// Runs a thread with its own connection that LISTENs on `channel` and calls `on_signal` for
// every notification, and also after every (re)connect, since notifications sent while it was
// away are lost (the caller then re-reads whatever it caches). Reconnects every `retry_millis`
// while the database is down. Stops (and joins) on destruction.
class PgListener {
 public:
  static Result<std::unique_ptr<PgListener>> Start(const PostgresOptions& options,
                                                   std::string channel,
                                                   std::function<void()> on_signal,
                                                   int retry_millis = 500);
  ~PgListener();
  PgListener(const PgListener&) = delete;
  PgListener& operator=(const PgListener&) = delete;

  // Notifications and reconnect signals delivered so far (for tests and /metrics).
  uint64_t signals() const { return signals_.load(); }

 private:
  PgListener(PostgresOptions options, std::string channel, std::function<void()> on_signal,
             int retry_millis);
  void Run();

  const PostgresOptions options_;
  const std::string channel_;
  const std::function<void()> on_signal_;
  const int retry_millis_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> signals_{0};
  int wake_fds_[2] = {-1, -1};  // a pipe: the destructor writes to end the wait
  std::thread thread_;
};

}  // namespace zta::store
