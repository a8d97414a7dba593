// IdpStore on one SQLite file (WAL): the registry, token state and key rows. The registry and
// keys are in sqlite_idp_store.cc, codes, grants, refresh tokens, consents, sessions and
// backchannel requests in sqlite_token_state.cc.
#pragma once

#include <functional>
#include <initializer_list>
#include <memory>
#include <string>

#include "zta/core/mutex.h"
#include "zta/idp/stores.h"
#include "zta/store/sql.h"

namespace zta::idp {

// The newest PostgreSQL schema this binary knows (the number of its migrations).
int LatestPostgresSchema();

// Thread-safe: one connection, serialized by a mutex (idp writes are small and rare; token
// issuance reads the registry from an in-memory snapshot). On PostgreSQL every write
// transaction is SERIALIZABLE and runs again (up to 10 times) when it loses a race with another
// node, so single-use things stay single-use across nodes without any node's memory.
class SqlIdpStore final : public IdpStore {
 public:
  // Opens or creates the SQLite file `path` (WAL, synchronous=FULL, busy timeout 5 s) and its
  // schema.
  static Result<std::unique_ptr<SqlIdpStore>> Open(const std::string& path);
  static Result<std::unique_ptr<SqlIdpStore>> OpenSqlite(const std::string& path) {
    return Open(path);
  }
  // Connects to PostgreSQL at `url` (libpq's, zta/store/postgres.h). With `migrate`, applies
  // the migrations the database lacks first (MigratePostgres); without, refuses a database
  // whose schema is not LatestPostgresSchema(). Always refuses one newer than this binary.
  static Result<std::unique_ptr<SqlIdpStore>> OpenPostgres(const std::string& url,
                                                           bool migrate = true);
  // Brings the PostgreSQL database at `conn` to LatestPostgresSchema() in one transaction
  // (under an advisory lock, so nodes starting together migrate once). Returns the schema
  // version it had before; kFailedPrecondition when it is newer than this binary.
  static Result<int> MigratePostgres(store::SqlConnection& conn);
  ~SqlIdpStore() override;

  store::SqlDialect dialect() const { return dialect_; }
  // Whether the database answers now (/healthz).
  Status Ping();
  // Where the store is, without credentials.
  std::string Describe() const { return description_; }

  Result<uint64_t> RegistryVersion() override;
  Result<std::shared_ptr<const RegistrySnapshot>> LoadRegistry() override;
  Status PutResource(const Resource& resource) override;
  Status PutAgent(const Agent& agent) override;
  Status DeleteAgent(const std::string& client_id) override;
  Status PutUser(const User& user) override;
  Status DeleteUser(const std::string& id) override;
  Status PutApp(const App& app) override;
  Status DeleteApp(const std::string& client_id) override;
  Status PutDelegationRule(const DelegationRule& rule) override;
  Status DeleteDelegationRule(const std::string& from, const std::string& to) override;
  Status PutFederatedIssuer(const FederatedIssuer& issuer) override;
  Status DeleteFederatedIssuer(const std::string& issuer) override;

  Status Revoke(const std::string& jti, int64_t expires_at) override;
  Result<bool> IsRevoked(const std::string& jti) override;
  Result<bool> RecordAssertionJti(const std::string& client_id, const std::string& jti,
                                  int64_t expires_at) override;
  Result<bool> RecordDpopProofJti(const std::string& jkt, const std::string& jti,
                                  int64_t expires_at) override;
  Result<AuthFailureWindow> CountAuthFailure(const std::string& key, int64_t now,
                                   int64_t window_seconds) override;
  Status PutCode(const AuthorizationCode& code) override;
  Result<std::optional<AuthorizationCode>> FindCode(const std::string& digest,
                                                    bool* used) override;
  Result<std::optional<AuthorizationCode>> ConsumeCode(const std::string& digest,
                                                       bool* first_use) override;
  Status SetCodeGrant(const std::string& digest, const std::string& grant_id) override;
  Status PutGrant(const DelegatedGrant& grant) override;
  Result<std::optional<DelegatedGrant>> FindGrant(const std::string& id) override;
  Result<std::vector<DelegatedGrant>> ListGrants(const std::string& user_id) override;
  Status RevokeGrant(const std::string& id, int64_t at, const std::string& reason) override;
  Status TouchGrant(const std::string& id, int64_t at) override;
  Status PutRefreshToken(const RefreshToken& token) override;
  Result<std::optional<RefreshToken>> FindRefreshToken(const std::string& digest) override;
  Result<std::optional<RefreshToken>> UseRefreshToken(const std::string& digest) override;
  Status PutConsent(const RememberedConsent& consent) override;
  Result<std::vector<RememberedConsent>> ListConsents(const std::string& user_id) override;
  Status DeleteConsent(const std::string& user_id, const std::string& app_id,
                       const std::string& agent_id, const std::string& resource) override;
  Status PutSession(const LoginSession& session) override;
  Result<std::optional<LoginSession>> FindSession(const std::string& digest) override;
  Status DeleteSession(const std::string& digest) override;
  Status PutBackchannel(const BackchannelRequest& request, int max_per_agent,
                        int max_per_user) override;
  Result<std::optional<BackchannelRequest>> FindBackchannel(const std::string& digest) override;
  Result<std::vector<BackchannelRequest>> ListPendingBackchannel(const std::string& user_id,
                                                                 int64_t now) override;
  Result<std::optional<BackchannelRequest>> PollBackchannel(const std::string& digest,
                                                            int64_t now, bool* too_soon) override;
  Result<bool> DecideBackchannel(const std::string& digest, BackchannelStatus to, int64_t at,
                                 int64_t auth_time) override;
  Result<bool> ExpireBackchannel(const std::string& digest, int64_t at) override;
  Result<bool> RedeemBackchannel(const std::string& digest, const std::string& grant_id,
                                 int64_t at) override;
  Result<bool> MarkBackchannelShown(const std::string& digest) override;

  Result<std::vector<KeyRow>> ListKeys() override;
  Status PutKey(const KeyRow& row) override;
  Status PutKeyMaterial(const std::string& kid, const std::string& sealed) override;
  Result<std::optional<std::string>> FindKeyMaterial(const std::string& kid) override;

 private:
  explicit SqlIdpStore(std::unique_ptr<store::SqlConnection> db)
      : dialect_(db->dialect()), description_(db->Describe()), db_(std::move(db)) {}
  // Runs `body` inside one write transaction under the lock, bumping the registry version in
  // it when `bump_version`; runs it again (from scratch) after a serialization failure, so
  // `body` must set its results anew on every run.
  Status Transact(const std::function<Status(store::SqlConnection&)>& body, bool bump_version);
  // One attempt of Transact: begin, body, version bump, commit (rolled back on any error).
  Status TransactOnce(const std::function<Status(store::SqlConnection&)>& body,
                      bool bump_version) ZTA_REQUIRES(mu_);
  // One statement with text parameters bound in order, run to completion.
  static Status RunStatement(store::SqlConnection& db, std::string_view sql,
                             std::initializer_list<std::string_view> texts);
  // Runs `sql` with `bind` applied, inside one write transaction that also bumps the registry
  // version when `bump_version`.
  Status Write(std::string_view sql, const std::function<Status(store::SqlQuery&)>& bind,
               bool bump_version, std::string_view what);

  // Reads backchannel request `digest`, lets `change` edit it and writes it back when it
  // returns true, all in one transaction; returns the request as it ends (nullopt: unknown).
  Result<std::optional<BackchannelRequest>> ChangeBackchannel(
      const std::string& digest, const std::function<bool(BackchannelRequest&)>& change);

  const store::SqlDialect dialect_;
  const std::string description_;
  Mutex mu_;
  std::unique_ptr<store::SqlConnection> db_ ZTA_PT_GUARDED_BY(mu_);
};

}  // namespace zta::idp
