// Test helper for zta::auth: an authorization server on loopback speaking the delegation
// contract (docs/delegation.md): metadata, /par, /authorize (answering at once with a redirect
// the test scripts), and /token for client_credentials, authorization_code (PKCE S256,
// actor_token) and refresh_token (rotation, reuse revokes the family). Thread-safe.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <set>
#include <string>

#include "zta/core/base64url.h"
#include "zta/core/sha256.h"
#include "zta/http/message.h"
#include "zta/http/server.h"

namespace zta::auth::testing {

inline constexpr char kAgent[] = "agent-guest";
inline constexpr char kAgentSecret[] = "agent-secret-agent-secret";
inline constexpr char kApp[] = "app-chat";
inline constexpr char kAppSecret[] = "app-secret-app-secret";
inline constexpr char kPublicApp[] = "app-cli";

class FakeAuthorizationServer {
 public:
  // How /authorize answers.
  enum class Mode { kApprove, kDeny, kWrongState, kWrongIss, kNoIss };

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
  int par_calls() const { return par_calls_; }
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
    if (r.path == "/.well-known/oauth-authorization-server") {
      std::lock_guard lock(mu_);
      Json m = {{"issuer", issuer()},
                {"authorization_endpoint", issuer() + "/authorize"},
                {"token_endpoint", issuer() + "/token"},
                {"authorization_response_iss_parameter_supported", true},
                {"code_challenge_methods_supported", {"S256"}}};
      if (par_) m["pushed_authorization_request_endpoint"] = issuer() + "/par";
      return http::Response::Json(200, m);
    }
    if (r.path == "/par" && r.method == "POST") return Par(r);
    if (r.path == "/authorize" && r.method == "GET") return Authorize(r);
    if (r.path == "/token" && r.method == "POST") return Token(r);
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
    return t != form.end() && agent_tokens_.count(t->second) && type != form.end() &&
           type->second == "urn:ietf:params:oauth:token-type:access_token" &&
           g.count("requested_actor") && g.at("requested_actor") == kAgent;
  }

  http::Response Token(const http::Request& r) {
    Fields form = ToMap(r.body);
    if (form.count("(duplicate)")) return Error(400, "invalid_request");
    std::lock_guard lock(mu_);
    last_token_form_ = form;
    const std::string grant = form["grant_type"];
    if (grant == "client_credentials") {
      if (r.headers.Get("Authorization") !=
          "Basic " + Base64Encode(std::string(kAgent) + ":" + kAgentSecret)) {
        return Error(401, "invalid_client");
      }
      std::string at = "at-agent-" + std::to_string(++counter_);
      agent_tokens_.insert(at);
      return http::Response::Json(
          200, Json{{"access_token", at}, {"token_type", "Bearer"}, {"expires_in", 3600}});
    }
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

  std::unique_ptr<http::HttpServer> server_;
  std::mutex mu_;
  Mode mode_ = Mode::kApprove;             // GUARDED_BY(mu_)
  bool par_ = true;                        // GUARDED_BY(mu_)
  int64_t user_ttl_ = 300;                 // GUARDED_BY(mu_)
  int counter_ = 0;                        // GUARDED_BY(mu_)
  std::map<std::string, Fields> pushed_;   // GUARDED_BY(mu_)
  std::map<std::string, Fields> codes_;    // GUARDED_BY(mu_)
  std::map<std::string, Fields> refresh_;  // GUARDED_BY(mu_)
  std::set<std::string> used_;             // GUARDED_BY(mu_)
  std::set<std::string> agent_tokens_;     // GUARDED_BY(mu_)
  Fields last_authorize_;                  // GUARDED_BY(mu_)
  std::string last_authorize_query_;       // GUARDED_BY(mu_)
  Fields last_token_form_;                 // GUARDED_BY(mu_)
  std::atomic<int> par_calls_{0};
  std::atomic<int> code_redemptions_{0};
  std::atomic<int> refreshes_{0};
  std::atomic<int> refresh_reuses_{0};
};

}  // namespace zta::auth::testing
