// AuthProvider's token exchange (RFC 8693 §2.1): the token another agent handed over (the user's
// authority, subject_token) and this agent's own client-credentials token (actor_token) become
// one token whose act chain has this agent outermost (RFC 8693 §4.1). Never logs or puts into an
// error message either token.
#include <algorithm>

#include "oauth_answer.h"
#include "zta/auth/auth_provider.h"
#include "zta/auth/reasons.h"
#include "zta/core/json.h"
#include "zta/core/scopes.h"

namespace zta::auth {

Result<AccessToken> AuthProvider::Exchange(const TokenRequest& request,
                                           const std::vector<std::string>& scopes) {
  // The actor token first: the agent's own identity, for the same resource (default scopes).
  TokenRequest own;
  own.resource = request.resource;
  own.trace_id = request.trace_id;
  auto actor = GetToken(own);
  if (!actor.ok()) return actor.status().WithContext("the agent's actor token");

  const auto deadline = std::chrono::steady_clock::now() + options_.deadline;
  ZTA_ASSIGN_OR_RETURN(std::string endpoint, TokenEndpoint(deadline));
  std::vector<std::pair<std::string, std::string>> form = {
      {"grant_type", "urn:ietf:params:oauth:grant-type:token-exchange"},
      {"subject_token", request.subject_token.Reveal()},
      {"subject_token_type", request.subject_token_type},
      {"actor_token", actor->value.Reveal()},
      {"actor_token_type", kAccessTokenType},
      // RFC 8693 §2.1: only access tokens; a JWT or refresh token is not what an API takes.
      {"requested_token_type", kAccessTokenType},
  };
  if (options_.send_resource_indicator) form.emplace_back("resource", request.resource);
  if (!scopes.empty()) form.emplace_back("scope", JoinSpaceDelimited(scopes));
  if (!request.authorization_details.is_null()) {  // RFC 9396 §6: only a subset is granted
    form.emplace_back("authorization_details", DumpJson(request.authorization_details));
  }
  ZTA_ASSIGN_OR_RETURN(http::Response response,
                       PostForm(endpoint, form, deadline, true, request.trace_id));
  if (response.status != 200) return internal::OAuthErrorFromResponse("token endpoint", response);

  const int64_t now = clock_.NowSeconds();
  ZTA_ASSIGN_OR_RETURN(
      AccessToken token,
      internal::ParseTokenResponse(response.body, request.resource, scopes, now, dpop_key_));
  // RFC 8693 §2.2.1: issued_token_type is REQUIRED; anything but an access token is not usable
  // as a bearer token at an API.
  auto json = ParseJsonStrict(response.body);
  const Json* type = nullptr;
  if (json.ok() && json->is_object()) {
    if (auto it = json->find("issued_token_type"); it != json->end()) type = &*it;
  }
  if (type == nullptr || !type->is_string() || type->get<std::string>() != kAccessTokenType) {
    return Status(StatusCode::kFailedPrecondition,
                  "token response: issued_token_type is not an access token",
                  kReasonBadTokenResponse);
  }
  // Never served past either token it was made from: the identity provider caps exp at the
  // subject token's, and the SDK does not trust that blindly.
  token.expires_at = std::min(token.expires_at, actor->expires_at);
  const Json subject = internal::PeekClaims(request.subject_token.Reveal());
  if (subject.is_object()) {
    if (auto it = subject.find("exp"); it != subject.end() && it->is_number()) {
      token.expires_at = std::min(token.expires_at, static_cast<int64_t>(it->get<double>()));
    }
  }
  if (token.expires_at <= now) {
    return Status(StatusCode::kFailedPrecondition, "the subject or actor token has already expired",
                  kReasonBadTokenResponse);
  }
  return token;
}

}  // namespace zta::auth
