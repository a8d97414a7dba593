// AuthProvider configuration from TOML (docs/auth.md). toml++ throws; it is caught here, and
// secrets are read from the environment or files named in the config, never from the config.
#include <toml++/toml.h>

#include <algorithm>
#include <cstdlib>

#include "zta/auth/auth_provider.h"
#include "zta/core/toml_reader.h"

namespace zta::auth {
namespace {

Status ReadAuth(const toml::table& t, AuthProviderOptions* o) {
  static constexpr std::string_view kKnown[] = {
      "issuer",           "token_endpoint",        "client_id",
      "auth_method",      "client_secret_env",     "client_secret_file",
      "private_key_file", "assertion_audience",    "resource",
      "scopes",           "request_timeout_ms",    "deadline_ms",
      "max_attempts",     "min_remaining_seconds", "send_resource_indicator"};
  for (const auto& [key, value] : t) {
    if (std::find(std::begin(kKnown), std::end(kKnown), key.str()) == std::end(kKnown)) {
      return InvalidArgument(std::string(key.str()) + " is not a known setting");
    }
  }
  auto str = [&](const char* key, std::string* out) -> Status {
    if (const toml::node* n = t.get(key)) {
      auto v = n->value<std::string>();
      if (!v) return InvalidArgument(std::string(key) + " must be a string");
      *out = *v;
    }
    return Status::Ok();
  };
  auto num = [&](const char* key, int64_t* out) -> Status {
    if (const toml::node* n = t.get(key)) {
      auto v = n->value<int64_t>();
      if (!v) return InvalidArgument(std::string(key) + " must be an integer");
      *out = *v;
    }
    return Status::Ok();
  };
  std::string method, secret_env, secret_file, key_file;
  ZTA_RETURN_IF_ERROR(str("issuer", &o->issuer));
  ZTA_RETURN_IF_ERROR(str("token_endpoint", &o->token_endpoint));
  ZTA_RETURN_IF_ERROR(str("client_id", &o->client_id));
  ZTA_RETURN_IF_ERROR(str("auth_method", &method));
  ZTA_RETURN_IF_ERROR(str("client_secret_env", &secret_env));
  ZTA_RETURN_IF_ERROR(str("client_secret_file", &secret_file));
  ZTA_RETURN_IF_ERROR(str("private_key_file", &key_file));
  ZTA_RETURN_IF_ERROR(str("assertion_audience", &o->assertion_audience));
  ZTA_RETURN_IF_ERROR(str("resource", &o->default_resource));
  int64_t timeout = o->request_timeout.count(), deadline = o->deadline.count();
  int64_t attempts = o->max_attempts;
  ZTA_RETURN_IF_ERROR(num("request_timeout_ms", &timeout));
  ZTA_RETURN_IF_ERROR(num("deadline_ms", &deadline));
  ZTA_RETURN_IF_ERROR(num("max_attempts", &attempts));
  ZTA_RETURN_IF_ERROR(num("min_remaining_seconds", &o->min_remaining_seconds));
  if (const toml::node* n = t.get("send_resource_indicator")) {
    auto v = n->value_exact<bool>();
    if (!v) return InvalidArgument("send_resource_indicator must be true or false");
    o->send_resource_indicator = *v;
  }
  o->request_timeout = std::chrono::milliseconds(timeout);
  o->deadline = std::chrono::milliseconds(deadline);
  o->max_attempts = static_cast<int>(attempts);
  if (const toml::node* n = t.get("scopes")) {
    const toml::array* a = n->as_array();
    if (a == nullptr) return InvalidArgument("scopes must be an array of strings");
    for (const auto& item : *a) {
      auto v = item.value<std::string>();
      if (!v) return InvalidArgument("scopes must be an array of strings");
      o->default_scopes.push_back(*v);
    }
  }

  int sources = !secret_env.empty() + !secret_file.empty() + !key_file.empty();
  if (sources > 1) {
    return InvalidArgument(
        "give one of client_secret_env, client_secret_file and private_key_file");
  }
  if (!method.empty()) {
    ZTA_ASSIGN_OR_RETURN(o->auth_method, ParseClientAuthMethod(method));
  } else if (!key_file.empty()) {
    o->auth_method = ClientAuthMethod::kPrivateKeyJwt;
  }
  if (!secret_env.empty()) {
    const char* value = std::getenv(secret_env.c_str());
    if (value == nullptr || *value == '\0') {
      return InvalidArgument("environment variable " + secret_env + " is not set");
    }
    o->client_secret = Secret(value);
  }
  if (!secret_file.empty()) {
    ZTA_ASSIGN_OR_RETURN(o->client_secret, ReadSecretFile(secret_file));
  }
  if (!key_file.empty()) {
    ZTA_ASSIGN_OR_RETURN(o->private_key, ReadPrivateKeyFile(key_file));
  }
  return o->Validate();
}

}  // namespace

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
  ZTA_RETURN_IF_ERROR(ParseToml(toml_text, [&](const toml::table& root) {
    const toml::table* t = root["auth"].as_table();
    return ReadAuth(t != nullptr ? *t : root, &options);
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
