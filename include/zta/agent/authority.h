// The user's authority passed from one agent to the next (docs/delegation.md, "The SDK: token
// exchange and backchannel approval"): a delegated token, handed over with a handoff or an
// AgentTool call, that the next agent's SecureFunctionTools exchange (RFC 8693 subject_token)
// with their own actor token. It travels beside the conversation, never in a message.
#pragma once

#include <string>
#include <vector>

#include "zta/auth/token_source.h"
#include "zta/core/secret.h"
#include "zta/core/status.h"

namespace zta::agent {

// A token carrying the user's authority, addressed to one agent. Plain value; the token is a
// Secret (never printed).
struct HandedAuthority {
  std::string to;    // the agent (AgentOptions::name) that may use it; empty: nobody
  std::string from;  // the agent (its id) that handed it over
  Secret token;      // the next agent's RFC 8693 subject_token
  std::string token_type = auth::kAccessTokenType;
  std::string jti;  // the token's id, for the audit; empty when unknown

  bool HeldBy(const std::string& agent) const { return !token.empty() && to == agent; }
};

// How an agent obtains the token it hands over: its own delegated token for the user, for the
// API the next agent will call. Not owned collaborators: `tokens` must outlive the agent.
struct Handover {
  // RFC 8707 resource the next agent will call with the user's authority. REQUIRED.
  std::string resource;
  // Scopes the next agent may need there (it can exchange for a subset only). Default: none.
  std::vector<std::string> scopes;
  // How the user approves when this agent holds no authority of its own to exchange.
  // Default: kConsent (DelegatedTokenSource's consent redirect).
  auth::Approval approval = auth::Approval::kConsent;
  // With kBackchannel: shown to the user (≤ 64 characters). Default: empty.
  std::string binding_message;
  // This agent's TokenSource (a DelegatedTokenSource or AuthProvider). REQUIRED.
  auth::TokenSource* tokens = nullptr;

  Status Validate() const;
};

// The authority agent `from` (its id) hands to agent `to` for `user`:
//  - with `handover`: a token from handover->tokens acting for `user`; when `from` holds an
//    authority itself (`held`), by exchanging it (so the chain grows by `from`), else through
//    the user's approval (handover->approval);
//  - without: `held` as is, re-addressed to `to` (an agent passing on what the app or the
//    previous agent gave it: the token's current actor stays whoever obtained it);
//  - neither: an empty authority.
// Errors: kPermissionDenied "no_user" without a user; the TokenSource's (token_source.h).
Result<HandedAuthority> HandOver(const std::string& from, const std::string& to,
                                 const std::string& user, const HandedAuthority* held,
                                 const Handover* handover);

}  // namespace zta::agent
