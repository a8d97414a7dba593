// AuthProvider settings read from a TOML table (docs/auth.md), in two steps: ReadAuthSettings
// checks keys and types (no I/O), ResolveAuthSettings reads the secret or key it names. So a
// file that embeds such a table (an agent's [identity], [model.entra]) is checked when it
// loads, and the secret is read only when a token is needed.
#pragma once

#include <toml++/toml.h>

#include <string>
#include <string_view>

#include "zta/auth/auth_provider.h"
#include "zta/core/status.h"

namespace zta::auth {

// One table's settings. Immutable once read; copyable (holds no secret).
struct AuthSettings {
  // Every option but client_secret and private_key, with AuthProviderOptions' defaults for
  // keys the table does not give.
  AuthProviderOptions options;
  // auth_method as written. Default: empty (private_key_jwt with private_key_file, else
  // client_secret_basic).
  std::string auth_method;
  // Where the secret or key comes from; at most one is set. Default: none.
  std::string client_secret_env;   // an environment variable's name
  std::string client_secret_file;  // a file holding the client secret
  std::string private_key_file;    // a file holding the private JWK
  // dpop_key_file: the DPoP private JWK (RFC 9449; keep it 0600). REQUIRES: dpop = true.
  // Default: empty (a fresh key for each provider when dpop is on).
  std::string dpop_key_file;
};

// Reads `table`. Errors (kInvalidArgument) name the key, prefixed by `where` (e.g.
// "identity."): a key docs/auth.md does not list, or a value of the wrong type.
Result<AuthSettings> ReadAuthSettings(const toml::table& table, std::string_view where = "");

// The options with the secret or key read (environment variable, file) and Validate()d.
Result<AuthProviderOptions> ResolveAuthSettings(const AuthSettings& settings);

}  // namespace zta::auth
