// Tool-parameter schemas: the builder and a validator for the keywords tool schemas use.
#include "zta/agent/schema.h"

#include <cmath>
#include <regex>

#include "zta/agent/reasons.h"

namespace zta::agent {
namespace {

Json Typed(const char* type, std::string description) {
  Json j = {{"type", type}};
  if (!description.empty()) j["description"] = std::move(description);
  return j;
}

Status Fail(const std::string& path, const std::string& what) {
  return Status(StatusCode::kInvalidArgument, path + ": " + what, kReasonInvalidArguments);
}

bool IsInteger(const Json& v) {
  if (v.is_number_integer()) return true;
  if (v.is_number_float()) {
    double d = v.get<double>();
    return std::isfinite(d) && std::floor(d) == d;
  }
  return false;
}

bool HasType(const Json& v, const std::string& type) {
  if (type == "string") return v.is_string();
  if (type == "integer") return IsInteger(v);
  if (type == "number") return v.is_number();
  if (type == "boolean") return v.is_boolean();
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "null") return v.is_null();
  return false;
}

// Length in Unicode code points (JSON Schema counts characters, not bytes).
int64_t CodePoints(const std::string& s) {
  int64_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string ChildPath(const std::string& path, const std::string& key) {
  bool simple = !key.empty();
  for (char c : key) simple = simple && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
  return simple ? path + "." + key : path + "[" + DumpJson(Json(key)) + "]";
}

Status Validate(const Json& schema, const Json& v, const std::string& path, int depth);

// "type": one name or a list of names, any of which `v` has.
Status CheckType(const Json& schema, const Json& v, const std::string& path) {
  auto t = schema.find("type");
  if (t == schema.end()) return Status::Ok();
  bool ok = false;
  std::string names;
  if (t->is_string()) {
    ok = HasType(v, t->get<std::string>());
    names = t->get<std::string>();
  } else if (t->is_array()) {
    for (const Json& name : *t) {
      if (!name.is_string()) continue;
      ok = ok || HasType(v, name.get<std::string>());
      names += (names.empty() ? "" : " or ") + name.get<std::string>();
    }
  }
  return ok ? Status::Ok() : Fail(path, "expected " + names);
}

// "enum", "const" and "anyOf": the value is one of the allowed values or forms.
Status CheckAllowed(const Json& schema, const Json& v, const std::string& path, int depth) {
  if (auto e = schema.find("enum"); e != schema.end() && e->is_array()) {
    bool found = false;
    for (const Json& option : *e) found = found || option == v;
    if (!found) return Fail(path, "not one of the allowed values " + DumpJson(*e));
  }
  if (auto c = schema.find("const"); c != schema.end() && *c != v) {
    return Fail(path, "must be " + DumpJson(*c));
  }
  if (auto any = schema.find("anyOf"); any != schema.end() && any->is_array()) {
    bool matched = false;
    for (const Json& option : *any) {
      if (Validate(option, v, path, depth + 1).ok()) {
        matched = true;
        break;
      }
    }
    if (!matched) return Fail(path, "matches none of the allowed forms");
  }
  return Status::Ok();
}

// "minLength", "maxLength" (in code points) and "pattern" (ECMAScript, unanchored).
Status CheckString(const Json& schema, const std::string& s, const std::string& path) {
  if (auto n = schema.find("minLength");
      n != schema.end() && n->is_number() && CodePoints(s) < n->get<int64_t>()) {
    return Fail(path, "shorter than " + std::to_string(n->get<int64_t>()) + " characters");
  }
  if (auto n = schema.find("maxLength");
      n != schema.end() && n->is_number() && CodePoints(s) > n->get<int64_t>()) {
    return Fail(path, "longer than " + std::to_string(n->get<int64_t>()) + " characters");
  }
  if (auto p = schema.find("pattern"); p != schema.end() && p->is_string()) {
    try {
      if (!std::regex_search(s, std::regex(p->get<std::string>(), std::regex::ECMAScript))) {
        return Fail(path, "does not match the pattern " + p->get<std::string>());
      }
    } catch (const std::regex_error&) {
      return Status(StatusCode::kInternal, path + ": the tool's schema has a bad pattern",
                    kReasonBadSchema);
    }
  }
  return Status::Ok();
}

// "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum".
Status CheckNumber(const Json& schema, double d, const std::string& path) {
  auto bound = [&](const char* key, auto bad, const char* text) -> Status {
    auto n = schema.find(key);
    if (n != schema.end() && n->is_number() && bad(d, n->get<double>())) {
      return Fail(path, std::string(text) + " " + DumpJson(*n));
    }
    return Status::Ok();
  };
  ZTA_RETURN_IF_ERROR(bound(
      "minimum", [](double a, double b) { return a < b; }, "less than"));
  ZTA_RETURN_IF_ERROR(bound(
      "maximum", [](double a, double b) { return a > b; }, "more than"));
  ZTA_RETURN_IF_ERROR(bound(
      "exclusiveMinimum", [](double a, double b) { return a <= b; }, "not more than"));
  return bound(
      "exclusiveMaximum", [](double a, double b) { return a >= b; }, "not less than");
}

// "minItems", "maxItems" and "items" (one schema for every item).
Status CheckArray(const Json& schema, const Json& v, const std::string& path, int depth) {
  if (auto n = schema.find("minItems");
      n != schema.end() && n->is_number() && static_cast<int64_t>(v.size()) < n->get<int64_t>()) {
    return Fail(path, "fewer than " + std::to_string(n->get<int64_t>()) + " items");
  }
  if (auto n = schema.find("maxItems");
      n != schema.end() && n->is_number() && static_cast<int64_t>(v.size()) > n->get<int64_t>()) {
    return Fail(path, "more than " + std::to_string(n->get<int64_t>()) + " items");
  }
  if (auto items = schema.find("items"); items != schema.end()) {
    for (size_t i = 0; i < v.size(); ++i) {
      ZTA_RETURN_IF_ERROR(Validate(*items, v[i], path + "[" + std::to_string(i) + "]", depth + 1));
    }
  }
  return Status::Ok();
}

// "required", "properties" and "additionalProperties".
Status CheckObject(const Json& schema, const Json& v, const std::string& path, int depth) {
  const Json empty = Json::object();
  auto props_it = schema.find("properties");
  const Json& props = (props_it != schema.end() && props_it->is_object()) ? *props_it : empty;
  if (auto req = schema.find("required"); req != schema.end() && req->is_array()) {
    for (const Json& name : *req) {
      if (name.is_string() && !v.contains(name.get<std::string>())) {
        return Fail(ChildPath(path, name.get<std::string>()), "is required");
      }
    }
  }
  auto additional = schema.find("additionalProperties");
  for (auto it = v.begin(); it != v.end(); ++it) {
    std::string child = ChildPath(path, it.key());
    if (auto p = props.find(it.key()); p != props.end()) {
      ZTA_RETURN_IF_ERROR(Validate(*p, it.value(), child, depth + 1));
    } else if (additional != schema.end()) {
      if (additional->is_boolean() && !additional->get<bool>()) {
        return Fail(child, "is not a known parameter");
      }
      ZTA_RETURN_IF_ERROR(Validate(*additional, it.value(), child, depth + 1));
    }
  }
  return Status::Ok();
}

Status Validate(const Json& schema, const Json& v, const std::string& path, int depth) {
  if (depth > 32) return Fail(path, "schema nested too deeply");
  if (schema.is_boolean()) {
    return schema.get<bool>() ? Status::Ok() : Fail(path, "no value is allowed here");
  }
  if (!schema.is_object()) return Status::Ok();
  ZTA_RETURN_IF_ERROR(CheckType(schema, v, path));
  ZTA_RETURN_IF_ERROR(CheckAllowed(schema, v, path, depth));
  if (v.is_string()) {
    ZTA_RETURN_IF_ERROR(CheckString(schema, v.get_ref<const std::string&>(), path));
  }
  if (v.is_number()) ZTA_RETURN_IF_ERROR(CheckNumber(schema, v.get<double>(), path));
  if (v.is_array()) ZTA_RETURN_IF_ERROR(CheckArray(schema, v, path, depth));
  if (v.is_object()) ZTA_RETURN_IF_ERROR(CheckObject(schema, v, path, depth));
  return Status::Ok();
}

bool Strict(const Json& schema, int depth) {
  if (depth > 32 || !schema.is_object()) return depth <= 32;
  auto type = schema.find("type");
  bool is_object =
      type != schema.end() &&
      ((type->is_string() && *type == "object") ||
       (type->is_array() && std::find(type->begin(), type->end(), "object") != type->end()));
  if (is_object) {
    auto additional = schema.find("additionalProperties");
    if (additional == schema.end() || *additional != false) return false;
    auto props = schema.find("properties");
    auto req = schema.find("required");
    size_t n_props = (props != schema.end() && props->is_object()) ? props->size() : 0;
    if (n_props > 0) {
      if (req == schema.end() || !req->is_array()) return false;
      for (auto it = props->begin(); it != props->end(); ++it) {
        if (std::find(req->begin(), req->end(), it.key()) == req->end()) return false;
        if (!Strict(it.value(), depth + 1)) return false;
      }
    }
  }
  if (auto items = schema.find("items"); items != schema.end() && !Strict(*items, depth + 1)) {
    return false;
  }
  if (auto any = schema.find("anyOf"); any != schema.end() && any->is_array()) {
    for (const Json& option : *any) {
      if (!Strict(option, depth + 1)) return false;
    }
  }
  return true;
}

void Close(Json& schema, int depth) {
  if (depth > 32 || !schema.is_object()) return;
  auto type = schema.find("type");
  bool is_object = type != schema.end() && type->is_string() && *type == "object";
  if ((is_object || schema.contains("properties")) && !schema.contains("additionalProperties")) {
    schema["additionalProperties"] = false;
  }
  if (auto props = schema.find("properties"); props != schema.end() && props->is_object()) {
    for (auto it = props->begin(); it != props->end(); ++it) Close(it.value(), depth + 1);
  }
  if (auto items = schema.find("items"); items != schema.end()) Close(*items, depth + 1);
  if (auto any = schema.find("anyOf"); any != schema.end() && any->is_array()) {
    for (Json& option : *any) Close(option, depth + 1);
  }
}

}  // namespace

Schema Schema::String(std::string description) { return Schema(Typed("string", description)); }
Schema Schema::Integer(std::string description) { return Schema(Typed("integer", description)); }
Schema Schema::Number(std::string description) { return Schema(Typed("number", description)); }
Schema Schema::Boolean(std::string description) { return Schema(Typed("boolean", description)); }

Schema Schema::Enum(std::vector<std::string> values, std::string description) {
  Json j = Typed("string", std::move(description));
  j["enum"] = values;
  return Schema(std::move(j));
}

Schema Schema::Array(const Schema& items, std::string description) {
  Json j = Typed("array", std::move(description));
  j["items"] = items.json();
  return Schema(std::move(j));
}

Schema Schema::Object(std::string description) {
  Json j = Typed("object", std::move(description));
  j["properties"] = Json::object();
  j["required"] = Json::array();
  j["additionalProperties"] = false;
  return Schema(std::move(j));
}

Schema& Schema::Property(const std::string& name, const Schema& schema) {
  if (!json_.contains("properties")) return *this;  // not an object: ignored
  bool had = json_["properties"].contains(name);
  json_["properties"][name] = schema.json();
  if (!had) json_["required"].push_back(name);
  return *this;
}

Schema& Schema::Description(std::string text) {
  json_["description"] = std::move(text);
  return *this;
}

Schema& Schema::Nullable() {
  Json& type = json_["type"];
  if (type.is_string()) type = Json::array({type, "null"});
  if (auto e = json_.find("enum"); e != json_.end() && e->is_array()) {
    bool has_null = false;
    for (const Json& v : *e) has_null = has_null || v.is_null();
    if (!has_null) e->push_back(nullptr);
  }
  return *this;
}

Schema& Schema::MinLength(int64_t n) {
  json_["minLength"] = n;
  return *this;
}
Schema& Schema::MaxLength(int64_t n) {
  json_["maxLength"] = n;
  return *this;
}
Schema& Schema::Pattern(std::string re) {
  json_["pattern"] = std::move(re);
  return *this;
}
// Whole bounds are written as integers: floats print differently across JSON libraries.
static Json Bound(double n) {
  if (std::floor(n) == n && std::fabs(n) < 9e15) return Json(static_cast<int64_t>(n));
  return Json(n);
}
Schema& Schema::Minimum(double n) {
  json_["minimum"] = Bound(n);
  return *this;
}
Schema& Schema::Maximum(double n) {
  json_["maximum"] = Bound(n);
  return *this;
}
Schema& Schema::MinItems(int64_t n) {
  json_["minItems"] = n;
  return *this;
}
Schema& Schema::MaxItems(int64_t n) {
  json_["maxItems"] = n;
  return *this;
}

bool IsStrictSchema(const Json& schema) { return Strict(schema, 0); }

Json CloseObjects(Json schema) {
  Close(schema, 0);
  return schema;
}

Status ValidateJson(const Json& schema, const Json& value) {
  return Validate(schema, value, "$", 0);
}

}  // namespace zta::agent
