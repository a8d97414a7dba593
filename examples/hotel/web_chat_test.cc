// Tests of the web chat's HTTP side (web_chat_server.h) with a scripted sign-in and a scripted
// Guest Assistant: sessions, CSRF, the events feed, consent callbacks. The real idp and agents
// are exercised by tests/hotel_web (chromium against `zta demo`).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "web_chat_messages.h"
#include "web_chat_server.h"
#include "zta/http/client.h"
#include "zta/http/server.h"

namespace zta::hotel {
namespace {

using namespace std::chrono_literals;

class ScriptedLogin : public ChatLogin {
 public:
  Result<LoginStart> Begin() override {
    LoginStart s;
    s.state = "state-" + std::to_string(++begun_);
    s.nonce = "nonce";
    s.code_verifier = Secret("verifier");
    s.authorization_url = "http://idp.invalid/authorize?state=" + s.state;
    return s;
  }
  Result<SignedIn> Finish(const LoginStart&, std::string_view query) override {
    ++finished_;
    if (query.find("code=good") == std::string_view::npos) {
      return Status(StatusCode::kPermissionDenied, "no", "login_denied");
    }
    return SignedIn{"alice", "Alice", "user-1"};
  }
  std::atomic<int> begun_{0}, finished_{0};
};

// "book": asks for consent like DelegatedTokenSource does, then reports book_room's outcome;
// anything else: a greeting.
Result<TurnRunner> ScriptedAssistant(auth::ConsentHandler& consent,
                                     agent::MessageObserver observer) {
  return TurnRunner([&consent, observer](agent::Conversation& c) -> Result<agent::TurnResult> {
    agent::TurnResult result;
    result.stop_reason = "final";
    if (c.back().content.find("book") == std::string::npos) {
      observer(agent::Message::Assistant("Hello " + c.user(), "guest_assistant"), nullptr);
      return result;
    }
    agent::Message call = agent::Message::Assistant("", "guest_assistant");
    call.tool_calls.push_back({"call-1", "book_room", R"({"room_id":"r1"})"});
    observer(call, nullptr);
    auth::ConsentRequest request;
    request.authorization_url = "http://idp.invalid/authorize?request_uri=x";
    request.state = "consent-state-1";
    request.user = c.user();
    request.agent = "guest-assistant";
    auto query = consent.AwaitRedirect(request, 10s);
    agent::ToolOutcome outcome;
    if (!query.ok() || query->find("code=") == std::string::npos) {
      outcome = agent::ToolOutcome::Failure(agent::ToolStatus::kDenied, "denied", "consent_denied");
    } else {
      outcome.content =
          R"({"booking_id":"b-1","hotel_id":"h-paris-1","room_id":"r1",)"
          R"("booked_by":"booking-agent","for":"alice","asked_by":"guest-assistant"})";
    }
    observer(agent::Message::ToolResult("call-1", "book_room", outcome.content), &outcome);
    return result;
  });
}

class WebChatServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto http = http::HttpServer::StartAsync(
        {}, [this](const http::Request& r, http::Respond a) { chat_->Handle(r, std::move(a)); });
    ASSERT_TRUE(http.ok());
    http_ = std::move(*http);
    base_ = http_->BaseUrl();
    auto login = std::make_unique<ScriptedLogin>();
    login_ = login.get();
    ChatServerOptions options;
    options.base_url = base_;
    options.login = std::move(login);
    options.make_assistant = ScriptedAssistant;
    options.poll_timeout = 300ms;
    auto chat = ChatServer::Create(std::move(options));
    ASSERT_TRUE(chat.ok());
    chat_ = std::move(*chat);
  }
  void TearDown() override {
    if (chat_) chat_->Stop();
    http_->Stop();
  }

  http::Response Send(const std::string& method, const std::string& target,
                      std::vector<std::pair<std::string, std::string>> headers = {},
                      std::string body = "") {
    http::ClientRequest request;
    request.method = method;
    request.url = base_ + target;
    for (auto& [k, v] : headers) request.headers.Add(k, v);
    request.body = std::move(body);
    auto response = http::Send(request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : http::Response{};
  }

  static std::string SetCookieValue(const http::Response& r, const std::string& name) {
    for (const std::string& field : r.headers.GetAll("Set-Cookie")) {
      if (field.starts_with(name + "=")) {
        return field.substr(name.size() + 1, field.find(';') - name.size() - 1);
      }
    }
    return "";
  }

  // Signs in through /login and /callback; sets cookie_ and csrf_.
  void SignIn() {
    http::Response login = Send("GET", "/login");
    ASSERT_EQ(login.status, 302);
    const std::string state = SetCookieValue(login, kChatLoginCookie);
    ASSERT_FALSE(state.empty());
    http::Response back = Send("GET", "/callback?code=good&state=" + state,
                               {{"Cookie", std::string(kChatLoginCookie) + "=" + state}});
    ASSERT_EQ(back.status, 303) << back.body;
    cookie_ = std::string(kChatSessionCookie) + "=" + SetCookieValue(back, kChatSessionCookie);
    http::Response info = Send("GET", "/api/session", {{"Cookie", cookie_}});
    ASSERT_EQ(info.status, 200);
    csrf_ = Json::parse(info.body)["csrf"];
  }

  http::Response PostChat(const std::string& message) {
    return Send("POST", "/api/chat",
                {{"Cookie", cookie_},
                 {"Origin", base_},
                 {"X-ZTA-CSRF", csrf_},
                 {"Content-Type", "application/json"}},
                Json({{"message", message}}).dump());
  }

  // Polls /api/events until an event of `type` arrives (or 5 s pass); returns every event seen.
  std::vector<Json> PollUntil(const std::string& type) {
    std::vector<Json> seen;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (std::chrono::steady_clock::now() < deadline) {
      http::Response r =
          Send("GET", "/api/events?after=" + std::to_string(next_), {{"Cookie", cookie_}});
      if (r.status != 200) break;
      Json body = Json::parse(r.body);
      next_ = body["next"];
      for (const Json& e : body["events"]) {
        seen.push_back(e);
        if (e["type"] == type) return seen;
      }
    }
    ADD_FAILURE() << "no " << type << " event";
    return seen;
  }

  static const Json* Find(const std::vector<Json>& events, const std::string& type) {
    for (const Json& e : events) {
      if (e["type"] == type) return &e;
    }
    return nullptr;
  }

  std::unique_ptr<http::HttpServer> http_;
  std::unique_ptr<ChatServer> chat_;
  ScriptedLogin* login_ = nullptr;
  std::string base_, cookie_, csrf_;
  int64_t next_ = 0;
};

// Without a session cookie (or with one the server never issued) the API answers 401.
TEST_F(WebChatServerTest, SessionCookieRequired) {
  EXPECT_EQ(Send("GET", "/api/session").status, 401);
  EXPECT_EQ(Send("GET", "/api/events?after=0").status, 401);
  EXPECT_EQ(Send("POST", "/api/chat", {{"Origin", base_}, {"Content-Type", "application/json"}},
                 R"({"message":"hi"})")
                .status,
            401);
  const std::string forged = std::string(kChatSessionCookie) + "=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  EXPECT_EQ(Send("GET", "/api/events?after=0", {{"Cookie", forged}}).status, 401);
  EXPECT_EQ(chat_->sessions().size(), 0u);
}

// A sign-in redirect is accepted only by the browser that started it (the login cookie), so
// another site cannot sign a victim into its own account (login CSRF).
TEST_F(WebChatServerTest, CallbackNeedsTheLoginCookie) {
  http::Response login = Send("GET", "/login");
  ASSERT_EQ(login.status, 302);
  EXPECT_EQ(login.headers.Get("Location").value_or(""),
            "http://idp.invalid/authorize?state=state-1");
  EXPECT_EQ(Send("GET", "/callback?code=good&state=state-1").status, 400);
  EXPECT_EQ(Send("GET", "/callback?code=good&state=state-1",
                 {{"Cookie", std::string(kChatLoginCookie) + "=state-2"}})
                .status,
            400);
  EXPECT_EQ(login_->finished_.load(), 0);
  EXPECT_EQ(Send("GET", "/callback?error=access_denied&state=state-1",
                 {{"Cookie", std::string(kChatLoginCookie) + "=state-1"}})
                .status,
            400);
  EXPECT_EQ(chat_->sessions().size(), 0u);
}

// The session cookie is HttpOnly and SameSite=Lax; the page gets its CSRF token from /api/session.
TEST_F(WebChatServerTest, SignInSetsAHardenedCookie) {
  http::Response login = Send("GET", "/login");
  const std::string state = SetCookieValue(login, kChatLoginCookie);
  http::Response back = Send("GET", "/callback?code=good&state=" + state,
                             {{"Cookie", std::string(kChatLoginCookie) + "=" + state}});
  ASSERT_EQ(back.status, 303);
  std::string field;
  for (const auto& f : back.headers.GetAll("Set-Cookie")) {
    if (f.starts_with(kChatSessionCookie)) field = f;
  }
  EXPECT_NE(field.find("HttpOnly"), std::string::npos) << field;
  EXPECT_NE(field.find("SameSite=Lax"), std::string::npos) << field;
  EXPECT_GE(SetCookieValue(back, kChatSessionCookie).size(), 43u);  // 256 bits, base64url
}

// POST /api/chat without our Origin or without the session's X-ZTA-CSRF token is refused (403)
// and starts no turn; with both it is accepted (202).
TEST_F(WebChatServerTest, CsrfRefused) {
  SignIn();
  auto post = [&](std::vector<std::pair<std::string, std::string>> headers) {
    headers.push_back({"Cookie", cookie_});
    headers.push_back({"Content-Type", "application/json"});
    return Send("POST", "/api/chat", headers, R"({"message":"hi"})").status;
  };
  EXPECT_EQ(post({{"X-ZTA-CSRF", csrf_}}), 403);
  EXPECT_EQ(post({{"Origin", "http://evil.example"}, {"X-ZTA-CSRF", csrf_}}), 403);
  EXPECT_EQ(post({{"Origin", base_}}), 403);
  EXPECT_EQ(post({{"Origin", base_}, {"X-ZTA-CSRF", csrf_ + "x"}}), 403);
  EXPECT_EQ(Send("POST", "/logout", {{"Cookie", cookie_}, {"Origin", base_}}).status, 403);
  EXPECT_EQ(chat_->sessions().size(), 1u);
  EXPECT_EQ(post({{"Origin", base_}, {"X-ZTA-CSRF", csrf_}}), 202);
}

// The feed carries the user's message, the assistant's reply and the end of the turn, numbered;
// a poll with nothing new answers empty after the poll timeout; a second message while a turn
// runs is refused (409).
TEST_F(WebChatServerTest, EventsFeed) {
  SignIn();
  ASSERT_EQ(PostChat("hi").status, 202);
  std::vector<Json> events = PollUntil("turn_end");
  ASSERT_NE(Find(events, "user"), nullptr);
  EXPECT_EQ((*Find(events, "user"))["text"], "hi");
  ASSERT_NE(Find(events, "assistant"), nullptr);
  EXPECT_EQ((*Find(events, "assistant"))["text"], "Hello alice");
  EXPECT_EQ((*Find(events, "turn_end"))["trace_id"].get<std::string>().size(), 32u);
  for (size_t i = 1; i < events.size(); ++i) {
    EXPECT_EQ(events[i]["seq"].get<int64_t>(), events[i - 1]["seq"].get<int64_t>() + 1);
  }
  const auto before = std::chrono::steady_clock::now();
  http::Response idle =
      Send("GET", "/api/events?after=" + std::to_string(next_), {{"Cookie", cookie_}});
  EXPECT_GE(std::chrono::steady_clock::now() - before, 250ms);
  EXPECT_EQ(Json::parse(idle.body)["events"].size(), 0u);
  EXPECT_EQ(Send("GET", "/api/events?after=x", {{"Cookie", cookie_}}).status, 400);
}

// A consent request reaches the user's page as a "consent" event; the callback is refused for a
// state nobody waits for and without the session it was shown to; the right one unblocks the
// turn, whose booking shows as a "booking" event naming the agents.
TEST_F(WebChatServerTest, ConsentCallback) {
  SignIn();
  ASSERT_EQ(PostChat("book it").status, 202);
  std::vector<Json> events = PollUntil("consent");
  const Json* consent = Find(events, "consent");
  ASSERT_NE(consent, nullptr);
  EXPECT_EQ((*consent)["url"], "http://idp.invalid/authorize?request_uri=x");
  EXPECT_EQ(Find(events, "tool_call")->at("tool"), "book_room");
  EXPECT_EQ(Send("GET", "/consent/callback?code=c&state=unknown", {{"Cookie", cookie_}}).status,
            400);
  EXPECT_EQ(Send("GET", "/consent/callback?code=c&state=consent-state-1").status, 400);
  EXPECT_EQ(PostChat("again").status, 409);  // the turn still waits
  http::Response ok =
      Send("GET", "/consent/callback?code=c&state=consent-state-1", {{"Cookie", cookie_}});
  EXPECT_EQ(ok.status, 200);
  EXPECT_NE(ok.headers.Get("Content-Security-Policy").value_or("").find("script-src 'self'"),
            std::string::npos);
  events = PollUntil("turn_end");
  const Json* booking = Find(events, "booking");
  ASSERT_NE(booking, nullptr);
  EXPECT_EQ((*booking)["booking_id"], "b-1");
  EXPECT_EQ((*booking)["booked_by"], "booking-agent");
  EXPECT_EQ((*booking)["asked_by"], "guest-assistant");
  EXPECT_EQ((*booking)["user"], "alice");
  EXPECT_EQ((*booking)["trace_id"].get<std::string>().size(), 32u);
  EXPECT_TRUE((*booking)["approved_at"].is_string());  // the chat saw the approval
  EXPECT_EQ((*booking)["approved_at"].get<std::string>().size(), 20u);
  // Answered once: the same state again is unknown.
  EXPECT_EQ(
      Send("GET", "/consent/callback?code=c&state=consent-state-1", {{"Cookie", cookie_}}).status,
      400);
}

// Stop while a turn waits for consent: the wait ends as a denial, the turn finishes, the
// waiting poll is answered, and Stop returns.
TEST_F(WebChatServerTest, StopCancelsWaitingConsent) {
  SignIn();
  ASSERT_EQ(PostChat("book it").status, 202);
  PollUntil("consent");
  chat_->Stop();
  EXPECT_EQ(chat_->consent().waiting(), 0u);
  EXPECT_EQ(Send("GET", "/api/events?after=0", {{"Cookie", cookie_}}).status, 401);
}

// A denied tool call is shown as refused, with its reason code.
TEST(WebChatMessages, DeniedIsRefused) {
  auto outcome = agent::ToolOutcome::Failure(agent::ToolStatus::kDenied, "no", "consent_denied");
  auto events = MessageEvents(agent::Message::ToolResult("c1", "book_room", "no"), &outcome);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["status"], "refused");
  EXPECT_EQ(events[0]["reason"], "consent_denied");
  EXPECT_TRUE(BookingEvent("not json").is_null());
  EXPECT_TRUE(BookingEvent(R"({"status":"x"})").is_null());
}

// book_room's result as the hotel deployment writes it (booking_tools.cc): the hotel API's record
// with its actor chain (outermost first), who approved and which agent asked. No token field of
// it (consent_token_jti, grant_id, jti) reaches the event.
TEST(WebChatMessages, BookingFromBookRoomResult) {
  Json result = {{"status", "booked"},
                 {"booking",
                  {{"id", "bk-7"},
                   {"guest", "user-1"},
                   {"hotel_id", "h-paris-1"},
                   {"room_id", "h-paris-1-dbl"},
                   {"check_in", "2027-05-10"},
                   {"check_out", "2027-05-12"},
                   {"guests", 2},
                   {"total", 380.0},
                   {"currency", "EUR"},
                   {"actor_chain", {"agent-booking", "agent-guest"}},
                   {"grant_id", "g-1"},
                   {"jti", "j-1"},
                   {"trace_id", "t-1"},
                   {"created_at", "2027-01-01T10:00:01Z"}}},
                 {"approved_by", "guest"},
                 {"asked_by", "agent-guest"},
                 {"consent_token_jti", "j-0"},
                 {"booking_agent_said", "done"}};
  Json e = BookingEvent(result.dump());
  EXPECT_EQ(e["booking_id"], "bk-7");
  EXPECT_EQ(e["hotel"], "h-paris-1");
  EXPECT_EQ(e["room"], "h-paris-1-dbl");
  EXPECT_EQ(e["check_in"], "2027-05-10");
  EXPECT_EQ(e["total"], 380.0);
  EXPECT_EQ(e["booked_by"], "agent-booking");
  EXPECT_EQ(e["asked_by"], "agent-guest");
  EXPECT_EQ(e["user"], "guest");
  EXPECT_EQ(e["booked_at"], "2027-01-01T10:00:01Z");
  EXPECT_EQ(e["trace_id"], "t-1");
  const std::string text = e.dump();
  for (const char* hidden : {"j-0", "j-1", "g-1", "user-1"}) {
    EXPECT_EQ(text.find(hidden), std::string::npos) << hidden << " in " << text;
  }
}

}  // namespace
}  // namespace zta::hotel
