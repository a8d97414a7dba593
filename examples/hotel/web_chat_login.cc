// OidcLogin: the web chat's OpenID Connect sign-in (web_chat_login.h). No token, code or secret
// appears in an error message: they say what failed, by reason code.
#include "web_chat_login.h"

#include "zta/core/base64url.h"
#include "zta/core/random.h"
#include "zta/core/sha256.h"
#include "zta/http/discovery.h"

namespace zta::hotel {
namespace {

Status Fail(StatusCode code, std::string reason, std::string message) {
  return Status(code, std::move(message), std::move(reason));
}

std::string StringMember(const Json& json, const char* name) {
  auto it = json.find(name);
  return it != json.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The first value of `name` in a parsed form, "" when absent.
std::string FormValue(const std::vector<std::pair<std::string, std::string>>& form,
                      std::string_view name) {
  for (const auto& [k, v] : form) {
    if (k == name) return v;
  }
  return "";
}

}  // namespace

Result<std::unique_ptr<OidcLogin>> OidcLogin::Create(OidcLoginOptions options, const Clock& clock,
                                                     AuditSink& audit) {
  if (options.issuer.empty() || options.client_id.empty() || options.client_secret.empty() ||
      options.redirect_uri.empty() || options.resource.empty()) {
    return InvalidArgument(
        "web chat login: issuer, client_id, client_secret, redirect_uri and "
        "resource are required");
  }
  ZTA_ASSIGN_OR_RETURN(Json metadata,
                       http::DiscoverMetadata(options.transport, options.issuer, options.timeout));
  guard::TrustedIssuer issuer;
  issuer.issuer = options.issuer;
  issuer.jwks_uri = StringMember(metadata, "jwks_uri");
  issuer.audience = options.client_id;  // OIDC Core §3.1.3.7: aud contains our client_id
  issuer.required_typ = "";             // ID tokens are typed "JWT", not "at+jwt"
  issuer.scope_claims = {"scope"};  // an ID token has none; the validator needs one named
  guard::ValidatorOptions v;
  v.issuers = {issuer};
  v.audience = options.client_id;
  v.audit_component = "web-chat";
  ZTA_ASSIGN_OR_RETURN(auto validator, guard::Validator::Create(v, clock, audit));
  auto login = std::unique_ptr<OidcLogin>(new OidcLogin(std::move(options), std::move(validator)));
  login->authorization_endpoint_ = StringMember(metadata, "authorization_endpoint");
  login->token_endpoint_ = StringMember(metadata, "token_endpoint");
  login->userinfo_endpoint_ = StringMember(metadata, "userinfo_endpoint");
  login->iss_required_ =
      metadata.value("authorization_response_iss_parameter_supported", false) == true;
  if (login->authorization_endpoint_.empty() || login->token_endpoint_.empty() ||
      login->userinfo_endpoint_.empty()) {
    return Fail(StatusCode::kFailedPrecondition, "bad_metadata",
                "the idp's metadata lacks the authorization, token or userinfo endpoint");
  }
  return login;
}

Result<LoginStart> OidcLogin::Begin() {
  LoginStart s;
  ZTA_ASSIGN_OR_RETURN(s.state, RandomToken(16));
  ZTA_ASSIGN_OR_RETURN(s.nonce, RandomToken(16));
  ZTA_ASSIGN_OR_RETURN(std::string verifier, RandomToken(32));  // RFC 7636 §4.1: 43 chars
  const std::string challenge = Base64UrlEncode(Sha256(verifier));
  s.code_verifier = Secret(std::move(verifier));
  const std::string sep = authorization_endpoint_.find('?') == std::string::npos ? "?" : "&";
  s.authorization_url = authorization_endpoint_ + sep +
                        http::FormEncode({{"response_type", "code"},
                                          {"client_id", options_.client_id},
                                          {"redirect_uri", options_.redirect_uri},
                                          {"scope", options_.scope},
                                          {"resource", options_.resource},
                                          {"state", s.state},
                                          {"nonce", s.nonce},
                                          {"code_challenge", challenge},
                                          {"code_challenge_method", "S256"}});
  return s;
}

Result<SignedIn> OidcLogin::Finish(const LoginStart& started, std::string_view query) {
  auto form = http::ParseForm(query);
  if (!form.ok()) {
    return Fail(StatusCode::kInvalidArgument, "bad_authorization_response",
                "the redirect's query does not parse");
  }
  // RFC 9207 §2.4: iss, when present, must be exactly the issuer; and present when promised.
  const std::string iss = FormValue(*form, "iss");
  if ((!iss.empty() || iss_required_) && iss != options_.issuer) {
    return Fail(StatusCode::kPermissionDenied, "issuer_mismatch",
                "the redirect does not come from the expected issuer");
  }
  if (!ConstantTimeEquals(FormValue(*form, "state"), started.state)) {
    return Fail(StatusCode::kPermissionDenied, "state_mismatch",
                "the redirect's state is not the one this sign-in sent");
  }
  if (const std::string error = FormValue(*form, "error"); !error.empty()) {
    return Fail(StatusCode::kPermissionDenied, "login_denied", "the idp answered " + error);
  }
  const std::string code = FormValue(*form, "code");
  if (code.empty()) {
    return Fail(StatusCode::kInvalidArgument, "bad_authorization_response",
                "the redirect carries no code");
  }
  ZTA_ASSIGN_OR_RETURN(auto tokens, Redeem(started, code));
  auto principal = validator_->AuthorizeToken(tokens.first);
  if (!principal.ok()) {
    return Fail(StatusCode::kUnauthenticated, "bad_id_token",
                "the ID token does not verify: " + principal.status().reason());
  }
  // OIDC Core §3.1.3.7 (11): the nonce must be the one this sign-in sent.
  const std::string nonce = StringMember(principal->claims(), "nonce");
  if (nonce.empty() || !ConstantTimeEquals(nonce, started.nonce)) {
    return Fail(StatusCode::kUnauthenticated, "nonce_mismatch",
                "the ID token's nonce is not this sign-in's");
  }
  return UserInfo(tokens.second, principal->subject);
}

Result<std::pair<std::string, Secret>> OidcLogin::Redeem(const LoginStart& started,
                                                         const std::string& code) {
  http::ClientRequest request;
  request.method = "POST";
  request.url = token_endpoint_;
  request.timeout = options_.timeout;
  request.headers.Set("Content-Type", "application/x-www-form-urlencoded");
  request.headers.Set("Accept", "application/json");
  // RFC 6749 §2.3.1: client_secret_basic, both parts form-encoded first.
  request.headers.Set(
      "Authorization",
      "Basic " + Base64Encode(http::PercentEncode(options_.client_id) + ":" +
                              http::PercentEncode(options_.client_secret.Reveal())));
  request.body = http::FormEncode({{"grant_type", "authorization_code"},
                                   {"code", code},
                                   {"redirect_uri", options_.redirect_uri},
                                   {"code_verifier", started.code_verifier.Reveal()},
                                   {"resource", options_.resource}});
  auto response = options_.transport(request);
  if (!response.ok()) {
    return Fail(StatusCode::kUnavailable, "idp_unavailable", "the token endpoint did not answer");
  }
  auto body = ParseJsonStrict(response->body);
  if (response->status != 200 || !body.ok() || !body->is_object()) {
    std::string error = body.ok() && body->is_object() ? StringMember(*body, "error") : "";
    return Fail(StatusCode::kPermissionDenied, "bad_token_response",
                "the token endpoint answered " + std::to_string(response->status) +
                    (error.empty() ? "" : " " + error));
  }
  std::string id_token = StringMember(*body, "id_token");
  Secret access_token(StringMember(*body, "access_token"));
  if (id_token.empty() || access_token.empty()) {
    return Fail(StatusCode::kPermissionDenied, "bad_token_response",
                "the token response lacks id_token or access_token");
  }
  return std::make_pair(std::move(id_token), std::move(access_token));
}

Result<SignedIn> OidcLogin::UserInfo(const Secret& access_token, const std::string& subject) {
  http::ClientRequest request;
  request.url = userinfo_endpoint_;
  request.timeout = options_.timeout;
  request.headers.Set("Accept", "application/json");
  request.headers.Set("Authorization", "Bearer " + access_token.Reveal());
  auto response = options_.transport(request);
  if (!response.ok() || response->status != 200) {
    return Fail(StatusCode::kUnavailable, "userinfo_failed", "the userinfo endpoint refused");
  }
  auto body = ParseJsonStrict(response->body);
  // OIDC Core §5.3.2: the UserInfo sub must be the ID token's.
  if (!body.ok() || !body->is_object() || StringMember(*body, "sub") != subject) {
    return Fail(StatusCode::kUnauthenticated, "userinfo_failed",
                "the userinfo answer is not about the signed-in user");
  }
  SignedIn who;
  who.subject = subject;
  who.user = StringMember(*body, "preferred_username");
  if (who.user.empty()) {
    return Fail(StatusCode::kUnauthenticated, "userinfo_failed",
                "the userinfo answer names no preferred_username (scope profile)");
  }
  who.display_name = StringMember(*body, "name");
  if (who.display_name.empty()) who.display_name = who.user;
  return who;
}

}  // namespace zta::hotel
