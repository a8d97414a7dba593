// A JSON Schema check for authorization_details entries (RFC 9396 §2) that the idp can run
// itself (the agent module's validator is above it in the rule of dependencies). It knows the
// subset resources declare: type, properties, required, enum, minimum/maximum,
// additionalProperties: false, minLength/maxLength, items. Anything else in a schema is
// ignored, never a reason to accept a value the known keywords refuse.
#pragma once

#include <string>

#include "zta/core/json.h"

namespace zta::idp::browser {

// Whether `value` satisfies `schema`; when not, `*why` says where ("check_in: required").
bool MatchesSchema(const Json& schema, const Json& value, std::string* why);

// The consent template `text` with each "{field}" replaced by the HTML-escaped value of
// `entry`'s member `field` (strings as they are, numbers and others as JSON). Unknown fields
// and the rest of the text are escaped too.
std::string RenderDetailsText(const std::string& text, const Json& entry);

}  // namespace zta::idp::browser
