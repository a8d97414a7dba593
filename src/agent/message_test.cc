// Tests for messages and conversations: the JSON round trip and the OpenAI wire shape.
#include "zta/agent/message.h"

#include <gtest/gtest.h>

namespace zta::agent {
namespace {

Conversation Sample() {
  Conversation c("alice");
  c.set_trace_id("trace-1");
  c.Append(Message::System("You help guests."));
  c.Append(Message::User("Find hotels in Paris", "alice"));
  Message call = Message::Assistant("", "guest");
  call.tool_calls.push_back({"call_1", "search_hotels", R"({"city":"Paris"})"});
  call.tool_calls.push_back({"call_2", "book_room", "{not json"});
  c.Append(call);
  c.Append(Message::ToolResult("call_1", "search_hotels", R"([{"id":"h1"}])"));
  c.Append(Message::ToolResult("call_2", "book_room", "error: bad"));
  c.Append(Message::Assistant("Here you go.", "guest"));
  return c;
}

// A conversation with every kind of message survives serialization and parsing unchanged,
// including tool-call arguments that are not valid JSON.
TEST(ConversationTest, RoundTripsThroughJson) {
  Conversation c = Sample();
  auto parsed = Conversation::Parse(c.Serialize());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->user(), "alice");
  EXPECT_EQ(parsed->trace_id(), "trace-1");
  EXPECT_EQ(parsed->messages(), c.messages());
}

// The wire form for a model has content null beside tool calls and no tool_name on tool results.
TEST(MessageTest, ModelFormFollowsChatCompletions) {
  Conversation c = Sample();
  Json call = MessageToJson(c.messages()[2], /*for_model=*/true);
  EXPECT_TRUE(call["content"].is_null());
  EXPECT_EQ(call["tool_calls"][0]["type"], "function");
  EXPECT_EQ(call["tool_calls"][0]["function"]["arguments"], R"({"city":"Paris"})");
  Json result = MessageToJson(c.messages()[3], true);
  EXPECT_EQ(result["tool_call_id"], "call_1");
  EXPECT_FALSE(result.contains("tool_name"));
  EXPECT_TRUE(MessageToJson(c.messages()[3], false).contains("tool_name"));
}

// Content given as an array of parts and arguments given as an object are both accepted.
TEST(MessageTest, AcceptsContentPartsAndObjectArguments) {
  Json j = {
      {"role", "assistant"},
      {"content",
       Json::array({{{"type", "text"}, {"text", "a"}}, {{"type", "text"}, {"text", "b"}}})},
      {"tool_calls", Json::array({{{"id", "x"},
                                   {"type", "function"},
                                   {"function", {{"name", "f"}, {"arguments", {{"k", 1}}}}}}})}};
  auto m = MessageFromJson(j);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->content, "ab");
  EXPECT_EQ(m->tool_calls[0].arguments, R"({"k":1})");
}

// Malformed messages and conversations are refused, not half-loaded.
TEST(MessageTest, RefusesMalformedInput) {
  EXPECT_FALSE(MessageFromJson(Json::array()).ok());
  EXPECT_FALSE(MessageFromJson({{"role", "wizard"}, {"content", "x"}}).ok());
  EXPECT_FALSE(MessageFromJson({{"role", "tool"}, {"content", "x"}}).ok());
  EXPECT_FALSE(MessageFromJson({{"role", "assistant"}, {"tool_calls", {{{"id", "1"}}}}}).ok());
  EXPECT_FALSE(Conversation::Parse(R"({"version":2,"messages":[]})").ok());
  EXPECT_FALSE(Conversation::Parse(R"({"version":1})").ok());
  EXPECT_FALSE(Conversation::Parse("{").ok());
}

}  // namespace
}  // namespace zta::agent
