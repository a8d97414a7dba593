// The browser side of delegation, in process: /authorize, /par, /login, /consent, /account and
// /logout driven as a browser would (cookies kept by hand), and every refusal they make.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "browser/browser_state.h"
#include "test_fixture.h"
#include "zta/core/sha256.h"
#include "zta/http/web.h"
#include "zta/idp/password.h"

namespace zta::idp::testing {
namespace {

constexpr char kRedirect[] = "https://chat.example/cb";
constexpr char kApp[] = "app-chat";
constexpr char kParApp[] = "app-par";
constexpr char kParSecret[] = "par-app-secret-0123456789";
constexpr char kVerifier[] = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-verifier";
constexpr char kPassword[] = "correct horse battery staple";

std::string Challenge() { return Base64UrlEncode(Sha256(kVerifier)); }

// The query parameters of a URL (after '?').
std::map<std::string, std::string> QueryOf(const std::string& url) {
  std::map<std::string, std::string> out;
  size_t q = url.find('?');
  if (q == std::string::npos) return out;
  auto form = http::ParseForm(url.substr(q + 1));
  if (!form.ok()) return out;
  for (auto& [k, v] : *form) out[k] = v;
  return out;
}

// The value="..." of the hidden field `name` in a page.
std::string HiddenValue(const std::string& html, const std::string& name) {
  std::string marker = "name=\"" + name + "\" value=\"";
  size_t at = html.find(marker);
  if (at == std::string::npos) return "";
  at += marker.size();
  return html.substr(at, html.find('"', at) - at);
}

class AuthorizeTest : public IdpFixture {
 protected:
  void SetUp() override {
    IdpFixture::SetUp();
    auto [agent, secret] = AddSecretAgent({"hotels:read", "bookings:create"});
    agent_ = agent;
    agent_secret_ = secret;
    // What the hotel example registers: scope words and its booking type.
    auto registry = idp_->store().LoadRegistry();
    ASSERT_TRUE(registry.ok());
    Resource hotel = *(*registry)->FindResource(kHotel);
    hotel.scope_descriptions["hotels:read"] = "see hotels and rooms";
    hotel.scope_descriptions["bookings:create"] = "book rooms for you";
    Resource::DetailsType booking;
    booking.schema = Json::parse(R"({
      "type": "object",
      "properties": {
        "type": {"type": "string"},
        "hotel_id": {"type": "string", "maxLength": 64},
        "room_id": {"type": "string", "maxLength": 64},
        "check_in": {"type": "string"},
        "check_out": {"type": "string"},
        "max_total": {"type": "number", "minimum": 0, "maximum": 10000},
        "currency": {"enum": ["USD", "EUR"]}
      },
      "required": ["hotel_id", "room_id", "check_in", "check_out", "max_total", "currency"],
      "additionalProperties": false
    })");
    booking.text =
        "book room {room_id} at {hotel_id}, {check_in} to {check_out}, up to {max_total} "
        "{currency}";
    hotel.details_types["hotel_booking"] = booking;
    // A type whose schema lets other fields through, as many resources declare.
    Resource::DetailsType payment;
    payment.schema = Json::parse(R"({"type": "object"})");
    payment.text = "pay up to {max_total} {currency}";
    hotel.details_types["payment"] = payment;
    ASSERT_TRUE(idp_->store().PutResource(hotel).ok());
    Agent a = *(*registry)->FindAgent(agent_);
    a.name = "Guest Assistant";
    a.owner = "ops@example.test";
    a.description = "Books rooms you asked for.";
    ASSERT_TRUE(idp_->store().PutAgent(a).ok());

    App app;
    app.client_id = kApp;
    app.name = "Hotel Chat";
    app.redirect_uris = {kRedirect, "http://127.0.0.1/cb"};
    app.is_public = true;
    ASSERT_TRUE(idp_->store().PutApp(app).ok());
    App par = app;
    par.client_id = kParApp;
    par.name = "Pushed Chat";
    par.is_public = false;
    par.secret_digest = DigestSecret(kParSecret);
    par.require_par = true;
    ASSERT_TRUE(idp_->store().PutApp(par).ok());

    AddUser("alice", kPassword, true);
    AddUser("bob", kPassword, false);
  }

  void AddUser(const std::string& name, const std::string& password, bool enabled) {
    auto hash = HashPassword(Secret(password));
    ASSERT_TRUE(hash.ok()) << hash.status();
    User u;
    u.id = "u-" + name;
    u.username = name;
    u.email = name + "@example.test";
    u.password_hash = *hash;
    u.enabled = enabled;
    ASSERT_TRUE(idp_->store().PutUser(u).ok());
  }

  // Sends a request as the browser: its cookies go along, Set-Cookie fields update them.
  http::Response Browse(const std::string& method, const std::string& target,
                        const std::vector<std::pair<std::string, std::string>>& form = {},
                        const std::string& address = "192.0.2.7") {
    http::Request r;
    r.method = method;
    r.target = target;
    size_t q = target.find('?');
    r.path = target.substr(0, q);
    if (q != std::string::npos) r.query = target.substr(q + 1);
    if (method == "POST") {
      r.headers.Set("Content-Type", "application/x-www-form-urlencoded");
      r.body = http::FormEncode(form);
    }
    std::string cookies;
    for (const auto& [k, v] : jar_) cookies += (cookies.empty() ? "" : "; ") + k + "=" + v;
    if (!cookies.empty()) r.headers.Set("Cookie", cookies);
    r.remote_address = address;
    http::Response response = server_->Handle(r);
    EXPECT_LT(response.status, 500) << target << "\n" << response.body;
    for (const std::string& set : response.headers.GetAll("Set-Cookie")) {
      std::string pair = set.substr(0, set.find(';'));
      size_t eq = pair.find('=');
      std::string name = pair.substr(0, eq);
      if (set.find("Max-Age=0") != std::string::npos) {
        jar_.erase(name);
      } else {
        jar_[name] = pair.substr(eq + 1);
      }
    }
    return response;
  }

  std::vector<std::pair<std::string, std::string>> Params(
      std::vector<std::pair<std::string, std::string>> extra = {}) {
    std::vector<std::pair<std::string, std::string>> p = {{"response_type", "code"},
                                                          {"client_id", kApp},
                                                          {"redirect_uri", kRedirect},
                                                          {"state", "st-123"},
                                                          {"code_challenge", Challenge()},
                                                          {"code_challenge_method", "S256"},
                                                          {"resource", kHotel},
                                                          {"scope", "hotels:read bookings:create"},
                                                          {"requested_actor", agent_},
                                                          {"nonce", "n-1"}};
    for (auto& [k, v] : extra) {
      bool replaced = false;
      for (auto& [pk, pv] : p) {
        if (pk == k) {
          pv = v;
          replaced = true;
        }
      }
      if (!replaced) p.emplace_back(k, v);
    }
    std::erase_if(p, [](const auto& kv) { return kv.second == "<absent>"; });
    return p;
  }

  http::Response Authorize(std::vector<std::pair<std::string, std::string>> extra = {}) {
    return Browse("GET", "/authorize?" + http::FormEncode(Params(std::move(extra))));
  }

  static std::string Location(const http::Response& r) {
    return r.headers.Get("Location").value_or("");
  }

  // Follows /authorize's answer through the login page (signing in as `user`); returns the
  // answer to the login POST.
  http::Response LogIn(const http::Response& authorize, const std::string& user = "alice",
                       const std::string& password = kPassword) {
    std::string login = Location(authorize);
    EXPECT_TRUE(login.starts_with("/login?request_id=")) << login;
    http::Response page = Browse("GET", login);
    EXPECT_EQ(page.status, 200);
    EXPECT_NE(page.body.find("name=\"username\""), std::string::npos);
    EXPECT_NE(page.body.find("name=\"password\""), std::string::npos);
    return Browse("POST", "/login",
                  {{"csrf_token", HiddenValue(page.body, "csrf_token")},
                   {"request_id", QueryOf(login)["request_id"]},
                   {"username", user},
                   {"password", password}});
  }

  // Opens the consent page `consent_location` and presses `decision`.
  http::Response Decide(const std::string& consent_location, const std::string& decision,
                        std::string* page_body = nullptr) {
    http::Response page = Browse("GET", consent_location);
    EXPECT_EQ(page.status, 200) << page.body;
    if (page_body) *page_body = page.body;
    return Browse("POST", "/consent",
                  {{"csrf_token", HiddenValue(page.body, "csrf_token")},
                   {"request_id", QueryOf(consent_location)["request_id"]},
                   {"decision", decision}});
  }

  // The error a redirect carries, checking state and iss come along.
  std::string RedirectedError(const http::Response& r) {
    EXPECT_EQ(r.status, 303) << r.body;
    std::string location = Location(r);
    EXPECT_TRUE(location.starts_with(kRedirect)) << location;
    auto q = QueryOf(location);
    EXPECT_EQ(q["iss"], kIssuer);
    EXPECT_EQ(q["state"], "st-123");
    EXPECT_EQ(q.count("code"), 0u);
    return q["error"];
  }

  bool Audited(const std::string& action) {
    for (const AuditEvent& e : audit_.Events()) {
      if (e.action == action) return true;
    }
    return false;
  }

  std::string Details(Json entry) { return Json::array({std::move(entry)}).dump(); }
  Json Booking() {
    return {{"type", "hotel_booking"},  {"hotel_id", "h-harbour-view"}, {"room_id", "r-12"},
            {"check_in", "2026-12-03"}, {"check_out", "2026-12-05"},    {"max_total", 240},
            {"currency", "USD"}};
  }

  std::string agent_;
  std::string agent_secret_;
  std::map<std::string, std::string> jar_;
};

// The whole dance: /authorize → login → consent (plain words) → approve → a code in the
// redirect with state and iss, stored with everything the token request must match.
TEST_F(AuthorizeTest, FullDanceIssuesABoundCode) {
  http::Response authorize =
      Authorize({{"authorization_details", Details(Booking())}, {"login_hint", "alice"}});
  ASSERT_EQ(authorize.status, 303) << authorize.body;
  http::Response login_page = Browse("GET", Location(authorize));
  EXPECT_NE(login_page.body.find("value=\"alice\""), std::string::npos);  // login_hint
  http::Response logged_in = LogIn(authorize);
  ASSERT_EQ(logged_in.status, 303) << logged_in.body;
  std::string set_cookie;
  for (const std::string& c : logged_in.headers.GetAll("Set-Cookie")) {
    if (c.starts_with("zta-session=")) set_cookie = c;
  }
  EXPECT_NE(set_cookie.find("HttpOnly"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("SameSite=Lax"), std::string::npos);
  EXPECT_NE(set_cookie.find("Path=/"), std::string::npos);
  EXPECT_GE(jar_["zta-session"].size(), 43u);  // 256 bits, base64url
  std::string consent = Location(logged_in);
  ASSERT_TRUE(consent.starts_with("/consent?request_id=")) << consent;

  std::string page;
  http::Response approved = Decide(consent, "approve", &page);
  EXPECT_NE(page.find("<strong>Guest Assistant</strong>, an AI agent owned by ops@example.test, "
                      "wants to book room r-12 at h-harbour-view, 2026-12-03 to 2026-12-05, up "
                      "to 240 USD"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("Hotel Chat"), std::string::npos);
  EXPECT_NE(page.find("Books rooms you asked for."), std::string::npos);
  EXPECT_NE(page.find("book rooms for you"), std::string::npos);
  EXPECT_NE(page.find(kHotel), std::string::npos);
  EXPECT_NE(page.find("<button name=\"decision\" value=\"approve\">"), std::string::npos);
  EXPECT_NE(page.find("<button name=\"decision\" value=\"deny\">"), std::string::npos);

  ASSERT_EQ(approved.status, 303) << approved.body;
  std::string location = Location(approved);
  ASSERT_TRUE(location.starts_with(std::string(kRedirect) + "?")) << location;
  auto q = QueryOf(location);
  EXPECT_EQ(q["state"], "st-123");
  EXPECT_EQ(q["iss"], kIssuer);
  ASSERT_GE(q["code"].size(), 43u);

  bool first_use = false;
  auto code = idp_->store().ConsumeCode(DigestSecret(q["code"]), &first_use);
  ASSERT_TRUE(code.ok() && code->has_value());
  EXPECT_TRUE(first_use);
  const AuthorizationCode& c = **code;
  EXPECT_EQ(c.app_id, kApp);
  EXPECT_EQ(c.redirect_uri, kRedirect);
  EXPECT_EQ(c.code_challenge, Challenge());
  EXPECT_EQ(c.user_id, "u-alice");
  EXPECT_EQ(c.agent_id, agent_);
  EXPECT_EQ(c.resource, kHotel);
  EXPECT_EQ(c.scopes, (std::vector<std::string>{"hotels:read", "bookings:create"}));
  EXPECT_EQ(c.authorization_details, Json::array({Booking()}));
  EXPECT_EQ(c.nonce, "n-1");
  EXPECT_EQ(c.auth_time, clock_.NowSeconds());
  EXPECT_GT(c.expires_at, clock_.NowSeconds());
  EXPECT_LE(c.expires_at, clock_.NowSeconds() + 60);
  for (const char* action : {"login.success", "consent.shown", "consent.granted", "code.issue"}) {
    EXPECT_TRUE(Audited(action)) << action;
  }
  // A consent with authorization_details is never remembered.
  auto consents = idp_->store().ListConsents("u-alice");
  ASSERT_TRUE(consents.ok());
  EXPECT_TRUE(consents->empty());
}

// Every page carries the security headers of an identity provider's pages.
TEST_F(AuthorizeTest, PagesCarrySecurityHeaders) {
  http::Response page = Browse("GET", "/login");
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.headers.Get("Content-Security-Policy").value_or("").find("frame-ancestors 'none'"),
            std::string::npos);
  EXPECT_EQ(page.headers.Get("X-Frame-Options").value_or(""), "DENY");
  EXPECT_EQ(page.headers.Get("Cache-Control").value_or(""), "no-store");
  EXPECT_EQ(page.headers.Get("Referrer-Policy").value_or(""), "same-origin");
  EXPECT_NE(page.body.find("/static/idp/style.css"), std::string::npos);
}

// Deny answers access_denied to the app and issues nothing.
TEST_F(AuthorizeTest, DenyRedirectsAccessDenied) {
  http::Response logged_in = LogIn(Authorize());
  http::Response denied = Decide(Location(logged_in), "deny");
  EXPECT_EQ(RedirectedError(denied), "access_denied");
  EXPECT_TRUE(Audited("consent.denied"));
  EXPECT_FALSE(Audited("code.issue"));
}

// Scope-only consent is remembered: the next request goes straight to a code, unless
// prompt=consent; a request with authorization_details always asks.
TEST_F(AuthorizeTest, ScopeConsentIsRemembered) {
  http::Response first = Decide(Location(LogIn(Authorize())), "approve");
  ASSERT_EQ(first.status, 303);
  auto consents = idp_->store().ListConsents("u-alice");
  ASSERT_TRUE(consents.ok());
  ASSERT_EQ(consents->size(), 1u);
  EXPECT_EQ((*consents)[0].agent_id, agent_);

  http::Response again = Authorize({{"scope", "hotels:read"}});
  ASSERT_EQ(again.status, 303) << again.body;
  EXPECT_FALSE(QueryOf(Location(again))["code"].empty());

  http::Response forced = Authorize({{"prompt", "consent"}});
  EXPECT_EQ(forced.status, 303);
  EXPECT_TRUE(Location(forced).starts_with("/consent?")) << Location(forced);

  http::Response details = Authorize({{"authorization_details", Details(Booking())}});
  EXPECT_EQ(details.status, 303);
  EXPECT_TRUE(Location(details).starts_with("/consent?"));
}

// A redirect URI the app did not register, or an unknown app, gets an error page: the browser
// is never sent anywhere.
TEST_F(AuthorizeTest, UnregisteredRedirectIsAPageNotARedirect) {
  for (auto extra : std::vector<std::vector<std::pair<std::string, std::string>>>{
           {{"redirect_uri", "https://evil.example/cb"}},
           {{"redirect_uri", std::string(kRedirect) + "/x"}},
           {{"redirect_uri", "<absent>"}},
           {{"client_id", "app-unknown"}},
           {{"client_id", "<absent>"}}}) {
    http::Response r = Authorize(extra);
    EXPECT_EQ(r.status, 400) << extra[0].first;
    EXPECT_FALSE(r.headers.Has("Location"));
    EXPECT_EQ(r.headers.Get("Content-Type").value_or("").find("text/html"), 0u);
  }
  // RFC 8252 §7.3: a loopback URI registered without a port matches any port.
  http::Response loopback = Authorize({{"redirect_uri", "http://127.0.0.1:53117/cb"}});
  EXPECT_EQ(loopback.status, 303) << loopback.body;
}

// PKCE S256 is required: a missing challenge or the plain method is invalid_request.
TEST_F(AuthorizeTest, PkceS256IsRequired) {
  EXPECT_EQ(RedirectedError(Authorize({{"code_challenge", "<absent>"}})), "invalid_request");
  EXPECT_EQ(RedirectedError(Authorize({{"code_challenge_method", "plain"}})), "invalid_request");
  EXPECT_EQ(RedirectedError(Authorize({{"code_challenge_method", "<absent>"}})), "invalid_request");
  EXPECT_EQ(RedirectedError(Authorize({{"code_challenge", "short"}})), "invalid_request");
  EXPECT_EQ(RedirectedError(Authorize({{"response_type", "token"}})), "unsupported_response_type");
}

// Resource, scopes and authorization_details are checked against the registry.
TEST_F(AuthorizeTest, ResourceScopeAndDetailsAreChecked) {
  EXPECT_EQ(RedirectedError(Authorize({{"resource", "https://other.example/api"}})),
            "invalid_target");
  EXPECT_EQ(RedirectedError(Authorize({{"resource", "<absent>"}})), "invalid_target");
  EXPECT_EQ(RedirectedError(Authorize({{"scope", "hotels:read admin:all"}})), "invalid_scope");
  // staff:assign is the resource's but not the agent's.
  EXPECT_EQ(RedirectedError(Authorize({{"scope", "staff:assign"}})), "invalid_scope");
  Json undeclared = Booking();
  undeclared["type"] = "payment_initiation";
  EXPECT_EQ(RedirectedError(Authorize({{"authorization_details", Details(undeclared)}})),
            "invalid_authorization_details");
  for (auto mutate : std::vector<std::function<void(Json&)>>{
           [](Json& b) { b.erase("room_id"); },                       // required
           [](Json& b) { b["max_total"] = 20000; },                   // maximum
           [](Json& b) { b["max_total"] = "240"; },                   // type
           [](Json& b) { b["currency"] = "BTC"; },                    // enum
           [](Json& b) { b["extra"] = true; },                        // additionalProperties
           [](Json& b) { b["hotel_id"] = std::string(65, 'h'); }}) {  // maxLength
    Json b = Booking();
    mutate(b);
    EXPECT_EQ(RedirectedError(Authorize({{"authorization_details", Details(b)}})),
              "invalid_authorization_details")
        << b.dump();
  }
  for (std::string bad : {"{}", "[]", "not json", "[1]", "[{\"no\":\"type\"}]"}) {
    EXPECT_EQ(RedirectedError(Authorize({{"authorization_details", bad}})),
              "invalid_authorization_details")
        << bad;
  }
}

// requested_actor must be an enabled agent allowed at the resource.
TEST_F(AuthorizeTest, RequestedActorMustBeAnEnabledAllowedAgent) {
  EXPECT_EQ(RedirectedError(Authorize({{"requested_actor", "agent-nobody"}})), "invalid_request");
  ASSERT_TRUE(idp_->SetAgentEnabled(agent_, false).ok());
  EXPECT_EQ(RedirectedError(Authorize()), "invalid_request");
  ASSERT_TRUE(idp_->SetAgentEnabled(agent_, true).ok());
  auto registry = idp_->store().LoadRegistry();
  Agent a = *(*registry)->FindAgent(agent_);
  a.allowances = {{"https://other.example/api", {"x"}}};
  ASSERT_TRUE(idp_->store().PutAgent(a).ok());
  EXPECT_EQ(RedirectedError(Authorize()), "invalid_request");
}

// A consent POST without the CSRF token, or with another one, is refused with 403 and issues
// nothing.
TEST_F(AuthorizeTest, ConsentPostNeedsTheCsrfToken) {
  std::string consent = Location(LogIn(Authorize()));
  ASSERT_TRUE(consent.starts_with("/consent?"));
  std::string id = QueryOf(consent)["request_id"];
  ASSERT_EQ(Browse("GET", consent).status, 200);
  http::Response none = Browse("POST", "/consent", {{"request_id", id}, {"decision", "approve"}});
  EXPECT_EQ(none.status, 403);
  http::Response wrong =
      Browse("POST", "/consent",
             {{"csrf_token", std::string(43, 'A')}, {"request_id", id}, {"decision", "approve"}});
  EXPECT_EQ(wrong.status, 403);
  EXPECT_FALSE(wrong.headers.Has("Location"));
  EXPECT_FALSE(Audited("code.issue"));
  EXPECT_FALSE(Audited("consent.granted"));
}

// A consent page needs a session; without one it sends the browser to the login page.
TEST_F(AuthorizeTest, ConsentWithoutSessionGoesToLogin) {
  std::string consent = Location(LogIn(Authorize()));
  jar_.erase("zta-session");
  http::Response r = Browse("GET", consent);
  EXPECT_EQ(r.status, 303);
  EXPECT_TRUE(Location(r).starts_with("/login?"));
}

// Wrong passwords are limited per user name: past the limit even the right password gets 429.
TEST_F(AuthorizeTest, LoginBruteForceIsLimited) {
  http::Response authorize = Authorize();
  for (int i = 0; i < 5; ++i) {
    http::Response wrong = LogIn(authorize, "alice", "guess-" + std::to_string(i));
    EXPECT_EQ(wrong.status, 401);
    EXPECT_NE(wrong.body.find("The user name or password is wrong."), std::string::npos);
  }
  http::Response blocked = LogIn(authorize);
  EXPECT_EQ(blocked.status, 429);
  EXPECT_TRUE(blocked.headers.Has("Retry-After"));
  EXPECT_EQ(jar_.count("zta-session"), 0u);
  EXPECT_TRUE(Audited("login.failure"));
  // From another address, too: the limit is per user name as well as per address.
  std::string login = Location(Authorize());
  http::Response form = Browse("GET", login, {}, "198.51.100.9");
  http::Response elsewhere = Browse("POST", "/login",
                                    {{"csrf_token", HiddenValue(form.body, "csrf_token")},
                                     {"request_id", QueryOf(login)["request_id"]},
                                     {"username", "alice"},
                                     {"password", kPassword}},
                                    "198.51.100.9");
  EXPECT_EQ(elsewhere.status, 429);
  // And per address: the same address guessing at another name is refused as well.
  EXPECT_EQ(LogIn(Authorize(), "carol", kPassword).status, 429);
  clock_.AdvanceSeconds(301);
  http::Response later = LogIn(Authorize());
  EXPECT_EQ(later.status, 303) << later.body;
}

// Unknown user names and wrong passwords get the same answer; disabled users cannot sign in.
TEST_F(AuthorizeTest, OneAnswerForEveryWrongLogin) {
  http::Response authorize = Authorize();
  http::Response unknown = LogIn(authorize, "mallory", kPassword);
  http::Response disabled = LogIn(authorize, "bob", kPassword);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(disabled.status, 401);
  EXPECT_NE(unknown.body.find("The user name or password is wrong."), std::string::npos);
  EXPECT_NE(disabled.body.find("The user name or password is wrong."), std::string::npos);
  EXPECT_EQ(jar_.count("zta-session"), 0u);
  for (const AuditEvent& e : audit_.Events()) {
    EXPECT_EQ(e.ToJson().dump().find(kPassword), std::string::npos);  // never the password
  }
}

// A login POST without its CSRF token is refused.
TEST_F(AuthorizeTest, LoginPostNeedsTheCsrfToken) {
  http::Response r = Browse("POST", "/login", {{"username", "alice"}, {"password", kPassword}});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(jar_.count("zta-session"), 0u);
}

// prompt=none never shows a page: login_required without a session, consent_required when
// consent is needed, a code when it is remembered.
TEST_F(AuthorizeTest, PromptNone) {
  EXPECT_EQ(RedirectedError(Authorize({{"prompt", "none"}})), "login_required");
  http::Response logged_in = LogIn(Authorize({{"prompt", "login"}}));
  ASSERT_EQ(logged_in.status, 303);
  std::string consent = Location(logged_in);
  EXPECT_EQ(RedirectedError(Authorize({{"prompt", "none"}})), "consent_required");
  ASSERT_EQ(Decide(consent, "approve").status, 303);
  http::Response silent = Authorize({{"prompt", "none"}});
  ASSERT_EQ(silent.status, 303);
  EXPECT_FALSE(QueryOf(Location(silent))["code"].empty());
  // prompt=login asks for the password again although the session is live.
  http::Response again = Authorize({{"prompt", "login"}});
  EXPECT_TRUE(Location(again).starts_with("/login?"));
}

// Sessions end after the idle lifetime and after the absolute one.
TEST_F(AuthorizeTest, SessionsExpire) {
  ASSERT_EQ(LogIn(Authorize()).status, 303);
  clock_.AdvanceSeconds(1000);
  EXPECT_TRUE(Location(Authorize()).starts_with("/consent?"));
  clock_.AdvanceSeconds(1801);  // idle
  EXPECT_TRUE(Location(Authorize()).starts_with("/login?"));
}

// PAR: the app authenticates, pushes, and the request_uri works once at /authorize. A
// require_par app cannot use /authorize without one.
TEST_F(AuthorizeTest, PushedAuthorizationRequest) {
  std::vector<std::pair<std::string, std::string>> form = Params({{"client_id", kParApp}});
  http::Response wrong = Post("/par", form, kParApp, "wrong-secret");
  EXPECT_EQ(wrong.status, 401);
  http::Response pushed = Post("/par", form, kParApp, kParSecret);
  ASSERT_EQ(pushed.status, 201) << pushed.body;
  Json body = Body(pushed);
  std::string uri = body["request_uri"];
  EXPECT_TRUE(uri.starts_with("urn:ietf:params:oauth:request_uri:"));
  EXPECT_EQ(body["expires_in"], 60);

  std::string target =
      "/authorize?" + http::FormEncode({{"client_id", kParApp}, {"request_uri", uri}});
  http::Response first = Browse("GET", target);
  ASSERT_EQ(first.status, 303) << first.body;
  http::Response consent = LogIn(first);
  http::Response approved = Decide(Location(consent), "approve");
  ASSERT_EQ(approved.status, 303);
  EXPECT_FALSE(QueryOf(Location(approved))["code"].empty());

  http::Response replay = Browse("GET", target);  // single use
  EXPECT_EQ(replay.status, 400);
  EXPECT_FALSE(replay.headers.Has("Location"));

  EXPECT_EQ(RedirectedError(Authorize({{"client_id", kParApp}})), "invalid_request");
  // Checked like /authorize: a bad scope is refused at the push.
  http::Response bad =
      Post("/par", Params({{"client_id", kParApp}, {"scope", "admin:all"}}), kParApp, kParSecret);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(Body(bad)["error"], "invalid_scope");
  // A request object (RFC 9101) is refused, not ignored, even empty or garbage.
  for (const char* object : {"garbage", "", "eyJhbGciOiJub25lIn0.e30."}) {
    http::Response with_object =
        Post("/par", Params({{"client_id", kParApp}, {"request", object}}), kParApp, kParSecret);
    EXPECT_EQ(with_object.status, 400) << object;
    EXPECT_EQ(Body(with_object)["error"], "request_not_supported") << object;
  }
  // Expired request_uri.
  http::Response later = Post("/par", form, kParApp, kParSecret);
  clock_.AdvanceSeconds(61);
  EXPECT_EQ(
      Browse("GET", "/authorize?" + http::FormEncode({{"client_id", kParApp},
                                                      {"request_uri", Body(later)["request_uri"]}}))
          .status,
      400);
}

// A public app pushes with its client_id alone.
TEST_F(AuthorizeTest, PublicAppPushesWithClientIdOnly) {
  http::Response pushed = Post("/par", Params());
  ASSERT_EQ(pushed.status, 201) << pushed.body;
}

// /account lists consents and grants; revoking them works, with CSRF; logout ends the session.
TEST_F(AuthorizeTest, AccountRevokesAndLogoutEndsTheSession) {
  EXPECT_EQ(Location(Browse("GET", "/account")), "/login");
  ASSERT_EQ(Decide(Location(LogIn(Authorize())), "approve").status, 303);
  DelegatedGrant grant;
  grant.id = "g-test";
  grant.user_id = "u-alice";
  grant.app_id = kApp;
  grant.agent_id = agent_;
  grant.resource = kHotel;
  grant.scopes = {"hotels:read"};
  grant.authorization_details = Json::array({{{"type", "hotel_booking"},
                                              {"hotel_id", "h-harbour-view"},
                                              {"room_id", "r-12"},
                                              {"check_in", "2026-12-03"},
                                              {"check_out", "2026-12-05"},
                                              {"max_total", 240},
                                              {"currency", "USD"}}});
  grant.created_at = clock_.NowSeconds();
  ASSERT_TRUE(idp_->store().PutGrant(grant).ok());
  DelegatedGrant other = grant;
  other.id = "g-bob";
  other.user_id = "u-bob";
  ASSERT_TRUE(idp_->store().PutGrant(other).ok());

  http::Response account = Browse("GET", "/account");
  ASSERT_EQ(account.status, 200) << account.body;
  EXPECT_NE(account.body.find("Guest Assistant"), std::string::npos);
  EXPECT_NE(account.body.find("g-test"), std::string::npos);
  EXPECT_EQ(account.body.find("g-bob"), std::string::npos);
  // The grant's booking in the words the consent page used, not as JSON.
  EXPECT_NE(account.body.find("book room r-12 at h-harbour-view, 2026-12-03 to 2026-12-05, up to "
                              "240 USD"),
            std::string::npos)
      << account.body;
  std::string csrf = HiddenValue(account.body, "csrf_token");

  EXPECT_EQ(Browse("POST", "/account/revoke", {{"kind", "grant"}, {"id", "g-test"}}).status, 403);
  EXPECT_EQ(
      Browse("POST", "/account/revoke", {{"csrf_token", csrf}, {"kind", "grant"}, {"id", "g-bob"}})
          .status,
      404);
  http::Response revoked = Browse("POST", "/account/revoke",
                                  {{"csrf_token", csrf}, {"kind", "grant"}, {"id", "g-test"}});
  EXPECT_EQ(revoked.status, 303);
  auto g = idp_->store().FindGrant("g-test");
  ASSERT_TRUE(g.ok() && g->has_value());
  EXPECT_NE((*g)->revoked_at, 0);
  EXPECT_EQ((*g)->revoked_reason, "user_revoked");
  auto b = idp_->store().FindGrant("g-bob");
  EXPECT_EQ((*b)->revoked_at, 0);
  EXPECT_TRUE(Audited("grant.revoke"));

  http::Response consent_revoked = Browse("POST", "/account/revoke",
                                          {{"csrf_token", csrf},
                                           {"kind", "consent"},
                                           {"app_id", kApp},
                                           {"agent_id", agent_},
                                           {"resource", kHotel}});
  EXPECT_EQ(consent_revoked.status, 303);
  EXPECT_TRUE(idp_->store().ListConsents("u-alice")->empty());
  EXPECT_TRUE(Audited("consent.revoke"));

  std::string session = jar_["zta-session"];
  EXPECT_EQ(Browse("POST", "/logout", {{"csrf_token", csrf}}).status, 200);
  auto found = idp_->store().FindSession(DigestSecret(session));
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value());
  EXPECT_EQ(Location(Browse("GET", "/account")), "/login");
}

// Hostile input: repeated, huge or garbled parameters, bad cookies and odd methods get 4xx
// answers (never a redirect to an unchecked URI), and the server keeps working.
TEST_F(AuthorizeTest, HostileInputIsRefusedCleanly) {
  std::string good = http::FormEncode(Params());
  // RFC 6749 §3.1: repeated parameters are refused, on a page.
  http::Response dup =
      Browse("GET", "/authorize?" + good + "&redirect_uri=https%3A%2F%2Fevil.example");
  EXPECT_EQ(dup.status, 400);
  EXPECT_FALSE(dup.headers.Has("Location"));
  dup = Browse("GET", "/authorize?" + good + "&state=two");
  EXPECT_EQ(dup.status, 400);
  for (std::string target :
       {"/authorize?" + std::string(200000, 'a'), std::string("/authorize?%zz"),
        std::string("/authorize?client_id=%00%ff"),
        "/authorize?" + good + "&scope=" + std::string(70000, 'x'),
        std::string("/login?request_id=nope"), std::string("/consent?request_id=nope"),
        std::string("/consent"), std::string("/authorize?&&&==&"),
        "/authorize?" +
            http::FormEncode(Params({{"authorization_details", std::string(5000, '[')}})),
        "/authorize?" + http::FormEncode(Params({{"state", std::string(5000, 's')}}))}) {
    http::Response r = Browse("GET", target);
    EXPECT_GE(r.status, 200) << target.substr(0, 80);
    EXPECT_LT(r.status, 500) << target.substr(0, 80);
  }
  for (std::string cookie : {"zta-session=" + std::string(43, 'A'), std::string("zta-session"),
                             std::string("zta-session=a; zta-session=b"), std::string(";;;=;"),
                             "zta-csrf=" + std::string(10000, 'x')}) {
    http::Request r;
    r.method = "GET";
    r.path = "/account";
    r.target = "/account";
    r.headers.Set("Cookie", cookie);
    EXPECT_LT(server_->Handle(r).status, 500);
    r.path = r.target = "/authorize";
    r.query = good;
    EXPECT_LT(server_->Handle(r).status, 500);
  }
  for (std::string path : {"/login", "/consent", "/account/revoke", "/logout", "/authorize"}) {
    for (std::string body : {std::string(100000, '&'), std::string("request_id=%zz"),
                             std::string("a=1&a=2"), "csrf_token=" + std::string(5000, 'x'),
                             std::string("decision=approve&request_id=") + std::string(300, '%')}) {
      http::Request r;
      r.method = "POST";
      r.path = r.target = path;
      r.headers.Set("Content-Type", "application/x-www-form-urlencoded");
      r.headers.Set("Cookie", "zta-csrf=x; zta-session=" + std::string(43, '_'));
      r.body = body;
      http::Response answer = server_->Handle(r);
      EXPECT_GE(answer.status, 400) << path << " " << body.substr(0, 40);
      EXPECT_LT(answer.status, 500) << path << " " << body.substr(0, 40);
    }
  }
  http::Request garbled_par;
  garbled_par.method = "POST";
  garbled_par.path = garbled_par.target = "/par";
  garbled_par.headers.Set("Content-Type", "application/x-www-form-urlencoded");
  garbled_par.headers.Set("Authorization", "Basic %%%");
  garbled_par.body = "client_id=app-chat&client_id=x";
  EXPECT_EQ(server_->Handle(garbled_par).status / 100, 4);
  http::Response put = Browse("PUT", "/authorize");
  EXPECT_EQ(put.status, 405);
  http::Request json;
  json.method = "POST";
  json.path = json.target = "/login";
  json.headers.Set("Content-Type", "application/json");
  json.body = "{}";
  EXPECT_EQ(server_->Handle(json).status, 415);
  // Still serving.
  EXPECT_EQ(Authorize().status, 303);
}

// Under an https issuer the cookies carry Secure and the __Host- prefix.
TEST_F(AuthorizeTest, HttpsIssuerUsesHostCookies) {
  AuthorizationServerOptions o;
  o.issuer = "https://idp.example";
  o.registry_refresh_millis = 0;
  server_ = std::make_unique<AuthorizationServer>(o, idp_->store(), idp_->keys(), audit_, clock_);
  http::Response authorize = Authorize();
  http::Response login = LogIn(authorize);
  ASSERT_EQ(login.status, 303) << login.body;
  bool saw = false;
  for (const std::string& c : login.headers.GetAll("Set-Cookie")) {
    if (!c.starts_with("__Host-zta-session=")) continue;
    saw = true;
    EXPECT_NE(c.find("Secure"), std::string::npos);
    EXPECT_NE(c.find("HttpOnly"), std::string::npos);
  }
  EXPECT_TRUE(saw);
}

// The pages' CSS is served from the embedded files under /static/.
TEST_F(AuthorizeTest, ServesStaticFiles) {
  static const http::EmbeddedFile kFiles[] = {
      {"idp/style.css", "text/css; charset=utf-8", "body{}"}};
  AuthorizationServerOptions o;
  o.issuer = kIssuer;
  o.static_files = kFiles;
  server_ = std::make_unique<AuthorizationServer>(o, idp_->store(), idp_->keys(), audit_, clock_);
  http::Response css = Browse("GET", "/static/idp/style.css");
  EXPECT_EQ(css.status, 200);
  EXPECT_EQ(css.body, "body{}");
  EXPECT_EQ(Browse("GET", "/static/idp/missing.css").status, 404);
}

}  // namespace
}  // namespace zta::idp::testing

namespace zta::idp::testing {
namespace {

// The code this side issues is the one the token endpoint redeems (docs/delegation.md): a
// plain user token for a public app, with PKCE.
TEST_F(AuthorizeTest, TheTokenEndpointRedeemsTheCode) {
  http::Response approved =
      Decide(Location(LogIn(Authorize({{"requested_actor", "<absent>"}}))), "approve");
  ASSERT_EQ(approved.status, 303);
  std::string code = QueryOf(Location(approved))["code"];
  http::Response token = Post("/token", {{"grant_type", "authorization_code"},
                                         {"code", code},
                                         {"redirect_uri", kRedirect},
                                         {"code_verifier", kVerifier},
                                         {"client_id", kApp}});
  ASSERT_EQ(token.status, 200) << token.body;
  EXPECT_TRUE(Body(token).contains("access_token"));
}

// With requested_actor, the code is redeemed with the agent's own token as actor_token: the
// access token is the user's (sub) with the agent as actor and the consented booking.
TEST_F(AuthorizeTest, TheTokenEndpointRedeemsADelegatedCode) {
  http::Response approved = Decide(
      Location(LogIn(Authorize({{"authorization_details", Details(Booking())}}))), "approve");
  ASSERT_EQ(approved.status, 303);
  std::string code = QueryOf(Location(approved))["code"];
  http::Response own = Post("/token", {{"grant_type", "client_credentials"}, {"resource", kHotel}},
                            agent_, agent_secret_);
  ASSERT_EQ(own.status, 200) << own.body;
  http::Response token =
      Post("/token", {{"grant_type", "authorization_code"},
                      {"code", code},
                      {"redirect_uri", kRedirect},
                      {"code_verifier", kVerifier},
                      {"client_id", kApp},
                      {"actor_token", Body(own)["access_token"].get<std::string>()},
                      {"actor_token_type", "urn:ietf:params:oauth:token-type:access_token"}});
  ASSERT_EQ(token.status, 200) << token.body;
  std::string jwt = Body(token)["access_token"];
  size_t a = jwt.find('.'), b = jwt.find('.', a + 1);
  auto payload = Base64UrlDecode(jwt.substr(a + 1, b - a - 1));
  ASSERT_TRUE(payload.ok());
  Json claims = Json::parse(*payload);
  EXPECT_EQ(claims["sub"], "u-alice");
  EXPECT_EQ(claims["act"]["sub"], agent_);
  EXPECT_EQ(claims["client_id"], kApp);
  EXPECT_EQ(claims["authorization_details"], Json::array({Booking()}));
}

// Values from the request reach the consent page only HTML-escaped.
TEST_F(AuthorizeTest, ConsentPageEscapesRequestValues) {
  Json booking = Booking();
  booking["hotel_id"] = "<img src=x onerror=alert(1)>";
  std::string page;
  http::Response r = Decide(
      Location(LogIn(Authorize({{"authorization_details", Details(booking)}}))), "deny", &page);
  EXPECT_EQ(page.find("<img"), std::string::npos);
  EXPECT_NE(page.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos) << page;
  EXPECT_EQ(RedirectedError(r), "access_denied");
}

// A field the type's template does not name ("total" next to "max_total") is still shown on
// the consent page, under the entry's sentence.
TEST_F(AuthorizeTest, ConsentPageShowsFieldsTheTemplateLeavesOut) {
  Json payment = {{"type", "payment"},
                  {"max_total", 240},
                  {"currency", "USD"},
                  {"total", 5000},
                  {"note", "<b>x</b>"}};
  std::string page;
  http::Response r = Decide(
      Location(LogIn(Authorize({{"authorization_details", Details(payment)}}))), "deny", &page);
  EXPECT_NE(page.find("wants to pay up to 240 USD"), std::string::npos) << page;
  EXPECT_NE(page.find("also: note = &lt;b&gt;x&lt;/b&gt;; total = 5000"), std::string::npos)
      << page;
  EXPECT_EQ(page.find("<b>x"), std::string::npos);
  EXPECT_EQ(RedirectedError(r), "access_denied");
  // A booking whose template names every field lists nothing more.
  std::string booking_page;
  Decide(Location(Authorize({{"authorization_details", Details(Booking())}})), "deny",
         &booking_page);  // signed in already
  EXPECT_EQ(booking_page.find("also:"), std::string::npos);
}

// Bidi overrides and control characters in a value are not rendered raw: "U+202E" could make
// "5000" read as "0005" on the consent page.
TEST_F(AuthorizeTest, ConsentPageNeutralisesBidiAndControls) {
  Json payment = {{"type", "payment"},
                  {"max_total",
                   "\xE2\x80\xAE"
                   "0005"},
                  {"currency", "US\x1b[2JD\xE2\x81\xA6"},
                  {"memo",
                   "a\xC2\x85"
                   "b"}};
  std::string page;
  Decide(Location(LogIn(Authorize({{"authorization_details", Details(payment)}}))), "deny", &page);
  for (const char* raw : {"\xE2\x80\xAE", "\xE2\x81\xA6", "\x1b", "\xC2\x85"}) {
    EXPECT_EQ(page.find(raw), std::string::npos) << page;
  }
  EXPECT_NE(page.find("pay up to \xEF\xBF\xBD"
                      "0005 US\xEF\xBF\xBD[2JD\xEF\xBF\xBD"),
            std::string::npos)
      << page;
  EXPECT_NE(page.find("memo = a\xEF\xBF\xBD"
                      "b"),
            std::string::npos)
      << page;
}

// A request_uri presented with another app's client_id is refused and not consumed: the app
// that pushed it still completes its request with it.
TEST_F(AuthorizeTest, WrongClientDoesNotBurnARequestUri) {
  http::Response pushed = Post("/par", Params({{"client_id", kParApp}}), kParApp, kParSecret);
  ASSERT_EQ(pushed.status, 201) << pushed.body;
  std::string uri = Body(pushed)["request_uri"];
  http::Response stranger =
      Browse("GET", "/authorize?" + http::FormEncode({{"client_id", kApp}, {"request_uri", uri}}));
  EXPECT_EQ(stranger.status, 400);
  EXPECT_FALSE(stranger.headers.Has("Location"));
  http::Response owner = Browse(
      "GET", "/authorize?" + http::FormEncode({{"client_id", kParApp}, {"request_uri", uri}}));
  ASSERT_EQ(owner.status, 303) << owner.body;
  EXPECT_TRUE(Location(owner).starts_with("/login?request_id=")) << Location(owner);
}

// A consent is decided once: approving the same pending request twice issues one code.
TEST_F(AuthorizeTest, ConsentIsDecidedOnce) {
  std::string consent = Location(LogIn(Authorize({{"authorization_details", Details(Booking())}})));
  http::Response page = Browse("GET", consent);
  ASSERT_EQ(page.status, 200);
  std::vector<std::pair<std::string, std::string>> approve = {
      {"csrf_token", HiddenValue(page.body, "csrf_token")},
      {"request_id", QueryOf(consent)["request_id"]},
      {"decision", "approve"}};
  http::Response first = Browse("POST", "/consent", approve);
  http::Response second = Browse("POST", "/consent", approve);
  ASSERT_EQ(first.status, 303) << first.body;
  EXPECT_FALSE(QueryOf(Location(first))["code"].empty());
  EXPECT_EQ(second.status, 400);
  EXPECT_EQ(Location(second).find("code="), std::string::npos);
  int issued = 0;
  for (const AuditEvent& e : audit_.Events()) issued += e.action == "code.issue";
  EXPECT_EQ(issued, 1);
}

// Many unauthenticated /authorize requests from one address evict only that address's own
// oldest pending requests: another address's request still goes through, and so does the
// flooder's newest.
TEST_F(AuthorizeTest, OneAddressCannotCrowdOutAnother) {
  std::string target = "/authorize?" + http::FormEncode(Params());
  http::Response victim = Browse("GET", target, {}, "198.51.100.9");
  ASSERT_EQ(victim.status, 303);
  http::Response first_flood = Browse("GET", target, {}, "203.0.113.66");
  for (size_t i = 0; i < browser::BrowserState::kMaxPerAddress + 20; ++i) {
    ASSERT_EQ(Browse("GET", target, {}, "203.0.113.66").status, 303);
  }
  http::Response last_flood = Browse("GET", target, {}, "203.0.113.66");
  EXPECT_EQ(last_flood.status, 303);
  // The flooder's first request was evicted; the victim's and the newest are still there.
  EXPECT_EQ(Browse("GET", Location(first_flood)).status, 400);
  EXPECT_EQ(Browse("GET", Location(last_flood)).status, 200);
  http::Response victim_login = Browse("GET", Location(victim));
  EXPECT_EQ(victim_login.status, 200) << victim_login.body;
  EXPECT_EQ(Location(LogIn(victim)).find("/consent?"), 0u);
}

// At the total bound a new request evicts the oldest instead of being refused (no 503 for
// everyone), and a wrong client_id leaves a pushed request in place.
TEST(BrowserStateTest, FullStateEvictsTheOldest) {
  browser::BrowserState state;
  browser::AuthorizationRequest request;
  request.app_id = "app-x";
  std::vector<std::string> uris;
  for (size_t i = 0; i < browser::BrowserState::kMaxTotal + 1; ++i) {
    auto uri = state.AddPushed(request, 100, "198.51.100." + std::to_string(i % 250));
    ASSERT_TRUE(uri.has_value()) << i;
    uris.push_back(*uri);
  }
  EXPECT_FALSE(state.TakePushed(uris[0], "app-x", 1).has_value());  // evicted
  EXPECT_FALSE(state.TakePushed(uris.back(), "app-y", 1).has_value());
  EXPECT_TRUE(state.TakePushed(uris.back(), "app-x", 1).has_value());
  EXPECT_FALSE(state.TakePushed(uris.back(), "app-x", 1).has_value());  // single use
}

}  // namespace
}  // namespace zta::idp::testing
