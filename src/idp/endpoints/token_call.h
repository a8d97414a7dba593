// What /introspect and /revoke start with (an authenticated caller and the token parameter), and
// how /token and /bc-authorize refuse.
#pragma once

#include <memory>
#include <string>

#include "endpoint.h"

namespace zta::idp {

struct TokenCall {
  std::shared_ptr<const RegistrySnapshot> registry;  // keeps caller.agent alive
  Caller caller;
  std::string token;            // the "token" form parameter
  std::string token_type_hint;  // RFC 7009 §2.1, RFC 7662 §2.1; "" when absent
};

// Parses the form, authenticates the caller against a freshly checked registry and finds the
// token; `event` gets the caller's client_id. Returns the error to answer with instead when a
// step fails; a refused caller is audited here, on `event`.
OAuthResult<TokenCall> BeginTokenCall(ServerContext& context, const http::Request& request,
                                      bool allow_resources, AuditEvent& event);

// The refusal of a client that did not authenticate at /token or /bc-authorize: its id stays
// unrecorded; the source address and the credential's failure are.
Decision RefuseClient(const http::Request& request, const OAuthError& error, AuditEvent event);

// The refusal of an authenticated client's request there, audited unless the error says not.
Decision RefuseRequest(const OAuthError& error, AuditEvent event);

}  // namespace zta::idp
