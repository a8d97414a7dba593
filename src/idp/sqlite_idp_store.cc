// SQLite persistence for the identity provider, on zta::store. Every registry change bumps
// meta.registry_version in the same transaction, so a running server notices CLI changes.
#include "zta/idp/sqlite_idp_store.h"

#include "records.h"
#include "zta/core/scopes.h"

namespace zta::idp {
namespace {

constexpr std::string_view kSchema = R"sql(
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
CREATE TABLE IF NOT EXISTS backchannel (
  digest TEXT PRIMARY KEY, agent_id TEXT NOT NULL, user_id TEXT NOT NULL, status TEXT NOT NULL,
  expires_at INTEGER NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS backchannel_by_user ON backchannel(user_id, status);
CREATE INDEX IF NOT EXISTS backchannel_by_agent ON backchannel(agent_id, status);
)sql";

Json AgentToJson(const Agent& a) {
  Json allowances = Json::object();
  for (const auto& [uri, scopes] : a.allowances) allowances[uri] = scopes;
  return {{"client_id", a.client_id},
          {"name", a.name},
          {"owner", a.owner},
          {"description", a.description},
          {"model", a.model},
          {"enabled", a.enabled},
          {"auth_method",
           a.auth_method == ClientAuthMethod::kPrivateKeyJwt ? "private_key_jwt" : "client_secret"},
          {"secret_digest", a.secret_digest},
          {"public_jwk", a.public_jwk},
          {"max_token_ttl_seconds", a.max_token_ttl_seconds},
          {"require_dpop", a.require_dpop},
          {"allowances", allowances},
          {"created_at", a.created_at},
          {"federated_subjects", a.federated_subjects}};
}

Result<Agent> AgentFromJson(std::string_view text) {
  auto doc = ParseJsonStrict(text);
  if (!doc.ok() || !doc->is_object()) {
    return Status(StatusCode::kDataLoss, "agent record is not valid JSON");
  }
  const Json& j = *doc;
  Agent a;
  // nlohmann throws on type mismatches; a damaged record becomes kDataLoss here.
  try {
    a.client_id = j.at("client_id").get<std::string>();
    a.name = j.value("name", "");
    a.owner = j.value("owner", "");
    a.description = j.value("description", "");
    a.model = j.value("model", "");
    a.enabled = j.value("enabled", false);
    a.auth_method = j.value("auth_method", "") == "private_key_jwt"
                        ? ClientAuthMethod::kPrivateKeyJwt
                        : ClientAuthMethod::kClientSecret;
    a.secret_digest = j.value("secret_digest", "");
    a.public_jwk = j.value("public_jwk", Json());
    a.max_token_ttl_seconds = j.value("max_token_ttl_seconds", int64_t{0});
    a.created_at = j.value("created_at", int64_t{0});
    a.require_dpop = j.value("require_dpop", false);  // absent in rows written before DPoP
    for (const auto& [uri, scopes] : j.at("allowances").items()) {
      a.allowances[uri] = scopes.get<std::vector<std::string>>();
    }
    // Absent in rows written before federation: no external identity.
    a.federated_subjects =
        j.value("federated_subjects", Json::array()).get<std::vector<FederatedSubject>>();
  } catch (const std::exception& e) {
    return Status(StatusCode::kDataLoss, std::string("agent record damaged: ") + e.what());
  }
  return a;
}

// A resource's consent-page words and details types (resource_extras.doc).
Json ResourceExtrasToJson(const Resource& r) {
  return {{"scope_descriptions", r.scope_descriptions}, {"details_types", r.details_types}};
}

// Users, apps and the resources' extras into `snap` (inside LoadRegistry's read transaction).
Status LoadExtras(store::Database& db, RegistrySnapshot& snap) {
  ZTA_ASSIGN_OR_RETURN(auto x, db.Prepare("SELECT uri, doc FROM resource_extras"));
  for (;;) {
    ZTA_ASSIGN_OR_RETURN(bool row, x.Step());
    if (!row) break;
    auto it = snap.resources.find(std::string(x.ColumnText(0)));
    if (it == snap.resources.end()) continue;
    ZTA_ASSIGN_OR_RETURN(Json doc, RecordFromJson<Json>(x.ColumnText(1), "resource"));
    try {
      it->second.scope_descriptions =
          doc.value("scope_descriptions", Json::object()).get<std::map<std::string, std::string>>();
      it->second.details_types = doc.value("details_types", Json::object())
                                     .get<std::map<std::string, Resource::DetailsType>>();
    } catch (const std::exception& e) {
      return Status(StatusCode::kDataLoss, std::string("resource record damaged: ") + e.what());
    }
  }
  ZTA_ASSIGN_OR_RETURN(auto u, db.Prepare("SELECT doc FROM users"));
  for (;;) {
    ZTA_ASSIGN_OR_RETURN(bool row, u.Step());
    if (!row) break;
    ZTA_ASSIGN_OR_RETURN(User user, RecordFromJson<User>(u.ColumnText(0), "user"));
    snap.users.emplace(user.id, std::move(user));
  }
  ZTA_ASSIGN_OR_RETURN(auto a, db.Prepare("SELECT doc FROM apps"));
  for (;;) {
    ZTA_ASSIGN_OR_RETURN(bool row, a.Step());
    if (!row) break;
    ZTA_ASSIGN_OR_RETURN(App app, RecordFromJson<App>(a.ColumnText(0), "app"));
    snap.apps.emplace(app.client_id, std::move(app));
  }
  ZTA_ASSIGN_OR_RETURN(auto d, db.Prepare("SELECT doc FROM delegation_rules"));
  for (;;) {
    ZTA_ASSIGN_OR_RETURN(bool row, d.Step());
    if (!row) break;
    ZTA_ASSIGN_OR_RETURN(DelegationRule rule,
                         RecordFromJson<DelegationRule>(d.ColumnText(0), "delegation rule"));
    snap.delegation_rules.emplace(std::make_pair(rule.from, rule.to), std::move(rule));
  }
  ZTA_ASSIGN_OR_RETURN(auto f, db.Prepare("SELECT doc FROM federated_issuers"));
  for (;;) {
    ZTA_ASSIGN_OR_RETURN(bool row, f.Step());
    if (!row) break;
    ZTA_ASSIGN_OR_RETURN(FederatedIssuer fed,
                         RecordFromJson<FederatedIssuer>(f.ColumnText(0), "federated issuer"));
    snap.federated_issuers.emplace(fed.issuer, std::move(fed));
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<SqliteIdpStore>> SqliteIdpStore::Open(const std::string& path) {
  ZTA_ASSIGN_OR_RETURN(auto db, store::Database::Open(path));
  Status schema = db->Exec(kSchema);
  if (!schema.ok()) {
    return Status(StatusCode::kDataLoss,
                  path + " is not a zta idp database (" + schema.message() + ")");
  }
  return std::unique_ptr<SqliteIdpStore>(new SqliteIdpStore(std::move(db)));
}

SqliteIdpStore::~SqliteIdpStore() = default;

Status SqliteIdpStore::Transact(const std::function<Status(store::Database&)>& body,
                                bool bump_version) {
  MutexLock lock(mu_);
  store::Transaction tx(*db_);
  ZTA_RETURN_IF_ERROR(tx.status());
  ZTA_RETURN_IF_ERROR(body(*db_));
  if (bump_version) {
    ZTA_RETURN_IF_ERROR(
        db_->Exec("UPDATE meta SET value = value + 1 WHERE key = 'registry_version'"));
  }
  return tx.Commit();
}

Status SqliteIdpStore::Write(std::string_view sql,
                             const std::function<Status(store::Statement&)>& bind,
                             bool bump_version, std::string_view what) {
  return Transact(
      [&](store::Database& db) -> Status {
        ZTA_ASSIGN_OR_RETURN(store::Statement stmt, db.Prepare(sql));
        ZTA_RETURN_IF_ERROR(bind(stmt));
        return stmt.Run().WithContext(what);
      },
      bump_version);
}

Status SqliteIdpStore::RunStatement(store::Database& db, std::string_view sql,
                                    std::initializer_list<std::string_view> texts) {
  ZTA_ASSIGN_OR_RETURN(store::Statement stmt, db.Prepare(sql));
  int i = 1;
  for (std::string_view t : texts) ZTA_RETURN_IF_ERROR(stmt.BindText(i++, t));
  return stmt.Run();
}

Result<uint64_t> SqliteIdpStore::RegistryVersion() {
  MutexLock lock(mu_);
  ZTA_ASSIGN_OR_RETURN(auto s, db_->Prepare("SELECT value FROM meta WHERE key = 'registry_version'"));
  ZTA_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return Status(StatusCode::kDataLoss, "registry version missing");
  return static_cast<uint64_t>(s.ColumnInt64(0));
}

Result<std::shared_ptr<const RegistrySnapshot>> SqliteIdpStore::LoadRegistry() {
  MutexLock lock(mu_);
  auto snap = std::make_shared<RegistrySnapshot>();
  // One read transaction: the version and the rows belong together.
  ZTA_RETURN_IF_ERROR(db_->Exec("BEGIN"));
  // The lambda gets the database by reference: the analysis cannot see that it runs under the
  // lock taken above.
  store::Database& db = *db_;
  auto load = [&]() -> Status {
    ZTA_ASSIGN_OR_RETURN(auto v, db.Prepare("SELECT value FROM meta WHERE key = 'registry_version'"));
    ZTA_ASSIGN_OR_RETURN(bool has_version, v.Step());
    if (!has_version) return Status(StatusCode::kDataLoss, "registry version missing");
    snap->version = static_cast<uint64_t>(v.ColumnInt64(0));
    ZTA_ASSIGN_OR_RETURN(auto r, db.Prepare("SELECT uri, scopes, max_ttl, "
                                              "introspection_secret_digest, created_at FROM resources"));
    for (;;) {
      ZTA_ASSIGN_OR_RETURN(bool row, r.Step());
      if (!row) break;
      Resource res;
      res.uri = std::string(r.ColumnText(0));
      res.scopes = SplitSpaceDelimited(r.ColumnText(1));
      res.max_token_ttl_seconds = r.ColumnInt64(2);
      res.introspection_secret_digest = std::string(r.ColumnText(3));
      res.created_at = r.ColumnInt64(4);
      snap->resources.emplace(res.uri, std::move(res));
    }
    ZTA_ASSIGN_OR_RETURN(auto a, db.Prepare("SELECT doc FROM agents"));
    for (;;) {
      ZTA_ASSIGN_OR_RETURN(bool row, a.Step());
      if (!row) break;
      ZTA_ASSIGN_OR_RETURN(Agent agent, AgentFromJson(a.ColumnText(0)));
      snap->agents.emplace(agent.client_id, std::move(agent));
    }
    ZTA_RETURN_IF_ERROR(LoadExtras(db, *snap));
    return Status::Ok();
  };
  Status st = load();
  (void)db_->Exec(st.ok() ? "COMMIT" : "ROLLBACK");
  if (!st.ok()) return st;
  return std::shared_ptr<const RegistrySnapshot>(std::move(snap));
}

Status SqliteIdpStore::PutResource(const Resource& r) {
  return Transact(
      [&](store::Database& db) -> Status {
        ZTA_ASSIGN_OR_RETURN(auto s, db.Prepare("INSERT OR REPLACE INTO resources(uri, scopes, "
                                                "max_ttl, introspection_secret_digest, "
                                                "created_at) VALUES (?, ?, ?, ?, ?)"));
        ZTA_RETURN_IF_ERROR(s.BindText(1, r.uri));
        ZTA_RETURN_IF_ERROR(s.BindText(2, JoinSpaceDelimited(r.scopes)));
        ZTA_RETURN_IF_ERROR(s.BindInt64(3, r.max_token_ttl_seconds));
        ZTA_RETURN_IF_ERROR(s.BindText(4, r.introspection_secret_digest));
        ZTA_RETURN_IF_ERROR(s.BindInt64(5, r.created_at));
        ZTA_RETURN_IF_ERROR(s.Run().WithContext("saving resource"));
        return RunStatement(db, "INSERT OR REPLACE INTO resource_extras(uri, doc) VALUES (?, ?)",
                            {r.uri, ResourceExtrasToJson(r).dump()});
      },
      true);
}

Status SqliteIdpStore::PutAgent(const Agent& a) {
  return Write(
      "INSERT OR REPLACE INTO agents(client_id, doc) VALUES (?, ?)",
      [&](store::Statement& s) {
        ZTA_RETURN_IF_ERROR(s.BindText(1, a.client_id));
        return s.BindText(2, AgentToJson(a).dump());
      },
      true, "saving agent");
}

Status SqliteIdpStore::DeleteAgent(const std::string& client_id) {
  return Write(
      "DELETE FROM agents WHERE client_id = ?",
      [&](store::Statement& s) { return s.BindText(1, client_id); }, true, "deleting agent");
}

Status SqliteIdpStore::PutUser(const User& u) {
  return Transact(
      [&](store::Database& db) -> Status {
        // Replace by id; a different user holding the name makes the UNIQUE constraint fail.
        ZTA_RETURN_IF_ERROR(RunStatement(db, "DELETE FROM users WHERE id = ?", {u.id}));
        Status s = RunStatement(db, "INSERT INTO users(id, username, doc) VALUES (?, ?, ?)",
                                {u.id, u.username, Json(u).dump()});
        if (!s.ok()) return Status(StatusCode::kAlreadyExists, "user name taken: " + u.username);
        return s;
      },
      true);
}

Status SqliteIdpStore::DeleteUser(const std::string& id) {
  return Write(
      "DELETE FROM users WHERE id = ?", [&](store::Statement& s) { return s.BindText(1, id); },
      true, "deleting user");
}

Status SqliteIdpStore::PutApp(const App& a) {
  return Write(
      "INSERT OR REPLACE INTO apps(client_id, doc) VALUES (?, ?)",
      [&](store::Statement& s) {
        ZTA_RETURN_IF_ERROR(s.BindText(1, a.client_id));
        return s.BindText(2, Json(a).dump());
      },
      true, "saving app");
}

Status SqliteIdpStore::DeleteApp(const std::string& client_id) {
  return Write(
      "DELETE FROM apps WHERE client_id = ?",
      [&](store::Statement& s) { return s.BindText(1, client_id); }, true, "deleting app");
}

Status SqliteIdpStore::PutDelegationRule(const DelegationRule& rule) {
  return Transact(
      [&](store::Database& db) {
        return RunStatement(db,
                            "INSERT OR REPLACE INTO delegation_rules(from_id, to_id, doc) "
                            "VALUES (?, ?, ?)",
                            {rule.from, rule.to, Json(rule).dump()})
            .WithContext("saving delegation rule");
      },
      true);
}

Status SqliteIdpStore::DeleteDelegationRule(const std::string& from, const std::string& to) {
  return Transact(
      [&](store::Database& db) {
        return RunStatement(db, "DELETE FROM delegation_rules WHERE from_id = ? AND to_id = ?",
                            {from, to})
            .WithContext("deleting delegation rule");
      },
      true);
}

Status SqliteIdpStore::PutFederatedIssuer(const FederatedIssuer& f) {
  return Write(
      "INSERT OR REPLACE INTO federated_issuers(issuer, doc) VALUES (?, ?)",
      [&](store::Statement& s) {
        ZTA_RETURN_IF_ERROR(s.BindText(1, f.issuer));
        return s.BindText(2, Json(f).dump());
      },
      true, "saving federated issuer");
}

Status SqliteIdpStore::DeleteFederatedIssuer(const std::string& issuer) {
  return Write(
      "DELETE FROM federated_issuers WHERE issuer = ?",
      [&](store::Statement& s) { return s.BindText(1, issuer); }, true,
      "deleting federated issuer");
}

Status SqliteIdpStore::Revoke(const std::string& jti, int64_t expires_at) {
  return Write(
      "INSERT OR IGNORE INTO revoked_tokens(jti, expires_at) VALUES (?, ?)",
      [&](store::Statement& s) {
        ZTA_RETURN_IF_ERROR(s.BindText(1, jti));
        return s.BindInt64(2, expires_at);
      },
      false, "recording revocation");
}

Result<bool> SqliteIdpStore::IsRevoked(const std::string& jti) {
  MutexLock lock(mu_);
  ZTA_ASSIGN_OR_RETURN(auto s, db_->Prepare("SELECT 1 FROM revoked_tokens WHERE jti = ?"));
  ZTA_RETURN_IF_ERROR(s.BindText(1, jti));
  return s.Step();
}

Result<bool> SqliteIdpStore::RecordAssertionJti(const std::string& client_id,
                                                const std::string& jti, int64_t expires_at) {
  MutexLock lock(mu_);
  store::Transaction tx(*db_);
  ZTA_RETURN_IF_ERROR(tx.status());
  ZTA_ASSIGN_OR_RETURN(auto check, db_->Prepare(
                                       "SELECT 1 FROM assertion_jtis WHERE client_id = ? AND jti = ?"));
  ZTA_RETURN_IF_ERROR(check.BindText(1, client_id));
  ZTA_RETURN_IF_ERROR(check.BindText(2, jti));
  ZTA_ASSIGN_OR_RETURN(bool seen, check.Step());
  if (seen) return false;
  ZTA_ASSIGN_OR_RETURN(auto ins, db_->Prepare("INSERT INTO assertion_jtis(client_id, jti, "
                                              "expires_at) VALUES (?, ?, ?)"));
  ZTA_RETURN_IF_ERROR(ins.BindText(1, client_id));
  ZTA_RETURN_IF_ERROR(ins.BindText(2, jti));
  ZTA_RETURN_IF_ERROR(ins.BindInt64(3, expires_at));
  ZTA_RETURN_IF_ERROR(ins.Run());
  // Expired assertion ids can never be replayed (their exp fails first): drop them.
  ZTA_ASSIGN_OR_RETURN(auto gc, db_->Prepare("DELETE FROM assertion_jtis WHERE expires_at < ?"));
  ZTA_RETURN_IF_ERROR(gc.BindInt64(1, expires_at - 86400));
  ZTA_RETURN_IF_ERROR(gc.Run());
  ZTA_RETURN_IF_ERROR(tx.Commit());
  return true;
}

Result<bool> SqliteIdpStore::RecordDpopProofJti(const std::string& jkt, const std::string& jti,
                                                int64_t expires_at) {
  // The assertion table's (namespace, jti) key serves proofs too, namespaced by the key's
  // thumbprint; "dpop " cannot begin a client id or an issuer URL, so the spaces never meet.
  return RecordAssertionJti("dpop " + jkt, jti, expires_at);
}

Result<std::vector<KeyRow>> SqliteIdpStore::ListKeys() {
  MutexLock lock(mu_);
  ZTA_ASSIGN_OR_RETURN(auto s, db_->Prepare("SELECT kid, alg, created_at, activate_at, "
                                            "publish_until, retired FROM signing_keys "
                                            "ORDER BY activate_at"));
  std::vector<KeyRow> rows;
  for (;;) {
    ZTA_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    KeyRow r;
    r.kid = std::string(s.ColumnText(0));
    r.alg = std::string(s.ColumnText(1));
    r.created_at = s.ColumnInt64(2);
    r.activate_at = s.ColumnInt64(3);
    r.publish_until = s.ColumnInt64(4);
    r.retired = s.ColumnInt64(5) != 0;
    rows.push_back(std::move(r));
  }
  return rows;
}

Status SqliteIdpStore::PutKey(const KeyRow& r) {
  // Key changes bump the registry version too, so servers reload keys rotated by the CLI.
  return Write(
      "INSERT OR REPLACE INTO signing_keys(kid, alg, created_at, activate_at, publish_until, "
      "retired) VALUES (?, ?, ?, ?, ?, ?)",
      [&](store::Statement& s) {
        ZTA_RETURN_IF_ERROR(s.BindText(1, r.kid));
        ZTA_RETURN_IF_ERROR(s.BindText(2, r.alg));
        ZTA_RETURN_IF_ERROR(s.BindInt64(3, r.created_at));
        ZTA_RETURN_IF_ERROR(s.BindInt64(4, r.activate_at));
        ZTA_RETURN_IF_ERROR(s.BindInt64(5, r.publish_until));
        return s.BindInt64(6, r.retired ? 1 : 0);
      },
      true, "saving key");
}

}  // namespace zta::idp
