// The one form of a request path that the gateway authorizes and forwards. A gateway that
// matches one spelling of a path while its upstream decodes another lets a narrow token reach a
// route that needs a wider one; so every path is brought to one normal form (RFC 3986 §6.2.2)
// or refused, routes are matched against that form, and the upstream receives exactly it.
#pragma once

#include <string>
#include <string_view>

#include "zta/core/status.h"

namespace zta::guard {

// Reason codes of refused paths (Status::reason(), audited; the gateway answers 400).
inline constexpr char kReasonMalformedPath[] = "malformed_path";  // bad escape, byte not a pchar
inline constexpr char kReasonAmbiguousPath[] = "ambiguous_path";  // upstreams may read it apart

// Brings an origin-form path (no query) to its normal form, or refuses it:
// - Percent-encoded unreserved characters (ALPHA DIGIT - . _ ~) are decoded; every other escape
//   keeps its encoding with upper-case hex (RFC 3986 §6.2.2.1–2).
// - Refused as malformed_path: not starting with '/', a '%' without two hex digits, any byte
//   that is not a pchar or '/' (RFC 3986 §3.3: controls, space, non-ASCII, '"', '<', '>', '\',
//   '^', '`', '{', '|', '}').
// - Refused as ambiguous_path, because servers disagree on what they mean: an encoded '/', '\',
//   ';', '%' (double encoding: "%2561") or control byte; a ';' (path parameters: Tomcat-style
//   servers read "..;" as ".."); a "." or ".." segment, also when spelled with escapes
//   (RFC 3986 §5.2.4; refused rather than removed so that no upstream sees a path its client
//   did not send); an empty segment ("//", which some servers merge) anywhere but at the end.
// Case is kept: route matching folds it (Route::case_sensitive), the upstream gets it as sent.
Result<std::string> NormalizeRequestPath(std::string_view path);

// Compares two normalized paths, ASCII case folded unless `case_sensitive`. Escapes are already
// upper-case in both, so "%c3%a9" and "%C3%A9" compare equal either way.
bool PathEquals(std::string_view a, std::string_view b, bool case_sensitive);

}  // namespace zta::guard
