// A JSON Schema check for authorization_details entries (RFC 9396 §2) that the idp can run
// itself (the agent module's validator is above it in the rule of dependencies). It knows the
// subset resources declare: type, properties, required, enum, minimum/maximum,
// additionalProperties: false, minLength/maxLength, items. Anything else in a schema is
// ignored, never a reason to accept a value the known keywords refuse.
#pragma once

#include <string>
#include <string_view>

#include "zta/core/json.h"
#include "zta/idp/registry.h"

namespace zta::idp::browser {

// Whether `value` satisfies `schema`; when not, `*why` says where ("check_in: required").
bool MatchesSchema(const Json& schema, const Json& value, std::string* why);

// The consent template `text` with each "{field}" replaced by the DisplayEscape'd value of
// `entry`'s member `field` (strings as they are, numbers and others as JSON). Unknown fields
// and the rest of the text are escaped too.
std::string RenderDetailsText(const std::string& text, const Json& entry);

// The members of `entry` that `text` does not name as "{field}" (nor "type"), as HTML
// "name = value" joined by "; ", each escaped with DisplayEscape; empty when there are none. The
// consent page lists them so a field the template leaves out ("total" next to "max_total") is seen.
std::string RenderUnnamedFields(const std::string& text, const Json& entry);

// One authorization_details entry in words, as HTML: its type's template filled in (plus, on a
// second line, what the template leaves out), or "type: <code>JSON</code>" when `resource` has
// no template for it. The consent page and /account describe grants with it.
std::string DescribeDetailsEntry(const Resource* resource, const Json& entry);

// `s` HTML-escaped, with every bidi override or isolate (U+202A-U+202E, U+2066-U+2069, and the
// marks U+200E, U+200F, U+061C), every C0/C1 control and DEL, and every invalid UTF-8 byte
// replaced by U+FFFD, so a value cannot reorder or hide the text around it on the consent page.
std::string DisplayEscape(std::string_view s);

}  // namespace zta::idp::browser
