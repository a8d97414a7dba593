// A temporary identity provider with a user, apps and an agent, and the steps of the
// authorization-code flow past /authorize: codes are put in the store as the consent page puts
// them (TokenStateStore::PutCode), then redeemed at /token.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "test_fixture.h"
#include "zta/core/random.h"
#include "zta/core/sha256.h"
#include "zta/idp/stores.h"

namespace zta::idp::testing {

inline constexpr char kRedirect[] = "http://127.0.0.1:7777/callback";
inline constexpr char kActorTokenType[] = "urn:ietf:params:oauth:token-type:access_token";
// RFC 7636 Appendix B's code verifier (43 unreserved characters).
inline constexpr char kVerifier[] = "dBjftJeZ4CVP-mJ0Z3Wz6XWOo9KwxAHmFH9_C7vVjBk";

class DelegationFixture : public IdpFixture {
 protected:
  void SetUp() override {
    IdpFixture::SetUp();
    user_ = AddUser("alice");
    std::tie(app_, app_secret_) = AddApp(false);
    public_app_ = AddApp(true).first;
    std::tie(agent_, agent_secret_) = AddSecretAgent({"hotels:read", "bookings:create"});
  }

  std::string AddUser(const std::string& name) {
    User u;
    u.id = "u-" + *RandomToken(16);
    u.username = name;
    u.email = name + "@example.com";
    u.display_name = "Alice Example";
    u.created_at = clock_.NowSeconds();
    EXPECT_TRUE(idp_->store().PutUser(u).ok());
    return u.id;
  }
  // Registers an app; returns {client_id, secret ("" for a public app)}.
  std::pair<std::string, std::string> AddApp(bool is_public) {
    App a;
    a.client_id = "app-" + *RandomToken(12);
    a.name = is_public ? "cli" : "web chat";
    a.redirect_uris = {kRedirect};
    a.is_public = is_public;
    std::string secret = is_public ? "" : *RandomToken(32);
    if (!is_public) a.secret_digest = DigestSecret(secret);
    EXPECT_TRUE(idp_->store().PutApp(a).ok());
    return {a.client_id, secret};
  }
  // Declares the hotel_booking details type (RFC 9396 §5) on kHotel, with its schema and
  // consent text, as `zta idp resource add --details-type` does.
  void DeclareBookingDetails() {
    auto registry = idp_->store().LoadRegistry();
    ASSERT_TRUE(registry.ok());
    Resource hotel = *(*registry)->FindResource(kHotel);
    hotel.scope_descriptions["bookings:create"] = "book rooms for you";
    Resource::DetailsType booking;
    booking.schema = Json::parse(R"({"type": "object",
      "properties": {"type": {"type": "string"}, "hotel_id": {"type": "string"},
                     "room_id": {"type": "string"}, "max_total": {"type": "number"}},
      "required": ["hotel_id", "room_id", "max_total"], "additionalProperties": false})");
    booking.text = "book room {room_id} at {hotel_id} for up to {max_total} USD";
    hotel.details_types["hotel_booking"] = booking;
    ASSERT_TRUE(idp_->store().PutResource(hotel).ok());
  }
  void SetUserEnabled(const std::string& id, bool enabled) {
    auto reg = idp_->store().LoadRegistry();
    ASSERT_TRUE(reg.ok());
    User u = *(*reg)->FindUser(id);
    u.enabled = enabled;
    ASSERT_TRUE(idp_->store().PutUser(u).ok());
  }

  static std::string Challenge(const std::string& verifier) {
    return Base64UrlEncode(Sha256(verifier));
  }

  // A code as the consent page issues it, for user_, app_ (unless set), agent_ as actor.
  AuthorizationCode CodeRecord() {
    AuthorizationCode c;
    c.app_id = app_;
    c.redirect_uri = kRedirect;
    c.code_challenge = Challenge(kVerifier);
    c.user_id = user_;
    c.agent_id = agent_;
    c.resource = kHotel;
    c.scopes = {"openid", "bookings:create"};
    c.authorization_details = Json::array({{{"type", "hotel_booking"},
                                            {"hotel_id", "h-1"},
                                            {"room_id", "r-12"},
                                            {"max_total", 240}}});
    c.nonce = "n-0S6_WzA2Mj";
    c.auth_time = clock_.NowSeconds() - 5;
    c.expires_at = clock_.NowSeconds() + 60;
    return c;
  }
  // Stores `record` under a fresh code value and returns the value.
  std::string PutCode(AuthorizationCode record) {
    std::string code = *RandomToken(32);
    record.digest = DigestSecret(code);
    EXPECT_TRUE(idp_->store().PutCode(record).ok());
    return code;
  }
  std::string AgentToken(const std::string& id, const std::string& secret) {
    Json b = Body(Post("/token", {{"grant_type", "client_credentials"}}, id, secret));
    return b.value("access_token", "");
  }
  std::string AgentToken() { return AgentToken(agent_, agent_secret_); }

  using Form = std::vector<std::pair<std::string, std::string>>;
  // POST /token grant_type=authorization_code as the confidential app, with `extra` replacing
  // or adding fields (an empty value removes one).
  http::Response Redeem(const std::string& code, const Form& extra = {},
                        const std::string& actor_token = "\x01") {
    Form form = {{"grant_type", "authorization_code"},
                 {"code", code},
                 {"redirect_uri", kRedirect},
                 {"code_verifier", kVerifier},
                 {"actor_token", actor_token == "\x01" ? AgentToken() : actor_token},
                 {"actor_token_type", kActorTokenType}};
    return PostAs(app_, app_secret_, Merge(form, extra));
  }
  http::Response Refresh(const std::string& refresh_token, const Form& extra = {},
                         const std::string& actor_token = "\x01") {
    Form form = {{"grant_type", "refresh_token"},
                 {"refresh_token", refresh_token},
                 {"actor_token", actor_token == "\x01" ? AgentToken() : actor_token},
                 {"actor_token_type", kActorTokenType}};
    return PostAs(app_, app_secret_, Merge(form, extra));
  }
  // As `client_id` (a public app when `secret` is "").
  http::Response PostAs(const std::string& client_id, const std::string& secret, Form form) {
    if (secret.empty()) {
      form.push_back({"client_id", client_id});
      return Post("/token", form);
    }
    return Post("/token", form, client_id, secret);
  }
  static Form Merge(Form form, const Form& extra) {
    for (const auto& [k, v] : extra) {
      bool replaced = false;
      for (auto& field : form) {
        if (field.first == k) field.second = v, replaced = true;
      }
      if (!replaced) form.push_back({k, v});
    }
    Form out;
    for (auto& f : form) {
      if (!f.second.empty()) out.push_back(std::move(f));
    }
    return out;
  }
  // The published keys, as a relying party reads them from /jwks.
  jose::Jwks PublishedJwks() {
    auto jwks = jose::Jwks::ParseText(Get("/jwks").body);
    EXPECT_TRUE(jwks.ok());
    return jwks.ok() ? *jwks : jose::Jwks();
  }
  // Verifies an access token as a resource server for kHotel would.
  Result<std::shared_ptr<const jose::VerifiedJwt>> VerifyAt(const std::string& token,
                                                            const std::string& aud = kHotel) {
    jose::JwtValidationOptions o;
    o.issuer = kIssuer;
    o.audience = aud;
    o.allowed_algorithms = jose::AlgorithmSet::Asymmetric();
    o.required_typ = "at+jwt";
    return jose::VerifyJwt(token, PublishedJwks(), o, clock_.NowSeconds());
  }
  Json Introspect(const std::string& token) {
    return Body(Post("/introspect", {{"token", token}}, app_, app_secret_));
  }
  // The reason of the last token.issue event.
  std::string LastIssueReason() {
    const std::vector<AuditEvent> events = audit_.Events();
    for (auto it = events.rbegin(); it != events.rend(); ++it) {
      if (it->action == "token.issue") return it->reason;
    }
    return "";
  }

  std::string user_;
  std::string app_, app_secret_;
  std::string public_app_;
  std::string agent_, agent_secret_;
};

}  // namespace zta::idp::testing
