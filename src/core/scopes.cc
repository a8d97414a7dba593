// Space-delimited list helpers.
#include "zta/core/scopes.h"

namespace zta {

std::vector<std::string> SplitSpaceDelimited(std::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = text.find(' ', i);
    if (j == std::string_view::npos) j = text.size();
    if (j > i) out.emplace_back(text.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::string JoinSpaceDelimited(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ' ';
    out += item;
  }
  return out;
}

bool IsScopeToken(std::string_view scope) {
  if (scope.empty()) return false;
  for (char c : scope) {
    auto u = static_cast<unsigned char>(c);  // %x21 / %x23-5B / %x5D-7E: no bytes above 0x7e
    if (u <= 0x20 || u >= 0x7f || c == '"' || c == '\\') return false;
  }
  return true;
}

}  // namespace zta
