// The web chat against the whole deployment (HotelSystem): a scripted browser (BrowserUser, the
// real idp login and consent pages over HTTP) signs in through /login and /callback (OIDC with
// the real ID token check), asks for a room, approves the consent the chat shows, and the
// events feed carries the booking naming the agents. The chromium version is tests/hotel_web.
#include <cstdlib>
#include <gtest/gtest.h>

#include <filesystem>

#include "browser_user.h"
#include "system.h"
#include "web_chat.h"
#include "web_chat_sessions.h"
#include "zta/core/clock.h"
#include "zta/core/random.h"
#include "zta/http/client.h"

namespace zta::hotel {
namespace {

using namespace std::chrono_literals;

constexpr char kRequest[] =
    "Book room h-paris-1-dbl at hotel h-paris-1 from 2027-05-10 to 2027-05-12 for 2 guests";

std::string FormValue(std::string_view query, std::string_view name) {
  auto form = http::ParseForm(query);
  if (!form.ok()) return "";
  for (const auto& [k, v] : *form) {
    if (k == name) return v;
  }
  return "";
}

class WebChatSystemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("zta-web-chat-" + RandomToken(8).value());
    auto chat = WebChat::Listen({});
    ASSERT_TRUE(chat.ok()) << chat.status();
    chat_ = std::move(*chat);
    base_ = chat_->BaseUrl();
  }
  void StartSystem() {
    SystemOptions options;
    options.data_dir = dir_.string();
    options.extra_redirect_uris = chat_->RedirectUris();
    auto system = HotelSystem::Start(options, clock_);
    ASSERT_TRUE(system.ok()) << system.status();
    system_ = std::move(*system);
    Status attached = chat_->Attach(*system_);
    ASSERT_TRUE(attached.ok()) << attached.ToString();
    browser_ = std::make_unique<BrowserUser>(system_->registration().user_name,
                                             system_->registration().user_password,
                                             [](const ConsentPageText&) { return true; });
  }
  void TearDown() override {
    if (chat_) chat_->Stop();
    if (system_) system_->Stop();
    std::error_code ignored;
    if (!std::getenv("ZTA_KEEP"))     std::filesystem::remove_all(dir_, ignored);
  }

  http::Response Get(const std::string& target, const std::string& cookie = "") {
    http::ClientRequest request;
    request.url = base_ + target;
    if (!cookie.empty()) request.headers.Set("Cookie", cookie);
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

  // /login → the idp (signed in and consented by the scripted browser) → /callback.
  void SignIn() {
    http::Response login = Get("/login");
    ASSERT_EQ(login.status, 302) << login.body;
    const std::string state = SetCookieValue(login, kChatLoginCookie);
    auto query =
        browser_->Authorize(login.headers.Get("Location").value_or(""), base_ + "/callback");
    ASSERT_TRUE(query.ok()) << query.status();
    http::Response back = Get("/callback?" + *query, std::string(kChatLoginCookie) + "=" + state);
    ASSERT_EQ(back.status, 303) << back.body;
    cookie_ = std::string(kChatSessionCookie) + "=" + SetCookieValue(back, kChatSessionCookie);
    http::Response info = Get("/api/session", cookie_);
    ASSERT_EQ(info.status, 200);
    Json session = Json::parse(info.body);
    EXPECT_EQ(session["user"], system_->registration().user_name);
    csrf_ = session["csrf"];
  }

  std::vector<Json> PollUntil(const std::string& type) {
    std::vector<Json> seen;
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
      http::Response r = Get("/api/events?after=" + std::to_string(next_), cookie_);
      if (r.status != 200) break;
      Json body = Json::parse(r.body);
      next_ = body["next"];
      for (const Json& e : body["events"]) {
        seen.push_back(e);
        if (e["type"] == type) return seen;
      }
    }
    std::string all;
    for (const Json& e : seen) all += e.dump() + "\n";
    ADD_FAILURE() << "no " << type << " event; saw:\n" << all;
    return seen;
  }

  SystemClock clock_;
  std::filesystem::path dir_;
  std::unique_ptr<WebChat> chat_;
  std::unique_ptr<HotelSystem> system_;
  std::unique_ptr<BrowserUser> browser_;
  std::string base_, cookie_, csrf_;
  int64_t next_ = 0;
};

// Until Attach the port answers 503 "starting"; the redirect URIs are the chat's own.
TEST_F(WebChatSystemTest, StartingUntilAttached) {
  EXPECT_EQ(Get("/").status, 503);
  EXPECT_EQ(chat_->RedirectUris(),
            (std::vector<std::string>{base_ + "/callback", base_ + "/consent/callback"}));
}

// Sign in with the real idp, ask for the room, approve the consent the page is shown, and the
// booking event names the booking agent, the user and the guest assistant.
TEST_F(WebChatSystemTest, BooksThroughTheChat) {
  StartSystem();
  SignIn();
  http::ClientRequest post;
  post.method = "POST";
  post.url = base_ + "/api/chat";
  post.headers.Set("Cookie", cookie_);
  post.headers.Set("Origin", base_);
  post.headers.Set("X-ZTA-CSRF", csrf_);
  post.headers.Set("Content-Type", "application/json");
  post.body = Json({{"message", kRequest}}).dump();
  auto accepted = http::Send(post);
  ASSERT_TRUE(accepted.ok());
  ASSERT_EQ(accepted->status, 202) << accepted->body;

  std::vector<Json> events = PollUntil("consent");
  ASSERT_FALSE(events.empty());
  const std::string url = events.back()["url"];
  EXPECT_TRUE(url.starts_with(system_->idp_url())) << url;
  auto query = browser_->Authorize(url, base_ + "/consent/callback");
  ASSERT_TRUE(query.ok()) << query.status();
  ASSERT_FALSE(browser_->answers().empty());
  const std::string page = browser_->answers().back().page.text;
  EXPECT_NE(page.find("h-paris-1-dbl"), std::string::npos) << page;
  EXPECT_EQ(Get("/consent/callback?" + *query, cookie_).status, 200);
  EXPECT_FALSE(FormValue(*query, "code").empty());

  events = PollUntil("turn_end");
  const Json* booking = nullptr;
  for (const Json& e : events) {
    if (e["type"] == "booking") booking = &e;
  }
  ASSERT_NE(booking, nullptr);
  EXPECT_FALSE((*booking)["booking_id"].is_null()) << booking->dump();
  EXPECT_FALSE((*booking)["booked_by"].is_null()) << booking->dump();
  EXPECT_FALSE((*booking)["asked_by"].is_null()) << booking->dump();
  EXPECT_NE((*booking)["booked_by"], (*booking)["asked_by"]) << booking->dump();
  EXPECT_FALSE((*booking)["approved_at"].is_null()) << booking->dump();
  // Nothing in the feed looks like a JWT.
  for (const Json& e : events) EXPECT_EQ(e.dump().find("eyJ"), std::string::npos) << e.dump();
}

}  // namespace
}  // namespace zta::hotel
