// The audit tables on PostgreSQL. Rows are only ever inserted (the chain row's head aside): a
// trigger refuses UPDATE and DELETE of events, checkpoints and keys, as a guard against
// accidents; an attacker with the database is caught by the chains and the signed checkpoints.
#include "pg_audit_schema.h"

#include "zta/store/postgres.h"

namespace zta::audit::internal {
namespace {

// No foreign keys to audit_chains: their per-row check would cost more than the insert, and a
// row under an unknown chain id is simply not part of any chain that is verified.
// `hash` is the raw 32-byte chain hash in hex; `event` holds exactly the bytes that were hashed.
// time_micros duplicates the event's time for range scans and the merge of chains by time.
constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS audit_meta(
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL);
INSERT INTO audit_meta(key, value) VALUES ('schema_version', '1') ON CONFLICT (key) DO NOTHING;
CREATE TABLE IF NOT EXISTS audit_chains(
  chain_id TEXT PRIMARY KEY,
  log_id TEXT NOT NULL,
  head_seq BIGINT NOT NULL,
  head_hash TEXT NOT NULL,
  created_micros BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS audit_events(
  chain_id TEXT NOT NULL,
  seq BIGINT NOT NULL,
  id TEXT NOT NULL UNIQUE,
  time_micros BIGINT NOT NULL,
  event TEXT NOT NULL,
  hash TEXT NOT NULL,
  PRIMARY KEY (chain_id, seq));
CREATE INDEX IF NOT EXISTS audit_events_by_time ON audit_events(time_micros);
CREATE TABLE IF NOT EXISTS audit_checkpoints(
  chain_id TEXT NOT NULL,
  count BIGINT NOT NULL,
  time_micros BIGINT NOT NULL,
  jws TEXT NOT NULL,
  PRIMARY KEY (chain_id, count));
CREATE TABLE IF NOT EXISTS audit_keys(
  kid TEXT PRIMARY KEY,
  jwk TEXT NOT NULL,
  chain_id TEXT NOT NULL);
CREATE OR REPLACE FUNCTION zta_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit records are append-only'; END $$;
CREATE OR REPLACE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION zta_audit_append_only();
CREATE OR REPLACE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE
  ON audit_checkpoints FOR EACH ROW EXECUTE FUNCTION zta_audit_append_only();
CREATE OR REPLACE TRIGGER audit_keys_append_only BEFORE UPDATE OR DELETE ON audit_keys
  FOR EACH ROW EXECUTE FUNCTION zta_audit_append_only();
)sql";

// 0 when there are no audit tables yet.
Result<int> SchemaVersion(store::SqlConnection& db) {
  ZTA_ASSIGN_OR_RETURN(auto exists, db.Prepare("SELECT to_regclass('audit_meta') IS NOT NULL"));
  ZTA_ASSIGN_OR_RETURN(bool row, exists.Step());
  if (!row || exists.ColumnText(0) != "t") return 0;
  ZTA_ASSIGN_OR_RETURN(auto v,
                       db.Prepare("SELECT value FROM audit_meta WHERE key = 'schema_version'"));
  ZTA_ASSIGN_OR_RETURN(bool has, v.Step());
  if (!has) return Status(StatusCode::kDataLoss, "audit_meta has no schema_version");
  return static_cast<int>(v.ColumnInt64(0));
}

Status CheckVersion(int version) {
  if (version > kPostgresAuditSchemaVersion) {
    return Status(StatusCode::kFailedPrecondition,
                  "the audit tables are version " + std::to_string(version) +
                      ", newer than this zta knows (" +
                      std::to_string(kPostgresAuditSchemaVersion) + "): upgrade zta");
  }
  return Status::Ok();
}

}  // namespace

Status CreatePostgresAuditSchema(store::SqlConnection& db) {
  ZTA_RETURN_IF_ERROR(db.Exec("BEGIN"));
  Status created = [&]() -> Status {
    // Not the idp's migration lock: the two schemas are created independently.
    ZTA_RETURN_IF_ERROR(db.Exec("SELECT pg_advisory_xact_lock(74110018)"));
    ZTA_ASSIGN_OR_RETURN(int version, SchemaVersion(db));
    ZTA_RETURN_IF_ERROR(CheckVersion(version));
    if (version == kPostgresAuditSchemaVersion) return Status::Ok();
    return db.Exec(kSchema).WithContext("creating the audit tables");
  }();
  Status end = db.Exec(created.ok() ? "COMMIT" : "ROLLBACK");
  ZTA_RETURN_IF_ERROR(created);
  return end.WithContext("committing the audit tables");
}

Result<std::unique_ptr<store::SqlConnection>> OpenPostgresAuditForReading(const std::string& url) {
  ZTA_ASSIGN_OR_RETURN(auto db,
                       store::ConnectPostgres({.url = url, .application_name = "zta-audit"}));
  ZTA_ASSIGN_OR_RETURN(int version, SchemaVersion(*db));
  if (version == 0) return NotFound("no audit log in " + db->Describe());
  ZTA_RETURN_IF_ERROR(CheckVersion(version));
  return db;
}

Result<std::vector<ChainInfo>> ListChains(store::SqlConnection& db) {
  ZTA_ASSIGN_OR_RETURN(auto scan,
                       db.Prepare("SELECT chain_id, log_id FROM audit_chains ORDER BY chain_id"));
  std::vector<ChainInfo> chains;
  for (;;) {
    ZTA_ASSIGN_OR_RETURN(bool row, scan.Step());
    if (!row) break;
    chains.push_back({std::string(scan.ColumnText(0)), std::string(scan.ColumnText(1))});
  }
  return chains;
}

}  // namespace zta::audit::internal
