// The parameters of a form-encoded OAuth request, each name at most once.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "zta/idp/oauth_error.h"

namespace zta::idp {

using FormFields = std::map<std::string, std::string, std::less<>>;

// RFC 6749 §3.2: "Request and response parameters MUST NOT be included more than once".
inline OAuthResult<FormFields> UniqueFields(
    const std::vector<std::pair<std::string, std::string>>& form) {
  FormFields out;
  for (const auto& [k, v] : form) {
    if (!out.emplace(k, v).second) {
      return OAuthError::InvalidRequest("parameter " + k + " is repeated");
    }
  }
  return out;
}

// The value of `name`, or "" when absent: RFC 6749 §3.1 treats a parameter sent without a
// value as omitted, so callers test empty().
inline const std::string& Field(const FormFields& fields, std::string_view name) {
  static const std::string kAbsent;
  auto it = fields.find(name);
  return it == fields.end() ? kAbsent : it->second;
}

}  // namespace zta::idp
