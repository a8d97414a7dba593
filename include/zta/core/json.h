// Strict JSON parsing for untrusted input: bounded depth, no duplicate member names.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "zta/core/status.h"

namespace zta {

using Json = nlohmann::json;

struct JsonLimits {
  // Maximum nesting of objects and arrays. Default: 16 (the JOSE layer's bound).
  int max_depth = 16;
  // Maximum input size in bytes. Default: 1 MiB.
  size_t max_bytes = 1 << 20;
};

// Parses `text` as one JSON value (RFC 8259). Refuses, with reason "too_large", input over
// max_bytes or nested deeper than max_depth (checked while parsing, before anything deeper is
// built), and with reason "malformed" invalid JSON, invalid UTF-8 and objects with duplicate
// member names (RFC 7515 §4 lets a JOSE parser reject them; accepting "last wins" would let two
// parsers disagree on the same token). Never throws.
Result<Json> ParseJsonStrict(std::string_view text, const JsonLimits& limits = {});

// Serializes without throwing: invalid UTF-8 in strings is replaced, not fatal. With indent < 0
// the output is compact: members in name order, no whitespace, strings escaped only where
// RFC 8259 §7 requires — nlohmann's dump(), byte for byte, written faster.
std::string DumpJson(const Json& value, int indent = -1);

// Append what DumpJson(value) returns, or what DumpJson(Json(text)) returns, to `out`: for
// writers of hot-path documents that spell their members out in order.
void AppendJson(std::string& out, const Json& value);
void AppendJsonString(std::string& out, std::string_view text);

}  // namespace zta
