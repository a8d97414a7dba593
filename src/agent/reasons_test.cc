// The agent runtime's reason codes: reasons.h lists every constant in kAllReasons, the runtime's
// sources produce each of them (none is declared but dead), and no source spells one out instead
// of naming its constant. A source-reading test, like the idp's list check: most codes are also
// asserted by behaviour in the tests beside the code that produces them.
#include "zta/agent/reasons.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "zta/agent/schema.h"

namespace zta::agent {
namespace {

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// name → value of every `constexpr char kReason…[]`/`kStop…[]` in reasons.h.
std::map<std::string, std::string> DeclaredConstants() {
  const std::string header = ReadFile(std::filesystem::path(ZTA_SOURCE_DIR) /
                                      "include/zta/agent/reasons.h");
  std::map<std::string, std::string> out;
  std::regex constant(R"re(constexpr char (k(?:Reason|Stop)\w+)\[\] = "([a-z_]+)";)re");
  for (std::sregex_iterator it(header.begin(), header.end(), constant), end; it != end; ++it) {
    out[(*it)[1].str()] = (*it)[2].str();
  }
  return out;
}

// The runtime's own sources (not its tests), comments blanked.
std::string RuntimeSources() {
  std::string all;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::filesystem::path(ZTA_SOURCE_DIR) / "src/agent")) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".cc" || name.ends_with("_test.cc")) continue;
    all += std::regex_replace(ReadFile(entry.path()), std::regex("//[^\n]*"), "") + "\n";
  }
  return all;
}

// kAllReasons lists every constant of reasons.h, once.
TEST(AgentReasons, ListHoldsEveryConstant) {
  const auto declared = DeclaredConstants();
  ASSERT_FALSE(declared.empty()) << "cannot read reasons.h";
  std::set<std::string> listed(std::begin(kAllReasons), std::end(kAllReasons));
  std::set<std::string> values;
  for (const auto& [name, value] : declared) {
    EXPECT_TRUE(listed.count(value)) << name << " is not in kAllReasons";
    EXPECT_TRUE(values.insert(value).second) << value << " is declared twice";
  }
  EXPECT_EQ(declared.size(), std::size(kAllReasons));
}

// Every declared code is produced by the runtime (its constant is used in src/agent), and no
// runtime source writes a declared code as a bare string where its constant belongs.
TEST(AgentReasons, EveryDeclaredCodeIsProduced) {
  const std::string sources = RuntimeSources();
  for (const auto& [name, value] : DeclaredConstants()) {
    EXPECT_TRUE(std::regex_search(sources, std::regex("\\b" + name + "\\b")))
        << name << " (\"" << value << "\") is declared but nothing in src/agent produces it";
    // A provider's wire value may read the same (OpenAI's finish_reason "content_filter"), and
    // TeamStopReasonName spells its enum's names: a bare string may only be compared or named.
    std::regex produced(",\\s*\"" + value + "\"\\)|reason\\s*=\\s*\"" + value + "\"");
    EXPECT_FALSE(std::regex_search(sources, produced))
        << "\"" << value << "\" is produced as a bare string: use " << name;
  }
}

// bad_schema: a tool schema whose pattern is not a regex is the tool's fault, not the model's.
TEST(AgentReasons, BadPatternIsBadSchema) {
  Json schema = {{"type", "string"}, {"pattern", "("}};
  EXPECT_EQ(ValidateJson(schema, "x").reason(), kReasonBadSchema);
  EXPECT_EQ(ValidateJson({{"type", "integer"}}, "x").reason(), kReasonInvalidArguments);
}

}  // namespace
}  // namespace zta::agent
