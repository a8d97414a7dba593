// What a resource server reads from a delegated token (docs/delegation.md): whether an agent acts
// for a user, the RFC 9396 authorization_details entry of a type, and whether a request lies
// within that entry (the booking the user approved, not another one an injected instruction
// asked for).
#pragma once

#include <span>
#include <string>
#include <string_view>

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

}  // namespace zta::guard
