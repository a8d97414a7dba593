// `zta token get`: obtain an access token as a configured agent, for scripts. Thin: options from
// a TOML file and/or flags, then auth::AuthProvider; with --on-behalf-of, the file's
// [delegation] table and auth::DelegatedTokenSource (the user's consent, docs/auth.md).
#include <iostream>
#include <memory>
#include <optional>

#include "commands.h"
#include "zta/auth/auth_provider.h"
#include "zta/auth/consent_handler.h"
#include "zta/auth/delegation.h"
#include "zta/auth/delegation_config.h"
#include "zta/core/clock.h"
#include "zta/core/toml_reader.h"

namespace zta::cli {
namespace {

struct TokenGetFlags {
  std::string config;
  std::string issuer;
  std::string token_endpoint;
  std::string client_id;
  std::string auth_method;
  std::string client_secret_env;
  std::string client_secret_file;
  std::string private_key;
  std::string assertion_audience;
  std::string resource;
  std::vector<std::string> scopes;
  std::string on_behalf_of;
  bool json = false;
};

// The [delegation] table of the file at `path`, when it has one (docs/auth.md "[delegation]").
Result<std::optional<auth::DelegationSettings>> LoadDelegationSettings(const std::string& path) {
  std::optional<auth::DelegationSettings> settings;
  ZTA_ASSIGN_OR_RETURN(std::string text, ReadTextFile(path));
  Status read = ParseToml(text, [&](const toml::table& root) -> Status {
    if (!root.contains("delegation")) return Status::Ok();
    const toml::table* table = root["delegation"].as_table();
    if (table == nullptr) return InvalidArgument("[delegation] must be a table");
    ZTA_ASSIGN_OR_RETURN(settings, auth::ReadDelegationSettings(*table, "delegation."));
    return Status::Ok();
  });
  if (!read.ok()) return read.WithContext(path);
  return settings;
}

// The user's token through the file's [delegation]: the loopback listener prints the
// authorization URL on stderr and waits for the redirect (consent = "loopback"); with
// consent = "none" there is nobody to ask, so the answer is consent_required.
Result<auth::AccessToken> GetTokenOnBehalfOf(const auth::DelegationSettings& settings,
                                             auth::DelegationOptions options,
                                             auth::AuthProvider& agent,
                                             const auth::TokenRequest& request) {
  std::unique_ptr<auth::LoopbackConsentHandler> consent;
  if (settings.consent == "loopback") {
    auth::LoopbackConsentOptions loopback;
    loopback.port = static_cast<int>(settings.loopback_port);
    loopback.out = &std::cerr;  // stdout is the token
    ZTA_ASSIGN_OR_RETURN(consent, auth::LoopbackConsentHandler::Start(std::move(loopback)));
  }
  ZTA_ASSIGN_OR_RETURN(std::unique_ptr<auth::DelegatedTokenSource> source,
                       auth::DelegatedTokenSource::Create(std::move(options), agent, consent.get(),
                                                          SystemClock::Instance()));
  return source->GetToken(request);
}

// The credential flags laid over the config file's: at most one of a secret from the
// environment, a secret file or a private key; --auth-method last.
Status ApplyCredentialFlags(const TokenGetFlags& f, auth::AuthProviderOptions& o) {
  int credential_flags =
      !f.client_secret_env.empty() + !f.client_secret_file.empty() + !f.private_key.empty();
  if (credential_flags > 1) {
    return InvalidArgument("give one of --client-secret-env, --client-secret-file, --private-key");
  }
  auto use_secret = [&o](Secret secret) {
    o.client_secret = std::move(secret);
    o.private_key.reset();
    if (o.auth_method == auth::ClientAuthMethod::kPrivateKeyJwt) {
      o.auth_method = auth::ClientAuthMethod::kClientSecretBasic;
    }
  };
  if (!f.client_secret_env.empty()) {
    const char* value = std::getenv(f.client_secret_env.c_str());
    if (value == nullptr || *value == '\0') {
      return InvalidArgument("environment variable " + f.client_secret_env + " is not set");
    }
    use_secret(Secret(value));
  }
  if (!f.client_secret_file.empty()) {
    auto secret = auth::ReadSecretFile(f.client_secret_file);
    if (!secret.ok()) return InvalidArgument(secret.status().ToString());
    use_secret(std::move(secret).value());
  }
  if (!f.private_key.empty()) {
    auto key = auth::ReadPrivateKeyFile(f.private_key);
    if (!key.ok()) return InvalidArgument(key.status().ToString());
    o.private_key = std::move(key).value();
    o.auth_method = auth::ClientAuthMethod::kPrivateKeyJwt;
  }
  if (!f.auth_method.empty()) {
    auto method = auth::ParseClientAuthMethod(f.auth_method);
    if (!method.ok()) return InvalidArgument(method.status().message());
    o.auth_method = *method;
  }
  return Status::Ok();
}

// The token on stdout (alone, or as JSON with --json) and the bearer warning on stderr.
void PrintToken(const auth::AccessToken& token, bool json) {
  const int64_t ttl = token.expires_at - SystemClock::Instance().NowSeconds();
  if (json) {
    std::string scope;
    for (const auto& s : token.scopes) scope += (scope.empty() ? "" : " ") + s;
    std::cout << DumpJson(Json{{"access_token", token.value.Reveal()},
                               {"token_type", token.token_type},
                               {"expires_at", token.expires_at},
                               {"scope", scope},
                               {"jti", token.jti}})
              << "\n";
  } else {
    std::cout << token.value.Reveal() << "\n";
  }
  std::cerr << "zta: warning: the token on stdout is a bearer secret (jti " << token.jti
            << ", expires in " << ttl << " s); do not log or share it\n";
}

int TokenGet(const TokenGetFlags& f) {
  auth::AuthProviderOptions o;
  std::optional<auth::DelegationSettings> delegation;
  if (!f.config.empty()) {
    auto loaded = auth::LoadAuthConfig(f.config);
    if (!loaded.ok()) return UsageError(loaded.status().ToString());
    o = std::move(loaded).value();
    if (!f.on_behalf_of.empty()) {
      auto settings = LoadDelegationSettings(f.config);
      if (!settings.ok()) return UsageError(settings.status().ToString());
      delegation = std::move(settings).value();
    }
  }
  if (!f.on_behalf_of.empty() && !delegation) {
    return UsageError("--on-behalf-of needs a --config file with [auth] and [delegation] tables");
  }
  if (!f.issuer.empty()) o.issuer = f.issuer;
  if (!f.token_endpoint.empty()) o.token_endpoint = f.token_endpoint;
  if (!f.client_id.empty()) o.client_id = f.client_id;
  if (!f.assertion_audience.empty()) o.assertion_audience = f.assertion_audience;
  if (Status applied = ApplyCredentialFlags(f, o); !applied.ok()) {
    return UsageError(applied.message());
  }
  if (o.dpop && !o.dpop_key) {
    // RFC 9449: a bound token is usable only with its key, and a generated one ends with us.
    return UsageError("dpop = true needs dpop_key_file here: a token bound to a key generated "
                      "for this command could never be presented");
  }
  auth::TokenRequest request;
  request.resource = f.resource.empty() ? o.default_resource : f.resource;
  request.scopes = f.scopes.empty() ? o.default_scopes : f.scopes;
  if (request.resource.empty()) return UsageError("--resource is required (RFC 8707 resource)");

  request.on_behalf_of = f.on_behalf_of;

  auto provider = auth::AuthProvider::Create(std::move(o), SystemClock::Instance());
  if (!provider.ok()) return UsageError(provider.status().message());
  std::optional<auth::DelegationOptions> delegation_options;
  if (delegation) {
    // A [delegation] the SDK refuses is a configuration error, before anyone is asked.
    auto resolved = auth::ResolveDelegationSettings(*delegation);
    if (!resolved.ok()) return UsageError("[delegation]: " + resolved.status().ToString());
    delegation_options = std::move(resolved).value();
  }
  auto token = delegation ? GetTokenOnBehalfOf(*delegation, std::move(*delegation_options),
                                               **provider, request)
                          : (*provider)->GetToken(request);
  if (!token.ok()) {
    std::cerr << "zta: " << token.status().ToString() << "\n";
    return kExitCheckFailed;
  }
  PrintToken(*token, f.json);
  return kExitOk;
}

}  // namespace

void RegisterTokenCommands(CLI::App& app) {
  CLI::App* token = app.add_subcommand("token", "obtain access tokens as an agent (for scripts)");
  token->require_subcommand(1);
  auto f = std::make_shared<TokenGetFlags>();
  CLI::App* get = token->add_subcommand(
      "get", "print an access token (client credentials, RFC 6749 §4.4, RFC 8707 resource)");
  get->add_option("--config", f->config, "TOML file with an [auth] table (docs/auth.md)");
  get->add_option("--issuer", f->issuer, "issuer URL; the token endpoint comes from discovery");
  get->add_option("--token-endpoint", f->token_endpoint, "token endpoint (default: discovery)");
  get->add_option("--client-id", f->client_id, "this agent's client_id");
  get->add_option("--auth-method", f->auth_method,
                  "client_secret_basic (default), client_secret_post or private_key_jwt");
  get->add_option("--client-secret-env", f->client_secret_env,
                  "name of the environment variable holding the client secret");
  get->add_option("--client-secret-file", f->client_secret_file, "file holding the client secret");
  get->add_option("--private-key", f->private_key, "private JWK file (private_key_jwt)");
  get->add_option("--assertion-audience", f->assertion_audience,
                  "aud of the client assertion (default: the issuer)");
  get->add_option("--resource", f->resource, "the API the token is for (its audience)");
  get->add_option("--scope", f->scopes, "a scope to request (repeatable)");
  get->add_option("--on-behalf-of", f->on_behalf_of,
                  "the user to act for: their consent through the --config file's [delegation] "
                  "(loopback: the URL to open is printed on stderr)");
  get->add_flag("--json", f->json, "print the token response as JSON (with jti and expiry)");
  SetAction(get, [f]() { return TokenGet(*f); });
}

}  // namespace zta::cli
