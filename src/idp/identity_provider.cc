// Opening a data folder and administering the registry.
#include "zta/idp/identity_provider.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "redirect_uri.h"
#include "zta/core/random.h"
#include "zta/core/scopes.h"
#include "zta/idp/authorization_server.h"
#include "zta/idp/password.h"
#include "zta/jose/jwk.h"

namespace zta::idp {

Result<std::unique_ptr<IdentityProvider>> IdentityProvider::Open(const std::string& data_dir,
                                                                 KeyManagerOptions key_options,
                                                                 AuditSink& audit,
                                                                 const Clock& clock) {
  return Open(IdpLocation{.data_dir = data_dir, .store_url = {}}, std::move(key_options), audit,
              clock);
}

Result<std::unique_ptr<IdentityProvider>> IdentityProvider::Open(const IdpLocation& where,
                                                                 KeyManagerOptions key_options,
                                                                 AuditSink& audit,
                                                                 const Clock& clock) {
  if (const char* secret = std::getenv("ZTA_IDP_KEY_ENCRYPTION_KEY"); secret && *secret) {
    key_options.encryption_key = Secret(secret);
  }
  std::unique_ptr<SqlIdpStore> store;
  if (!where.store_url.empty()) {
    // Checked before connecting: a node without the key must not even migrate the database.
    if (!key_options.encryption_key) {
      return Status(StatusCode::kFailedPrecondition,
                    "a PostgreSQL store keeps the signing keys sealed in the database: set "
                    "ZTA_IDP_KEY_ENCRYPTION_KEY (the same on every node)");
    }
    ZTA_ASSIGN_OR_RETURN(store, SqlIdpStore::OpenPostgres(where.store_url));
    key_options.keys_in_store = true;
  } else {
    if (where.data_dir.empty()) return InvalidArgument("a data folder is required (--data DIR)");
    if (mkdir(where.data_dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return Status(StatusCode::kFailedPrecondition,
                    "cannot create " + where.data_dir + ": " + std::strerror(errno));
    }
    ZTA_ASSIGN_OR_RETURN(store, SqlIdpStore::Open(where.data_dir + "/idp.db"));
    key_options.keys_dir = where.data_dir + "/keys";
  }
  std::unique_ptr<IdentityProvider> idp(new IdentityProvider(std::move(store), audit, clock));
  ZTA_ASSIGN_OR_RETURN(idp->keys_, KeyManager::Open(*idp->store_, key_options, clock));
  return idp;
}

void IdentityProvider::AuditChange(const std::string& action, const std::string& client_id,
                                   const std::string& resource,
                                   const std::vector<std::string>& scopes, Json attributes) {
  AuditEvent e;
  e.attributes = std::move(attributes);
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

namespace {

// The "{field}" names of a consent template; an unbalanced brace or an empty or odd field name
// is an error, so that a typo shows at registration rather than on a consent page.
Result<std::vector<std::string>> TemplateFields(const std::string& text) {
  std::vector<std::string> fields;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '}') return InvalidArgument("unmatched '}' in details text: " + text);
    if (text[i] != '{') continue;
    size_t close = text.find('}', i + 1);
    if (close == std::string::npos)
      return InvalidArgument("unmatched '{' in details text: " + text);
    std::string name = text.substr(i + 1, close - i - 1);
    if (name.empty()) return InvalidArgument("empty {} in details text: " + text);
    for (char c : name) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') {
        return InvalidArgument("invalid field name {" + name + "} in details text");
      }
    }
    fields.push_back(name);
    i = close;
  }
  return fields;
}

Result<Resource::DetailsType> ParseDetailsType(const DetailsTypeSpec& spec) {
  if (!IsScopeToken(spec.type)) {
    return InvalidArgument(
        "an authorization_details type must be a non-empty word without "
        "spaces or quotes (RFC 9396 §2): '" +
        spec.type + "'");
  }
  auto schema = ParseJsonStrict(spec.schema_json);
  if (!schema.ok() || !schema->is_object()) {
    return InvalidArgument("the schema of details type " + spec.type +
                           " must be a JSON object (a JSON Schema)");
  }
  if (schema->contains("type") && (*schema)["type"] != "object") {
    return InvalidArgument("the schema of details type " + spec.type +
                           " must describe an object (\"type\": \"object\"): each "
                           "authorization_details entry is one (RFC 9396 §2)");
  }
  if (spec.text.empty()) {
    return InvalidArgument("details type " + spec.type + " needs a text for the consent page");
  }
  ZTA_ASSIGN_OR_RETURN(std::vector<std::string> fields, TemplateFields(spec.text));
  if (auto props = schema->find("properties"); props != schema->end() && props->is_object()) {
    for (const auto& f : fields) {
      if (f != "type" && !props->contains(f)) {
        return InvalidArgument("details text of " + spec.type + " names {" + f +
                               "}, which its schema's properties do not define");
      }
    }
  }
  Resource::DetailsType t;
  t.schema = std::move(*schema);
  t.text = spec.text;
  return t;
}

}  // namespace

Result<Json> IdentityProvider::AddResource(const std::string& uri,
                                           const std::vector<std::string>& scopes,
                                           int64_t max_ttl_seconds,
                                           bool with_introspection_secret) {
  ResourceSpec spec;
  spec.uri = uri;
  spec.scopes = scopes;
  spec.max_ttl_seconds = max_ttl_seconds;
  spec.with_introspection_secret = with_introspection_secret;
  return AddResource(spec);
}

Result<Json> IdentityProvider::AddResource(const ResourceSpec& spec) {
  const std::string& uri = spec.uri;
  auto url = http::ParseUrl(uri);
  if (!url.ok() && uri.rfind("urn:", 0) != 0) {
    return InvalidArgument("resource must be an absolute URI (RFC 8707 §2): " + uri);
  }
  if (uri.find('#') != std::string::npos) {
    return InvalidArgument("resource must not contain a fragment (RFC 8707 §2)");
  }
  if (spec.scopes.empty()) return InvalidArgument("a resource needs at least one scope");
  for (const auto& s : spec.scopes) {
    if (!IsScopeToken(s)) return InvalidArgument("invalid scope '" + s + "'");
  }
  if (spec.max_ttl_seconds < 0) return InvalidArgument("ttl must not be negative");
  Resource r;
  r.uri = uri;
  r.scopes = spec.scopes;
  r.max_token_ttl_seconds = spec.max_ttl_seconds;
  r.created_at = clock_.NowSeconds();
  for (const auto& [scope, text] : spec.scope_descriptions) {
    if (std::find(spec.scopes.begin(), spec.scopes.end(), scope) == spec.scopes.end()) {
      return InvalidArgument("--scope-description for " + scope +
                             ", which is not one of the resource's scopes");
    }
    if (text.empty()) return InvalidArgument("the description of scope " + scope + " is empty");
    r.scope_descriptions[scope] = text;
  }
  for (const auto& d : spec.details_types) {
    if (r.details_types.count(d.type)) {
      return InvalidArgument("details type " + d.type + " given twice");
    }
    ZTA_ASSIGN_OR_RETURN(r.details_types[d.type], ParseDetailsType(d));
  }
  Json out = ResourcePublicView(r);
  if (spec.with_introspection_secret) {
    ZTA_ASSIGN_OR_RETURN(std::string secret, RandomToken(32));
    r.introspection_secret_digest = DigestSecret(secret);
    out["introspection"] = true;
    out["introspection_client_id"] = uri;
    out["introspection_secret"] = secret;  // shown once
  }
  ZTA_RETURN_IF_ERROR(store_->PutResource(r));
  AuditChange("registry.resource.add", "", uri, spec.scopes);
  return out;
}

Json IdentityProvider::ResourcePublicView(const Resource& r) {
  Json details = Json::object();
  for (const auto& [type, d] : r.details_types) {
    details[type] = {{"schema", d.schema}, {"text", d.text}};
  }
  return {{"resource", r.uri},
          {"scopes", r.scopes},
          {"max_token_ttl_seconds", r.max_token_ttl_seconds},
          {"introspection", !r.introspection_secret_digest.empty()},
          {"scope_descriptions", r.scope_descriptions},
          {"details_types", details}};
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
            {"token_endpoint_auth_method", a.auth_method == ClientAuthMethod::kPrivateKeyJwt
                                               ? "private_key_jwt"
                                               : "client_secret_basic"},
            {"max_token_ttl_seconds", a.max_token_ttl_seconds},
            {"dpop_bound_access_tokens", a.require_dpop},  // RFC 9449 §5.2
            {"allowances", allowances},
            {"created_at", a.created_at}};
  if (a.auth_method == ClientAuthMethod::kPrivateKeyJwt) j["jwk"] = a.public_jwk;
  if (!a.federated_subjects.empty()) {
    Json subjects = Json::array();
    for (const auto& f : a.federated_subjects) {
      subjects.push_back({{"issuer", f.issuer}, {"subject", f.subject}});
    }
    j["federated_subjects"] = subjects;
  }
  return j;
}

Result<Json> IdentityProvider::AddAgent(const AgentSpec& spec) {
  if (spec.name.empty()) return InvalidArgument("an agent needs a name");
  if (spec.owner.empty()) return InvalidArgument("an agent needs an owner (--owner PERSON)");
  ZTA_ASSIGN_OR_RETURN(auto registry, store_->LoadRegistry());
  const Resource* res = registry->FindResource(spec.resource);
  if (!res) {
    return Status(StatusCode::kNotFound,
                  "unknown resource " + spec.resource + " (add it first: zta idp resource add)");
  }
  for (const auto& s : spec.scopes) {
    if (std::find(res->scopes.begin(), res->scopes.end(), s) == res->scopes.end()) {
      return InvalidArgument("scope " + s + " is not defined by " + spec.resource);
    }
  }
  if (spec.scopes.empty()) return InvalidArgument("an agent needs at least one scope");
  ZTA_RETURN_IF_ERROR(ValidateFederatedSubjects(spec.federated_subjects, *registry));
  Agent a;
  ZTA_ASSIGN_OR_RETURN(std::string id, RandomToken(12));
  a.client_id = "agt_" + id;
  a.name = spec.name;
  a.owner = spec.owner;
  a.description = spec.description;
  a.model = spec.model;
  a.max_token_ttl_seconds = spec.max_token_ttl_seconds;
  a.require_dpop = spec.require_dpop;
  a.allowances[spec.resource] = spec.scopes;
  a.federated_subjects = spec.federated_subjects;
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
  // Name and owner in the log, so an auditor reading it alone (`zta audit who`) can say who
  // is accountable for the agent.
  AuditChange("registry.agent.add", a.client_id, spec.resource, spec.scopes,
              Json{{"gen_ai.agent.id", a.client_id},
                   {"gen_ai.agent.name", a.name},
                   {"zta.agent.owner", a.owner}});
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
  for (const auto& [uri, r] : registry->resources) out.push_back(ResourcePublicView(r));
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

// --- users -------------------------------------------------------------------------------------

namespace {

// Login names: 1..64 bytes of printable ASCII without spaces; not "u-..." so that a name is never
// mistaken for an id where commands take either.
Status CheckUsername(const std::string& name) {
  if (name.empty() || name.size() > 64) {
    return InvalidArgument("a user name must be 1 to 64 characters");
  }
  for (char c : name) {
    if (c <= 0x20 || c >= 0x7f) {
      return InvalidArgument("a user name must be printable ASCII without spaces: " + name);
    }
  }
  if (name.rfind("u-", 0) == 0) {
    return InvalidArgument("a user name must not start with \"u-\" (user ids do)");
  }
  return Status::Ok();
}

Status CheckEmail(const std::string& email) {
  if (email.empty()) return Status::Ok();
  size_t at = email.find('@');
  bool bad = at == std::string::npos || at == 0 || at + 1 == email.size() ||
             email.find('@', at + 1) != std::string::npos || email.size() > 254;
  for (char c : email) bad = bad || c <= 0x20 || c == 0x7f;
  return bad ? InvalidArgument("not an email address: " + email) : Status::Ok();
}

Status CheckDisplayName(const std::string& name) {
  if (name.size() > 200) return InvalidArgument("a display name must be at most 200 bytes");
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return InvalidArgument("a display name must not contain control characters");
    }
  }
  return Status::Ok();
}

}  // namespace

Json IdentityProvider::UserPublicView(const User& u) {
  return {{"id", u.id},
          {"username", u.username},
          {"email", u.email},
          {"display_name", u.display_name},
          {"status", u.enabled ? "active" : "disabled"},
          {"created_at", u.created_at}};
}

void IdentityProvider::AuditUserChange(const std::string& action, const User& user) {
  AuditEvent e;
  e.component = "idp";
  e.action = action;
  e.subject = user.id;
  e.decision = AuditDecision::kAllow;
  e.time_micros = clock_.NowMicros();
  e.attributes["zta.username"] = user.username;
  (void)audit_.Append(std::move(e));
}

Result<User> IdentityProvider::FindUser(const std::string& id_or_name) {
  ZTA_ASSIGN_OR_RETURN(auto registry, store_->LoadRegistry());
  const User* u = registry->FindUser(id_or_name);
  if (!u) u = registry->FindUserByName(id_or_name);
  if (!u) return NotFound("no user " + id_or_name);
  return *u;
}

Result<Json> IdentityProvider::AddUser(const std::string& username, const std::string& email,
                                       const std::string& display_name, const Secret& password) {
  ZTA_RETURN_IF_ERROR(CheckUsername(username));
  ZTA_RETURN_IF_ERROR(CheckEmail(email));
  ZTA_RETURN_IF_ERROR(CheckDisplayName(display_name));
  ZTA_ASSIGN_OR_RETURN(auto registry, store_->LoadRegistry());
  if (registry->FindUserByName(username)) {
    return Status(StatusCode::kAlreadyExists, "a user named " + username + " already exists");
  }
  User u;
  ZTA_ASSIGN_OR_RETURN(std::string id, RandomToken(16));  // 128 bits, never reused
  u.id = "u-" + id;
  u.username = username;
  u.email = email;
  u.display_name = display_name;
  ZTA_ASSIGN_OR_RETURN(u.password_hash, HashPassword(password));
  u.created_at = clock_.NowSeconds();
  ZTA_RETURN_IF_ERROR(store_->PutUser(u));  // the UNIQUE index catches a concurrent add
  AuditUserChange("registry.user.add", u);
  return UserPublicView(u);
}

Result<Json> IdentityProvider::ListUsers() {
  ZTA_ASSIGN_OR_RETURN(auto registry, store_->LoadRegistry());
  Json out = Json::array();
  for (const auto& [id, u] : registry->users) out.push_back(UserPublicView(u));
  return out;
}

Result<Json> IdentityProvider::ShowUser(const std::string& user) {
  ZTA_ASSIGN_OR_RETURN(User u, FindUser(user));
  return UserPublicView(u);
}

Status IdentityProvider::SetUserEnabled(const std::string& user, bool enabled) {
  ZTA_ASSIGN_OR_RETURN(User u, FindUser(user));
  u.enabled = enabled;
  ZTA_RETURN_IF_ERROR(store_->PutUser(u));
  AuditUserChange(enabled ? "registry.user.enable" : "registry.user.disable", u);
  return Status::Ok();
}

Status IdentityProvider::DeleteUser(const std::string& user) {
  ZTA_ASSIGN_OR_RETURN(User u, FindUser(user));
  // The grants go first: a user who cannot be found must not leave a live grant behind.
  ZTA_ASSIGN_OR_RETURN(auto grants, store_->ListGrants(u.id));
  for (const auto& g : grants) {
    if (g.revoked_at == 0) {
      ZTA_RETURN_IF_ERROR(store_->RevokeGrant(g.id, clock_.NowSeconds(), "user_deleted"));
    }
  }
  ZTA_RETURN_IF_ERROR(store_->DeleteUser(u.id));
  AuditUserChange("registry.user.delete", u);
  return Status::Ok();
}

Status IdentityProvider::SetUserPassword(const std::string& user, const Secret& password) {
  ZTA_ASSIGN_OR_RETURN(User u, FindUser(user));
  ZTA_ASSIGN_OR_RETURN(u.password_hash, HashPassword(password));
  ZTA_RETURN_IF_ERROR(store_->PutUser(u));
  AuditUserChange("registry.user.passwd", u);
  return Status::Ok();
}

// --- apps --------------------------------------------------------------------------------------

Json IdentityProvider::AppPublicView(const App& a) {
  return {{"client_id", a.client_id},
          {"name", a.name},
          {"client_type", a.is_public ? "public" : "confidential"},
          {"token_endpoint_auth_method", a.is_public ? "none" : "client_secret_basic"},
          {"redirect_uris", a.redirect_uris},
          {"post_logout_redirect_uris", a.post_logout_redirect_uris},
          {"require_pushed_authorization_requests", a.require_par},
          {"dpop_bound_access_tokens", a.require_dpop},  // RFC 9449 §5.2
          {"status", a.enabled ? "active" : "disabled"},
          {"created_at", a.created_at}};
}

Result<Json> IdentityProvider::AddApp(const AppSpec& spec) {
  if (spec.name.empty()) return InvalidArgument("an app needs a name");
  if (spec.redirect_uris.empty()) {
    return InvalidArgument("an app needs at least one redirect URI (--redirect-uri URI)");
  }
  for (const auto& uri : spec.redirect_uris) ZTA_RETURN_IF_ERROR(ValidateRedirectUri(uri));
  for (const auto& uri : spec.post_logout_redirect_uris) {
    ZTA_RETURN_IF_ERROR(ValidateRedirectUri(uri).WithContext("post-logout redirect URI"));
  }
  App a;
  ZTA_ASSIGN_OR_RETURN(std::string id, RandomToken(12));
  a.client_id = "app-" + id;
  a.name = spec.name;
  a.redirect_uris = spec.redirect_uris;
  a.post_logout_redirect_uris = spec.post_logout_redirect_uris;
  a.is_public = spec.is_public;
  a.require_par = spec.require_par;
  a.require_dpop = spec.require_dpop;
  a.created_at = clock_.NowSeconds();
  std::string secret;
  if (!spec.is_public) {
    // 256 bits from the system's CSPRNG; only its digest is stored.
    ZTA_ASSIGN_OR_RETURN(secret, RandomToken(32));
    a.secret_digest = DigestSecret(secret);
  }
  ZTA_RETURN_IF_ERROR(store_->PutApp(a));
  AuditChange("registry.app.add", a.client_id, "", {});
  Json out = AppPublicView(a);
  if (!secret.empty()) out["client_secret"] = secret;
  return out;
}

Result<Json> IdentityProvider::ListApps() {
  ZTA_ASSIGN_OR_RETURN(auto registry, store_->LoadRegistry());
  Json out = Json::array();
  for (const auto& [id, a] : registry->apps) out.push_back(AppPublicView(a));
  return out;
}

Result<Json> IdentityProvider::ShowApp(const std::string& client_id) {
  ZTA_ASSIGN_OR_RETURN(auto registry, store_->LoadRegistry());
  const App* a = registry->FindApp(client_id);
  if (!a) return NotFound("no app " + client_id);
  return AppPublicView(*a);
}

Status IdentityProvider::DeleteApp(const std::string& client_id) {
  ZTA_ASSIGN_OR_RETURN(auto registry, store_->LoadRegistry());
  if (!registry->FindApp(client_id)) return NotFound("no app " + client_id);
  ZTA_RETURN_IF_ERROR(store_->DeleteApp(client_id));
  AuditChange("registry.app.delete", client_id, "", {});
  return Status::Ok();
}

}  // namespace zta::idp
