// Test helper for zta::auth: an authorization server on loopback speaking the delegation
// contract (docs/delegation.md): metadata, /par, /authorize (answering at once with a redirect
// the test scripts), /bc-authorize (CIBA poll mode, answers scripted per request), and /token
// for client_credentials, authorization_code (PKCE S256, actor_token), refresh_token (rotation,
// reuse revokes the family), token exchange (RFC 8693: delegation rules, nested act, scope and
// details subsets, exp capped by the subject token's) and the CIBA grant. Its tokens are opaque;
// issued() tells a test what one stands for. At /token it checks DPoP proofs (RFC 9449 §5) with
// jose::VerifyDpopProof when a request carries one, can require them and a nonce (§8), and binds
// the tokens it issues to the proof key (token_type DPoP, dpop_jkt()). Thread-safe.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <ctime>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "zta/core/base64url.h"
#include "zta/core/clock.h"
#include "zta/core/json.h"
#include "zta/core/scopes.h"
#include "zta/core/sha256.h"
#include "zta/http/message.h"
#include "zta/http/server.h"
#include "zta/jose/dpop.h"

namespace zta::auth::testing {

inline constexpr char kAgent[] = "agent-guest";
inline constexpr char kAgentSecret[] = "agent-secret-agent-secret";
inline constexpr char kApp[] = "app-chat";
inline constexpr char kAppSecret[] = "app-secret-app-secret";
inline constexpr char kPublicApp[] = "app-cli";
// A second agent, the one another agent hands work to (token exchange).
inline constexpr char kBookingAgent[] = "agent-booking";
inline constexpr char kBookingAgentSecret[] = "booking-secret-booking-secret";
inline constexpr char kAccessTokenTypeUrn[] = "urn:ietf:params:oauth:token-type:access_token";

class FakeAuthorizationServer {
 public:
  // How /authorize answers.
  enum class Mode { kApprove, kDeny, kWrongState, kWrongIss, kNoIss };

  // What an access token this server issued stands for.
  struct Issued {
    std::string sub;                  // the user, or the agent for its own tokens
    std::vector<std::string> actors;  // act chain, outermost (current actor) first
    std::vector<std::string> scopes;
    std::string resource;
    Json authorization_details;  // null when none
    int64_t exp = 0;             // Unix seconds (wall clock)
  };

  FakeAuthorizationServer() {
    http::ServerOptions o;
    o.threads = 4;
    auto server = http::HttpServer::Start(o, [this](const http::Request& r) { return Serve(r); });
    EXPECT_TRUE(server.ok()) << server.status();
    server_ = std::move(server).value();
  }

  std::string issuer() const { return server_->BaseUrl(); }
  void set_mode(Mode mode) {
    std::lock_guard lock(mu_);
    mode_ = mode;
  }
  void set_par(bool on) {
    std::lock_guard lock(mu_);
    par_ = on;
  }
  void set_user_ttl(int64_t ttl) {
    std::lock_guard lock(mu_);
    user_ttl_ = ttl;
  }
  // Revokes every refresh token (a revoked grant): the next refresh gets invalid_grant.
  void RevokeRefreshTokens() {
    std::lock_guard lock(mu_);
    refresh_.clear();
  }
  // The parameters /authorize acted on (from the query, or the pushed request).
  std::map<std::string, std::string> last_authorize() {
    std::lock_guard lock(mu_);
    return last_authorize_;
  }
  std::string last_authorize_query() {
    std::lock_guard lock(mu_);
    return last_authorize_query_;
  }
  std::map<std::string, std::string> last_token_form() {
    std::lock_guard lock(mu_);
    return last_token_form_;
  }
  // Token exchange: lets agent `to` exchange tokens whose current actor is `from`.
  void AllowDelegation(const std::string& from, const std::string& to) {
    std::lock_guard lock(mu_);
    rules_.insert({from, to});
  }
  void set_max_depth(size_t depth) {
    std::lock_guard lock(mu_);
    max_depth_ = depth;
  }
  // A delegated token for `user` with act = {sub: actor}, as a consent would have produced;
  // `value` is the token's text (default: a fresh opaque one).
  std::string IssueUserToken(const std::string& user, const std::string& actor,
                             std::vector<std::string> scopes, const std::string& resource,
                             Json details = Json(), int64_t ttl = 300, std::string value = {}) {
    std::lock_guard lock(mu_);
    std::string at = value.empty() ? "at-user-" + std::to_string(++counter_) : value;
    issued_[at] = Issued{user,
                         {actor},
                         std::move(scopes),
                         resource,
                         std::move(details),
                         static_cast<int64_t>(std::time(nullptr)) + ttl};
    return at;
  }
  // What `token` stands for; sub empty when this server did not issue it.
  Issued issued(const std::string& token) {
    std::lock_guard lock(mu_);
    auto it = issued_.find(token);
    return it == issued_.end() ? Issued{} : it->second;
  }
  // Whether `token` is one of `agent`'s own client-credentials tokens.
  bool IsAgentToken(const std::string& token, const std::string& agent) {
    std::lock_guard lock(mu_);
    auto it = agent_tokens_.find(token);
    return it != agent_tokens_.end() && it->second == agent;
  }
  std::map<std::string, std::string> last_exchange_form() {
    std::lock_guard lock(mu_);
    return last_exchange_form_;
  }
  // CIBA: the answers the next backchannel requests' polls get, in order; "approve" issues the
  // token (also once the script is used up). Each request takes the script as set when it
  // arrives. interval 0: the answer has none (the client's default, 5 s, applies).
  void set_ciba_script(std::vector<std::string> script) {
    std::lock_guard lock(mu_);
    ciba_script_ = std::move(script);
  }
  void set_ciba_timing(int64_t expires_in, int64_t interval) {
    std::lock_guard lock(mu_);
    ciba_expires_in_ = expires_in;
    ciba_interval_ = interval;
  }
  std::map<std::string, std::string> last_bc_form() {
    std::lock_guard lock(mu_);
    return last_bc_form_;
  }
  int exchanges() const { return exchanges_; }
  int ciba_polls() const { return ciba_polls_; }
  int par_calls() const { return par_calls_; }
  // The traceparent header of every request to `path` ("" when it had none), in order.
  std::vector<std::string> traceparents(const std::string& path) {
    std::lock_guard lock(mu_);
    return traceparents_[path];
  }
  // DPoP at /token. Required: a token request without a proof gets 400 invalid_dpop_proof.
  void set_dpop_required(bool on) {
    std::lock_guard lock(mu_);
    dpop_required_ = on;
  }
  // Bind: a request with a valid proof gets token_type DPoP (default); off, Bearer (an AS that
  // does not bind, RFC 9449 §5).
  void set_dpop_bind(bool on) {
    std::lock_guard lock(mu_);
    dpop_bind_ = on;
  }
  // A misbehaving AS: token_type DPoP even for a request without a proof.
  void set_dpop_type_without_proof(bool on) {
    std::lock_guard lock(mu_);
    dpop_type_without_proof_ = on;
  }
  // Non-empty: proofs must carry this nonce, else 400 use_dpop_nonce with DPoP-Nonce: it (§8).
  // Rotating: every challenge names a new nonce, so no proof ever has the current one.
  void set_dpop_nonce(std::string nonce, bool rotating = false) {
    std::lock_guard lock(mu_);
    dpop_nonce_ = std::move(nonce);
    dpop_nonce_rotating_ = rotating;
  }
  // The clock proofs' iat is checked against. Default: the wall clock. Must outlive the server.
  void set_dpop_clock(const Clock* clock) {
    std::lock_guard lock(mu_);
    dpop_clock_ = clock;
  }
  // What /token saw: proofs verified (their jkt, in order), nonce challenges sent, proofs
  // refused (their reason), and the jkt `token` is bound to ("" when a bearer token).
  std::vector<std::string> dpop_jkts() {
    std::lock_guard lock(mu_);
    return dpop_jkts_;
  }
  int dpop_challenges() {
    std::lock_guard lock(mu_);
    return dpop_challenges_;
  }
  std::vector<std::string> dpop_refusals() {
    std::lock_guard lock(mu_);
    return dpop_refusals_;
  }
  std::string dpop_jkt(const std::string& token) {
    std::lock_guard lock(mu_);
    auto it = token_jkt_.find(token);
    return it == token_jkt_.end() ? std::string() : it->second;
  }
  int code_redemptions() const { return code_redemptions_; }
  int refreshes() const { return refreshes_; }
  int refresh_reuses() const { return refresh_reuses_; }

 private:
  using Fields = std::map<std::string, std::string>;

  static http::Response Error(int status, const std::string& error) {
    return http::Response::Json(status, Json{{"error", error}});
  }

  static Fields ToMap(std::string_view form) {
    Fields out;
    auto fields = http::ParseForm(form);
    if (fields.ok()) {
      for (auto& [n, v] : *fields) {
        if (out.count(n)) out["(duplicate)"] = n;  // RFC 6749 §3.1: refused below
        out[n] = v;
      }
    }
    return out;
  }

  // The app's client (Basic with its secret, or the public app by client_id); empty: refused.
  static std::string AppClient(const http::Request& r, const Fields& form) {
    auto auth = r.headers.Get("Authorization");
    if (auth) {
      if (*auth == "Basic " + Base64Encode(std::string(kApp) + ":" + kAppSecret)) return kApp;
      return {};
    }
    auto it = form.find("client_id");
    if (it == form.end()) return {};
    if (it->second == kPublicApp) return kPublicApp;
    if (it->second == kApp && form.count("client_secret") &&
        form.at("client_secret") == kAppSecret) {
      return kApp;
    }
    return {};
  }

  http::Response Serve(const http::Request& r) {
    {
      std::lock_guard lock(mu_);
      traceparents_[r.path].push_back(r.headers.Get("traceparent").value_or(""));
    }
    if (r.path == "/.well-known/oauth-authorization-server") {
      std::lock_guard lock(mu_);
      Json m = {{"issuer", issuer()},
                {"authorization_endpoint", issuer() + "/authorize"},
                {"token_endpoint", issuer() + "/token"},
                {"authorization_response_iss_parameter_supported", true},
                {"code_challenge_methods_supported", {"S256"}},
                {"backchannel_authentication_endpoint", issuer() + "/bc-authorize"},
                {"backchannel_token_delivery_modes_supported", {"poll"}},
                {"grant_types_supported",
                 {"client_credentials", "authorization_code", "refresh_token",
                  "urn:ietf:params:oauth:grant-type:token-exchange",
                  "urn:openid:params:grant-type:ciba"}}};
      if (par_) m["pushed_authorization_request_endpoint"] = issuer() + "/par";
      return http::Response::Json(200, m);
    }
    if (r.path == "/par" && r.method == "POST") return Par(r);
    if (r.path == "/authorize" && r.method == "GET") return Authorize(r);
    if (r.path == "/token" && r.method == "POST") return DpopToken(r);
    if (r.path == "/bc-authorize" && r.method == "POST") return BackchannelAuthorize(r);
    return Error(404, "not_found");
  }

  http::Response Par(const http::Request& r) {
    ++par_calls_;
    Fields form = ToMap(r.body);
    if (form.count("(duplicate)")) return Error(400, "invalid_request");
    std::string client = AppClient(r, form);
    if (client.empty()) return Error(401, "invalid_client");
    if (form.count("request_uri")) return Error(400, "invalid_request");
    form["client_id"] = client;
    std::lock_guard lock(mu_);
    std::string uri = "urn:ietf:params:oauth:request_uri:" + std::to_string(++counter_);
    pushed_[uri] = form;
    return http::Response::Json(201, Json{{"request_uri", uri}, {"expires_in", 60}});
  }

  http::Response Authorize(const http::Request& r) {
    Fields q = ToMap(r.query);
    if (q.count("(duplicate)")) return Error(400, "invalid_request");
    std::lock_guard lock(mu_);
    last_authorize_query_ = r.query;
    if (q.count("request_uri")) {
      auto it = pushed_.find(q["request_uri"]);
      if (it == pushed_.end() || it->second["client_id"] != q["client_id"]) {
        return Error(400, "invalid_request_uri");
      }
      q = it->second;
      pushed_.erase(it);
    }
    last_authorize_ = q;
    if (q["response_type"] != "code" || q["code_challenge_method"] != "S256" ||
        q["code_challenge"].empty() || q["redirect_uri"].empty()) {
      return Error(400, "invalid_request");
    }
    Fields answer;
    answer["state"] = mode_ == Mode::kWrongState ? "another-state" : q["state"];
    if (mode_ == Mode::kWrongIss)
      answer["iss"] = "https://mix-up.example";
    else if (mode_ != Mode::kNoIss)
      answer["iss"] = issuer();
    if (mode_ == Mode::kDeny) {
      answer["error"] = "access_denied";
    } else {
      std::string code = "code-" + std::to_string(++counter_);
      codes_[code] = q;
      answer["code"] = code;
    }
    std::vector<std::pair<std::string, std::string>> fields(answer.begin(), answer.end());
    http::Response redirect;
    redirect.status = 302;
    redirect.headers.Set("Location", q["redirect_uri"] + "?" + http::FormEncode(fields));
    return redirect;
  }

  // Issues a user token pair (access + refresh) for the grant `g`.
  http::Response UserTokens(const Fields& g) {
    std::string at = "at-user-" + std::to_string(++counter_);
    std::string rt = "rt-" + std::to_string(++counter_);
    refresh_[rt] = g;
    issued_[at] = Issued{g.count("login_hint") ? g.at("login_hint") : "",
                         {g.count("requested_actor") ? g.at("requested_actor") : ""},
                         SplitSpaceDelimited(g.at("scope")),
                         g.count("resource") ? g.at("resource") : "",
                         Json(),
                         static_cast<int64_t>(std::time(nullptr)) + user_ttl_};
    Json body = {{"access_token", at},
                 {"token_type", "Bearer"},
                 {"expires_in", user_ttl_},
                 {"refresh_token", rt},
                 {"scope", g.at("scope")}};
    return http::Response::Json(200, body);
  }

  bool ActorOk(const Fields& form, const Fields& g) {
    auto t = form.find("actor_token");
    auto type = form.find("actor_token_type");
    return t != form.end() && agent_tokens_.count(t->second) &&
           agent_tokens_.at(t->second) == kAgent && type != form.end() &&
           type->second == "urn:ietf:params:oauth:token-type:access_token" &&
           g.count("requested_actor") && g.at("requested_actor") == kAgent;
  }

  // RFC 9449 §5 around every grant of /token: the proof checked first (an error answer ends
  // there), the grant, then a successful answer bound to the proof's key.
  http::Response DpopToken(const http::Request& r) {
    std::string jkt;
    if (auto refused = CheckDpop(r, &jkt)) return *refused;
    http::Response response = Token(r);
    std::lock_guard lock(mu_);
    if (!dpop_nonce_.empty()) response.headers.Set(jose::kDpopNonceHeader, dpop_nonce_);
    auto body = ParseJsonStrict(response.body);
    if (response.status != 200 || !body.ok() || !body->is_object()) return response;
    if ((!jkt.empty() && dpop_bind_) || dpop_type_without_proof_) {
      (*body)["token_type"] = "DPoP";
      if (!jkt.empty()) token_jkt_[body->value("access_token", "")] = jkt;
    }
    response.body = DumpJson(*body);
    return response;
  }

  // §4.3 checks of the request's proof, if any; an answer when it is refused.
  std::optional<http::Response> CheckDpop(const http::Request& r, std::string* jkt) {
    std::lock_guard lock(mu_);
    auto proof = r.headers.Get(jose::kDpopHeader);
    if (!proof) {
      if (!dpop_required_) return std::nullopt;
      dpop_refusals_.push_back(jose::kReasonDpopMissing);
      return Error(400, jose::kErrorInvalidDpopProof);
    }
    jose::DpopProofCheck check;
    check.method = r.method;
    check.url = issuer() + r.path;
    check.now = dpop_clock_ != nullptr ? dpop_clock_->NowSeconds()
                                       : static_cast<int64_t>(std::time(nullptr));
    if (!dpop_nonce_.empty()) {
      check.accept_nonce = [want = dpop_nonce_](std::string_view n) { return n == want; };
    }
    auto verified = jose::VerifyDpopProof(*proof, check);
    if (verified.ok() && !dpop_jtis_.insert(verified->jti).second) {
      verified = Status(StatusCode::kUnauthenticated, "replayed", jose::kReasonDpopReplay);
    }
    if (!verified.ok()) {
      dpop_refusals_.push_back(std::string(verified.status().reason()));
      if (verified.status().reason() != jose::kReasonUseDpopNonce) {
        return Error(400, jose::kErrorInvalidDpopProof);
      }
      ++dpop_challenges_;
      http::Response challenge = Error(400, jose::kErrorUseDpopNonce);
      challenge.headers.Set(jose::kDpopNonceHeader, dpop_nonce_);
      // Rotating: the nonce just named is stale before the client can use it.
      if (dpop_nonce_rotating_) dpop_nonce_ = "nonce-" + std::to_string(++counter_);
      return challenge;
    }
    dpop_jkts_.push_back(verified->jkt);
    *jkt = verified->jkt;
    return std::nullopt;
  }

  http::Response Token(const http::Request& r) {
    Fields form = ToMap(r.body);
    if (form.count("(duplicate)")) return Error(400, "invalid_request");
    std::lock_guard lock(mu_);
    last_token_form_ = form;
    const std::string grant = form["grant_type"];
    if (grant == "client_credentials") {
      const std::string agent = AgentClient(r);
      if (agent.empty()) return Error(401, "invalid_client");
      std::string at = "at-agent-" + std::to_string(++counter_);
      agent_tokens_[at] = agent;
      issued_[at] = Issued{
          agent, {}, {}, form["resource"], Json(), static_cast<int64_t>(std::time(nullptr)) + 3600};
      return http::Response::Json(
          200, Json{{"access_token", at}, {"token_type", "Bearer"}, {"expires_in", 3600}});
    }
    if (grant == "urn:ietf:params:oauth:grant-type:token-exchange") return TokenExchange(r, form);
    if (grant == "urn:openid:params:grant-type:ciba") return CibaPoll(r, form);
    std::string client = AppClient(r, form);
    if (client.empty()) return Error(401, "invalid_client");
    if (grant == "authorization_code") {
      auto it = codes_.find(form["code"]);
      if (it == codes_.end()) return Error(400, "invalid_grant");
      Fields g = it->second;
      codes_.erase(it);  // single use
      if (g["client_id"] != client || g["redirect_uri"] != form["redirect_uri"] ||
          Base64UrlEncode(Sha256(form["code_verifier"])) != g["code_challenge"] ||
          !ActorOk(form, g)) {
        return Error(400, "invalid_grant");
      }
      ++code_redemptions_;
      return UserTokens(g);
    }
    if (grant == "refresh_token") {
      ++refreshes_;
      const std::string rt = form["refresh_token"];
      if (used_.count(rt)) {  // RFC 9700 §4.14.2: reuse revokes the family
        ++refresh_reuses_;
        refresh_.clear();
        return Error(400, "invalid_grant");
      }
      auto it = refresh_.find(rt);
      if (it == refresh_.end()) return Error(400, "invalid_grant");
      Fields g = it->second;
      if (g["client_id"] != client || !ActorOk(form, g)) return Error(400, "invalid_grant");
      refresh_.erase(it);
      used_.insert(rt);
      return UserTokens(g);
    }
    return Error(400, "unsupported_grant_type");
  }

  // The agent authenticating with HTTP Basic (kAgent or kBookingAgent); empty: none.
  static std::string AgentClient(const http::Request& r) {
    auto auth = r.headers.Get("Authorization");
    if (!auth) return {};
    if (*auth == "Basic " + Base64Encode(std::string(kAgent) + ":" + kAgentSecret)) return kAgent;
    if (*auth == "Basic " + Base64Encode(std::string(kBookingAgent) + ":" + kBookingAgentSecret)) {
      return kBookingAgent;
    }
    return {};
  }

  static bool Contains(const std::vector<std::string>& all, const std::string& one) {
    return std::find(all.begin(), all.end(), one) != all.end();
  }

  // RFC 8693 §2.1 as the contract of docs/delegation.md has it. Called with mu_ held.
  http::Response TokenExchange(const http::Request& r, const Fields& form_in) {
    Fields form = form_in;
    ++exchanges_;
    last_exchange_form_ = form;
    const std::string agent = AgentClient(r);
    if (agent.empty()) return Error(401, "invalid_client");
    if (form["subject_token_type"] != kAccessTokenTypeUrn ||
        form["actor_token_type"] != kAccessTokenTypeUrn ||
        (form.count("requested_token_type") &&
         form["requested_token_type"] != kAccessTokenTypeUrn)) {
      return Error(400, "invalid_request");
    }
    auto subject = issued_.find(form["subject_token"]);
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    if (subject == issued_.end() || subject->second.actors.empty() || subject->second.exp <= now) {
      return Error(400, "invalid_grant");  // unknown, not delegated, or expired
    }
    auto actor = agent_tokens_.find(form["actor_token"]);
    if (actor == agent_tokens_.end() || actor->second != agent) return Error(400, "invalid_grant");
    const Issued& s = subject->second;
    if (!rules_.count({s.actors.front(), agent})) return Error(400, "invalid_grant");
    if (s.actors.size() + 1 > max_depth_) return Error(400, "invalid_grant");
    if (form["resource"].empty()) return Error(400, "invalid_target");
    std::vector<std::string> scopes = SplitSpaceDelimited(form["scope"]);
    if (scopes.empty()) scopes = s.scopes;
    for (const auto& sc : scopes) {
      if (!Contains(s.scopes, sc)) return Error(400, "invalid_scope");
    }
    Json details;
    if (form.count("authorization_details")) {
      auto parsed = ParseJsonStrict(form["authorization_details"]);
      if (!parsed.ok() || !parsed->is_array()) return Error(400, "invalid_authorization_details");
      for (const auto& entry : *parsed) {
        bool found = s.authorization_details.is_array() &&
                     std::find(s.authorization_details.begin(), s.authorization_details.end(),
                               entry) != s.authorization_details.end();
        if (!found) return Error(400, "invalid_authorization_details");
      }
      details = *parsed;
    }
    Issued out{s.sub, {agent}, scopes, form["resource"], details, std::min(s.exp, now + user_ttl_)};
    out.actors.insert(out.actors.end(), s.actors.begin(), s.actors.end());
    std::string at = "at-xchg-" + std::to_string(++counter_);
    issued_[at] = out;
    Json body = {{"access_token", at},
                 {"issued_token_type", kAccessTokenTypeUrn},
                 {"token_type", "Bearer"},
                 {"expires_in", out.exp - now},
                 {"scope", JoinSpaceDelimited(scopes)}};
    if (!details.is_null()) body["authorization_details"] = details;
    return http::Response::Json(200, body);
  }

  // CIBA Core §7.1, §7.3.
  http::Response BackchannelAuthorize(const http::Request& r) {
    Fields form = ToMap(r.body);
    if (form.count("(duplicate)")) return Error(400, "invalid_request");
    std::lock_guard lock(mu_);
    last_bc_form_ = form;
    const std::string agent = AgentClient(r);
    if (agent.empty()) return Error(401, "invalid_client");
    if (form["login_hint"] != "alice" && form["login_hint"] != "bob") {
      return Error(400, "unknown_user_id");
    }
    const std::string& message = form["binding_message"];
    size_t chars = 0;
    for (unsigned char c : message) {
      if (c < 0x20 || c == 0x7f) return Error(400, "invalid_binding_message");
      if ((c & 0xC0) != 0x80) ++chars;
    }
    if (chars > 64) return Error(400, "invalid_binding_message");
    if (form["resource"].empty()) return Error(400, "invalid_target");
    std::string id = "req-" + std::to_string(++counter_);
    Ciba c{agent, form, ciba_script_};
    ciba_[id] = std::move(c);
    Json body = {{"auth_req_id", id}, {"expires_in", ciba_expires_in_}};
    if (ciba_interval_ > 0) body["interval"] = ciba_interval_;
    return http::Response::Json(200, body);
  }

  // CIBA Core §10.1, §11. Called with mu_ held.
  http::Response CibaPoll(const http::Request& r, Fields form) {
    ++ciba_polls_;
    const std::string agent = AgentClient(r);
    if (agent.empty()) return Error(401, "invalid_client");
    auto it = ciba_.find(form["auth_req_id"]);
    if (it == ciba_.end() || it->second.agent != agent) return Error(400, "invalid_grant");
    Ciba& c = it->second;
    std::string step = c.script.empty() ? "approve" : c.script.front();
    if (!c.script.empty()) c.script.erase(c.script.begin());
    if (step != "approve") {
      if (step == "expired_token" || step == "access_denied") ciba_.erase(it);
      return Error(400, step);
    }
    Fields request = c.request;
    ciba_.erase(it);  // single redemption
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    Json details;
    if (request.count("authorization_details")) {
      auto parsed = ParseJsonStrict(request["authorization_details"]);
      if (parsed.ok()) details = *parsed;
    }
    std::string at = "at-ciba-" + std::to_string(++counter_);
    issued_[at] = Issued{request["login_hint"], {agent}, SplitSpaceDelimited(request["scope"]),
                         request["resource"],   details, now + user_ttl_};
    Json body = {{"access_token", at},
                 {"token_type", "Bearer"},
                 {"expires_in", user_ttl_},
                 {"scope", request["scope"]}};
    return http::Response::Json(200, body);
  }

  struct Ciba {
    std::string agent;
    Fields request;
    std::vector<std::string> script;
  };

  std::unique_ptr<http::HttpServer> server_;
  std::mutex mu_;
  Mode mode_ = Mode::kApprove;                           // GUARDED_BY(mu_)
  bool par_ = true;                                      // GUARDED_BY(mu_)
  int64_t user_ttl_ = 300;                               // GUARDED_BY(mu_)
  int counter_ = 0;                                      // GUARDED_BY(mu_)
  std::map<std::string, Fields> pushed_;                 // GUARDED_BY(mu_)
  std::map<std::string, Fields> codes_;                  // GUARDED_BY(mu_)
  std::map<std::string, Fields> refresh_;                // GUARDED_BY(mu_)
  std::set<std::string> used_;                           // GUARDED_BY(mu_)
  std::map<std::string, std::string> agent_tokens_;      // token → agent; GUARDED_BY(mu_)
  std::map<std::string, Issued> issued_;                 // GUARDED_BY(mu_)
  std::set<std::pair<std::string, std::string>> rules_;  // (from, to); GUARDED_BY(mu_)
  size_t max_depth_ = 4;                                 // GUARDED_BY(mu_)
  std::map<std::string, Ciba> ciba_;                     // GUARDED_BY(mu_)
  std::vector<std::string> ciba_script_;                 // GUARDED_BY(mu_)
  int64_t ciba_expires_in_ = 120;                        // GUARDED_BY(mu_)
  int64_t ciba_interval_ = 0;                            // GUARDED_BY(mu_)
  Fields last_exchange_form_;                            // GUARDED_BY(mu_)
  Fields last_bc_form_;                                  // GUARDED_BY(mu_)
  Fields last_authorize_;                                // GUARDED_BY(mu_)
  std::string last_authorize_query_;                     // GUARDED_BY(mu_)
  Fields last_token_form_;                               // GUARDED_BY(mu_)
  std::map<std::string, std::vector<std::string>> traceparents_;  // GUARDED_BY(mu_)
  bool dpop_required_ = false;                                    // GUARDED_BY(mu_)
  bool dpop_bind_ = true;                                         // GUARDED_BY(mu_)
  bool dpop_type_without_proof_ = false;                          // GUARDED_BY(mu_)
  std::string dpop_nonce_;                                        // GUARDED_BY(mu_)
  bool dpop_nonce_rotating_ = false;                              // GUARDED_BY(mu_)
  const Clock* dpop_clock_ = nullptr;                             // GUARDED_BY(mu_)
  std::set<std::string> dpop_jtis_;                               // GUARDED_BY(mu_)
  std::vector<std::string> dpop_jkts_;                            // GUARDED_BY(mu_)
  std::vector<std::string> dpop_refusals_;                        // GUARDED_BY(mu_)
  int dpop_challenges_ = 0;                                       // GUARDED_BY(mu_)
  std::map<std::string, std::string> token_jkt_;                  // GUARDED_BY(mu_)
  std::atomic<int> par_calls_{0};
  std::atomic<int> exchanges_{0};
  std::atomic<int> ciba_polls_{0};
  std::atomic<int> code_redemptions_{0};
  std::atomic<int> refreshes_{0};
  std::atomic<int> refresh_reuses_{0};
};

}  // namespace zta::auth::testing
