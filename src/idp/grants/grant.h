// What a grant type handler (RFC 6749 §4, and the grants later RFCs define) is given and what it
// returns, and the table from grant_type to handler. A grant is one file in this folder, listed
// once in GrantTypes::Default() (grant_types.cc).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "../client_auth.h"
#include "../federation.h"
#include "../form_fields.h"
#include "zta/core/audit_sink.h"
#include "zta/core/clock.h"
#include "zta/core/json.h"
#include "zta/idp/authorization_server.h"
#include "zta/idp/key_manager.h"
#include "zta/idp/oauth_error.h"
#include "zta/idp/stores.h"

namespace zta::idp {

// One token request, its client already authenticated. Lives for the call.
struct GrantContext {
  const Caller& caller;              // the authenticated client (caller.agent for agents)
  const FormFields& form;            // every parameter, each at most once (RFC 6749 §3.2)
  const RegistrySnapshot& registry;  // the snapshot the client was authenticated against
  const AuthorizationServerOptions& options;
  const Clock& clock;
  KeyManager& keys;
  TokenStateStore& token_state;  // codes, refresh families, revocations: what a grant consumes
  FederationVerifier& federation;  // external issuers' tokens (token exchange subject tokens)
  AuditEvent& event;  // token.issue, client filled in; the grant adds resource, scopes, jti
  // Further events the grant reports (code.redeem, code.replay, refresh.reuse). The token
  // endpoint records them before it answers; a token leaves only once they are recorded.
  std::vector<AuditEvent>& side_events;
  // RFC 9449 §5: the thumbprint of the key the request's DPoP proof was made with, "" when it
  // carried none. Every access token issued gets cnf.jkt = this (§6.1).
  const std::string& dpop_jkt;

  const std::string& Field(std::string_view name) const { return idp::Field(form, name); }
};

// The token response body (RFC 6749 §5.1), or why not. The token endpoint sends it with
// Cache-Control: no-store once the event is recorded, and records the event of a refusal too.
using GrantResult = OAuthResult<Json>;
using GrantHandler = GrantResult (*)(const GrantContext& context);

// grant_type → handler. Immutable once built; thread-safe to read.
class GrantTypes {
 public:
  // Every grant this server supports.
  static GrantTypes Default();

  void Add(std::string grant_type, GrantHandler handler) {
    handlers_[std::move(grant_type)] = handler;
  }
  // nullptr for a grant type not in the table.
  GrantHandler Find(std::string_view grant_type) const {
    auto it = handlers_.find(grant_type);
    return it == handlers_.end() ? nullptr : it->second;
  }
  // Metadata's grant_types_supported (RFC 8414 §2), in name order.
  std::vector<std::string> Names() const;

 private:
  std::map<std::string, GrantHandler, std::less<>> handlers_;
};

// The grants, one file each.
GrantResult ClientCredentialsGrant(const GrantContext& context);  // client_credentials.cc
GrantResult AuthorizationCodeGrant(const GrantContext& context);  // authorization_code.cc
GrantResult RefreshTokenGrant(const GrantContext& context);       // refresh_token.cc
GrantResult TokenExchangeGrant(const GrantContext& context);      // token_exchange.cc
GrantResult CibaGrant(const GrantContext& context);               // ciba.cc

// OpenID CIBA Core 1.0 §10.1: the grant_type of a backchannel poll.
inline constexpr char kCibaGrantType[] = "urn:openid:params:grant-type:ciba";

}  // namespace zta::idp
