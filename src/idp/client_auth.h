// Client authentication at the token, introspection and revocation endpoints (RFC 6749 §2.3):
// client_secret_basic, client_secret_post, private_key_jwt (RFC 7523), public apps that send
// only their client_id ("none", RFC 6749 §2.1: PKCE binds their codes), and the limit on failed
// attempts.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "federation.h"
#include "form_fields.h"
#include "zta/core/mutex.h"
#include "zta/core/clock.h"
#include "zta/http/message.h"
#include "zta/idp/authorization_server.h"
#include "zta/idp/oauth_error.h"
#include "zta/idp/registry.h"
#include "zta/jose/jwt.h"

namespace zta::idp {

inline constexpr char kClientSecretBasic[] = "client_secret_basic";  // RFC 6749 §2.3.1
inline constexpr char kClientSecretPost[] = "client_secret_post";    // RFC 6749 §2.3.1
inline constexpr char kPrivateKeyJwt[] = "private_key_jwt";          // RFC 7523 §2.2, OIDC §9
inline constexpr char kAuthNone[] = "none";  // a public app: client_id only (OIDC Core §9)
// The methods a confidential client may use, in the order metadata lists them (RFC 8414 §2).
inline constexpr std::string_view kClientAuthMethods[] = {kClientSecretBasic, kClientSecretPost,
                                                          kPrivateKeyJwt};

// Who authenticated: an agent, an app (RFC 6749 §4.1 client, confidential or public), or a
// resource server calling /introspect with its secret.
struct Caller {
  std::string client_id;  // agent or app client_id, or the resource URI for resource servers
  bool is_resource = false;
  std::string auth_method;       // one of kClientAuthMethods, or kAuthNone for a public app
  const Agent* agent = nullptr;  // set for agents; lives as long as the registry snapshot
  const App* app = nullptr;      // set for apps; lives as long as the registry snapshot
  // The external issuer of a federated client assertion ("" otherwise); audited as
  // zta.federated_issuer. auth_method is then still private_key_jwt, what metadata lists.
  std::string federated_issuer{};
};

// The credentials a request presents, read but not yet checked.
struct PresentedCredentials {
  std::string method;       // kClientSecretBasic, kClientSecretPost, kPrivateKeyJwt; "" for none
  std::string client_id;    // from Basic or the form; for private_key_jwt found later
  std::string secret;       // the client secret (or a resource server's introspection secret)
  bool used_basic = false;  // refusals then carry WWW-Authenticate: Basic (RFC 6749 §5.2)
};

// Reads what the request presents, refusing malformed credentials and more than one method
// (RFC 6749 §2.3). The assertion itself stays in `fields`.
OAuthResult<PresentedCredentials> ReadCredentials(const http::Request& request,
                                                  const FormFields& fields);

// Counts wrong credentials per (client id, source address) and per source address in a fixed
// window. Fed only credentials already checked and found wrong, so it never refuses a right one
// (docs/idp.md, "How failed authentications are limited").
// Thread-safe.
// With a `shared` store (several nodes on PostgreSQL) the counts live there, exact across
// nodes; when it does not answer, this node's own counts stand in (the credential is refused
// either way: only 401 against 429 depends on the count).
class AuthFailureLimiter {
 public:
  AuthFailureLimiter(int limit, int64_t window_seconds, const Clock& clock,
                     TokenStateStore* shared = nullptr);

  // Counts the wrong credential `address` presented for `client_id` and returns `wrong`; once
  // either count is over the limit in its window, a 429 slow_down with the rest of the window
  // as Retry-After instead, whose audit reason is too_many_failures and whose auth failure is
  // `wrong`'s reason.
  OAuthError Count(const std::string& client_id, const std::string& address, OAuthError wrong);

 private:
  struct Window {
    int64_t start = 0;
    int failures = 0;
  };
  const int limit_;
  const int64_t window_seconds_;
  const Clock& clock_;
  TokenStateStore* const shared_;
  Mutex mu_;
  // Keys "a:<address>" and "c:<address> <client_id>".
  std::map<std::string, Window> windows_ ZTA_GUARDED_BY(mu_);
};

// Thread-safe.
class ClientAuthenticator {
 public:
  // `store` records assertion ids (single use); `options` gives the issuer, the assertion
  // lifetime and the failure limit; `federation` verifies assertions of external issuers.
  ClientAuthenticator(const AuthorizationServerOptions& options, TokenStateStore& store,
                      FederationVerifier& federation, const Clock& clock);

  // Authenticates the client of `request` against `registry` by exactly one method (RFC 6749
  // §2.3). `allow_resources`: a resource server's introspection secret is accepted too.
  OAuthResult<Caller> Authenticate(const http::Request& request, const FormFields& fields,
                                   const RegistrySnapshot& registry, bool allow_resources);

 private:
  OAuthResult<Caller> AuthenticateSecret(const http::Request& request,
                                         const PresentedCredentials& presented,
                                         const RegistrySnapshot& registry, bool allow_resources);
  OAuthResult<Caller> AuthenticateAssertion(const http::Request& request, const FormFields& fields,
                                            const RegistrySnapshot& registry);
  // Verifies the assertion's signature by `keys` and its claims (RFC 7523 §3), `claims` being
  // its peeked payload (null when it did not parse).
  Result<std::shared_ptr<const jose::VerifiedJwt>> VerifyAssertion(const std::string& assertion,
                                                                   const Json& claims,
                                                                   const jose::Jwks& keys,
                                                                   const std::string& client_id);
  // RFC 7523 §2.2 with an external issuer's key set (workload identity federation).
  OAuthResult<Caller> AuthenticateFederated(const http::Request& request, const FormFields& fields,
                                            const RegistrySnapshot& registry,
                                            const std::string& issuer);
  OAuthResult<Caller> AuthenticatePublicClient(const FormFields& fields,
                                               const RegistrySnapshot& registry);

  const AuthorizationServerOptions& options_;
  TokenStateStore& store_;
  FederationVerifier& federation_;
  const Clock& clock_;
  AuthFailureLimiter limiter_;
};

}  // namespace zta::idp
