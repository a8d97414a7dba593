// The client SDK's reason codes: every Status reason a TokenSource (AuthProvider) returns that
// is not the IdP's own OAuth error code. Agents record them as a tool call's reason when no token
// could be had. Tests assert these strings and audit queries search for them: never change a
// value.
#pragma once

#include <string_view>

namespace zta::auth {

// Besides these, a failed GetToken's reason is the OAuth error code the IdP answered (RFC 6749
// §5.2: "invalid_client" as kUnauthenticated; "invalid_scope", "unauthorized_client",
// "access_denied", "invalid_grant" as kPermissionDenied; "invalid_target", "invalid_request",
// ... as kInvalidArgument), with the error_description in the message; or http::DiscoverMetadata's
// "bad_issuer" when the configured issuer is not an http(s) URL.

// kUnavailable: the IdP could not be reached, timed out, or answered 408/429/5xx after every
// retry; also when its metadata document could not be fetched.
inline constexpr char kReasonIdpUnavailable[] = "idp_unavailable";
// kFailedPrecondition: a 200 token response without an access_token, with a token_type other
// than Bearer (a DPoP-bound token needs a proof we lack), or with a token already expired.
inline constexpr char kReasonBadTokenResponse[] = "bad_token_response";
// kFailedPrecondition: the metadata document names another issuer or has no token_endpoint
// (the same value as http::kReasonBadMetadata, which discovery returns).
inline constexpr char kReasonBadMetadata[] = "bad_metadata";
// kFailedPrecondition: the token endpoint answered an error without a snake_case OAuth code.
inline constexpr char kReasonTokenError[] = "token_error";
// Tokens on behalf of a user (DelegatedTokenSource, zta/auth/delegation.h). kPermissionDenied:
// AuthProvider alone, or a DelegatedTokenSource without a ConsentHandler, cannot ask the user.
inline constexpr char kReasonConsentRequired[] = "consent_required";  // no ConsentHandler
inline constexpr char kReasonConsentDenied[] = "consent_denied";      // error=access_denied
inline constexpr char kReasonConsentTimeout[] = "consent_timeout";    // no answer in time
// The redirect's state is not the one sent (RFC 6749 §10.12: CSRF, or a mixed-up browser tab).
inline constexpr char kReasonStateMismatch[] = "state_mismatch";
// The redirect's iss is missing (when the metadata promises it) or another issuer's (RFC 9207
// §2.4: a mix-up attack).
inline constexpr char kReasonIssuerMismatch[] = "issuer_mismatch";
// The redirect carried neither a code nor an error, or an error code that is not snake_case.
inline constexpr char kReasonBadAuthorizationResponse[] = "bad_authorization_response";
// Backchannel approval (OpenID CIBA Core 1.0 poll mode, TokenRequest::approval = kBackchannel).
// kDeadlineExceeded: the user did not answer before the request's expires_in (or the token
// endpoint said expired_token).
inline constexpr char kReasonApprovalTimeout[] = "approval_timeout";
// kPermissionDenied: the user denied the request (access_denied while polling, CIBA §11).
inline constexpr char kReasonApprovalDenied[] = "approval_denied";


// Every code above, for the test that checks each is produced somewhere.
inline constexpr std::string_view kAllReasons[] = {
    kReasonIdpUnavailable,  kReasonBadTokenResponse, kReasonBadMetadata,
    kReasonTokenError,      kReasonConsentRequired,  kReasonConsentDenied,
    kReasonConsentTimeout,  kReasonStateMismatch,    kReasonIssuerMismatch,
    kReasonBadAuthorizationResponse, kReasonApprovalTimeout, kReasonApprovalDenied,
};

}  // namespace zta::auth
