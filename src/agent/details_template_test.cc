// Tests of authorization_details templates in declarative tools: filling from the call's
// arguments, load-time checks, and a consent that is denied or times out becoming a tool denial.
#include <gtest/gtest.h>

#include <mutex>

#include "zta/agent/declarative.h"

namespace zta::agent {
namespace {

// Answers every request with the scripted failure, or a token; records the requests.
class ScriptedTokenSource final : public auth::TokenSource {
 public:
  Result<auth::AccessToken> GetToken(const auth::TokenRequest& request) override {
    std::lock_guard lock(mu_);
    requests_.push_back(request);
    if (!failure_.ok()) return failure_;
    auth::AccessToken token;
    token.value = Secret("opaque-delegated-token-value");
    token.jti = "jti-1";
    token.resource = request.resource;
    token.expires_at = 1'700'000'300;
    return token;
  }
  void Fail(Status status) {
    std::lock_guard lock(mu_);
    failure_ = std::move(status);
  }
  std::vector<auth::TokenRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  mutable std::mutex mu_;
  Status failure_;                            // GUARDED_BY(mu_)
  std::vector<auth::TokenRequest> requests_;  // GUARDED_BY(mu_)
};

std::string BookingToml(const std::string& details) {
  return R"(
[agent]
name = "guest-assistant"
system_prompt = "You book rooms."
user = "alice"

[model]
provider = "offline"

[identity]
issuer = "http://127.0.0.1:3000"
client_id = "agent-guest"
client_secret_env = "AGENT_SECRET"

[delegation]
app_client_id = "app-cli"

[[tools]]
name = "book_room"
description = "Book a room"
method = "POST"
url = "http://127.0.0.1:1/api/bookings"
parameters = { type = "object", properties = { hotel_id = { type = "string" }, room_id = { type = "string" }, max_total = { type = "number" } }, required = ["hotel_id", "room_id", "max_total"] }
auth = { resource = "https://hotel.example/api", scopes = ["create_bookings"], acting = "user", authorization_details = )" +
         details + " }\n";
}

constexpr char kDetails[] =
    R"([{ type = "hotel_booking", hotel_id = "{hotel_id}", room_id = "{room_id}", max_total = "{max_total}", currency = "USD", label = "room {room_id} at {hotel_id}" }])";

// A whole "{name}" keeps the argument's JSON type; inside text it is the argument's text; other
// values and unknown brace text are copied; a missing argument or an object inside text fails.
TEST(DetailsTemplateTest, FillsFromArguments) {
  Json tmpl = Json::array({Json{{"type", "hotel_booking"},
                                {"max_total", "{max_total}"},
                                {"label", "{room_id} @ {hotel_id} {not a name} {}"},
                                {"nights", 2},
                                {"tags", {"{room_id}"}}}});
  Json args = {{"max_total", 240}, {"room_id", "r-12"}, {"hotel_id", "h-1"}};
  auto filled = ExpandDetailsTemplate(tmpl, args);
  ASSERT_TRUE(filled.ok()) << filled.status();
  const Json& d = (*filled)[0];
  EXPECT_EQ(d["max_total"], 240);
  EXPECT_EQ(d["label"], "r-12 @ h-1 {not a name} {}");
  EXPECT_EQ(d["nights"], 2);
  EXPECT_EQ(d["tags"][0], "r-12");
  EXPECT_EQ(d["type"], "hotel_booking");
  EXPECT_FALSE(ExpandDetailsTemplate(tmpl, Json{{"max_total", 240}}).ok());
  EXPECT_FALSE(ExpandDetailsTemplate(Json("at {x}"), Json{{"x", Json::object()}}).ok());
  EXPECT_FALSE(ExpandDetailsTemplate(Json("{x}"), Json{{"x", nullptr}}).ok());
  EXPECT_EQ(DetailsTemplatePlaceholders(tmpl),
            (std::vector<std::string>{"room_id", "hotel_id", "max_total", "room_id"}));  // by key
}

// A tool with acting = "user" and a details template asks for a token on behalf of the run's
// user with the details filled from the call.
TEST(DetailsTemplateTest, ToolRequestsTheFilledDetailsForTheUser) {
  auto config = ParseAgentConfig(BookingToml(kDetails));
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_TRUE(config->delegation.has_value());
  EXPECT_EQ(config->delegation->options.app_client_id, "app-cli");
  EXPECT_EQ(config->delegation->consent, "loopback");
  ScriptedTokenSource tokens;
  auto tool = MakeHttpTool(config->tools[0], &tokens);
  ASSERT_TRUE(tool.ok()) << tool.status();
  ToolContext ctx;
  ctx.user = "alice";
  (void)(*tool)->Invoke({{"hotel_id", "h-harbour"}, {"room_id", "r-12"}, {"max_total", 240}}, ctx);
  const std::vector<auth::TokenRequest> requests = tokens.requests();
  ASSERT_EQ(requests.size(), 1u);
  const auth::TokenRequest& r = requests[0];
  EXPECT_EQ(r.on_behalf_of, "alice");
  EXPECT_EQ(r.resource, "https://hotel.example/api");
  Json expected = Json::array({Json{{"type", "hotel_booking"},
                                    {"hotel_id", "h-harbour"},
                                    {"room_id", "r-12"},
                                    {"max_total", 240},
                                    {"currency", "USD"},
                                    {"label", "room r-12 at h-harbour"}}});
  EXPECT_EQ(r.authorization_details, expected);
}

// A denied or timed-out consent is a tool denial with that reason (no crash, no call); the
// message to the model carries the reason only.
TEST(DetailsTemplateTest, ConsentDeniedOrTimedOutIsADenial) {
  auto config = ParseAgentConfig(BookingToml(kDetails));
  ASSERT_TRUE(config.ok()) << config.status();
  ScriptedTokenSource tokens;
  auto tool = MakeHttpTool(config->tools[0], &tokens);
  ASSERT_TRUE(tool.ok());
  ToolContext ctx;
  ctx.user = "alice";
  const Json args = {{"hotel_id", "h-harbour"}, {"room_id", "r-12"}, {"max_total", 240}};
  for (const char* reason : {"consent_denied", "consent_timeout", "consent_required"}) {
    tokens.Fail(Status(StatusCode::kPermissionDenied, "alice said no", reason));
    ToolOutcome out = (*tool)->Invoke(args, ctx);
    EXPECT_EQ(out.status, ToolStatus::kDenied) << reason;
    EXPECT_EQ(out.reason, reason);
    EXPECT_NE(out.content.find(reason), std::string::npos) << out.content;
    EXPECT_EQ(out.content.find("alice said no"), std::string::npos);
  }
}

// Load-time checks: a placeholder naming no parameter, a details value that is not an array of
// tables with a string type.
TEST(DetailsTemplateTest, RefusesBadTemplates) {
  auto unknown = ParseAgentConfig(BookingToml(R"([{ type = "hotel_booking", city = "{city}" }])"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("{city}"), std::string::npos);
  EXPECT_FALSE(ParseAgentConfig(BookingToml(R"({ type = "hotel_booking" })")).ok());
  EXPECT_FALSE(ParseAgentConfig(BookingToml(R"([{ hotel_id = "{hotel_id}" }])")).ok());
  EXPECT_FALSE(ParseAgentConfig(BookingToml("[]")).ok());
  // acting = "user" needs [delegation] (the app and consent handler).
  std::string without = BookingToml(kDetails);
  without.replace(without.find("[delegation]"),
                  std::string("[delegation]\napp_client_id = \"app-cli\"\n").size(), "");
  auto no_delegation = ParseAgentConfig(without);
  ASSERT_FALSE(no_delegation.ok());
  EXPECT_NE(no_delegation.status().message().find("[delegation]"), std::string::npos);
}

}  // namespace
}  // namespace zta::agent
