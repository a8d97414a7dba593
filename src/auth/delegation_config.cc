// DelegationOptions from TOML (docs/auth.md "[delegation]"); the app's secret from the
// environment or a file named in the config, never from the config.
#include "zta/auth/delegation_config.h"

#include <cstdlib>

#include "zta/auth/auth_config.h"
#include "zta/core/toml_reader.h"

namespace zta::auth {

Result<DelegationSettings> ReadDelegationSettings(const toml::table& table,
                                                  std::string_view where) {
  DelegationSettings s;
  DelegationOptions& o = s.options;
  TableReader r(table, std::string(where));
  int64_t consent_timeout = o.consent_timeout.count() / 1000;
  int64_t request_timeout = o.request_timeout.count();
  ZTA_RETURN_IF_ERROR(r.GetString("app_client_id", &o.app_client_id));
  ZTA_RETURN_IF_ERROR(r.GetString("app_auth_method", &s.app_auth_method));
  ZTA_RETURN_IF_ERROR(r.GetString("app_client_secret_env", &s.app_client_secret_env));
  ZTA_RETURN_IF_ERROR(r.GetString("app_client_secret_file", &s.app_client_secret_file));
  ZTA_RETURN_IF_ERROR(r.GetString("redirect_uri", &o.redirect_uri));
  ZTA_RETURN_IF_ERROR(r.GetString("authorization_endpoint", &o.authorization_endpoint));
  ZTA_RETURN_IF_ERROR(r.GetString("token_endpoint", &o.token_endpoint));
  ZTA_RETURN_IF_ERROR(r.GetString("pushed_authorization_request_endpoint",
                                  &o.pushed_authorization_request_endpoint));
  ZTA_RETURN_IF_ERROR(r.GetBool("use_par", &o.use_par));
  ZTA_RETURN_IF_ERROR(r.GetStrings("extra_scopes", &o.extra_scopes));
  ZTA_RETURN_IF_ERROR(r.GetString("prompt", &o.prompt));
  ZTA_RETURN_IF_ERROR(r.GetInt("consent_timeout_seconds", &consent_timeout));
  ZTA_RETURN_IF_ERROR(r.GetStrings("actor_token_scopes", &o.actor_token_scopes));
  ZTA_RETURN_IF_ERROR(r.GetInt("request_timeout_ms", &request_timeout));
  ZTA_RETURN_IF_ERROR(r.GetString("consent", &s.consent));
  ZTA_RETURN_IF_ERROR(r.GetInt("loopback_port", &s.loopback_port));
  ZTA_RETURN_IF_ERROR(r.Finish());
  const std::string w(where);
  if (s.consent != "loopback" && s.consent != "none") {
    return InvalidArgument(w + "consent must be \"loopback\" or \"none\"");
  }
  if (s.loopback_port < 0 || s.loopback_port > 65535) {
    return InvalidArgument(w + "loopback_port must be 0..65535");
  }
  if (consent_timeout <= 0 || consent_timeout > 3600) {
    return InvalidArgument(w + "consent_timeout_seconds must be 1..3600");
  }
  if (!s.app_auth_method.empty() && s.app_auth_method != "none") {
    auto method = ParseClientAuthMethod(s.app_auth_method);
    if (!method.ok() || *method == ClientAuthMethod::kPrivateKeyJwt) {
      return InvalidArgument(w +
                             "app_auth_method must be client_secret_basic, client_secret_post "
                             "or none");
    }
    o.app_auth_method = *method;
  }
  o.consent_timeout = std::chrono::seconds(consent_timeout);
  o.request_timeout = std::chrono::milliseconds(request_timeout);
  return s;
}

Result<DelegationOptions> ResolveDelegationSettings(const DelegationSettings& settings) {
  DelegationOptions o = settings.options;
  const bool from_env = !settings.app_client_secret_env.empty();
  const bool from_file = !settings.app_client_secret_file.empty();
  if (from_env && from_file) {
    return InvalidArgument("give one of app_client_secret_env and app_client_secret_file");
  }
  if (settings.app_auth_method == "none" && (from_env || from_file)) {
    return InvalidArgument("a public app (app_auth_method = \"none\") has no secret");
  }
  if (settings.app_auth_method != "none" && !settings.app_auth_method.empty() && !from_env &&
      !from_file) {
    return InvalidArgument("app_auth_method " + settings.app_auth_method + " needs a secret");
  }
  if (from_env) {
    const char* value = std::getenv(settings.app_client_secret_env.c_str());
    if (value == nullptr || *value == '\0') {
      return InvalidArgument("environment variable " + settings.app_client_secret_env +
                             " is not set");
    }
    o.app_client_secret = Secret(value);
  } else if (from_file) {
    ZTA_ASSIGN_OR_RETURN(o.app_client_secret, ReadSecretFile(settings.app_client_secret_file));
  }
  ZTA_RETURN_IF_ERROR(o.Validate());
  return o;
}

}  // namespace zta::auth
