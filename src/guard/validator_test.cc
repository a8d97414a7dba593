// Tests of guard::Validator and JwksCache against a loopback issuer (FakeIssuer): every denial
// reason, RFC 6750 responses, JWKS caching, rotation, outages, claim mapping, introspection.
#include "zta/guard/validator.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "test_util.h"
#include "zta/core/base64url.h"

namespace zta::guard {
namespace {

using testing::FakeIssuer;
using testing::kAudience;

http::Request WithBearer(const std::string& token) {
  http::Request r;
  r.method = "GET";
  r.path = r.target = "/api/hotels";
  r.headers.Set("Authorization", "Bearer " + token);
  return r;
}

class ValidatorTest : public ::testing::Test {
 protected:
  TrustedIssuer Trusted() {
    TrustedIssuer t;
    t.issuer = issuer_.issuer();  // jwks_uri by discovery
    return t;
  }
  std::unique_ptr<Validator> Make(std::vector<TrustedIssuer> issuers) {
    ValidatorOptions o;
    o.issuers = std::move(issuers);
    o.audience = kAudience;
    o.realm = "hotel";
    o.resource_metadata_url = "https://hotel.example/.well-known/oauth-protected-resource/api";
    auto v = Validator::Create(std::move(o), clock_, audit_);
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? std::move(v).value() : nullptr;
  }
  std::unique_ptr<Validator> Make() { return Make({Trusted()}); }
  std::string Reason(Validator& v, const std::string& token, std::vector<std::string> scopes = {}) {
    AuthorizeOptions o;
    o.required_scopes = scopes;
    auto r = v.Authorize(WithBearer(token), o);
    return r.ok() ? "ok" : r.status().reason();
  }

  FakeClock clock_;
  InMemoryAuditSink audit_;
  FakeIssuer issuer_;
};

// A valid token yields a Principal with every field, and one "allow" audit event with its jti.
TEST_F(ValidatorTest, ValidTokenGivesPrincipalAndAuditsAllow) {
  auto v = Make();
  std::string token = issuer_.Sign(issuer_.Token(clock_).Claim(
      "act", Json{{"sub", "planner-agent"}, {"act", {{"sub", "root-agent"}}}}));
  std::vector<std::string> need = {"read_hotels"};
  AuthorizeOptions o;
  o.required_scopes = need;
  auto p = v->Authorize(WithBearer(token), o);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->issuer, issuer_.issuer());
  EXPECT_EQ(p->subject, "hotel-agent");
  EXPECT_EQ(p->client_id, "hotel-agent");
  EXPECT_EQ(p->scopes, (std::vector<std::string>{"read_hotels", "create_bookings"}));
  // RFC 8693 §4.1: outermost act (current actor) first.
  EXPECT_EQ(p->actor_chain, (std::vector<std::string>{"planner-agent", "root-agent"}));
  EXPECT_EQ(p->jti, "jti-1");
  auto events = audit_.Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].decision, AuditDecision::kAllow);
  EXPECT_EQ(events[0].jti, "jti-1");
  EXPECT_EQ(events[0].component, "guard");
  EXPECT_EQ(events[0].scopes_requested, need);
  EXPECT_EQ(events[0].actor_chain, p->actor_chain);
  // The audit never holds the token.
  EXPECT_EQ(events[0].ToJson().dump().find(token), std::string::npos);
}

// W3C Trace Context §3.2: with no trace id from the caller, the request's traceparent names the
// event's trace; an invalid traceparent counts as absent, and the caller's trace id wins.
TEST_F(ValidatorTest, TraceIdComesFromTraceparentUnlessGiven) {
  auto v = Make();
  std::string token = issuer_.Sign(issuer_.Token(clock_));
  http::Request traced = WithBearer(token);
  traced.headers.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  ASSERT_TRUE(v->Authorize(traced).ok());
  http::Request bad = WithBearer(token);
  bad.headers.Set("traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01");
  ASSERT_TRUE(v->Authorize(bad).ok());
  AuthorizeOptions o;
  o.trace_id = "caller-trace";
  ASSERT_TRUE(v->Authorize(traced, o).ok());
  http::Request unauthenticated;
  unauthenticated.headers.Set("traceparent",
                              "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  EXPECT_FALSE(v->Authorize(unauthenticated).ok());
  auto events = audit_.Events();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(events[1].trace_id, "");
  EXPECT_EQ(events[2].trace_id, "caller-trace");
  EXPECT_EQ(events[3].trace_id, "4bf92f3577b34da6a3ce929d0e0e4736") << "a denial is traced too";
}

// Each way a token is wrong is refused with its own reason and audited as a denial.
TEST_F(ValidatorTest, BadTokensAreRefusedWithReasons) {
  auto v = Make();
  auto good = [&] { return issuer_.Token(clock_); };
  EXPECT_EQ(Reason(*v, issuer_.Sign(good().ExpiresAt(clock_.NowSeconds() - 120))), "expired");
  EXPECT_EQ(Reason(*v, issuer_.Sign(good().Audience("https://other.example"))), "bad_audience");
  EXPECT_EQ(Reason(*v, issuer_.Sign(good().Issuer("https://evil.example"))), "bad_issuer");
  EXPECT_EQ(Reason(*v, issuer_.Sign(good().Type("JWT"))), "bad_typ");
  EXPECT_EQ(Reason(*v, issuer_.Sign(good().ExpiresAt(clock_.NowSeconds() + 7200))),
            "lifetime_too_long");
  // Tampered: one payload character changed.
  std::string token = issuer_.Sign(good());
  size_t dot = token.find('.');
  token[dot + 5] = token[dot + 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(Reason(*v, token), "bad_signature");
  // alg none (RFC 8725 §2.1).
  std::string header = Base64UrlEncode(R"({"alg":"none","typ":"at+jwt"})");
  std::string payload = Base64UrlEncode(DumpJson(good().claims()));
  EXPECT_EQ(Reason(*v, header + "." + payload + "."), "alg_not_allowed");
  // Signed by a key the issuer never published (and a refetch does not find it).
  auto rogue = FakeIssuer::UnpublishedKey("k1");
  EXPECT_EQ(Reason(*v, *good().Sign(jose::Algorithm::kES256, rogue)), "bad_signature");
  EXPECT_EQ(Reason(*v, "not-a-jwt"), "malformed");
  for (const auto& e : audit_.Events()) EXPECT_EQ(e.decision, AuditDecision::kDeny);
  EXPECT_EQ(audit_.size(), 9u);
}

// A valid token without the route's scope → 403 insufficient_scope naming the scope (RFC 6750).
TEST_F(ValidatorTest, MissingScopeIs403WithScopeInChallenge) {
  auto v = Make();
  std::vector<std::string> need = {"staff_admin"};
  AuthorizeOptions o;
  o.required_scopes = need;
  auto p = v->Authorize(WithBearer(issuer_.Sign(issuer_.Token(clock_))), o);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().reason(), "insufficient_scope");
  auto response = v->DenialResponse(p.status(), need);
  EXPECT_EQ(response.status, 403);
  EXPECT_EQ(*response.headers.Get("WWW-Authenticate"),
            "Bearer realm=\"hotel\", error=\"insufficient_scope\", scope=\"staff_admin\", "
            "resource_metadata=\"https://hotel.example/.well-known/oauth-protected-resource/api\"");
}

// RFC 6750 §3: an invalid token → 401 invalid_token; no credentials → 401 without an error code;
// the body never carries the internal reason.
TEST_F(ValidatorTest, DenialResponsesFollowRfc6750) {
  auto v = Make();
  auto expired = v->Authorize(
      WithBearer(issuer_.Sign(issuer_.Token(clock_).ExpiresAt(clock_.NowSeconds() - 100))));
  auto r401 = v->DenialResponse(expired.status());
  EXPECT_EQ(r401.status, 401);
  EXPECT_NE(r401.headers.Get("WWW-Authenticate")->find("error=\"invalid_token\""),
            std::string::npos);
  EXPECT_EQ(r401.body.find("expired"), std::string::npos);

  http::Request none;
  none.method = "GET";
  none.path = none.target = "/";
  auto missing = v->Authorize(none);
  EXPECT_EQ(missing.status().reason(), kReasonMissingToken);
  auto r = v->DenialResponse(missing.status());
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.headers.Get("WWW-Authenticate")->find("error="), std::string::npos);
}

// Bearer tokens come only from one Authorization header (RFC 6750 §2.1); query and body tokens
// and duplicates are refused with 400 invalid_request.
TEST_F(ValidatorTest, BearerExtractionRules) {
  http::Request r;
  r.method = "POST";
  r.path = "/x";
  r.headers.Set("Authorization", "bearer abc.def-_~+/ghi==");
  auto ok = ExtractBearerToken(r);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(*ok, "abc.def-_~+/ghi==");

  http::Request two = r;
  two.headers.Add("Authorization", "Bearer other");
  EXPECT_EQ(ExtractBearerToken(two).status().reason(), kReasonMultipleTokens);
  http::Request comma = r;
  comma.headers.Set("Authorization", "Bearer a, Bearer b");
  EXPECT_EQ(ExtractBearerToken(comma).status().reason(), kReasonMultipleTokens);
  http::Request basic = r;
  basic.headers.Set("Authorization", "Basic dXNlcjpwYXNz");
  EXPECT_EQ(ExtractBearerToken(basic).status().reason(), kReasonUnsupportedScheme);
  http::Request empty = r;
  empty.headers.Set("Authorization", "Bearer");
  EXPECT_EQ(ExtractBearerToken(empty).status().reason(), kReasonMalformedHeader);
  http::Request junk = r;
  junk.headers.Set("Authorization", "Bearer a=b");
  EXPECT_EQ(ExtractBearerToken(junk).status().reason(), kReasonMalformedHeader);
  http::Request query = r;
  query.query = "x=1&access_token=abc";
  EXPECT_EQ(ExtractBearerToken(query).status().reason(), kReasonTokenInQuery);
  http::Request body = r;
  body.headers.Set("Content-Type", "application/x-www-form-urlencoded");
  body.body = "access_token=abc";
  EXPECT_EQ(ExtractBearerToken(body).status().reason(), kReasonTokenInBody);

  // Names are decoded and read as PHP-style servers read them; media types in any case; a query
  // or form that does not decode is refused, not read as "no token".
  for (const char* q : {"access%5Ftoken=abc", "Access_Token=abc", "access.token=abc",
                        "access+token=abc", "access_token[]=abc", "access_token[0]=abc"}) {
    http::Request spelled = r;
    spelled.query = q;
    EXPECT_EQ(ExtractBearerToken(spelled).status().reason(), kReasonTokenInQuery) << q;
  }
  for (const char* q : {"access_token=abc&x=%zz", "x=%", "%G0=1"}) {
    http::Request malformed = r;
    malformed.query = q;
    EXPECT_EQ(ExtractBearerToken(malformed).status().reason(), kReasonMalformedQuery) << q;
  }
  EXPECT_TRUE(ParameterNameIs("ACCESS.TOKEN[x]", "access_token"));
  EXPECT_FALSE(ParameterNameIs("access_tokens", "access_token"));
  EXPECT_FALSE(ParameterNameIs("my_access_token", "access_token"));
  for (const char* type : {"Application/X-WWW-Form-Urlencoded", " application/x-www-form-urlencoded ;charset=utf-8"}) {
    http::Request typed = body;
    typed.headers.Set("Content-Type", type);
    EXPECT_EQ(ExtractBearerToken(typed).status().reason(), kReasonTokenInBody) << type;
    typed.body = "a=%zz";
    EXPECT_EQ(ExtractBearerToken(typed).status().reason(), kReasonMalformedBody) << type;
  }
  http::Request json_body = body;
  json_body.headers.Set("Content-Type", "application/json");
  EXPECT_TRUE(ExtractBearerToken(json_body).ok());  // not a form: not a bearer method

  auto v = Make();
  auto denied = v->Authorize(two);
  EXPECT_EQ(v->DenialResponse(denied.status()).status, 400);
}

// The JWKS is fetched once and reused while Cache-Control max-age says it is fresh, then again.
TEST_F(ValidatorTest, JwksHonoursCacheControlWithinBounds) {
  issuer_.SetCacheControl("public, max-age=120");
  auto v = Make();
  std::string token = issuer_.Sign(issuer_.Token(clock_));
  EXPECT_EQ(Reason(*v, token), "ok");
  EXPECT_EQ(issuer_.jwks_fetches(), 1);
  clock_.AdvanceSeconds(100);
  EXPECT_EQ(Reason(*v, issuer_.Sign(issuer_.Token(clock_))), "ok");
  EXPECT_EQ(issuer_.jwks_fetches(), 1);
  clock_.AdvanceSeconds(21);
  EXPECT_EQ(Reason(*v, issuer_.Sign(issuer_.Token(clock_))), "ok");
  EXPECT_EQ(issuer_.jwks_fetches(), 2);
  // max-age=1 is raised to the 30 s lower bound.
  issuer_.SetCacheControl("max-age=1");
  clock_.AdvanceSeconds(200);
  EXPECT_EQ(Reason(*v, issuer_.Sign(issuer_.Token(clock_))), "ok");
  EXPECT_EQ(issuer_.jwks_fetches(), 3);
  clock_.AdvanceSeconds(10);
  EXPECT_EQ(Reason(*v, issuer_.Sign(issuer_.Token(clock_))), "ok");
  EXPECT_EQ(issuer_.jwks_fetches(), 3);
}

// The issuer rotates to a new key: the first token with the new kid triggers one refetch and
// every validation succeeds; a flood of unknown kids causes at most one refetch per interval.
TEST_F(ValidatorTest, RotationNeedsNoFailureAndUnknownKidsAreRateLimited) {
  auto v = Make();
  EXPECT_EQ(Reason(*v, issuer_.Sign(issuer_.Token(clock_))), "ok");
  EXPECT_EQ(issuer_.jwks_fetches(), 1);
  issuer_.AddKey("k2");
  EXPECT_EQ(Reason(*v, issuer_.Sign(issuer_.Token(clock_), 1)), "ok");
  EXPECT_EQ(Reason(*v, issuer_.Sign(issuer_.Token(clock_), 0)), "ok");  // old key still valid
  EXPECT_EQ(issuer_.jwks_fetches(), 2);

  auto rogue = FakeIssuer::UnpublishedKey("k-unknown-1");
  clock_.AdvanceSeconds(31);
  EXPECT_EQ(Reason(*v, *issuer_.Token(clock_).Sign(jose::Algorithm::kES256, rogue)), "unknown_kid");
  EXPECT_EQ(issuer_.jwks_fetches(), 3);
  for (int i = 0; i < 20; ++i) {
    auto k = FakeIssuer::UnpublishedKey("k-unknown-x" + std::to_string(i));
    EXPECT_EQ(Reason(*v, *issuer_.Token(clock_).Sign(jose::Algorithm::kES256, k)), "unknown_kid");
  }
  EXPECT_EQ(issuer_.jwks_fetches(), 3);
}

// Issuer down: the last good keys keep validating known kids, unknown kids fail closed, and
// after the maximum staleness every token fails closed until the issuer is back.
TEST_F(ValidatorTest, IssuerDownUsesLastGoodKeysThenFailsClosed) {
  TrustedIssuer t = Trusted();
  t.jwks.max_staleness_seconds = 600;
  issuer_.SetCacheControl("max-age=60");
  auto v = Make({t});
  EXPECT_EQ(Reason(*v, issuer_.Sign(issuer_.Token(clock_))), "ok");
  issuer_.SetDown(true);
  clock_.AdvanceSeconds(120);  // past refresh time: the refresh fails, the old set stays
  EXPECT_EQ(Reason(*v, issuer_.Sign(issuer_.Token(clock_))), "ok");
  auto rogue = FakeIssuer::UnpublishedKey("k9");
  EXPECT_EQ(Reason(*v, *issuer_.Token(clock_).Sign(jose::Algorithm::kES256, rogue)), "unknown_kid");
  clock_.AdvanceSeconds(600);  // now > fetched + 60 + 600
  std::string token = issuer_.Sign(issuer_.Token(clock_));
  EXPECT_EQ(Reason(*v, token), kReasonJwksUnavailable);
  issuer_.SetDown(false);
  clock_.AdvanceSeconds(10);  // past the failure back-off
  EXPECT_EQ(Reason(*v, issuer_.Sign(issuer_.Token(clock_))), "ok");
}

// An issuer never reached: nothing is accepted (fail closed), and the issuer is not asked again
// on every request.
TEST_F(ValidatorTest, NoKeysEverFailsClosed) {
  issuer_.SetDown(true);
  auto v = Make();
  std::string token = issuer_.Sign(issuer_.Token(clock_));
  EXPECT_EQ(Reason(*v, token), kReasonJwksUnavailable);
  EXPECT_EQ(Reason(*v, token), kReasonJwksUnavailable);
  EXPECT_EQ(v->jwks_fetch_count(), 1);
}

// Two issuers: a second, Entra-style issuer (typ "JWT", scp array and roles, azp) is accepted
// through its claim mapping; each token is checked only against its own issuer's keys.
TEST_F(ValidatorTest, SecondIssuerWithEntraStyleClaims) {
  FakeIssuer entra;
  TrustedIssuer second;
  second.issuer = entra.issuer();
  second.jwks_uri = entra.jwks_uri();
  second.required_typ = "";
  second.scope_claims = {"scp", "roles"};
  auto v = Make({Trusted(), second});

  jose::JwtBuilder b;
  int64_t now = clock_.NowSeconds();
  b.Type("JWT")
      .Issuer(entra.issuer())
      .Subject("user-oid-1")
      .Audience(kAudience)
      .IssuedAt(now)
      .ExpiresAt(now + 600)
      .Id("entra-1")
      .Claim("azp", "entra-app")
      .Claim("scp", Json::array({"read_hotels"}))
      .Claim("roles", Json::array({"staff_admin"}));
  std::vector<std::string> need = {"read_hotels", "staff_admin"};
  AuthorizeOptions o;
  o.required_scopes = need;
  auto p = v->Authorize(WithBearer(entra.Sign(b)), o);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->client_id, "entra-app");
  EXPECT_EQ(p->scopes, need);
  // The zta-style issuer still works beside it, and its "scope" is not read for the other.
  EXPECT_EQ(Reason(*v, issuer_.Sign(issuer_.Token(clock_))), "ok");
  // A token naming issuer 2 but signed with issuer 1's key fails (key sets are per issuer).
  EXPECT_EQ(Reason(*v, issuer_.Sign(b)), "bad_signature");
  // An issuer not in the list.
  EXPECT_EQ(Reason(*v, issuer_.Sign(issuer_.Token(clock_).Issuer("https://x.example"))),
            "bad_issuer");
}

// A malformed act claim is refused rather than read as "no actor".
TEST_F(ValidatorTest, MalformedActIsRefused) {
  auto v = Make();
  EXPECT_EQ(Reason(*v, issuer_.Sign(issuer_.Token(clock_).Claim("act", "agent"))), kReasonBadActor);
  EXPECT_EQ(Reason(*v, issuer_.Sign(issuer_.Token(clock_).Claim("act", Json{{"x", 1}}))),
            kReasonBadActor);
}

// A scope value holding a space or another byte outside RFC 6749 §3.3's scope-token refuses the
// token (it would add a scope wherever the list is written space-separated), in every
// scope-carrying claim; repeated spaces in a string are harmless and accepted.
TEST_F(ValidatorTest, ScopeValuesOutsideScopeTokenAreRefused) {
  TrustedIssuer t = Trusted();
  t.scope_claims = {"scope", "scp", "roles"};
  auto v = Make({t});
  for (const Json& bad : {Json::array({"read_hotels admin"}), Json::array({"read\tadmin"}),
                          Json::array({""}), Json::array({"a\"b"}), Json::array({"caf\u00e9"}),
                          Json("read_hotels\tadmin"), Json("read_hotels\nadmin")}) {
    for (const char* claim : {"scp", "roles", "scope"}) {
      // RFC 9068 §2.2.3 makes scope a string; jose refuses an array there itself ("malformed").
      if (bad.is_array() && std::string_view(claim) == "scope") continue;
      SCOPED_TRACE(std::string(claim) + " = " + bad.dump());
      auto token = issuer_.Token(clock_).Claim("scope", "read_hotels");
      token.Claim(claim, bad);
      EXPECT_EQ(Reason(*v, issuer_.Sign(token)), kReasonMalformedScope);
    }
  }
  auto ok = v->AuthorizeToken(
      issuer_.Sign(issuer_.Token(clock_).Claim("scope", " read_hotels  create_bookings ")), {});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->scopes, (std::vector<std::string>{"read_hotels", "create_bookings"}));
}

// RFC 9068 §2.2: a token without sub (or with an empty one) is refused with its own reason, for
// an at+jwt issuer and for one that does not type its tokens alike.
TEST_F(ValidatorTest, TokenWithoutSubIsRefused) {
  int64_t now = clock_.NowSeconds();
  auto no_sub = [&](const char* typ) {
    jose::JwtBuilder b;
    b.Type(typ).Issuer(issuer_.issuer()).Audience(kAudience).IssuedAt(now).ExpiresAt(now + 300);
    b.Id("jti-nosub").Claim("client_id", "hotel-agent").Claim("scope", "read_hotels");
    return b;
  };
  auto v = Make();
  EXPECT_EQ(Reason(*v, issuer_.Sign(no_sub("at+jwt"))), kReasonMissingSubject);
  EXPECT_EQ(Reason(*v, issuer_.Sign(no_sub("at+jwt").Subject(""))), kReasonMissingSubject);
  TrustedIssuer untyped = Trusted();
  untyped.required_typ = "";
  auto u = Make({untyped});
  EXPECT_EQ(Reason(*u, issuer_.Sign(no_sub("JWT"))), kReasonMissingSubject);
  EXPECT_EQ(Reason(*u, issuer_.Sign(no_sub("JWT").Subject("user-1"))), "ok");
}

// RFC 7662: routes that ask for introspection see revocation at once (after the short cache);
// the resource server authenticates with Basic; answers are cached.
TEST_F(ValidatorTest, IntrospectionDetectsInactiveTokens) {
  TrustedIssuer t = Trusted();
  IntrospectionOptions io;
  io.client_id = "https://hotel.example/api";
  io.client_secret = Secret("rs-secret-rs-secret");
  io.cache_seconds = 5;
  t.introspection = io;
  auto v = Make({t});
  std::string token = issuer_.Sign(issuer_.Token(clock_));
  AuthorizeOptions o;
  o.introspect = true;
  EXPECT_TRUE(v->Authorize(WithBearer(token), o).ok());
  EXPECT_TRUE(v->Authorize(WithBearer(token), o).ok());
  EXPECT_EQ(issuer_.introspections(), 1);
  EXPECT_EQ(issuer_.last_introspection_auth().rfind("Basic ", 0), 0u);
  issuer_.SetActive(false);
  clock_.AdvanceSeconds(6);
  auto revoked = v->Authorize(WithBearer(token), o);
  EXPECT_EQ(revoked.status().reason(), kReasonTokenInactive);
  EXPECT_EQ(v->DenialResponse(revoked.status()).status, 401);
  // Without introspection the same token still validates locally.
  EXPECT_TRUE(v->Authorize(WithBearer(token)).ok());
  // Introspection unavailable → fail closed.
  issuer_.SetDown(true);
  clock_.AdvanceSeconds(6);
  EXPECT_EQ(v->Authorize(WithBearer(token), o).status().reason(), kReasonIntrospectionFailed);
}

// RFC 9728: metadata lists the resource, its issuers and header-only bearer use.
TEST_F(ValidatorTest, ProtectedResourceMetadata) {
  auto v = Make();
  http::Request r;
  r.method = "GET";
  r.path = "/.well-known/oauth-protected-resource/api";
  auto m = v->HandleMetadataRequest(r);
  ASSERT_TRUE(m.has_value());
  auto json = ParseJsonStrict(m->body);
  ASSERT_TRUE(json.ok());
  EXPECT_EQ((*json)["resource"], kAudience);
  EXPECT_EQ((*json)["authorization_servers"][0], issuer_.issuer());
  EXPECT_EQ((*json)["bearer_methods_supported"], Json::array({"header"}));
  r.path = "/.well-known/oauth-protected-resource";
  EXPECT_TRUE(v->HandleMetadataRequest(r).has_value());
  r.path = "/api/hotels";
  EXPECT_FALSE(v->HandleMetadataRequest(r).has_value());
}

// Options are checked once: no issuer, duplicate issuers, leeway over 60 s are refused.
TEST_F(ValidatorTest, OptionsValidate) {
  ValidatorOptions o;
  o.audience = kAudience;
  EXPECT_FALSE(o.Validate().ok());
  o.issuers.push_back(Trusted());
  EXPECT_TRUE(o.Validate().ok());
  o.issuers.push_back(Trusted());
  EXPECT_FALSE(o.Validate().ok());
  o.issuers.pop_back();
  o.issuers[0].leeway_seconds = 120;
  EXPECT_FALSE(o.Validate().ok());
}

// An audit sink that refuses every event.
class BrokenAuditSink final : public AuditSink {
 public:
  Status Append(AuditEvent) override { return Unavailable("disk full"); }
};

// DESIGN.md: a decision is recorded before it is acted on — if the audit log fails, an allow
// becomes 503 (and a denial stays a denial).
TEST_F(ValidatorTest, AuditFailureTurnsAllowInto503) {
  BrokenAuditSink broken;
  ValidatorOptions o;
  o.issuers = {Trusted()};
  o.audience = kAudience;
  auto v = Validator::Create(o, clock_, broken);
  ASSERT_TRUE(v.ok());
  auto p = (*v)->Authorize(WithBearer(issuer_.Sign(issuer_.Token(clock_))));
  EXPECT_EQ(p.status().reason(), kReasonAuditUnavailable);
  EXPECT_EQ((*v)->DenialResponse(p.status()).status, 503);
  EXPECT_EQ((*v)->Authorize(WithBearer("x.y.z")).status().code(), StatusCode::kUnauthenticated);
}

// Many threads validating while the key set refreshes and the issuer rotates: no validation
// fails, and the issuer sees a bounded number of fetches (one refresher at a time).
TEST_F(ValidatorTest, ConcurrentValidationDuringRefreshAndRotation) {
  issuer_.SetCacheControl("max-age=30");
  auto v = Make();
  std::vector<std::string> tokens = {issuer_.Sign(issuer_.Token(clock_))};
  ASSERT_EQ(Reason(*v, tokens[0]), "ok");
  issuer_.AddKey("k2");
  tokens.push_back(issuer_.Sign(issuer_.Token(clock_), 1));
  std::atomic<int> failures{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      for (int n = 0; !stop; ++n) {
        if (!v->AuthorizeToken(tokens[(i + n) % 2]).ok()) ++failures;
      }
    });
  }
  for (int step = 0; step < 20; ++step) {
    clock_.AdvanceSeconds(10);  // a refresh every third step
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  stop = true;
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_LE(issuer_.jwks_fetches(), 2 + 20);
}

// Cache-Control parsing (RFC 9111 §5.2).
TEST(CacheControlTest, MaxAge) {
  EXPECT_EQ(CacheControlMaxAge("public, max-age=300"), 300);
  EXPECT_EQ(CacheControlMaxAge("Max-Age=\"20\""), 20);
  EXPECT_EQ(CacheControlMaxAge("no-store"), 0);
  EXPECT_EQ(CacheControlMaxAge("max-age=abc"), std::nullopt);
  EXPECT_EQ(CacheControlMaxAge("private"), std::nullopt);
}

}  // namespace
}  // namespace zta::guard
