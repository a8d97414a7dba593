// The grant table: one line per grant type the token endpoint accepts.
#include "grant.h"

namespace zta::idp {

GrantTypes GrantTypes::Default() {
  GrantTypes grants;
  grants.Add("authorization_code", AuthorizationCodeGrant);  // RFC 6749 §4.1, RFC 7636
  grants.Add("client_credentials", ClientCredentialsGrant);  // RFC 6749 §4.4
  grants.Add("refresh_token", RefreshTokenGrant);            // RFC 6749 §6, RFC 9700 §4.14.2
  grants.Add("urn:ietf:params:oauth:grant-type:token-exchange", TokenExchangeGrant);  // RFC 8693
  grants.Add(kCibaGrantType, CibaGrant);                     // OpenID CIBA Core 1.0 §10.1
  return grants;
}

std::vector<std::string> GrantTypes::Names() const {
  std::vector<std::string> names;
  names.reserve(handlers_.size());
  for (const auto& [name, handler] : handlers_) names.push_back(name);
  return names;
}

}  // namespace zta::idp
