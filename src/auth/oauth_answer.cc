#include "oauth_answer.h"

#include <algorithm>

#include "zta/auth/reasons.h"
#include "zta/core/base64url.h"
#include "zta/core/scopes.h"
#include "zta/http/protocol.h"

namespace zta::auth::internal {

bool IsSnakeCase(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; });
}

std::string Sanitize(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 300)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out;
}

StatusCode CodeForOAuthError(std::string_view error) {
  if (error == "invalid_client") return StatusCode::kUnauthenticated;
  if (error == "invalid_scope" || error == "unauthorized_client" || error == "access_denied" ||
      error == "invalid_grant" || error == "consent_required" || error == "login_required" ||
      error == "interaction_required") {
    return StatusCode::kPermissionDenied;
  }
  if (error == "invalid_target" || error == "invalid_request" ||
      error == "unsupported_grant_type" || error == "invalid_authorization_details" ||
      error == "invalid_request_uri" || error == "unsupported_response_type") {
    return StatusCode::kInvalidArgument;
  }
  return StatusCode::kFailedPrecondition;
}

Status OAuthErrorFromResponse(std::string_view endpoint, const http::Response& response) {
  auto json = ParseJsonStrict(response.body);
  std::string error, description;
  if (json.ok() && json->is_object()) {
    if (auto it = json->find("error"); it != json->end() && it->is_string()) error = *it;
    if (auto it = json->find("error_description"); it != json->end() && it->is_string()) {
      description = Sanitize(it->get<std::string>());
    }
  }
  if (!IsSnakeCase(error)) {
    return Status(StatusCode::kFailedPrecondition,
                  std::string(endpoint) + " answered HTTP " + std::to_string(response.status),
                  kReasonTokenError);
  }
  std::string message = std::string(endpoint) + ": the identity provider refused: " + error;
  if (!description.empty()) message += " (" + description + ")";
  return Status(CodeForOAuthError(error), message, error);
}

Json PeekClaims(std::string_view token) {
  size_t a = token.find('.');
  size_t b = a == std::string_view::npos ? a : token.find('.', a + 1);
  if (b == std::string_view::npos) return Json();
  std::string payload;
  if (!Base64UrlDecodeInto(token.substr(a + 1, b - a - 1), payload)) return Json();
  auto json = ParseJsonStrict(payload);
  return json.ok() && json->is_object() ? *json : Json();
}

// RFC 6749 §5.1: a successful token response as an AccessToken for `resource`, its lifetime the
// shorter of expires_in and the token's own exp, its scopes as granted (or as requested when
// the response omits them).
Result<AccessToken> ParseTokenResponse(std::string_view body, const std::string& resource,
                                       const std::vector<std::string>& scopes, int64_t now,
                                       const std::shared_ptr<DpopKey>& dpop_key) {
  auto json = ParseJsonStrict(body);
  if (!json.ok() || !json->is_object()) {
    return Status(StatusCode::kFailedPrecondition, "token response is not a JSON object",
                  kReasonBadTokenResponse);
  }
  return TokenFromResponse(*json, resource, scopes, now, dpop_key);
}

Result<AccessToken> TokenFromResponse(const Json& response, const std::string& resource,
                                      const std::vector<std::string>& scopes, int64_t now,
                                      const std::shared_ptr<DpopKey>& dpop_key) {
  const Json* json = &response;
  auto bad = [](std::string what) {
    return Status(StatusCode::kFailedPrecondition, "token response: " + what,
                  kReasonBadTokenResponse);
  };
  auto at = json->find("access_token");
  if (at == json->end() || !at->is_string() || at->get_ref<const std::string&>().empty()) {
    return bad("no access_token");
  }
  auto type = json->find("token_type");
  if (type == json->end() || !type->is_string()) return bad("no token_type");
  const std::string& token_type = type->get_ref<const std::string&>();
  AccessToken token;
  // RFC 6749 §7.1 and RFC 9449 §5: token_type is case-insensitive. A DPoP token is usable only
  // with the key whose proof obtained it; without one sent, it is not ours to present.
  if (http::EqualsIgnoreCase(token_type, "DPoP")) {
    if (dpop_key == nullptr) return bad("token_type is DPoP but no DPoP proof was sent");
    token.token_type = "DPoP";
    token.dpop_key = dpop_key;
  } else if (!http::EqualsIgnoreCase(token_type, "Bearer")) {
    return bad("token_type is neither Bearer nor DPoP");
  }
  token.value = Secret(at->get<std::string>());
  token.resource = resource;
  token.issued_at = now;
  const Json claims = PeekClaims(token.value.Reveal());
  if (claims.is_object()) {
    if (auto it = claims.find("jti"); it != claims.end() && it->is_string()) {
      token.jti = it->get<std::string>();
    }
  }
  int64_t expires_at = 0;
  if (auto it = json->find("expires_in"); it != json->end()) {
    if (!it->is_number()) return bad("expires_in is not a number");
    expires_at = now + static_cast<int64_t>(it->get<double>());
  }
  if (claims.is_object()) {
    if (auto it = claims.find("exp"); it != claims.end() && it->is_number()) {
      int64_t exp = static_cast<int64_t>(it->get<double>());
      expires_at = expires_at == 0 ? exp : std::min(expires_at, exp);
    }
  }
  // Unknown lifetime (expires_in is only RECOMMENDED, RFC 6749 §5.1): assume a short one.
  if (expires_at == 0) expires_at = now + 60;
  if (expires_at <= now) return bad("the token is already expired");
  token.expires_at = expires_at;
  if (auto it = json->find("scope"); it != json->end() && it->is_string()) {
    token.scopes = SplitSpaceDelimited(it->get<std::string>());
  } else {
    token.scopes = scopes;  // RFC 6749 §5.1: omitted when identical to the request
  }
  return token;
}

}  // namespace zta::auth::internal
