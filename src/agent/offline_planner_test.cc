// Tests for the offline planner: hotel-scenario requests become the expected tool calls.
#include "zta/agent/offline_planner.h"

#include <gtest/gtest.h>

#include "zta/agent/schema.h"

namespace zta::agent {
namespace {

std::vector<ToolSpec> HotelTools() {
  auto spec = [](std::string name, Schema schema) {
    return ToolSpec{std::move(name), "", schema.json(), true};
  };
  return {
      spec("search_hotels", Schema::Object().Property("city", Schema::String())),
      spec("book_room", Schema::Object()
                            .Property("hotel_id", Schema::String())
                            .Property("check_in", Schema::String())
                            .Property("check_out", Schema::String())
                            .Property("guests", Schema::Integer())
                            .Property("room_type", Schema::Enum({"single", "double"}).Nullable())),
      spec("cancel_booking", Schema::Object().Property("booking_id", Schema::String())),
      spec("assign_staff", Schema::Object()
                               .Property("booking_id", Schema::String())
                               .Property("staff_name", Schema::String())),
  };
}

ChatResponse Plan(const std::string& text) {
  ChatRequest r;
  r.messages = {Message::System("sys"), Message::User(text)};
  r.tools = HotelTools();
  auto out = OfflinePlanner().Complete(r);
  EXPECT_TRUE(out.ok());
  return std::move(out).value();
}

Json Args(const ChatResponse& r) {
  EXPECT_EQ(r.message.tool_calls.size(), 1u);
  if (r.message.tool_calls.empty()) return Json();
  return Json::parse(r.message.tool_calls[0].arguments);
}

// "hotels in <City>" → search_hotels with the city, multi-word cities included.
TEST(OfflinePlannerTest, SearchesHotelsInACity) {
  ChatResponse r = Plan("Can you find hotels in Paris?");
  EXPECT_EQ(r.message.tool_calls[0].name, "search_hotels");
  EXPECT_EQ(Args(r), Json({{"city", "Paris"}}));
  EXPECT_EQ(Args(Plan("show me hotels in New York, please")), Json({{"city", "New York"}}));
}

// A booking request fills hotel id, dates in order, guest count and a mentioned enum value.
TEST(OfflinePlannerTest, BooksARoom) {
  ChatResponse r =
      Plan("Book a double room at hotel h1 from 2025-06-01 to 2025-06-03 for 2 guests");
  EXPECT_EQ(r.message.tool_calls[0].name, "book_room");
  EXPECT_EQ(Args(r), Json({{"hotel_id", "h1"},
                           {"check_in", "2025-06-01"},
                           {"check_out", "2025-06-03"},
                           {"guests", 2},
                           {"room_type", "double"}}));
  // An optional (nullable) value not mentioned becomes null.
  EXPECT_TRUE(Args(Plan("reserve hotel 7 2025-01-01 2025-01-02 1 guest"))["room_type"].is_null());
}

// Cancel and assign-staff requests, with ids after their entity words.
TEST(OfflinePlannerTest, CancelsAndAssignsStaff) {
  ChatResponse cancel = Plan("Please cancel booking b-42");
  EXPECT_EQ(cancel.message.tool_calls[0].name, "cancel_booking");
  EXPECT_EQ(Args(cancel), Json({{"booking_id", "b-42"}}));
  ChatResponse assign = Plan("Assign Maria to booking #17");
  EXPECT_EQ(assign.message.tool_calls[0].name, "assign_staff");
  EXPECT_EQ(Args(assign), Json({{"booking_id", "17"}, {"staff_name", "Maria"}}));
}

// Missing values produce a question, not a guessed call; unknown requests say what it is.
TEST(OfflinePlannerTest, AsksForMissingValuesAndSaysWhatItIs) {
  ChatResponse r = Plan("book a room please");
  EXPECT_TRUE(r.message.tool_calls.empty());
  EXPECT_NE(r.message.content.find("hotel_id"), std::string::npos);
  ChatResponse hello = Plan("hello there");
  EXPECT_TRUE(hello.message.tool_calls.empty());
  EXPECT_NE(hello.message.content.find("not an LLM"), std::string::npos);
}

// After a tool round the planner summarizes the results in text (denials included) and is
// deterministic.
TEST(OfflinePlannerTest, SummarizesToolResults) {
  ChatRequest r;
  r.tools = HotelTools();
  r.messages = {Message::User("hotels in Paris")};
  Message call = Message::Assistant("");
  call.tool_calls.push_back({"plan_1", "search_hotels", R"({"city":"Paris"})"});
  r.messages.push_back(call);
  r.messages.push_back(Message::ToolResult("plan_1", "search_hotels", R"([{"id":"h1"}])"));
  auto a = OfflinePlanner().Complete(r);
  auto b = OfflinePlanner().Complete(r);
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->message.tool_calls.empty());
  EXPECT_EQ(a->message.content,
            "Here is what the tools returned:\n- search_hotels: [{\"id\":\"h1\"}]\n");
  EXPECT_EQ(a->message.content, b->message.content);
}

}  // namespace
}  // namespace zta::agent
