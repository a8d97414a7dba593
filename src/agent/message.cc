// Messages and conversations to and from JSON (OpenAI Chat Completions message shape).
#include "zta/agent/message.h"

#include <utility>

namespace zta::agent {
namespace {

Result<std::string> OptionalString(const Json& json, const char* key) {
  auto it = json.find(key);
  if (it == json.end() || it->is_null()) return std::string();
  if (!it->is_string())
    return InvalidArgument(std::string("message member '") + key + "' is not a string");
  return it->get<std::string>();
}

// "content" is a string, null, or (newer APIs) an array of parts of which we keep the text ones.
Result<std::string> ContentText(const Json& json) {
  auto it = json.find("content");
  if (it == json.end() || it->is_null()) return std::string();
  if (it->is_string()) return it->get<std::string>();
  if (!it->is_array()) return InvalidArgument("message content is neither text nor parts");
  std::string text;
  for (const Json& part : *it) {
    if (part.is_object() && part.value("type", "") == "text" && part.contains("text") &&
        part["text"].is_string()) {
      text += part["text"].get<std::string>();
    }
  }
  return text;
}

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kSystem:
      return "system";
    case Role::kUser:
      return "user";
    case Role::kAssistant:
      return "assistant";
    case Role::kTool:
      return "tool";
  }
  return "user";
}

Result<Role> ParseRole(std::string_view name) {
  if (name == "system" || name == "developer") return Role::kSystem;
  if (name == "user") return Role::kUser;
  if (name == "assistant") return Role::kAssistant;
  if (name == "tool") return Role::kTool;
  return InvalidArgument("unknown message role '" + std::string(name) + "'");
}

Message Message::System(std::string text) {
  Message m;
  m.role = Role::kSystem;
  m.content = std::move(text);
  return m;
}

Message Message::User(std::string text, std::string name) {
  Message m;
  m.role = Role::kUser;
  m.content = std::move(text);
  m.name = std::move(name);
  return m;
}

Message Message::Assistant(std::string text, std::string name) {
  Message m;
  m.role = Role::kAssistant;
  m.content = std::move(text);
  m.name = std::move(name);
  return m;
}

Message Message::ToolResult(std::string call_id, std::string tool_name, std::string content) {
  Message m;
  m.role = Role::kTool;
  m.tool_call_id = std::move(call_id);
  m.tool_name = std::move(tool_name);
  m.content = std::move(content);
  return m;
}

Json MessageToJson(const Message& message, bool for_model) {
  Json json = Json::object();
  json["role"] = std::string(RoleName(message.role));
  if (message.role == Role::kAssistant && message.content.empty() && !message.tool_calls.empty()) {
    json["content"] = nullptr;
  } else {
    json["content"] = message.content;
  }
  if (!message.name.empty() && message.role != Role::kTool) json["name"] = message.name;
  if (!message.tool_calls.empty()) {
    Json calls = Json::array();
    for (const ToolCall& call : message.tool_calls) {
      calls.push_back({{"id", call.id},
                       {"type", "function"},
                       {"function", {{"name", call.name}, {"arguments", call.arguments}}}});
    }
    json["tool_calls"] = std::move(calls);
  }
  if (message.role == Role::kTool) {
    json["tool_call_id"] = message.tool_call_id;
    if (!for_model && !message.tool_name.empty()) json["tool_name"] = message.tool_name;
  }
  return json;
}

Result<Message> MessageFromJson(const Json& json) {
  if (!json.is_object()) return InvalidArgument("message is not a JSON object");
  auto role_it = json.find("role");
  if (role_it == json.end() || !role_it->is_string()) {
    return InvalidArgument("message has no role");
  }
  Message m;
  ZTA_ASSIGN_OR_RETURN(m.role, ParseRole(role_it->get<std::string>()));
  ZTA_ASSIGN_OR_RETURN(m.content, ContentText(json));
  ZTA_ASSIGN_OR_RETURN(m.name, OptionalString(json, "name"));
  ZTA_ASSIGN_OR_RETURN(m.tool_call_id, OptionalString(json, "tool_call_id"));
  ZTA_ASSIGN_OR_RETURN(m.tool_name, OptionalString(json, "tool_name"));
  if (m.role == Role::kTool && m.tool_call_id.empty()) {
    return InvalidArgument("tool message without tool_call_id");
  }
  auto calls = json.find("tool_calls");
  if (calls != json.end() && !calls->is_null()) {
    if (!calls->is_array()) return InvalidArgument("tool_calls is not an array");
    for (const Json& c : *calls) {
      if (!c.is_object() || !c.contains("function") || !c["function"].is_object()) {
        return InvalidArgument("tool call without a function");
      }
      const Json& f = c["function"];
      ToolCall call;
      ZTA_ASSIGN_OR_RETURN(call.id, OptionalString(c, "id"));
      ZTA_ASSIGN_OR_RETURN(call.name, OptionalString(f, "name"));
      // Some servers send arguments as an object rather than JSON text; keep it as text.
      auto args = f.find("arguments");
      if (args == f.end() || args->is_null()) {
        call.arguments = "{}";
      } else if (args->is_string()) {
        call.arguments = args->get<std::string>();
      } else {
        call.arguments = DumpJson(*args);
      }
      if (call.name.empty()) return InvalidArgument("tool call without a name");
      m.tool_calls.push_back(std::move(call));
    }
  }
  return m;
}

Json Conversation::ToJson() const {
  Json messages = Json::array();
  for (const Message& m : messages_) messages.push_back(MessageToJson(m));
  Json json = {{"version", 1}, {"messages", std::move(messages)}};
  if (!user_.empty()) json["user"] = user_;
  if (!trace_id_.empty()) json["trace_id"] = trace_id_;
  return json;
}

Result<Conversation> Conversation::FromJson(const Json& json) {
  if (!json.is_object()) return InvalidArgument("conversation is not a JSON object");
  if (json.value("version", 0) != 1) return InvalidArgument("conversation version is not 1");
  Conversation c;
  ZTA_ASSIGN_OR_RETURN(c.user_, OptionalString(json, "user"));
  ZTA_ASSIGN_OR_RETURN(c.trace_id_, OptionalString(json, "trace_id"));
  auto messages = json.find("messages");
  if (messages == json.end() || !messages->is_array()) {
    return InvalidArgument("conversation has no messages array");
  }
  for (const Json& m : *messages) {
    ZTA_ASSIGN_OR_RETURN(Message message, MessageFromJson(m));
    c.messages_.push_back(std::move(message));
  }
  return c;
}

std::string Conversation::Serialize() const { return DumpJson(ToJson()); }

Result<Conversation> Conversation::Parse(std::string_view text) {
  JsonLimits limits;
  limits.max_depth = 64;
  limits.max_bytes = 64 << 20;
  auto json = ParseJsonStrict(text, limits);
  if (!json.ok()) return json.status().WithContext("conversation");
  return FromJson(*json);
}

}  // namespace zta::agent
