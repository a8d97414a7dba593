// SQL persistence of the identity provider's registry and keys, on zta/store/sql.h (SQLite or
// PostgreSQL). Every registry change bumps meta.registry_version in the same transaction, so a
// running server notices CLI changes (on PostgreSQL a trigger also NOTIFYs every node).
#include "zta/idp/sql_idp_store.h"

#include "records.h"
#include "zta/core/scopes.h"

namespace zta::idp {
namespace {

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
Status LoadExtras(store::SqlConnection& db, RegistrySnapshot& snap) {
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

SqlIdpStore::~SqlIdpStore() = default;

Status SqlIdpStore::Transact(const std::function<Status(store::SqlConnection&)>& body,
                             bool bump_version) {
  MutexLock lock(mu_);
  // A lost race with another node (PostgreSQL SERIALIZABLE) left nothing behind: run it again.
  // SQLite's one writer lock never loses one.
  constexpr int kAttempts = 10;
  Status st;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    st = TransactOnce(body, bump_version);
    if (!store::IsSerializationFailure(st)) return st;
  }
  return st;
}

Status SqlIdpStore::TransactOnce(const std::function<Status(store::SqlConnection&)>& body,
                                 bool bump_version) {
  store::SqlTransaction tx(*db_);
  ZTA_RETURN_IF_ERROR(tx.status());
  ZTA_RETURN_IF_ERROR(body(*db_));
  if (bump_version) {
    ZTA_RETURN_IF_ERROR(
        db_->Exec("UPDATE meta SET value = value + 1 WHERE key = 'registry_version'"));
  }
  return tx.Commit();
}

Status SqlIdpStore::Ping() {
  MutexLock lock(mu_);
  return db_->Ping();
}

Status SqlIdpStore::Write(std::string_view sql,
                             const std::function<Status(store::SqlQuery&)>& bind,
                             bool bump_version, std::string_view what) {
  return Transact(
      [&](store::SqlConnection& db) -> Status {
        ZTA_ASSIGN_OR_RETURN(store::SqlQuery stmt, db.Prepare(sql));
        ZTA_RETURN_IF_ERROR(bind(stmt));
        return stmt.Run().WithContext(what);
      },
      bump_version);
}

Status SqlIdpStore::RunStatement(store::SqlConnection& db, std::string_view sql,
                                    std::initializer_list<std::string_view> texts) {
  ZTA_ASSIGN_OR_RETURN(store::SqlQuery stmt, db.Prepare(sql));
  int i = 1;
  for (std::string_view t : texts) ZTA_RETURN_IF_ERROR(stmt.BindText(i++, t));
  return stmt.Run();
}

Result<uint64_t> SqlIdpStore::RegistryVersion() {
  MutexLock lock(mu_);
  ZTA_ASSIGN_OR_RETURN(auto s, db_->Prepare("SELECT value FROM meta WHERE key = 'registry_version'"));
  ZTA_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return Status(StatusCode::kDataLoss, "registry version missing");
  return static_cast<uint64_t>(s.ColumnInt64(0));
}

Result<std::shared_ptr<const RegistrySnapshot>> SqlIdpStore::LoadRegistry() {
  MutexLock lock(mu_);
  auto snap = std::make_shared<RegistrySnapshot>();
  // One read transaction: the version and the rows belong together.
  store::SqlTransaction tx(*db_, store::SqlTransaction::Kind::kRead);
  ZTA_RETURN_IF_ERROR(tx.status());
  // The lambda gets the database by reference: the analysis cannot see that it runs under the
  // lock taken above.
  store::SqlConnection& db = *db_;
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
  ZTA_RETURN_IF_ERROR(load());
  ZTA_RETURN_IF_ERROR(tx.Commit());
  return std::shared_ptr<const RegistrySnapshot>(std::move(snap));
}

Status SqlIdpStore::PutResource(const Resource& r) {
  return Transact(
      [&](store::SqlConnection& db) -> Status {
        ZTA_ASSIGN_OR_RETURN(auto s, db.Prepare("INSERT INTO resources(uri, scopes, max_ttl, "
                                                "introspection_secret_digest, created_at) "
                                                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (uri) DO "
                                                "UPDATE SET scopes = excluded.scopes, max_ttl = "
                                                "excluded.max_ttl, introspection_secret_digest "
                                                "= excluded.introspection_secret_digest, "
                                                "created_at = excluded.created_at"));
        ZTA_RETURN_IF_ERROR(s.BindText(1, r.uri));
        ZTA_RETURN_IF_ERROR(s.BindText(2, JoinSpaceDelimited(r.scopes)));
        ZTA_RETURN_IF_ERROR(s.BindInt64(3, r.max_token_ttl_seconds));
        ZTA_RETURN_IF_ERROR(s.BindText(4, r.introspection_secret_digest));
        ZTA_RETURN_IF_ERROR(s.BindInt64(5, r.created_at));
        ZTA_RETURN_IF_ERROR(s.Run().WithContext("saving resource"));
        return RunStatement(db, "INSERT INTO resource_extras(uri, doc) VALUES (?, ?) "
                            "ON CONFLICT (uri) DO UPDATE SET doc = excluded.doc",
                            {r.uri, ResourceExtrasToJson(r).dump()});
      },
      true);
}

Status SqlIdpStore::PutAgent(const Agent& a) {
  return Write(
      "INSERT INTO agents(client_id, doc) VALUES (?, ?) "
      "ON CONFLICT (client_id) DO UPDATE SET doc = excluded.doc",
      [&](store::SqlQuery& s) {
        ZTA_RETURN_IF_ERROR(s.BindText(1, a.client_id));
        return s.BindText(2, AgentToJson(a).dump());
      },
      true, "saving agent");
}

Status SqlIdpStore::DeleteAgent(const std::string& client_id) {
  return Write(
      "DELETE FROM agents WHERE client_id = ?",
      [&](store::SqlQuery& s) { return s.BindText(1, client_id); }, true, "deleting agent");
}

Status SqlIdpStore::PutUser(const User& u) {
  return Transact(
      [&](store::SqlConnection& db) -> Status {
        // Replace by id; a different user holding the name makes the UNIQUE constraint fail.
        ZTA_RETURN_IF_ERROR(RunStatement(db, "DELETE FROM users WHERE id = ?", {u.id}));
        Status s = RunStatement(db, "INSERT INTO users(id, username, doc) VALUES (?, ?, ?)",
                                {u.id, u.username, Json(u).dump()});
        if (!s.ok()) return Status(StatusCode::kAlreadyExists, "user name taken: " + u.username);
        return s;
      },
      true);
}

Status SqlIdpStore::DeleteUser(const std::string& id) {
  return Write(
      "DELETE FROM users WHERE id = ?", [&](store::SqlQuery& s) { return s.BindText(1, id); },
      true, "deleting user");
}

Status SqlIdpStore::PutApp(const App& a) {
  return Write(
      "INSERT INTO apps(client_id, doc) VALUES (?, ?) "
      "ON CONFLICT (client_id) DO UPDATE SET doc = excluded.doc",
      [&](store::SqlQuery& s) {
        ZTA_RETURN_IF_ERROR(s.BindText(1, a.client_id));
        return s.BindText(2, Json(a).dump());
      },
      true, "saving app");
}

Status SqlIdpStore::DeleteApp(const std::string& client_id) {
  return Write(
      "DELETE FROM apps WHERE client_id = ?",
      [&](store::SqlQuery& s) { return s.BindText(1, client_id); }, true, "deleting app");
}

Status SqlIdpStore::PutDelegationRule(const DelegationRule& rule) {
  return Transact(
      [&](store::SqlConnection& db) {
        return RunStatement(db,
                            "INSERT INTO delegation_rules(from_id, to_id, doc) VALUES (?, ?, ?) "
                            "ON CONFLICT (from_id, to_id) DO UPDATE SET doc = excluded.doc",
                            {rule.from, rule.to, Json(rule).dump()})
            .WithContext("saving delegation rule");
      },
      true);
}

Status SqlIdpStore::DeleteDelegationRule(const std::string& from, const std::string& to) {
  return Transact(
      [&](store::SqlConnection& db) {
        return RunStatement(db, "DELETE FROM delegation_rules WHERE from_id = ? AND to_id = ?",
                            {from, to})
            .WithContext("deleting delegation rule");
      },
      true);
}

Status SqlIdpStore::PutFederatedIssuer(const FederatedIssuer& f) {
  return Write(
      "INSERT INTO federated_issuers(issuer, doc) VALUES (?, ?) "
      "ON CONFLICT (issuer) DO UPDATE SET doc = excluded.doc",
      [&](store::SqlQuery& s) {
        ZTA_RETURN_IF_ERROR(s.BindText(1, f.issuer));
        return s.BindText(2, Json(f).dump());
      },
      true, "saving federated issuer");
}

Status SqlIdpStore::DeleteFederatedIssuer(const std::string& issuer) {
  return Write(
      "DELETE FROM federated_issuers WHERE issuer = ?",
      [&](store::SqlQuery& s) { return s.BindText(1, issuer); }, true,
      "deleting federated issuer");
}

Status SqlIdpStore::Revoke(const std::string& jti, int64_t expires_at) {
  return Write(
      "INSERT INTO revoked_tokens(jti, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
      [&](store::SqlQuery& s) {
        ZTA_RETURN_IF_ERROR(s.BindText(1, jti));
        return s.BindInt64(2, expires_at);
      },
      false, "recording revocation");
}

Result<bool> SqlIdpStore::IsRevoked(const std::string& jti) {
  MutexLock lock(mu_);
  ZTA_ASSIGN_OR_RETURN(auto s, db_->Prepare("SELECT 1 FROM revoked_tokens WHERE jti = ?"));
  ZTA_RETURN_IF_ERROR(s.BindText(1, jti));
  return s.Step();
}

Result<bool> SqlIdpStore::RecordAssertionJti(const std::string& client_id,
                                             const std::string& jti, int64_t expires_at) {
  bool fresh = false;
  Status st = Transact(
      [&](store::SqlConnection& db) -> Status {
        fresh = false;
        ZTA_ASSIGN_OR_RETURN(auto check, db.Prepare("SELECT 1 FROM assertion_jtis WHERE "
                                                    "client_id = ? AND jti = ?"));
        ZTA_RETURN_IF_ERROR(check.BindText(1, client_id));
        ZTA_RETURN_IF_ERROR(check.BindText(2, jti));
        ZTA_ASSIGN_OR_RETURN(bool seen, check.Step());
        if (seen) return Status::Ok();
        ZTA_ASSIGN_OR_RETURN(auto ins, db.Prepare("INSERT INTO assertion_jtis(client_id, jti, "
                                                  "expires_at) VALUES (?, ?, ?)"));
        ZTA_RETURN_IF_ERROR(ins.BindText(1, client_id));
        ZTA_RETURN_IF_ERROR(ins.BindText(2, jti));
        ZTA_RETURN_IF_ERROR(ins.BindInt64(3, expires_at));
        ZTA_RETURN_IF_ERROR(ins.Run());
        // Expired assertion ids can never be replayed (their exp fails first): drop them.
        ZTA_ASSIGN_OR_RETURN(auto gc, db.Prepare("DELETE FROM assertion_jtis WHERE expires_at < ?"));
        ZTA_RETURN_IF_ERROR(gc.BindInt64(1, expires_at - 86400));
        ZTA_RETURN_IF_ERROR(gc.Run());
        fresh = true;
        return Status::Ok();
      },
      false);
  if (!st.ok()) return st;
  return fresh;
}

Result<bool> SqlIdpStore::RecordDpopProofJti(const std::string& jkt, const std::string& jti,
                                                int64_t expires_at) {
  // The assertion table's (namespace, jti) key serves proofs too, namespaced by the key's
  // thumbprint; "dpop " cannot begin a client id or an issuer URL, so the spaces never meet.
  return RecordAssertionJti("dpop " + jkt, jti, expires_at);
}

Result<AuthFailureWindow> SqlIdpStore::CountAuthFailure(const std::string& key, int64_t now,
                                              int64_t window_seconds) {
  AuthFailureWindow window;
  Status st = Transact(
      [&](store::SqlConnection& db) -> Status {
        const int64_t expired = now - window_seconds;  // a window that began then has ended
        // SET's right-hand sides all read the row as it was, on both engines.
        ZTA_ASSIGN_OR_RETURN(auto s, db.Prepare(
            "INSERT INTO auth_failures(key, window_start, failures) VALUES (?, ?, 1) "
            "ON CONFLICT (key) DO UPDATE SET "
            "failures = CASE WHEN auth_failures.window_start <= ? THEN 1 "
            "ELSE auth_failures.failures + 1 END, "
            "window_start = CASE WHEN auth_failures.window_start <= ? "
            "THEN excluded.window_start ELSE auth_failures.window_start END "
            "RETURNING failures, window_start"));
        ZTA_RETURN_IF_ERROR(s.BindText(1, key));
        ZTA_RETURN_IF_ERROR(s.BindInt64(2, now));
        ZTA_RETURN_IF_ERROR(s.BindInt64(3, expired));
        ZTA_RETURN_IF_ERROR(s.BindInt64(4, expired));
        ZTA_ASSIGN_OR_RETURN(bool row, s.Step());
        if (!row) return Internal("the failure count returned no row");
        window = {s.ColumnInt64(0), s.ColumnInt64(1)};
        ZTA_RETURN_IF_ERROR(s.Run());  // to the end: SQLite finishes the statement there
        // Ended windows count for nothing any more.
        ZTA_ASSIGN_OR_RETURN(auto gc, db.Prepare("DELETE FROM auth_failures WHERE window_start < ?"));
        ZTA_RETURN_IF_ERROR(gc.BindInt64(1, expired));
        return gc.Run();
      },
      false);
  if (!st.ok()) return st;
  return window;
}

Result<std::vector<KeyRow>> SqlIdpStore::ListKeys() {
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

Status SqlIdpStore::PutKey(const KeyRow& r) {
  // Key changes bump the registry version too, so servers reload keys rotated by the CLI.
  return Write(
      "INSERT INTO signing_keys(kid, alg, created_at, activate_at, publish_until, retired) "
      "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (kid) DO UPDATE SET alg = excluded.alg, "
      "created_at = excluded.created_at, activate_at = excluded.activate_at, "
      "publish_until = excluded.publish_until, retired = excluded.retired",
      [&](store::SqlQuery& s) {
        ZTA_RETURN_IF_ERROR(s.BindText(1, r.kid));
        ZTA_RETURN_IF_ERROR(s.BindText(2, r.alg));
        ZTA_RETURN_IF_ERROR(s.BindInt64(3, r.created_at));
        ZTA_RETURN_IF_ERROR(s.BindInt64(4, r.activate_at));
        ZTA_RETURN_IF_ERROR(s.BindInt64(5, r.publish_until));
        return s.BindInt64(6, r.retired ? 1 : 0);
      },
      true, "saving key");
}

Status SqlIdpStore::PutKeyMaterial(const std::string& kid, const std::string& sealed) {
  return Write(
      "INSERT INTO key_material(kid, sealed) VALUES (?, ?) "
      "ON CONFLICT (kid) DO UPDATE SET sealed = excluded.sealed",
      [&](store::SqlQuery& s) {
        ZTA_RETURN_IF_ERROR(s.BindText(1, kid));
        return s.BindText(2, sealed);
      },
      false, "saving key material");
}

Result<std::optional<std::string>> SqlIdpStore::FindKeyMaterial(const std::string& kid) {
  MutexLock lock(mu_);
  ZTA_ASSIGN_OR_RETURN(auto s, db_->Prepare("SELECT sealed FROM key_material WHERE kid = ?"));
  ZTA_RETURN_IF_ERROR(s.BindText(1, kid));
  ZTA_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(std::string(s.ColumnText(0)));
}

}  // namespace zta::idp
