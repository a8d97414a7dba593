// Two agents with the user's authority: the guest assistant hands work to the booking agent
// (a HandoffTeam handoff, or an AgentTool), the booking agent's secure tool exchanges the handed
// token (RFC 8693) against the fake authorization server, and the hotel API gets a token whose
// act chain is [booking agent, guest assistant]. No token ever appears in a message, a model
// request or a serialized conversation.
#include "zta/agent/authority.h"

#include <gtest/gtest.h>

#include "../auth/fake_authorization_server.h"
#include "testing.h"
#include "zta/agent/agent_tool.h"
#include "zta/agent/team.h"
#include "zta/auth/auth_provider.h"

namespace zta::agent {
namespace {

using auth::testing::FakeAuthorizationServer;
using testing::Call;
using testing::ScriptedChatModel;

constexpr char kHotel[] = "https://hotel.example/api";

class AuthorityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.AllowDelegation(auth::testing::kAgent, auth::testing::kBookingAgent);
    guest_tokens_ = Provider(auth::testing::kAgent, auth::testing::kAgentSecret);
    booking_tokens_ = Provider(auth::testing::kBookingAgent, auth::testing::kBookingAgentSecret);
    guest_ = Agent("guest_assistant", auth::testing::kAgent, guest_model_);
    booking_ = Agent("booking_agent", auth::testing::kBookingAgent, booking_model_);
    // The booking agent's tool books a room for the user at the hotel API.
    ToolRequirement need;
    need.resource = kHotel;
    need.scopes = {"create_bookings"};
    need.acting = Acting::kOnBehalfOfUser;
    auto tool = SecureFunctionTool::Create(
        "book_room", "Books a room", Schema::Object().Property("hotel", Schema::String()).json(),
        need, *booking_tokens_, [](const Json& args, ToolContext& context) -> Result<Json> {
          http::ClientRequest r;
          r.method = "POST";
          r.url = std::string(kHotel) + "/bookings";
          r.body = DumpJson(args);
          ZTA_ASSIGN_OR_RETURN(http::Response response, context.Send(r));
          // An upstream that echoes the header: the result must still hold no token.
          return Json{{"status", response.status}, {"echo", response.body}};
        });
    ASSERT_TRUE(tool.ok()) << tool.status();
    ASSERT_TRUE(booking_->AddTool(std::move(tool).value()).ok());
    booking_->SetTransport([this](const http::ClientRequest& r) -> Result<http::Response> {
      api_authorization_ = r.headers.Get("Authorization").value_or("");
      return http::Response::Text(201, "booked with " + api_authorization_);
    });
  }

  std::unique_ptr<auth::AuthProvider> Provider(const char* id, const char* secret) {
    auth::AuthProviderOptions o;
    o.issuer = server_.issuer();
    o.client_id = id;
    o.client_secret = Secret(secret);
    o.sleep = [this](std::chrono::milliseconds wait) { clock_.AdvanceMicros(wait.count() * 1000); };
    auto p = auth::AuthProvider::Create(o, clock_);
    EXPECT_TRUE(p.ok()) << p.status();
    return std::move(p).value();
  }

  std::unique_ptr<AssistantAgent> Agent(const std::string& name, const std::string& id,
                                        ScriptedChatModel& model) {
    auto a = AssistantAgent::Create({.name = name, .id = id, .description = name}, model, audit_);
    EXPECT_TRUE(a.ok()) << a.status();
    return std::move(a).value();
  }

  // The token the API got, without "Bearer ".
  std::string ApiToken() const {
    return api_authorization_.starts_with("Bearer ") ? api_authorization_.substr(7) : "";
  }

  // Every text a model was sent or wrote, and the stored form of `conversation`, holds none of
  // `tokens`.
  void ExpectNoToken(const Conversation& conversation, const std::vector<std::string>& tokens) {
    std::vector<std::string> texts = {conversation.Serialize()};
    for (const Message& m : conversation.messages()) texts.push_back(DumpJson(MessageToJson(m)));
    for (ScriptedChatModel* model : {&guest_model_, &booking_model_}) {
      for (const ChatRequest& request : model->requests()) {
        for (const Message& m : request.messages) texts.push_back(DumpJson(MessageToJson(m)));
      }
    }
    for (const std::string& token : tokens) {
      ASSERT_FALSE(token.empty());
      for (const std::string& text : texts) {
        EXPECT_EQ(text.find(token), std::string::npos) << "token found in: " << text;
      }
    }
  }

  FakeClock clock_;
  FakeAuthorizationServer server_;
  InMemoryAuditSink audit_;
  ScriptedChatModel guest_model_, booking_model_;
  std::unique_ptr<auth::AuthProvider> guest_tokens_, booking_tokens_;
  std::unique_ptr<AssistantAgent> guest_, booking_;
  std::string api_authorization_;
};

// The guest assistant holds alice's delegated token (the app gave it) and hands off to the
// booking agent; the booking agent's tool exchanges it with its own actor token and the API
// gets a token with act [booking agent, guest assistant].
TEST_F(AuthorityTest, HandoffCarriesTheUsersAuthorityIntoTheExchange) {
  const std::string held =
      server_.IssueUserToken("alice", auth::testing::kAgent, {"create_bookings"}, kHotel);
  Conversation conversation("alice");
  conversation.set_authority({.to = "guest_assistant", .from = "app", .token = Secret(held)});
  conversation.Append(Message::User("book me a room at h-1"));
  guest_model_.ThenCalls({Call("c1", "transfer_to_booking_agent", "{}")});
  booking_model_.ThenCalls({Call("c2", "book_room", R"({"hotel":"h-1"})")});
  booking_model_.ThenText("Booked at h-1.");
  ASSERT_TRUE(
      HandoffTeam::ConnectAll({guest_.get(), booking_.get()}, {guest_.get(), booking_.get()}).ok());
  HandoffTeam team({guest_.get(), booking_.get()}, HandoffTo("user"));
  auto result = team.Run(conversation);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->last_speaker, "booking_agent");

  auto form = server_.last_exchange_form();
  EXPECT_EQ(form["subject_token"], held);
  EXPECT_TRUE(server_.IsAgentToken(form["actor_token"], auth::testing::kBookingAgent));
  const std::string api_token = ApiToken();
  auto issued = server_.issued(api_token);
  EXPECT_EQ(issued.sub, "alice");
  EXPECT_EQ(issued.actors,
            (std::vector<std::string>{auth::testing::kBookingAgent, auth::testing::kAgent}));
  EXPECT_EQ(conversation.authority().to, "booking_agent");
  ExpectNoToken(conversation, {held, api_token, form["actor_token"]});
}

// The guest assistant asks the booking agent through an AgentTool whose Handover gets alice's
// approval on her device (CIBA); the booking agent exchanges that token; the API sees the chain.
TEST_F(AuthorityTest, AgentToolHandsOverABackchannelApprovedToken) {
  Handover handover;
  handover.resource = kHotel;
  handover.scopes = {"create_bookings"};
  handover.approval = auth::Approval::kBackchannel;
  handover.binding_message = "Book a room at h-1";
  handover.tokens = guest_tokens_.get();
  auto tool = AgentTool::Create("ask_booking_agent", "Books rooms", *booking_, handover);
  ASSERT_TRUE(tool.ok()) << tool.status();
  ASSERT_TRUE(guest_->AddTool(std::move(tool).value()).ok());
  server_.set_ciba_script({"authorization_pending"});

  Conversation conversation("alice");
  conversation.Append(Message::User("book me a room at h-1"));
  guest_model_.ThenCalls({Call("c1", "ask_booking_agent", R"({"task":"book h-1 for alice"})")});
  booking_model_.ThenCalls({Call("c2", "book_room", R"({"hotel":"h-1"})")});
  booking_model_.ThenText("Booked at h-1.");
  guest_model_.ThenText("Your room at h-1 is booked.");
  auto turn = guest_->Run(conversation);
  ASSERT_TRUE(turn.ok()) << turn.status();

  EXPECT_EQ(server_.last_bc_form()["login_hint"], "alice");
  EXPECT_EQ(server_.last_bc_form()["binding_message"], "Book a room at h-1");
  auto form = server_.last_exchange_form();
  const std::string approved = form["subject_token"];
  EXPECT_EQ(server_.issued(approved).actors, std::vector<std::string>{auth::testing::kAgent});
  const std::string api_token = ApiToken();
  EXPECT_EQ(server_.issued(api_token).actors,
            (std::vector<std::string>{auth::testing::kBookingAgent, auth::testing::kAgent}));
  // The booking agent's answer came back as the tool's result.
  bool answered = false;
  for (const Message& m : conversation.messages()) {
    if (m.role == Role::kTool && m.content == "Booked at h-1.") answered = true;
  }
  EXPECT_TRUE(answered);
  EXPECT_TRUE(conversation.authority().token.empty());  // the caller's own conversation: none
  ExpectNoToken(conversation, {approved, api_token});
}

// A plain function tool never sees the handed user token, and a result that echoes it anyway
// (an upstream reflecting a header) reaches the model redacted.
TEST_F(AuthorityTest, PlainToolsNeitherGetNorLeakTheHandedToken) {
  // Not JWT-shaped, so that only the handed-token scrub (not the JWT pattern) can redact it.
  const std::string handed_token = "handed-user-token-0123456789abcdef";
  bool saw_token = true;
  auto tool = FunctionTool::Create(
      "echo", "echoes", Json{{"type", "object"}},
      [&](const Json&, ToolContext& context) -> Result<Json> {
        saw_token = !context.subject_token.empty();
        return Json("the upstream echoed: " + handed_token);
      });
  ASSERT_TRUE(tool.ok()) << tool.status();
  ASSERT_TRUE(booking_->AddTool(std::move(tool).value()).ok());
  Conversation conversation("alice");
  HandedAuthority authority;
  authority.to = "booking_agent";
  authority.token = Secret(handed_token);
  conversation.set_authority(authority);
  conversation.Append(Message::User("echo"));
  booking_model_.ThenCalls({Call("c1", "echo", "{}")});
  booking_model_.ThenText("done");
  auto turn = booking_->Run(conversation);
  ASSERT_TRUE(turn.ok()) << turn.status();
  EXPECT_FALSE(saw_token);
  ExpectNoToken(conversation, {handed_token});
}

// Agents nested as each other's tools stop at kMaxAgentToolDepth: the call is denied before the
// other agent runs or any token is asked for.
TEST_F(AuthorityTest, AgentToolRefusesPastTheNestingCap) {
  auto tool = AgentTool::Create("ask_booking_agent", "Books rooms", *booking_, std::nullopt);
  ASSERT_TRUE(tool.ok()) << tool.status();
  ToolContext context;
  context.agent_id = auth::testing::kAgent;
  context.user = "alice";
  context.agent_depth = kMaxAgentToolDepth;
  ToolOutcome outcome = (*tool)->Invoke(Json{{"task", "book h-1"}}, context);
  EXPECT_EQ(outcome.status, ToolStatus::kDenied);
  EXPECT_NE(outcome.content.find("nested too deep"), std::string::npos) << outcome.content;
  EXPECT_TRUE(server_.last_exchange_form().empty());
}

// A handover that cannot get the user's authority (she denies) fails closed: no handoff, the
// model is told "denied" with the reason code, and the authority stays where it was.
TEST_F(AuthorityTest, DeniedHandoverStopsTheHandoff) {
  ASSERT_TRUE(guest_->AddHandoff("booking_agent").ok());
  Handover handover;
  handover.resource = kHotel;
  handover.approval = auth::Approval::kBackchannel;
  handover.tokens = guest_tokens_.get();
  ASSERT_TRUE(guest_->SetHandover("booking_agent", handover).ok());
  server_.set_ciba_script({"access_denied"});
  Conversation conversation("alice");
  conversation.Append(Message::User("book"));
  guest_model_.ThenCalls({Call("c1", "transfer_to_booking_agent", "{}")});
  guest_model_.ThenText("Alice declined.");
  auto turn = guest_->Run(conversation);
  ASSERT_TRUE(turn.ok()) << turn.status();
  EXPECT_EQ(turn->stop_reason, "final");
  EXPECT_EQ(turn->denied_calls, 1);
  const Message& result = conversation.messages().at(2);
  EXPECT_EQ(result.role, Role::kTool);
  EXPECT_NE(result.content.find("approval_denied"), std::string::npos) << result.content;
  EXPECT_TRUE(conversation.authority().token.empty());
}

// Without a handed authority the secure tool acting for the user asks with the tool's approval
// mode (here backchannel) and no subject token; with one, with the subject token.
TEST_F(AuthorityTest, SecureToolSendsSubjectTokenOnlyWhenHanded) {
  testing::FakeTokenSource tokens(kHotel, {"create_bookings"});
  ToolRequirement need;
  need.resource = kHotel;
  need.acting = Acting::kOnBehalfOfUser;
  need.approval = auth::Approval::kBackchannel;
  need.binding_message = [](const Json& args) {
    return "Book " + args.at("hotel").get<std::string>();
  };
  auto tool = SecureFunctionTool::Create(
      "book", "Books", Schema::Object().Property("hotel", Schema::String()).json(), need, tokens,
      [](const Json&, ToolContext&) -> Result<Json> { return Json("ok"); });
  ASSERT_TRUE(tool.ok());
  ToolContext plain;
  plain.user = "alice";
  EXPECT_EQ((*tool)->Invoke(Json{{"hotel", "h-1"}}, plain).status, ToolStatus::kOk);
  ToolContext handed = plain;
  handed.subject_token = Secret("handed-token-value");
  EXPECT_EQ((*tool)->Invoke(Json{{"hotel", "h-1"}}, handed).status, ToolStatus::kOk);
  auto requests = tokens.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_TRUE(requests[0].subject_token.empty());
  EXPECT_EQ(requests[0].approval, auth::Approval::kBackchannel);
  EXPECT_EQ(requests[0].binding_message, "Book h-1");
  EXPECT_EQ(requests[1].subject_token.Reveal(), "handed-token-value");
  EXPECT_EQ(requests[1].on_behalf_of, "alice");
}

}  // namespace
}  // namespace zta::agent
