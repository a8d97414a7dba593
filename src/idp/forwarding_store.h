// An IdpStore that forwards every call to another, for tests that make one call fail (a disk
// full at revocation, a database gone at code redemption): subclass it and override that call.
#pragma once

#include "zta/idp/stores.h"

namespace zta::idp::testing {

// clang-format off
class ForwardingIdpStore : public IdpStore {
 public:
  explicit ForwardingIdpStore(IdpStore& real) : real_(real) {}

  Result<uint64_t> RegistryVersion() override { return real_.RegistryVersion(); }
  Result<std::shared_ptr<const RegistrySnapshot>> LoadRegistry() override { return real_.LoadRegistry(); }
  Status PutResource(const Resource& resource) override { return real_.PutResource(resource); }
  Status PutAgent(const Agent& agent) override { return real_.PutAgent(agent); }
  Status DeleteAgent(const std::string& client_id) override { return real_.DeleteAgent(client_id); }
  Status PutUser(const User& user) override { return real_.PutUser(user); }
  Status DeleteUser(const std::string& id) override { return real_.DeleteUser(id); }
  Status PutApp(const App& app) override { return real_.PutApp(app); }
  Status DeleteApp(const std::string& client_id) override { return real_.DeleteApp(client_id); }
  Status PutDelegationRule(const DelegationRule& rule) override { return real_.PutDelegationRule(rule); }
  Status DeleteDelegationRule(const std::string& from, const std::string& to) override { return real_.DeleteDelegationRule(from, to); }
  Status PutFederatedIssuer(const FederatedIssuer& issuer) override { return real_.PutFederatedIssuer(issuer); }
  Status DeleteFederatedIssuer(const std::string& issuer) override { return real_.DeleteFederatedIssuer(issuer); }
  Status Revoke(const std::string& jti, int64_t expires_at) override { return real_.Revoke(jti, expires_at); }
  Result<bool> IsRevoked(const std::string& jti) override { return real_.IsRevoked(jti); }
  Result<bool> RecordAssertionJti(const std::string& client_id, const std::string& jti, int64_t expires_at) override { return real_.RecordAssertionJti(client_id, jti, expires_at); }
  Result<bool> RecordDpopProofJti(const std::string& jkt, const std::string& jti, int64_t expires_at) override { return real_.RecordDpopProofJti(jkt, jti, expires_at); }
  Result<AuthFailureWindow> CountAuthFailure(const std::string& key, int64_t now, int64_t window_seconds) override { return real_.CountAuthFailure(key, now, window_seconds); }
  Status PutCode(const AuthorizationCode& code) override { return real_.PutCode(code); }
  Result<std::optional<AuthorizationCode>> FindCode(const std::string& digest, bool* used) override { return real_.FindCode(digest, used); }
  Result<std::optional<AuthorizationCode>> ConsumeCode(const std::string& digest, bool* first_use) override { return real_.ConsumeCode(digest, first_use); }
  Status SetCodeGrant(const std::string& digest, const std::string& grant_id) override { return real_.SetCodeGrant(digest, grant_id); }
  Status PutGrant(const DelegatedGrant& grant) override { return real_.PutGrant(grant); }
  Result<std::optional<DelegatedGrant>> FindGrant(const std::string& id) override { return real_.FindGrant(id); }
  Result<std::vector<DelegatedGrant>> ListGrants(const std::string& user_id) override { return real_.ListGrants(user_id); }
  Status RevokeGrant(const std::string& id, int64_t at, const std::string& reason) override { return real_.RevokeGrant(id, at, reason); }
  Status TouchGrant(const std::string& id, int64_t at) override { return real_.TouchGrant(id, at); }
  Status PutRefreshToken(const RefreshToken& token) override { return real_.PutRefreshToken(token); }
  Result<std::optional<RefreshToken>> FindRefreshToken(const std::string& digest) override { return real_.FindRefreshToken(digest); }
  Result<std::optional<RefreshToken>> UseRefreshToken(const std::string& digest) override { return real_.UseRefreshToken(digest); }
  Status PutConsent(const RememberedConsent& consent) override { return real_.PutConsent(consent); }
  Result<std::vector<RememberedConsent>> ListConsents(const std::string& user_id) override { return real_.ListConsents(user_id); }
  Status DeleteConsent(const std::string& user_id, const std::string& app_id, const std::string& agent_id, const std::string& resource) override { return real_.DeleteConsent(user_id, app_id, agent_id, resource); }
  Status PutSession(const LoginSession& session) override { return real_.PutSession(session); }
  Result<std::optional<LoginSession>> FindSession(const std::string& digest) override { return real_.FindSession(digest); }
  Status DeleteSession(const std::string& digest) override { return real_.DeleteSession(digest); }
  Status PutBackchannel(const BackchannelRequest& request, int max_per_agent, int max_per_user) override { return real_.PutBackchannel(request, max_per_agent, max_per_user); }
  Result<std::optional<BackchannelRequest>> FindBackchannel(const std::string& digest) override { return real_.FindBackchannel(digest); }
  Result<std::vector<BackchannelRequest>> ListPendingBackchannel(const std::string& user_id, int64_t now) override { return real_.ListPendingBackchannel(user_id, now); }
  Result<std::optional<BackchannelRequest>> PollBackchannel(const std::string& digest, int64_t now, bool* too_soon) override { return real_.PollBackchannel(digest, now, too_soon); }
  Result<bool> DecideBackchannel(const std::string& digest, BackchannelStatus to, int64_t at, int64_t auth_time) override { return real_.DecideBackchannel(digest, to, at, auth_time); }
  Result<bool> ExpireBackchannel(const std::string& digest, int64_t at) override { return real_.ExpireBackchannel(digest, at); }
  Result<bool> RedeemBackchannel(const std::string& digest, const std::string& grant_id, int64_t at) override { return real_.RedeemBackchannel(digest, grant_id, at); }
  Result<bool> MarkBackchannelShown(const std::string& digest) override { return real_.MarkBackchannelShown(digest); }
  Result<std::vector<KeyRow>> ListKeys() override { return real_.ListKeys(); }
  Status PutKey(const KeyRow& row) override { return real_.PutKey(row); }
  Status PutKeyMaterial(const std::string& kid, const std::string& sealed) override { return real_.PutKeyMaterial(kid, sealed); }
  Result<std::optional<std::string>> FindKeyMaterial(const std::string& kid) override { return real_.FindKeyMaterial(kid); }

 protected:
  IdpStore& real_;
};
// clang-format on

}  // namespace zta::idp::testing
