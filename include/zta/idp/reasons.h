// The idp's own audit reason codes: every string the authorization server records as an event's
// reason, or as zta.auth_failure, that is not an OAuth error code or a jose reason code.
#pragma once

#include <string_view>

namespace zta::idp {

// Besides these, an event's reason is
//   - the OAuth error code itself ("invalid_request", "invalid_client", "invalid_scope",
//     "invalid_target", "unsupported_grant_type", ...; see oauth_error.h) when a refusal has no
//     finer reason, and always for refused client authentication at /introspect and /revoke
//     short of the failure limit;
//   - a jose::VerifyError reason ("bad_signature", "bad_audience", "expired", "malformed", ...)
//     for a client assertion or an introspected token that does not verify.
//   - at /userinfo, the RFC 6750 §3.1 error code ("invalid_token", "insufficient_scope") when
//     nothing finer applies.
// Tests assert these strings and audit queries search for them: never change a value.

// --- client authentication (RFC 6749 §2.3, RFC 7523 §3), at every endpoint ---
// 401 invalid_client: no private_key_jwt client has that id, or the assertion's sub is not it.
inline constexpr char kReasonUnknownClient[] = "unknown_client";
// 401 invalid_client: the client's registered public JWK no longer parses.
inline constexpr char kReasonBadClientKey[] = "bad_client_key";
// 401 invalid_client: the assertion's jti was seen before (RFC 7523 §3 item 7).
inline constexpr char kReasonAssertionReplay[] = "assertion_replay";
// 401 invalid_client: the client secret (or introspection secret) is wrong, or names no one.
inline constexpr char kReasonBadClientSecret[] = "bad_client_secret";
// 401 invalid_client: the credential is right but the agent is disabled.
inline constexpr char kReasonClientDisabled[] = "client_disabled";
// 401 invalid_client (a client assertion), 400 invalid_grant (a token exchange's subject_token):
// the JWT's iss is not a registered federated issuer, or is one registered without the
// permission this use needs (--allow-client-assertion, --allow-subject-token).
inline constexpr char kReasonUntrustedIssuer[] = "untrusted_issuer";
// 401 invalid_client: a federated assertion verified, but the agent named by client_id has no
// registered federated subject equal to its (iss, subject).
inline constexpr char kReasonFederatedSubjectMismatch[] = "federated_subject_mismatch";
// 429 slow_down: a wrong credential past the failure limit (RFC 6585 §4; see zta.auth_failure).
inline constexpr char kReasonTooManyFailures[] = "too_many_failures";

// --- token endpoint (RFC 6749 §5.1), decision "error" ---
// 500 server_error: no key is active for signing.
inline constexpr char kReasonNoSigningKey[] = "no_signing_key";
// 500 server_error: the active key could not sign the token.
inline constexpr char kReasonSigningFailed[] = "signing_failed";

// --- authorization_code and refresh_token grants (RFC 6749 §4.1.3, §6; docs/delegation.md) ---
// 400 invalid_grant: the code is unknown, expired, or was issued to another app.
inline constexpr char kReasonCodeInvalid[] = "code_invalid";
// 400 invalid_grant: the code was redeemed before; the grant it created is revoked (§4.1.2).
inline constexpr char kReasonCodeReplay[] = "code_replay";
// 400 invalid_grant: redirect_uri differs from the one the code was issued for (§4.1.3).
inline constexpr char kReasonRedirectMismatch[] = "redirect_uri_mismatch";
// 400 invalid_grant: code_verifier missing, malformed, or not the challenge's (RFC 7636 §4.6).
inline constexpr char kReasonPkceMismatch[] = "pkce_mismatch";
// 400 invalid_grant: actor_token missing, of the wrong type, not a valid unrevoked at+jwt of this
// idp, or not the requested actor's own token.
inline constexpr char kReasonActorTokenInvalid[] = "actor_token_invalid";
// 400 invalid_grant: the refresh token is unknown, expired, or was issued to another app.
inline constexpr char kReasonRefreshInvalid[] = "refresh_invalid";
// 400 invalid_grant: a used refresh token came back; its grant is revoked (RFC 9700 §4.14.2).
inline constexpr char kReasonRefreshReuse[] = "refresh_reuse";
// 400 invalid_grant at /token, or inactive at /introspect: the grant was revoked.
inline constexpr char kReasonGrantRevoked[] = "grant_revoked";
// 400 invalid_grant at /token, or inactive at /introspect: the user is disabled.
inline constexpr char kReasonUserDisabled[] = "user_disabled";
// 400 invalid_grant at /token, or inactive at /introspect: the user no longer exists.
inline constexpr char kReasonUserDeleted[] = "user_deleted";

// --- token exchange (RFC 8693 §2; docs/delegation.md, "Token exchange") ---
// 400 invalid_grant: no delegation rule lets the caller act after the subject token's actor.
inline constexpr char kReasonNoDelegationRule[] = "no_delegation_rule";
// 400 invalid_grant: the exchange would make the actor chain longer than the cap.
inline constexpr char kReasonChainTooDeep[] = "chain_too_deep";
// 400 invalid_grant: the subject token is not a valid, live token (expired, revoked, its grant,
// user or an agent of its chain gone or disabled); the event's zta.subject_reason says which.
inline constexpr char kReasonSubjectInactive[] = "subject_inactive";
// 400 invalid_grant: the subject token's may_act names someone else (RFC 8693 §4.4).
inline constexpr char kReasonMayActMismatch[] = "may_act_mismatch";
// (untrusted_issuer, above: a subject token from neither this idp nor a trusted external issuer
// that allows subject tokens.)
// 400 invalid_scope: a scope the subject token does not carry.
inline constexpr char kReasonScopeEscalation[] = "scope_escalation";
// 400 invalid_scope: a scope the delegation rule or the caller's allowance does not pass on.
inline constexpr char kReasonScopeNotDelegated[] = "scope_not_delegated";
// 400 invalid_authorization_details: an entry wider than every entry of the subject token.
inline constexpr char kReasonDetailsEscalation[] = "details_escalation";
// 400 invalid_target: another resource than the subject token's, or one the rule does not name.
inline constexpr char kReasonResourceNotDelegated[] = "resource_not_delegated";

// --- introspection (RFC 7662 §2.2): 200 {"active": false} ---
// A resource server asked about a token addressed to another resource.
inline constexpr char kReasonWrongAudience[] = "wrong_audience";
// The token's jti is on the revocation list (or the list could not be read: fail closed).
inline constexpr char kReasonRevoked[] = "revoked";
// The agent the token was issued to has been deleted.
inline constexpr char kReasonAgentDeleted[] = "agent_deleted";
// The agent the token was issued to (or that acts in it) is disabled; at /token, 400
// invalid_grant: the requested actor is disabled.
inline constexpr char kReasonAgentDisabled[] = "agent_disabled";
// The app a delegated token was issued to is disabled or deleted.
inline constexpr char kReasonAppDisabled[] = "app_disabled";
// A token it was exchanged from (RFC 8693: zta_parents) is revoked.
inline constexpr char kReasonParentRevoked[] = "parent_revoked";
// The act claim is not a chain of objects with a string sub, or is deeper than allowed.
inline constexpr char kReasonBadActorChain[] = "bad_actor_chain";

// --- revocation (RFC 7009) ---
// 200, decision "allow": not a token this server signed; nothing to revoke (RFC 7009 §2.2).
inline constexpr char kReasonUnknownToken[] = "unknown_token";
// 400 unauthorized_client: the token was issued to another client (RFC 7009 §2.1).
inline constexpr char kReasonNotTokenOwner[] = "not_token_owner";
// 503 temporarily_unavailable, decision "error": the revocation could not be stored.
inline constexpr char kReasonStoreError[] = "store_error";

// --- CIBA backchannel approval (OpenID CIBA Core 1.0 §13, §11; docs/delegation.md) ---
// 400 unknown_user_id at /bc-authorize: login_hint names no user, or a disabled one.
inline constexpr char kReasonUnknownUserId[] = "unknown_user_id";
// 400 invalid_binding_message at /bc-authorize: missing, over 64 characters, not UTF-8, or
// holding a control or bidi character.
inline constexpr char kReasonInvalidBindingMessage[] = "invalid_binding_message";
// 400 invalid_request at /bc-authorize: the agent or the user has too many pending requests.
inline constexpr char kReasonTooManyPending[] = "too_many_pending";
// 400 authorization_pending at /token: the user has not decided yet (every poll is recorded;
// slow_down bounds how often).
inline constexpr char kReasonAuthorizationPending[] = "authorization_pending";
// 400 slow_down at /token: polled sooner than the interval, which grew by 5 s (CIBA §11).
inline constexpr char kReasonPollTooFast[] = "poll_too_fast";
// 400 expired_token at /token: the request expired before it was redeemed.
inline constexpr char kReasonBackchannelExpired[] = "backchannel_expired";
// 400 access_denied at /token: the user denied the request.
inline constexpr char kReasonBackchannelDenied[] = "backchannel_denied";
// 400 invalid_grant at /token: the auth_req_id is unknown or belongs to another agent.
inline constexpr char kReasonBackchannelInvalid[] = "backchannel_invalid";
// 400 invalid_grant at /token: the request was redeemed before (single redemption).
inline constexpr char kReasonBackchannelReplay[] = "backchannel_replay";

// Every code above, for tests that must see each one produced.
inline constexpr std::string_view kAllReasons[] = {
    kReasonUnknownClient,  kReasonBadClientKey,    kReasonAssertionReplay, kReasonBadClientSecret,
    kReasonClientDisabled, kReasonTooManyFailures, kReasonNoSigningKey,    kReasonSigningFailed,
    kReasonWrongAudience,  kReasonRevoked,         kReasonAgentDeleted,    kReasonAgentDisabled,
    kReasonUnknownToken,   kReasonNotTokenOwner,   kReasonStoreError,
    kReasonCodeInvalid,    kReasonCodeReplay,      kReasonRedirectMismatch, kReasonPkceMismatch,
    kReasonActorTokenInvalid, kReasonRefreshInvalid, kReasonRefreshReuse, kReasonGrantRevoked,
    kReasonUserDisabled,   kReasonUserDeleted,     kReasonAppDisabled,
    kReasonNoDelegationRule, kReasonChainTooDeep, kReasonSubjectInactive, kReasonMayActMismatch,
    kReasonUntrustedIssuer, kReasonScopeEscalation, kReasonScopeNotDelegated,
    kReasonDetailsEscalation, kReasonResourceNotDelegated, kReasonParentRevoked,
    kReasonBadActorChain,
    kReasonUnknownUserId, kReasonInvalidBindingMessage, kReasonTooManyPending,
    kReasonAuthorizationPending, kReasonPollTooFast, kReasonBackchannelExpired,
    kReasonBackchannelDenied, kReasonBackchannelInvalid, kReasonBackchannelReplay,
    kReasonFederatedSubjectMismatch,
};

}  // namespace zta::idp
