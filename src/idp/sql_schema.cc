// The identity provider's tables on each engine, and opening a store: SQLite creates what is
// missing (every table IF NOT EXISTS: a data folder has one writer at a time and only grows),
// PostgreSQL applies numbered migrations in one transaction (docs/scale.md, "Schema").
#include "zta/idp/sql_idp_store.h"
#include "zta/store/postgres.h"
#include "zta/store/sqlite.h"

namespace zta::idp {
namespace {

constexpr std::string_view kSqliteSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta(key, value) VALUES ('registry_version', 1), ('schema', 1);
CREATE TABLE IF NOT EXISTS resources (
  uri TEXT PRIMARY KEY, scopes TEXT NOT NULL, max_ttl INTEGER NOT NULL,
  introspection_secret_digest TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS agents (client_id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS revoked_tokens (jti TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS assertion_jtis (
  client_id TEXT NOT NULL, jti TEXT NOT NULL, expires_at INTEGER NOT NULL,
  PRIMARY KEY (client_id, jti));
CREATE TABLE IF NOT EXISTS resource_extras (uri TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS apps (client_id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS delegation_rules (
  from_id TEXT NOT NULL, to_id TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (from_id, to_id));
CREATE TABLE IF NOT EXISTS federated_issuers (issuer TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS codes (
  digest TEXT PRIMARY KEY, used INTEGER NOT NULL, expires_at INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS grants (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS grants_by_user ON grants(user_id);
CREATE TABLE IF NOT EXISTS refresh_tokens (
  digest TEXT PRIMARY KEY, grant_id TEXT NOT NULL, expires_at INTEGER NOT NULL,
  used INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS refresh_by_grant ON refresh_tokens(grant_id);
CREATE TABLE IF NOT EXISTS consents (
  user_id TEXT NOT NULL, app_id TEXT NOT NULL, agent_id TEXT NOT NULL, resource TEXT NOT NULL,
  doc TEXT NOT NULL, PRIMARY KEY (user_id, app_id, agent_id, resource));
CREATE TABLE IF NOT EXISTS sessions (
  digest TEXT PRIMARY KEY, user_id TEXT NOT NULL, expires_at INTEGER NOT NULL,
  doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS signing_keys (
  kid TEXT PRIMARY KEY, alg TEXT NOT NULL, created_at INTEGER NOT NULL,
  activate_at INTEGER NOT NULL, publish_until INTEGER NOT NULL, retired INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS key_material (kid TEXT PRIMARY KEY, sealed TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS auth_failures (
  key TEXT PRIMARY KEY, window_start INTEGER NOT NULL, failures INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS backchannel (
  digest TEXT PRIMARY KEY, agent_id TEXT NOT NULL, user_id TEXT NOT NULL, status TEXT NOT NULL,
  expires_at INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS backchannel_by_user ON backchannel(user_id, status);
CREATE INDEX IF NOT EXISTS backchannel_by_agent ON backchannel(agent_id, status);
)sql";

// PostgreSQL migrations, oldest first; migration i brings the schema to version i + 1. Never
// edit one that has shipped: add the next. Differences from SQLite's tables: BIGINT for times
// and counters (INTEGER is 32 bits here), an explicit `rowid` where the store lists rows in
// insertion order, and a trigger that NOTIFYs `zta_changes` on every registry version bump.
constexpr std::string_view kPostgresMigrations[] = {
    R"sql(
CREATE TABLE meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL);
INSERT INTO meta(key, value) VALUES ('registry_version', 1), ('schema', 0);
CREATE TABLE resources (
  uri TEXT PRIMARY KEY, scopes TEXT NOT NULL, max_ttl BIGINT NOT NULL,
  introspection_secret_digest TEXT NOT NULL, created_at BIGINT NOT NULL);
CREATE TABLE agents (client_id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE revoked_tokens (jti TEXT PRIMARY KEY, expires_at BIGINT NOT NULL);
CREATE TABLE assertion_jtis (
  client_id TEXT NOT NULL, jti TEXT NOT NULL, expires_at BIGINT NOT NULL,
  PRIMARY KEY (client_id, jti));
CREATE INDEX assertion_jtis_by_expiry ON assertion_jtis(expires_at);
CREATE TABLE resource_extras (uri TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE users (id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, doc TEXT NOT NULL);
CREATE TABLE apps (client_id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE delegation_rules (
  from_id TEXT NOT NULL, to_id TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (from_id, to_id));
CREATE TABLE federated_issuers (issuer TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE codes (
  digest TEXT PRIMARY KEY, used BIGINT NOT NULL, expires_at BIGINT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX codes_by_expiry ON codes(expires_at);
CREATE TABLE grants (
  rowid BIGSERIAL, id TEXT PRIMARY KEY, user_id TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX grants_by_user ON grants(user_id);
CREATE TABLE refresh_tokens (
  digest TEXT PRIMARY KEY, grant_id TEXT NOT NULL, expires_at BIGINT NOT NULL,
  used BIGINT NOT NULL);
CREATE INDEX refresh_by_grant ON refresh_tokens(grant_id);
CREATE TABLE consents (
  rowid BIGSERIAL, user_id TEXT NOT NULL, app_id TEXT NOT NULL, agent_id TEXT NOT NULL,
  resource TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (user_id, app_id, agent_id, resource));
CREATE TABLE sessions (
  digest TEXT PRIMARY KEY, user_id TEXT NOT NULL, expires_at BIGINT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX sessions_by_expiry ON sessions(expires_at);
CREATE TABLE signing_keys (
  kid TEXT PRIMARY KEY, alg TEXT NOT NULL, created_at BIGINT NOT NULL,
  activate_at BIGINT NOT NULL, publish_until BIGINT NOT NULL, retired BIGINT NOT NULL);
CREATE TABLE key_material (kid TEXT PRIMARY KEY, sealed TEXT NOT NULL);
CREATE TABLE backchannel (
  rowid BIGSERIAL, digest TEXT PRIMARY KEY, agent_id TEXT NOT NULL, user_id TEXT NOT NULL,
  status TEXT NOT NULL, expires_at BIGINT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX backchannel_by_user ON backchannel(user_id, status);
CREATE INDEX backchannel_by_agent ON backchannel(agent_id, status);
CREATE FUNCTION zta_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('zta_changes', NEW.value::text);
  RETURN NEW;
END $$;
CREATE TRIGGER meta_registry_version AFTER UPDATE ON meta
  FOR EACH ROW WHEN (NEW.key = 'registry_version') EXECUTE FUNCTION zta_notify_change();
)sql",
    // 2: failed client authentications counted across nodes (TokenStateStore::CountAuthFailure).
    R"sql(
CREATE TABLE auth_failures (
  key TEXT PRIMARY KEY, window_start BIGINT NOT NULL, failures BIGINT NOT NULL);
CREATE INDEX auth_failures_by_start ON auth_failures(window_start);
)sql",
};

constexpr int kLatestPostgresSchema =
    static_cast<int>(sizeof(kPostgresMigrations) / sizeof(kPostgresMigrations[0]));

// The schema version of the database `conn` is in a transaction on (0: no tables yet).
Result<int> PostgresSchemaVersion(store::SqlConnection& conn) {
  ZTA_ASSIGN_OR_RETURN(auto exists, conn.Prepare("SELECT to_regclass('meta') IS NOT NULL"));
  ZTA_ASSIGN_OR_RETURN(bool row, exists.Step());
  if (!row || exists.ColumnText(0) != "t") return 0;
  ZTA_ASSIGN_OR_RETURN(auto v, conn.Prepare("SELECT value FROM meta WHERE key = 'schema'"));
  ZTA_ASSIGN_OR_RETURN(bool has, v.Step());
  if (!has) return Status(StatusCode::kDataLoss, "the database has a meta table without a schema");
  return static_cast<int>(v.ColumnInt64(0));
}

Status NewerThanThisBinary(int version) {
  return Status(StatusCode::kFailedPrecondition,
                "the database schema is version " + std::to_string(version) +
                    ", newer than this zta knows (" + std::to_string(kLatestPostgresSchema) +
                    "): upgrade zta on this node; a database is never migrated down");
}

}  // namespace

int LatestPostgresSchema() { return kLatestPostgresSchema; }

Result<std::unique_ptr<SqlIdpStore>> SqlIdpStore::Open(const std::string& path) {
  ZTA_ASSIGN_OR_RETURN(auto db, store::Database::Open(path));
  Status schema = db->Exec(kSqliteSchema);
  if (!schema.ok()) {
    return Status(StatusCode::kDataLoss,
                  path + " is not a zta idp database (" + schema.message() + ")");
  }
  return std::unique_ptr<SqlIdpStore>(new SqlIdpStore(store::SqliteConnection(std::move(db))));
}

Result<int> SqlIdpStore::MigratePostgres(store::SqlConnection& conn) {
  // Two nodes starting on a new database: SERIALIZABLE alone would fail one of them, the lock
  // makes the second wait and then find the schema current.
  ZTA_RETURN_IF_ERROR(conn.Exec("BEGIN"));
  auto migrate = [&]() -> Result<int> {
    ZTA_RETURN_IF_ERROR(conn.Exec("SELECT pg_advisory_xact_lock(74110017)"));
    ZTA_ASSIGN_OR_RETURN(int before, PostgresSchemaVersion(conn));
    if (before > kLatestPostgresSchema) return NewerThanThisBinary(before);
    for (int v = before; v < kLatestPostgresSchema; ++v) {
      ZTA_RETURN_IF_ERROR(conn.Exec(kPostgresMigrations[v])
                              .WithContext("migration " + std::to_string(v + 1)));
    }
    ZTA_ASSIGN_OR_RETURN(auto set, conn.Prepare("UPDATE meta SET value = ? WHERE key = 'schema'"));
    ZTA_RETURN_IF_ERROR(set.BindInt64(1, kLatestPostgresSchema));
    ZTA_RETURN_IF_ERROR(set.Run());
    return before;
  };
  auto before = migrate();
  Status end = conn.Exec(before.ok() ? "COMMIT" : "ROLLBACK");
  if (!before.ok()) return before.status();
  ZTA_RETURN_IF_ERROR(end.WithContext("committing the migration"));
  return before;
}

Result<std::unique_ptr<SqlIdpStore>> SqlIdpStore::OpenPostgres(const std::string& url,
                                                               bool migrate) {
  store::PostgresOptions options;
  options.url = url;
  options.application_name = "zta-idp";
  ZTA_ASSIGN_OR_RETURN(auto conn, store::ConnectPostgres(options));
  if (migrate) {
    ZTA_RETURN_IF_ERROR(MigratePostgres(*conn).status());
  } else {
    ZTA_ASSIGN_OR_RETURN(int version, PostgresSchemaVersion(*conn));
    if (version > kLatestPostgresSchema) return NewerThanThisBinary(version);
    if (version < kLatestPostgresSchema) {
      return Status(StatusCode::kFailedPrecondition,
                    "the database schema is version " + std::to_string(version) + ", this zta needs " +
                        std::to_string(kLatestPostgresSchema) + ": run `zta idp migrate`");
    }
  }
  return std::unique_ptr<SqlIdpStore>(new SqlIdpStore(std::move(conn)));
}

}  // namespace zta::idp
