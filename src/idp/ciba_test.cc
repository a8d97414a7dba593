// Backchannel approval (OpenID CIBA Core 1.0, poll mode), in process with a fake clock: every
// state of a request at /bc-authorize, on /account and at /token (pending, slow_down, expired,
// denied, approved, redeemed twice), and every refusal on the way.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "delegation_test_fixture.h"
#include "zta/http/web.h"

namespace zta::idp::testing {
namespace {

constexpr char kCiba[] = "urn:openid:params:grant-type:ciba";
constexpr char kMessage[] = "Book r-12 for 240 USD";

// The value="..." of the first hidden field `name` in a page.
std::string HiddenValue(const std::string& html, const std::string& name) {
  std::string marker = "name=\"" + name + "\" value=\"";
  size_t at = html.find(marker);
  if (at == std::string::npos) return "";
  at += marker.size();
  return html.substr(at, html.find('"', at) - at);
}

class CibaTest : public DelegationFixture {
 protected:
  void SetUp() override {
    DelegationFixture::SetUp();
    DeclareBookingDetails();
    auto registry = idp_->store().LoadRegistry();
    ASSERT_TRUE(registry.ok());
    Agent a = *(*registry)->FindAgent(agent_);
    a.name = "Guest Assistant";
    a.owner = "ops@example.test";
    ASSERT_TRUE(idp_->store().PutAgent(a).ok());
  }

  // POST /bc-authorize as the agent (or `id`), `extra` replacing fields ("" removes one).
  http::Response Ask(const Form& extra = {}, const std::string& id = "",
                     const std::string& secret = "") {
    Form form = {{"login_hint", "alice"},
                 {"binding_message", kMessage},
                 {"scope", "bookings:create"},
                 {"resource", kHotel}};
    return Post("/bc-authorize", Merge(form, extra), id.empty() ? agent_ : id,
                id.empty() ? agent_secret_ : secret);
  }
  // A new request's auth_req_id ("" when refused).
  std::string AskId(const Form& extra = {}) {
    http::Response r = Ask(extra);
    EXPECT_EQ(r.status, 200) << r.body;
    return Body(r).value("auth_req_id", "");
  }
  http::Response Poll(const std::string& auth_req_id, const std::string& id = "",
                      const std::string& secret = "") {
    return Post("/token", {{"grant_type", kCiba}, {"auth_req_id", auth_req_id}},
                id.empty() ? agent_ : id, id.empty() ? agent_secret_ : secret);
  }
  static std::string Error(const http::Response& r) { return Body(r).value("error", ""); }
  BackchannelRequest Stored(const std::string& auth_req_id) {
    auto found = idp_->store().FindBackchannel(DigestSecret(auth_req_id));
    EXPECT_TRUE(found.ok() && found->has_value());
    return found.ok() && found->has_value() ? **found : BackchannelRequest();
  }
  int Count(const std::string& action) {
    int n = 0;
    for (const AuditEvent& e : audit_.Events()) n += e.action == action;
    return n;
  }
  const AuditEvent* Last(const std::string& action) {
    last_events_ = audit_.Events();
    for (auto it = last_events_.rbegin(); it != last_events_.rend(); ++it) {
      if (it->action == action) return &*it;
    }
    return nullptr;
  }

  // Signs `user_id` in: a session row as /login stores it, its cookie in the jar.
  void SignIn(const std::string& user_id) {
    std::string cookie = *RandomToken(32);
    LoginSession s;
    s.digest = DigestSecret(cookie);
    s.user_id = user_id;
    s.auth_time = clock_.NowSeconds();
    s.last_seen_at = clock_.NowSeconds();
    s.expires_at = clock_.NowSeconds() + 3600;
    ASSERT_TRUE(idp_->store().PutSession(s).ok());
    jar_.clear();
    jar_["zta-session"] = cookie;
  }
  // A browser request with the jar's cookies; Set-Cookie updates the jar.
  http::Response Browse(const std::string& method, const std::string& path, const Form& form = {}) {
    http::Request r;
    r.method = method;
    r.path = r.target = path;
    if (method == "POST") {
      r.headers.Set("Content-Type", "application/x-www-form-urlencoded");
      r.body = http::FormEncode(form);
    }
    std::string cookies;
    for (const auto& [k, v] : jar_) cookies += (cookies.empty() ? "" : "; ") + k + "=" + v;
    if (!cookies.empty()) r.headers.Set("Cookie", cookies);
    r.remote_address = "192.0.2.7";
    http::Response response = server_->Handle(r);
    for (const std::string& set : response.headers.GetAll("Set-Cookie")) {
      std::string pair = set.substr(0, set.find(';'));
      size_t eq = pair.find('=');
      jar_[pair.substr(0, eq)] = pair.substr(eq + 1);
    }
    return response;
  }
  // Opens /account and presses `decision` on the first waiting request.
  http::Response Decide(const std::string& decision) {
    http::Response page = Browse("GET", "/account");
    EXPECT_EQ(page.status, 200) << page.body;
    return Browse("POST", "/account/backchannel",
                  {{"csrf_token", HiddenValue(page.body, "csrf_token")},
                   {"request", HiddenValue(page.body, "request")},
                   {"decision", decision}});
  }

  std::map<std::string, std::string> jar_;
  std::vector<AuditEvent> last_events_;
};

// A request is answered with a fresh auth_req_id, expires_in and interval, never cached; only
// the id's digest is stored; the request is audited with its user, resource and scopes.
TEST_F(CibaTest, RequestAnswersIdExpiryAndInterval) {
  http::Response r = Ask();
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers.Get("Cache-Control").value_or(""), "no-store");
  Json body = Body(r);
  const std::string id = body.value("auth_req_id", "");
  EXPECT_GE(id.size(), 43u);  // 256 random bits, base64url
  EXPECT_EQ(body["expires_in"], 300);
  EXPECT_EQ(body["interval"], 5);
  EXPECT_FALSE(idp_->store().FindBackchannel(id)->has_value());
  BackchannelRequest stored = Stored(id);
  EXPECT_EQ(stored.user_id, user_);
  EXPECT_EQ(stored.agent_id, agent_);
  EXPECT_EQ(stored.binding_message, kMessage);
  EXPECT_EQ(stored.status, BackchannelStatus::kPending);
  EXPECT_EQ(stored.expires_at, clock_.NowSeconds() + 300);
  const AuditEvent* event = Last("backchannel.request");
  ASSERT_NE(event, nullptr);
  EXPECT_EQ(event->decision, AuditDecision::kAllow);
  EXPECT_EQ(event->subject, user_);
  EXPECT_EQ(event->client_id, agent_);
  EXPECT_EQ(event->scopes_granted, std::vector<std::string>{"bookings:create"});
  EXPECT_EQ(event->attributes["zta.backchannel"], stored.digest);
  EXPECT_NE(Body(Ask()).value("auth_req_id", ""), id);
}

// requested_expiry: a positive integer, capped at 600 s; anything else is invalid_request.
TEST_F(CibaTest, RequestedExpiryIsCappedAndChecked) {
  EXPECT_EQ(Body(Ask({{"requested_expiry", "120"}}))["expires_in"], 120);
  EXPECT_EQ(Body(Ask({{"requested_expiry", "86400"}}))["expires_in"], 600);
  EXPECT_EQ(Body(Ask({{"requested_expiry", "1"}}))["expires_in"], 60);  // the floor
  for (const char* bad : {"0", "-5", "12s", "1e3", "99999999999999999999"}) {
    http::Response r = Ask({{"requested_expiry", bad}});
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(Error(r), "invalid_request") << bad;
  }
}

// Until the user decides, a poll is authorization_pending; one sooner than the interval after
// the last is slow_down, and the interval grows by 5 s each time (CIBA §11).
TEST_F(CibaTest, PendingThenSlowDownGrowsTheInterval) {
  const std::string id = AskId();
  clock_.AdvanceSeconds(1);
  http::Response early = Poll(id);  // 1 s after the request: too soon
  EXPECT_EQ(early.status, 400);
  EXPECT_EQ(Error(early), "slow_down");
  EXPECT_EQ(Stored(id).interval, 10);
  EXPECT_EQ(LastIssueReason(), "poll_too_fast");
  clock_.AdvanceSeconds(9);  // 9 s < 10 s
  EXPECT_EQ(Error(Poll(id)), "slow_down");
  EXPECT_EQ(Stored(id).interval, 15);
  clock_.AdvanceSeconds(15);
  http::Response pending = Poll(id);
  EXPECT_EQ(pending.status, 400);
  EXPECT_EQ(Error(pending), "authorization_pending");
  EXPECT_EQ(LastIssueReason(), "authorization_pending");
  EXPECT_EQ(Stored(id).interval, 15);
  clock_.AdvanceSeconds(15);
  EXPECT_EQ(Error(Poll(id)), "authorization_pending");
}

// Approved on /account, the next poll gets the delegated token: sub = the user, client_id and
// act = the agent, the approved scopes and details, a grant with no app, and no refresh token.
TEST_F(CibaTest, ApprovedRequestIsRedeemedForTheDelegatedToken) {
  Json details = Json::array(
      {{{"type", "hotel_booking"}, {"hotel_id", "h-1"}, {"room_id", "r-12"}, {"max_total", 240}}});
  const std::string id = AskId({{"authorization_details", details.dump()}});
  SignIn(user_);
  http::Response decided = Decide("approve");
  ASSERT_EQ(decided.status, 303) << decided.body;
  EXPECT_EQ(decided.headers.Get("Location").value_or(""), "/account");
  EXPECT_EQ(Stored(id).status, BackchannelStatus::kApproved);
  ASSERT_EQ(Count("backchannel.approve"), 1);

  clock_.AdvanceSeconds(5);
  http::Response r = Poll(id);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers.Get("Cache-Control").value_or(""), "no-store");
  Json body = Body(r);
  EXPECT_FALSE(body.contains("refresh_token"));
  EXPECT_FALSE(body.contains("id_token"));
  EXPECT_EQ(body["scope"], "bookings:create");
  EXPECT_EQ(body["authorization_details"], details);
  auto verified = VerifyAt(body["access_token"].get<std::string>());
  ASSERT_TRUE(verified.ok()) << verified.status();
  const Json& claims = (*verified)->claims;
  EXPECT_EQ(claims["sub"], user_);
  EXPECT_EQ(claims["client_id"], agent_);
  EXPECT_EQ(claims["act"], Json({{"sub", agent_}}));
  EXPECT_EQ(claims["zta_agent"]["name"], "Guest Assistant");
  EXPECT_EQ(claims["authorization_details"], details);
  EXPECT_EQ(claims["auth_time"], clock_.NowSeconds() - 5);
  const std::string grant_id = claims["zta_grant"].get<std::string>();
  auto grant = idp_->store().FindGrant(grant_id);
  ASSERT_TRUE(grant.ok() && grant->has_value());
  EXPECT_EQ((*grant)->app_id, "");
  EXPECT_EQ((*grant)->agent_id, agent_);
  EXPECT_EQ((*grant)->user_id, user_);
  BackchannelRequest stored = Stored(id);
  EXPECT_EQ(stored.status, BackchannelStatus::kRedeemed);
  EXPECT_EQ(stored.grant_id, grant_id);
  const AuditEvent* redeem = Last("backchannel.redeem");
  ASSERT_NE(redeem, nullptr);
  EXPECT_EQ(redeem->jti, claims["jti"].get<std::string>());
  const AuditEvent* issue = Last("token.issue");
  ASSERT_NE(issue, nullptr);
  EXPECT_EQ(issue->decision, AuditDecision::kAllow);
  EXPECT_EQ(issue->subject, user_);
  EXPECT_EQ(issue->actor_chain, std::vector<std::string>{agent_});
}

// Single redemption: the second poll of a redeemed request is invalid_grant, audited as a replay.
TEST_F(CibaTest, RedeemedTwiceIsInvalidGrant) {
  const std::string id = AskId();
  SignIn(user_);
  ASSERT_EQ(Decide("approve").status, 303);
  clock_.AdvanceSeconds(5);
  ASSERT_EQ(Poll(id).status, 200);
  clock_.AdvanceSeconds(5);
  http::Response again = Poll(id);
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(Error(again), "invalid_grant");
  EXPECT_EQ(LastIssueReason(), "backchannel_replay");
  EXPECT_EQ(Count("backchannel.replay"), 1);
  EXPECT_EQ(Count("backchannel.redeem"), 1);
}

// Of concurrent redemptions of one approved request, exactly one moves it to redeemed.
TEST_F(CibaTest, ConcurrentRedemptionsSpendItOnce) {
  const std::string id = AskId();
  const std::string digest = DigestSecret(id);
  ASSERT_TRUE(*idp_->store().DecideBackchannel(digest, BackchannelStatus::kApproved,
                                               clock_.NowSeconds(), 1));
  std::atomic<int> won{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto r =
          idp_->store().RedeemBackchannel(digest, "g-" + std::to_string(i), clock_.NowSeconds());
      if (r.ok() && *r) ++won;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(Stored(id).status, BackchannelStatus::kRedeemed);
}

// Denied on /account: the poll is access_denied, and stays so.
TEST_F(CibaTest, DeniedRequestIsAccessDenied) {
  const std::string id = AskId();
  SignIn(user_);
  ASSERT_EQ(Decide("deny").status, 303);
  EXPECT_EQ(Stored(id).status, BackchannelStatus::kDenied);
  EXPECT_EQ(Count("backchannel.deny"), 1);
  clock_.AdvanceSeconds(5);
  http::Response r = Poll(id);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Error(r), "access_denied");
  EXPECT_EQ(LastIssueReason(), "backchannel_denied");
  clock_.AdvanceSeconds(5);
  EXPECT_EQ(Error(Poll(id)), "access_denied");
}

// Past expires_at, a request (pending, or approved but not redeemed) is expired_token, and the
// expiry is audited once; it is no longer listed on /account nor can it be decided.
TEST_F(CibaTest, ExpiredRequestIsExpiredToken) {
  const std::string id = AskId({{"requested_expiry", "60"}});
  const std::string approved = AskId({{"requested_expiry", "60"}});
  ASSERT_TRUE(*idp_->store().DecideBackchannel(DigestSecret(approved), BackchannelStatus::kApproved,
                                               clock_.NowSeconds(), 1));
  clock_.AdvanceSeconds(60);
  for (const std::string& which : {id, approved}) {
    http::Response r = Poll(which);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(Error(r), "expired_token");
    EXPECT_EQ(LastIssueReason(), "backchannel_expired");
    EXPECT_EQ(Stored(which).status, BackchannelStatus::kExpired);
  }
  clock_.AdvanceSeconds(60);
  EXPECT_EQ(Error(Poll(id)), "expired_token");
  EXPECT_EQ(Count("backchannel.expired"), 2);
  EXPECT_FALSE(*idp_->store().DecideBackchannel(DigestSecret(id), BackchannelStatus::kApproved,
                                                clock_.NowSeconds(), 1));
  SignIn(user_);
  EXPECT_EQ(Browse("GET", "/account").body.find("Waiting for you"), std::string::npos);
}

// Only the agent that asked may poll: another agent's poll is invalid_grant, like an unknown
// id, and leaves the request's polling state alone.
TEST_F(CibaTest, AnotherAgentPollingIsInvalidGrant) {
  const std::string id = AskId();
  auto [other, other_secret] = AddSecretAgent({"bookings:create"});
  clock_.AdvanceSeconds(5);
  http::Response r = Poll(id, other, other_secret);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Error(r), "invalid_grant");
  EXPECT_EQ(LastIssueReason(), "backchannel_invalid");
  EXPECT_EQ(Stored(id).last_poll_at, 0);
  EXPECT_EQ(Error(Poll(id)), "authorization_pending");
  EXPECT_EQ(Error(Poll("no-such-request")), "invalid_grant");
  EXPECT_EQ(Error(Post("/token", {{"grant_type", kCiba}}, agent_, agent_secret_)),
            "invalid_request");
}

// Apps may not use the backchannel (they have /authorize), nor poll it.
TEST_F(CibaTest, AppsAreUnauthorizedClients) {
  http::Response r = Ask({}, app_, app_secret_);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Error(r), "unauthorized_client");
  EXPECT_EQ(Error(Poll(AskId(), app_, app_secret_)), "unauthorized_client");
  // Unauthenticated: invalid_client, as at /token.
  EXPECT_EQ(Ask({}, agent_, "wrong-secret").status, 401);
}

// login_hint must name an enabled user (unknown_user_id, CIBA §13); other hints are refused.
TEST_F(CibaTest, UnknownOrDisabledUserIsUnknownUserId) {
  http::Response r = Ask({{"login_hint", "mallory"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Error(r), "unknown_user_id");
  SetUserEnabled(user_, false);
  EXPECT_EQ(Error(Ask()), "unknown_user_id");
  SetUserEnabled(user_, true);
  EXPECT_EQ(Error(Ask({{"login_hint", ""}})), "invalid_request");
  EXPECT_EQ(Error(Ask({{"login_hint_token", "x"}})), "invalid_request");
  EXPECT_EQ(Error(Ask({{"id_token_hint", "x"}})), "invalid_request");
  const AuditEvent* refused = Last("backchannel.request");
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->decision, AuditDecision::kDeny);
}

// The binding message is required, at most 64 characters (code points), valid UTF-8, and holds
// no control or bidi character: else invalid_binding_message.
TEST_F(CibaTest, BadBindingMessageIsInvalidBindingMessage) {
  std::string e64;
  for (int i = 0; i < 64; ++i) e64 += "\xc3\xa9";  // é, two bytes each
  EXPECT_EQ(Ask({{"binding_message", e64}}).status, 200);
  for (const std::string& bad :
       {std::string(""), std::string(65, 'a'), e64 + "x", std::string("pay\x07"),
        std::string("line\nbreak"), std::string("tab\there"), std::string("\x7f"),
        std::string("\xc2\x85"),
        std::string("Pay \xe2\x80\xae"
                    "DSU 01"),
        std::string("\xe2\x81\xa6iso"), std::string("\xe2\x80\x8f"), std::string("\xff\xfe"),
        std::string("\xc0\xaf"), std::string("\xed\xa0\x80"), std::string("trunc\xe2\x82")}) {
    http::Response r = Ask({{"binding_message", bad}});
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(Error(r), "invalid_binding_message") << bad;
  }
  const AuditEvent* refused = Last("backchannel.request");
  ASSERT_NE(refused, nullptr);
  EXPECT_EQ(refused->reason, "invalid_binding_message");
}

// Scopes are narrowed to the agent's allowance; none left is invalid_scope. The resource must be
// registered (invalid_target), the details of a declared type and schema.
TEST_F(CibaTest, ScopeResourceAndDetailsAreChecked) {
  const std::string id = AskId({{"scope", "openid bookings:create staff:assign"}});
  EXPECT_EQ(Stored(id).scopes, (std::vector<std::string>{"openid", "bookings:create"}));
  EXPECT_EQ(Error(Ask({{"scope", "staff:assign"}})), "invalid_scope");
  EXPECT_EQ(Error(Ask({{"scope", "openid"}})), "invalid_scope");
  EXPECT_EQ(Error(Ask({{"scope", ""}})), "invalid_request");
  EXPECT_EQ(Error(Ask({{"resource", "https://elsewhere.example/api"}})), "invalid_target");
  EXPECT_EQ(Error(Ask({{"resource", ""}})), "invalid_target");
  EXPECT_EQ(Error(Ask({{"authorization_details", R"([{"type":"payment"}])"}})),
            "invalid_authorization_details");
  EXPECT_EQ(Error(Ask({{"authorization_details",
                        R"([{"type":"hotel_booking","hotel_id":"h","room_id":"r"}])"}})),
            "invalid_authorization_details");
  EXPECT_EQ(Error(Ask({{"client_notification_token", "x"}})), "invalid_request");
}

// With openid approved, the response carries an ID token for the agent (aud = its client_id).
TEST_F(CibaTest, OpenIdScopeAddsAnIdTokenForTheAgent) {
  const std::string id = AskId({{"scope", "openid bookings:create"}});
  SignIn(user_);
  ASSERT_EQ(Decide("approve").status, 303);
  clock_.AdvanceSeconds(5);
  http::Response r = Poll(id);
  ASSERT_EQ(r.status, 200) << r.body;
  Json body = Body(r);
  ASSERT_TRUE(body.contains("id_token"));
  jose::JwtValidationOptions o;
  o.issuer = kIssuer;
  o.audience = agent_;
  o.allowed_algorithms = jose::AlgorithmSet::Asymmetric();
  auto verified =
      jose::VerifyJwt(body["id_token"].get<std::string>(), PublishedJwks(), o, clock_.NowSeconds());
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ((*verified)->subject, user_);
}

// An agent may have 20 pending requests and a user 50; past that, invalid_request. Expired and
// decided requests do not count.
TEST_F(CibaTest, TooManyPendingRequestsAreRefused) {
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(AskId({{"requested_expiry", "60"}}));
  http::Response refused = Ask();
  EXPECT_EQ(refused.status, 400);
  EXPECT_EQ(Error(refused), "invalid_request");
  EXPECT_EQ(Last("backchannel.request")->reason, "too_many_pending");
  ASSERT_TRUE(*idp_->store().DecideBackchannel(DigestSecret(ids[0]), BackchannelStatus::kDenied,
                                               clock_.NowSeconds(), 0));
  EXPECT_EQ(Ask().status, 200);
  EXPECT_EQ(Ask().status, 400);
  clock_.AdvanceSeconds(60);
  EXPECT_EQ(Ask().status, 200);
  // The user's cap, across three agents of 20.
  std::vector<std::pair<std::string, std::string>> agents = {AddSecretAgent({"bookings:create"}),
                                                             AddSecretAgent({"bookings:create"})};
  int accepted = 1;  // the one just above
  for (const auto& [id, secret] : agents) {
    for (int i = 0; i < 20; ++i) accepted += Ask({}, id, secret).status == 200;
  }
  EXPECT_EQ(accepted, 41);
  int more = 0;
  for (int i = 0; i < 20; ++i) more += Ask().status == 200;
  EXPECT_EQ(more, 8);  // 42 pending before: 50 in all for alice
}

// /account lists the user's own waiting requests in plain words, escaped, with the time left,
// and audits each as shown once; another user sees none of them.
TEST_F(CibaTest, AccountPageShowsWaitingRequests) {
  Json details = Json::array(
      {{{"type", "hotel_booking"}, {"hotel_id", "h-1"}, {"room_id", "r-12"}, {"max_total", 240}}});
  AskId({{"binding_message", "<b>Book</b> & \"pay\""}, {"authorization_details", details.dump()}});
  SignIn(user_);
  http::Response page = Browse("GET", "/account");
  ASSERT_EQ(page.status, 200);
  const std::string& html = page.body;
  EXPECT_NE(html.find("Waiting for you"), std::string::npos);
  EXPECT_NE(html.find("Guest Assistant"), std::string::npos);
  EXPECT_NE(html.find("ops@example.test"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;Book&lt;/b&gt; &amp; &quot;pay&quot;"), std::string::npos) << html;
  EXPECT_EQ(html.find("<b>Book</b>"), std::string::npos);
  EXPECT_NE(html.find("book rooms for you"), std::string::npos);
  EXPECT_NE(html.find("book room r-12 at h-1 for up to 240 USD"), std::string::npos) << html;
  EXPECT_NE(html.find("Time left: 5 min 0 s"), std::string::npos);
  EXPECT_NE(html.find("value=\"approve\""), std::string::npos);
  EXPECT_NE(html.find("value=\"deny\""), std::string::npos);
  ASSERT_EQ(Browse("GET", "/account").status, 200);
  EXPECT_EQ(Count("backchannel.shown"), 1);

  SignIn(AddUser("bob"));
  EXPECT_EQ(Browse("GET", "/account").body.find("Waiting for you"), std::string::npos);
}

// A disabled agent's waiting request is not shown: it could not redeem an approval.
TEST_F(CibaTest, DisabledAgentsRequestsAreNotShown) {
  AskId();
  ASSERT_TRUE(idp_->SetAgentEnabled(agent_, false).ok());
  SignIn(user_);
  EXPECT_EQ(Browse("GET", "/account").body.find("Waiting for you"), std::string::npos);
  EXPECT_EQ(Count("backchannel.shown"), 0);
}

// The form names the request by a handle that is not the auth_req_id.
TEST_F(CibaTest, AccountFormDoesNotCarryTheAuthReqId) {
  const std::string id = AskId();
  SignIn(user_);
  http::Response page = Browse("GET", "/account");
  EXPECT_EQ(page.body.find(id), std::string::npos);
  EXPECT_FALSE(HiddenValue(page.body, "request").empty());
}

// Deciding needs POST, a valid CSRF token, the requesting user's session and a pending request:
// another user's request is 404, a decided one 409, no session goes to /login.
TEST_F(CibaTest, DecidingIsRefusedUnlessAllowed) {
  const std::string id = AskId();
  SignIn(user_);
  http::Response page = Browse("GET", "/account");
  const std::string csrf = HiddenValue(page.body, "csrf_token");
  const std::string handle = HiddenValue(page.body, "request");
  EXPECT_EQ(Browse("GET", "/account/backchannel").status, 405);
  EXPECT_EQ(
      Browse("POST", "/account/backchannel", {{"request", handle}, {"decision", "approve"}}).status,
      403);
  EXPECT_EQ(Browse("POST", "/account/backchannel",
                   {{"csrf_token", csrf}, {"request", handle}, {"decision", "maybe"}})
                .status,
            400);
  EXPECT_EQ(Browse("POST", "/account/backchannel",
                   {{"csrf_token", csrf}, {"request", "nope"}, {"decision", "approve"}})
                .status,
            404);
  EXPECT_EQ(Browse("POST", "/account/backchannel",
                   {{"csrf_token", csrf}, {"request", id}, {"decision", "approve"}})
                .status,
            404);  // the auth_req_id itself is not a handle
  // Bob, signed in with his own CSRF token, cannot decide alice's request.
  std::map<std::string, std::string> alice_jar = jar_;
  SignIn(AddUser("bob"));
  std::string bob_csrf = HiddenValue(Browse("GET", "/account").body, "csrf_token");
  EXPECT_EQ(Browse("POST", "/account/backchannel",
                   {{"csrf_token", bob_csrf}, {"request", handle}, {"decision", "approve"}})
                .status,
            404);
  EXPECT_EQ(Stored(id).status, BackchannelStatus::kPending);
  jar_ = alice_jar;
  EXPECT_EQ(Browse("POST", "/account/backchannel",
                   {{"csrf_token", csrf}, {"request", handle}, {"decision", "deny"}})
                .status,
            303);
  EXPECT_EQ(Browse("POST", "/account/backchannel",
                   {{"csrf_token", csrf}, {"request", handle}, {"decision", "approve"}})
                .status,
            409);
  EXPECT_EQ(Stored(id).status, BackchannelStatus::kDenied);
  jar_.erase("zta-session");
  EXPECT_EQ(Browse("POST", "/account/backchannel",
                   {{"csrf_token", csrf}, {"request", handle}, {"decision", "approve"}})
                .headers.Get("Location")
                .value_or(""),
            "/login");
}

// Discovery names the endpoint, poll mode and the grant (CIBA §4).
TEST_F(CibaTest, DiscoveryListsTheBackchannel) {
  for (const char* path :
       {"/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"}) {
    Json m = Body(Get(path));
    EXPECT_EQ(m["backchannel_authentication_endpoint"], std::string(kIssuer) + "/bc-authorize");
    EXPECT_EQ(m["backchannel_token_delivery_modes_supported"], Json::array({"poll"}));
    EXPECT_EQ(m["backchannel_user_code_parameter_supported"], false);
    const Json& grants = m["grant_types_supported"];
    EXPECT_NE(std::find(grants.begin(), grants.end(), kCiba), grants.end());
  }
}

// The redeemed token is active at introspection: a grant without an app (token_standing.cc).
TEST_F(CibaTest, RedeemedTokenIsActiveAtIntrospection) {
  const std::string id = AskId();
  SignIn(user_);
  ASSERT_EQ(Decide("approve").status, 303);
  clock_.AdvanceSeconds(5);
  Json body = Body(Poll(id));
  Json introspected =
      Body(Post("/introspect", {{"token", body.value("access_token", "")}}, agent_, agent_secret_));
  EXPECT_EQ(introspected["active"], true) << introspected;
  EXPECT_EQ(introspected["act"], Json({{"sub", agent_}}));
}

}  // namespace
}  // namespace zta::idp::testing
