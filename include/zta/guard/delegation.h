// What a resource server reads from a delegated token (docs/delegation.md): whether an agent acts
// for a user, the RFC 9396 authorization_details entry of a type, and whether a request lies
// within that entry (the booking the user approved, not another one an injected instruction
// asked for).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "zta/core/json.h"
#include "zta/core/status.h"
#include "zta/guard/validator.h"

namespace zta::guard {

// Reason codes of these checks (Status::reason(), kPermissionDenied → 403 insufficient_scope by
// Validator::DenialResponse). docs/audit-events.md lists them.
inline constexpr char kReasonDetailsMissing[] = "details_missing";    // no entry of that type
inline constexpr char kReasonDetailsMismatch[] = "details_mismatch";  // request outside the entry
// The route or resource wants an agent acting for a user (an act chain and a user sub).
inline constexpr char kReasonUserTokenRequired[] = "user_token_required";
// The token's actor chain is not one the route's ActorPolicy admits.
inline constexpr char kReasonActorChainNotAllowed[] = "actor_chain_not_allowed";

// True when the token says an actor acts for a subject: an RFC 8693 §4.1 actor chain is
// present, and the subject is not the current actor itself. A client-credentials token (the
// agent as itself) and a plain user token without `act` are both false.
bool ActsForUser(const Principal& principal);

// The first entry of `principal.authorization_details` (RFC 9396 §2: an array of objects) whose
// "type" is `type`; null when there is none or the claim is absent or malformed.
const Json* FindAuthorizationDetails(const Principal& principal, std::string_view type);

// One field of a request checked against an authorization_details entry.
struct DetailConstraint {
  enum class Kind {
    kEqual,   // request[field] equals detail[detail_field] (a string, number or boolean), or is
              // one of its members when the detail's value is an array (RFC 9396 `locations`)
    kAtMost,  // request[field] is a number ≤ the number detail[detail_field]
  };
  std::string field;         // in the request. REQUIRED.
  Kind kind = Kind::kEqual;  // Default: kEqual.
  // The detail's field. Default: `field` for kEqual, "max_" + `field` for kAtMost.
  std::string detail_field;
};

// Checks `request` (a JSON object: the fields the resource is about to act on) against
// `detail` for each constraint. A field missing on either side is a mismatch. Ok, or
// kPermissionDenied with reason details_mismatch and a message naming the field.
Status CheckWithinDetail(const Json& detail, const Json& request,
                         std::span<const DetailConstraint> constraints);

// The same by convention, for every member of `request`: a member `x` must equal the detail's
// `x` when the detail has one, else be a number ≤ the detail's `max_x`; a member the detail says
// nothing about is a mismatch (pass only the fields the detail is meant to bound). E.g. detail
// {"type":"hotel_booking","hotel_id":"h-1","max_total":240} admits {"hotel_id":"h-1",
// "total":200} and refuses {"hotel_id":"h-2",...} and {"total":300,...}.
Status CheckWithinDetail(const Json& detail, const Json& request);

// The request checked by convention against the token's entries of `type`: Ok when one of them
// admits it; details_missing when the token has no entry of `type`, details_mismatch when none
// admits the request.
Status CheckRequestWithinDetails(const Principal& principal, std::string_view type,
                                 const Json& request);

// Which chains of agents may call a route or resource, read from the token's RFC 8693 §4.1 `act`
// claim (Principal::actor_chain, current actor first). Plain config, immutable once built.
struct ActorPolicy {
  enum class Kind {
    kAny,     // no restriction on the chain (the token may or may not carry act)
    kNone,    // no act at all: the caller acts as itself, or the user directly
    kChains,  // the chain must equal one of `chains`
  };
  Kind kind = Kind::kAny;  // Default: kAny (today's behaviour).
  // kChains only: the admitted chains, each a list of actor ids (act.sub, the agents' client
  // ids) with the current actor first, compared exactly: same length, same order, same bytes
  // (no case folding). ["booking-agent","guest-assistant"] admits neither ["booking-agent"] nor
  // ["booking-agent","guest-assistant","x"] nor the reverse. An empty chain admits a token
  // without act. REQUIRED non-empty for kChains, each chain at most kMaxActorChainDepth long,
  // no id empty.
  std::vector<std::vector<std::string>> chains;

  static ActorPolicy Any() { return {}; }
  static ActorPolicy None() { return {Kind::kNone, {}}; }
  static ActorPolicy Chains(std::vector<std::vector<std::string>> chains) {
    return {Kind::kChains, std::move(chains)};
  }

  // InvalidArgument when kChains has no chain, an over-long chain or an empty id.
  Status Validate() const;
  // The config form: "any", "none" or the chains as a JSON array of arrays.
  std::string ToString() const;
};

// Ok when `policy` admits the principal's actor chain; else kPermissionDenied with reason
// actor_chain_not_allowed and a message naming the chain seen (actor ids are client ids, not
// secrets; written JSON-escaped).
Status CheckActorPolicy(const Principal& principal, const ActorPolicy& policy);

// The policy from config: the string "any" or "none", or an array of arrays of strings, e.g.
// [["booking-agent","guest-assistant"],["booking-agent"]]. Validated; anything else is an
// InvalidArgument naming what was wrong.
Result<ActorPolicy> ActorPolicyFromJson(const Json& value);
// The same from text: `any`, `none` (bare or as JSON strings) or the JSON array form.
Result<ActorPolicy> ParseActorPolicy(std::string_view text);

}  // namespace zta::guard
