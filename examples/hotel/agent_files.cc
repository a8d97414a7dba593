// Loading the hotel agents' TOML files (agent_files.h).
#include "hotel/agent_files.h"

#include <filesystem>
#include <sstream>
#include <toml++/toml.h>

#include "hotel/embedded_agent_files.h"
#include "zta/core/toml_reader.h"

namespace zta::hotel {
namespace {

bool IsNameChar(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }

// A TOML value as JSON (strings, numbers, booleans, arrays and tables: all [hotel] holds).
Json TomlToJson(const toml::node& node) {
  if (const auto* t = node.as_table()) {
    Json out = Json::object();
    for (const auto& [key, value] : *t) out[std::string(key.str())] = TomlToJson(value);
    return out;
  }
  if (const auto* a = node.as_array()) {
    Json out = Json::array();
    for (const auto& item : *a) out.push_back(TomlToJson(item));
    return out;
  }
  if (auto s = node.value_exact<std::string>()) return *s;
  if (auto i = node.value_exact<int64_t>()) return *i;
  if (auto d = node.value_exact<double>()) return *d;
  if (auto b = node.value_exact<bool>()) return *b;
  return nullptr;
}

}  // namespace

Result<std::string> FillPlaceholders(std::string_view text,
                                     const std::map<std::string, std::string>& vars) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$' || i + 1 >= text.size() || text[i + 1] != '{') {
      out += text[i];
      continue;
    }
    size_t end = i + 2;
    while (end < text.size() && IsNameChar(text[end])) ++end;
    if (end >= text.size() || text[end] != '}' || end == i + 2) {
      return InvalidArgument("malformed placeholder at offset " + std::to_string(i) +
                             " (write ${NAME}, NAME of A-Z, 0-9 and _)");
    }
    std::string name(text.substr(i + 2, end - i - 2));
    auto found = vars.find(name);
    if (found == vars.end()) return InvalidArgument("unknown placeholder ${" + name + "}");
    for (char c : found->second) {
      if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
        return InvalidArgument("the value of ${" + name + "} holds a character TOML would read");
      }
    }
    out += found->second;
    i = end;
  }
  return out;
}

Result<std::string> ReadAgentFile(const std::string& dir, const std::string& name) {
  if (!dir.empty()) return ReadTextFile((std::filesystem::path(dir) / name).string());
  for (const http::EmbeddedFile& file : AgentFiles()) {
    if (file.path == name) return std::string(file.bytes);
  }
  return Status(StatusCode::kNotFound, "no embedded agent file " + name);
}

Result<HotelAgentFile> LoadHotelAgentFile(const std::string& dir, const std::string& name,
                                          const std::map<std::string, std::string>& vars) {
  auto text = ReadAgentFile(dir, name);
  if (!text.ok()) return text.status().WithContext(name);
  auto filled = FillPlaceholders(*text, vars);
  if (!filled.ok()) return filled.status().WithContext(name);
  HotelAgentFile file;
  std::string rest;
  Status split = ParseToml(*filled, [&](const toml::table& root) {
    toml::table copy = root;
    if (const toml::node* hotel = copy.get("hotel")) {
      if (!hotel->is_table()) return InvalidArgument("[hotel] must be a table");
      file.hotel = TomlToJson(*hotel);
      copy.erase("hotel");
    }
    std::ostringstream out;
    out << toml::toml_formatter(copy);
    rest = out.str();
    return Status::Ok();
  });
  if (!split.ok()) return split.WithContext(name);
  auto config = agent::ParseAgentConfig(rest);
  if (!config.ok()) return config.status().WithContext(name);
  file.config = *std::move(config);
  return file;
}

}  // namespace zta::hotel
