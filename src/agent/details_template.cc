// authorization_details templates of declarative tools (docs/agent.md): "{name}" placeholders
// filled from a call's arguments, so the token asks for exactly the booking the call makes.
#include <string>
#include <vector>

#include "zta/agent/declarative.h"

namespace zta::agent {
namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Calls `on_name(name)` for each placeholder and `on_text(text)` for the text between them.
template <typename OnText, typename OnName>
Status Scan(std::string_view s, OnText on_text, OnName on_name) {
  size_t pos = 0;
  while (pos < s.size()) {
    size_t open = s.find('{', pos);
    if (open == std::string_view::npos) break;
    size_t end = open + 1;
    while (end < s.size() && IsNameChar(s[end])) ++end;
    if (end > open + 1 && end < s.size() && s[end] == '}') {
      on_text(s.substr(pos, open - pos));
      ZTA_RETURN_IF_ERROR(on_name(s.substr(open + 1, end - open - 1)));
      pos = end + 1;
    } else {
      on_text(s.substr(pos, open + 1 - pos));  // a literal brace
      pos = open + 1;
    }
  }
  on_text(s.substr(pos));
  return Status::Ok();
}

// "{name}" and nothing else.
bool WholePlaceholder(std::string_view s, std::string* name) {
  if (s.size() < 3 || s.front() != '{' || s.back() != '}') return false;
  for (char c : s.substr(1, s.size() - 2)) {
    if (!IsNameChar(c)) return false;
  }
  *name = std::string(s.substr(1, s.size() - 2));
  return true;
}

Result<Json> Expand(const Json& node, const Json& args) {
  if (node.is_object()) {
    Json out = Json::object();
    for (auto it = node.begin(); it != node.end(); ++it) {
      ZTA_ASSIGN_OR_RETURN(out[it.key()], Expand(it.value(), args));
    }
    return out;
  }
  if (node.is_array()) {
    Json out = Json::array();
    for (const auto& v : node) {
      ZTA_ASSIGN_OR_RETURN(Json filled, Expand(v, args));
      out.push_back(std::move(filled));
    }
    return out;
  }
  if (!node.is_string()) return node;
  auto argument = [&](std::string_view name) -> Result<const Json*> {
    auto it = args.is_object() ? args.find(std::string(name)) : args.end();
    if (!args.is_object() || it == args.end() || it->is_null()) {
      return InvalidArgument("authorization_details needs the argument " + std::string(name));
    }
    return &*it;
  };
  const std::string& s = node.get_ref<const std::string&>();
  std::string whole;
  if (WholePlaceholder(s, &whole)) {
    ZTA_ASSIGN_OR_RETURN(const Json* value, argument(whole));
    return *value;
  }
  std::string out;
  ZTA_RETURN_IF_ERROR(Scan(
      s, [&](std::string_view text) { out += text; },
      [&](std::string_view name) -> Status {
        ZTA_ASSIGN_OR_RETURN(const Json* value, argument(name));
        if (value->is_string()) {
          out += value->get_ref<const std::string&>();
        } else if (value->is_object() || value->is_array()) {
          return InvalidArgument("authorization_details: argument " + std::string(name) +
                                 " is not a single value");
        } else {
          out += DumpJson(*value);
        }
        return Status::Ok();
      }));
  return Json(std::move(out));
}

void Collect(const Json& node, std::vector<std::string>* names) {
  if (node.is_object() || node.is_array()) {
    for (const auto& v : node) Collect(v, names);
    return;
  }
  if (!node.is_string()) return;
  (void)Scan(
      node.get_ref<const std::string&>(), [](std::string_view) {},
      [&](std::string_view name) {
        names->emplace_back(name);
        return Status::Ok();
      });
}

}  // namespace

Result<Json> ExpandDetailsTemplate(const Json& details_template, const Json& args) {
  return Expand(details_template, args);
}

std::vector<std::string> DetailsTemplatePlaceholders(const Json& details_template) {
  std::vector<std::string> names;
  Collect(details_template, &names);
  return names;
}

}  // namespace zta::agent
