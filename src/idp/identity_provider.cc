// Opening a data folder and administering the registry.
#include "zta/idp/identity_provider.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "zta/core/random.h"
#include "zta/idp/authorization_server.h"
#include "zta/jose/jwk.h"

namespace zta::idp {

Result<std::unique_ptr<IdentityProvider>> IdentityProvider::Open(const std::string& data_dir,
                                                                 KeyManagerOptions key_options,
                                                                 AuditSink& audit,
                                                                 const Clock& clock) {
  if (data_dir.empty()) return InvalidArgument("a data folder is required (--data DIR)");
  if (mkdir(data_dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status(StatusCode::kFailedPrecondition,
                  "cannot create " + data_dir + ": " + std::strerror(errno));
  }
  ZTA_ASSIGN_OR_RETURN(auto store, SqliteIdpStore::Open(data_dir + "/idp.db"));
  std::unique_ptr<IdentityProvider> idp(new IdentityProvider(std::move(store), audit, clock));
  key_options.keys_dir = data_dir + "/keys";
  if (const char* secret = std::getenv("ZTA_IDP_KEY_ENCRYPTION_KEY"); secret && *secret) {
    key_options.encryption_key = Secret(secret);
  }
  ZTA_ASSIGN_OR_RETURN(idp->keys_, KeyManager::Open(*idp->store_, key_options, clock));
  return idp;
}

void IdentityProvider::AuditChange(const std::string& action, const std::string& client_id,
                                   const std::string& resource,
                                   const std::vector<std::string>& scopes) {
  AuditEvent e;
  e.component = "idp";
  e.action = action;
  e.client_id = client_id;
  e.resource = resource;
  e.scopes_granted = scopes;
  e.decision = AuditDecision::kAllow;
  e.time_micros = clock_.NowMicros();
  (void)audit_.Append(std::move(e));
}

Result<KeyRow> IdentityProvider::RotateKeys() {
  ZTA_ASSIGN_OR_RETURN(KeyRow row, keys_->Rotate());
  AuditEvent e;
  e.component = "idp";
  e.action = "keys.rotate";
  e.decision = AuditDecision::kAllow;
  e.time_micros = clock_.NowMicros();
  e.attributes["zta.kid"] = row.kid;
  e.attributes["zta.alg"] = row.alg;
  (void)audit_.Append(std::move(e));
  return row;
}

Result<Json> IdentityProvider::AddResource(const std::string& uri,
                                           const std::vector<std::string>& scopes,
                                           int64_t max_ttl_seconds,
                                           bool with_introspection_secret) {
  auto url = http::ParseUrl(uri);
  if (!url.ok() && uri.rfind("urn:", 0) != 0) {
    return InvalidArgument("resource must be an absolute URI (RFC 8707 §2): " + uri);
  }
  if (uri.find('#') != std::string::npos) {
    return InvalidArgument("resource must not contain a fragment (RFC 8707 §2)");
  }
  if (scopes.empty()) return InvalidArgument("a resource needs at least one scope");
  for (const auto& s : scopes) {
    // RFC 6749 §3.3 scope-token: printable ASCII except space, '"' and '\'.
    for (char c : s) {
      if (c <= 0x20 || c == 0x7f || c == '"' || c == '\\') {
        return InvalidArgument("invalid scope '" + s + "'");
      }
    }
  }
  if (max_ttl_seconds < 0) return InvalidArgument("ttl must not be negative");
  Resource r;
  r.uri = uri;
  r.scopes = scopes;
  r.max_token_ttl_seconds = max_ttl_seconds;
  r.created_at = clock_.NowSeconds();
  Json out = {{"resource", uri}, {"scopes", scopes}, {"max_token_ttl_seconds", max_ttl_seconds}};
  if (with_introspection_secret) {
    ZTA_ASSIGN_OR_RETURN(std::string secret, RandomToken(32));
    r.introspection_secret_digest = DigestSecret(secret);
    out["introspection_client_id"] = uri;
    out["introspection_secret"] = secret;  // shown once
  }
  ZTA_RETURN_IF_ERROR(store_->PutResource(r));
  AuditChange("registry.resource.add", "", uri, scopes);
  return out;
}

Json IdentityProvider::AgentPublicView(const Agent& a) {
  Json allowances = Json::object();
  for (const auto& [uri, scopes] : a.allowances) allowances[uri] = scopes;
  Json j = {{"client_id", a.client_id},
            {"name", a.name},
            {"owner", a.owner},
            {"description", a.description},
            {"model", a.model},
            {"status", a.enabled ? "active" : "disabled"},
            {"token_endpoint_auth_method",
             a.auth_method == ClientAuthMethod::kPrivateKeyJwt ? "private_key_jwt"
                                                                : "client_secret_basic"},
            {"max_token_ttl_seconds", a.max_token_ttl_seconds},
            {"allowances", allowances},
            {"created_at", a.created_at}};
  if (a.auth_method == ClientAuthMethod::kPrivateKeyJwt) j["jwk"] = a.public_jwk;
  return j;
}

Result<Json> IdentityProvider::AddAgent(const AgentSpec& spec) {
  if (spec.name.empty()) return InvalidArgument("an agent needs a name");
  if (spec.owner.empty()) return InvalidArgument("an agent needs an owner (--owner PERSON)");
  ZTA_ASSIGN_OR_RETURN(auto registry, store_->LoadRegistry());
  const Resource* res = registry->FindResource(spec.resource);
  if (!res) {
    return Status(StatusCode::kNotFound, "unknown resource " + spec.resource +
                                             " (add it first: zta idp resource add)");
  }
  for (const auto& s : spec.scopes) {
    if (std::find(res->scopes.begin(), res->scopes.end(), s) == res->scopes.end()) {
      return InvalidArgument("scope " + s + " is not defined by " + spec.resource);
    }
  }
  if (spec.scopes.empty()) return InvalidArgument("an agent needs at least one scope");
  Agent a;
  ZTA_ASSIGN_OR_RETURN(std::string id, RandomToken(12));
  a.client_id = "agt_" + id;
  a.name = spec.name;
  a.owner = spec.owner;
  a.description = spec.description;
  a.model = spec.model;
  a.max_token_ttl_seconds = spec.max_token_ttl_seconds;
  a.allowances[spec.resource] = spec.scopes;
  a.created_at = clock_.NowSeconds();
  std::string secret;
  if (spec.public_jwk) {
    auto key = jose::Jwk::Parse(*spec.public_jwk);
    if (!key.ok()) return key.status().WithContext("agent key");
    a.auth_method = ClientAuthMethod::kPrivateKeyJwt;
    a.public_jwk = key->ToPublicJson();
  } else {
    // 256 bits from the system's CSPRNG; only its digest is stored.
    ZTA_ASSIGN_OR_RETURN(secret, RandomToken(32));
    a.secret_digest = DigestSecret(secret);
  }
  ZTA_RETURN_IF_ERROR(store_->PutAgent(a));
  AuditChange("registry.agent.add", a.client_id, spec.resource, spec.scopes);
  Json out = AgentPublicView(a);
  if (!secret.empty()) out["client_secret"] = secret;
  return out;
}

Result<Json> IdentityProvider::ListAgents() {
  ZTA_ASSIGN_OR_RETURN(auto registry, store_->LoadRegistry());
  Json out = Json::array();
  for (const auto& [id, a] : registry->agents) out.push_back(AgentPublicView(a));
  return out;
}

Result<Json> IdentityProvider::ListResources() {
  ZTA_ASSIGN_OR_RETURN(auto registry, store_->LoadRegistry());
  Json out = Json::array();
  for (const auto& [uri, r] : registry->resources) {
    out.push_back({{"resource", uri},
                   {"scopes", r.scopes},
                   {"max_token_ttl_seconds", r.max_token_ttl_seconds},
                   {"introspection", !r.introspection_secret_digest.empty()}});
  }
  return out;
}

Result<Json> IdentityProvider::ShowAgent(const std::string& client_id) {
  ZTA_ASSIGN_OR_RETURN(auto registry, store_->LoadRegistry());
  const Agent* a = registry->FindAgent(client_id);
  if (!a) return NotFound("no agent " + client_id);
  return AgentPublicView(*a);
}

Status IdentityProvider::SetAgentEnabled(const std::string& client_id, bool enabled) {
  ZTA_ASSIGN_OR_RETURN(auto registry, store_->LoadRegistry());
  const Agent* a = registry->FindAgent(client_id);
  if (!a) return NotFound("no agent " + client_id);
  Agent copy = *a;
  copy.enabled = enabled;
  ZTA_RETURN_IF_ERROR(store_->PutAgent(copy));
  AuditChange(enabled ? "registry.agent.enable" : "registry.agent.disable", client_id, "", {});
  return Status::Ok();
}

Status IdentityProvider::DeleteAgent(const std::string& client_id) {
  ZTA_ASSIGN_OR_RETURN(auto registry, store_->LoadRegistry());
  if (!registry->FindAgent(client_id)) return NotFound("no agent " + client_id);
  ZTA_RETURN_IF_ERROR(store_->DeleteAgent(client_id));
  AuditChange("registry.agent.delete", client_id, "", {});
  return Status::Ok();
}

}  // namespace zta::idp
