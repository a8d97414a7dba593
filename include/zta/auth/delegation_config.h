// DelegationOptions from a TOML table (docs/auth.md, "[delegation]"), in the two steps of
// auth_config.h: ReadDelegationSettings checks keys and types (no I/O), ResolveDelegationSettings
// reads the app's secret from the environment variable or file it names.
#pragma once

#include <toml++/toml.h>

#include <string>
#include <string_view>

#include "zta/auth/delegation.h"
#include "zta/core/status.h"

namespace zta::auth {

// One [delegation] table. Immutable once read; copyable (holds no secret).
struct DelegationSettings {
  // Every option but app_client_secret, with DelegationOptions' defaults for absent keys.
  DelegationOptions options;
  // app_auth_method as written: "client_secret_basic", "client_secret_post" or "none" (a public
  // app). Default: empty — client_secret_basic with a secret, none without.
  std::string app_auth_method;
  // Where the app's secret comes from; at most one. Default: none (a public app).
  std::string app_client_secret_env;
  std::string app_client_secret_file;
  // Which consent handler a CLI should start: "loopback" (LoopbackConsentHandler, RFC 8252) or
  // "none" (no handler: on_behalf_of fails with consent_required). Default: "loopback".
  std::string consent = "loopback";
  // The loopback listener's port. Default: 0 (any free port).
  int64_t loopback_port = 0;
};

// Reads `table`; errors (kInvalidArgument) name the key, prefixed by `where` ("delegation.").
Result<DelegationSettings> ReadDelegationSettings(const toml::table& table,
                                                  std::string_view where = "");

// The options with the app's secret read, and Validate()d.
Result<DelegationOptions> ResolveDelegationSettings(const DelegationSettings& settings);

}  // namespace zta::auth
