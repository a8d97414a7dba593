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

// Sets *why to what is wrong at `where` ("entry" for the entry itself); always false.
bool Fail(const std::string& where, const std::string& what, std::string* why) {
  *why = (where.empty() ? std::string("entry") : where) + ": " + what;
  return false;
}

bool Check(const Json& schema, const Json& value, const std::string& where, std::string* why,
           int depth);

// "type": one name or a list of names, any of which `value` has.
bool CheckType(const Json& schema, const Json& value, const std::string& where, std::string* why) {
  auto t = schema.find("type");
  if (t == schema.end()) return true;
  if (t->is_string() && !HasType(value, t->get<std::string>())) {
    return Fail(where, "must be of type " + t->get<std::string>(), why);
  }
  if (t->is_array()) {
    bool any = std::any_of(t->begin(), t->end(), [&](const Json& one) {
      return one.is_string() && HasType(value, one.get<std::string>());
    });
    if (!any) return Fail(where, "has the wrong type", why);
  }
  return true;
}

// "enum" and "const": the value is one of the allowed values.
bool CheckAllowed(const Json& schema, const Json& value, const std::string& where,
                  std::string* why) {
  if (auto e = schema.find("enum"); e != schema.end() && e->is_array()) {
    if (std::find(e->begin(), e->end(), value) == e->end()) {
      return Fail(where, "is not an allowed value", why);
    }
  }
  if (auto c = schema.find("const"); c != schema.end() && *c != value) {
    return Fail(where, "is not the allowed value", why);
  }
  return true;
}

// "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum".
bool CheckNumber(const Json& schema, double v, const std::string& where, std::string* why) {
  if (auto m = schema.find("minimum");
      m != schema.end() && m->is_number() && v < m->get<double>()) {
    return Fail(where, "is below the minimum", why);
  }
  if (auto m = schema.find("maximum");
      m != schema.end() && m->is_number() && v > m->get<double>()) {
    return Fail(where, "is above the maximum", why);
  }
  if (auto m = schema.find("exclusiveMinimum");
      m != schema.end() && m->is_number() && v <= m->get<double>()) {
    return Fail(where, "is not above the minimum", why);
  }
  if (auto m = schema.find("exclusiveMaximum");
      m != schema.end() && m->is_number() && v >= m->get<double>()) {
    return Fail(where, "is not below the maximum", why);
  }
  return true;
}

// "maxLength" and "minLength", in code points.
bool CheckString(const Json& schema, const std::string& s, const std::string& where,
                 std::string* why) {
  size_t n = CodePoints(s);
  if (auto m = schema.find("maxLength");
      m != schema.end() && m->is_number_unsigned() && n > m->get<uint64_t>()) {
    return Fail(where, "is too long", why);
  }
  if (auto m = schema.find("minLength");
      m != schema.end() && m->is_number_unsigned() && n < m->get<uint64_t>()) {
    return Fail(where, "is too short", why);
  }
  return true;
}

// "required", "properties" and "additionalProperties".
bool CheckObject(const Json& schema, const Json& value, const std::string& where, std::string* why,
                 int depth) {
  const Json* properties = nullptr;
  if (auto p = schema.find("properties"); p != schema.end() && p->is_object()) properties = &*p;
  if (auto r = schema.find("required"); r != schema.end() && r->is_array()) {
    for (const Json& name : *r) {
      if (name.is_string() && !value.contains(name.get<std::string>())) {
        return Fail(where, name.get<std::string>() + " is required", why);
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
  return true;
}

// "maxItems" and "items" (one schema for every item).
bool CheckArray(const Json& schema, const Json& value, const std::string& where, std::string* why,
                int depth) {
  if (auto m = schema.find("maxItems");
      m != schema.end() && m->is_number_unsigned() && value.size() > m->get<uint64_t>()) {
    return Fail(where, "has too many items", why);
  }
  if (auto items = schema.find("items"); items != schema.end()) {
    for (size_t i = 0; i < value.size(); ++i) {
      if (!Check(*items, value[i], where + "[" + std::to_string(i) + "]", why, depth + 1)) {
        return false;
      }
    }
  }
  return true;
}

bool Check(const Json& schema, const Json& value, const std::string& where, std::string* why,
           int depth) {
  if (depth > 16) return Fail(where, "schema nested too deeply", why);
  if (schema.is_boolean()) return schema.get<bool>() || Fail(where, "not allowed", why);
  if (!schema.is_object()) return true;
  if (!CheckType(schema, value, where, why) || !CheckAllowed(schema, value, where, why)) {
    return false;
  }
  if (value.is_number() && !CheckNumber(schema, value.get<double>(), where, why)) return false;
  if (value.is_string() && !CheckString(schema, value.get_ref<const std::string&>(), where, why)) {
    return false;
  }
  if (value.is_object() && !CheckObject(schema, value, where, why, depth)) return false;
  if (value.is_array() && !CheckArray(schema, value, where, why, depth)) return false;
  return true;
}

}  // namespace

bool MatchesSchema(const Json& schema, const Json& value, std::string* why) {
  return Check(schema, value, "", why, 0);
}

std::string DisplayEscape(std::string_view s) {
  static constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD
  std::string clean;
  clean.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool valid = n != 0 && i + n <= s.size();
    uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
    for (size_t k = 1; valid && k < n; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) valid = false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms and surrogates are invalid too.
    if (valid && ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
                  cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) {
      valid = false;
    }
    if (!valid) {
      clean += kReplacement;
      ++i;
      continue;
    }
    bool hidden = cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
                  (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F || cp == 0x061C;
    if (hidden) {
      clean += kReplacement;
    } else {
      clean.append(s.substr(i, n));
    }
    i += n;
  }
  return http::HtmlEscape(clean);
}

std::string RenderUnnamedFields(const std::string& text, const Json& entry) {
  if (!entry.is_object()) return "";
  std::string out;
  for (const auto& [name, value] : entry.items()) {
    if (name == "type" || text.find("{" + name + "}") != std::string::npos) continue;
    if (!out.empty()) out += "; ";
    out += DisplayEscape(name) + " = " +
           DisplayEscape(value.is_string() ? value.get<std::string>() : value.dump());
  }
  return out;
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
      out += DisplayEscape(v.is_string() ? v.get<std::string>() : v.dump());
    } else {
      out += http::HtmlEscape(std::string_view(text).substr(open, close - open + 1));
    }
    i = close + 1;
  }
  return out;
}

std::string DescribeDetailsEntry(const Resource* resource, const Json& entry) {
  const std::string type = entry.is_object() ? entry.value("type", "") : std::string();
  if (resource != nullptr) {
    auto declared = resource->details_types.find(type);
    if (declared != resource->details_types.end() && !declared->second.text.empty()) {
      std::string text = RenderDetailsText(declared->second.text, entry);
      // What the template leaves out is still granted, so it is shown too.
      std::string also = RenderUnnamedFields(declared->second.text, entry);
      if (!also.empty()) text += "<br>\n<span class=\"also\">also: " + also + "</span>";
      return text;
    }
  }
  return DisplayEscape(type) + ": <code>" + DisplayEscape(entry.dump()) + "</code>";
}

}  // namespace zta::idp::browser
