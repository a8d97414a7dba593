// Tools an agent can call: FunctionTool (a schema-checked C++ handler) and SecureFunctionTool
// (the same, plus a just-in-time access token obtained outside the model's sight), and the
// scrubbing that keeps tokens and secrets out of what goes back to the model.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "zta/agent/chat_model.h"
#include "zta/agent/schema.h"
#include "zta/auth/token_source.h"
#include "zta/core/json.h"
#include "zta/core/status.h"
#include "zta/http/client.h"

namespace zta::agent {

// The agent's name for http::Transport, kept because assistant_agent.h spells it; new code
// says http::Transport. The default is http::Send; injected so tests need no network.
using HttpTransport = http::Transport;

// Redacts credentials from text before it enters a conversation: compact JWS/JWE-shaped strings
// ("eyJ…"), "Bearer <token>" / "Basic <token>", the values of JSON members named like
// credentials (access_token, refresh_token, id_token, client_secret, password, api_key,
// authorization), and every registered secret and the call's own token (`extra`) in each of
// these forms:
//   - verbatim, also as a JSON string writes it (\" and \\ escaped);
//   - standard base64 and base64url (RFC 4648 §4, §5), with or without padding, at each of the
//     three byte alignments, so the value is found inside a larger encoded text such as
//     base64("Authorization: Bearer <token>"); only the (at most two) bytes it shares with an
//     encoding group of the text around it stay visible;
//   - hex, in any case;
//   - for a JWT-shaped value (3 or 5 dot-separated base64url segments), each segment after the
//     first alone, in all of the forms above (the first, the JOSE header, is public and shared
//     by all the issuer's tokens);
// with spaces, tabs, line breaks or the JSON escapes \n \r \t \/ anywhere inside a match
// (base64 wrapped at 60 or 76 columns, inside a JSON string). Derived forms shorter than 16
// characters (base64 of fewer than 12 bytes, hex of fewer than 8, a shorter JWT segment) are
// not searched for: such fragments could occur in ordinary text. A pattern scrubber cannot
// undo every transform (see docs/agent.md): it is a second line behind keeping tokens out of
// handlers' results. Scrub is linear in the text (each form is found through an index of its
// first characters). Thread-compatible: register secrets before sharing; Scrub is const and
// safe to call concurrently.
class Scrubber {
 public:
  static constexpr std::string_view kRedacted = "[redacted]";
  // Registers a value to redact wherever it appears, in all the forms above (derived here, once
  // per secret, not per call). Values shorter than 6 bytes are ignored: redacting "abc"
  // everywhere would mangle ordinary text, and such values are not secrets.
  void AddSecret(std::string value);
  std::string Scrub(std::string_view text) const;
  // Scrubs with the registered secrets plus `extra` (e.g. the token of this one call; ignored
  // when shorter than 6 bytes). Its forms are derived per call, at a cost that does not grow with
  // its length.
  std::string Scrub(std::string_view text, std::string_view extra) const;

 private:
  struct Forms;  // the registered secrets and their derived forms, indexed (tool.cc)
  std::shared_ptr<const Forms> forms_;  // replaced, never changed, by AddSecret
};

// Everything a tool handler gets besides its arguments. The token lives here — never in the
// arguments, never in the conversation. Not thread-safe: one context per call.
struct ToolContext {
  std::string agent_id;      // the acting agent's id (its OAuth client_id)
  std::string user;          // the conversation's user; empty when anonymous
  std::string tool_call_id;  // the model's id for this call
  // Correlates audit events: the conversation's W3C trace id (32 lowercase hex, W3C Trace
  // Context §3.2.2.3). Send() passes it on as traceparent; SecureFunctionTool puts it in its
  // TokenRequest so the idp's events share it.
  std::string trace_id;
  int agent_depth = 0;       // the conversation's agent_depth (AgentTool nesting)
  // Set by SecureFunctionTool for the duration of the handler; null for plain tools.
  const auth::AccessToken* token = nullptr;
  // The user's authority another agent handed to this one (zta/agent/authority.h): the RFC 8693
  // subject_token SecureFunctionTools acting for the user exchange. Set by AssistantAgent from
  // the conversation's authority when it is addressed to this agent; empty otherwise.
  Secret subject_token;
  std::string subject_token_type = auth::kAccessTokenType;
  // Transport for Send(). Default (empty): http::Send.
  http::Transport transport;

  // Sends `request`, adding "Authorization: <Bearer|DPoP> <token>" when this call holds a token
  // (AccessToken::Attach: with a DPoP proof for a bound token), and
  // "traceparent: 00-<trace_id>-<new span id>-01" when trace_id is a valid W3C trace id and the
  // request has no traceparent. Handlers call this instead of touching the token themselves.
  // A bound token's 401 with a DPoP-Nonce and WWW-Authenticate error="use_dpop_nonce" (RFC 9449
  // §9) is answered by resending once with a fresh proof carrying that nonce; the resend counts
  // as the same request in requests_sent.
  Result<http::Response> Send(http::ClientRequest request) const;

  // Kept by Send() for SecureFunctionTool: requests sent, and whether the first one carried a
  // token and was answered 401 (the token was refused before anything was done, so one retry
  // with a fresh token is safe).
  mutable int requests_sent = 0;
  mutable bool first_request_refused_token = false;
};

enum class ToolStatus {
  kOk,      // the tool ran and returned a result
  kError,   // bad arguments, unknown tool, or the tool failed
  kDenied,  // authorization refused (no token, upstream 401/403, or a human said no)
};
std::string_view ToolStatusName(ToolStatus status);  // "ok" | "error" | "denied"

// The result of one tool call: what the model sees plus the facts the audit event records.
struct ToolOutcome {
  ToolStatus status = ToolStatus::kOk;
  std::string content;  // for the model: a JSON result, or a short error/denial without secrets
  std::string reason;   // snake_case reason for kError/kDenied ("invalid_arguments", ...)
  // Authorization facts (SecureFunctionTool only).
  bool secured = false;
  std::string resource;                       // RFC 8707 resource asked for
  std::vector<std::string> scopes_requested;  // scopes asked for
  std::vector<std::string> scopes_granted;    // as the token says; empty on denial
  std::string subject;                        // the user acted for; empty when as the agent
  std::string jti;                            // the token's id, never the token
  std::string resource_id;                    // business object (audit zta.resource.id)

  // An error or denial with nothing else to record.
  static ToolOutcome Failure(ToolStatus status, std::string content, std::string reason) {
    ToolOutcome o;
    o.status = status;
    o.content = std::move(content);
    o.reason = std::move(reason);
    return o;
  }
};

// Something the agent can call. Implementations are thread-safe: parallel tool calls may run
// Invoke concurrently.
class Tool {
 public:
  virtual ~Tool() = default;
  virtual const ToolSpec& spec() const = 0;
  // Runs one call with already-parsed arguments. Never throws.
  virtual ToolOutcome Invoke(const Json& args, ToolContext& context) const = 0;
  // Whether a human must say yes before each call (AssistantAgent's approval hook).
  virtual bool requires_approval() const { return false; }
  // Whether the tool is given the user's handed authority (ToolContext::subject_token): only
  // tools that exchange it (SecureFunctionTool) or hand it on (AgentTool); a plain function
  // tool never sees the user's token.
  virtual bool uses_handed_authority() const { return false; }
};

// A handler's result becomes the tool's content: a string as is, anything else as JSON text.
// Errors: kPermissionDenied / kUnauthenticated → a denial; anything else → a tool error. The
// error message goes to the model, so it must not hold secrets (it is scrubbed anyway).
using ToolHandler = std::function<Result<Json>(const Json& args, ToolContext& context)>;

// A tool backed by a C++ function. The arguments are validated against the schema before the
// handler runs, so a handler sees only well-formed input. Thread-safe if the handler is.
class FunctionTool : public Tool {
 public:
  // REQUIRES: a valid tool name (ValidateToolName); use Create() to get an error instead.
  FunctionTool(std::string name, std::string description, const Schema& parameters,
               ToolHandler handler);
  // For hand-written schemas (e.g. from TOML). Objects are closed (CloseObjects); strict mode is
  // used when the schema allows it.
  static Result<std::unique_ptr<FunctionTool>> Create(std::string name, std::string description,
                                                      Json parameters, ToolHandler handler);

  const ToolSpec& spec() const override { return spec_; }
  ToolOutcome Invoke(const Json& args, ToolContext& context) const override;
  bool requires_approval() const override { return requires_approval_; }
  // Each call needs a human yes (see AssistantAgent::SetApprovalHook). Default: false.
  void set_requires_approval(bool value) { requires_approval_ = value; }

 protected:
  FunctionTool(ToolSpec spec, ToolHandler handler);
  // Validates, runs the handler and converts its result.
  ToolOutcome RunHandler(const Json& args, ToolContext& context) const;
  Status ValidateArguments(const Json& args) const;

 private:
  ToolSpec spec_;
  ToolHandler handler_;
  bool requires_approval_ = false;
};

// A token source's reason code as the model may see it: a short snake_case word as is, anything
// else (an IdP may send any text as "error") "no_token".
std::string SafeTokenReason(const std::string& reason);

// Whose authority a secure tool uses.
enum class Acting {
  kAsAgent,         // client credentials: the agent's own identity (sub = agent)
  kOnBehalfOfUser,  // delegation: sub = the conversation's user, act = the agent (RFC 8693)
};

// What a secure tool needs before it may run.
struct ToolRequirement {
  // RFC 8707 resource (audience) of the API the tool calls. REQUIRED.
  std::string resource;
  // Scopes the call needs (RFC 6749 §3.3). Default: none (the client's default allowance).
  std::vector<std::string> scopes;
  // Default: kAsAgent.
  Acting acting = Acting::kAsAgent;
  // Builds RFC 9396 authorization_details from the validated arguments (e.g. one booking), so
  // the token is good for exactly this action. Optional.
  std::function<Result<Json>(const Json& args)> authorization_details;
  // Names the business object from the arguments (audit zta.resource.id). Optional.
  std::function<std::string(const Json& args)> resource_id;
  // kOnBehalfOfUser without a handed-over authority: how the user approves. Default: kConsent.
  auth::Approval approval = auth::Approval::kConsent;
  // With kBackchannel: the binding_message shown to the user, from the validated arguments
  // (≤ 64 characters). Optional: none sent.
  std::function<std::string(const Json& args)> binding_message;
};

// A FunctionTool that obtains an access token just in time through a TokenSource and hands it to
// the handler in ToolContext::token. Acting for the user with a ToolContext::subject_token (an
// authority another agent handed over), the TokenRequest carries it, so the TokenSource
// exchanges it (RFC 8693) and the API sees the whole chain in `act`. Without a token the handler
// does not run and the model gets a short denial naming only the reason code. The handler's result
// is scrubbed of the token. When the handler's only request through ToolContext::Send is answered
// 401 (the resource server refused the token: revoked, or signed by a key it no longer trusts), the
// cached token is invalidated and the handler runs once more with a fresh one; a second 401 is a
// denial. Thread-safe if the handler and the token source are.
class SecureFunctionTool final : public FunctionTool {
 public:
  // `tokens` must outlive the tool. REQUIRES: valid name and non-empty requirement.resource.
  SecureFunctionTool(std::string name, std::string description, const Schema& parameters,
                     ToolRequirement requirement, auth::TokenSource& tokens, ToolHandler handler);
  static Result<std::unique_ptr<SecureFunctionTool>> Create(
      std::string name, std::string description, Json parameters, ToolRequirement requirement,
      auth::TokenSource& tokens, ToolHandler handler);

  ToolOutcome Invoke(const Json& args, ToolContext& context) const override;
  bool uses_handed_authority() const override { return true; }
  const ToolRequirement& requirement() const { return requirement_; }

 private:
  SecureFunctionTool(ToolSpec spec, ToolRequirement requirement, auth::TokenSource& tokens,
                     ToolHandler handler);
  // Fills `request` from the requirement, the arguments and the context; a status other than
  // kOk is the refusal to return (also written into `outcome`).
  ToolOutcome BuildTokenRequest(const Json& args, const ToolContext& context,
                                auth::TokenRequest& request, ToolOutcome& outcome) const;
  ToolRequirement requirement_;
  auth::TokenSource& tokens_;
};

}  // namespace zta::agent
