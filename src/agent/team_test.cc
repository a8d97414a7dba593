// Tests for teams: round-robin, handoffs, termination conditions and the user proxy.
#include "zta/agent/team.h"

#include <gtest/gtest.h>

#include <deque>
#include <sstream>

#include "testing.h"

namespace zta::agent {
namespace {

using testing::Call;
using testing::ScriptedChatModel;

class TeamTest : public ::testing::Test {
 protected:
  std::unique_ptr<AssistantAgent> Make(const std::string& name, ScriptedChatModel& model) {
    auto a = AssistantAgent::Create({.name = name, .description = name + " agent"}, model, audit_);
    EXPECT_TRUE(a.ok());
    return std::move(a).value();
  }
  InMemoryAuditSink audit_;
};

// Agents speak in turn until MaxMessages stops the run; the next run continues the rotation.
TEST_F(TeamTest, RoundRobinUntilMaxMessages) {
  ScriptedChatModel ma, mb;
  auto a = Make("writer", ma);
  auto b = Make("critic", mb);
  ma.ThenText("draft 1");
  mb.ThenText("too long");
  ma.ThenText("draft 2");
  RoundRobinTeam team({a.get(), b.get()}, MaxMessages(3));
  Conversation c;
  c.Append(Message::User("write a slogan"));
  auto r = team.Run(c);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stop_reason, TeamStopReason::kMaxMessages);
  EXPECT_EQ(r->StopReasonName(), "max_messages");
  EXPECT_EQ(r->turns, 3);
  EXPECT_EQ(c.back().content, "draft 2");
  // The critic saw the writer's text as a user message naming the writer.
  auto req = mb.requests().at(0);
  EXPECT_EQ(req.messages.back().role, Role::kUser);
  EXPECT_EQ(req.messages.back().content, "writer: draft 1");
}

// TextMention stops on the word; a user proxy feeds the person's lines and EOF ends the run.
TEST_F(TeamTest, TextMentionAndUserProxy) {
  ScriptedChatModel m;
  auto a = Make("assistant", m);
  std::deque<std::string> lines = {"hi", "bye"};
  std::vector<std::string> prompts;
  UserProxyAgent user("alice", [&](const std::string& prompt) -> Result<std::string> {
    prompts.push_back(prompt);
    if (lines.empty()) return Status(StatusCode::kNotFound, "eof", "end_of_input");
    std::string l = lines.front();
    lines.pop_front();
    return l;
  });
  m.ThenText("hello");
  m.ThenText("goodbye TERMINATE");
  RoundRobinTeam team({&user, a.get()}, TextMention("TERMINATE"));
  Conversation c;
  auto r = team.Run(c);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stop_reason, TeamStopReason::kTextMention);
  EXPECT_EQ(r->StopReasonName(), "text_mention");
  EXPECT_EQ(prompts, (std::vector<std::string>{"", "hello"}));
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c.messages()[0].name, "alice");

  m.ThenText("more?");
  r = team.Run(c);  // user proxy: no more lines
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->stop_reason, TeamStopReason::kEndOfInput);
  EXPECT_EQ(r->StopReasonName(), "end_of_input");
}

// The terminal callback asks with a prompt, skips empty lines, and ends the run on "exit" (and
// on EOF) without failing it.
TEST_F(TeamTest, TerminalUserProxy) {
  ScriptedChatModel m;
  auto a = Make("assistant", m);
  std::istringstream in("\nhotels in Oslo\r\nexit\nnever read\n");
  std::ostringstream out;
  UserProxyAgent user("alice", TerminalInput(in, out, "alice"));
  m.ThenText("Hotel Nord.");
  RoundRobinTeam team({&user, a.get()}, nullptr);
  Conversation c;
  auto r = team.Run(c);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stop_reason, TeamStopReason::kEndOfInput);
  EXPECT_EQ(r->StopReasonName(), "end_of_input");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c.messages()[0].content, "hotels in Oslo");
  EXPECT_EQ(out.str(), "alice> alice> alice> ");

  std::istringstream empty("");
  UserProxyAgent eof("bob", TerminalInput(empty, out));
  auto turn = eof.Run(c);
  ASSERT_TRUE(turn.ok());
  EXPECT_EQ(turn->stop_reason, "end_of_input");
}

// A handoff gives the floor to the named agent; a turn without handoff ends the run and the next
// run resumes with that agent; a handoff to the user ends the run with HandoffTo.
TEST_F(TeamTest, HandoffFollowsTransfers) {
  ScriptedChatModel mg, ms;
  auto guest = Make("guest", mg);
  auto staff = Make("staff", ms);
  ASSERT_TRUE(HandoffTeam::ConnectAll({guest.get(), staff.get()}, {guest.get(), staff.get()}).ok());
  HandoffTeam team({guest.get(), staff.get()}, HandoffTo("user"));
  mg.ThenCalls({Call("h1", "transfer_to_staff", "{}")});
  ms.ThenText("Booking b-1 is assigned to Maria.");
  Conversation c("alice");
  c.Append(Message::User("assign staff to my booking"));
  auto r = team.Run(c);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stop_reason, TeamStopReason::kAgentDone);
  EXPECT_EQ(r->StopReasonName(), "agent_done");
  EXPECT_EQ(r->last_speaker, "staff");
  EXPECT_EQ(team.current_speaker(), "staff");
  // Staff's model does not see the guest's transfer call or its result.
  const std::vector<ChatRequest> staff_requests = ms.requests();
  for (const Message& m : staff_requests.at(0).messages) {
    EXPECT_TRUE(m.tool_calls.empty());
    EXPECT_NE(m.role, Role::kTool);
  }
  std::vector<std::string> tool_names;
  for (const auto& t : staff_requests.at(0).tools) tool_names.push_back(t.name);
  EXPECT_EQ(tool_names, (std::vector<std::string>{"transfer_to_guest", "transfer_to_user"}));

  c.Append(Message::User("thanks, that's all"));
  ms.ThenCalls({Call("h2", "transfer_to_user", "{}")});
  r = team.Run(c);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->stop_reason, TeamStopReason::kHandoff);
  EXPECT_EQ(r->StopReasonName(), "handoff_to_user");
  EXPECT_EQ(r->turns, 1);
}

// max_turns bounds a team whose agents keep handing off to each other.
TEST_F(TeamTest, MaxTurnsBoundsPingPong) {
  ScriptedChatModel ma, mb;
  auto a = Make("a", ma);
  auto b = Make("b", mb);
  ASSERT_TRUE(a->AddHandoff("b").ok());
  ASSERT_TRUE(b->AddHandoff("a").ok());
  for (int i = 0; i < 3; ++i) {
    ma.ThenCalls({Call("x" + std::to_string(i), "transfer_to_b", "{}")});
    mb.ThenCalls({Call("y" + std::to_string(i), "transfer_to_a", "{}")});
  }
  HandoffTeam team({a.get(), b.get()}, nullptr, /*max_turns=*/4);
  Conversation c;
  c.Append(Message::User("go"));
  auto r = team.Run(c);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->stop_reason, TeamStopReason::kMaxTurns);
  EXPECT_EQ(r->StopReasonName(), "max_turns");
  EXPECT_EQ(r->turns, 4);
}

}  // namespace
// Every stop reason has its fixed name; a handoff's result names its target.
TEST(TeamStopReasonTest, Names) {
  EXPECT_EQ(TeamStopReasonName(TeamStopReason::kMaxMessages), "max_messages");
  EXPECT_EQ(TeamStopReasonName(TeamStopReason::kTextMention), "text_mention");
  EXPECT_EQ(TeamStopReasonName(TeamStopReason::kHandoff), "handoff");
  EXPECT_EQ(TeamStopReasonName(TeamStopReason::kEndOfInput), "end_of_input");
  EXPECT_EQ(TeamStopReasonName(TeamStopReason::kAgentDone), "agent_done");
  EXPECT_EQ(TeamStopReasonName(TeamStopReason::kMaxTurns), "max_turns");
  TeamResult handoff;
  handoff.stop_reason = TeamStopReason::kHandoff;
  handoff.handoff_target = "billing";
  EXPECT_EQ(handoff.StopReasonName(), "handoff_to_billing");
}

}  // namespace zta::agent
