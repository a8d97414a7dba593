// Space-delimited lists, as OAuth writes scopes (RFC 6749 §3.3) and as zta stores them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace zta {

// Splits on single spaces; empty items (repeated or edge spaces) are dropped.
std::vector<std::string> SplitSpaceDelimited(std::string_view text);

// RFC 6749 §3.3 scope-token: non-empty, printable ASCII except space, '"' and '\'.
bool IsScopeToken(std::string_view scope);

// Joins with one space between items.
std::string JoinSpaceDelimited(const std::vector<std::string>& items);

}  // namespace zta
