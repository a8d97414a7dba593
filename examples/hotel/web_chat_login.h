// How the web chat signs a person in: OpenID Connect authorization code flow with PKCE (S256),
// state and nonce at the zta idp, the chat being a registered confidential app (OIDC Core §3.1,
// RFC 7636, RFC 9207). The ID token is verified (signature from the idp's JWKS, iss, aud, exp,
// nonce); the user's name comes from the UserInfo endpoint (the idp's ID token carries only sub).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "zta/core/audit_sink.h"
#include "zta/core/clock.h"
#include "zta/core/secret.h"
#include "zta/core/status.h"
#include "zta/guard/validator.h"
#include "zta/http/client.h"

namespace zta::hotel {

// A sign-in under way: kept by the chat server (never sent to the browser but for `state` and
// the URL) until the idp redirects back.
struct LoginStart {
  std::string authorization_url;  // where the browser goes
  std::string state;              // RFC 6749 §10.12
  std::string nonce;              // OIDC Core §3.1.2.1, echoed in the ID token
  Secret code_verifier;           // RFC 7636 §4.1
};

// Who signed in.
struct SignedIn {
  std::string user;          // the idp user name (preferred_username): what agents act for
  std::string display_name;  // "name", else the user name
  std::string subject;       // the ID token's sub (the idp's user id)
};

// Thread-safe implementations.
class ChatLogin {
 public:
  virtual ~ChatLogin() = default;
  virtual Result<LoginStart> Begin() = 0;
  // `query` is the redirect's raw query ("code=…&state=…&iss=…"). Errors carry a reason:
  // state_mismatch, issuer_mismatch, login_denied, bad_authorization_response,
  // bad_token_response, bad_id_token, nonce_mismatch, userinfo_failed.
  virtual Result<SignedIn> Finish(const LoginStart& started, std::string_view query) = 0;
};

struct OidcLoginOptions {
  std::string issuer;        // REQUIRED: the idp's issuer URL
  std::string client_id;     // REQUIRED: the chat app
  Secret client_secret;      // REQUIRED: a confidential app (client_secret_basic)
  std::string redirect_uri;  // REQUIRED: BaseUrl()/callback, registered for the app
  // RFC 8707 resource: the zta idp wants one in every authorization request. REQUIRED.
  std::string resource;
  // Default: "openid profile read_hotels" (profile: preferred_username at userinfo). zta's idp
  // issues a code only with a scope of the resource
  // beside those (authorization_code.cc); read_hotels is the least the chat could hold.
  std::string scope = "openid profile read_hotels";
  // Per-request timeout at the idp. Default: 5 s.
  std::chrono::milliseconds timeout{5'000};
  http::Transport transport = http::DefaultTransport();
};

// The real one, against the idp's metadata.
class OidcLogin final : public ChatLogin {
 public:
  // Reads the idp's metadata (authorization, token and userinfo endpoints). `clock` and `audit`
  // (the ID token check is recorded there) must outlive it.
  static Result<std::unique_ptr<OidcLogin>> Create(OidcLoginOptions options, const Clock& clock,
                                                   AuditSink& audit);
  Result<LoginStart> Begin() override;
  Result<SignedIn> Finish(const LoginStart& started, std::string_view query) override;

 private:
  OidcLogin(OidcLoginOptions options, std::unique_ptr<guard::Validator> validator)
      : options_(std::move(options)), validator_(std::move(validator)) {}
  // The code redeemed: the token response's id_token and access_token.
  Result<std::pair<std::string, Secret>> Redeem(const LoginStart& started, const std::string& code);
  Result<SignedIn> UserInfo(const Secret& access_token, const std::string& subject);

  OidcLoginOptions options_;
  std::unique_ptr<guard::Validator> validator_;
  std::string authorization_endpoint_, token_endpoint_, userinfo_endpoint_;
  bool iss_required_ = false;  // RFC 9207 §2.4: the metadata promises iss in every response
};

}  // namespace zta::hotel
