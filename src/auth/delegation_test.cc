// Tests of DelegatedTokenSource and the consent handlers against FakeAuthorizationServer: PAR
// and plain authorization URLs, state and iss checks, denial, timeout, the delegated cache, and
// silent refresh with rotation.
#include "zta/auth/delegation.h"

#include <gtest/gtest.h>

#include <sstream>
#include <thread>

#include "fake_authorization_server.h"
#include "zta/auth/delegation_config.h"
#include "zta/core/trace_context.h"
#include "zta/http/client.h"

namespace zta::auth {
namespace {

using testing::FakeAuthorizationServer;
using Mode = FakeAuthorizationServer::Mode;

constexpr char kResource[] = "https://hotel.example/api";

std::map<std::string, std::string> QueryOf(std::string_view url) {
  std::map<std::string, std::string> out;
  size_t q = url.find('?');
  if (q == std::string_view::npos) return out;
  auto fields = http::ParseForm(url.substr(q + 1));
  if (fields.ok()) {
    for (auto& [n, v] : *fields) out[n] = v;
  }
  return out;
}

// The person's browser: opens the authorization URL and returns where it is redirected.
std::string Browse(const std::string& url) {
  http::ClientRequest r;
  r.url = url;
  auto response = http::Send(r);
  EXPECT_TRUE(response.ok()) << response.status();
  if (!response.ok()) return {};
  EXPECT_EQ(response->status, 302) << response->body;
  return response->headers.Get("Location").value_or("");
}

std::string RawQuery(const std::string& url) {
  size_t q = url.find('?');
  return q == std::string::npos ? std::string() : url.substr(q + 1);
}

Json Booking(std::string hotel = "h-harbour") {
  return Json::array({Json{{"type", "hotel_booking"}, {"hotel_id", hotel}, {"max_total", 240}}});
}

class DelegationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    AuthProviderOptions o;
    o.issuer = server_.issuer();
    o.client_id = testing::kAgent;
    o.client_secret = Secret(testing::kAgentSecret);
    auto agent = AuthProvider::Create(o, clock_);
    ASSERT_TRUE(agent.ok()) << agent.status();
    agent_ = std::move(agent).value();
    web_ = std::make_unique<WebConsentHandler>("https://chat.example/callback",
                                               [this](const ConsentRequest& r) { Present(r); });
  }

  // The web front end: shows the link, the person approves in their browser, the front end's
  // callback route completes the waiting request.
  void Present(const ConsentRequest& r) {
    last_request_ = r;
    if (!browse_) return;
    const std::string location = Browse(r.authorization_url);
    EXPECT_TRUE(location.starts_with("https://chat.example/callback?")) << location;
    EXPECT_TRUE(web_->Complete(r.state, RawQuery(location)));
  }

  std::unique_ptr<DelegatedTokenSource> Make(DelegationOptions o = {},
                                             ConsentHandler* handler = nullptr,
                                             bool no_handler = false) {
    if (o.app_client_id.empty()) {
      o.app_client_id = testing::kApp;
      o.app_client_secret = Secret(testing::kAppSecret);
    }
    auto source = DelegatedTokenSource::Create(
        std::move(o), *agent_, no_handler ? nullptr : (handler ? handler : web_.get()), clock_);
    EXPECT_TRUE(source.ok()) << source.status();
    return source.ok() ? std::move(source).value() : nullptr;
  }

  static TokenRequest Request(Json details = Booking()) {
    TokenRequest r;
    r.resource = kResource;
    r.scopes = {"create_bookings", "read_hotels"};
    r.on_behalf_of = "alice";
    r.authorization_details = std::move(details);
    return r;
  }

  FakeClock clock_;
  FakeAuthorizationServer server_;
  std::unique_ptr<AuthProvider> agent_;
  std::unique_ptr<WebConsentHandler> web_;
  ConsentRequest last_request_;
  bool browse_ = true;
};

// RFC 7636 Appendix B: the S256 challenge of the example verifier; generated verifiers are 43
// base64url characters and differ each time.
TEST(PkceTest, S256MatchesRfc7636AndVerifiersAreFresh) {
  EXPECT_EQ(PkceChallengeS256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  auto a = Pkce::Generate();
  auto b = Pkce::Generate();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->verifier.Reveal().size(), 43u);
  EXPECT_NE(a->verifier.Reveal(), b->verifier.Reveal());
  EXPECT_EQ(a->challenge, PkceChallengeS256(a->verifier.Reveal()));
}

// With PAR advertised, the request is pushed (details, requested_actor, login_hint, PKCE S256,
// state, nonce, resource, scope) and only client_id + request_uri travel in the URL; the code is
// redeemed with the app's authentication, the verifier and the agent's actor token.
TEST_F(DelegationTest, PushedRequestConsentAndRedemption) {
  auto source = Make();
  auto token = source->GetToken(Request());
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_TRUE(token->value.Reveal().starts_with("at-user-"));
  EXPECT_EQ(server_.par_calls(), 1);
  auto url_query = QueryOf(last_request_.authorization_url);
  EXPECT_EQ(url_query.size(), 2u);
  EXPECT_EQ(url_query["client_id"], testing::kApp);
  EXPECT_TRUE(url_query["request_uri"].starts_with("urn:ietf:params:oauth:request_uri:"));
  auto a = server_.last_authorize();
  EXPECT_EQ(a["requested_actor"], testing::kAgent);
  EXPECT_EQ(a["login_hint"], "alice");
  EXPECT_EQ(a["resource"], kResource);
  EXPECT_EQ(a["scope"], "create_bookings read_hotels");
  EXPECT_EQ(ParseJsonStrict(a["authorization_details"]).value(), Booking());
  EXPECT_EQ(a["code_challenge_method"], "S256");
  EXPECT_EQ(a["state"], last_request_.state);
  EXPECT_FALSE(a["nonce"].empty());
  EXPECT_EQ(a["redirect_uri"], "https://chat.example/callback");
  EXPECT_EQ(last_request_.user, "alice");
  EXPECT_EQ(last_request_.agent, testing::kAgent);
  auto t = server_.last_token_form();
  EXPECT_EQ(t["grant_type"], "authorization_code");
  EXPECT_TRUE(t["actor_token"].starts_with("at-agent-"));
  EXPECT_EQ(server_.code_redemptions(), 1);
  EXPECT_EQ(web_->waiting(), 0u);
}

// W3C Trace Context: with TokenRequest::trace_id, the PAR request, the agent's actor token and
// the code redemption each carry traceparent 00-<trace>-<fresh span>-01; the cached token is
// served to a request of another trace (trace_id is not part of the cache key).
TEST_F(DelegationTest, SendsTraceparentOnParAndTokenRequests) {
  constexpr char kTrace[] = "4bf92f3577b34da6a3ce929d0e0e4736";
  auto source = Make();
  TokenRequest traced = Request();
  traced.trace_id = kTrace;
  ASSERT_TRUE(source->GetToken(traced).ok());
  auto par = server_.traceparents("/par");
  auto token = server_.traceparents("/token");
  ASSERT_EQ(par.size(), 1u);
  ASSERT_EQ(token.size(), 2u) << "the actor token and the code redemption";
  std::vector<std::string> sent = {par[0], token[0], token[1]};
  for (const std::string& header : sent) {
    auto parsed = ParseTraceParent(header);
    ASSERT_TRUE(parsed.has_value()) << header;
    EXPECT_EQ(parsed->trace_id, kTrace);
    EXPECT_TRUE(parsed->sampled());
  }
  EXPECT_NE(ParseTraceParent(token[0])->parent_id, ParseTraceParent(token[1])->parent_id);
  TokenRequest other = Request();
  other.trace_id = "0af7651916cd43dd8448eb211c80319c";
  ASSERT_TRUE(source->GetToken(other).ok());
  EXPECT_EQ(server_.code_redemptions(), 1);
  EXPECT_EQ(server_.traceparents("/token").size(), 2u);
}

// A public app pushes its request too, with its client_id once (the fake refuses a repeated
// parameter, RFC 6749 §3.1).
TEST_F(DelegationTest, PushedRequestForAPublicApp) {
  DelegationOptions o;
  o.app_client_id = testing::kPublicApp;
  auto source = Make(o);
  auto token = source->GetToken(Request());
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(server_.par_calls(), 1);
  EXPECT_EQ(QueryOf(last_request_.authorization_url)["client_id"], testing::kPublicApp);
}

// Without a PAR endpoint every parameter is in the authorization URL; a public app sends its
// client_id and no secret.
TEST_F(DelegationTest, PlainAuthorizationUrlForAPublicApp) {
  server_.set_par(false);
  DelegationOptions o;
  o.app_client_id = testing::kPublicApp;
  auto source = Make(o);
  auto token = source->GetToken(Request());
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(server_.par_calls(), 0);
  auto q = QueryOf(last_request_.authorization_url);
  EXPECT_EQ(q["client_id"], testing::kPublicApp);
  EXPECT_EQ(q["requested_actor"], testing::kAgent);
  EXPECT_EQ(ParseJsonStrict(q["authorization_details"]).value(), Booking());
  EXPECT_EQ(server_.last_token_form()["client_id"], testing::kPublicApp);
  EXPECT_EQ(server_.last_token_form().count("client_secret"), 0u);
}

// A second request with the same key is served from the cache (no consent, no token call); other
// details are another key and ask again; the cache key names its documented parts.
TEST_F(DelegationTest, CacheHitAndKeyByDetails) {
  auto source = Make();
  ASSERT_TRUE(source->GetToken(Request()).ok());
  auto again = source->GetToken(Request());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(source->consents_started(), 1);
  EXPECT_EQ(server_.code_redemptions(), 1);
  ASSERT_TRUE(source->GetToken(Request(Booking("h-other"))).ok());
  EXPECT_EQ(source->consents_started(), 2);
  const std::string key = source->CacheKey(Request());
  EXPECT_NE(key.find("alice"), std::string::npos);
  EXPECT_NE(key.find(Sha256Hex(CanonicalDetailsJson(Booking()))), std::string::npos);
  EXPECT_NE(key, source->CacheKey(Request(Booking("h-other"))));
  TokenRequest reordered = Request();
  reordered.scopes = {"read_hotels", "create_bookings", "read_hotels"};
  EXPECT_EQ(key, source->CacheKey(reordered));
}

// Past the refresh margin the token is refreshed silently with the refresh token and the actor
// token; the second refresh presents the rotated refresh token (the fake refuses a reused one),
// and no consent is asked again.
TEST_F(DelegationTest, RefreshesSilentlyWithRotation) {
  auto source = Make();
  auto first = source->GetToken(Request());
  ASSERT_TRUE(first.ok());
  clock_.AdvanceSeconds(290);
  auto second = source->GetToken(Request());
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_NE(second->value.Reveal(), first->value.Reveal());
  auto t = server_.last_token_form();
  EXPECT_EQ(t["grant_type"], "refresh_token");
  EXPECT_TRUE(t["actor_token"].starts_with("at-agent-"));
  clock_.AdvanceSeconds(290);
  auto third = source->GetToken(Request());
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(server_.refreshes(), 2);
  EXPECT_EQ(server_.refresh_reuses(), 0);
  EXPECT_EQ(source->consents_started(), 1);
  // Invalidate (a 401 from the resource) keeps the refresh token: the next call refreshes.
  source->Invalidate(Request());
  ASSERT_TRUE(source->GetToken(Request()).ok());
  EXPECT_EQ(server_.refreshes(), 3);
  EXPECT_EQ(source->consents_started(), 1);
}

// RFC 9449 §5: with the agent's DPoP on, the code redemption and the refresh carry proofs with
// the agent's key (the server requires them and a nonce), and the user's tokens are bound to it.
TEST_F(DelegationTest, DpopBindsRedemptionAndRefreshToTheAgentKey) {
  server_.set_dpop_clock(&clock_);
  server_.set_dpop_required(true);
  server_.set_dpop_nonce("as-nonce");
  AuthProviderOptions o = agent_->options();
  o.dpop = true;
  auto agent = AuthProvider::Create(o, clock_);
  ASSERT_TRUE(agent.ok()) << agent.status();
  agent_ = std::move(agent).value();
  const std::string jkt = agent_->dpop_key()->thumbprint();
  auto source = Make();
  auto first = source->GetToken(Request());
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->token_type, "DPoP");
  EXPECT_EQ(first->dpop_key, agent_->dpop_key());
  EXPECT_EQ(server_.dpop_jkt(first->value.Reveal()), jkt);
  // The actor token's request met the nonce challenge; the redemption then carried the nonce.
  EXPECT_EQ(server_.dpop_challenges(), 1);
  EXPECT_EQ(server_.dpop_jkts(), (std::vector<std::string>{jkt, jkt}));
  clock_.AdvanceSeconds(290);
  auto second = source->GetToken(Request());
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(server_.refreshes(), 1);
  EXPECT_EQ(second->token_type, "DPoP");
  EXPECT_EQ(server_.dpop_jkt(second->value.Reveal()), jkt);
  EXPECT_EQ(server_.dpop_jkts().size(), 3u);
  EXPECT_EQ(server_.dpop_challenges(), 1);
}

// A refused refresh (the grant was revoked) drops the entry and asks the person again.
TEST_F(DelegationTest, RevokedRefreshAsksAgain) {
  auto source = Make();
  ASSERT_TRUE(source->GetToken(Request()).ok());
  server_.RevokeRefreshTokens();
  clock_.AdvanceSeconds(290);
  auto token = source->GetToken(Request());
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_EQ(source->consents_started(), 2);
}

// No consent handler: consent_required, and nothing is sent.
TEST_F(DelegationTest, NoHandlerIsConsentRequired) {
  auto source = Make({}, nullptr, /*no_handler=*/true);
  auto token = source->GetToken(Request());
  EXPECT_EQ(token.status().reason(), kReasonConsentRequired);
  EXPECT_EQ(server_.par_calls(), 0);
  // The agent's own requests still go to its AuthProvider.
  TokenRequest own = Request();
  own.on_behalf_of.clear();
  auto agent_token = source->GetToken(own);
  ASSERT_TRUE(agent_token.ok()) << agent_token.status();
  EXPECT_TRUE(agent_token->value.Reveal().starts_with("at-agent-"));
}

// error=access_denied is consent_denied; no code is redeemed and nothing is cached.
TEST_F(DelegationTest, DeniedIsConsentDenied) {
  server_.set_mode(Mode::kDeny);
  auto source = Make();
  auto token = source->GetToken(Request());
  EXPECT_EQ(token.status().reason(), kReasonConsentDenied);
  EXPECT_EQ(token.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(server_.code_redemptions(), 0);
}

// A redirect carrying another state is state_mismatch; the code is not redeemed.
TEST_F(DelegationTest, StateMismatch) {
  server_.set_mode(Mode::kWrongState);
  auto source = Make();
  EXPECT_EQ(source->GetToken(Request()).status().reason(), kReasonStateMismatch);
  EXPECT_EQ(server_.code_redemptions(), 0);
}

// RFC 9207: another issuer's iss, or none when the metadata promises it, is issuer_mismatch.
TEST_F(DelegationTest, IssuerMismatch) {
  server_.set_mode(Mode::kWrongIss);
  auto source = Make();
  EXPECT_EQ(source->GetToken(Request()).status().reason(), kReasonIssuerMismatch);
  server_.set_mode(Mode::kNoIss);
  EXPECT_EQ(source->GetToken(Request()).status().reason(), kReasonIssuerMismatch);
  EXPECT_EQ(server_.code_redemptions(), 0);
}

// No answer within consent_timeout is consent_timeout; the waiter is gone afterwards.
TEST_F(DelegationTest, Timeout) {
  browse_ = false;
  DelegationOptions o;
  o.consent_timeout = std::chrono::milliseconds(100);
  auto source = Make(o);
  EXPECT_EQ(source->GetToken(Request()).status().reason(), kReasonConsentTimeout);
  EXPECT_EQ(web_->waiting(), 0u);
  EXPECT_FALSE(web_->Complete(last_request_.state, "code=late&state=" + last_request_.state));
}

// WebConsentHandler::Complete(query) finds the waiter by the query's state, from another thread.
TEST_F(DelegationTest, WebHandlerCompletesByQueryState) {
  browse_ = false;
  auto source = Make();
  std::thread front_end([&] {
    while (web_->waiting() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::string location = Browse(last_request_.authorization_url);
    EXPECT_FALSE(web_->Complete("code=x&state=unknown"));
    EXPECT_TRUE(web_->Complete(RawQuery(location)));
  });
  auto token = source->GetToken(Request());
  front_end.join();
  ASSERT_TRUE(token.ok()) << token.status();
}

// The loopback handler (RFC 8252 §7.3): redirect_uri on 127.0.0.1 with the chosen port, the URL
// printed to the given stream, the browser's redirect answered with a "close this window" page;
// a redirect when nobody waits gets 400.
TEST_F(DelegationTest, LoopbackHandler) {
  std::mutex mu;
  std::string shown;  // GUARDED_BY(mu)
  LoopbackConsentOptions lo;
  lo.present = [&](const ConsentRequest& r) {
    std::lock_guard lock(mu);
    shown = r.authorization_url;
  };
  auto loopback = LoopbackConsentHandler::Start(lo);
  ASSERT_TRUE(loopback.ok()) << loopback.status();
  const std::string redirect = (*loopback)->RedirectUri();
  EXPECT_EQ(redirect, "http://127.0.0.1:" + std::to_string((*loopback)->port()) + "/callback");
  std::string page;
  std::thread browser([&] {
    std::string url;
    while (url.empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      std::lock_guard lock(mu);
      url = shown;
    }
    std::string location = Browse(url);
    EXPECT_TRUE(location.starts_with(redirect + "?")) << location;
    http::ClientRequest r;
    r.url = location;
    auto answer = http::Send(r);
    ASSERT_TRUE(answer.ok());
    EXPECT_EQ(answer->status, 200);
    page = answer->body;
  });
  auto source = Make({}, loopback->get());
  auto token = source->GetToken(Request());
  browser.join();
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_NE(page.find("close this window"), std::string::npos);
  EXPECT_EQ(server_.last_authorize()["redirect_uri"], redirect);

  http::ClientRequest stray;
  stray.url = redirect + "?code=x&state=y";
  auto answer = http::Send(stray);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->status, 400);
}

// Without a presenter the loopback handler prints the URL to the given stream, then waits.
TEST(LoopbackConsentTest, PrintsTheUrlByDefault) {
  std::ostringstream printed;
  LoopbackConsentOptions lo;
  lo.out = &printed;
  auto loopback = LoopbackConsentHandler::Start(lo);
  ASSERT_TRUE(loopback.ok()) << loopback.status();
  ConsentRequest r;
  r.authorization_url = "http://127.0.0.1:1/authorize?client_id=app";
  r.state = "s1";
  auto answer = (*loopback)->AwaitRedirect(r, std::chrono::milliseconds(20));
  EXPECT_EQ(answer.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(printed.str().find(r.authorization_url), std::string::npos);
  LoopbackConsentOptions remote;
  remote.host = "0.0.0.0";
  EXPECT_FALSE(LoopbackConsentHandler::Start(remote).ok());
}

// Options that cannot work are refused at Create.
TEST_F(DelegationTest, ValidatesOptions) {
  DelegationOptions o;
  EXPECT_FALSE(DelegatedTokenSource::Create(o, *agent_, web_.get(), clock_).ok());
  o.app_client_id = testing::kApp;
  o.app_auth_method = ClientAuthMethod::kPrivateKeyJwt;
  EXPECT_FALSE(DelegatedTokenSource::Create(o, *agent_, web_.get(), clock_).ok());
  o.app_auth_method = ClientAuthMethod::kClientSecretPost;
  o.consent_timeout = std::chrono::milliseconds(0);
  EXPECT_FALSE(DelegatedTokenSource::Create(o, *agent_, web_.get(), clock_).ok());
}

// [delegation] TOML: keys and types checked, the app's secret from the environment, unknown
// keys and impossible combinations refused.
TEST(DelegationConfigTest, ReadsAndResolves) {
  setenv("ZTA_TEST_APP_SECRET", "app-secret-value", 1);
  auto table = toml::parse(R"(
app_client_id = "app-cli"
app_client_secret_env = "ZTA_TEST_APP_SECRET"
app_auth_method = "client_secret_post"
redirect_uri = "http://127.0.0.1/callback"
use_par = false
extra_scopes = ["openid"]
consent_timeout_seconds = 60
consent = "none"
loopback_port = 8765
)");
  auto s = ReadDelegationSettings(table, "delegation.");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->options.app_client_id, "app-cli");
  EXPECT_EQ(s->options.app_auth_method, ClientAuthMethod::kClientSecretPost);
  EXPECT_FALSE(s->options.use_par);
  EXPECT_EQ(s->options.consent_timeout, std::chrono::seconds(60));
  EXPECT_EQ(s->consent, "none");
  EXPECT_EQ(s->loopback_port, 8765);
  auto o = ResolveDelegationSettings(*s);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->app_client_secret.Reveal(), "app-secret-value");

  auto typo = ReadDelegationSettings(toml::parse("app_client_idd = \"x\"\n"), "delegation.");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("delegation.app_client_idd"), std::string::npos);
  EXPECT_FALSE(ReadDelegationSettings(toml::parse("consent = \"popup\"\n")).ok());
  EXPECT_FALSE(ReadDelegationSettings(toml::parse("app_auth_method = \"private_key_jwt\"\n")).ok());
  auto public_app = ReadDelegationSettings(toml::parse("app_client_id = \"app-cli\"\n"));
  ASSERT_TRUE(public_app.ok());
  auto resolved = ResolveDelegationSettings(*public_app);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_TRUE(resolved->app_client_secret.empty());
  EXPECT_FALSE(ResolveDelegationSettings(DelegationSettings{}).ok());  // no app_client_id
}

}  // namespace
}  // namespace zta::auth
