// Checks of an authorization request, in the order RFC 6749 §4.1.2.1 asks for: who the client
// is and where to answer first (a page when either is wrong), then the rest (an error code
// sent to the redirect URI).
#include "authorization_request.h"

#include <algorithm>

#include "../redirect_uri.h"
#include "details_schema.h"
#include "zta/core/scopes.h"
#include "zta/http/message.h"

namespace zta::idp::browser {
namespace {

AuthorizationRefusal OnPage(int status, std::string error, std::string description) {
  AuthorizationRefusal r;
  r.on_page = true;
  r.page_status = status;
  r.error = std::move(error);
  r.description = std::move(description);
  return r;
}

bool IsS256Challenge(const std::string& challenge) {
  // RFC 7636 §4.2: BASE64URL(SHA256(verifier)) is 43 characters.
  if (challenge.size() != 43) return false;
  return std::all_of(challenge.begin(), challenge.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

// What is wrong with a request whose redirect URI is known: an error code and its description,
// sent there (RFC 6749 §4.1.2.1).
struct Problem {
  std::string error;
  std::string description;
};

// response_type=code, PKCE S256, prompt, login_hint and nonce, into `r`.
std::optional<Problem> ReadResponseParameters(const FormFields& fields, AuthorizationRequest& r) {
  const std::string& response_type = Field(fields, "response_type");
  if (response_type.empty()) return Problem{"invalid_request", "response_type is missing"};
  if (response_type != "code") {
    return Problem{"unsupported_response_type", "only response_type=code is supported"};
  }
  // RFC 9700 §2.1.1 / OAuth 2.1: PKCE for every client, S256 only.
  const std::string& method = Field(fields, "code_challenge_method");
  r.code_challenge = Field(fields, "code_challenge");
  if (r.code_challenge.empty()) return Problem{"invalid_request", "code_challenge is required"};
  if (method != "S256") return Problem{"invalid_request", "code_challenge_method must be S256"};
  if (!IsS256Challenge(r.code_challenge)) {
    return Problem{"invalid_request", "code_challenge is not an S256 challenge"};
  }
  r.prompt = Field(fields, "prompt");
  if (!r.prompt.empty() && r.prompt != "login" && r.prompt != "consent" && r.prompt != "none") {
    return Problem{"invalid_request", "prompt must be login, consent or none"};
  }
  r.login_hint = Field(fields, "login_hint");
  if (r.login_hint.size() > 256) return Problem{"invalid_request", "login_hint is too long"};
  r.nonce = Field(fields, "nonce");
  if (r.nonce.size() > 512) return Problem{"invalid_request", "nonce is too long"};
  return std::nullopt;
}

// The requested actor, if any: an enabled agent with an allowance at r.resource.
std::optional<Problem> ReadRequestedActor(const FormFields& fields,
                                          const RegistrySnapshot& registry, AuthorizationRequest& r,
                                          const Agent** agent) {
  *agent = nullptr;
  r.agent_id = Field(fields, "requested_actor");
  if (r.agent_id.empty()) return std::nullopt;
  *agent = registry.FindAgent(r.agent_id);
  if (*agent == nullptr || !(*agent)->enabled) {
    return Problem{"invalid_request", "requested_actor is not an enabled agent"};
  }
  if (!(*agent)->allowances.contains(r.resource)) {
    return Problem{"invalid_request", "requested_actor may not act at this resource"};
  }
  return std::nullopt;
}

// The scopes, without repeats: OIDC scopes, or the resource's that the agent (if any) may get.
std::optional<Problem> ReadScopes(const FormFields& fields, const Resource& resource,
                                  const Agent* agent, AuthorizationRequest& r) {
  for (const std::string& scope : SplitSpaceDelimited(Field(fields, "scope"))) {
    if (std::find(r.scopes.begin(), r.scopes.end(), scope) != r.scopes.end()) continue;
    if (!IsOpenIdScope(scope)) {
      bool defined =
          std::find(resource.scopes.begin(), resource.scopes.end(), scope) != resource.scopes.end();
      if (!defined) return Problem{"invalid_scope", "scope " + scope + " is not the resource's"};
      if (agent != nullptr) {
        const auto& allowed = agent->allowances.at(r.resource);
        if (std::find(allowed.begin(), allowed.end(), scope) == allowed.end()) {
          return Problem{"invalid_scope", "the agent may not be given scope " + scope};
        }
      }
    }
    r.scopes.push_back(scope);
  }
  return std::nullopt;
}

// RFC 9396 §2, into r.authorization_details (ParseAuthorizationDetails).
std::optional<Problem> ReadAuthorizationDetails(const FormFields& fields, const Resource& resource,
                                                AuthorizationRequest& r) {
  if (auto why = ParseAuthorizationDetails(Field(fields, "authorization_details"), resource,
                                           &r.authorization_details)) {
    return Problem{"invalid_authorization_details", *std::move(why)};
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> ParseAuthorizationDetails(const std::string& details,
                                                     const Resource& resource, Json* out) {
  *out = Json();
  if (details.empty()) return std::nullopt;
  JsonLimits limits;
  limits.max_depth = 8;
  limits.max_bytes = 16 * 1024;
  auto parsed = ParseJsonStrict(details, limits);
  if (!parsed.ok() || !parsed->is_array() || parsed->empty() || parsed->size() > 16) {
    return "authorization_details must be a JSON array of 1 to 16 objects";
  }
  for (const Json& entry : *parsed) {
    if (!entry.is_object() || !entry.contains("type") || !entry["type"].is_string()) {
      return "each entry needs a string type";
    }
    const std::string type = entry["type"].get<std::string>();
    auto declared = resource.details_types.find(type);
    if (declared == resource.details_types.end()) {
      return "type " + type + " is not declared by the resource";
    }
    std::string why;
    if (!MatchesSchema(declared->second.schema, entry, &why)) return type + ": " + why;
  }
  *out = std::move(*parsed);
  return std::nullopt;
}

bool IsOpenIdScope(const std::string& scope) {
  return scope == "openid" || scope == "profile" || scope == "email";
}

const App* CheckClient(const FormFields& fields, const RegistrySnapshot& registry,
                       AuthorizationRefusal* refusal) {
  const std::string& client_id = Field(fields, "client_id");
  if (client_id.empty()) {
    *refusal = OnPage(400, "invalid_request", "The request names no application (client_id).");
    return nullptr;
  }
  const App* app = registry.FindApp(client_id);
  if (app == nullptr || !app->enabled) {
    *refusal = OnPage(400, "invalid_client", "The application is not registered here.");
    return nullptr;
  }
  const std::string& redirect_uri = Field(fields, "redirect_uri");
  // Exact match, loopback ports aside (redirect_uri.h; RFC 9700 §4.1.3, RFC 8252 §7.3).
  // RFC 6749 §3.1.2.3 lets a client with one registered URI omit it; OAuth 2.1 and the token
  // endpoint's exact comparison want it always, so zta requires it.
  if (redirect_uri.empty() || !RedirectUriMatches(*app, redirect_uri)) {
    *refusal =
        OnPage(400, "invalid_request", "The return address is not one the application registered.");
    return nullptr;
  }
  return app;
}

std::optional<AuthorizationRefusal> ReadAuthorizationRequest(const FormFields& fields,
                                                             const App& app,
                                                             const RegistrySnapshot& registry,
                                                             AuthorizationRequest* out) {
  AuthorizationRequest r;
  r.app_id = app.client_id;
  r.redirect_uri = Field(fields, "redirect_uri");
  r.state = Field(fields, "state");
  auto refuse = [&](Problem problem) {
    AuthorizationRefusal refusal;
    refusal.error = std::move(problem.error);
    refusal.description = std::move(problem.description);
    refusal.redirect_uri = r.redirect_uri;
    refusal.state = r.state;
    return refusal;
  };
  if (r.state.size() > 1024) return refuse({"invalid_request", "state is too long"});
  if (auto problem = ReadResponseParameters(fields, r)) return refuse(*std::move(problem));

  // RFC 8707 §2: one resource, registered here.
  r.resource = Field(fields, "resource");
  if (r.resource.empty()) return refuse({"invalid_target", "resource is required"});
  const Resource* resource = registry.FindResource(r.resource);
  if (resource == nullptr) return refuse({"invalid_target", "the resource is not registered"});

  const Agent* agent = nullptr;
  if (auto problem = ReadRequestedActor(fields, registry, r, &agent)) {
    return refuse(*std::move(problem));
  }
  if (auto problem = ReadScopes(fields, *resource, agent, r)) return refuse(*std::move(problem));
  if (auto problem = ReadAuthorizationDetails(fields, *resource, r)) {
    return refuse(*std::move(problem));
  }
  *out = std::move(r);
  return std::nullopt;
}

std::string AppendQuery(const std::string& uri,
                        const std::vector<std::pair<std::string, std::string>>& params) {
  std::string base = uri;
  if (size_t hash = base.find('#'); hash != std::string::npos) base.resize(hash);
  char sep = base.find('?') == std::string::npos ? '?' : '&';
  if (!base.empty() && (base.back() == '?' || base.back() == '&')) sep = '\0';
  std::string encoded = http::FormEncode(params);
  if (encoded.empty()) return base;
  if (sep != '\0') base.push_back(sep);
  return base + encoded;
}

}  // namespace zta::idp::browser
