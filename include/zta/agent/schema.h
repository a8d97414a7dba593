// A small typed builder for the JSON Schemas of tool parameters, and the validator that checks a
// model's arguments against such a schema before any tool code runs.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "zta/core/json.h"
#include "zta/core/status.h"

namespace zta::agent {

// Builds the subset of JSON Schema (2020-12) that OpenAI structured outputs accept in strict
// mode: every object has "additionalProperties": false and lists all its properties as required;
// an optional value is spelled as a union with null (Nullable()). Plain value; thread-compatible.
//
//   Schema::Object()
//       .Property("city", Schema::String("City name").MinLength(1))
//       .Property("guests", Schema::Integer().Minimum(1).Maximum(8))
//       .Property("note", Schema::String().Nullable())
class Schema {
 public:
  static Schema String(std::string description = {});
  static Schema Integer(std::string description = {});
  static Schema Number(std::string description = {});
  static Schema Boolean(std::string description = {});
  // A string restricted to `values`.
  static Schema Enum(std::vector<std::string> values, std::string description = {});
  static Schema Array(const Schema& items, std::string description = {});
  // An object with no properties yet; add them with Property().
  static Schema Object(std::string description = {});

  // Object only: adds a property (strict mode makes it required; see Nullable for optional).
  Schema& Property(const std::string& name, const Schema& schema);
  Schema& Description(std::string text);
  // Also accepts null ("type": [T, "null"]): how strict mode spells an optional value.
  Schema& Nullable();
  Schema& MinLength(int64_t n);
  Schema& MaxLength(int64_t n);
  Schema& Pattern(std::string ecmascript_regex);  // checked with std::regex (ECMAScript)
  Schema& Minimum(double n);
  Schema& Maximum(double n);
  Schema& MinItems(int64_t n);
  Schema& MaxItems(int64_t n);

  const Json& json() const { return json_; }

 private:
  explicit Schema(Json json) : json_(std::move(json)) {}
  Json json_;
};

// True when `schema` satisfies OpenAI strict mode: every object closes additionalProperties and
// requires all of its properties.
bool IsStrictSchema(const Json& schema);

// Adds "additionalProperties": false to every object schema that does not say otherwise, so a
// hand-written schema (e.g. from TOML) also refuses unknown arguments.
Json CloseObjects(Json schema);

// Checks `value` against `schema`. Supports type (string or array of types), properties, required,
// additionalProperties (false or a schema), enum, const, items, minLength, maxLength, pattern,
// minimum, maximum, exclusiveMinimum, exclusiveMaximum, minItems, maxItems and anyOf. Unknown
// keywords are ignored. Errors are kInvalidArgument with reason "invalid_arguments" and a message
// naming the JSON path ("$.guests: expected integer"), safe to show to the model.
Status ValidateJson(const Json& schema, const Json& value);

}  // namespace zta::agent
