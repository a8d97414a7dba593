// AuthProvider configuration from TOML (docs/auth.md). toml++ throws; it is caught here, and
// secrets are read from the environment or files named in the config, never from the config.
#include "zta/auth/auth_config.h"

#include <toml++/toml.h>

#include <cstdlib>

#include "zta/auth/auth_provider.h"
#include "zta/auth/dpop_key.h"
#include "zta/core/toml_reader.h"

namespace zta::auth {

Result<AuthSettings> ReadAuthSettings(const toml::table& table, std::string_view where) {
  AuthSettings s;
  AuthProviderOptions& o = s.options;
  TableReader r(table, std::string(where));
  ZTA_RETURN_IF_ERROR(r.GetString("issuer", &o.issuer));
  ZTA_RETURN_IF_ERROR(r.GetString("token_endpoint", &o.token_endpoint));
  ZTA_RETURN_IF_ERROR(r.GetString("client_id", &o.client_id));
  ZTA_RETURN_IF_ERROR(r.GetString("auth_method", &s.auth_method));
  ZTA_RETURN_IF_ERROR(r.GetString("client_secret_env", &s.client_secret_env));
  ZTA_RETURN_IF_ERROR(r.GetString("client_secret_file", &s.client_secret_file));
  ZTA_RETURN_IF_ERROR(r.GetString("private_key_file", &s.private_key_file));
  ZTA_RETURN_IF_ERROR(r.GetString("assertion_audience", &o.assertion_audience));
  ZTA_RETURN_IF_ERROR(r.GetString("resource", &o.default_resource));
  ZTA_RETURN_IF_ERROR(r.GetBool("dpop", &o.dpop));
  ZTA_RETURN_IF_ERROR(r.GetString("dpop_key_file", &s.dpop_key_file));
  int64_t timeout = o.request_timeout.count(), deadline = o.deadline.count();
  int64_t attempts = o.max_attempts;
  ZTA_RETURN_IF_ERROR(r.GetInt("request_timeout_ms", &timeout));
  ZTA_RETURN_IF_ERROR(r.GetInt("deadline_ms", &deadline));
  ZTA_RETURN_IF_ERROR(r.GetInt("max_attempts", &attempts));
  ZTA_RETURN_IF_ERROR(r.GetInt("min_remaining_seconds", &o.min_remaining_seconds));
  ZTA_RETURN_IF_ERROR(r.GetBool("send_resource_indicator", &o.send_resource_indicator));
  ZTA_RETURN_IF_ERROR(r.GetStrings("scopes", &o.default_scopes));
  ZTA_RETURN_IF_ERROR(
      r.GetString("backchannel_authentication_endpoint", &o.backchannel_authentication_endpoint));
  ZTA_RETURN_IF_ERROR(
      r.GetInt("backchannel_requested_expiry_seconds", &o.backchannel_requested_expiry));
  ZTA_RETURN_IF_ERROR(r.Finish());
  if (!s.dpop_key_file.empty() && !o.dpop) {
    return InvalidArgument(std::string(where) + "dpop_key_file needs dpop = true");
  }
  if (o.backchannel_requested_expiry < 0 || o.backchannel_requested_expiry > 3600) {
    return InvalidArgument(std::string(where) +
                           "backchannel_requested_expiry_seconds must be 0..3600");
  }
  o.request_timeout = std::chrono::milliseconds(timeout);
  o.deadline = std::chrono::milliseconds(deadline);
  o.max_attempts = static_cast<int>(attempts);
  return s;
}

Result<AuthProviderOptions> ResolveAuthSettings(const AuthSettings& settings) {
  AuthProviderOptions o = settings.options;
  const std::string& secret_env = settings.client_secret_env;
  const std::string& secret_file = settings.client_secret_file;
  const std::string& key_file = settings.private_key_file;
  int sources = !secret_env.empty() + !secret_file.empty() + !key_file.empty();
  if (sources > 1) {
    return InvalidArgument(
        "give one of client_secret_env, client_secret_file and private_key_file");
  }
  if (!settings.auth_method.empty()) {
    ZTA_ASSIGN_OR_RETURN(o.auth_method, ParseClientAuthMethod(settings.auth_method));
  } else if (!key_file.empty()) {
    o.auth_method = ClientAuthMethod::kPrivateKeyJwt;
  }
  if (!secret_env.empty()) {
    const char* value = std::getenv(secret_env.c_str());
    if (value == nullptr || *value == '\0') {
      return InvalidArgument("environment variable " + secret_env + " is not set");
    }
    o.client_secret = Secret(value);
  }
  if (!secret_file.empty()) {
    ZTA_ASSIGN_OR_RETURN(o.client_secret, ReadSecretFile(secret_file));
  }
  if (!key_file.empty()) {
    ZTA_ASSIGN_OR_RETURN(o.private_key, ReadPrivateKeyFile(key_file));
  }
  if (!settings.dpop_key_file.empty()) {
    ZTA_ASSIGN_OR_RETURN(o.dpop_key, ReadDpopKeyFile(settings.dpop_key_file));
  }
  ZTA_RETURN_IF_ERROR(o.Validate());
  return o;
}

Result<Secret> ReadSecretFile(const std::string& path) {
  ZTA_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.empty()) return InvalidArgument(path + " is empty");
  return Secret(std::move(text));
}

Result<jose::Jwk> ReadPrivateKeyFile(const std::string& path) {
  ZTA_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path));
  jose::JwkParseOptions options;
  options.role = jose::KeyRole::kSign;
  Secret wipe_on_exit(std::move(text));  // the file holds a private key
  auto key = jose::Jwk::ParseText(wipe_on_exit.Reveal(), options);
  if (!key.ok()) return key.status().WithContext(path);
  return key;
}

Result<AuthProviderOptions> ParseAuthConfig(std::string_view toml_text) {
  AuthProviderOptions options;
  ZTA_RETURN_IF_ERROR(ParseToml(toml_text, [&](const toml::table& root) -> Status {
    const toml::table* t = root["auth"].as_table();
    ZTA_ASSIGN_OR_RETURN(AuthSettings settings, ReadAuthSettings(t != nullptr ? *t : root));
    ZTA_ASSIGN_OR_RETURN(options, ResolveAuthSettings(settings));
    return Status::Ok();
  }));
  return options;
}

Result<AuthProviderOptions> LoadAuthConfig(const std::string& path) {
  ZTA_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path));
  auto options = ParseAuthConfig(text);
  if (!options.ok()) return options.status().WithContext(path);
  return options;
}

}  // namespace zta::auth
