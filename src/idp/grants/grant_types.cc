// The grant table: one line per grant type the token endpoint accepts.
#include "grant.h"

namespace zta::idp {

GrantTypes GrantTypes::Default() {
  GrantTypes grants;
  grants.Add("client_credentials", ClientCredentialsGrant);  // RFC 6749 §4.4
  return grants;
}

std::vector<std::string> GrantTypes::Names() const {
  std::vector<std::string> names;
  names.reserve(handlers_.size());
  for (const auto& [name, handler] : handlers_) names.push_back(name);
  return names;
}

}  // namespace zta::idp
