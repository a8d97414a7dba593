// The rows `zta audit verify` reads, from SQLite or PostgreSQL.
#include "chain_rows.h"

#include "zta/audit/event_format.h"
#include "zta/core/json.h"

namespace zta::audit::internal {
namespace {

class SqliteRows final : public ChainRows {
 public:
  explicit SqliteRows(store::Database& db) : db_(db) {}

  Status ForEachCheckpoint(
      const std::function<Status(uint64_t, std::string_view)>& visit) override {
    ZTA_ASSIGN_OR_RETURN(store::Statement scan,
                         db_.Prepare("SELECT count, jws FROM checkpoints ORDER BY count"));
    for (;;) {
      ZTA_ASSIGN_OR_RETURN(bool row, scan.Step());
      if (!row) return Status::Ok();
      ZTA_RETURN_IF_ERROR(visit(static_cast<uint64_t>(scan.ColumnInt64(0)), scan.ColumnText(1)));
    }
  }

  Status ForEachEvent(
      const std::function<bool(uint64_t, std::string_view, std::string_view)>& visit) override {
    ZTA_ASSIGN_OR_RETURN(store::Statement scan,
                         db_.Prepare("SELECT seq, event, hash FROM events ORDER BY seq"));
    for (;;) {
      ZTA_ASSIGN_OR_RETURN(bool row, scan.Step());
      if (!row) return Status::Ok();
      if (!visit(static_cast<uint64_t>(scan.ColumnInt64(0)), scan.ColumnText(1),
                 scan.ColumnBlob(2))) {
        return Status::Ok();
      }
    }
  }

  std::optional<std::pair<std::string, std::string>> EventAt(uint64_t seq) override {
    Result<store::Statement> get = db_.Prepare("SELECT id, event FROM events WHERE seq = ?1");
    if (!get.ok() || !get->BindInt64(1, static_cast<int64_t>(seq)).ok()) return std::nullopt;
    Result<bool> row = get->Step();
    if (!row.ok() || !*row) return std::nullopt;
    return std::make_pair(std::string(get->ColumnText(0)), std::string(get->ColumnText(1)));
  }

  void ForEachEventContaining(
      std::string_view needle,
      const std::function<bool(uint64_t, std::string_view)>& visit) override {
    Result<store::Statement> scan =
        db_.Prepare("SELECT seq, event FROM events WHERE instr(event, ?1) > 0");
    if (!scan.ok() || !scan->BindText(1, needle).ok()) return;
    for (;;) {
      Result<bool> row = scan->Step();
      if (!row.ok() || !*row) return;
      if (!visit(static_cast<uint64_t>(scan->ColumnInt64(0)), scan->ColumnText(1))) return;
    }
  }

 private:
  store::Database& db_;
};

class PostgresRows final : public ChainRows {
 public:
  PostgresRows(store::SqlConnection& db, std::string chain_id)
      : db_(db), chain_id_(std::move(chain_id)) {}

  Status ForEachCheckpoint(
      const std::function<Status(uint64_t, std::string_view)>& visit) override {
    ZTA_ASSIGN_OR_RETURN(store::SqlQuery scan,
                         db_.Prepare("SELECT count, jws FROM audit_checkpoints"
                                     " WHERE chain_id = ? ORDER BY count"));
    ZTA_RETURN_IF_ERROR(scan.BindText(1, chain_id_));
    for (;;) {
      ZTA_ASSIGN_OR_RETURN(bool row, scan.Step());
      if (!row) return Status::Ok();
      ZTA_RETURN_IF_ERROR(visit(static_cast<uint64_t>(scan.ColumnInt64(0)), scan.ColumnText(1)));
    }
  }

  // In pages of kPage rows by seq, so a long chain is never held in memory at once.
  Status ForEachEvent(
      const std::function<bool(uint64_t, std::string_view, std::string_view)>& visit) override {
    constexpr int64_t kPage = 20000;
    int64_t after = -1;
    for (;;) {
      ZTA_ASSIGN_OR_RETURN(store::SqlQuery scan,
                           db_.Prepare("SELECT seq, event, hash FROM audit_events"
                                       " WHERE chain_id = ? AND seq > ? ORDER BY seq LIMIT ?"));
      ZTA_RETURN_IF_ERROR(scan.BindText(1, chain_id_));
      ZTA_RETURN_IF_ERROR(scan.BindInt64(2, after));
      ZTA_RETURN_IF_ERROR(scan.BindInt64(3, kPage));
      int64_t rows = 0;
      for (;; ++rows) {
        ZTA_ASSIGN_OR_RETURN(bool row, scan.Step());
        if (!row) break;
        after = scan.ColumnInt64(0);
        // A hash that is not 64 hex digits reaches the checker as a damaged (short) hash.
        Result<std::string> hash = HexDecode(scan.ColumnText(2));
        std::string_view raw = hash.ok() ? std::string_view(*hash) : std::string_view();
        if (!visit(static_cast<uint64_t>(after), scan.ColumnText(1), raw)) return Status::Ok();
      }
      if (rows < kPage) return Status::Ok();
    }
  }

  std::optional<std::pair<std::string, std::string>> EventAt(uint64_t seq) override {
    Result<store::SqlQuery> get =
        db_.Prepare("SELECT id, event FROM audit_events WHERE chain_id = ? AND seq = ?");
    if (!get.ok() || !get->BindText(1, chain_id_).ok() ||
        !get->BindInt64(2, static_cast<int64_t>(seq)).ok()) {
      return std::nullopt;
    }
    Result<bool> row = get->Step();
    if (!row.ok() || !*row) return std::nullopt;
    return std::make_pair(std::string(get->ColumnText(0)), std::string(get->ColumnText(1)));
  }

  void ForEachEventContaining(
      std::string_view needle,
      const std::function<bool(uint64_t, std::string_view)>& visit) override {
    Result<store::SqlQuery> scan = db_.Prepare(
        "SELECT seq, event FROM audit_events WHERE chain_id = ? AND strpos(event, ?) > 0");
    if (!scan.ok() || !scan->BindText(1, chain_id_).ok() || !scan->BindText(2, needle).ok()) {
      return;
    }
    for (;;) {
      Result<bool> row = scan->Step();
      if (!row.ok() || !*row) return;
      if (!visit(static_cast<uint64_t>(scan->ColumnInt64(0)), scan->ColumnText(1))) return;
    }
  }

 private:
  store::SqlConnection& db_;
  const std::string chain_id_;
};

}  // namespace

std::unique_ptr<ChainRows> SqliteChainRows(store::Database& db) {
  return std::make_unique<SqliteRows>(db);
}

std::unique_ptr<ChainRows> PostgresChainRows(store::SqlConnection& db, std::string chain_id) {
  return std::make_unique<PostgresRows>(db, std::move(chain_id));
}

Result<jose::Jwks> PostgresAuditKeys(store::SqlConnection& db) {
  ZTA_ASSIGN_OR_RETURN(store::SqlQuery scan, db.Prepare("SELECT jwk FROM audit_keys ORDER BY kid"));
  Json keys = Json::array();
  for (;;) {
    ZTA_ASSIGN_OR_RETURN(bool row, scan.Step());
    if (!row) break;
    Result<Json> key = ParseJsonStrict(scan.ColumnText(0));
    if (!key.ok()) return Status(StatusCode::kDataLoss, "audit_keys holds a row that is not JSON");
    keys.push_back(std::move(*key));
  }
  Result<jose::Jwks> parsed = jose::Jwks::ParseKeyOrSet(DumpJson(Json{{"keys", keys}}));
  if (!parsed.ok()) return parsed.status().WithContext("the checkpoint keys in audit_keys");
  return parsed;
}

}  // namespace zta::audit::internal
