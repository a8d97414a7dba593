// The JSON Schema subset of details_schema.h. Conservative: a keyword's rule is applied only
// when the keyword has the form the subset knows; a value of the wrong JSON type is refused.
#include "details_schema.h"

#include <algorithm>

#include "zta/http/web.h"

namespace zta::idp::browser {
namespace {

bool HasType(const Json& value, const std::string& type) {
  if (type == "object") return value.is_object();
  if (type == "array") return value.is_array();
  if (type == "string") return value.is_string();
  if (type == "integer") {
    return value.is_number_integer() ||
           (value.is_number_float() &&
            value.get<double>() == static_cast<int64_t>(value.get<double>()));
  }
  if (type == "number") return value.is_number();
  if (type == "boolean") return value.is_boolean();
  if (type == "null") return value.is_null();
  return false;
}

// UTF-8 code points, as JSON Schema counts string length.
size_t CodePoints(const std::string& s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool Check(const Json& schema, const Json& value, const std::string& where, std::string* why,
           int depth) {
  auto fail = [&](const std::string& what) {
    *why = (where.empty() ? std::string("entry") : where) + ": " + what;
    return false;
  };
  if (depth > 16) return fail("schema nested too deeply");
  if (schema.is_boolean()) return schema.get<bool>() || fail("not allowed");
  if (!schema.is_object()) return true;
  if (auto t = schema.find("type"); t != schema.end()) {
    if (t->is_string() && !HasType(value, t->get<std::string>())) {
      return fail("must be of type " + t->get<std::string>());
    }
    if (t->is_array()) {
      bool any = std::any_of(t->begin(), t->end(), [&](const Json& one) {
        return one.is_string() && HasType(value, one.get<std::string>());
      });
      if (!any) return fail("has the wrong type");
    }
  }
  if (auto e = schema.find("enum"); e != schema.end() && e->is_array()) {
    if (std::find(e->begin(), e->end(), value) == e->end()) return fail("is not an allowed value");
  }
  if (auto c = schema.find("const"); c != schema.end() && *c != value) {
    return fail("is not the allowed value");
  }
  if (value.is_number()) {
    double v = value.get<double>();
    if (auto m = schema.find("minimum");
        m != schema.end() && m->is_number() && v < m->get<double>()) {
      return fail("is below the minimum");
    }
    if (auto m = schema.find("maximum");
        m != schema.end() && m->is_number() && v > m->get<double>()) {
      return fail("is above the maximum");
    }
    if (auto m = schema.find("exclusiveMinimum");
        m != schema.end() && m->is_number() && v <= m->get<double>()) {
      return fail("is not above the minimum");
    }
    if (auto m = schema.find("exclusiveMaximum");
        m != schema.end() && m->is_number() && v >= m->get<double>()) {
      return fail("is not below the maximum");
    }
  }
  if (value.is_string()) {
    size_t n = CodePoints(value.get_ref<const std::string&>());
    if (auto m = schema.find("maxLength");
        m != schema.end() && m->is_number_unsigned() && n > m->get<uint64_t>()) {
      return fail("is too long");
    }
    if (auto m = schema.find("minLength");
        m != schema.end() && m->is_number_unsigned() && n < m->get<uint64_t>()) {
      return fail("is too short");
    }
  }
  if (value.is_object()) {
    const Json* properties = nullptr;
    if (auto p = schema.find("properties"); p != schema.end() && p->is_object()) properties = &*p;
    if (auto r = schema.find("required"); r != schema.end() && r->is_array()) {
      for (const Json& name : *r) {
        if (name.is_string() && !value.contains(name.get<std::string>())) {
          return fail(name.get<std::string>() + " is required");
        }
      }
    }
    auto additional = schema.find("additionalProperties");
    for (const auto& [name, member] : value.items()) {
      std::string here = where.empty() ? name : where + "." + name;
      if (properties != nullptr && properties->contains(name)) {
        if (!Check((*properties)[name], member, here, why, depth + 1)) return false;
      } else if (additional != schema.end()) {
        if (!Check(*additional, member, here, why, depth + 1)) return false;
      }
    }
  }
  if (value.is_array()) {
    if (auto m = schema.find("maxItems");
        m != schema.end() && m->is_number_unsigned() && value.size() > m->get<uint64_t>()) {
      return fail("has too many items");
    }
    if (auto items = schema.find("items"); items != schema.end()) {
      for (size_t i = 0; i < value.size(); ++i) {
        if (!Check(*items, value[i], where + "[" + std::to_string(i) + "]", why, depth + 1)) {
          return false;
        }
      }
    }
  }
  return true;
}

}  // namespace

bool MatchesSchema(const Json& schema, const Json& value, std::string* why) {
  return Check(schema, value, "", why, 0);
}

std::string RenderDetailsText(const std::string& text, const Json& entry) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    size_t open = text.find('{', i);
    size_t close = open == std::string::npos ? std::string::npos : text.find('}', open);
    if (close == std::string::npos) {
      out += http::HtmlEscape(std::string_view(text).substr(i));
      break;
    }
    out += http::HtmlEscape(std::string_view(text).substr(i, open - i));
    std::string field = text.substr(open + 1, close - open - 1);
    if (entry.is_object() && entry.contains(field)) {
      const Json& v = entry[field];
      out += http::HtmlEscape(v.is_string() ? v.get<std::string>() : v.dump());
    } else {
      out += http::HtmlEscape(std::string_view(text).substr(open, close - open + 1));
    }
    i = close + 1;
  }
  return out;
}

}  // namespace zta::idp::browser
