#include "details_subset.h"

#include <algorithm>

namespace zta::idp {
namespace {

bool IsMaxMember(const std::string& name) { return name.rfind("max_", 0) == 0; }

bool Contains(const Json& array, const Json& value) {
  return std::find(array.begin(), array.end(), value) != array.end();
}

bool MemberWithin(const std::string& name, const Json& narrower, const Json& wider) {
  if (IsMaxMember(name) && wider.is_number()) {
    return narrower.is_number() && narrower.get<double>() <= wider.get<double>();
  }
  if (wider.is_array()) {
    if (!narrower.is_array()) return Contains(wider, narrower);
    return std::all_of(narrower.begin(), narrower.end(),
                       [&](const Json& v) { return Contains(wider, v); });
  }
  return narrower == wider;
}

}  // namespace

bool DetailEntryWithin(const Json& narrower, const Json& wider) {
  if (!narrower.is_object() || !wider.is_object()) return false;
  auto type = wider.find("type");
  if (type == wider.end() || narrower.value("type", Json()) != *type) return false;
  for (const auto& [name, value] : wider.items()) {
    auto mine = narrower.find(name);
    if (mine == narrower.end() || !MemberWithin(name, *mine, value)) return false;
  }
  // A member the wider entry does not have would widen it: resource servers refuse a request
  // field its entry does not bound (guard CheckWithinDetail), so a new member grants a new field.
  for (const auto& [name, value] : narrower.items()) {
    if (!wider.contains(name)) return false;
  }
  return true;
}

std::string WhyDetailsExceed(const Json& requested, const Json& held) {
  if (!requested.is_array()) return "authorization_details must be an array";
  for (const Json& entry : requested) {
    bool within = held.is_array() && std::any_of(held.begin(), held.end(), [&](const Json& h) {
                    return DetailEntryWithin(entry, h);
                  });
    if (!within) {
      std::string type = entry.is_object() && entry.contains("type") && entry["type"].is_string()
                             ? entry["type"].get<std::string>()
                             : "(no type)";
      return "an entry of type " + type + " asks for more than the subject token carries";
    }
  }
  return "";
}

}  // namespace zta::idp
