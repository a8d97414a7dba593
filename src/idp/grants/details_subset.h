// RFC 9396 authorization_details narrowing for token exchange (RFC 8693 §2.1 says the issued
// token's rights are the server's policy; zta's policy: never more than the subject token has).
#pragma once

#include <string>

#include "zta/core/json.h"

namespace zta::idp {

// True when entry `narrower` asks for no more than entry `wider`: the same "type", and every
// member of `wider` also in `narrower` with
//   - for a member named max_* holding a number: a number no greater ("max_total": 200 ≤ 240);
//   - for an array (RFC 9396 §2.2 locations, actions, ...): an array of some of its members, or
//     one of its members;
//   - otherwise the equal value.
// `narrower` has no member `wider` lacks: resource servers refuse a request field its entry does
// not bound, so an added member would grant a field the user never approved.
bool DetailEntryWithin(const Json& narrower, const Json& wider);

// "" when every entry of `requested` (a JSON array of objects) lies within some entry of `held`
// (an array, or null for none), else why not in words naming the entry's type.
std::string WhyDetailsExceed(const Json& requested, const Json& held);

}  // namespace zta::idp
