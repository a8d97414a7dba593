#include "oauth_answer.h"

#include <algorithm>

#include "zta/auth/reasons.h"
#include "zta/core/base64url.h"

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

}  // namespace zta::auth::internal
