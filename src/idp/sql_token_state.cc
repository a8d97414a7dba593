// SQL persistence (SQLite or PostgreSQL) of what the idp issued, consumed or was approved for:
// authorization codes, delegated grants and their refresh tokens, remembered consents, login
// sessions and CIBA backchannel requests. Every read-modify-write (consuming a code, using a refresh token,
// revoking a grant, polling or redeeming a backchannel request) is one transaction under the
// store's lock (SQLite's one writer; PostgreSQL SERIALIZABLE, run again when it loses a race
// with another node), so two redemptions of one code cannot both see it unused, on one node or
// on several.
#include "records.h"
#include "zta/idp/sql_idp_store.h"

namespace zta::idp {
namespace {

// The `doc` of the one row `sql` (with one text parameter) selects, parsed as T; nullopt when
// there is none.
template <typename T>
Result<std::optional<T>> FindDoc(store::SqlConnection& db, std::string_view sql, std::string_view key,
                                 std::string_view what) {
  ZTA_ASSIGN_OR_RETURN(auto s, db.Prepare(sql));
  ZTA_RETURN_IF_ERROR(s.BindText(1, key));
  ZTA_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<T>();
  ZTA_ASSIGN_OR_RETURN(T value, RecordFromJson<T>(s.ColumnText(0), what));
  return std::optional<T>(std::move(value));
}

// Every `doc` `sql` (with one text parameter) selects, parsed as T.
template <typename T>
Result<std::vector<T>> ListDocs(store::SqlConnection& db, std::string_view sql, std::string_view key,
                                std::string_view what) {
  ZTA_ASSIGN_OR_RETURN(auto s, db.Prepare(sql));
  ZTA_RETURN_IF_ERROR(s.BindText(1, key));
  std::vector<T> out;
  for (;;) {
    ZTA_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    ZTA_ASSIGN_OR_RETURN(T value, RecordFromJson<T>(s.ColumnText(0), what));
    out.push_back(std::move(value));
  }
  return out;
}

// Reads grant `id`, applies `change` and writes it back (inside the caller's transaction).
Status UpdateGrant(store::SqlConnection& db, const std::string& id,
                   const std::function<void(DelegatedGrant&)>& change) {
  ZTA_ASSIGN_OR_RETURN(auto grant, FindDoc<DelegatedGrant>(db, "SELECT doc FROM grants WHERE id = ?",
                                                           id, "grant"));
  if (!grant) return Status(StatusCode::kNotFound, "no such grant");
  change(*grant);
  ZTA_ASSIGN_OR_RETURN(auto s, db.Prepare("UPDATE grants SET doc = ? WHERE id = ?"));
  ZTA_RETURN_IF_ERROR(s.BindText(1, Json(*grant).dump()));
  ZTA_RETURN_IF_ERROR(s.BindText(2, id));
  return s.Run();
}

// Writes `request` over its row, keeping the indexed columns in step with the document.
Status WriteBackchannel(store::SqlConnection& db, const BackchannelRequest& request) {
  ZTA_ASSIGN_OR_RETURN(auto s, db.Prepare("UPDATE backchannel SET status = ?, doc = ? "
                                          "WHERE digest = ?"));
  ZTA_RETURN_IF_ERROR(s.BindText(1, BackchannelStatusName(request.status)));
  ZTA_RETURN_IF_ERROR(s.BindText(2, Json(request).dump()));
  ZTA_RETURN_IF_ERROR(s.BindText(3, request.digest));
  return s.Run().WithContext("saving backchannel request");
}

// How many kPending requests with expires_at > now the row's `column` (agent_id or user_id)
// equal to `key` has.
Result<int64_t> CountPending(store::SqlConnection& db, std::string_view sql, const std::string& key,
                             int64_t now) {
  ZTA_ASSIGN_OR_RETURN(auto s, db.Prepare(sql));
  ZTA_RETURN_IF_ERROR(s.BindText(1, key));
  ZTA_RETURN_IF_ERROR(s.BindInt64(2, now));
  ZTA_ASSIGN_OR_RETURN(bool row, s.Step());
  return row ? s.ColumnInt64(0) : int64_t{0};
}

}  // namespace

Status SqlIdpStore::PutCode(const AuthorizationCode& code) {
  return Transact(
      [&](store::SqlConnection& db) -> Status {
        ZTA_ASSIGN_OR_RETURN(auto s, db.Prepare("INSERT INTO codes(digest, used, expires_at, doc) "
                                                "VALUES (?, 0, ?, ?)"));
        ZTA_RETURN_IF_ERROR(s.BindText(1, code.digest));
        ZTA_RETURN_IF_ERROR(s.BindInt64(2, code.expires_at));
        ZTA_RETURN_IF_ERROR(s.BindText(3, Json(code).dump()));
        ZTA_RETURN_IF_ERROR(s.Run().WithContext("saving authorization code"));
        // Codes live ≤ 60 s; a day later no replay of one can matter (its grant is long
        // decided), so old rows go.
        ZTA_ASSIGN_OR_RETURN(auto gc, db.Prepare("DELETE FROM codes WHERE expires_at < ?"));
        ZTA_RETURN_IF_ERROR(gc.BindInt64(1, code.expires_at - 86400));
        return gc.Run();
      },
      false);
}

Result<std::optional<AuthorizationCode>> SqlIdpStore::FindCode(const std::string& digest,
                                                                  bool* used) {
  *used = false;
  MutexLock lock(mu_);
  ZTA_ASSIGN_OR_RETURN(auto s, db_->Prepare("SELECT used, doc FROM codes WHERE digest = ?"));
  ZTA_RETURN_IF_ERROR(s.BindText(1, digest));
  ZTA_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<AuthorizationCode>();
  *used = s.ColumnInt64(0) != 0;
  ZTA_ASSIGN_OR_RETURN(AuthorizationCode code,
                       RecordFromJson<AuthorizationCode>(s.ColumnText(1), "code"));
  return std::optional<AuthorizationCode>(std::move(code));
}

Result<std::optional<AuthorizationCode>> SqlIdpStore::ConsumeCode(const std::string& digest,
                                                                     bool* first_use) {
  std::optional<AuthorizationCode> found;
  *first_use = false;
  Status st = Transact(
      [&](store::SqlConnection& db) -> Status {
        found.reset();  // each run of the transaction starts afresh
        *first_use = false;
        ZTA_ASSIGN_OR_RETURN(auto s, db.Prepare("SELECT used, doc FROM codes WHERE digest = ?"));
        ZTA_RETURN_IF_ERROR(s.BindText(1, digest));
        ZTA_ASSIGN_OR_RETURN(bool row, s.Step());
        if (!row) return Status::Ok();
        *first_use = s.ColumnInt64(0) == 0;
        ZTA_ASSIGN_OR_RETURN(AuthorizationCode code,
                             RecordFromJson<AuthorizationCode>(s.ColumnText(1), "code"));
        found = std::move(code);
        return RunStatement(db, "UPDATE codes SET used = 1 WHERE digest = ?", {digest});
      },
      false);
  if (!st.ok()) return st;
  return found;
}

Status SqlIdpStore::SetCodeGrant(const std::string& digest, const std::string& grant_id) {
  return Transact(
      [&](store::SqlConnection& db) -> Status {
        ZTA_ASSIGN_OR_RETURN(auto code, FindDoc<AuthorizationCode>(
                                            db, "SELECT doc FROM codes WHERE digest = ?", digest,
                                            "code"));
        if (!code) return Status(StatusCode::kNotFound, "no such authorization code");
        code->grant_id = grant_id;
        return RunStatement(db, "UPDATE codes SET doc = ? WHERE digest = ?",
                            {Json(*code).dump(), digest});
      },
      false);
}

Status SqlIdpStore::PutGrant(const DelegatedGrant& grant) {
  return Transact(
      [&](store::SqlConnection& db) {
        return RunStatement(db, "INSERT INTO grants(id, user_id, doc) VALUES (?, ?, ?) ON CONFLICT "
                            "(id) DO UPDATE SET user_id = excluded.user_id, doc = excluded.doc",
                            {grant.id, grant.user_id, Json(grant).dump()});
      },
      false);
}

Result<std::optional<DelegatedGrant>> SqlIdpStore::FindGrant(const std::string& id) {
  MutexLock lock(mu_);
  return FindDoc<DelegatedGrant>(*db_, "SELECT doc FROM grants WHERE id = ?", id, "grant");
}

Result<std::vector<DelegatedGrant>> SqlIdpStore::ListGrants(const std::string& user_id) {
  MutexLock lock(mu_);
  return ListDocs<DelegatedGrant>(*db_, "SELECT doc FROM grants WHERE user_id = ? ORDER BY rowid",
                                  user_id, "grant");
}

Status SqlIdpStore::RevokeGrant(const std::string& id, int64_t at, const std::string& reason) {
  return Transact(
      [&](store::SqlConnection& db) -> Status {
        ZTA_RETURN_IF_ERROR(UpdateGrant(db, id, [&](DelegatedGrant& grant) {
          if (grant.revoked_at != 0) return;  // the first revocation's time and reason stay
          grant.revoked_at = at;
          grant.revoked_reason = reason;
        }));
        return RunStatement(db, "UPDATE refresh_tokens SET used = 1 WHERE grant_id = ?", {id});
      },
      false);
}

Status SqlIdpStore::TouchGrant(const std::string& id, int64_t at) {
  return Transact(
      [&](store::SqlConnection& db) {
        return UpdateGrant(db, id, [&](DelegatedGrant& grant) { grant.last_used_at = at; });
      },
      false);
}

Status SqlIdpStore::PutRefreshToken(const RefreshToken& token) {
  return Transact(
      [&](store::SqlConnection& db) -> Status {
        ZTA_ASSIGN_OR_RETURN(auto s, db.Prepare("INSERT INTO refresh_tokens(digest, grant_id, "
                                                "expires_at, used) VALUES (?, ?, ?, ?)"));
        ZTA_RETURN_IF_ERROR(s.BindText(1, token.digest));
        ZTA_RETURN_IF_ERROR(s.BindText(2, token.grant_id));
        ZTA_RETURN_IF_ERROR(s.BindInt64(3, token.expires_at));
        ZTA_RETURN_IF_ERROR(s.BindInt64(4, token.used ? 1 : 0));
        return s.Run().WithContext("saving refresh token");
      },
      false);
}

Result<std::optional<RefreshToken>> SqlIdpStore::FindRefreshToken(const std::string& digest) {
  MutexLock lock(mu_);
  ZTA_ASSIGN_OR_RETURN(auto s, db_->Prepare("SELECT grant_id, expires_at, used FROM "
                                            "refresh_tokens WHERE digest = ?"));
  ZTA_RETURN_IF_ERROR(s.BindText(1, digest));
  ZTA_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) return std::optional<RefreshToken>();
  return std::optional<RefreshToken>(
      RefreshToken{digest, std::string(s.ColumnText(0)), s.ColumnInt64(1), s.ColumnInt64(2) != 0});
}

Result<std::optional<RefreshToken>> SqlIdpStore::UseRefreshToken(const std::string& digest) {
  std::optional<RefreshToken> found;
  Status st = Transact(
      [&](store::SqlConnection& db) -> Status {
        found.reset();  // each run of the transaction starts afresh
        ZTA_ASSIGN_OR_RETURN(auto s, db.Prepare("SELECT grant_id, expires_at, used FROM "
                                                "refresh_tokens WHERE digest = ?"));
        ZTA_RETURN_IF_ERROR(s.BindText(1, digest));
        ZTA_ASSIGN_OR_RETURN(bool row, s.Step());
        if (!row) return Status::Ok();
        found = RefreshToken{digest, std::string(s.ColumnText(0)), s.ColumnInt64(1),
                             s.ColumnInt64(2) != 0};
        return RunStatement(db, "UPDATE refresh_tokens SET used = 1 WHERE digest = ?", {digest});
      },
      false);
  if (!st.ok()) return st;
  return found;
}

Status SqlIdpStore::PutConsent(const RememberedConsent& c) {
  return Transact(
      [&](store::SqlConnection& db) {
        return RunStatement(db,
                            "INSERT INTO consents(user_id, app_id, agent_id, resource, doc) "
                            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, app_id, agent_id, "
                            "resource) DO UPDATE SET doc = excluded.doc",
                            {c.user_id, c.app_id, c.agent_id, c.resource, Json(c).dump()});
      },
      false);
}

Result<std::vector<RememberedConsent>> SqlIdpStore::ListConsents(const std::string& user_id) {
  MutexLock lock(mu_);
  return ListDocs<RememberedConsent>(
      *db_, "SELECT doc FROM consents WHERE user_id = ? ORDER BY rowid", user_id, "consent");
}

Status SqlIdpStore::DeleteConsent(const std::string& user_id, const std::string& app_id,
                                     const std::string& agent_id, const std::string& resource) {
  return Transact(
      [&](store::SqlConnection& db) {
        return RunStatement(db,
                            "DELETE FROM consents WHERE user_id = ? AND app_id = ? AND "
                            "agent_id = ? AND resource = ?",
                            {user_id, app_id, agent_id, resource});
      },
      false);
}

Status SqlIdpStore::PutSession(const LoginSession& session) {
  return Transact(
      [&](store::SqlConnection& db) -> Status {
        ZTA_ASSIGN_OR_RETURN(auto s, db.Prepare("INSERT INTO sessions(digest, user_id, expires_at, "
                                                "doc) VALUES (?, ?, ?, ?) ON CONFLICT (digest) "
                                                "DO UPDATE SET user_id = excluded.user_id, "
                                                "expires_at = excluded.expires_at, doc = "
                                                "excluded.doc"));
        ZTA_RETURN_IF_ERROR(s.BindText(1, session.digest));
        ZTA_RETURN_IF_ERROR(s.BindText(2, session.user_id));
        ZTA_RETURN_IF_ERROR(s.BindInt64(3, session.expires_at));
        ZTA_RETURN_IF_ERROR(s.BindText(4, Json(session).dump()));
        ZTA_RETURN_IF_ERROR(s.Run().WithContext("saving session"));
        // Sessions past their absolute lifetime can never be used again.
        ZTA_ASSIGN_OR_RETURN(auto gc, db.Prepare("DELETE FROM sessions WHERE expires_at < ?"));
        ZTA_RETURN_IF_ERROR(gc.BindInt64(1, session.last_seen_at));
        return gc.Run();
      },
      false);
}

Result<std::optional<LoginSession>> SqlIdpStore::FindSession(const std::string& digest) {
  MutexLock lock(mu_);
  return FindDoc<LoginSession>(*db_, "SELECT doc FROM sessions WHERE digest = ?", digest,
                               "session");
}

Status SqlIdpStore::DeleteSession(const std::string& digest) {
  return Transact(
      [&](store::SqlConnection& db) {
        return RunStatement(db, "DELETE FROM sessions WHERE digest = ?", {digest});
      },
      false);
}

// --- CIBA backchannel requests (OpenID CIBA Core 1.0 §7, poll mode) ---

Status SqlIdpStore::PutBackchannel(const BackchannelRequest& request, int max_per_agent,
                                      int max_per_user) {
  return Transact(
      [&](store::SqlConnection& db) -> Status {
        const int64_t now = request.created_at;
        ZTA_ASSIGN_OR_RETURN(int64_t by_agent,
                             CountPending(db,
                                          "SELECT COUNT(*) FROM backchannel WHERE agent_id = ? AND "
                                          "status = 'pending' AND expires_at > ?",
                                          request.agent_id, now));
        ZTA_ASSIGN_OR_RETURN(int64_t by_user,
                             CountPending(db,
                                          "SELECT COUNT(*) FROM backchannel WHERE user_id = ? AND "
                                          "status = 'pending' AND expires_at > ?",
                                          request.user_id, now));
        if (by_agent >= max_per_agent) {
          return Status(StatusCode::kResourceExhausted, "the agent has too many pending requests");
        }
        if (by_user >= max_per_user) {
          return Status(StatusCode::kResourceExhausted, "the user has too many pending requests");
        }
        ZTA_ASSIGN_OR_RETURN(auto s, db.Prepare("INSERT INTO backchannel(digest, agent_id, "
                                                "user_id, status, expires_at, doc) VALUES "
                                                "(?, ?, ?, ?, ?, ?)"));
        ZTA_RETURN_IF_ERROR(s.BindText(1, request.digest));
        ZTA_RETURN_IF_ERROR(s.BindText(2, request.agent_id));
        ZTA_RETURN_IF_ERROR(s.BindText(3, request.user_id));
        ZTA_RETURN_IF_ERROR(s.BindText(4, BackchannelStatusName(request.status)));
        ZTA_RETURN_IF_ERROR(s.BindInt64(5, request.expires_at));
        ZTA_RETURN_IF_ERROR(s.BindText(6, Json(request).dump()));
        ZTA_RETURN_IF_ERROR(s.Run().WithContext("saving backchannel request"));
        // Requests live ≤ 600 s; a day later their outcome no longer matters to anyone polling.
        ZTA_ASSIGN_OR_RETURN(auto gc, db.Prepare("DELETE FROM backchannel WHERE expires_at < ?"));
        ZTA_RETURN_IF_ERROR(gc.BindInt64(1, now - 86400));
        return gc.Run();
      },
      false);
}

Result<std::optional<BackchannelRequest>> SqlIdpStore::FindBackchannel(
    const std::string& digest) {
  MutexLock lock(mu_);
  return FindDoc<BackchannelRequest>(*db_, "SELECT doc FROM backchannel WHERE digest = ?", digest,
                                     "backchannel request");
}

Result<std::vector<BackchannelRequest>> SqlIdpStore::ListPendingBackchannel(
    const std::string& user_id, int64_t now) {
  MutexLock lock(mu_);
  ZTA_ASSIGN_OR_RETURN(auto s, db_->Prepare("SELECT doc FROM backchannel WHERE user_id = ? AND "
                                            "status = 'pending' AND expires_at > ? "
                                            "ORDER BY rowid"));
  ZTA_RETURN_IF_ERROR(s.BindText(1, user_id));
  ZTA_RETURN_IF_ERROR(s.BindInt64(2, now));
  std::vector<BackchannelRequest> out;
  for (;;) {
    ZTA_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    ZTA_ASSIGN_OR_RETURN(BackchannelRequest r, RecordFromJson<BackchannelRequest>(
                                                   s.ColumnText(0), "backchannel request"));
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::optional<BackchannelRequest>> SqlIdpStore::ChangeBackchannel(
    const std::string& digest, const std::function<bool(BackchannelRequest&)>& change) {
  std::optional<BackchannelRequest> found;
  Status st = Transact(
      [&](store::SqlConnection& db) -> Status {
        ZTA_ASSIGN_OR_RETURN(
            found, FindDoc<BackchannelRequest>(db, "SELECT doc FROM backchannel WHERE digest = ?",
                                               digest, "backchannel request"));
        if (!found || !change(*found)) return Status::Ok();
        return WriteBackchannel(db, *found);
      },
      false);
  if (!st.ok()) return st;
  return found;
}

Result<std::optional<BackchannelRequest>> SqlIdpStore::PollBackchannel(const std::string& digest,
                                                                          int64_t now,
                                                                          bool* too_soon) {
  *too_soon = false;
  return ChangeBackchannel(digest, [&](BackchannelRequest& r) {
    *too_soon = false;  // a transaction run again starts afresh
    const int64_t last = r.last_poll_at != 0 ? r.last_poll_at : r.created_at;
    if (r.status == BackchannelStatus::kPending && now - last < r.interval) {
      *too_soon = true;
      r.interval += 5;  // CIBA §11 slow_down: "increased by at least 5 seconds"
    }
    r.last_poll_at = now;
    return true;
  });
}

Result<bool> SqlIdpStore::DecideBackchannel(const std::string& digest, BackchannelStatus to,
                                               int64_t at, int64_t auth_time) {
  if (to != BackchannelStatus::kApproved && to != BackchannelStatus::kDenied) {
    return Status(StatusCode::kInvalidArgument, "a decision approves or denies");
  }
  bool moved = false;
  auto changed = ChangeBackchannel(digest, [&](BackchannelRequest& r) {
    moved = false;  // a transaction run again starts afresh
    if (r.status != BackchannelStatus::kPending || at >= r.expires_at) return false;
    r.status = to;
    r.decided_at = at;
    if (to == BackchannelStatus::kApproved) r.auth_time = auth_time;
    return moved = true;
  });
  if (!changed.ok()) return changed.status();
  return moved;
}

Result<bool> SqlIdpStore::ExpireBackchannel(const std::string& digest, int64_t at) {
  bool moved = false;
  auto changed = ChangeBackchannel(digest, [&](BackchannelRequest& r) {
    moved = false;  // a transaction run again starts afresh
    if (r.status != BackchannelStatus::kPending && r.status != BackchannelStatus::kApproved) {
      return false;
    }
    r.status = BackchannelStatus::kExpired;
    r.decided_at = at;
    return moved = true;
  });
  if (!changed.ok()) return changed.status();
  return moved;
}

Result<bool> SqlIdpStore::RedeemBackchannel(const std::string& digest,
                                               const std::string& grant_id, int64_t at) {
  bool moved = false;
  auto changed = ChangeBackchannel(digest, [&](BackchannelRequest& r) {
    moved = false;  // a transaction run again starts afresh
    if (r.status != BackchannelStatus::kApproved || at >= r.expires_at) return false;
    r.status = BackchannelStatus::kRedeemed;
    r.grant_id = grant_id;
    return moved = true;
  });
  if (!changed.ok()) return changed.status();
  return moved;
}

Result<bool> SqlIdpStore::MarkBackchannelShown(const std::string& digest) {
  bool first = false;
  auto changed = ChangeBackchannel(digest, [&](BackchannelRequest& r) {
    first = false;  // a transaction run again starts afresh
    if (r.shown) return false;
    r.shown = true;
    return first = true;
  });
  if (!changed.ok()) return changed.status();
  return first;
}

}  // namespace zta::idp
