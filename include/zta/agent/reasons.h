// The agent runtime's reason codes: every string it records as a tool call's reason (the
// `reason` of a `tool.call` audit event and ToolOutcome::reason), returns as a Status reason,
// or sets as a turn's stop_reason. Tests assert these strings and audit queries search for them:
// never change a value.
#pragma once

#include <string_view>

namespace zta::agent {

// Besides these, a tool call's reason is
//   - the token source's own reason when no token could be had (auth/reasons.h: "invalid_client",
//     "invalid_scope", "idp_unavailable", ..., or an IdP's OAuth error code), with kReasonNoToken
//     for anything that is not a short snake_case word;
//   - the API's RFC 6750 error code ("invalid_token", "insufficient_scope") on a 401/403 that
//     names one, else kUpstreamStatusPrefix + the status ("upstream_401", "upstream_500").
// The team's stop reasons are TeamStopReason (team.h), named by TeamStopReasonName.

// --- tool calls: refused before the tool runs (ToolStatus::kError unless noted) ---
// The model called a tool (or handoff) the agent does not have.
inline constexpr char kReasonUnknownTool[] = "unknown_tool";
// The model's arguments are not a JSON object within the size and depth limits.
inline constexpr char kReasonInvalidJson[] = "invalid_json";
// The arguments fail the tool's JSON schema, or a URL slot value would change the path.
inline constexpr char kReasonInvalidArguments[] = "invalid_arguments";
// ToolStatus::kDenied: the tool needs approval and a person said no (or no approval hook).
inline constexpr char kReasonNotApproved[] = "not_approved";
// A second handoff in one model reply; only the first is taken.
inline constexpr char kReasonDuplicateHandoff[] = "duplicate_handoff";
// ToolStatus::kDenied: an on-behalf-of tool was called in a conversation with no user.
inline constexpr char kReasonNoUser[] = "no_user";
// ToolStatus::kDenied: no token, and the token source's reason was not a safe code.
inline constexpr char kReasonNoToken[] = "no_token";
// kInternal: the tool's schema has a pattern that is not an ECMAScript regex.
inline constexpr char kReasonBadSchema[] = "bad_schema";

// --- tool calls: the tool ran and failed ---
// ToolStatus::kDenied: the handler was refused (401/403) and said no finer reason.
inline constexpr char kReasonUpstreamDenied[] = "upstream_denied";
// The handler failed and said no finer reason.
inline constexpr char kReasonToolFailed[] = "tool_failed";
// kInternal: the handler threw (the exception's text is not passed on).
inline constexpr char kReasonToolException[] = "tool_exception";
// kUnavailable: a declarative HTTP tool could not reach its API.
inline constexpr char kReasonUpstreamUnreachable[] = "upstream_unreachable";
// Not a code by itself: a declarative HTTP tool's reason for a refused or failed answer without
// an RFC 6750 error code is this prefix and the HTTP status ("upstream_403").
inline constexpr char kUpstreamStatusPrefix[] = "upstream_";

// --- a turn (AssistantAgent::Run) that fails ---
// kUnavailable: the audit sink refused a tool-call event; the turn stops.
inline constexpr char kReasonAuditUnavailable[] = "audit_unavailable";

// --- chat models (OpenAI-compatible, Azure): Status reasons of ChatModel::Complete ---
// kDataLoss: the answer is not the documented JSON shape.
inline constexpr char kReasonBadModelResponse[] = "bad_model_response";
// The provider's content filter refused the prompt (400), or withheld the answer (stop reason).
inline constexpr char kReasonContentFilter[] = "content_filter";
// 401: the API key or token was refused.
inline constexpr char kReasonModelUnauthenticated[] = "model_unauthenticated";
// 403: the key may not use this model or deployment.
inline constexpr char kReasonModelForbidden[] = "model_forbidden";
// 404: no such model or deployment.
inline constexpr char kReasonModelNotFound[] = "model_not_found";
// 429 after the retries.
inline constexpr char kReasonModelRateLimited[] = "model_rate_limited";
// 5xx, 408 or a transport failure after the retries, or a broken stream.
inline constexpr char kReasonModelUnavailable[] = "model_unavailable";
// Any other 4xx: the request itself was wrong.
inline constexpr char kReasonModelRejectedRequest[] = "model_rejected_request";

// --- how a turn ended: TurnResult::stop_reason (kReasonContentFilter too) ---
// The model answered in text.
inline constexpr char kStopFinal[] = "final";
// The tool rounds were used up and the model still wanted tools.
inline constexpr char kStopMaxToolIterations[] = "max_tool_iterations";
// The turn was handed to another agent (TurnResult::handoff_target).
inline constexpr char kStopHandoff[] = "handoff";
// A UserProxyAgent spoke.
inline constexpr char kStopUserInput[] = "user_input";
// The user proxy has no more input (also the Status reason of its input callback).
inline constexpr char kStopEndOfInput[] = "end_of_input";

// Every code above, for the test that checks each is produced somewhere.
inline constexpr std::string_view kAllReasons[] = {
    kReasonUnknownTool,
    kReasonInvalidJson,
    kReasonInvalidArguments,
    kReasonNotApproved,
    kReasonDuplicateHandoff,
    kReasonNoUser,
    kReasonNoToken,
    kReasonBadSchema,
    kReasonUpstreamDenied,
    kReasonToolFailed,
    kReasonToolException,
    kReasonUpstreamUnreachable,
    kReasonAuditUnavailable,
    kReasonBadModelResponse,
    kReasonContentFilter,
    kReasonModelUnauthenticated,
    kReasonModelForbidden,
    kReasonModelNotFound,
    kReasonModelRateLimited,
    kReasonModelUnavailable,
    kReasonModelRejectedRequest,
    kStopFinal,
    kStopMaxToolIterations,
    kStopHandoff,
    kStopUserInput,
    kStopEndOfInput,
};

}  // namespace zta::agent
